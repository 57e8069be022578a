import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  type Asset,
  type AssetStatus,
  type AssetWithShapes,
  assetKeys,
  type ListAssetsQuery,
  type OutputShape,
  type QcBody,
  storableMediaType,
  type StorageRef,
  type TechnicalMetadata,
  timelineOf,
  type UpdateAssetBody,
  type VideoAnalysis,
} from '@frameproof/core';
import type { Storage } from '@frameproof/storage';
import type { Database } from '../db/database.js';
import { conflict, type DeletedAsset, notFound } from '@frameproof/core';
import { type AssetRecord, AssetsRepository } from '../repositories/assets.js';
import { type Changes, inTransaction } from './changes.js';
import type { EventBus } from './event-bus.js';
import type { MediaUrls } from './media-urls.js';
import { type Actor, audit } from './audit.js';

/** Queues the first ingest steps of a new original, in the transaction that creates its asset. */
export type StartIngest = (changes: Changes, assetId: string, source: Required<StorageRef>) => Promise<void>;

/** A file name safe to use in a storage key: no path, no shell or control characters. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '_')
    .replace(/^[.-]+/, '')
    .slice(-120);
  return cleaned || 'original';
}

export const titleFromFileName = (name: string) =>
  (name.split(/[\\/]/).pop() ?? '')
    .replace(/\.[^.]+$/, '')
    .trim()
    .slice(0, 500) || 'Untitled';

const DAY_MS = 86_400_000;

export interface DeletionOptions {
  /** How long a deleted asset stays restorable (ASSET_RETENTION_DAYS). */
  retentionDays: number;
  /** The clock deletions are stamped and the sweep runs by; tests move it. */
  now?: () => Date;
}

export class AssetService {
  private sweepers: NodeJS.Timeout[] = [];
  private readonly now: () => Date;

  constructor(
    private readonly db: Database,
    private readonly storage: Storage,
    private readonly urls: MediaUrls,
    private readonly events: EventBus,
    private readonly startIngest: StartIngest,
    private readonly deletion: DeletionOptions = { retentionDays: 30 },
  ) {
    this.now = deletion.now ?? (() => new Date());
  }

  private get repo() {
    return new AssetsRepository(this.db);
  }

  /**
   * Stores an original and creates its asset, shape and file and queues ingest, all or nothing:
   * the rows are written in one transaction after the bytes are stored, and the bytes are
   * removed if anything fails.
   */
  async ingest(input: {
    fileName: string;
    mimeType: string;
    title?: string;
    userId: string;
    /** The video analyses chosen for this asset (checked against the deployment's); unset: the deployment's. */
    videoAnalyses?: readonly VideoAnalysis[];
    /** The project the asset goes to (the caller checked they may add to it). */
    projectId: string;
    /**
     * Bytes to store now; or the key of bytes already stored (a finished tus upload), moved
     * under the asset; or bytes that stay where they are (`storedKey`: an upload assembled
     * straight at the asset's original key, or an imported object, `external`, which is not
     * ours: purge leaves it).
     */
    body: Readable | { uploadedKey: string } | { storedKey: string; size: number; external?: boolean };
    /** Runs once the bytes are stored, before any row is written; throw to refuse. */
    afterStore?: () => void;
    /** Runs in the transaction that creates the asset (e.g. to drop the upload's record with it). */
    within?: (changes: Changes) => Promise<void>;
    id?: string;
  }): Promise<Asset> {
    const id = input.id ?? randomUUID();
    // The uploader's claim is only a hint: a type off the media list is stored as octet-stream.
    input = { ...input, mimeType: storableMediaType(input.mimeType) };
    if ('storedKey' in input.body) return this.register(id, input, input.body);
    const key = assetKeys(id).original(safeFileName(input.fileName));
    let stored = false;
    const uploaded = 'uploadedKey' in input.body ? input.body.uploadedKey : undefined;
    try {
      let size: number;
      if (uploaded !== undefined) {
        // The upload's key is known to its uploader: the original must not stay there.
        await this.storage.move(uploaded, key);
        stored = true;
        size = (await this.storage.stat(key))?.size ?? 0;
      } else {
        stored = true;
        size = (await this.storage.put(key, input.body as Readable, input.mimeType)).size;
      }
      input.afterStore?.();
      return await this.register(id, input, { storedKey: key, size });
    } catch (err) {
      // A one-shot upload's bytes go; a tus upload's go back where they came from.
      if (stored && uploaded !== undefined) await this.storage.move(key, uploaded).catch(() => undefined);
      else if (stored) await this.storage.delete(key).catch(() => undefined);
      throw err;
    }
  }

  /** Creates the asset, its original's shape and file, and queues ingest, in one transaction. */
  private register(
    id: string,
    input: {
      fileName: string;
      mimeType: string;
      title?: string;
      userId: string;
      videoAnalyses?: readonly VideoAnalysis[];
      projectId: string;
      within?: (changes: Changes) => Promise<void>;
    },
    stored: { storedKey: string; size: number; external?: boolean },
  ): Promise<Asset> {
    return inTransaction(this.db, this.events, async (changes) => {
      const assets = new AssetsRepository(changes.tx);
      await assets.create({
        id,
        title: input.title?.trim() || titleFromFileName(input.fileName),
        projectId: input.projectId,
        createdBy: input.userId,
        videoAnalyses: input.videoAnalyses,
      });
      await assets.putShape(
        id,
        this.storage.kind,
        {
          type: 'original',
          label: input.fileName.slice(0, 500),
          files: [{ key: stored.storedKey, size: stored.size, mimeType: input.mimeType }],
        },
        { external: stored.external ?? false },
      );
      await input.within?.(changes);
      changes.announce({ type: 'asset.created', assetId: id, id });
      await this.startIngest(changes, id, { key: stored.storedKey, mimeType: input.mimeType });
      return (await assets.byId(id)) as Asset;
    });
  }

  async get(id: string, origin = ''): Promise<AssetWithShapes> {
    const asset = await this.repo.byId(id);
    if (!asset) throw notFound('asset');
    const shapes = await this.repo.shapes(id);
    return {
      ...asset,
      shapes: await Promise.all(
        shapes.map(async (s) => ({
          ...s,
          files: await Promise.all(s.files.map((f) => this.urls.view(f, origin))),
        })),
      ),
    };
  }

  async exists(id: string): Promise<Asset> {
    const asset = await this.repo.byId(id);
    if (!asset) throw notFound('asset');
    return asset;
  }

  file(id: string) {
    return this.repo.fileById(id);
  }

  /** A page of live assets; only those of `projectIds` when given (a person's projects). */
  list(query: ListAssetsQuery, projectIds?: readonly string[]) {
    return this.repo.list(query, projectIds);
  }

  async update(id: string, body: UpdateAssetBody): Promise<Asset> {
    await this.exists(id);
    await inTransaction(this.db, this.events, async (changes) => {
      await new AssetsRepository(changes.tx).update(id, body);
      changes.announce({ type: 'asset.updated', assetId: id, id });
    });
    return this.exists(id);
  }

  /** A QC decision, audited (`asset.qc`, before and after) in the transaction that makes it. */
  async setQc(id: string, body: QcBody, actor: Actor): Promise<Asset> {
    return inTransaction(this.db, this.events, async (changes) => {
      const assets = new AssetsRepository(changes.tx);
      const before = (await assets.record(id, { forUpdate: true }))?.asset;
      if (!before) throw notFound('asset');
      const reason = body.reason ?? null;
      await assets.setQc(id, body.status, actor.id, reason);
      await audit.record(changes.tx, {
        actor,
        action: 'asset.qc',
        subject: { type: 'asset', id },
        assetId: id,
        detail: {
          before: { status: before.qc.status, reason: before.qc.reason },
          after: { status: body.status, reason },
        },
      });
      changes.announce({ type: 'asset.updated', assetId: id, id, data: { qcStatus: body.status } });
      return (await assets.byId(id)) as Asset;
    });
  }

  /** Until when an asset deleted at `deletedAt` may be restored; the sweep purges it after. */
  restorableUntil(deletedAt: Date): Date {
    return new Date(deletedAt.getTime() + this.deletion.retentionDays * DAY_MS);
  }

  /**
   * Soft delete: the asset leaves every list and read at once (404), its queued jobs are not
   * leased, and it stays restorable until `restorableUntil`; then the sweep purges it.
   */
  async delete(id: string, by: string | null): Promise<void> {
    const at = this.now();
    await inTransaction(this.db, this.events, async (changes) => {
      if (!(await new AssetsRepository(changes.tx).softDelete(id, at, by))) throw notFound('asset');
      changes.announce({
        type: 'asset.deleted',
        assetId: id,
        id,
        data: { restorableUntil: this.restorableUntil(at).toISOString() },
      });
    });
  }

  /** Brings back a deleted asset that has not been purged; its pending ingest steps go on. */
  async restore(id: string): Promise<Asset> {
    return inTransaction(this.db, this.events, async (changes) => {
      const assets = new AssetsRepository(changes.tx);
      const record = await assets.record(id, { forUpdate: true, includeDeleted: true });
      if (!record) throw notFound('asset');
      if (!record.deletedAt) throw conflict('the asset is not deleted; there is nothing to restore');
      await assets.restore(id);
      changes.announce({ type: 'asset.restored', assetId: id, id });
      // Jobs queued before the deletion were left waiting: wake the workers for them.
      changes.workQueued();
      return (await assets.byId(id)) as Asset;
    });
  }

  /** The trash (of `projectIds` when given), most recently deleted first. */
  async deleted(limit = 50, projectIds?: readonly string[]): Promise<DeletedAsset[]> {
    return (await this.repo.deleted(limit, projectIds)).map((r) => this.toDeleted(r));
  }

  private toDeleted(r: AssetRecord): DeletedAsset {
    const deletedAt = r.deletedAt as Date;
    return {
      ...r.asset,
      deletedAt: deletedAt.toISOString(),
      deletedBy: r.deletedBy,
      restorableUntil: this.restorableUntil(deletedAt).toISOString(),
    };
  }

  /** Hard delete: rows and files go now, for good, whether the asset is live or in the trash. */
  async purge(id: string): Promise<void> {
    const purged = await inTransaction(this.db, this.events, async (changes) => {
      const record = await new AssetsRepository(changes.tx).record(id, {
        forUpdate: true,
        includeDeleted: true,
      });
      if (!record) return false;
      await this.purgeLocked(changes, id);
      return true;
    });
    if (!purged) throw notFound('asset');
  }

  /**
   * Purges every asset deleted longer ago than the retention period, one transaction each, and
   * returns their ids. Several adapter instances may sweep at once: each takes different assets.
   */
  async purgeExpired(limit = 100): Promise<string[]> {
    const cutoff = new Date(this.now().getTime() - this.deletion.retentionDays * DAY_MS);
    const purged: string[] = [];
    while (purged.length < limit) {
      const id = await inTransaction(this.db, this.events, async (changes) => {
        const next = await new AssetsRepository(changes.tx).nextExpired(cutoff);
        if (next) await this.purgeLocked(changes, next);
        return next;
      });
      if (!id) break;
      purged.push(id);
    }
    return purged;
  }

  /**
   * Removes the files of a locked asset, then its rows (shapes, files, markers, comments and
   * jobs go with it). Files first: if storage fails, the rows stay and the next sweep tries
   * again; nobody can restore the asset meanwhile, its row is locked.
   */
  private async purgeLocked(changes: Changes, id: string): Promise<void> {
    const assets = new AssetsRepository(changes.tx);
    const shapes = await assets.shapes(id);
    const projectId = (await assets.record(id, { includeDeleted: true }))?.asset.projectId;
    // Everything we write for an asset sits under its prefix; tus uploads may sit elsewhere.
    // An imported original (external) was there before the asset and stays after it.
    const keys = assetKeys(id);
    await this.storage.deletePrefix(keys.prefix);
    for (const f of shapes.flatMap((s) => s.files)) {
      if (!keys.owns(f.key) && !f.external) await this.storage.delete(f.key);
    }
    await assets.delete(id);
    // The row is gone: the event names the project, so that it reaches the project's members.
    changes.announce({ type: 'asset.deleted', assetId: id, id, data: { purged: true, projectId } });
  }

  /** Sweeps on a timer (every adapter instance; they share the work), and once soon after start. */
  startSweeper(intervalMs = 10 * 60_000, onError: (err: unknown) => void = () => undefined): void {
    const sweep = () => void this.purgeExpired().catch(onError);
    this.sweepers = [setInterval(sweep, intervalMs), setTimeout(sweep, Math.min(intervalMs, 30_000))];
    for (const timer of this.sweepers) timer.unref();
  }
  stopSweeper(): void {
    for (const timer of this.sweepers) clearTimeout(timer);
    this.sweepers = [];
  }

  // Writes inside a larger transaction (ingest's steps); each announces `asset.updated`.

  /**
   * Reads the asset and locks its row until the transaction ends. A deleted asset is read too:
   * a step that finishes while it is in the trash still stores its result, for a restore.
   */
  async lock(changes: Changes, id: string): Promise<Asset | undefined> {
    return (await new AssetsRepository(changes.tx).record(id, { forUpdate: true, includeDeleted: true }))
      ?.asset;
  }

  /** The video analyses the asset asked for at upload or import; undefined: the deployment's. */
  async videoAnalyses(changes: Changes, id: string): Promise<VideoAnalysis[] | undefined> {
    const chosen = await new AssetsRepository(changes.tx).videoAnalyses(id);
    return chosen ? (chosen as VideoAnalysis[]) : undefined;
  }

  /** Where the asset's original is stored. */
  async original(changes: Changes, id: string): Promise<Required<StorageRef> | undefined> {
    const file = (await new AssetsRepository(changes.tx).shapes(id)).find((s) => s.type === 'original')
      ?.files[0];
    return file && { key: file.key, mimeType: file.mimeType };
  }

  /** Stores what the probe found, and the time axis it gives the asset (see `timelineOf`). */
  async setTechnical(changes: Changes, id: string, technical: TechnicalMetadata): Promise<void> {
    await new AssetsRepository(changes.tx).setTechnical(id, { technical, ...timelineOf(technical) });
    changes.announce({ type: 'asset.updated', assetId: id, id });
  }

  /** Adds a shape, replacing one of the same type and track. */
  async putShape(changes: Changes, id: string, shape: OutputShape): Promise<void> {
    await new AssetsRepository(changes.tx).putShape(id, this.storage.kind, shape);
    changes.announce({ type: 'asset.updated', assetId: id, id });
  }

  /** Stores what an automatic step found, under the step's name. */
  async setAnalysis(
    changes: Changes,
    id: string,
    step: string,
    value: Record<string, unknown>,
  ): Promise<void> {
    await new AssetsRepository(changes.tx).setAnalysis(id, step, value);
    changes.announce({ type: 'asset.updated', assetId: id, id });
  }

  async setStatus(changes: Changes, id: string, status: AssetStatus, error: string | null): Promise<void> {
    await new AssetsRepository(changes.tx).setStatus(id, status, error);
    changes.announce({ type: 'asset.updated', assetId: id, id, data: { status } });
  }
}
