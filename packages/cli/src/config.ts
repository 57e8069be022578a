import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Where the command keeps its session and its unfinished uploads: `FRAMEPROOF_CONFIG_DIR`,
 * else `$XDG_CONFIG_HOME/frameproof`, else `~/.config/frameproof`. Files are the user's only (0600).
 */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FRAMEPROOF_CONFIG_DIR) return env.FRAMEPROOF_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'frameproof');
}

export interface Session {
  url: string;
  username: string;
  accessToken: string;
  refreshToken: string;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Written whole or not at all (a new file renamed over the old), so a reader never sees half. */
async function writePrivate(path: string, value: unknown): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600); // a file left by a crash keeps its mode otherwise
  await rename(tmp, path);
}

/** A lock older than this was left by a command that died holding it, and is taken over. */
const STALE_LOCK_MS = 60_000;

export class Config {
  constructor(readonly dir: string = configDir()) {}

  get sessionFile(): string {
    return join(this.dir, 'session.json');
  }
  get uploadsFile(): string {
    return join(this.dir, 'uploads.json');
  }

  session(): Promise<Session | undefined> {
    return readJson<Session>(this.sessionFile);
  }
  saveSession(session: Session): Promise<void> {
    return writePrivate(this.sessionFile, session);
  }
  async clearSession(): Promise<void> {
    await rm(this.sessionFile, { force: true });
  }

  /**
   * Runs `fn` holding the saved session's lock (`session.json.lock`, created only if absent), so
   * that commands running at once take turns to read, refresh and save the session: two trading
   * in the same refresh token would look like a replay, which ends the whole session.
   */
  async withSessionLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = `${this.sessionFile}.lock`;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (;;) {
      try {
        await writeFile(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const since = (await stat(lock).catch(() => undefined))?.mtimeMs;
        if (since !== undefined && Date.now() - since > STALE_LOCK_MS) await rm(lock, { force: true });
        else await sleep(20);
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  /** Unfinished uploads by tus fingerprint (file, size, modification time, server). */
  async uploads(): Promise<Record<string, StoredUpload[]>> {
    return (await readJson<Record<string, StoredUpload[]>>(this.uploadsFile)) ?? {};
  }
  saveUploads(uploads: Record<string, StoredUpload[]>): Promise<void> {
    return writePrivate(this.uploadsFile, uploads);
  }

  /** Unfinished uploads straight to the storage: upload id by file fingerprint (uploadDirect's store). */
  async directUploads(): Promise<Record<string, string>> {
    return (await readJson<Record<string, string>>(join(this.dir, 'direct-uploads.json'))) ?? {};
  }
  saveDirectUploads(uploads: Record<string, string>): Promise<void> {
    return writePrivate(join(this.dir, 'direct-uploads.json'), uploads);
  }

  /** Files already uploaded (same file, size, time and server): their assets, so a rerun skips them. */
  async uploaded(): Promise<Record<string, string>> {
    return (await readJson<Record<string, string>>(join(this.dir, 'uploaded.json'))) ?? {};
  }
  async markUploaded(fingerprint: string, assetId: string): Promise<void> {
    await writePrivate(join(this.dir, 'uploaded.json'), {
      ...(await this.uploaded()),
      [fingerprint]: assetId,
    });
  }
}

export interface StoredUpload {
  size: number | null;
  metadata: Record<string, string>;
  creationTime: string;
  urlStorageKey: string;
  uploadUrl: string | null;
  parallelUploadUrls: string[] | null;
}
