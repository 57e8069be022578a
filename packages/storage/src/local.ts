import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';
import {
  type ByteRange,
  checkKey,
  type Storage,
  type StoredEntry,
  type StoredObject,
  type UploadTarget,
} from './storage.js';

/** Folders only this user can list or enter: the media may be unreleased programmes. */
const PRIVATE = 0o700;

/** Media in a folder on this machine (the default for `npm start`). */
export class LocalStorage implements Storage {
  readonly kind = 'local' as const;
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }
  get location() {
    return this.root;
  }

  path(key: string): string {
    return join(this.root, checkKey(key));
  }

  async put(key: string, body: Readable | Buffer): Promise<StoredObject> {
    return this.write(key, (tmp) =>
      pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(tmp)),
    );
  }

  async putFile(key: string, source: string): Promise<StoredObject> {
    if (resolve(source) === this.path(key)) return { size: (await stat(source)).size };
    return this.write(key, (tmp) => copyFile(source, tmp));
  }

  /**
   * Writes `key` through a file beside it, renamed into place once whole: a write that fails
   * (an aborted upload, a full disk) leaves nothing behind, and what was at `key` stays.
   */
  private async write(key: string, fill: (tmp: string) => Promise<unknown>): Promise<StoredObject> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true, mode: PRIVATE });
    const tmp = `${path}.${randomUUID()}.part`;
    try {
      await fill(tmp);
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { size: (await stat(path)).size };
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.path(key);
    await stat(path);
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { size: s.size } : undefined;
    } catch {
      return undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async move(from: string, to: string): Promise<void> {
    const target = this.path(to);
    await mkdir(dirname(target), { recursive: true, mode: PRIVATE });
    await rename(this.path(from), target);
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.path(prefix.replace(/\/+$/, '')), { recursive: true, force: true });
  }

  async directUrl(_key: string, _expiresInSeconds: number): Promise<string | undefined> {
    return undefined;
  }

  bucketObject(): undefined {
    return undefined;
  }

  localPath(key: string): string | undefined {
    return this.path(key);
  }

  /** A folder's uploads go through tus. */
  readonly directUploads = undefined;

  async *list(prefix: string): AsyncIterable<StoredEntry[]> {
    const trimmed = prefix.replace(/\/+$/, '');
    const top = trimmed ? this.path(trimmed) : this.root; // '' lists everything
    const page: StoredEntry[] = [];
    const walk = async function* (dir: string): AsyncGenerator<StoredEntry> {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) yield* walk(path);
        else if (entry.isFile()) yield { key: path, size: (await stat(path)).size };
      }
    };
    for await (const entry of walk(top)) {
      page.push({ key: relative(this.root, entry.key).split(sep).join('/'), size: entry.size });
      if (page.length === 1000) yield page.splice(0);
    }
    if (page.length) yield page;
  }

  async uploads(prefix: string, options: { expireAfterMs?: number } = {}): Promise<UploadTarget> {
    await mkdir(this.path(prefix), { recursive: true, mode: PRIVATE });
    const expireAfterMs = options.expireAfterMs ?? 0;
    const datastore = new FileStore({
      directory: this.root,
      expirationPeriodInMilliseconds: expireAfterMs,
    });
    const records = datastore.configstore;
    return {
      datastore,
      idFor: (key) => key,
      keyOf: (id) => id,
      forget: async (id) => {
        await records.delete(id);
      },
      sweep: async (now) => {
        if (expireAfterMs <= 0) return 0;
        let removed = 0;
        // tus's own listing reads only the top folder; our uploads sit under `prefix`.
        const names = await readdir(this.path(prefix)).catch(() => [] as string[]);
        for (const name of names.filter((n) => n.endsWith('.json'))) {
          const id = `${prefix}/${name.slice(0, -'.json'.length)}`;
          const upload = await records.get(id).catch(() => undefined);
          if (!upload || upload.offset === upload.size || !upload.creation_date) continue;
          if (new Date(upload.creation_date).getTime() + expireAfterMs > now.getTime()) continue;
          await rm(this.path(id), { force: true });
          await records.delete(id);
          removed += 1;
        }
        return removed;
      },
    };
  }
}
