import type { Readable } from 'node:stream';
import type { DataStore } from '@tus/utils';

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
  /** Moves an object to another key (a rename in a folder, a copy and delete in S3). */
  move(from: string, to: string): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
  /**
   * A short-lived URL that reads `key` straight from the storage (a presigned S3 URL, Range
   * capable), or undefined when the storage has none: a folder's files are served from
   * `localPath` instead.
   */
  directUrl(key: string, expiresInSeconds: number, download?: DownloadHints): Promise<string | undefined>;
  /** The file on this machine that holds `key`, when the storage is a folder here. */
  localPath(key: string): string | undefined;
  /**
   * Where AWS services (MediaConvert, Rekognition) find `key`: its bucket and object key, or
   * undefined when the storage is a folder here.
   */
  bucketObject(key: string): BucketObject | undefined;
  /**
   * Resumable (tus) uploads written straight into this storage under `prefix`; unfinished ones
   * expire `expireAfterMs` after they were created (0: never).
   */
  uploads(prefix: string, options?: { expireAfterMs?: number }): Promise<UploadTarget>;
  /**
   * Multipart uploads that clients send straight to the storage through presigned part URLs,
   * or undefined when the storage has none (a folder: its uploads go through tus).
   */
  readonly directUploads: DirectUploads | undefined;
  /** The objects under `prefix` (a folder-like prefix: `imports/day1` lists `imports/day1/...`; `''` lists all), a page at a time. */
  list(prefix: string): AsyncIterable<StoredEntry[]>;
}

export interface StoredEntry {
  key: string;
  size: number;
}

/** A part of a multipart upload as CompleteMultipartUpload takes it. */
export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/**
 * S3 multipart uploads driven by a client: we start one, presign each part's PUT, and complete
 * it with the parts and ETags we recorded (no ListParts needed), or abort it.
 */
export interface DirectUploads {
  /** Starts a multipart upload that will become `key`; returns the storage's upload id. */
  create(key: string, contentType: string): Promise<string>;
  /** A presigned URL the client PUTs part `partNumber` to. */
  partUrl(key: string, uploadId: string, partNumber: number, expiresInSeconds: number): Promise<string>;
  /** Assembles the object from `parts` (in part order). */
  complete(key: string, uploadId: string, parts: readonly CompletedPart[]): Promise<void>;
  /** Drops the upload and its parts. */
  abort(key: string, uploadId: string): Promise<void>;
}

/** An object in an S3 bucket, as AWS services name it. */
export interface BucketObject {
  bucket: string;
  key: string;
}

/** How a direct URL presents the file to a browser. */
export interface DownloadHints {
  filename: string;
  contentType?: string;
  /** `inline` (play in the page) or `attachment` (download); inline when not given. */
  disposition?: 'inline' | 'attachment';
}

/** Where tus writes uploads, and how its upload ids name our keys. */
export interface UploadTarget {
  datastore: DataStore;
  /** The upload id tus uses for `key` (the object key in S3, the key itself in a folder). */
  idFor(key: string): string;
  /** The key an upload id names. */
  keyOf(id: string): string;
  /** Drops tus's record of an upload whose bytes were moved away, so its id names nothing. */
  forget(id: string): Promise<void>;
  /**
   * Removes unfinished uploads that expired by `now` (bytes and record); returns how many. In
   * S3 the store's own clock decides (and expiry needs object tagging on the bucket).
   */
  sweep(now: Date): Promise<number>;
}

/** A key that could climb out of the storage: a bug or an attack, never worth another try. */
export class StorageKeyError extends Error {
  readonly retryable = false;
}

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
