import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseBackendSettings } from '@frameproof/core';
import S3rver from 's3rver';
import { contentSecurityPolicy, loadConfig } from '../src/index.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const BUCKET = 'frameproof-config';

/** The README's "Configuration files" command, with the stack's outputs put in. */
async function readmeCommand(): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**Configuration files**'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(
    block && block.includes('npm run config -- --bucket <ConfigBucketName>'),
    'the README shows the command',
  );
  return block
    .replace('<ConfigBucketName>', BUCKET)
    .replace('<MediaBucketName>', 'frameproof-media-1')
    .replace('<region>', 'eu-west-1')
    .trim();
}

function sh(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn('sh', ['-c', command], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => done({ code, out }));
  });
}

describe('the configuration bucket, filled by the README command', () => {
  let server: S3rver;
  let dir: string;
  let endpoint: string;
  let s3: S3Client;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'frameproof-config-'));
    server = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: dir,
      configureBuckets: [{ name: BUCKET, configs: [] }],
    });
    endpoint = `http://127.0.0.1:${((await server.run()) as AddressInfo).port}`;
    s3 = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  });
  after(async () => {
    s3.destroy();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const env = () => ({ S3_ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
  const text = async (key: string) =>
    (await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString()) ??
    '';

  it('writes starting files the frontend serves and the backend reads, and keeps edits', async () => {
    const command = await readmeCommand();
    const first = await sh(command, env());
    assert.equal(first.code, 0, first.out);

    const config = await loadConfig({ dir: '/nonexistent', bucket: BUCKET, s3 });
    assert.deepEqual(config.settings.oidc, {
      issuer: 'https://frameproof.example.com/auth/realms/frameproof',
      clientId: 'frameproof-frontend',
      scope: 'openid profile email',
    });
    assert.equal(config.keycloak?.['auth-server-url'], 'https://frameproof.example.com/auth/');
    assert.match(
      contentSecurityPolicy(config),
      /connect-src [^;]*https:\/\/frameproof-media-1\.s3\.eu-west-1\.amazonaws\.com/,
      'browsers may PUT parts to the media bucket',
    );
    assert.equal(parseBackendSettings(await text('backend/settings.json')).UPLOAD_EXPIRY_SECONDS, '604800');

    // An operator's edit survives running the command again; --force replaces it.
    const edited = "window.frameproofSettings = { apiUrl: '' };\n";
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'frontend/settings.js', Body: edited }));
    const again = await sh(command, env());
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /kept {4}s3:\/\/frameproof-config\/frontend\/settings\.js/);
    assert.equal(await text('frontend/settings.js'), edited);
    assert.equal((await sh(`${command} --force`, env())).code, 0);
    assert.notEqual(await text('frontend/settings.js'), edited);

    const bad = await sh(command.replace('frameproof.example.com', 'https://bad'), env());
    assert.equal(bad.code, 1);
    assert.match(bad.out, /--domain must be a host name/);
  });
});
