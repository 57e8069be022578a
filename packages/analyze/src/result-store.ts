/**
 * Analysis results kept next to the asset in storage (S3 on AWS, a folder locally), under core's
 * key layout (`assets/<id>/analysis/<track>/<version>/`): the peak file and the loudness, levels
 * and silence JSON. The disk cache is only a hot copy, so a task started by scale-out, or any task
 * behind the load balancer, serves a programme another task decoded without decoding it again.
 * Storage trouble never fails a request: it is logged and the answer is computed (or just not
 * shared).
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Storage } from '@frameproof/storage';
import type { CacheLogger, DiskCache } from './cache.js';
import type { AudioSource } from './resolver.js';

/** The file name in storage of a cache entry (`<hash>/levels.bin` → `levels.bin`). */
export function storedName(entry: string): string {
  const name = entry.slice(entry.lastIndexOf('/') + 1);
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.'))
    throw new RangeError(`bad result name "${name}"`);
  return name;
}

/** How long "not in storage" is believed, so that windows asked before a build do not each ask storage. */
export const MISSING_MEMO_MS = 30_000;

export class ResultStore {
  private readonly missing = new Map<string, number>();
  /** Results being stored now: a clean stop waits for them (`settled`). */
  private readonly storing = new Set<Promise<void>>();

  constructor(
    private readonly storage: Storage,
    private readonly cache: DiskCache,
    private readonly log: CacheLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Brings the stored result of `entry` into the disk cache and answers its path there; undefined
   * when the source has no place in storage, storage has no such result, or it cannot be copied.
   */
  async fetch(source: AudioSource, entry: string): Promise<string | undefined> {
    if (!source.resultsKey) return undefined;
    const key = `${source.resultsKey}/${storedName(entry)}`;
    if ((this.missing.get(key) ?? 0) > this.now()) return undefined;
    try {
      const stored = await this.storage.stat(key);
      if (!stored) {
        if (this.missing.size > 10_000) this.missing.clear();
        this.missing.set(key, this.now() + MISSING_MEMO_MS);
        return undefined;
      }
      const path = await this.cache.put(
        entry,
        async (tmp) => pipeline(await this.storage.read(key), createWriteStream(tmp)),
        stored.size,
      );
      if (path) this.log.info({ key, bytes: stored.size }, 'analyze: result read from storage');
      return path;
    } catch (err) {
      this.log.warn({ err, key }, 'analyze: could not read a stored result; computing it');
      return undefined;
    }
  }

  /** Stores a result (a file of the disk cache, or bytes) for every other task to find. */
  publish(source: AudioSource, entry: string, body: { path: string } | { bytes: Buffer }): Promise<void> {
    const stored = this.store(source, entry, body);
    this.storing.add(stored);
    void stored.finally(() => this.storing.delete(stored));
    return stored;
  }

  /**
   * Resolves once no result is being stored. A window is answered as soon as its PCM is on disk,
   * and the copy for the other tasks goes on after: the service waits for it before it exits.
   */
  async settled(): Promise<void> {
    while (this.storing.size > 0) await Promise.all(this.storing);
  }

  private async store(
    source: AudioSource,
    entry: string,
    body: { path: string } | { bytes: Buffer },
  ): Promise<void> {
    if (!source.resultsKey) return;
    const name = storedName(entry);
    const key = `${source.resultsKey}/${name}`;
    const type = name.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    this.missing.delete(key);
    try {
      if ('path' in body) await this.storage.putFile(key, body.path, type);
      else await this.storage.put(key, body.bytes, type);
    } catch (err) {
      this.log.warn({ err, key }, 'analyze: could not store a result; it stays in this task only');
    }
  }
}
