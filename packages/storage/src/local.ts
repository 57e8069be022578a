import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';
import { type ByteRange, checkKey, type Storage, type StoredObject, type UploadTarget } from './storage.js';

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
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${Date.now()}.part`;
    await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(tmp));
    await rename(tmp, path);
    return { size: (await stat(path)).size };
  }

  async putFile(key: string, source: string): Promise<StoredObject> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    if (resolve(source) !== path) await copyFile(source, path);
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

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.path(prefix.replace(/\/+$/, '')), { recursive: true, force: true });
  }

  async directUrl(_key: string, _expiresInSeconds: number): Promise<string | undefined> {
    return undefined;
  }

  localPath(key: string): string | undefined {
    return this.path(key);
  }

  async uploads(prefix: string): Promise<UploadTarget> {
    await mkdir(this.path(prefix), { recursive: true });
    return { datastore: new FileStore({ directory: this.root }), idFor: (key) => key, keyOf: (id) => id };
  }
}
