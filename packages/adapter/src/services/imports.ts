import {
  badRequest,
  type CreateImportBody,
  type ImportRecord,
  notFound,
  programmeTypeOfName,
  storableMediaType,
  type VideoAnalysis,
} from '@frameproof/core';
import { checkKey, type Storage, StorageKeyError } from '@frameproof/storage';
import type { Database } from '../db/database.js';
import { ImportsRepository } from '../repositories/imports.js';
import type { AssetService } from './assets.js';

/** Where Frameproof keeps what it writes itself; nothing there is imported. */
const OWN_AREAS = ['assets/', 'uploads/'];

/** A key or prefix from the client: a relative storage key outside our own areas. */
function checkSourceKey(key: string, field: string): string {
  const trimmed = key.replace(/\/+$/, '');
  try {
    checkKey(trimmed);
  } catch (err) {
    if (err instanceof StorageKeyError) throw badRequest(`${field}: "${key}" is not a storage key`, field);
    throw err;
  }
  if (OWN_AREAS.some((area) => `${trimmed}/`.startsWith(area)))
    throw badRequest(`${field}: "${key}" is in Frameproof's own area (${OWN_AREAS.join(', ')})`, field);
  return trimmed;
}

const fileNameOf = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/** An import that has not moved for this long is taken for cut off (its adapter stopped). */
export const IMPORT_STALLED_MS = 15 * 60_000;

/**
 * Imports: objects already in the storage become assets without being copied. The asset's
 * original file names the object where it is and is marked external, so purging the asset
 * leaves the object; everything ingest makes goes under the asset's keys as usual. An import runs
 * in the background, one asset (one transaction) per object; its record counts what is done.
 */
export class ImportService {
  private readonly running = new Set<Promise<void>>();
  /** The imports this adapter runs: never taken for cut off. */
  private readonly ids = new Set<string>();
  private stopping = false;
  constructor(
    private readonly db: Database,
    private readonly storage: Storage,
    private readonly assets: AssetService,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  private get repo() {
    return new ImportsRepository(this.db);
  }

  /** Checks the request, records the import and starts it; answers the record as it starts. */
  /** Imports into `projectId` (the caller checked they may add to it). */
  async start(userId: string, projectId: string, body: CreateImportBody): Promise<ImportRecord> {
    let keys: { key: string; size: number }[] | undefined;
    let prefix: string | undefined;
    if ('keys' in body) {
      const checked = body.keys.map((k, i) => checkSourceKey(k, `keys[${i}]`));
      keys = [];
      const missing: string[] = [];
      for (const key of checked) {
        const stat = await this.storage.stat(key);
        if (stat) keys.push({ key, size: stat.size });
        else missing.push(key);
      }
      if (missing.length)
        throw badRequest(
          `no object at ${missing
            .slice(0, 10)
            .map((k) => `"${k}"`)
            .join(', ')}`,
          'keys',
        );
    } else {
      prefix = checkSourceKey(body.prefix, 'prefix');
    }
    const id = await this.repo.create(userId, prefix === undefined ? 'keys' : `${prefix}/`);
    const run = this.run(id, userId, projectId, keys, prefix, body.videoAnalyses)
      .catch(async (err: unknown) => {
        this.onError(err);
        await this.repo.finish(id, 'failed', 0, 0, err instanceof Error ? err.message : String(err));
      })
      .catch(this.onError)
      .finally(() => {
        this.running.delete(run);
        this.ids.delete(id);
      });
    this.running.add(run);
    this.ids.add(id);
    return (await this.repo.byId(id)) as ImportRecord;
  }

  /** An import, to who started it and to admins; anyone else is told it does not exist. */
  async get(id: string, caller: { userId: string; role: string }): Promise<ImportRecord> {
    const record = await this.repo.byId(id, caller.role === 'admin' ? undefined : caller.userId);
    if (!record) throw notFound('import');
    return record;
  }

  /**
   * Fails the imports left running by an adapter that stopped without finishing them (a crash, a
   * killed task): those that have not moved for IMPORT_STALLED_MS. What they imported stays;
   * importing again skips it. Returns their ids.
   */
  sweepStalled(now: Date = new Date()): Promise<string[]> {
    const since = new Date(now.getTime() - IMPORT_STALLED_MS);
    return this.repo.failStalled(
      since,
      [...this.ids],
      `the import stopped: nothing moved since ${since.toISOString()} (its adapter stopped); import again to take the rest (what is done is skipped)`,
    );
  }

  /** Waits for the imports this instance runs. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }

  /** Shutdown: running imports stop after the object at hand, marked failed (run again, they skip what is done). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }

  private async run(
    id: string,
    userId: string,
    projectId: string,
    keys: { key: string; size: number }[] | undefined,
    prefix: string | undefined,
    videoAnalyses: VideoAnalysis[] | undefined,
  ): Promise<void> {
    let position = 0;
    let skipped = 0;
    const take = async (key: string, size: number, mimeType: string) => {
      if (this.stopping)
        throw new Error('the adapter stopped; import again to take the rest (what is done is skipped)');
      const existing = await this.repo.assetWithOriginal(key);
      if (existing) {
        await this.repo.addItem(id, position++, key, existing, `already the original of asset ${existing}`);
        return;
      }
      try {
        const asset = await this.assets.ingest({
          fileName: fileNameOf(key),
          mimeType,
          userId,
          videoAnalyses,
          projectId,
          body: { storedKey: key, size, external: true },
        });
        await this.repo.addItem(id, position++, key, asset.id, null);
      } catch (err) {
        await this.repo.addItem(id, position++, key, null, err instanceof Error ? err.message : String(err));
      }
    };
    if (keys) {
      await this.repo.setTotal(id, keys.length, 0);
      for (const { key, size } of keys)
        await take(
          key,
          size,
          storableMediaType(programmeTypeOfName(key) ?? (await this.storage.stat(key))?.contentType),
        );
    } else if (prefix !== undefined) {
      const found: { key: string; size: number; type: string }[] = [];
      for await (const page of this.storage.list(prefix)) {
        await this.repo.touch(id);
        for (const entry of page) {
          const type = programmeTypeOfName(entry.key);
          if (!type) skipped++;
          else found.push({ ...entry, type });
        }
      }
      await this.repo.setTotal(id, found.length, skipped);
      for (const entry of found) await take(entry.key, entry.size, entry.type);
    }
    await this.repo.finish(id, 'completed', position, skipped, null);
  }
}
