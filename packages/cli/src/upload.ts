import { createReadStream, openAsBlob } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AssetWithShapes, Job } from '@frameproof/core';
import { uploadDirect } from '@frameproof/client';
import { Upload } from 'tus-js-client';
import type { Config, StoredUpload } from './config.js';
import { CliError } from './errors.js';
import type { SessionClient } from './session.js';

/** The files to send: each FILE, and the files directly in each folder (hidden ones left out). */
export async function filesOf(paths: string[]): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  for (const given of paths) {
    const path = resolve(given);
    const info = await stat(path).catch(() => {
      throw new CliError(`no such file or folder: ${given}`, 'check the path; nothing was uploaded', 2);
    });
    if (info.isDirectory()) {
      for (const name of (await readdir(path)).sort()) {
        if (name.startsWith('.')) continue;
        const file = join(path, name);
        const s = await stat(file);
        if (s.isFile()) out.push({ path: file, size: s.size });
      }
    } else out.push({ path, size: info.size });
  }
  if (out.length === 0) throw new CliError('nothing to upload: the folders are empty', undefined, 2);
  return out;
}

/** The same file (path, size, modification time) to the same server. */
export async function fingerprintOf(path: string, server: string): Promise<string> {
  const info = await stat(path);
  return [path, info.size, info.mtimeMs, server].join('|');
}

/** tus-js-client's URL storage, kept in the config folder, so that a second run resumes. */
function urlStorage(config: Config) {
  return {
    async findAllUploads() {
      return Object.values(await config.uploads()).flat();
    },
    async findUploadsByFingerprint(fingerprint: string) {
      return (await config.uploads())[fingerprint] ?? [];
    },
    async removeUpload(key: string) {
      const kept = Object.entries(await config.uploads())
        .map(([fp, list]) => [fp, list.filter((u) => u.urlStorageKey !== key)] as const)
        .filter(([, list]) => list.length > 0);
      await config.saveUploads(Object.fromEntries(kept));
    },
    async addUpload(fingerprint: string, upload: StoredUpload) {
      const all = await config.uploads();
      const key = `${fingerprint}#${Date.now()}`;
      all[fingerprint] = [{ ...upload, urlStorageKey: key }];
      await config.saveUploads(all);
      return key;
    },
  };
}

const MIME: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.mxf': 'application/mxf',
  '.mkv': 'video/x-matroska',
  '.wav': 'audio/wav',
};

/** Sends one file with tus, resuming an earlier attempt of the same file to the same server. */
export function sendFile(
  client: SessionClient,
  config: Config,
  file: { path: string; size: number },
  options: {
    title?: string;
    /** The project the asset goes to (needed by who belongs to several). */
    projectId?: string;
    chunkSize?: number;
    onProgress: (sent: number) => void;
    onResume: (at: number) => void;
  },
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let assetId = '';
    const upload: Upload = new Upload(
      // A file stream: tus-js-client reopens it at any offset to resume (its types list only browser inputs).
      createReadStream(file.path) as unknown as Buffer,
      {
        endpoint: new URL('/api/uploads', client.url).toString(),
        metadata: {
          filename: basename(file.path),
          filetype: MIME[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
          ...(options.title ? { title: options.title } : {}),
          ...(options.projectId ? { projectId: options.projectId } : {}),
        },
        uploadSize: file.size,
        chunkSize: options.chunkSize ?? 64 * 1024 * 1024,
        retryDelays: [0, 1000, 3000, 5000],
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        urlStorage: urlStorage(config),
        onBeforeRequest: async (req) => {
          req.setHeader('authorization', `Bearer ${await client.token()}`);
        },
        onShouldRetry: (err, _attempt, _options) => {
          const status = err.originalResponse?.getStatus() ?? 0;
          if (status === 401) void client.token({ refresh: true }).catch(() => undefined);
          return status === 0 || status === 401 || status === 409 || status === 423 || status >= 500;
        },
        onProgress: (sent) => options.onProgress(sent),
        onAfterResponse: (req, res) => {
          assetId = res.getHeader('frameproof-asset-id') ?? assetId;
          // A HEAD asks the server how far an earlier attempt got: that is where this one resumes.
          if (req.getMethod() === 'HEAD' && res.getStatus() === 200)
            options.onResume(Number(res.getHeader('upload-offset') ?? 0));
        },
        onSuccess: () => {
          if (assetId) resolvePromise(assetId);
          else reject(new CliError(`the server took ${basename(file.path)} but named no asset`));
        },
        onError: (err) => {
          const status = (err as { originalResponse?: { getStatus(): number; getBody(): string } })
            .originalResponse;
          reject(
            status
              ? new CliError(
                  `uploading ${basename(file.path)} failed: ${status.getStatus()} ${status.getBody().trim()}`,
                  'run the same command again to resume where it stopped',
                )
              : new CliError(
                  `uploading ${basename(file.path)} was interrupted: ${err.message}`,
                  'run the same command again to resume where it stopped',
                ),
          );
        },
      },
    );
    upload
      .findPreviousUploads()
      .then((previous) => {
        const last = previous.at(-1);
        if (last) upload.resumeFromPreviousUpload(last);
        upload.start();
      })
      .catch(reject);
  });
}

/**
 * Sends one file straight to the storage (S3 multipart with part URLs the adapter signs), as the
 * web app does where `/api/upload-options` says `direct`; an earlier attempt of the same file
 * resumes from the parts the adapter recorded. Answers the asset id.
 */
export async function sendFileDirect(
  client: SessionClient,
  config: Config,
  file: { path: string; size: number },
  options: {
    title?: string;
    /** The project the asset goes to (needed by who belongs to several). */
    projectId?: string;
    onProgress: (sent: number) => void;
    onResume: (at: number) => void;
    retryDelays?: readonly number[];
  },
): Promise<string> {
  // uploadDirect's store is synchronous (localStorage in browsers): kept in memory, saved after each change.
  const ids = new Map(Object.entries(await config.directUploads()));
  let saving = Promise.resolve();
  const save = () => {
    const snapshot = Object.fromEntries(ids);
    saving = saving.then(() => config.saveDirectUploads(snapshot));
  };
  const store = {
    getItem: (key: string) => ids.get(key) ?? null,
    setItem: (key: string, value: string) => {
      ids.set(key, value);
      save();
    },
    removeItem: (key: string) => {
      ids.delete(key);
      save();
    },
  };
  const info = await stat(file.path);
  const name = basename(file.path);
  let first = true;
  try {
    const asset = await uploadDirect(
      client,
      {
        blob: await openAsBlob(file.path),
        name,
        type: MIME[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
        lastModified: Math.trunc(info.mtimeMs),
      },
      {
        title: options.title,
        ...(options.projectId ? { projectId: options.projectId } : {}),
        store,
        ...(options.retryDelays ? { retryDelays: options.retryDelays } : {}),
        onProgress: (sent) => {
          // The first report says what the storage already had: an earlier attempt's parts.
          if (first && sent > 0) options.onResume(sent);
          first = false;
          options.onProgress(sent);
        },
      },
    );
    return asset.id;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(
      `uploading ${name} was interrupted: ${err instanceof Error ? err.message : String(err)}`,
      'run the same command again to resume where it stopped',
    );
  } finally {
    await saving;
  }
}

const DONE = new Set(['completed', 'failed', 'cancelled']);

/** Follows an asset's ingest, calling `onJobs` with each change, until it leaves `ingesting`. */
export async function followIngest(
  client: SessionClient,
  id: string,
  onJobs: (jobs: Job[]) => void,
  pollMs = 1000,
): Promise<AssetWithShapes> {
  for (;;) {
    const [asset, jobs] = await Promise.all([client.getAsset(id), client.listJobs({ assetId: id })]);
    onJobs(jobs.items);
    if (asset.status !== 'ingesting' && jobs.items.every((j) => DONE.has(j.status))) return asset;
    await sleep(pollMs);
  }
}
