import { createReadStream } from 'node:fs';
import { stat as fsStat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { S3Store } from '@tus/s3-store';
import {
  type BucketObject,
  type ByteRange,
  checkKey,
  type CompletedPart,
  type DirectUploads,
  type DownloadHints,
  type Storage,
  type StoredEntry,
  type StoredObject,
  type UploadTarget,
} from './storage.js';

export interface S3Location {
  bucket: string;
  prefix: string;
}

export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) throw new Error(`not an S3 location: "${url}" (expected s3://bucket/prefix)`);
  return { bucket: m[1] as string, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

/** Media in an S3 bucket (AWS, or any S3-protocol server through `S3_ENDPOINT`). */
export class S3Storage implements Storage {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  constructor(
    readonly bucket: string,
    readonly prefix: string,
    readonly clientConfig: S3ClientConfig = {},
  ) {
    this.client = new S3Client(clientConfig);
  }
  get location() {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  /** The object key in the bucket for one of our keys. */
  objectKey(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async put(key: string, body: Readable | Buffer, contentType?: string): Promise<StoredObject> {
    await new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: body, ContentType: contentType },
    }).done();
    return (await this.stat(key)) ?? { size: 0 };
  }

  async putFile(key: string, path: string, contentType?: string): Promise<StoredObject> {
    const { size } = await fsStat(path);
    if (size < 16 * 1024 * 1024) {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Body: createReadStream(path),
          ContentLength: size,
          ContentType: contentType,
        }),
      );
      return { size };
    }
    return this.put(key, createReadStream(path), contentType);
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const out = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.objectKey(key),
        Range: range ? `bytes=${range.start}-${range.end}` : undefined,
      }),
    );
    return out.Body as Readable;
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return { size: head.ContentLength ?? 0, contentType: head.ContentType };
    } catch (err) {
      if (
        err instanceof NotFound ||
        (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
      ) {
        return undefined;
      }
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  /** Copy then delete; past S3's 5 GiB limit on one copy, a multipart copy in 1 GiB parts. */
  async move(from: string, to: string): Promise<void> {
    const source = `${this.bucket}/${encodeURI(this.objectKey(from))}`;
    const Key = this.objectKey(to);
    const size = (await this.stat(from))?.size ?? 0;
    if (size <= 5 * 1024 ** 3) {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key, CopySource: source }));
    } else {
      const { UploadId } = await this.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }),
      );
      try {
        const part = 1024 ** 3;
        const parts: { ETag?: string; PartNumber: number }[] = [];
        for (let start = 0, n = 1; start < size; start += part, n++) {
          const out = await this.client.send(
            new UploadPartCopyCommand({
              Bucket: this.bucket,
              Key,
              UploadId,
              PartNumber: n,
              CopySource: source,
              CopySourceRange: `bytes=${start}-${Math.min(size, start + part) - 1}`,
            }),
          );
          parts.push({ ETag: out.CopyPartResult?.ETag, PartNumber: n });
        }
        await this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key,
            UploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      } catch (err) {
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }))
          .catch(() => undefined);
        throw err;
      }
    }
    await this.delete(from);
  }

  async deletePrefix(prefix: string): Promise<void> {
    const objectPrefix = `${this.objectKey(prefix.replace(/\/+$/, ''))}/`;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: objectPrefix, ContinuationToken: token }),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length)
        await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys } }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** A presigned GET URL; browsers and ffmpeg read it with Range requests. */
  directUrl(key: string, expiresInSeconds: number, download?: DownloadHints): Promise<string> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.objectKey(key),
        ResponseContentType: download?.contentType,
        ResponseContentDisposition: download
          ? `${download.disposition ?? 'inline'}; filename="${download.filename.replace(/[^\w.-]+/g, '_')}"`
          : undefined,
      }),
      { expiresIn: expiresInSeconds },
    );
  }

  bucketObject(key: string): BucketObject {
    return { bucket: this.bucket, key: this.objectKey(key) };
  }

  localPath(): undefined {
    return undefined;
  }

  async *list(prefix: string): AsyncIterable<StoredEntry[]> {
    const trimmed = prefix.replace(/\/+$/, '');
    // '' lists everything under the storage's root.
    const objectPrefix = trimmed ? `${this.objectKey(trimmed)}/` : this.prefix ? `${this.prefix}/` : '';
    const ours = this.prefix ? this.prefix.length + 1 : 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: objectPrefix, ContinuationToken: token }),
      );
      const entries = (page.Contents ?? []).flatMap((o) =>
        o.Key && !o.Key.endsWith('/') ? [{ key: o.Key.slice(ours), size: o.Size ?? 0 }] : [],
      );
      if (entries.length) yield entries;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * The client for uploads driven by browsers. The SDK's default checksums must stay off there:
   * a presigned part URL would carry the CRC32 of an empty body (and S3 refuse the real part),
   * and a multipart upload started with a checksum algorithm must be completed with every
   * part's checksum, which a browser's plain PUT does not give.
   */
  private directClient?: S3Client;
  private get presigning(): S3Client {
    this.directClient ??= new S3Client({
      ...this.clientConfig,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return this.directClient;
  }

  readonly directUploads: DirectUploads = {
    create: async (key, contentType) => {
      const { UploadId } = await this.presigning.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          ContentType: contentType,
        }),
      );
      if (!UploadId) throw new Error('the storage started a multipart upload without an upload id');
      return UploadId;
    },
    partUrl: (key, uploadId, partNumber, expiresInSeconds) =>
      getSignedUrl(
        this.presigning,
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          UploadId: uploadId,
          PartNumber: partNumber,
        }),
        { expiresIn: expiresInSeconds },
      ),
    complete: async (key, uploadId, parts: readonly CompletedPart[]) => {
      await this.presigning.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      );
    },
    abort: async (key, uploadId) => {
      await this.presigning.send(
        new AbortMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          UploadId: uploadId,
        }),
      );
    },
  };

  async uploads(_prefix: string, options: { expireAfterMs?: number } = {}): Promise<UploadTarget> {
    const datastore = new S3Store({
      partSize: 8 * 1024 * 1024,
      expirationPeriodInMilliseconds: options.expireAfterMs ?? 0,
      s3ClientConfig: { ...this.clientConfig, bucket: this.bucket },
    });
    return {
      datastore,
      idFor: (key) => this.objectKey(key),
      keyOf: (id) =>
        this.prefix && id.startsWith(`${this.prefix}/`) ? id.slice(this.prefix.length + 1) : id,
      forget: async (id) => {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: `${id}.info` }));
      },
      sweep: () => datastore.deleteExpired(),
    };
  }
}
