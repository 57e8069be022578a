import { LocalStorage } from './local.js';
import { parseS3Url, S3Storage } from './s3.js';
import type { Storage } from './storage.js';

export * from './storage.js';
export { LocalStorage } from './local.js';
export { parseS3Url, S3Storage } from './s3.js';

/**
 * Opens the storage that `STORAGE_URL` names: `s3://bucket/prefix`, or a folder path. For an
 * S3-protocol server other than AWS, set `S3_ENDPOINT` (path-style addressing is then used).
 */
export function openStorage(url: string, env: NodeJS.ProcessEnv = process.env): Storage {
  if (url.startsWith('s3://')) {
    const { bucket, prefix } = parseS3Url(url);
    const endpoint = env.S3_ENDPOINT;
    return new S3Storage(bucket, prefix, {
      region: env.AWS_REGION ?? 'us-east-1',
      // Other S3-protocol servers rarely speak the SDK's default streaming checksums.
      ...(endpoint
        ? {
            endpoint,
            forcePathStyle: true,
            requestChecksumCalculation: 'WHEN_REQUIRED',
            responseChecksumValidation: 'WHEN_REQUIRED',
          }
        : {}),
    });
  }
  return new LocalStorage(url.replace(/^file:\/\//, ''));
}
