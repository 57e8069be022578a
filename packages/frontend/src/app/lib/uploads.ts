import * as tus from 'tus-js-client';
import { uploadDirect, uploadFingerprint } from '@frameproof/client';
import { api } from './api.js';
import { session } from './session.js';
import { apiBase, settings } from './settings.js';

/** One upload as the page shows it; the list survives a reload in localStorage. */
export interface UploadItem {
  key: string;
  name: string;
  size: number;
  sent: number;
  state: 'uploading' | 'paused' | 'interrupted' | 'done' | 'failed';
  error?: string;
  assetId?: string;
  /** Where a direct upload's id is remembered (localStorage), to drop it when dismissed. */
  fingerprint?: string;
}

const STORE = 'frameproof.uploads';
const keyOf = (f: File) => `${f.name}:${f.size}:${f.lastModified}`;

type Listener = (items: UploadItem[]) => void;

/** What is running for a file: a tus upload, or a direct one stopped through its signal. */
type Running = { tus: tus.Upload } | { direct: AbortController };

/**
 * Resumable uploads. Where the adapter's storage is S3 (`/api/upload-options` says `direct`),
 * files go straight to the bucket in parts the adapter signs; otherwise with tus. Either way
 * the upload is remembered by the file's fingerprint in localStorage (tus-js-client keeps its
 * URL, the direct uploader its upload id), so after a reload the person picks (or drops) the
 * same file again and it resumes where it stopped; the list of unfinished uploads and their
 * progress is kept here.
 */
class Uploads {
  private items: UploadItem[] = load();
  private readonly running = new Map<string, Running>();
  private readonly listeners = new Set<Listener>();
  private direct?: Promise<boolean>;

  /** Whether uploads go straight to the storage; asked once, tus when the answer does not come. */
  private directUploads(): Promise<boolean> {
    this.direct ??= api.uploadOptions().then(
      (o) => o.direct,
      () => false,
    );
    return this.direct;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    fn(this.items);
    return () => this.listeners.delete(fn);
  }

  private set(key: string, patch: Partial<UploadItem>) {
    this.items = this.items.map((i) => (i.key === key ? { ...i, ...patch } : i));
    localStorage.setItem(STORE, JSON.stringify(this.items.filter((i) => i.state !== 'done')));
    for (const fn of this.listeners) fn(this.items);
  }

  /** Uploads the files into `projectId` (left out: the person's only project). */
  async add(files: File[], projectId?: string): Promise<void> {
    for (const file of files) {
      const key = keyOf(file);
      if (this.running.has(key)) continue;
      if (!this.items.some((i) => i.key === key))
        this.items = [...this.items, { key, name: file.name, size: file.size, sent: 0, state: 'uploading' }];
      this.set(key, { state: 'uploading' });
      if (await this.directUploads()) {
        this.startDirect(key, file, projectId);
        continue;
      }
      const upload = new tus.Upload(file, {
        endpoint: `${apiBase}/api/uploads`,
        chunkSize: settings.uploadChunkBytes ?? 16 * 1024 * 1024,
        retryDelays: [0, 1000, 3000, 5000],
        metadata: {
          filename: file.name,
          filetype: file.type || 'application/octet-stream',
          title: titleOf(file.name),
          ...(projectId ? { projectId } : {}),
        },
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        onBeforeRequest: (req) => {
          if (session.token) req.setHeader('Authorization', `Bearer ${session.token}`);
        },
        onProgress: (sent) => this.set(key, { sent }),
        onAfterResponse: (_req, res) => {
          const id = res.getHeader('Frameproof-Asset-Id');
          if (id) this.set(key, { assetId: id });
        },
        onSuccess: () => {
          this.running.delete(key);
          this.set(key, { state: 'done', sent: file.size });
        },
        onError: (err) => {
          this.running.delete(key);
          this.set(key, { state: 'failed', error: err.message });
        },
      });
      this.running.set(key, { tus: upload });
      const previous = await upload.findPreviousUploads();
      if (previous[0]) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    }
  }

  private startDirect(key: string, file: File, projectId: string | undefined) {
    const stop = new AbortController();
    this.running.set(key, { direct: stop });
    this.set(key, { fingerprint: uploadFingerprint(api.baseUrl, fileOf(file)) });
    uploadDirect(api, fileOf(file), {
      title: titleOf(file.name),
      projectId,
      store: localStorage,
      signal: stop.signal,
      onProgress: (sent) => this.set(key, { sent }),
    }).then(
      (asset) => {
        this.running.delete(key);
        this.set(key, { state: 'done', sent: file.size, assetId: asset.id });
      },
      (err: unknown) => {
        if (stop.signal.aborted) return;
        this.running.delete(key);
        this.set(key, { state: 'failed', error: err instanceof Error ? err.message : String(err) });
      },
    );
  }

  pause(key: string) {
    const running = this.running.get(key);
    if (running && 'tus' in running) void running.tus.abort();
    if (running && 'direct' in running) running.direct.abort();
    this.running.delete(key);
    this.set(key, { state: 'paused' });
  }

  dismiss(key: string) {
    const running = this.running.get(key);
    if (running && 'tus' in running) void running.tus.abort(true);
    if (running && 'direct' in running) running.direct.abort();
    // A direct upload is dropped at the adapter too, so its parts do not wait for the sweep.
    const fingerprint = this.items.find((i) => i.key === key)?.fingerprint;
    const directId = fingerprint && localStorage.getItem(fingerprint);
    if (fingerprint && directId) {
      localStorage.removeItem(fingerprint);
      void api.abortDirectUpload(directId).catch(() => undefined);
    }
    this.running.delete(key);
    this.items = this.items.filter((i) => i.key !== key);
    this.set('', {});
  }
}

function load(): UploadItem[] {
  try {
    const items = JSON.parse(localStorage.getItem(STORE) ?? '[]') as UploadItem[];
    // Whatever was running when the page went away waits for its file to be picked again.
    return items.map((i) => (i.state === 'done' ? i : { ...i, state: 'interrupted' as const }));
  } catch {
    return [];
  }
}

const titleOf = (name: string) => name.replace(/\.[^.]+$/, '') || name;
const fileOf = (file: File) => ({
  blob: file,
  name: file.name,
  type: file.type,
  lastModified: file.lastModified,
});

export const uploads = new Uploads();
