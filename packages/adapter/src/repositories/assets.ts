import type {
  Asset,
  AssetStatus,
  ListAssetsQuery,
  OutputShape,
  QcStatus,
  ShapeType,
  TechnicalMetadata,
} from '@frameproof/core';
import type { Queryable } from '../db/database.js';
import { badRequest } from '@frameproof/core';
import { iso, isoRequired } from './rows.js';

interface AssetRow {
  id: string;
  title: string;
  status: AssetStatus;
  error: string | null;
  qc_status: QcStatus;
  qc_by: string | null;
  qc_by_username: string | null;
  qc_reason: string | null;
  qc_at: Date | null;
  technical: TechnicalMetadata | null;
  frame_rate_num: number | null;
  frame_rate_den: number | null;
  duration_frames: number | null;
  start_timecode: string | null;
  drop_frame: boolean;
  metadata: Record<string, unknown>;
  analysis: Record<string, unknown>;
  project_id: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  deleted_by: string | null;
}

const ASSET_COLUMNS = `a.id, a.title, a.status, a.error, a.qc_status, a.qc_by, qu.username AS qc_by_username, a.qc_reason,
  a.qc_at, a.technical, a.frame_rate_num, a.frame_rate_den, a.duration_frames, a.start_timecode, a.drop_frame,
  a.metadata, a.analysis, a.project_id, a.created_by, a.created_at, a.updated_at, a.deleted_at, a.deleted_by`;
/** A soft-deleted asset is out of every read people make; only ingest and the sweep see it. */
const LIVE = 'a.deleted_at IS NULL';

/** An asset with its deletion, for the trash, restore and the writes of ingest. */
export interface AssetRecord {
  asset: Asset;
  deletedAt: Date | null;
  deletedBy: string | null;
}
const toRecord = (r: AssetRow): AssetRecord => ({
  asset: toAsset(r),
  deletedAt: r.deleted_at === null ? null : new Date(r.deleted_at),
  deletedBy: r.deleted_by,
});
const ASSET_FROM = 'assets a LEFT JOIN users qu ON qu.id = a.qc_by';

const toAsset = (r: AssetRow): Asset => ({
  id: r.id,
  title: r.title,
  status: r.status,
  error: r.error,
  qc: {
    status: r.qc_status,
    by: r.qc_by && r.qc_by_username ? { id: r.qc_by, username: r.qc_by_username } : null,
    reason: r.qc_reason,
    at: iso(r.qc_at),
  },
  technical: r.technical,
  frameRate: r.frame_rate_num && r.frame_rate_den ? { num: r.frame_rate_num, den: r.frame_rate_den } : null,
  durationFrames: r.duration_frames,
  startTimecode: r.start_timecode,
  dropFrame: r.drop_frame,
  metadata: r.metadata,
  analysis: r.analysis,
  projectId: r.project_id,
  createdBy: r.created_by,
  createdAt: isoRequired(r.created_at),
  updatedAt: isoRequired(r.updated_at),
});

export interface FileRecord {
  id: string;
  shapeId: string;
  storage: string;
  key: string;
  size: number;
  checksum: string | null;
  mimeType: string;
  /** An imported object: it was in the storage before the asset, and purge leaves it there. */
  external?: boolean;
}
export interface ShapeRecord {
  id: string;
  type: ShapeType;
  track: number | null;
  label: string | null;
  metadata: Record<string, unknown>;
  files: FileRecord[];
}

interface ShapeFileRow {
  shape_id: string;
  type: ShapeType;
  track: number | null;
  label: string | null;
  metadata: Record<string, unknown>;
  file_id: string | null;
  storage: string | null;
  key: string | null;
  size: number | null;
  checksum: string | null;
  mime_type: string | null;
  external: boolean | null;
}

const SORT_COLUMNS = { createdAt: 'a.created_at', updatedAt: 'a.updated_at', title: 'a.title' } as const;
type AssetSortKey = keyof typeof SORT_COLUMNS;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opaque page cursor: the sort it belongs to, and the sort value and id of the last row seen. */
function encodeCursor(sort: AssetSortKey, value: string, id: string): string {
  return Buffer.from(JSON.stringify([sort, value, id])).toString('base64url');
}

/**
 * A cursor comes from the client: it is checked against the sort it is used with (a title is
 * text, a date an ISO timestamp, the id a UUID) so that a forged one is a 400, never a SQL error.
 */
function decodeCursor(cursor: string, sort: AssetSortKey): [string, string] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 3) {
    const [cursorSort, value, id] = parsed as unknown[];
    if (
      cursorSort === sort &&
      typeof value === 'string' &&
      typeof id === 'string' &&
      UUID.test(id) &&
      (sort === 'title' || (/^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))))
    )
      return [value, id];
  }
  throw badRequest('cursor is not one this API returned for this sort', 'cursor');
}

/** Prefix search on every word: "intervi fin" finds "Interview final". */
export function toPrefixQuery(q: string): string | undefined {
  const words = q.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  return words ? words.map((w) => `${w}:*`).join(' & ') : undefined;
}

export class AssetsRepository {
  constructor(private readonly db: Queryable) {}

  async create(a: {
    id: string;
    title: string;
    projectId: string;
    createdBy: string | null;
    videoAnalyses?: readonly string[];
  }): Promise<Asset> {
    await this.db.query(
      'INSERT INTO assets (id, title, project_id, created_by, video_analyses) VALUES ($1, $2, $3, $4, $5::text[])',
      [a.id, a.title, a.projectId, a.createdBy, a.videoAnalyses ? [...a.videoAnalyses] : null],
    );
    return (await this.byId(a.id)) as Asset;
  }

  /** The video analyses the asset asked for at upload or import; null: the deployment's. */
  async videoAnalyses(id: string): Promise<string[] | null> {
    const [row] = await this.db.query<{ video_analyses: string[] | null }>(
      'SELECT video_analyses FROM assets WHERE id = $1',
      [id],
    );
    return row?.video_analyses ?? null;
  }

  /** A live asset; `forUpdate` locks the row until the transaction ends. */
  async byId(id: string, options: { forUpdate?: boolean } = {}): Promise<Asset | undefined> {
    return (await this.record(id, options))?.asset;
  }

  /** A live asset, or any with `includeDeleted`; `forUpdate` locks its row. */
  async record(
    id: string,
    options: { forUpdate?: boolean; includeDeleted?: boolean } = {},
  ): Promise<AssetRecord | undefined> {
    const [row] = await this.db.query<AssetRow>(
      `SELECT ${ASSET_COLUMNS} FROM ${ASSET_FROM} WHERE a.id = $1${options.includeDeleted ? '' : ` AND ${LIVE}`}
       ${options.forUpdate ? ' FOR UPDATE OF a' : ''}`,
      [id],
    );
    return row && toRecord(row);
  }

  /** The trash: deleted assets (of these projects; all when undefined), most recently deleted first. */
  async deleted(limit: number, projectIds?: readonly string[]): Promise<AssetRecord[]> {
    const rows = await this.db.query<AssetRow>(
      `SELECT ${ASSET_COLUMNS} FROM ${ASSET_FROM} WHERE a.deleted_at IS NOT NULL
         ${projectIds ? 'AND a.project_id = ANY($2::uuid[])' : ''}
       ORDER BY a.deleted_at DESC, a.id LIMIT $1`,
      projectIds ? [limit, projectIds] : [limit],
    );
    return rows.map(toRecord);
  }

  /** Marks a live asset deleted; false when there is no live asset with this id. */
  async softDelete(id: string, at: Date, by: string | null): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE assets SET deleted_at = $2, deleted_by = $3 WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
      [id, at, by],
    );
    return rows.length > 0;
  }

  /** Brings a deleted asset back; false when it is not deleted (or not there). */
  async restore(id: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE assets SET deleted_at = NULL, deleted_by = NULL,
         updated_at = date_trunc('milliseconds', clock_timestamp())
       WHERE id = $1 AND deleted_at IS NOT NULL RETURNING id`,
      [id],
    );
    return rows.length > 0;
  }

  /**
   * One asset deleted at or before `cutoff`, locked for its purge; others purging at the same
   * time skip it. An asset with a job still running waits for the next sweep (its worker may
   * still write files; the lease expires and the job is not leased again).
   */
  async nextExpired(cutoff: Date): Promise<string | undefined> {
    const [row] = await this.db.query<{ id: string }>(
      `SELECT a.id FROM assets a WHERE a.deleted_at IS NOT NULL AND a.deleted_at <= $1
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.asset_id = a.id AND j.status = 'running')
       ORDER BY a.deleted_at, a.id LIMIT 1 FOR UPDATE OF a SKIP LOCKED`,
      [cutoff],
    );
    return row?.id;
  }

  /** A page of live assets; only those of `projectIds` when given. */
  async list(
    query: ListAssetsQuery,
    projectIds?: readonly string[],
  ): Promise<{ items: Asset[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const sort = query.sort ?? 'createdAt';
    const order = query.order ?? 'desc';
    const column = SORT_COLUMNS[sort];
    const where: string[] = [LIVE];
    const params: unknown[] = [];
    const param = (v: unknown) => `$${params.push(v)}`;
    if (projectIds) where.push(`a.project_id = ANY(${param(projectIds)}::uuid[])`);
    if (query.projectId) where.push(`a.project_id = ${param(query.projectId)}::uuid`);
    if (query.status) where.push(`a.status = ${param(query.status)}`);
    if (query.qcStatus) where.push(`a.qc_status = ${param(query.qcStatus)}`);
    if (query.createdSince) where.push(`a.created_at >= ${param(query.createdSince)}::timestamptz`);
    if (query.q !== undefined) {
      const tsquery = toPrefixQuery(query.q);
      if (!tsquery) throw badRequest('q must contain a letter or digit', 'q');
      where.push(`a.search @@ to_tsquery('simple', ${param(tsquery)})`);
    }
    if (query.cursor) {
      const [value, id] = decodeCursor(query.cursor, sort);
      const cast = sort === 'title' ? 'text' : 'timestamptz';
      where.push(
        `(${column}, a.id) ${order === 'desc' ? '<' : '>'} (${param(value)}::${cast}, ${param(id)}::uuid)`,
      );
    }
    const rows = await this.db.query<AssetRow>(
      `SELECT ${ASSET_COLUMNS} FROM ${ASSET_FROM}
       WHERE ${where.join(' AND ')}
       ORDER BY ${column} ${order}, a.id ${order} LIMIT ${param(limit + 1)}`,
      params,
    );
    const items = rows.slice(0, limit).map(toAsset);
    const last = items.at(-1);
    const nextCursor =
      rows.length > limit && last
        ? encodeCursor(sort, sort === 'title' ? last.title : last[sort], last.id)
        : null;
    return { items, nextCursor };
  }

  async update(id: string, patch: { title?: string; metadata?: Record<string, unknown> }): Promise<void> {
    await this.db.query(
      `UPDATE assets SET title = coalesce($2, title), metadata = coalesce($3::jsonb, metadata),
         updated_at = date_trunc('milliseconds', clock_timestamp()) WHERE id = $1`,
      [id, patch.title ?? null, patch.metadata ? JSON.stringify(patch.metadata) : null],
    );
  }

  async setQc(id: string, status: QcStatus, by: string, reason: string | null): Promise<void> {
    await this.db.query(
      `UPDATE assets SET qc_status = $2, qc_by = $3, qc_reason = $4, qc_at = date_trunc('milliseconds', clock_timestamp()),
         updated_at = date_trunc('milliseconds', clock_timestamp()) WHERE id = $1`,
      [id, status, by, reason],
    );
  }

  async setStatus(id: string, status: AssetStatus, error: string | null): Promise<void> {
    await this.db.query(
      `UPDATE assets SET status = $2, error = $3, updated_at = date_trunc('milliseconds', clock_timestamp()) WHERE id = $1`,
      [id, status, error],
    );
  }

  async setTechnical(
    id: string,
    t: {
      technical: TechnicalMetadata;
      frameRate: { num: number; den: number } | null;
      durationFrames: number | null;
      startTimecode: string | null;
      dropFrame: boolean;
    },
  ): Promise<void> {
    await this.db.query(
      `UPDATE assets SET technical = $2, frame_rate_num = $3, frame_rate_den = $4, duration_frames = $5,
         start_timecode = $6, drop_frame = $7, updated_at = date_trunc('milliseconds', clock_timestamp()) WHERE id = $1`,
      [
        id,
        JSON.stringify(t.technical),
        t.frameRate?.num ?? null,
        t.frameRate?.den ?? null,
        t.durationFrames,
        t.startTimecode,
        t.dropFrame,
      ],
    );
  }

  /** Stores what an automatic step found (loudness, QC summary), under the step's name. */
  async setAnalysis(id: string, step: string, value: Record<string, unknown>): Promise<void> {
    await this.db.query(
      `UPDATE assets SET analysis = analysis || jsonb_build_object($2::text, $3::jsonb),
         updated_at = date_trunc('milliseconds', clock_timestamp()) WHERE id = $1`,
      [id, step, JSON.stringify(value)],
    );
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM assets WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  async shapes(assetId: string): Promise<ShapeRecord[]> {
    const rows = await this.db.query<ShapeFileRow>(
      `SELECT s.id AS shape_id, s.type, s.track, s.label, s.metadata,
              f.id AS file_id, f.storage, f.key, f.size::float8 AS size, f.checksum, f.mime_type, f.external
       FROM shapes s LEFT JOIN files f ON f.shape_id = s.id
       WHERE s.asset_id = $1 ORDER BY s.created_at, s.type, s.track, f.key`,
      [assetId],
    );
    const shapes = new Map<string, ShapeRecord>();
    for (const r of rows) {
      let shape = shapes.get(r.shape_id);
      if (!shape) {
        shape = {
          id: r.shape_id,
          type: r.type,
          track: r.track,
          label: r.label,
          metadata: r.metadata,
          files: [],
        };
        shapes.set(r.shape_id, shape);
      }
      if (r.file_id && r.storage && r.key && r.mime_type) {
        shape.files.push({
          id: r.file_id,
          shapeId: r.shape_id,
          storage: r.storage,
          key: r.key,
          size: Number(r.size),
          checksum: r.checksum,
          mimeType: r.mime_type,
          external: r.external === true,
        });
      }
    }
    return [...shapes.values()];
  }

  /** Adds a shape, replacing one of the same type and track (a retried job overwrites). */
  async putShape(
    assetId: string,
    storage: string,
    shape: OutputShape,
    options: { external?: boolean } = {},
  ): Promise<void> {
    await this.db.query('DELETE FROM shapes WHERE asset_id = $1 AND type = $2 AND coalesce(track, 0) = $3', [
      assetId,
      shape.type,
      shape.track ?? 0,
    ]);
    const [row] = await this.db.query<{ id: string }>(
      'INSERT INTO shapes (asset_id, type, track, label, metadata) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [assetId, shape.type, shape.track ?? null, shape.label ?? null, JSON.stringify(shape.metadata ?? {})],
    );
    for (const f of shape.files) {
      await this.db.query(
        'INSERT INTO files (shape_id, storage, key, size, checksum, mime_type, external) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [
          (row as { id: string }).id,
          storage,
          f.key,
          f.size,
          f.checksum ?? null,
          f.mimeType,
          options.external ?? false,
        ],
      );
    }
  }

  /**
   * Adds a shape next to those of the same type (subtitles: one per file attached), with its
   * files; returns nothing, the caller chose the id.
   */
  async addShape(assetId: string, storage: string, id: string, shape: OutputShape): Promise<void> {
    await this.db.query(
      'INSERT INTO shapes (id, asset_id, type, track, label, metadata) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        id,
        assetId,
        shape.type,
        shape.track ?? null,
        shape.label ?? null,
        JSON.stringify(shape.metadata ?? {}),
      ],
    );
    for (const f of shape.files) {
      await this.db.query(
        'INSERT INTO files (shape_id, storage, key, size, checksum, mime_type) VALUES ($1, $2, $3, $4, $5, $6)',
        [id, storage, f.key, f.size, f.checksum ?? null, f.mimeType],
      );
    }
  }

  /** Removes a shape of this type and its file rows; returns the keys its files had, or undefined. */
  async deleteShape(assetId: string, id: string, type: ShapeType): Promise<string[] | undefined> {
    const files = await this.db.query<{ key: string | null }>(
      `SELECT f.key FROM shapes s LEFT JOIN files f ON f.shape_id = s.id
       WHERE s.asset_id = $1 AND s.id = $2 AND s.type = $3`,
      [assetId, id, type],
    );
    if (!files.length) return undefined;
    await this.db.query('DELETE FROM shapes WHERE asset_id = $1 AND id = $2', [assetId, id]);
    return files.flatMap((f) => (f.key ? [f.key] : []));
  }

  async fileById(id: string): Promise<(FileRecord & { assetId: string }) | undefined> {
    const [r] = await this.db.query<{
      id: string;
      shape_id: string;
      asset_id: string;
      storage: string;
      key: string;
      size: number;
      checksum: string | null;
      mime_type: string;
      external: boolean;
    }>(
      `SELECT f.id, f.shape_id, s.asset_id, f.storage, f.key, f.size::float8 AS size, f.checksum, f.mime_type, f.external
       FROM files f JOIN shapes s ON s.id = f.shape_id JOIN assets a ON a.id = s.asset_id
       WHERE f.id = $1 AND ${LIVE}`,
      [id],
    );
    return (
      r && {
        id: r.id,
        shapeId: r.shape_id,
        assetId: r.asset_id,
        storage: r.storage,
        key: r.key,
        size: Number(r.size),
        checksum: r.checksum,
        mimeType: r.mime_type,
        external: r.external,
      }
    );
  }
}
