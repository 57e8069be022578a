import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import {
  buildStaticServer,
  contentSecurityPolicy,
  loadConfig,
  parseSettingsJs,
  sourceMapsServed,
} from '../src/index.js';

const SETTINGS = `// comment\nwindow.frameproofSettings = {"apiUrl": "", "oidc": null};\n`;
const MAP = JSON.stringify({ version: 3, sources: ['../src/app.tsx'], mappings: '' });
const APP_JS = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;

/** A built app as vite leaves it (index.html, hashed files with .gz and .br), and a config folder. */
async function fixture(): Promise<{ root: string; config: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'frameproof-frontend-'));
  const root = join(dir, 'public');
  const config = join(dir, 'config');
  await mkdir(join(root, 'static'), { recursive: true });
  await mkdir(config);
  await writeFile(
    join(root, 'index.html'),
    '<!doctype html><script type="module" src="/static/app-1a2b3c4d.js"></script>',
  );
  await writeFile(join(root, 'static/app-1a2b3c4d.js'), APP_JS);
  await writeFile(join(root, 'static/app-1a2b3c4d.js.gz'), gzipSync(APP_JS));
  await writeFile(join(root, 'static/app-1a2b3c4d.js.br'), brotliCompressSync(APP_JS));
  await writeFile(join(root, 'static/app-1a2b3c4d.js.map'), MAP);
  await writeFile(join(root, 'static/app-1a2b3c4d.js.map.gz'), gzipSync(MAP));
  await writeFile(join(config, 'settings.js'), SETTINGS);
  return { root, config, dir };
}

describe('frontend static server', () => {
  let f: Awaited<ReturnType<typeof fixture>>;
  let app: Awaited<ReturnType<typeof buildStaticServer>>;
  before(async () => {
    f = await fixture();
    app = await buildStaticServer({ root: f.root, config: await loadConfig({ dir: f.config }) });
  });
  after(async () => {
    await app.close();
    await rm(f.dir, { recursive: true, force: true });
  });

  it('answers GET / with the app, never cached, with the security headers', async () => {
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /connect-src 'self'(;|$)/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'strict-origin-when-cross-origin');
  });

  it('sends hashed files precompressed (brotli, else gzip, else plain) with a year of caching', async () => {
    const url = '/static/app-1a2b3c4d.js';
    const br = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(br.statusCode, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.ok(Number(br.headers['content-length']) < APP_JS.length / 10);
    assert.match(String(br.headers['content-security-policy']), /default-src 'self'/);
    const gz = await app.inject({ url, headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers['cache-control'], 'public, max-age=31536000, immutable');
    const plain = await app.inject({ url, headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body, APP_JS);
  });

  it('answers the app routes (deep links included) with index.html, and missing files with 404', async () => {
    for (const url of [
      '/assets/0f8fad5b-d9cb-469f-a165-70867728950e?frame=12',
      '/admin/users',
      '/signin?next=%2F',
    ]) {
      const res = await app.inject({ url, headers: { accept: 'text/html' } });
      assert.equal(res.statusCode, 200, url);
      assert.match(res.body, /app-1a2b3c4d\.js/);
      assert.equal(res.headers['cache-control'], 'no-cache');
    }
    for (const url of ['/static/app-00000000.js', '/favicon.png']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 404, url);
      assert.match(String(res.headers['content-security-policy']), /default-src/);
    }
  });

  it('does not serve source maps, plain or precompressed, unless FRONTEND_SOURCE_MAPS says serve', async () => {
    for (const url of [
      '/static/app-1a2b3c4d.js.map',
      '/static/app-1a2b3c4d.js.map.gz',
      '/static/APP-1a2b3c4d.js.MAP?x=1',
    ]) {
      const res = await app.inject({ url, headers: { 'accept-encoding': 'br, gzip' } });
      assert.equal(res.statusCode, 404, url);
      assert.doesNotMatch(res.body, /sources/, url);
    }
    const serving = await buildStaticServer({
      root: f.root,
      config: await loadConfig({ dir: f.config }),
      serveSourceMaps: true,
    });
    try {
      const res = await serving.inject({ url: '/static/app-1a2b3c4d.js.map' });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(JSON.parse(res.body).sources, ['../src/app.tsx']);
    } finally {
      await serving.close();
    }
    assert.equal(sourceMapsServed({}), false);
    assert.equal(sourceMapsServed({ FRONTEND_SOURCE_MAPS: 'off' }), false);
    assert.equal(sourceMapsServed({ FRONTEND_SOURCE_MAPS: 'serve' }), true);
    assert.throws(
      () => sourceMapsServed({ FRONTEND_SOURCE_MAPS: 'yes' }),
      /FRONTEND_SOURCE_MAPS must be "serve" or "off", got "yes"/,
    );
  });

  it('serves /settings.js from the config folder, and /keycloak.json only when there is one', async () => {
    const res = await app.inject({ url: '/settings.js' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/javascript/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.body, SETTINGS);
    assert.equal((await app.inject({ url: '/keycloak.json' })).statusCode, 404);
  });
});

describe('frontend settings and CSP', () => {
  it('limits connect and media sources to this origin, the API and the identity provider', () => {
    const csp = contentSecurityPolicy({
      settings: parseSettingsJs(
        'window.frameproofSettings = {"apiUrl": "https://api.example.com", "mediaOrigins": ["https://media.s3.amazonaws.com"]};',
      ),
      keycloak: { realm: 'frameproof', 'auth-server-url': 'https://example.com/auth', resource: 'web' },
    });
    const directive = (name: string) => csp.split('; ').find((d) => d.startsWith(`${name} `));
    assert.equal(
      directive('connect-src'),
      "connect-src 'self' https://api.example.com wss://api.example.com https://example.com https://media.s3.amazonaws.com",
    );
    assert.equal(
      directive('media-src'),
      "media-src 'self' blob: https://api.example.com https://media.s3.amazonaws.com",
    );
    assert.equal(directive('script-src'), "script-src 'self'");
    assert.equal(directive('form-action'), "form-action 'self' https://example.com");
  });

  it('refuses settings.js that it cannot read, naming what is wrong', () => {
    assert.throws(() => parseSettingsJs('alert(1)'), /does not run/);
    assert.throws(() => parseSettingsJs('var x = 1;'), /must set window\.frameproofSettings to an object/);
    assert.throws(() => parseSettingsJs('while (true) {}'), /does not run/);
    assert.throws(
      () => parseSettingsJs('window.frameproofSettings = {apiUrl: 1};'),
      /apiUrl must be an origin/,
    );
    assert.throws(
      () => parseSettingsJs('window.frameproofSettings = {"apiUrl": "javascript:alert(1)"};'),
      /apiUrl must be an origin/,
    );
    assert.throws(
      () => parseSettingsJs('window.frameproofSettings = {"oidc": {"issuer": "x"}};'),
      /oidc.issuer/,
    );
  });
});

describe('frontend settings from the configuration bucket', () => {
  let server: S3rver;
  let dir: string;
  let endpoint: string;
  const bucket = 'frameproof-config';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'frameproof-s3-'));
    server = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: dir,
      configureBuckets: [{ name: bucket, configs: [] }],
    });
    endpoint = `http://127.0.0.1:${((await server.run()) as AddressInfo).port}`;
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const client = () =>
    new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });

  it('reads frontend/settings.js and frontend/keycloak.json from the bucket when CONFIG_BUCKET is set', async () => {
    const s3 = client();
    const bucketSettings = 'window.frameproofSettings = {"apiUrl": "https://review.example.com"};\n';
    const keycloak =
      '{"realm":"frameproof","auth-server-url":"https://review.example.com/auth","resource":"frontend"}';
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'frontend/settings.js', Body: bucketSettings }),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'frontend/keycloak.json', Body: keycloak }));
    const f = await fixture();
    const app = await buildStaticServer({
      root: f.root,
      config: await loadConfig({ dir: f.config, bucket, s3 }),
    });
    try {
      assert.equal((await app.inject({ url: '/settings.js' })).body, bucketSettings);
      const kc = await app.inject({ url: '/keycloak.json' });
      assert.equal(kc.statusCode, 200);
      assert.equal(kc.body, keycloak);
      assert.match(
        String((await app.inject({ url: '/' })).headers['content-security-policy']),
        /connect-src 'self' https:\/\/review\.example\.com wss:\/\/review\.example\.com;/,
      );
    } finally {
      await app.close();
      s3.destroy();
      await rm(f.dir, { recursive: true, force: true });
    }
  });

  it('refuses to start when the bucket does not exist', async () => {
    const s3 = client();
    await assert.rejects(loadConfig({ dir: '/nonexistent', bucket: 'frameproof-config-missing', s3 }), /./);
    s3.destroy();
  });

  it("serves the image's own settings while a new deployment's bucket has none, and says so", async () => {
    const s3 = client();
    await s3.send(new CreateBucketCommand({ Bucket: 'frameproof-config-new' }));
    const f = await fixture();
    try {
      const config = await loadConfig({ dir: f.config, bucket: 'frameproof-config-new', s3 });
      assert.equal(config.settingsJs, await readFile(join(f.config, 'settings.js'), 'utf8'));
      assert.deepEqual(config.from, {
        place: f.config,
        fallback: 's3://frameproof-config-new/frontend/settings.js does not exist yet',
      });
      await assert.rejects(
        loadConfig({ dir: '/nonexistent', bucket: 'frameproof-config-new', s3 }),
        /\/nonexistent\/settings\.js does not exist/,
        'and with no settings of its own either, it refuses',
      );
    } finally {
      s3.destroy();
      await rm(f.dir, { recursive: true, force: true });
    }
  });
});

describe('frontend process', () => {
  it('serves on PORT, then stops cleanly on SIGTERM', async () => {
    const f = await fixture();
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', resolve(import.meta.dirname, '../src/main.ts')],
      {
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          FRONTEND_ROOT: f.root,
          FRONTEND_CONFIG_DIR: f.config,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      let ok = false;
      for (let i = 0; i < 120 && !ok; i++) {
        ok = await fetch(`http://127.0.0.1:${port}/`).then(
          (r) => r.ok,
          () => false,
        );
        if (!ok) await sleep(250);
      }
      assert.ok(ok, `the frontend did not start: ${output}`);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      await rm(f.dir, { recursive: true, force: true });
    }
  });
});
