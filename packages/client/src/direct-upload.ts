import { type Asset, bytesReported, type DirectUpload, missingParts, partRange } from '@frameproof/core';
import { ApiError, type FrameproofClient } from './index.js';

/** Where an uploader keeps which upload a file belongs to, so a reload resumes it (localStorage in browsers). */
export interface UploadStateStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** A file to upload: a Blob with the name and date a File has. */
export interface UploadFile {
  blob: Blob;
  name: string;
  type?: string;
  lastModified?: number;
}

export interface DirectUploadOptions {
  title?: string;
  /** The project the asset goes to (needed by who belongs to several). */
  projectId?: string;
  /** Keeps the upload id per file fingerprint (as tus-js-client keeps its URL), so a reload resumes it. */
  store?: UploadStateStore;
  /** Bytes of the file the storage has, and the total, after every part. */
  onProgress?: (sent: number, total: number) => void;
  /** Parts in flight at once (default 3). */
  concurrency?: number;
  signal?: AbortSignal;
  /** Waits before each new try of a part that failed (ms); default 1, 3 and 5 s. */
  retryDelays?: readonly number[];
  /** How part bytes are sent; `fetch` by default. Answers the part's ETag. */
  putPart?: (url: string, body: Blob, signal?: AbortSignal) => Promise<string>;
}

/** The key a file's upload is remembered under: what tus-js-client's fingerprint holds, and where it goes. */
export const uploadFingerprint = (baseUrl: string, file: UploadFile) =>
  `frameproof-direct::${baseUrl}::${file.name}::${file.blob.size}::${file.lastModified ?? 0}`;

async function fetchPart(url: string, body: Blob, signal?: AbortSignal): Promise<string> {
  const res = await fetch(url, { method: 'PUT', body, signal });
  if (!res.ok) throw new Error(`the storage refused a part: HTTP ${res.status}`);
  const etag = res.headers.get('etag');
  // Browsers see the ETag only when the bucket's CORS rule exposes it.
  if (!etag) throw new Error('the storage answered without an ETag (expose it in the bucket’s CORS rule)');
  return etag;
}

const SIGN_BATCH = 50;

/**
 * Uploads a file straight to the storage: starts an upload (or resumes the one the store
 * remembers for this file), signs the missing parts in batches, PUTs them, reports each ETag,
 * and completes. Returns the new asset.
 */
export async function uploadDirect(
  client: FrameproofClient,
  file: UploadFile,
  options: DirectUploadOptions = {},
): Promise<Asset> {
  const fingerprint = uploadFingerprint(client.baseUrl, file);
  const putPart = options.putPart ?? fetchPart;
  let upload = await resumable(client, options.store?.getItem(fingerprint) ?? null, file);
  if (!upload) {
    upload = await client.createDirectUpload({
      fileName: file.name,
      size: file.blob.size,
      ...(file.type ? { mimeType: file.type } : {}),
      ...(options.title ? { title: options.title } : {}),
      ...(options.projectId ? { projectId: options.projectId } : {}),
    });
    options.store?.setItem(fingerprint, upload.id);
  }
  const { id } = upload;
  let sent = bytesReported(upload);
  options.onProgress?.(sent, upload.size);
  const missing = missingParts(upload);
  const plan = upload;
  for (let i = 0; i < missing.length; i += SIGN_BATCH) {
    const { parts } = await client.signParts(id, missing.slice(i, i + SIGN_BATCH));
    const queue = [...parts];
    const worker = async () => {
      for (let part = queue.shift(); part; part = queue.shift()) {
        const { start, end } = partRange(plan.size, plan, part.partNumber);
        const etag = await withRetries(
          () => putPart(part.url, file.blob.slice(start, end), options.signal),
          options.retryDelays ?? [1000, 3000, 5000],
          options.signal,
        );
        await client.reportPart(id, part.partNumber, etag);
        sent += end - start;
        options.onProgress?.(sent, plan.size);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 3) }, worker));
  }
  const asset = await client.completeDirectUpload(id);
  options.store?.removeItem(fingerprint);
  return asset;
}

/** Runs `send`, trying again after each delay while it fails and nobody aborted. */
async function withRetries<T>(
  send: () => Promise<T>,
  delays: readonly number[],
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      const delay = delays[attempt];
      if (delay === undefined || signal?.aborted) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** The remembered upload, when it still exists and is for this very file. */
async function resumable(
  client: FrameproofClient,
  id: string | null,
  file: UploadFile,
): Promise<DirectUpload | undefined> {
  if (!id) return undefined;
  try {
    const upload = await client.getDirectUpload(id);
    const same = upload.size === file.blob.size && upload.fileName === file.name;
    // One about to expire is not worth resuming: the sweep would abort it under us.
    return same && Date.parse(upload.expiresAt) > Date.now() + 60_000 ? upload : undefined;
  } catch (err) {
    // Expired, swept, or never ours: start afresh.
    if (err instanceof ApiError && (err.status === 404 || err.status === 410)) return undefined;
    throw err;
  }
}
