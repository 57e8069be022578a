import type { ImportRecord } from '@frameproof/core';
import type { Queryable } from '../db/database.js';
import { iso, isoRequired } from './rows.js';

interface ImportRow {
  id: string;
  status: ImportRecord['status'];
  source: string;
  total: number | null;
  skipped: number;
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

/** SQL for imports (objects of the storage registered as assets) and their items. */
export class ImportsRepository {
  constructor(private readonly db: Queryable) {}

  async create(createdBy: string, source: string): Promise<string> {
    const [row] = await this.db.query<{ id: string }>(
      'INSERT INTO imports (created_by, source) VALUES ($1, $2) RETURNING id',
      [createdBy, source],
    );
    return (row as { id: string }).id;
  }

  async addItem(
    importId: string,
    position: number,
    key: string,
    assetId: string | null,
    error: string | null,
  ) {
    await this.db.query(
      'INSERT INTO import_items (import_id, position, key, asset_id, error) VALUES ($1, $2, $3, $4, $5)',
      [importId, position, key, assetId, error],
    );
    await this.touch(importId);
  }

  /** Records that an import moved (an item taken, a page of a prefix listed). */
  async touch(id: string) {
    await this.db.query(
      `UPDATE imports SET progress_at = date_trunc('milliseconds', clock_timestamp()) WHERE id = $1`,
      [id],
    );
  }

  /**
   * Fails the imports still running that have not moved since `before` (their adapter stopped
   * without finishing them), except `except` (those this adapter runs); returns their ids.
   */
  async failStalled(before: Date, except: readonly string[], error: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE imports SET status = 'failed', error = $3,
         total = coalesce(total, (SELECT count(*)::int FROM import_items WHERE import_id = imports.id)),
         finished_at = date_trunc('milliseconds', clock_timestamp())
       WHERE status = 'running' AND progress_at < $1 AND NOT (id = ANY($2::uuid[]))
       RETURNING id`,
      [before, except, error],
    );
    return rows.map((r) => r.id);
  }

  async finish(
    id: string,
    status: 'completed' | 'failed',
    total: number,
    skipped: number,
    error: string | null,
  ) {
    await this.db.query(
      `UPDATE imports SET status = $2, total = $3, skipped = $4, error = $5,
         finished_at = date_trunc('milliseconds', clock_timestamp()) WHERE id = $1`,
      [id, status, total, skipped, error],
    );
  }

  async setTotal(id: string, total: number, skipped: number) {
    await this.db.query(
      `UPDATE imports SET total = $2, skipped = $3, progress_at = date_trunc('milliseconds', clock_timestamp())
       WHERE id = $1`,
      [id, total, skipped],
    );
  }

  /** The import; with `startedBy`, only if that user started it. */
  async byId(id: string, startedBy?: string): Promise<ImportRecord | undefined> {
    const [row] = await this.db.query<ImportRow>(
      `SELECT id, status, source, total, skipped, error, created_at, finished_at FROM imports
       WHERE id = $1 AND ($2::uuid IS NULL OR created_by = $2::uuid)`,
      [id, startedBy ?? null],
    );
    if (!row) return undefined;
    const items = await this.db.query<{ key: string; asset_id: string | null; error: string | null }>(
      'SELECT key, asset_id, error FROM import_items WHERE import_id = $1 ORDER BY position',
      [id],
    );
    return {
      id: row.id,
      status: row.status,
      source: row.source,
      total: row.total,
      imported: items.filter((i) => i.asset_id !== null && i.error === null).length,
      failed: items.filter((i) => i.error !== null).length,
      skipped: row.skipped,
      error: row.error,
      items: items.map((i) => ({ key: i.key, assetId: i.asset_id, error: i.error })),
      createdAt: isoRequired(row.created_at),
      finishedAt: iso(row.finished_at),
    };
  }

  /** The live asset whose original is stored at `key`, if any. */
  async assetWithOriginal(key: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ asset_id: string }>(
      `SELECT s.asset_id FROM files f JOIN shapes s ON s.id = f.shape_id JOIN assets a ON a.id = s.asset_id
       WHERE f.key = $1 AND s.type = 'original' AND a.deleted_at IS NULL LIMIT 1`,
      [key],
    );
    return row?.asset_id;
  }
}
