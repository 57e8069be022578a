import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** The part of a pino logger the cache uses. */
export interface CacheLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface CacheOptions {
  dir: string;
  /** Total size cap; least recently used entries go first. */
  maxBytes: number;
  /** Entries older than this (since written) are dropped. */
  maxAgeMs: number;
  log: CacheLogger;
  now?: () => number;
  /** How often expired entries are swept; 0 turns the timer off. */
  sweepIntervalMs?: number;
}

interface Entry {
  size: number;
  created: number;
  used: number;
  /** `sha256:<hex>` of the bytes, from the entry's `.sum` file. */
  checksum: string;
  /** The bytes were read and matched the checksum in this process. */
  verified: boolean;
}

/** Each entry has a sidecar with its size and checksum, written before the entry is published. */
const SUM = '.sum';

async function checksumOf(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return `sha256:${hash.digest('hex')}`;
}

async function readSum(path: string): Promise<{ size: number; checksum: string } | undefined> {
  try {
    const sum = JSON.parse(await readFile(`${path}${SUM}`, 'utf8')) as { size?: unknown; checksum?: unknown };
    return typeof sum.size === 'number' && typeof sum.checksum === 'string'
      ? { size: sum.size, checksum: sum.checksum }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The folder an asset track's entries live in: a hash of its cache key. */
export function entryName(cacheKey: string, name: string): string {
  return `${createHash('sha256').update(cacheKey).digest('hex').slice(0, 32)}/${name}`;
}

/**
 * Files on disk (decoded audio, peak files, results), with an age limit and a size cap. Writing
 * never fails a request: when the folder is unwritable or full, `put` logs it and answers
 * `undefined`, and callers compute without caching. A corrupt or truncated entry is never
 * served: its size is checked at every `get`, its checksum the first time this process serves
 * it, and an entry that fails either is dropped, so the caller computes it again.
 */
export class DiskCache {
  private readonly entries = new Map<string, Entry>();
  private total = 0;
  private reserved = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(readonly options: CacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get dir(): string {
    return this.options.dir;
  }

  /** Reads what an earlier process left; drops expired entries and unfinished writes. */
  async init(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      for (const group of await readdir(this.dir)) {
        const groupDir = join(this.dir, group);
        const names = await readdir(groupDir).catch(() => [] as string[]);
        for (const name of names) {
          const path = join(groupDir, name);
          const s = await stat(path).catch(() => undefined);
          if (!s?.isFile() || name.endsWith(SUM)) continue;
          if (name.endsWith('.tmp')) {
            await rm(path, { force: true });
            continue;
          }
          const sum = await readSum(path);
          if (sum?.size !== s.size) {
            this.options.log.warn({ name: `${group}/${name}` }, 'analyze cache: dropping a truncated entry');
            await rm(path, { force: true });
            await rm(`${path}${SUM}`, { force: true });
            continue;
          }
          this.add(`${group}/${name}`, {
            size: s.size,
            created: s.mtimeMs,
            used: s.atimeMs,
            checksum: sum.checksum,
            verified: false,
          });
        }
      }
      await this.sweep();
      this.options.log.info(
        { dir: this.dir, entries: this.entries.size, bytes: this.total },
        'analyze cache ready',
      );
    } catch (err) {
      this.options.log.warn({ err, dir: this.dir }, 'analyze cache folder unusable; computing without cache');
    }
    const every = this.options.sweepIntervalMs ?? 3_600_000;
    if (every > 0) {
      this.timer = setInterval(() => void this.sweep(), every);
      this.timer.unref();
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  stats() {
    return { dir: this.dir, entries: this.entries.size, bytes: this.total, maxBytes: this.options.maxBytes };
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  private expired(e: Entry): boolean {
    return this.now() - e.created > this.options.maxAgeMs;
  }

  /** The path of a fresh, whole entry (marking it used), or undefined. */
  async get(name: string): Promise<string | undefined> {
    const e = this.entries.get(name);
    if (!e) return undefined;
    if (this.expired(e)) {
      await this.remove(name);
      return undefined;
    }
    const path = this.path(name);
    const size = (await stat(path).catch(() => undefined))?.size;
    const whole = size === e.size && (e.verified || (await checksumOf(path).catch(() => '')) === e.checksum);
    if (!whole) {
      this.options.log.warn({ name, size, expected: e.size }, 'analyze cache: dropping a corrupt entry');
      await this.remove(name);
      return undefined;
    }
    e.verified = true;
    e.used = this.now();
    return path;
  }

  has(name: string): boolean {
    const e = this.entries.get(name);
    return e !== undefined && !this.expired(e);
  }

  /** For an entry found missing on disk (removed behind our back). */
  forget(name: string): void {
    const e = this.entries.get(name);
    if (e) {
      this.total -= e.size;
      this.entries.delete(name);
    }
  }

  /**
   * Writes an entry through `write` (given a temporary path in the cache folder), then publishes it
   * atomically. `expectedBytes` makes room first. Answers the entry's path, or undefined when it
   * could not be cached (logged).
   */
  async put(
    name: string,
    write: (tmpPath: string) => Promise<void>,
    expectedBytes = 0,
  ): Promise<string | undefined> {
    const final = this.path(name);
    const tmp = `${final}.${randomBytes(6).toString('hex')}.tmp`;
    const reserve = Math.max(0, expectedBytes);
    if (reserve > this.options.maxBytes) {
      this.options.log.warn(
        { name, bytes: reserve },
        'analyze cache: entry larger than the cache; not cached',
      );
      return undefined;
    }
    let held = reserve;
    this.reserved += held;
    const release = () => {
      this.reserved -= held;
      held = 0;
    };
    try {
      await this.makeRoom(0);
      await mkdir(dirname(final), { recursive: true, mode: 0o700 });
      await write(tmp);
      const { size } = await stat(tmp);
      release();
      if (size > this.options.maxBytes) throw new Error(`entry of ${size} bytes exceeds the cache size`);
      await this.makeRoom(size, name);
      const checksum = await checksumOf(tmp);
      await writeFile(`${tmp}${SUM}`, JSON.stringify({ size, checksum }));
      await rename(`${tmp}${SUM}`, `${final}${SUM}`);
      await rename(tmp, final);
      this.forget(name);
      this.add(name, { size, created: this.now(), used: this.now(), checksum, verified: true });
      return final;
    } catch (err) {
      release();
      await rm(tmp, { force: true }).catch(() => undefined);
      await rm(`${tmp}${SUM}`, { force: true }).catch(() => undefined);
      this.options.log.warn({ err, name }, 'analyze cache: could not write; answering without caching');
      return undefined;
    }
  }

  private add(name: string, e: Entry): void {
    this.entries.set(name, e);
    this.total += e.size;
  }

  /** Evicts least recently used entries until `incoming` more bytes fit under the cap. */
  private async makeRoom(incoming: number, keep?: string): Promise<void> {
    const limit = this.options.maxBytes - this.reserved - incoming;
    if (this.total <= limit) return;
    const byAge = [...this.entries].filter(([n]) => n !== keep).sort((a, b) => a[1].used - b[1].used);
    for (const [name] of byAge) {
      if (this.total <= limit) break;
      await this.remove(name);
    }
  }

  private async remove(name: string): Promise<void> {
    this.forget(name);
    await rm(this.path(name), { force: true }).catch(() => undefined);
    await rm(`${this.path(name)}${SUM}`, { force: true }).catch(() => undefined);
  }

  /** Drops expired entries. */
  async sweep(): Promise<number> {
    let n = 0;
    for (const [name, e] of [...this.entries]) {
      if (this.expired(e)) {
        await this.remove(name);
        n++;
      }
    }
    return n;
  }
}

/** Runs one computation per key at a time; callers asking for a key in flight share its promise. */
export class SingleFlight {
  private readonly flights = new Map<string, Promise<unknown>>();

  get size(): number {
    return this.flights.size;
  }

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const existing = this.flights.get(key);
    if (existing) return existing as Promise<T>;
    const p = fn().finally(() => this.flights.delete(key));
    this.flights.set(key, p);
    return p;
  }
}
