import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Storage } from '@frameproof/storage';
import S3rver from 's3rver';

/** A real S3-protocol server (s3rver) on loopback, with one bucket, for storage, upload and AWS engine tests. */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** A storage on the bucket, under `prefix`. */
  storage(prefix?: string): S3Storage;
  close(): Promise<void>;
}

export async function startS3(bucket = 'frameproof-media'): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'frameproof-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    storage: (prefix = 'media') =>
      new S3Storage(bucket, prefix, {
        endpoint,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        region: 'us-east-1',
        // s3rver accepts these fixed credentials.
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      }),
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
