import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import type { AssetWithShapes, ImportRecord } from '@frameproof/core';
import { LocalStorage, type Storage } from '@frameproof/storage';
import { until } from '@frameproof/tests/until';
import { ImportsRepository } from '../src/repositories/imports.js';
import { IMPORT_STALLED_MS } from '../src/services/imports.js';
import { addUser, addUsers, appFor, auth, DATABASES, startApp, type TestApp } from './helpers.js';
import { startS3, type TestS3 } from './s3-server.js';

let s3: TestS3;
before(async () => {
  s3 = await startS3();
});
after(() => s3.close());

const STORAGES: { name: string; make: (dir: string) => Storage }[] = [
  { name: 'S3', make: () => s3.storage(`media-${randomBytes(4).toString('hex')}`) },
  { name: 'a folder', make: (dir) => new LocalStorage(join(dir, 'media')) },
];

const cases = DATABASES.flatMap((db) => STORAGES.map((storage) => ({ db, storage })));

for (const { db, storage } of cases) {
  describe(`imports from ${storage.name} (${db.name})`, () => {
    let app: TestApp;
    let admin: string;
    before(async () => {
      app = await startApp(db.open, {}, { storage: storage.make });
      await addUsers(app, { editor: 'editor', reviewer: 'reviewer' });
      admin = await app.token();
    });
    after(() => app.close());

    const post = async (token: string, payload: object) =>
      app.app.inject({ method: 'POST', url: '/api/imports', headers: auth(token), payload });
    const finished = async (id: string) => {
      let record: ImportRecord | undefined;
      await until(
        async () => {
          record = (await app.app.inject({ url: `/api/imports/${id}`, headers: auth(admin) })).json();
          return record?.status !== 'running';
        },
        'the import to finish',
        { ms: 30_000, everyMs: 50 },
      );
      return record as ImportRecord;
    };

    it('registers the objects under a prefix as assets where they are, and queues their ingest', async () => {
      const a = randomBytes(70_000);
      const b = randomBytes(50_000);
      await app.storage.put('incoming/day1/a.mov', a);
      await app.storage.put('incoming/day1/sub/b.mxf', b);
      await app.storage.put('incoming/day1/notes.txt', Buffer.from('not media'));
      await app.storage.put('incoming/day2/c.mov', Buffer.from('other day'));

      const res = await post(await app.token('editor'), { prefix: 'incoming/day1/' });
      assert.equal(res.statusCode, 202, res.body);
      const record = await finished(res.json().id);
      assert.equal(record.status, 'completed');
      assert.deepEqual(
        { total: record.total, imported: record.imported, failed: record.failed, skipped: record.skipped },
        { total: 2, imported: 2, failed: 0, skipped: 1 },
      );
      assert.deepEqual(
        record.items.map((i) => i.key),
        ['incoming/day1/a.mov', 'incoming/day1/sub/b.mxf'],
      );

      const assetId = record.items[0]?.assetId as string;
      const asset = (
        await app.app.inject({ url: `/api/assets/${assetId}`, headers: auth(admin) })
      ).json() as AssetWithShapes;
      assert.equal(asset.title, 'a');
      const original = asset.shapes.find((s) => s.type === 'original')?.files[0];
      assert.ok(original);
      assert.equal(original.size, a.length);
      assert.equal(original.mimeType, 'video/quicktime');
      const file = await app.ctx.assets.file(original.id);
      assert.equal(file?.key, 'incoming/day1/a.mov', 'the original is the object itself: nothing was copied');
      assert.equal(file?.external, true);
      const copies: string[] = [];
      for await (const page of app.storage.list(`assets/${assetId}`)) copies.push(...page.map((e) => e.key));
      assert.deepEqual(copies, [], 'nothing was written under the asset');

      const jobs = await app.ctx.db.query<{ type: string; payload: { source?: { key?: string } } }>(
        'SELECT type, payload FROM jobs WHERE asset_id = $1',
        [assetId],
      );
      assert.deepEqual(
        jobs.map((j) => [j.type, j.payload.source?.key]),
        [['probe', 'incoming/day1/a.mov']],
        'ingest reads the object where it is',
      );

      // Importing again takes nothing twice.
      const again = await finished((await post(admin, { prefix: 'incoming/day1' })).json().id);
      assert.equal(again.imported, 0);
      assert.equal(again.failed, 2);
      assert.match(again.items[0]?.error ?? '', /already the original of asset/);

      // Deleting, even purging, the asset leaves the object it did not copy.
      await app.app.inject({ method: 'DELETE', url: `/api/assets/${assetId}`, headers: auth(admin) });
      const purge = await app.app.inject({
        method: 'DELETE',
        url: `/api/assets/${record.items[1]?.assetId}?hard=true`,
        headers: auth(admin),
      });
      assert.equal(purge.statusCode, 204, purge.body);
      await app.ctx.assets.purge(assetId);
      assert.ok((await buffer(await app.storage.read('incoming/day1/a.mov'))).equals(a));
      assert.ok((await buffer(await app.storage.read('incoming/day1/sub/b.mxf'))).equals(b));
    });

    it('imports a list of keys, all checked first', async () => {
      await app.storage.put('drop/x.mp4', randomBytes(1000));
      const before = (await app.app.inject({ url: '/api/assets', headers: auth(admin) })).json().items.length;
      const missing = await post(admin, { keys: ['drop/x.mp4', 'drop/missing.mov'] });
      assert.equal(missing.statusCode, 400);
      assert.match(missing.json().message, /no object at "drop\/missing.mov"/);
      for (const key of ['../etc/passwd', 'drop/../x.mp4', 'assets/abc/original/x.mov', 'uploads/x'])
        assert.equal((await post(admin, { keys: [key] })).statusCode, 400, key);
      assert.equal((await post(admin, { prefix: 'assets' })).statusCode, 400);
      // The deployment runs no video analyses: an import may not ask for one.
      const analyses = await post(admin, { keys: ['drop/x.mp4'], videoAnalyses: ['faces'] });
      assert.equal(analyses.statusCode, 400, analyses.body);
      assert.equal(analyses.json().field, 'videoAnalyses');
      assert.equal((await post(await app.token('reviewer'), { keys: ['drop/x.mp4'] })).statusCode, 403);
      const after = (await app.app.inject({ url: '/api/assets', headers: auth(admin) })).json().items.length;
      assert.equal(after, before, 'nothing was imported');

      const record = await finished(
        (await post(admin, { keys: ['drop/x.mp4'], videoAnalyses: [] })).json().id,
      );
      assert.deepEqual([record.total, record.imported, record.source], [1, 1, 'keys']);
      const [chosen] = await app.ctx.db.query<{ video_analyses: string[] | null }>(
        'SELECT video_analyses FROM assets WHERE id = $1',
        [record.items[0]?.assetId],
      );
      assert.deepEqual(chosen?.video_analyses, [], 'the choice is kept with the asset');
      assert.equal(
        (await app.app.inject({ url: `/api/imports/${randomUUIDLike()}`, headers: auth(admin) })).statusCode,
        404,
      );
      // Another editor is not told about an import they did not start: its keys and assets
      // may be of projects they are not in.
      const other = await addUser(app, 'editor', 'other-editor');
      const theirs = await app.app.inject({ url: `/api/imports/${record.id}`, headers: auth(other) });
      assert.equal(theirs.statusCode, 404, theirs.body);
    });
  });
}

const randomUUIDLike = () => '00000000-0000-4000-8000-000000000001';

for (const db of DATABASES) {
  describe(`an import cut off by a crash (${db.name})`, () => {
    it('is failed with its reason once it has not moved for a while; one that moves stays running', async (t) => {
      const app = await appFor(t, db.open);
      const token = await app.token();
      const [admin] = await app.ctx.db.query<{ id: string }>("SELECT id FROM users WHERE username = 'admin'");
      const repo = new ImportsRepository(app.ctx.db);
      // Given an import whose adapter died after one object, and one still moving
      const cut = await repo.create(admin?.id ?? '', 'old/');
      await repo.addItem(cut, 0, 'old/a.mov', null, 'not a video');
      await app.ctx.db.query(
        `UPDATE imports SET progress_at = progress_at - interval '${IMPORT_STALLED_MS / 1000 + 60} seconds' WHERE id = $1`,
        [cut],
      );
      const moving = await repo.create(admin?.id ?? '', 'new/');
      // When the sweep runs
      assert.deepEqual(await app.ctx.imports.sweepStalled(), [cut]);
      // Then the first is failed, saying why and what to do, and the second runs on
      const record = async (id: string) =>
        (await app.app.inject({ url: `/api/imports/${id}`, headers: auth(token) })).json() as ImportRecord;
      const failed = await record(cut);
      assert.equal(failed.status, 'failed');
      assert.match(failed.error ?? '', /import stopped: nothing moved since .*import again to take the rest/);
      assert.equal(failed.total, 1);
      assert.equal((await record(moving)).status, 'running');
      assert.deepEqual(await app.ctx.imports.sweepStalled(), [], 'a failed import is not swept again');
    });
  });
}
