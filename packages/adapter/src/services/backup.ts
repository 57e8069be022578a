import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { conflict } from '@frameproof/core';
import type { Storage } from '@frameproof/storage';
import tar from 'tar-stream';
import type { Database } from '../db/database.js';

/** What a backup archive holds, in this order: the manifest, the database, the media, the checksums. */
export const BACKUP_FORMAT = 1;
export const MANIFEST = 'frameproof-backup.json';
export const DATABASE_ENTRY = 'database.tar.gz';
export const MEDIA_PREFIX = 'media/';
/** Written last: without it the archive was cut short. */
export const CHECKSUMS = 'checksums.json';

export interface BackupManifest {
  format: number;
  createdAt: string;
  database: 'pglite';
}

/** Every file of the archive (database and media) by name, as SHA-256 hex. */
export type BackupChecksums = Record<string, string>;

export const POSTGRES_BACKUP_HINT =
  'this adapter runs on PostgreSQL: back up with RDS snapshots or pg_dump, and the bucket or media folder (see the README, "Back up and restore")';

/**
 * The embedded mode's backup as one tar: PGlite's data folder, then every file of the media
 * folder. PGlite lives only in this process, so only this process can copy it while it runs:
 * the copy is taken with no query or transaction in flight, then the files are read. A file is
 * always written before the rows that name it, and rows are removed before their files (the
 * purge), so the files read after the database copy are a superset of what it names.
 */
export class BackupService {
  constructor(
    private readonly db: Database,
    private readonly storage: Storage,
  ) {}

  /** Refuses (409) where this process is not where the database lives. */
  check(): () => Promise<Blob> {
    const dump = this.db.dumpDataDir?.bind(this.db);
    if (!dump) throw conflict(POSTGRES_BACKUP_HINT);
    return dump;
  }

  /** Writes the archive to `out`; rejects (and leaves the archive without its checksums) on a failure. */
  async write(out: Writable): Promise<{ files: number; bytes: number }> {
    const dump = this.check();
    const pack = tar.pack();
    const done = pipeline(pack, out);
    done.catch(() => undefined); // awaited below; a failure before then must not go unhandled
    const sums: BackupChecksums = {};
    let files = 0;
    let bytes = 0;
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      createdAt: new Date().toISOString(),
      database: 'pglite',
    };
    await addBuffer(pack, MANIFEST, Buffer.from(JSON.stringify(manifest, null, 2)));
    const database = Buffer.from(await (await dump()).arrayBuffer());
    sums[DATABASE_ENTRY] = sha256(database);
    await addBuffer(pack, DATABASE_ENTRY, database);
    for await (const page of this.storage.list('')) {
      for (const { key } of page) {
        // An unfinished write (`….part`) is not a file yet; its finished self, if any, is listed.
        if (key.endsWith('.part')) continue;
        const added = await this.addFile(pack, key);
        if (!added) continue; // removed since it was listed (a purge): its rows went before it
        sums[`${MEDIA_PREFIX}${key}`] = added.sha256;
        files += 1;
        bytes += added.size;
      }
    }
    await addBuffer(pack, CHECKSUMS, Buffer.from(JSON.stringify(sums)));
    pack.finalize();
    await done;
    return { files, bytes };
  }

  /**
   * One file, read from one open descriptor up to the size it had when opened: a file replaced
   * meanwhile (a retried job writes the same key through a rename) is read whole as it was.
   */
  private async addFile(pack: tar.Pack, key: string): Promise<{ sha256: string; size: number } | undefined> {
    const path = this.storage.localPath(key);
    let size: number;
    let body: Readable;
    if (path) {
      const handle = await open(path, 'r').catch(() => undefined);
      if (!handle) return undefined;
      size = (await handle.stat()).size;
      if (size > 0) body = handle.createReadStream({ start: 0, end: size - 1 });
      else {
        await handle.close();
        body = Readable.from([]);
      }
    } else {
      const stat = await this.storage.stat(key);
      if (!stat) return undefined;
      size = stat.size;
      body = await this.storage.read(key);
    }
    const hash = createHash('sha256');
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    await pipeline(body, pack.entry({ name: `${MEDIA_PREFIX}${key}`, size, mode: 0o600 }));
    return { sha256: hash.digest('hex'), size };
  }
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function addBuffer(pack: tar.Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    pack.entry({ name, size: data.length, mode: 0o600 }, data, (err) => (err ? reject(err) : resolve())),
  );
}
