import type { Comment, FramePoint, Marker } from '@frameproof/core';
import type { Queryable } from '../db/database.js';
import { isoRequired } from './rows.js';

/** Turns a frame into the API's point (frame and timecode); the service knows the asset's rate. */
export type PointFormatter = (frame: number) => FramePoint;

export interface NewMarker {
  startFrame: number;
  endFrame: number;
  title: string;
  description?: string | null;
  group: string;
  category?: string | null;
  severity?: string | null;
  color?: string | null;
  confidence?: number | null;
  origin?: string | null;
  authorId: string | null;
}

interface MarkerRow {
  id: string;
  asset_id: string;
  start_frame: number;
  end_frame: number;
  title: string;
  description: string | null;
  group_name: string;
  category: string | null;
  severity: string | null;
  color: string | null;
  confidence: number | null;
  author_id: string | null;
  author_username: string | null;
  created_at: string;
  updated_at: string;
}

// Timestamps come formatted from the database: parsing 20,000 dates per long list cost more
// than the query.
const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const COLUMNS = `m.id, m.asset_id, m.start_frame, m.end_frame, m.title, m.description, m.group_name, m.category,
  m.severity, m.color, m.confidence, m.author_id, u.username AS author_username, ${ISO('m.created_at')} AS created_at,
  ${ISO('m.updated_at')} AS updated_at`;

/** Rows straight to API markers, in one pass: lists run to tens of thousands. */
const toMarker = (r: MarkerRow, point: PointFormatter): Marker => ({
  id: r.id,
  assetId: r.asset_id,
  start: point(r.start_frame),
  end: point(r.end_frame),
  title: r.title,
  description: r.description,
  group: r.group_name,
  category: r.category,
  severity: r.severity,
  color: r.color,
  confidence: r.confidence,
  author: r.author_id && r.author_username ? { id: r.author_id, username: r.author_username } : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Rows per INSERT statement in bulk inserts (13 parameters a row, well under PostgreSQL's 65535). */
const BATCH = 1000;

export class MarkersRepository {
  constructor(private readonly db: Queryable) {}

  async list(
    assetId: string,
    range: { from?: number; to?: number; group?: string; ids?: string[] },
    point: PointFormatter,
  ): Promise<Marker[]> {
    const params: unknown[] = [assetId];
    const where = ['m.asset_id = $1'];
    if (range.from !== undefined) where.push(`m.end_frame >= $${params.push(range.from)}`);
    if (range.to !== undefined) where.push(`m.start_frame <= $${params.push(range.to)}`);
    if (range.group !== undefined) where.push(`m.group_name = $${params.push(range.group)}`);
    if (range.ids !== undefined) where.push(`m.id = ANY($${params.push(range.ids)}::uuid[])`);
    const rows = await this.db.query<MarkerRow>(
      `SELECT ${COLUMNS} FROM markers m LEFT JOIN users u ON u.id = m.author_id
       WHERE ${where.join(' AND ')} ORDER BY m.start_frame, m.end_frame, m.id`,
      params,
    );
    return rows.map((r) => toMarker(r, point));
  }

  async byId(
    assetId: string,
    id: string,
    point: PointFormatter,
    options: { forUpdate?: boolean } = {},
  ): Promise<Marker | undefined> {
    const [row] = await this.db.query<MarkerRow>(
      `SELECT ${COLUMNS} FROM markers m LEFT JOIN users u ON u.id = m.author_id WHERE m.asset_id = $1 AND m.id = $2${
        options.forUpdate ? ' FOR UPDATE OF m' : ''
      }`,
      [assetId, id],
    );
    return row && toMarker(row, point);
  }

  /** Who wrote a marker, and which automatic step made it (null: a person). */
  async authorship(
    assetId: string,
    id: string,
  ): Promise<{ authorId: string | null; origin: string | null } | undefined> {
    const [row] = await this.db.query<{ author_id: string | null; origin: string | null }>(
      'SELECT author_id, origin FROM markers WHERE asset_id = $1 AND id = $2',
      [assetId, id],
    );
    return row && { authorId: row.author_id, origin: row.origin };
  }

  /** Inserts markers in batches and returns their ids in order. */
  async insert(assetId: string, markers: readonly NewMarker[]): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < markers.length; i += BATCH) {
      const params: unknown[] = [];
      const values = markers.slice(i, i + BATCH).map((m, k) => {
        const row = [
          assetId,
          m.startFrame,
          m.endFrame,
          m.title,
          m.description ?? null,
          m.group,
          m.category ?? null,
        ];
        row.push(
          m.severity ?? null,
          m.color ?? null,
          m.confidence ?? null,
          m.origin ?? null,
          m.authorId,
          i + k,
        );
        return `(${row.map((v) => `$${params.push(v)}`).join(', ')})`;
      });
      // Inserting in the input's order keeps RETURNING in that order, so ids match their markers.
      const rows = await this.db.query<{ id: string }>(
        `INSERT INTO markers (asset_id, start_frame, end_frame, title, description, group_name, category, severity, color, confidence, origin, author_id)
         SELECT asset_id::uuid, start_frame::int, end_frame::int, title, description, group_name, category, severity, color, confidence::double precision, origin, author_id::uuid
         FROM (VALUES ${values.join(', ')})
           AS input (asset_id, start_frame, end_frame, title, description, group_name, category, severity, color, confidence, origin, author_id, ord)
         ORDER BY ord::int
         RETURNING id`,
        params,
      );
      ids.push(...rows.map((r) => r.id));
    }
    return ids;
  }

  async update(assetId: string, id: string, m: Partial<NewMarker>): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE markers SET
         start_frame = coalesce($3, start_frame), end_frame = coalesce($4, end_frame), title = coalesce($5, title),
         description = CASE WHEN $6::boolean THEN $7 ELSE description END,
         group_name = coalesce($8, group_name),
         category = CASE WHEN $9::boolean THEN $10 ELSE category END,
         severity = CASE WHEN $11::boolean THEN $12 ELSE severity END,
         color = CASE WHEN $13::boolean THEN $14 ELSE color END,
         confidence = CASE WHEN $15::boolean THEN $16::double precision ELSE confidence END,
         updated_at = date_trunc('milliseconds', clock_timestamp())
       WHERE asset_id = $1 AND id = $2 RETURNING id`,
      [
        assetId,
        id,
        m.startFrame ?? null,
        m.endFrame ?? null,
        m.title ?? null,
        m.description !== undefined,
        m.description ?? null,
        m.group ?? null,
        m.category !== undefined,
        m.category ?? null,
        m.severity !== undefined,
        m.severity ?? null,
        m.color !== undefined,
        m.color ?? null,
        m.confidence !== undefined,
        m.confidence ?? null,
      ],
    );
    return rows.length > 0;
  }

  /** Deletes a marker and answers what it was (undefined when there was none). */
  async delete(
    assetId: string,
    id: string,
  ): Promise<{ title: string; startFrame: number; endFrame: number; group: string } | undefined> {
    const [row] = await this.db.query<Pick<MarkerRow, 'title' | 'start_frame' | 'end_frame' | 'group_name'>>(
      'DELETE FROM markers WHERE asset_id = $1 AND id = $2 RETURNING title, start_frame, end_frame, group_name',
      [assetId, id],
    );
    return (
      row && { title: row.title, startFrame: row.start_frame, endFrame: row.end_frame, group: row.group_name }
    );
  }

  /** Removes the markers an automatic step made before, so that a re-run replaces them. */
  async deleteByOrigin(assetId: string, origin: string): Promise<void> {
    await this.db.query('DELETE FROM markers WHERE asset_id = $1 AND origin = $2', [assetId, origin]);
  }

  async addComment(markerId: string, authorId: string, body: string): Promise<Comment> {
    const [row] = await this.db.query<{ id: string }>(
      'INSERT INTO comments (marker_id, author_id, body) VALUES ($1, $2, $3) RETURNING id',
      [markerId, authorId, body],
    );
    return (await this.comments(markerId)).find((c) => c.id === (row as { id: string }).id) as Comment;
  }

  async comments(markerId: string): Promise<Comment[]> {
    const rows = await this.db.query<{
      id: string;
      marker_id: string;
      body: string;
      author_id: string | null;
      author_username: string | null;
      created_at: Date;
    }>(
      `SELECT c.id, c.marker_id, c.body, c.author_id, u.username AS author_username, c.created_at
       FROM comments c LEFT JOIN users u ON u.id = c.author_id WHERE c.marker_id = $1 ORDER BY c.created_at, c.id`,
      [markerId],
    );
    return rows.map((r) => ({
      id: r.id,
      markerId: r.marker_id,
      body: r.body,
      author: r.author_id && r.author_username ? { id: r.author_id, username: r.author_username } : null,
      createdAt: isoRequired(r.created_at),
    }));
  }
}
