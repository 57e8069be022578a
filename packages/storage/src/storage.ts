import type { Readable } from 'node:stream';

export interface ByteRange {
  start: number;
  /** Inclusive, as in HTTP. */
  end: number;
}

export interface StoredObject {
  size: number;
  contentType?: string;
}

/**
 * Where media bytes live. Keys are relative paths like `assets/<id>/proxy/video.mp4`; the same
 * key names the same object in every implementation.
 */
export interface Storage {
  readonly kind: 'local' | 's3';
  /** A printable location, e.g. `s3://bucket/prefix` or a folder path. */
  readonly location: string;
  put(key: string, body: Readable | Buffer, contentType?: string): Promise<StoredObject>;
  putFile(key: string, path: string, contentType?: string): Promise<StoredObject>;
  read(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<StoredObject | undefined>;
  delete(key: string): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
  /** What ffmpeg can open: a local path, or a short-lived presigned HTTPS URL. */
  inputForFfmpeg(key: string): Promise<string>;
}

export class StorageKeyError extends Error {}

/** Keys are built by our code, but a key must never climb out of its root. */
export function checkKey(key: string): string {
  if (
    !key ||
    key.startsWith('/') ||
    key.split('/').some((part) => part === '..' || part === '.' || part === '') ||
    key.includes('\0')
  ) {
    throw new StorageKeyError(`invalid storage key "${key}"`);
  }
  return key;
}
