import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { type AssetWithShapes, DEFAULT_PART_BYTES, type Job } from '@frameproof/core';
import { ApiError, FrameproofClient, uploadDirect, type UploadStateStore } from '@frameproof/client';
import { addUsers, auth, DATABASES, startApp, type TestApp } from './helpers.js';
import { startS3, type TestS3 } from './s3-server.js';

let s3: TestS3;
before(async () => {
  s3 = await startS3();
});
after(() => s3.close());

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A localStorage stand-in: the uploader keeps the upload id of a file in it, as in a browser. */
function memoryStore(): UploadStateStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

/**
 * Sends parts with fetch, counting them; throws on part `failOn` as a dropped connection would
 * (every time, or only the first time with `once`).
 */
function partSender(opts: { failOn?: number; once?: boolean } = {}) {
  const sent: number[] = [];
  let failed = false;
  return {
    sent,
    put: async (url: string, body: Blob) => {
      const n = Number(new URL(url).searchParams.get('partNumber'));
      if (n === opts.failOn && !(opts.once && failed)) {
        failed = true;
        throw new Error('connection dropped');
      }
      const res = await fetch(url, { method: 'PUT', body });
      assert.equal(res.status, 200, await res.clone().text());
      sent.push(n);
      return res.headers.get('etag') ?? '';
    },
  };
}

for (const { name, open } of DATABASES) {
  describe(`uploads straight to S3 (${name})`, () => {
    let app: TestApp;
    let base: string;
    const clients = new Map<string, FrameproofClient>();
    const as = async (username: string) => {
      let c = clients.get(username);
      if (!c) {
        c = new FrameproofClient(base, await app.token(username));
        clients.set(username, c);
      }
      return c;
    };
    before(async () => {
      app = await startApp(
        open,
        { uploadMaxBytes: 64 * 1024 * 1024, uploadExpirySeconds: 3600 },
        { storage: () => s3.storage(`media-${randomBytes(4).toString('hex')}`) },
      );
      await app.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(app.app.server.address() as AddressInfo).port}`;
      await addUsers(app, { uploader: 'editor', other: 'editor', watcher: 'viewer' });
    });
    after(() => app.close());

    it('says the storage takes direct uploads', async () => {
      assert.deepEqual(await (await as('watcher')).uploadOptions(), {
        direct: true,
        tus: true,
        maxBytes: 64 * 1024 * 1024,
      });
    });

    it('resumes an interrupted upload from the recorded parts and ingests the assembled original', async () => {
      const client = await as('uploader');
      // Two full parts and a short last one.
      const data = randomBytes(2 * DEFAULT_PART_BYTES + 123_457);
      const file = {
        blob: new Blob([data]),
        name: 'Reel 2 (final).mov',
        type: 'video/quicktime',
        lastModified: 1,
      };
      const store = memoryStore();

      const first = partSender({ failOn: 3 });
      await assert.rejects(
        uploadDirect(client, file, {
          store,
          title: 'Reel 2',
          putPart: first.put,
          concurrency: 1,
          retryDelays: [],
        }),
        /connection dropped/,
      );
      assert.deepEqual(first.sent, [1, 2]);
      const id = [...store.map.values()][0];
      assert.ok(id, 'the upload id is remembered for the file');
      const recorded = await client.getDirectUpload(id);
      assert.deepEqual(
        recorded.parts.map((p) => p.partNumber),
        [1, 2],
      );
      assert.equal(recorded.partCount, 3);
      assert.equal(recorded.partSize, DEFAULT_PART_BYTES);

      // A reload: a new uploader, the same store. Only part 3 is sent (its first try drops, the retry goes).
      const second = partSender({ failOn: 3, once: true });
      const progress: number[] = [];
      const asset = await uploadDirect(client, file, {
        store,
        putPart: second.put,
        retryDelays: [0],
        onProgress: (sent) => progress.push(sent),
      });
      assert.deepEqual(second.sent, [3]);
      assert.deepEqual(progress, [2 * DEFAULT_PART_BYTES, data.length]);
      assert.equal(store.map.size, 0, 'a finished upload is forgotten');
      assert.equal(asset.title, 'Reel 2');

      const full = (
        await app.app.inject({ url: `/api/assets/${asset.id}`, headers: auth(await app.token('uploader')) })
      ).json() as AssetWithShapes;
      const original = full.shapes.find((s) => s.type === 'original')?.files[0];
      assert.ok(original);
      assert.equal(original.size, data.length);
      assert.equal(original.mimeType, 'video/quicktime');
      const key = (await app.ctx.assets.file(original.id))?.key ?? '';
      assert.equal(key, `assets/${asset.id}/original/Reel_2_final_.mov`);
      const stored = await buffer(await app.storage.read(key));
      assert.equal(sha256(stored), sha256(data), 'the object is the file, byte for byte');
      const bytes = Buffer.from(await (await fetch(original.url)).arrayBuffer());
      assert.equal(md5(bytes), md5(data));

      const jobs = (
        await app.app.inject({ url: `/api/jobs?assetId=${asset.id}`, headers: auth(await app.token()) })
      ).json() as { items: Job[] };
      assert.deepEqual(
        jobs.items.map((j) => j.type),
        ['probe'],
        'ingest is queued as for a tus upload',
      );
      await assert.rejects(
        client.getDirectUpload(id),
        (err) => err instanceof ApiError && err.status === 404,
      );
    });

    it('hides an upload from everyone but its uploader', async () => {
      const mine = await (await as('uploader')).createDirectUpload({ fileName: 'a.mxf', size: 1000 });
      const other = await as('other');
      const calls: [string, () => Promise<unknown>][] = [
        ['get', () => other.getDirectUpload(mine.id)],
        ['sign', () => other.signParts(mine.id, [1])],
        ['report', () => other.reportPart(mine.id, 1, 'a'.repeat(32))],
        ['complete', () => other.completeDirectUpload(mine.id)],
        ['abort', () => other.abortDirectUpload(mine.id)],
      ];
      for (const [what, call] of calls)
        await assert.rejects(call(), (err) => err instanceof ApiError && err.status === 404, what);
      const viewer = await as('watcher');
      await assert.rejects(
        viewer.createDirectUpload({ fileName: 'b.mxf', size: 10 }),
        (err) => err instanceof ApiError && err.status === 403,
      );
      assert.equal((await (await as('uploader')).getDirectUpload(mine.id)).id, mine.id);
    });

    it('refuses bad input with a clear 4xx and changes nothing', async () => {
      const client = await as('uploader');
      const status = (status: number, message?: RegExp) => (err: unknown) =>
        err instanceof ApiError && err.status === status && (!message || message.test(err.message));
      await assert.rejects(
        client.createDirectUpload({ fileName: 'big.mxf', size: 65 * 1024 * 1024 }),
        status(413, /upload limit/),
      );
      await assert.rejects(client.createDirectUpload({ fileName: 'empty.mxf', size: 0 }), status(400));
      // The deployment runs no video analyses: an upload may not ask for one.
      await assert.rejects(
        client.createDirectUpload({ fileName: 'ai.mxf', size: 10, videoAnalyses: ['labels'] }),
        status(400, /videoAnalyses: labels: not among this deployment's video analyses \(none\)/),
      );

      const data = randomBytes(DEFAULT_PART_BYTES + 10);
      const upload = await client.createDirectUpload({
        fileName: 'two.mxf',
        size: data.length,
        videoAnalyses: [],
      });
      assert.equal(upload.partCount, 2);
      await assert.rejects(client.signParts(upload.id, [3]), status(400, /part 3 is out of range/));
      await assert.rejects(client.reportPart(upload.id, 1, 'a'.repeat(32)), status(409, /never signed/));
      await assert.rejects(client.reportPart(upload.id, 1, 'not-an-etag'), status(400));
      await assert.rejects(
        client.completeDirectUpload(upload.id),
        status(409, /parts 1, 2 have not been reported/),
      );

      const { parts } = await client.signParts(upload.id, [1, 2]);
      const etags: string[] = [];
      for (const part of parts) {
        const slice = data.subarray(
          (part.partNumber - 1) * DEFAULT_PART_BYTES,
          part.partNumber * DEFAULT_PART_BYTES,
        );
        const res = await fetch(part.url, { method: 'PUT', body: slice });
        etags.push(res.headers.get('etag') ?? '');
        await client.reportPart(upload.id, part.partNumber, etags.at(-1) ?? '');
      }
      const wrong = [
        { partNumber: 1, etag: etags[0] ?? '' },
        { partNumber: 2, etag: `"${'0'.repeat(32)}"` },
      ];
      await assert.rejects(
        client.completeDirectUpload(upload.id, { parts: wrong }),
        status(409, /part 2: the ETag differs/),
      );
      await assert.rejects(
        client.completeDirectUpload(upload.id, { parts: wrong.slice(0, 1) }),
        status(409, /names 1 parts/),
      );
      const before = await client.getDirectUpload(upload.id);
      assert.equal(before.parts.length, 2, 'the record is as it was');
      assert.equal((await client.listAssets({ q: 'two' })).items.length, 0, 'no asset was made');

      const asset = await client.completeDirectUpload(upload.id, {
        parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })),
      });
      assert.equal(asset.title, 'two');
      const [chosen] = await app.ctx.db.query<{ video_analyses: string[] | null }>(
        'SELECT video_analyses FROM assets WHERE id = $1',
        [asset.id],
      );
      assert.deepEqual(chosen?.video_analyses, [], 'the choice is kept with the asset');
      await assert.rejects(client.signParts(upload.id, [1]), status(404));
    });

    it('aborts on request, and sweeps uploads past UPLOAD_EXPIRY_SECONDS', async () => {
      const client = await as('uploader');
      const dropped = await client.createDirectUpload({ fileName: 'gone.mxf', size: 100 });
      await client.abortDirectUpload(dropped.id);
      await assert.rejects(
        client.getDirectUpload(dropped.id),
        (err) => err instanceof ApiError && err.status === 404,
      );

      const stale = await client.createDirectUpload({ fileName: 'stale.mxf', size: 100 });
      assert.equal(await app.ctx.directUploads.sweep(new Date()), 0, 'nothing has expired yet');
      const later = new Date(Date.parse(stale.expiresAt) + 1000);
      assert.ok((await app.ctx.directUploads.sweep(later)) >= 1);
      await assert.rejects(
        client.getDirectUpload(stale.id),
        (err) => err instanceof ApiError && err.status === 404,
      );
    });
  });
}

describe('uploads to a folder', () => {
  it('keep to tus: the adapter says so and refuses a direct upload', async (t) => {
    const { open } = DATABASES[0] as (typeof DATABASES)[number];
    const app = await startApp(open);
    t.after(() => app.close());
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    const client = new FrameproofClient(
      `http://127.0.0.1:${(app.app.server.address() as AddressInfo).port}`,
      await app.token(),
    );
    assert.equal((await client.uploadOptions()).direct, false);
    await assert.rejects(
      client.createDirectUpload({ fileName: 'a.mov', size: 10 }),
      (err) => err instanceof ApiError && err.status === 409 && /tus/.test(err.message),
    );
  });
});
