import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '@frameproof/core';
import { environmentWithBucketSettings } from '@frameproof/storage';
import { readConfig } from '../src/config.js';
import { startS3, type TestS3 } from './s3-server.js';

let s3: TestS3;
// The SDK takes credentials from the process environment, as on ECS it takes the task role's.
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
before(async () => {
  s3 = await startS3('frameproof-config');
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
});
after(async () => {
  if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  else process.env.AWS_ACCESS_KEY_ID = saved.id;
  if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  await s3.close();
});

describe('backend settings from the configuration bucket (CONFIG_BUCKET)', () => {
  const env = () => ({
    CONFIG_BUCKET: s3.bucket,
    S3_ENDPOINT: s3.endpoint,
    UPLOAD_EXPIRY_SECONDS: '60',
  });
  // backend/settings.json, written through a storage on the bucket's backend/ prefix.
  const write = (text: string) => s3.storage('backend').put('settings.json', Buffer.from(text));

  it('runs on the environment alone while the bucket has no backend/settings.json', async () => {
    const merged = await environmentWithBucketSettings(env());
    assert.equal(readConfig(merged).uploadExpirySeconds, 60);
  });

  it('fills in what the environment does not set from backend/settings.json; the environment wins', async () => {
    await write('{"UPLOAD_MAX_BYTES": 1048576, "UPLOAD_EXPIRY_SECONDS": 3600, "ASSET_RETENTION_DAYS": 7}');
    const config = readConfig(await environmentWithBucketSettings(env()));
    assert.equal(config.uploadMaxBytes, 1048576);
    assert.equal(config.assetRetentionDays, 7);
    assert.equal(config.uploadExpirySeconds, 60, 'the task environment wins');
  });

  it('stops the start on a malformed file, saying what is wrong', async () => {
    await write('{"UPLOAD_MAX_BYTES": [1]}');
    await assert.rejects(
      environmentWithBucketSettings(env()),
      (err) => err instanceof ConfigError && /UPLOAD_MAX_BYTES must be a string/.test(err.message),
    );
  });

  it('reads nothing without CONFIG_BUCKET', async () => {
    const plain = { UPLOAD_EXPIRY_SECONDS: '5' };
    assert.equal(await environmentWithBucketSettings(plain), plain);
  });
});
