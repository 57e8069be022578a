// npm run config -- --bucket NAME --domain DOMAIN --media-origin ORIGIN [--force]
// Copies the starting configuration (infra/config: frontend/settings.js, frontend/keycloak.json,
// backend/settings.json) into the configuration bucket, with the domain and the media bucket's
// origin filled in. A file already in the bucket is kept (it may have been edited) unless
// --force. Uses the usual AWS credentials; S3_ENDPOINT for another S3-protocol server.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CONFIG_DIR, readConfigFiles, renderConfigFile } from '../lib/config-files.js';

const { values } = parseArgs({
  options: {
    bucket: { type: 'string' },
    domain: { type: 'string' },
    'media-origin': { type: 'string' },
    force: { type: 'boolean', default: false },
  },
});
const { bucket, domain, force } = values;
const mediaOrigin = values['media-origin'];
if (!bucket || !domain || !mediaOrigin) {
  console.error('usage: npm run config -- --bucket NAME --domain DOMAIN --media-origin ORIGIN [--force]');
  process.exit(2);
}

const TYPES: Record<string, string> = { js: 'text/javascript', json: 'application/json' };
const endpoint = process.env.S3_ENDPOINT;
const s3 = new S3Client({
  region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
  ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
});

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

try {
  // Every file is rendered first: a bad value writes nothing.
  const files = readConfigFiles(fileURLToPath(CONFIG_DIR)).map((f) => ({
    ...f,
    text: renderConfigFile(f.text, { domain, mediaOrigin }),
  }));
  for (const { key, text } of files) {
    if (!force && (await exists(key))) {
      console.log(`kept    s3://${bucket}/${key} (already there; --force replaces it)`);
      continue;
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: text,
        ContentType: TYPES[key.slice(key.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
      }),
    );
    console.log(`wrote   s3://${bucket}/${key}`);
  }
} catch (err) {
  console.error(`config: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  s3.destroy();
}
