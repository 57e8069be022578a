import { GetObjectCommand, NoSuchKey, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { BACKEND_SETTINGS_KEY, type Env, parseBackendSettings, withBackendSettings } from '@frameproof/core';
import { LocalStorage } from './local.js';
import { parseS3Url, S3Storage } from './s3.js';
import type { Storage } from './storage.js';

export * from './storage.js';
export { LocalStorage } from './local.js';
export { parseS3Url, S3Storage } from './s3.js';

/** The S3 client settings for the environment: AWS, or another S3-protocol server at `S3_ENDPOINT`. */
export function s3ClientConfig(env: Env = process.env): S3ClientConfig {
  const endpoint = env.S3_ENDPOINT;
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // Other S3-protocol servers rarely speak the SDK's default streaming checksums.
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
  };
}

/**
 * Opens the storage that `STORAGE_URL` names: `s3://bucket/prefix`, or a folder path. For an
 * S3-protocol server other than AWS, set `S3_ENDPOINT` (path-style addressing is then used).
 */
export function openStorage(url: string, env: NodeJS.ProcessEnv = process.env): Storage {
  if (url.startsWith('s3://')) {
    const { bucket, prefix } = parseS3Url(url);
    return new S3Storage(bucket, prefix, s3ClientConfig(env));
  }
  return new LocalStorage(url.replace(/^file:\/\//, ''));
}

/**
 * The environment a backend service runs with: when `CONFIG_BUCKET` is set, the settings in the
 * bucket's `backend/settings.json` fill in what the environment does not set (a missing file is
 * no settings; an unreadable or malformed one stops the start with a clear error).
 */
export async function environmentWithBucketSettings(env: Env = process.env): Promise<Env> {
  const bucket = env.CONFIG_BUCKET;
  if (!bucket) return env;
  const client = new S3Client(s3ClientConfig(env));
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: BACKEND_SETTINGS_KEY }));
    const text = (await object.Body?.transformToString('utf8')) ?? '';
    return withBackendSettings(env, parseBackendSettings(text));
  } catch (err) {
    if (err instanceof NoSuchKey) return env;
    throw err;
  } finally {
    client.destroy();
  }
}
