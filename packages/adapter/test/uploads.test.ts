import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import type { AssetWithShapes, Job } from '@frameproof/core';
import { openStorage, type Storage } from '@frameproof/storage';
import * as tus from 'tus-js-client';
import { auth, DATABASES, startApp, type TestApp, addUser, postAsset } from './helpers.js';
import { startS3, type TestS3 } from './s3-server.js';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { until } from '@frameproof/tests/until';
import { readConfig } from '../src/config.js';

let s3: TestS3;
before(async () => {
  s3 = await startS3();
});
after(() => s3.close());

const { open } = DATABASES[0] as (typeof DATABASES)[number];
// tus on S3 runs @tus/s3-store, which reads an upload's offset with ListParts; none of the
// S3-protocol servers that install here (s3rver and its forks) implements ListParts, so tus is
// tested on the local folder, and S3 through one-shot uploads and presigned reads below.
const STORAGES: { name: string; make: (dir: string) => Storage }[] = [
  { name: 'local folder', make: (dir) => openStorage(join(dir, 'media')) },
];

interface Sent {
  url: string | null;
  assetId?: string;
}

/** Sends `data` with tus-js-client; `stopAfter` aborts after that many bytes, as a dropped connection would. */
function send(
  endpoint: string,
  token: string,
  data: Buffer,
  opts: { uploadUrl?: string; stopAfter?: number; chunkSize?: number } = {},
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const sent: Sent = { url: null };
    const upload: tus.Upload = new tus.Upload(data, {
      endpoint,
      uploadUrl: opts.uploadUrl,
      chunkSize: opts.chunkSize ?? 256 * 1024,
      retryDelays: [],
      headers: { authorization: `Bearer ${token}` },
      metadata: { filename: 'Reel 1 (final).mov', filetype: 'video/quicktime', title: 'Reel 1' },
      onChunkComplete: (_chunk, accepted) => {
        sent.url = upload.url;
        if (opts.stopAfter !== undefined && accepted >= opts.stopAfter) {
          void upload.abort().then(() => resolve(sent));
        }
      },
      onAfterResponse: (_req, res) => {
        const id = res.getHeader('Frameproof-Asset-Id');
        if (id) sent.assetId = id;
      },
      onSuccess: () => {
        sent.url = upload.url;
        resolve(sent);
      },
      onError: reject,
    });
    upload.start();
  });
}

for (const { name, make } of STORAGES) {
  describe(`resumable uploads (tus) to ${name}`, () => {
    let app: TestApp;
    let endpoint: string;
    before(async () => {
      app = await startApp(open, { uploadMaxBytes: 4 * 1024 * 1024 }, { storage: make });
      await app.app.listen({ port: 0, host: '127.0.0.1' });
      endpoint = `http://127.0.0.1:${(app.app.server.address() as AddressInfo).port}/api/uploads`;
    });
    after(() => app.close());

    it('resumes an interrupted upload and creates the asset when the last byte arrives', async () => {
      const token = await app.token();
      const data = randomBytes(1024 * 1024 + 123);
      const first = await send(endpoint, token, data, { stopAfter: 256 * 1024 });
      assert.ok(first.url);
      assert.equal(first.assetId, undefined);
      const list = await app.app.inject({ url: '/api/assets', headers: auth(token) });
      assert.equal(list.json().items.length, 0, 'no asset before the upload is whole');

      const rest = await send(endpoint, token, data, { uploadUrl: first.url });
      assert.ok(rest.assetId, 'the last answer names the asset');
      const asset = (
        await app.app.inject({ url: `/api/assets/${rest.assetId}`, headers: auth(token) })
      ).json() as AssetWithShapes;
      assert.equal(asset.title, 'Reel 1');
      const original = asset.shapes.find((s) => s.type === 'original')?.files[0];
      assert.equal(original?.size, data.length);
      assert.equal(original?.mimeType, 'video/quicktime');
      const key = (await app.ctx.assets.file(original?.id ?? ''))?.key ?? '';
      const bytes = await buffer(await app.storage.read(key));
      assert.ok(bytes.equals(data), 'the stored original is the uploaded file, byte for byte');
      const jobs = (
        await app.app.inject({ url: `/api/jobs?assetId=${rest.assetId}`, headers: auth(token) })
      ).json() as { items: Job[] };
      assert.deepEqual(
        jobs.items.map((j) => j.type),
        ['probe'],
      );
    });

    it('refuses uploads without a token, from viewers, over the limit, or without a file name', async () => {
      const data = randomBytes(1000);
      await assert.rejects(() => send(endpoint, 'nope', data), /401/);
      const admin = await app.token();
      const viewer = await addUser(app, 'viewer');
      await assert.rejects(() => send(endpoint, viewer, data), /403/);
      await assert.rejects(() => send(endpoint, admin, randomBytes(5 * 1024 * 1024)), /413/);
      const noName = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'tus-resumable': '1.0.0', 'upload-length': '10' },
      });
      assert.equal(noName.status, 400);
      const list = await app.app.inject({ url: '/api/assets', headers: auth(admin) });
      assert.equal(list.json().items.length, 1, 'only the asset of the first test');
    });
  });
}

describe('resumable uploads belong to their uploader, and end', () => {
  let app: TestApp;
  let endpoint: string;
  let port: number;
  before(async () => {
    app = await startApp(open, { uploadMaxBytes: 4 * 1024 * 1024, uploadExpirySeconds: 3600 });
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.app.server.address() as AddressInfo).port;
    endpoint = `http://127.0.0.1:${port}/api/uploads`;
    // Editors of the deployment's project.
    for (const username of ['uploader', 'other']) await addUser(app, 'editor', username);
  });
  after(() => app.close());
  const tusRequest = (url: string, token: string, method: string, extra: Record<string, string> = {}) =>
    fetch(new URL(url, endpoint), {
      method,
      headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', ...extra },
      body: method === 'PATCH' ? Buffer.from('x') : undefined,
    });

  it('hides an upload from everyone but its uploader, and keeps a finished one out of reach', async () => {
    const uploader = await app.token('uploader');
    const other = await app.token('other');
    const data = randomBytes(600 * 1024);
    const first = await send(endpoint, uploader, data, { stopAfter: 256 * 1024 });
    assert.ok(first.url);
    for (const method of ['HEAD', 'GET', 'PATCH', 'DELETE']) {
      const res = await tusRequest(first.url, other, method, {
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      });
      assert.equal(res.status, 404, `${method} by another editor`);
      assert.equal(res.headers.get('upload-metadata'), null, 'nothing about the upload is told');
    }
    assert.equal((await tusRequest(first.url, uploader, 'HEAD')).status, 200, 'the uploader still sees it');

    const done = await send(endpoint, uploader, data, { uploadUrl: first.url });
    assert.ok(done.assetId);
    const asset = (
      await app.app.inject({ url: `/api/assets/${done.assetId}`, headers: auth(uploader) })
    ).json() as AssetWithShapes;
    const original = asset.shapes.find((s) => s.type === 'original')?.files[0];
    assert.ok(original);
    const key = (await app.ctx.assets.file(original.id))?.key ?? '';
    assert.ok(
      key.startsWith(`assets/${done.assetId}/original/`),
      `the original moved under its asset: ${key}`,
    );
    const uploadKey = decodeURIComponent(new URL(first.url).pathname.split('/').pop() ?? '');
    assert.notEqual(uploadKey, key);
    assert.equal(await app.storage.stat(uploadKey), undefined, 'nothing is left under the upload id');

    for (const token of [uploader, other]) {
      const terminate = await tusRequest(first.url, token, 'DELETE');
      assert.ok(terminate.status >= 400 && terminate.status < 500, `DELETE answered ${terminate.status}`);
      assert.equal((await tusRequest(first.url, token, 'HEAD')).status, 404);
    }
    const bytes = await buffer(await app.storage.read(key));
    assert.ok(bytes.equals(data), 'the original is whole');
  });

  it('sweeps unfinished uploads once they expire, and leaves the others', async () => {
    const uploader = await app.token('uploader');
    const started = await send(endpoint, uploader, randomBytes(600 * 1024), { stopAfter: 256 * 1024 });
    assert.ok(started.url);
    const uploads = app.ctx.uploads;
    assert.ok(uploads);
    assert.equal(await uploads.sweep(new Date(Date.now() + 3_500_000)), 0, 'not expired yet');
    assert.equal((await tusRequest(started.url, uploader, 'HEAD')).status, 200);
    const uploadKey = decodeURIComponent(new URL(started.url).pathname.split('/').pop() ?? '');
    assert.ok(await app.storage.stat(uploadKey));
    assert.equal(await uploads.sweep(new Date(Date.now() + 3_700_000)), 1);
    assert.equal((await tusRequest(started.url, uploader, 'HEAD')).status, 404);
    assert.equal(await app.storage.stat(uploadKey), undefined, 'its bytes are gone');
  });

  it('announces the expiry to clients, and reads UPLOAD_EXPIRY_SECONDS strictly', async () => {
    const uploader = await app.token('uploader');
    const created = await fetch(endpoint, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${uploader}`,
        'tus-resumable': '1.0.0',
        'upload-length': '10',
        'upload-metadata': `filename ${Buffer.from('a.mov').toString('base64')}`,
      },
    });
    assert.equal(created.status, 201);
    assert.ok(created.headers.get('upload-expires'));
    assert.equal(readConfig({ UPLOAD_EXPIRY_SECONDS: '86400' }).uploadExpirySeconds, 86400);
    for (const bad of ['1 day', '-5', '10', '1.5'])
      assert.throws(() => readConfig({ UPLOAD_EXPIRY_SECONDS: bad }), /UPLOAD_EXPIRY_SECONDS/);
  });

  it('leaves no .part file behind when a one-shot upload is aborted', async () => {
    const token = await app.token('uploader');
    const boundary = 'frameproofabort';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mov"\r\nContent-Type: video/quicktime\r\n\r\n`,
    );
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(
      `POST /api/assets HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${3 * 1024 * 1024}\r\n\r\n`,
    );
    socket.write(head);
    socket.write(randomBytes(512 * 1024));
    const media = join(app.dir, 'media');
    await until(async () => (await partFiles(media)).length > 0, 'the upload to be written to a .part file', {
      ms: 30_000,
    });
    socket.destroy();
    await until(async () => (await partFiles(media)).length === 0, 'the .part file to be removed', {
      ms: 30_000,
    });
  });
});

async function partFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.filter((e) => e.endsWith('.part'));
}

describe('uploads to S3 storage', () => {
  it('stores a one-shot upload in the bucket and serves it through a presigned URL with Range', async (t) => {
    const app = await startApp(
      open,
      {},
      { storage: () => s3.storage(`media-${randomBytes(4).toString('hex')}`) },
    );
    t.after(() => app.close());
    const token = await app.token();
    const data = randomBytes(300_000);
    const res = await postAsset(
      app,
      token,
      { title: 'On S3' },
      { name: 'clip.mxf', type: 'application/mxf', data },
    );
    assert.equal(res.statusCode, 201, res.body);
    const asset = (
      await app.app.inject({ url: `/api/assets/${res.json().id}`, headers: auth(token) })
    ).json() as AssetWithShapes;
    const file = asset.shapes[0]?.files[0];
    assert.ok(file);
    assert.equal((await app.ctx.assets.file(file.id))?.storage, 's3');
    assert.ok(file?.url.startsWith(`${s3.endpoint}/${s3.bucket}/media-`), file?.url);
    const whole = Buffer.from(await (await fetch(file.url)).arrayBuffer());
    assert.ok(whole.equals(data));
    const part = await fetch(file.url, { headers: { range: 'bytes=1000-1999' } });
    assert.equal(part.status, 206);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(data.subarray(1000, 2000)));
  });
});
