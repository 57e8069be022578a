import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { checkKey } from '@frameproof/storage';
import tar from 'tar-stream';
import {
  BACKUP_FORMAT,
  type BackupChecksums,
  type BackupManifest,
  CHECKSUMS,
  DATABASE_ENTRY,
  MANIFEST,
  MEDIA_PREFIX,
  sha256,
} from './services/backup.js';

/** A restore refused or failed: the message says why and what to do. */
export class RestoreError extends Error {}

/**
 * Restores a backup (`GET /api/admin/backup`) into a new data folder: PGlite in `db/`, the
 * media in `media/`, as `npm start` lays them out. Refuses a folder that has anything in it,
 * and an archive cut short or altered (every file is checked against the archive's SHA-256
 * list); on any failure it leaves the folder as empty as it found it.
 */
export async function restore(archive: string, folder: string): Promise<{ assets: number; files: number }> {
  const existing = await readdir(folder).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing && existing.length > 0)
    throw new RestoreError(
      `${folder} is not empty: restore only into a new or empty folder, so that no data is overwritten`,
    );
  await mkdir(folder, { recursive: true, mode: 0o700 });
  try {
    return await unpack(createReadStream(archive), folder).catch((err: unknown) => {
      if (err instanceof RestoreError) throw err;
      throw new RestoreError(`cannot read ${archive}: ${(err as Error).message} (cut short or damaged?)`);
    });
  } catch (err) {
    const left = await readdir(folder).catch(() => []);
    await Promise.all(left.map((name) => rm(join(folder, name), { recursive: true, force: true })));
    if (!existing) await rm(folder, { recursive: true, force: true });
    throw err;
  }
}

async function unpack(input: Readable, folder: string): Promise<{ assets: number; files: number }> {
  const extract = tar.extract();
  const seen: BackupChecksums = {};
  let manifest: BackupManifest | undefined;
  let database: Buffer | undefined;
  let sums: BackupChecksums | undefined;
  const reading = pipeline(input, extract);
  reading.catch(() => undefined); // its error is the iterator's as well, thrown below
  for await (const entry of extract) {
    const { name, type } = entry.header;
    if (type !== 'file') throw new RestoreError(`not a Frameproof backup: unexpected ${type} ${name}`);
    if (!manifest && name !== MANIFEST)
      throw new RestoreError(`not a Frameproof backup: it starts with ${name}`);
    if (name === MANIFEST) {
      manifest = JSON.parse((await collect(entry)).toString()) as BackupManifest;
      if (manifest.format !== BACKUP_FORMAT)
        throw new RestoreError(
          `backup format ${manifest.format} is not one this version reads (${BACKUP_FORMAT})`,
        );
    } else if (name === DATABASE_ENTRY) {
      database = await collect(entry);
      seen[name] = sha256(database);
    } else if (name === CHECKSUMS) {
      sums = JSON.parse((await collect(entry)).toString()) as BackupChecksums;
    } else if (name.startsWith(MEDIA_PREFIX)) {
      let key: string;
      try {
        key = checkKey(name.slice(MEDIA_PREFIX.length));
      } catch {
        throw new RestoreError(`refusing ${name}: a file may not leave the media folder`);
      }
      const path = join(folder, 'media', key);
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const hash = createHash('sha256');
      entry.on('data', (chunk: unknown) => hash.update(chunk as Buffer));
      await pipeline(entry, createWriteStream(path, { mode: 0o600 }));
      seen[name] = hash.digest('hex');
    } else {
      throw new RestoreError(`not a Frameproof backup: unexpected entry ${name}`);
    }
  }
  await reading;
  if (!sums || !database)
    throw new RestoreError(
      'the archive is incomplete (cut short while it was written or copied); take a new backup',
    );
  for (const [name, sum] of Object.entries(sums))
    if (seen[name] !== sum)
      throw new RestoreError(
        `${name} ${seen[name] ? 'does not match its checksum' : 'is missing'}: the archive is damaged`,
      );
  const extra = Object.keys(seen).find((name) => !(name in sums));
  if (extra) throw new RestoreError(`${extra} is not in the archive's checksums: the archive is damaged`);

  const db = await PGlite.create(join(folder, 'db'), { loadDataDir: new Blob([database]) });
  try {
    const [row] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets')).rows;
    return { assets: row?.n ?? 0, files: Object.keys(seen).length - 1 };
  } finally {
    await db.close();
  }
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `npm run restore -- ARCHIVE FOLDER`: paths are taken from where npm was run. */
async function main(args: string[]) {
  const [archive, folder, ...rest] = args;
  if (!archive || !folder || rest.length > 0) {
    console.error('usage: npm run restore -- BACKUP.tar NEW-DATA-FOLDER');
    process.exit(2);
  }
  const from = process.env.INIT_CWD ?? process.cwd();
  const target = resolve(from, folder);
  try {
    const { assets, files } = await restore(resolve(from, archive), target);
    console.log(
      `frameproof restore: ${assets} assets and ${files} files restored into ${target}; start on it with FRAMEPROOF_DATA_DIR=${folder} npm start`,
    );
  } catch (err) {
    const message = err instanceof RestoreError ? err.message : String(err);
    console.error(`frameproof restore: ${message}`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
