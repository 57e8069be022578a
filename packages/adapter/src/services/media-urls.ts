import { createHmac, timingSafeEqual } from 'node:crypto';
import { type MediaFile, servedInline } from '@frameproof/core';
import type { Storage } from '@frameproof/storage';
import type { FileRecord } from '../repositories/assets.js';
import type { KeyRing } from './key-ring.js';

/** The file's name: the last part of its key. */
const nameOf = (file: Pick<FileRecord, 'key'>) => file.key.slice(file.key.lastIndexOf('/') + 1);

/**
 * Short-lived URLs that read a file without a token, so that a <video> element can seek with
 * Range requests: the storage's own direct URL where it has one (presigned S3 URLs), else an
 * HMAC-signed adapter URL that the media route serves from the local file.
 */
export class MediaUrls {
  constructor(
    private readonly storage: Storage,
    private readonly keys: KeyRing,
    private readonly ttlSeconds: number,
    private readonly basePath = '/api/media',
  ) {}

  /**
   * A file as the API shows it, with a URL that reads it: its name only, for where it is stored is
   * none of the client's business.
   */
  async view(file: FileRecord, origin = ''): Promise<MediaFile> {
    return {
      id: file.id,
      name: nameOf(file),
      size: file.size,
      checksum: file.checksum,
      mimeType: file.mimeType,
      url: await this.url(file, origin),
    };
  }

  /** `origin` (scheme and host, from PUBLIC_URL or the request) makes local URLs absolute. */
  async url(file: FileRecord, origin = '', now = Date.now()): Promise<string> {
    const direct =
      file.storage === this.storage.kind
        ? await this.storage.directUrl(file.key, this.ttlSeconds, {
            filename: nameOf(file) || 'media',
            contentType: servedInline(file.mimeType) ? file.mimeType : 'application/octet-stream',
            disposition: servedInline(file.mimeType) ? 'inline' : 'attachment',
          })
        : undefined;
    if (direct) return direct;
    const expires = Math.floor(now / 1000) + this.ttlSeconds;
    return `${origin}${this.basePath}/${file.id}?expires=${expires}&signature=${this.sign(file.id, expires)}`;
  }

  verify(fileId: string, expires: number, signature: string, now = Date.now()): boolean {
    if (expires * 1000 < now) return false;
    const given = Buffer.from(signature);
    return this.keys.keys.some((key) => {
      const expected = Buffer.from(this.sign(fileId, expires, key));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  private sign(fileId: string, expires: number, key = this.keys.current): string {
    return createHmac('sha256', key).update(`${fileId}.${expires}`).digest('base64url');
  }
}
