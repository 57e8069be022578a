import { randomUUID } from 'node:crypto';
import {
  type Asset,
  assetKeys,
  badRequest,
  conflict,
  type CreateDirectUploadBody,
  type DirectUpload,
  HttpError,
  normalizeEtag,
  notFound,
  planParts,
  type SignedParts,
  storableMediaType,
  type UploadedPart,
  type VideoAnalysis,
} from '@frameproof/core';
import type { DirectUploads, Storage } from '@frameproof/storage';
import type { Database } from '../db/database.js';
import {
  type DirectUploadRecord,
  DirectUploadsRepository,
  type PartRecord,
} from '../repositories/direct-uploads.js';
import { type AssetService, safeFileName } from './assets.js';

export interface DirectUploadOptions {
  /** UPLOAD_MAX_BYTES: larger files are refused (413). */
  maxBytes: number;
  /** UPLOAD_EXPIRY_SECONDS: an unfinished upload is aborted this long after it began. */
  expirySeconds: number;
  /** How long a presigned part URL lasts. */
  partUrlSeconds: number;
  now?: () => Date;
  /** Told when the storage could not abort an upload (the bucket's lifecycle rule is then the backstop). */
  onAbortError?: (err: unknown, upload: DirectUploadRecord) => void;
}

/** The storage's error name, from the AWS SDK's error shape. */
const errorName = (err: unknown) => (err && typeof err === 'object' && 'name' in err ? String(err.name) : '');

/**
 * Uploads browsers send straight to the storage (S3 multipart). The adapter starts the multipart
 * upload under the asset's original key, signs part URLs, records the ETag of each part the
 * client reports, and completes the upload from that record, then creates the asset and queues
 * ingest as a finished tus upload does. Only the uploader reaches an upload: to anyone else it
 * does not exist (404).
 */
export class DirectUploadService {
  private readonly now: () => Date;
  constructor(
    private readonly db: Database,
    private readonly storage: Storage,
    private readonly assets: AssetService,
    private readonly options: DirectUploadOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Whether clients can upload straight to this storage (S3); otherwise they use tus. */
  get available(): boolean {
    return this.storage.directUploads !== undefined;
  }

  private get target(): DirectUploads {
    const target = this.storage.directUploads;
    if (!target)
      throw new HttpError(409, 'this storage takes no direct uploads; upload with tus at /api/uploads');
    return target;
  }

  /** Starts an upload into `projectId` (the caller checked the uploader may add to it). */
  async create(userId: string, projectId: string, body: CreateDirectUploadBody): Promise<DirectUpload> {
    const target = this.target;
    if (body.size > this.options.maxBytes)
      throw new HttpError(413, `the file is larger than the upload limit of ${this.options.maxBytes} bytes`);
    let plan;
    try {
      plan = planParts(body.size);
    } catch (err) {
      throw badRequest(`size: ${(err as Error).message}`, 'size');
    }
    const assetId = randomUUID();
    const key = assetKeys(assetId).original(safeFileName(body.fileName));
    const mimeType = storableMediaType(body.mimeType ?? '');
    const storageUploadId = await target.create(key, mimeType);
    const record = {
      id: randomUUID(),
      userId,
      projectId,
      assetId,
      storageUploadId,
      key,
      fileName: body.fileName,
      title: body.title?.trim() || null,
      videoAnalyses: body.videoAnalyses ?? null,
      mimeType,
      size: body.size,
      ...plan,
      expiresAt: new Date(this.now().getTime() + this.options.expirySeconds * 1000).toISOString(),
    };
    try {
      await new DirectUploadsRepository(this.db).create(record);
    } catch (err) {
      await target.abort(key, storageUploadId).catch(() => undefined);
      throw err;
    }
    return this.get(userId, record.id);
  }

  /** The upload and the parts reported so far: what a client needs to resume. */
  async get(userId: string, id: string): Promise<DirectUpload> {
    const repo = new DirectUploadsRepository(this.db);
    const upload = this.owned(await repo.byId(id), userId);
    return this.toApi(upload, await repo.parts(id));
  }

  async sign(userId: string, id: string, partNumbers: readonly number[]): Promise<SignedParts> {
    const target = this.target;
    const repo = new DirectUploadsRepository(this.db);
    const upload = this.open(this.owned(await repo.byId(id), userId));
    for (const n of partNumbers) this.checkPart(upload, n, 'partNumbers');
    await repo.signed(id, partNumbers);
    const seconds = this.options.partUrlSeconds;
    const parts = await Promise.all(
      partNumbers.map(async (partNumber) => ({
        partNumber,
        url: await target.partUrl(upload.key, upload.storageUploadId, partNumber, seconds),
      })),
    );
    return { parts, expiresAt: new Date(this.now().getTime() + seconds * 1000).toISOString() };
  }

  async report(userId: string, id: string, part: UploadedPart): Promise<void> {
    await this.db.transaction(async (tx) => {
      const repo = new DirectUploadsRepository(tx);
      const upload = this.open(this.owned(await repo.byId(id, { forUpdate: true }), userId));
      this.checkPart(upload, part.partNumber, 'partNumber');
      if (!(await repo.reported(id, { partNumber: part.partNumber, etag: normalizeEtag(part.etag) })))
        throw conflict(`part ${part.partNumber} was never signed; ask for its URL first`);
    });
  }

  /**
   * Assembles the object from the recorded parts, then creates the asset and queues its ingest.
   * When the client sends its list of parts, it must equal the record. A failure before the
   * object is assembled changes nothing; after it, a retry goes straight to making the asset.
   */
  async complete(userId: string, id: string, claimed?: readonly UploadedPart[]): Promise<Asset> {
    const target = this.target;
    const upload = await this.db.transaction(async (tx) => {
      const repo = new DirectUploadsRepository(tx);
      const upload = this.owned(await repo.byId(id, { forUpdate: true }), userId);
      if (upload.assembledAt) return upload;
      this.open(upload);
      const parts = await repo.parts(id);
      const reported = parts.filter((p): p is PartRecord & { etag: string } => p.etag !== null);
      const missing: number[] = [];
      for (let n = 1, i = 0; n <= upload.partCount; n++) {
        if (reported[i]?.partNumber === n) i++;
        else missing.push(n);
      }
      if (missing.length)
        throw conflict(
          `parts ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''} have not been reported; upload them and report their ETags first`,
        );
      if (claimed) checkClaim(claimed, reported);
      try {
        await target.complete(
          upload.key,
          upload.storageUploadId,
          reported.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
        );
      } catch (err) {
        const name = errorName(err);
        if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall')
          throw conflict(
            `the storage refused the parts (${name}); upload the parts again and report their ETags`,
          );
        if (name === 'NoSuchUpload') throw new HttpError(410, 'the storage no longer has this upload');
        throw err;
      }
      await repo.assembled(id);
      return upload;
    });
    const stored = await this.storage.stat(upload.key);
    if (stored?.size !== upload.size) {
      await this.storage.delete(upload.key).catch(() => undefined);
      await new DirectUploadsRepository(this.db).delete(id);
      throw new HttpError(
        422,
        `the assembled file has ${stored?.size ?? 0} bytes, not the ${upload.size} the upload declared; it was discarded`,
      );
    }
    return this.assets.ingest({
      id: upload.assetId,
      fileName: upload.fileName,
      mimeType: upload.mimeType,
      title: upload.title ?? undefined,
      userId: upload.userId,
      videoAnalyses: (upload.videoAnalyses as VideoAnalysis[] | null) ?? undefined,
      projectId: upload.projectId,
      body: { storedKey: upload.key, size: upload.size },
      within: (changes) => new DirectUploadsRepository(changes.tx).delete(id),
    });
  }

  /** Drops an unfinished upload and its parts. */
  async abort(userId: string, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const repo = new DirectUploadsRepository(tx);
      const upload = this.owned(await repo.byId(id, { forUpdate: true }), userId);
      if (upload.assembledAt) throw conflict('the upload is complete; delete the asset instead');
      await this.abortInStorage(upload);
      await repo.delete(id);
    });
  }

  /** Aborts every unfinished upload that expired by `now`; returns how many. */
  async sweep(now: Date = this.now(), limit = 100): Promise<number> {
    return this.db.transaction(async (tx) => {
      const repo = new DirectUploadsRepository(tx);
      const expired = await repo.expired(now, limit);
      for (const upload of expired) {
        await this.abortInStorage(upload);
        await repo.delete(upload.id);
      }
      return expired.length;
    });
  }

  private async abortInStorage(upload: DirectUploadRecord): Promise<void> {
    const target = this.storage.directUploads;
    if (!target) return;
    try {
      await target.abort(upload.key, upload.storageUploadId);
    } catch (err) {
      // Gone already is what we wanted; anything else the bucket's lifecycle rule
      // (abort incomplete multipart uploads) clears later.
      if (errorName(err) !== 'NoSuchUpload') this.options.onAbortError?.(err, upload);
    }
  }

  private owned(upload: DirectUploadRecord | undefined, userId: string): DirectUploadRecord {
    if (!upload || upload.userId !== userId) throw notFound('upload');
    return upload;
  }

  /** Parts may be signed and reported only while the upload is neither expired nor assembled. */
  private open(upload: DirectUploadRecord): DirectUploadRecord {
    if (upload.assembledAt) throw conflict('the upload is already complete');
    if (new Date(upload.expiresAt) <= this.now()) throw new HttpError(410, 'the upload expired; start again');
    return upload;
  }

  private checkPart(upload: DirectUploadRecord, partNumber: number, field: string): void {
    if (partNumber > upload.partCount)
      throw badRequest(
        `part ${partNumber} is out of range: this upload has parts 1 to ${upload.partCount}`,
        field,
      );
  }

  private toApi(u: DirectUploadRecord, parts: readonly PartRecord[]): DirectUpload {
    return {
      id: u.id,
      fileName: u.fileName,
      title: u.title,
      size: u.size,
      partSize: u.partSize,
      partCount: u.partCount,
      parts: parts.flatMap((p) => (p.etag ? [{ partNumber: p.partNumber, etag: p.etag }] : [])),
      createdAt: u.createdAt,
      expiresAt: u.expiresAt,
    };
  }
}

/** The client's list of parts must be the recorded one: same numbers, same ETags. */
function checkClaim(
  claimed: readonly UploadedPart[],
  recorded: readonly { partNumber: number; etag: string }[],
) {
  const byNumber = new Map(recorded.map((p) => [p.partNumber, p.etag]));
  const seen = new Set<number>();
  for (const p of claimed) {
    const etag = byNumber.get(p.partNumber);
    if (etag === undefined)
      throw conflict(`part ${p.partNumber} is not part of this upload's recorded parts`);
    if (normalizeEtag(p.etag) !== etag)
      throw conflict(`part ${p.partNumber}: the ETag differs from the one reported (${etag})`);
    seen.add(p.partNumber);
  }
  if (seen.size !== recorded.length)
    throw conflict(`the list names ${seen.size} parts; the upload has ${recorded.length}`);
}
