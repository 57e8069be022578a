import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

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

async function writePrivate(path: string, value: unknown): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600); // an older file keeps its mode otherwise
}

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

  /** Unfinished uploads by tus fingerprint (file, size, modification time, server). */
  async uploads(): Promise<Record<string, StoredUpload[]>> {
    return (await readJson<Record<string, StoredUpload[]>>(this.uploadsFile)) ?? {};
  }
  saveUploads(uploads: Record<string, StoredUpload[]>): Promise<void> {
    return writePrivate(this.uploadsFile, uploads);
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
