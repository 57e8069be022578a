import type { UploadedPart } from '@frameproof/core';
import type { Queryable } from '../db/database.js';
import { isoRequired } from './rows.js';

/** A multipart upload a client sends straight to the storage, as the adapter recorded it. */
export interface DirectUploadRecord {
  id: string;
  userId: string;
  /** The project the asset goes to. */
  projectId: string;
  /** The id the asset gets: its original is uploaded under this asset's keys. */
  assetId: string;
  storageUploadId: string;
  key: string;
  fileName: string;
  title: string | null;
  /** The video analyses the upload asked for; null: the deployment's. */
  videoAnalyses: string[] | null;
  mimeType: string;
  size: number;
  partSize: number;
  partCount: number;
  /** Set once CompleteMultipartUpload succeeded: the object exists, only the asset is left to make. */
  assembledAt: string | null;
  createdAt: string;
  expiresAt: string;
}

export interface PartRecord {
  partNumber: number;
  etag: string | null;
}

interface UploadRow {
  id: string;
  user_id: string;
  project_id: string;
  asset_id: string;
  storage_upload_id: string;
  key: string;
  file_name: string;
  title: string | null;
  video_analyses: string[] | null;
  mime_type: string;
  size: number;
  part_size: number;
  part_count: number;
  assembled_at: Date | null;
  created_at: Date;
  expires_at: Date;
}

const COLUMNS = `id, user_id, project_id, asset_id, storage_upload_id, key, file_name, title, video_analyses, mime_type, size::float8 AS size,
  part_size::float8 AS part_size, part_count, assembled_at, created_at, expires_at`;

const toRecord = (r: UploadRow): DirectUploadRecord => ({
  id: r.id,
  userId: r.user_id,
  projectId: r.project_id,
  assetId: r.asset_id,
  storageUploadId: r.storage_upload_id,
  key: r.key,
  fileName: r.file_name,
  title: r.title,
  videoAnalyses: r.video_analyses,
  mimeType: r.mime_type,
  size: Number(r.size),
  partSize: Number(r.part_size),
  partCount: r.part_count,
  assembledAt: r.assembled_at ? isoRequired(r.assembled_at) : null,
  createdAt: isoRequired(r.created_at),
  expiresAt: isoRequired(r.expires_at),
});

/** SQL for direct uploads and their parts. */
export class DirectUploadsRepository {
  constructor(private readonly db: Queryable) {}

  async create(u: Omit<DirectUploadRecord, 'assembledAt' | 'createdAt'>): Promise<void> {
    await this.db.query(
      `INSERT INTO direct_uploads (id, user_id, asset_id, storage_upload_id, key, file_name, title, mime_type,
         size, part_size, part_count, expires_at, video_analyses, project_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::text[], $14)`,
      [
        u.id,
        u.userId,
        u.assetId,
        u.storageUploadId,
        u.key,
        u.fileName,
        u.title,
        u.mimeType,
        u.size,
        u.partSize,
        u.partCount,
        u.expiresAt,
        u.videoAnalyses,
        u.projectId,
      ],
    );
  }

  /** The upload, locked until the transaction ends when `forUpdate`. */
  async byId(id: string, options: { forUpdate?: boolean } = {}): Promise<DirectUploadRecord | undefined> {
    const [row] = await this.db.query<UploadRow>(
      `SELECT ${COLUMNS} FROM direct_uploads WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return row && toRecord(row);
  }

  async parts(id: string): Promise<PartRecord[]> {
    const rows = await this.db.query<{ part_number: number; etag: string | null }>(
      'SELECT part_number, etag FROM direct_upload_parts WHERE upload_id = $1 ORDER BY part_number',
      [id],
    );
    return rows.map((r) => ({ partNumber: r.part_number, etag: r.etag }));
  }

  /** Records that these parts were signed; a part signed again keeps its reported ETag. */
  async signed(id: string, partNumbers: readonly number[]): Promise<void> {
    await this.db.query(
      `INSERT INTO direct_upload_parts (upload_id, part_number)
       SELECT $1, n FROM unnest($2::int[]) AS n
       ON CONFLICT (upload_id, part_number) DO UPDATE SET signed_at = EXCLUDED.signed_at`,
      [id, partNumbers],
    );
  }

  /** Records a part's ETag; false when the part was never signed. */
  async reported(id: string, part: UploadedPart): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE direct_upload_parts SET etag = $3, reported_at = date_trunc('milliseconds', clock_timestamp())
       WHERE upload_id = $1 AND part_number = $2 RETURNING part_number`,
      [id, part.partNumber, part.etag],
    );
    return rows.length > 0;
  }

  async assembled(id: string): Promise<void> {
    await this.db.query(
      `UPDATE direct_uploads SET assembled_at = date_trunc('milliseconds', clock_timestamp()) WHERE id = $1`,
      [id],
    );
  }

  async delete(id: string): Promise<void> {
    await this.db.query('DELETE FROM direct_uploads WHERE id = $1', [id]);
  }

  /** Unassembled uploads that expired by `now`, oldest first, locked and skipped by other sweepers. */
  async expired(now: Date, limit: number): Promise<DirectUploadRecord[]> {
    const rows = await this.db.query<UploadRow>(
      `SELECT ${COLUMNS} FROM direct_uploads WHERE expires_at <= $1 AND assembled_at IS NULL
       ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    return rows.map(toRecord);
  }
}
