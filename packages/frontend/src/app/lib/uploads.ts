import * as tus from 'tus-js-client';
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
}

const STORE = 'frameproof.uploads';
const keyOf = (f: File) => `${f.name}:${f.size}:${f.lastModified}`;

type Listener = (items: UploadItem[]) => void;

/**
 * Resumable uploads with tus. tus-js-client keeps each upload's URL by the file's fingerprint,
 * so after a reload the person picks (or drops) the same file again and it resumes where the
 * server says it stopped; the list of unfinished uploads and their progress is kept here.
 */
class Uploads {
  private items: UploadItem[] = load();
  private readonly running = new Map<string, tus.Upload>();
  private readonly listeners = new Set<Listener>();

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

  async add(files: File[]): Promise<void> {
    for (const file of files) {
      const key = keyOf(file);
      if (this.running.has(key)) continue;
      if (!this.items.some((i) => i.key === key))
        this.items = [...this.items, { key, name: file.name, size: file.size, sent: 0, state: 'uploading' }];
      this.set(key, { state: 'uploading' });
      const upload = new tus.Upload(file, {
        endpoint: `${apiBase}/api/uploads`,
        chunkSize: settings.uploadChunkBytes ?? 16 * 1024 * 1024,
        retryDelays: [0, 1000, 3000, 5000],
        metadata: {
          filename: file.name,
          filetype: file.type || 'application/octet-stream',
          title: titleOf(file.name),
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
      this.running.set(key, upload);
      const previous = await upload.findPreviousUploads();
      if (previous[0]) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    }
  }

  pause(key: string) {
    void this.running.get(key)?.abort();
    this.running.delete(key);
    this.set(key, { state: 'paused' });
  }

  dismiss(key: string) {
    const upload = this.running.get(key);
    if (upload) void upload.abort(true);
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

export const uploads = new Uploads();
