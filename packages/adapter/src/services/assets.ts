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
} from '@frameproof/core';
import type { Storage } from '@frameproof/storage';
import type { Database } from '../db/database.js';
import { notFound } from '@frameproof/core';
import { AssetsRepository } from '../repositories/assets.js';
import { type Changes, inTransaction } from './changes.js';
import type { EventBus } from './event-bus.js';
import type { MediaUrls } from './media-urls.js';

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

export class AssetService {
  constructor(
    private readonly db: Database,
    private readonly storage: Storage,
    private readonly urls: MediaUrls,
    private readonly events: EventBus,
    private readonly startIngest: StartIngest,
  ) {}

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
    /** Bytes to store now, or the key of bytes already stored (a finished tus upload). */
    body: Readable | { storedKey: string };
    /** Runs once the bytes are stored, before any row is written; throw to refuse. */
    afterStore?: () => void;
    id?: string;
  }): Promise<Asset> {
    const id = input.id ?? randomUUID();
    // The uploader's claim is only a hint: a type off the media list is stored as octet-stream.
    input = { ...input, mimeType: storableMediaType(input.mimeType) };
    const key = assetKeys(id).original(safeFileName(input.fileName));
    let stored = false;
    try {
      let size: number;
      if ('storedKey' in input.body) {
        size = (await this.storage.stat(input.body.storedKey))?.size ?? 0;
      } else {
        stored = true;
        size = (await this.storage.put(key, input.body, input.mimeType)).size;
      }
      input.afterStore?.();
      const sourceKey = 'storedKey' in input.body ? input.body.storedKey : key;
      const asset = await inTransaction(this.db, this.events, async (changes) => {
        const assets = new AssetsRepository(changes.tx);
        await assets.create({
          id,
          title: input.title?.trim() || titleFromFileName(input.fileName),
          createdBy: input.userId,
        });
        await assets.putShape(id, this.storage.kind, {
          type: 'original',
          label: input.fileName.slice(0, 500),
          files: [{ key: sourceKey, size, mimeType: input.mimeType }],
        });
        changes.announce({ type: 'asset.created', assetId: id, id });
        await this.startIngest(changes, id, { key: sourceKey, mimeType: input.mimeType });
        return (await assets.byId(id)) as Asset;
      });
      return asset;
    } catch (err) {
      if (stored) await this.storage.delete(key).catch(() => undefined);
      throw err;
    }
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
          files: await Promise.all(
            s.files.map(async (f) => ({
              id: f.id,
              storage: f.storage,
              key: f.key,
              size: f.size,
              checksum: f.checksum,
              mimeType: f.mimeType,
              url: await this.urls.url(f, origin),
            })),
          ),
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

  list(query: ListAssetsQuery) {
    return this.repo.list(query);
  }

  async update(id: string, body: UpdateAssetBody): Promise<Asset> {
    await this.exists(id);
    await this.repo.update(id, body);
    this.events.publish({ type: 'asset.updated', assetId: id, id });
    return this.exists(id);
  }

  async setQc(id: string, body: QcBody, userId: string): Promise<Asset> {
    await this.exists(id);
    await this.repo.setQc(id, body.status, userId, body.reason ?? null);
    this.events.publish({ type: 'asset.updated', assetId: id, id, data: { qcStatus: body.status } });
    return this.exists(id);
  }

  async delete(id: string): Promise<void> {
    const shapes = await this.repo.shapes(id);
    if (!(await this.repo.delete(id))) throw notFound('asset');
    // Everything we write for an asset sits under its prefix; tus uploads may sit elsewhere.
    const keys = assetKeys(id);
    await this.storage.deletePrefix(keys.prefix);
    for (const f of shapes.flatMap((s) => s.files)) {
      if (!keys.owns(f.key)) await this.storage.delete(f.key).catch(() => undefined);
    }
    this.events.publish({ type: 'asset.deleted', assetId: id, id });
  }

  // Writes inside a larger transaction (ingest's steps); each announces `asset.updated`.

  /** Reads the asset and locks its row until the transaction ends. */
  lock(changes: Changes, id: string): Promise<Asset | undefined> {
    return new AssetsRepository(changes.tx).byId(id, { forUpdate: true });
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
