import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import type { AssetWithShapes, Job } from '@frameproof/core';
import { LocalStorage, type Storage } from '@frameproof/storage';
import * as tus from 'tus-js-client';
import { auth, DATABASES, multipart, startApp, type TestApp } from './helpers.js';
import { startS3, type TestS3 } from './s3-server.js';
import { join } from 'node:path';

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
  { name: 'local folder', make: (dir) => new LocalStorage(join(dir, 'media')) },
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
      app = await startApp(open, { uploadMaxBytes: 4 * 1024 * 1024 }, make);
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
      const bytes = await buffer(await app.storage.read(original?.key ?? ''));
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
      await app.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: auth(admin),
        payload: { username: 'viewer', password: 'password-1234', role: 'viewer' },
      });
      const viewer = await app.token('viewer');
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

describe('uploads to S3 storage', () => {
  it('stores a one-shot upload in the bucket and serves it through a presigned URL with Range', async (t) => {
    const app = await startApp(open, {}, () => s3.storage(`media-${randomBytes(4).toString('hex')}`));
    t.after(() => app.close());
    const token = await app.token();
    const data = randomBytes(300_000);
    const form = multipart({ title: 'On S3' }, { name: 'clip.mxf', type: 'application/mxf', data });
    const res = await app.app.inject({
      method: 'POST',
      url: '/api/assets',
      headers: { ...form.headers, ...auth(token) },
      payload: form.payload,
    });
    assert.equal(res.statusCode, 201, res.body);
    const asset = (
      await app.app.inject({ url: `/api/assets/${res.json().id}`, headers: auth(token) })
    ).json() as AssetWithShapes;
    const file = asset.shapes[0]?.files[0];
    assert.equal(file?.storage, 's3');
    assert.ok(file?.url.startsWith(`${s3.endpoint}/${s3.bucket}/media-`), file?.url);
    const whole = Buffer.from(await (await fetch(file.url)).arrayBuffer());
    assert.ok(whole.equals(data));
    const part = await fetch(file.url, { headers: { range: 'bytes=1000-1999' } });
    assert.equal(part.status, 206);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(data.subarray(1000, 2000)));
  });
});
