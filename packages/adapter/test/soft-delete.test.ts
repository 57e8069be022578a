import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { Asset, AssetWithShapes, DeletedAsset, Job, LiveEvent, Marker } from '@frameproof/core';
import { until } from '@frameproof/tests/until';
import {
  auth,
  DATABASES,
  RUNNER,
  runJob,
  startApp,
  technical,
  type TestApp,
  uploadAsset,
  addUser,
  filesUnder,
} from './helpers.js';

const DAY_MS = 86_400_000;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** An app whose deletion clock the test moves by hand; users editor, reviewer and viewer exist. */
async function setUp(t: TestContext, open: (typeof DATABASES)[number]['open']) {
  const clock = { now: new Date('2026-03-01T12:00:00.000Z') };
  const app = await startApp(open, {}, { context: { now: () => clock.now } });
  t.after(() => app.close());
  const admin = await app.token();
  const editor = await addUser(app, 'editor');
  for (const role of ['reviewer', 'viewer']) await addUser(app, role);
  const events: LiveEvent[] = [];
  app.ctx.events.onEvent((e) => events.push(e));
  return { app, clock, admin, editor, events };
}

/** An asset with a probe done (so it has a timeline), a marker with a comment, and jobs queued. */
async function assetWithWork(app: TestApp, token: string, title: string) {
  const id = await uploadAsset(app, token, title);
  const probe = await runJob(app, 'probe', { technical: technical({ frames: 1000 }) });
  const marker = await app.app.inject({
    method: 'POST',
    url: `/api/assets/${id}/markers`,
    headers: auth(token),
    payload: { start: { frame: 10 }, title: `${title} dropout` },
  });
  assert.equal(marker.statusCode, 201, marker.body);
  const markerId = (marker.json() as Marker).id;
  const comment = await app.app.inject({
    method: 'POST',
    url: `/api/assets/${id}/markers/${markerId}/comments`,
    headers: auth(token),
    payload: { body: 'Seen' },
  });
  assert.equal(comment.statusCode, 201, comment.body);
  const got = (
    await app.app.inject({ url: `/api/assets/${id}`, headers: auth(token) })
  ).json() as AssetWithShapes;
  const fileUrl = new URL(got.shapes[0]?.files[0]?.url ?? '');
  return { id, markerId, probeJobId: probe.id, mediaPath: fileUrl.pathname + fileUrl.search };
}

const rowCounts = async (app: TestApp, id: string) => {
  const [row] = await app.ctx.db.query<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM assets WHERE id = $1) AS assets,
            (SELECT count(*)::int FROM shapes WHERE asset_id = $1) AS shapes,
            (SELECT count(*)::int FROM markers WHERE asset_id = $1) AS markers,
            (SELECT count(*)::int FROM comments c JOIN markers m ON m.id = c.marker_id WHERE m.asset_id = $1) AS comments,
            (SELECT count(*)::int FROM jobs WHERE asset_id = $1) AS jobs`,
    [id],
  );
  return row as Record<string, number>;
};

const lease = async (app: TestApp) => {
  const res = await app.app.inject({
    method: 'POST',
    url: '/api/runner/lease',
    headers: auth(await app.token(RUNNER.username)),
    payload: { workerId: 'w', limit: 16 },
  });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { jobs: { id: string; leaseToken: string }[] }).jobs;
};

const jobAssets = async (app: TestApp, ids: string[]) => {
  const rows = await app.ctx.db.query<{ asset_id: string }>(
    'SELECT asset_id FROM jobs WHERE id = ANY($1::uuid[])',
    [ids],
  );
  return new Set(rows.map((r) => r.asset_id));
};

for (const { name, open } of DATABASES) {
  describe(`deleting assets on ${name}`, () => {
    it('a soft delete hides the asset from every list and read at once, and its jobs from workers', async (t) => {
      const { app, admin, editor, events } = await setUp(t, open);
      const gone = await assetWithWork(app, editor, 'Gone tape');
      const kept = await assetWithWork(app, editor, 'Kept tape');
      const before = await rowCounts(app, gone.id);

      const del = await app.app.inject({
        method: 'DELETE',
        url: `/api/assets/${gone.id}`,
        headers: auth(editor),
      });
      assert.equal(del.statusCode, 204, del.body);
      // On PostgreSQL events travel through NOTIFY: wait for them.
      const deleted = () => events.find((e) => e.type === 'asset.deleted' && e.id === gone.id);
      await until(() => deleted() !== undefined, 'asset.deleted', { ms: 30_000 });
      const announced = deleted();
      assert.deepEqual(announced?.data, { restorableUntil: '2026-03-31T12:00:00.000Z' });

      const get = (url: string) => app.app.inject({ url, headers: auth(admin) });
      for (const url of [
        `/api/assets/${gone.id}`,
        `/api/assets/${gone.id}/markers`,
        `/api/assets/${gone.id}/markers/export?format=csv`,
        `/api/assets/${gone.id}/markers/${gone.markerId}/comments`,
        `/api/jobs/${gone.probeJobId}`,
      ])
        assert.equal((await get(url)).statusCode, 404, url);
      assert.equal((await app.app.inject({ url: gone.mediaPath })).statusCode, 404, 'its media URL');
      const list = (await get('/api/assets')).json() as { items: Asset[] };
      assert.deepEqual(
        list.items.map((a) => a.id),
        [kept.id],
      );
      assert.deepEqual(((await get('/api/assets?q=tape')).json() as { items: Asset[] }).items.length, 1);
      assert.deepEqual(((await get(`/api/jobs?assetId=${gone.id}`)).json() as { items: Job[] }).items, []);
      const allJobs = ((await get('/api/jobs')).json() as { items: Job[] }).items;
      assert.ok(allJobs.length > 0);
      assert.ok(allJobs.every((j) => j.assetId === kept.id));
      // Writes to it answer 404 as well.
      for (const [method, url, payload] of [
        ['PATCH', `/api/assets/${gone.id}`, { title: 'x' }],
        ['POST', `/api/assets/${gone.id}/qc`, { status: 'approved' }],
        ['POST', `/api/assets/${gone.id}/markers`, { start: { frame: 1 }, title: 'x' }],
        ['POST', `/api/assets/${gone.id}/markers/${gone.markerId}/comments`, { body: 'x' }],
        ['DELETE', `/api/assets/${gone.id}/markers/${gone.markerId}`, undefined],
        ['DELETE', `/api/assets/${gone.id}`, undefined],
        ['POST', `/api/jobs/${gone.probeJobId}/retry`, undefined],
      ] as const) {
        const res = await app.app.inject({ method, url, headers: auth(admin), payload });
        assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
      }
      // Workers get only the live asset's queued jobs.
      const leased = await lease(app);
      assert.ok(leased.length > 0);
      assert.deepEqual(
        await jobAssets(
          app,
          leased.map((j) => j.id),
        ),
        new Set([kept.id]),
      );
      // Nothing of it was removed: it is all there for a restore.
      assert.deepEqual(await rowCounts(app, gone.id), before);
      assert.ok((await filesUnder(join(app.dir, 'media', 'assets', gone.id))).length > 0);

      const trash = (await get('/api/assets/deleted')).json() as { items: DeletedAsset[] };
      assert.equal(trash.items.length, 1);
      assert.equal(trash.items[0]?.id, gone.id);
      assert.equal(trash.items[0]?.deletedAt, '2026-03-01T12:00:00.000Z');
      assert.equal(trash.items[0]?.restorableUntil, '2026-03-31T12:00:00.000Z');
      const editorId = (
        (await app.app.inject({ url: '/api/auth/me', headers: auth(editor) })).json() as { id: string }
      ).id;
      assert.equal(trash.items[0]?.deletedBy, editorId);
    });

    it('a restore brings the asset back whole, and its waiting jobs to the workers', async (t) => {
      const { app, editor, events } = await setUp(t, open);
      const asset = await assetWithWork(app, editor, 'Tape');
      const before = await rowCounts(app, asset.id);
      const listed = async () =>
        (
          (await app.app.inject({ url: '/api/assets', headers: auth(editor) })).json() as {
            items: Asset[];
          }
        ).items.map((a) => a.id);

      await app.app.inject({ method: 'DELETE', url: `/api/assets/${asset.id}`, headers: auth(editor) });
      assert.deepEqual(await lease(app), []);
      const restored = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${asset.id}/restore`,
        headers: auth(editor),
      });
      assert.equal(restored.statusCode, 200, restored.body);
      assert.equal((restored.json() as Asset).id, asset.id);
      await until(
        () => events.some((e) => e.type === 'asset.restored' && e.id === asset.id),
        'asset.restored',
        {
          ms: 30_000,
        },
      );
      assert.deepEqual(await listed(), [asset.id]);
      assert.deepEqual(await rowCounts(app, asset.id), before);
      const markers = (
        await app.app.inject({ url: `/api/assets/${asset.id}/markers`, headers: auth(editor) })
      ).json() as { items: Marker[] };
      assert.deepEqual(
        markers.items.map((m) => m.id),
        [asset.markerId],
      );
      assert.equal((await app.app.inject({ url: asset.mediaPath })).statusCode, 200);
      assert.ok((await lease(app)).length > 0, 'the jobs queued before the delete are leased again');
      const trash = await app.app.inject({ url: '/api/assets/deleted', headers: auth(editor) });
      assert.deepEqual(trash.json(), { items: [] });

      // Restoring a live asset, or one that never was, is refused and changes nothing.
      const again = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${asset.id}/restore`,
        headers: auth(editor),
      });
      assert.equal(again.statusCode, 409);
      assert.match(again.json().message, /not deleted/);
      const unknown = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${UNKNOWN}/restore`,
        headers: auth(editor),
      });
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().message, 'asset not found');
      const notUuid = await app.app.inject({
        method: 'POST',
        url: '/api/assets/nope/restore',
        headers: auth(editor),
      });
      assert.equal(notUuid.statusCode, 400);
      assert.equal(notUuid.json().field, 'id');
      assert.deepEqual(await listed(), [asset.id]);
      assert.deepEqual(await rowCounts(app, asset.id), before);
    });

    it('the sweep purges rows and files once ASSET_RETENTION_DAYS have passed, and nothing sooner', async (t) => {
      const { app, clock, editor, events } = await setUp(t, open);
      const gone = await assetWithWork(app, editor, 'Gone');
      const kept = await assetWithWork(app, editor, 'Kept');
      const keptRows = await rowCounts(app, kept.id);
      const mediaOf = (id: string) => filesUnder(join(app.dir, 'media', 'assets', id));
      const keptFiles = await mediaOf(kept.id);
      assert.ok(keptFiles.length > 0);

      await app.app.inject({ method: 'DELETE', url: `/api/assets/${gone.id}`, headers: auth(editor) });
      await app.app.inject({ method: 'DELETE', url: `/api/assets/${kept.id}`, headers: auth(editor) });
      await app.app.inject({ method: 'POST', url: `/api/assets/${kept.id}/restore`, headers: auth(editor) });

      clock.now = new Date(clock.now.getTime() + 30 * DAY_MS - 1);
      assert.deepEqual(await app.ctx.assets.purgeExpired(), []);
      assert.equal((await rowCounts(app, gone.id)).assets, 1);
      assert.ok((await mediaOf(gone.id)).length > 0);

      clock.now = new Date(clock.now.getTime() + 1);
      assert.deepEqual(await app.ctx.assets.purgeExpired(), [gone.id]);
      assert.deepEqual(await rowCounts(app, gone.id), {
        assets: 0,
        shapes: 0,
        markers: 0,
        comments: 0,
        jobs: 0,
      });
      assert.deepEqual(await mediaOf(gone.id), []);
      await until(
        () => events.some((e) => e.type === 'asset.deleted' && e.id === gone.id && e.data?.purged === true),
        'asset.deleted { purged }',
        { ms: 30_000 },
      );
      // The restored asset is untouched, rows and files.
      assert.deepEqual(await rowCounts(app, kept.id), keptRows);
      assert.deepEqual(await mediaOf(kept.id), keptFiles);
      assert.deepEqual(await app.ctx.assets.purgeExpired(), []);

      // Too late to restore: 404, and nothing comes back.
      const late = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${gone.id}/restore`,
        headers: auth(editor),
      });
      assert.equal(late.statusCode, 404);
      assert.equal((await rowCounts(app, gone.id)).assets, 0);
    });

    it('the sweep waits for a job still running on a deleted asset', async (t) => {
      const { app, clock, editor } = await setUp(t, open);
      const asset = await assetWithWork(app, editor, 'Busy');
      const leased = await lease(app);
      assert.ok(leased.length > 0);
      await app.app.inject({ method: 'DELETE', url: `/api/assets/${asset.id}`, headers: auth(editor) });
      clock.now = new Date(clock.now.getTime() + 31 * DAY_MS);
      assert.deepEqual(await app.ctx.assets.purgeExpired(), []);
      // The worker finishes (its result is kept for a restore); then the sweep purges.
      const runner = await app.token(RUNNER.username);
      for (const job of leased) {
        const res = await app.app.inject({
          method: 'POST',
          url: `/api/runner/jobs/${job.id}/fail`,
          headers: auth(runner),
          payload: { leaseToken: job.leaseToken, error: 'stopped', retryable: false },
        });
        assert.equal(res.statusCode, 200, res.body);
      }
      assert.deepEqual(await app.ctx.assets.purgeExpired(), [asset.id]);
    });

    it('a hard delete removes rows and files at once, for admins only', async (t) => {
      const { app, admin, editor } = await setUp(t, open);
      const live = await assetWithWork(app, editor, 'Live');
      const trashed = await assetWithWork(app, editor, 'Trashed');
      const mediaOf = (id: string) => filesUnder(join(app.dir, 'media', 'assets', id));
      await app.app.inject({ method: 'DELETE', url: `/api/assets/${trashed.id}`, headers: auth(editor) });
      const liveRows = await rowCounts(app, live.id);

      const byEditor = await app.app.inject({
        method: 'DELETE',
        url: `/api/assets/${live.id}?hard=true`,
        headers: auth(editor),
      });
      assert.equal(byEditor.statusCode, 403);
      assert.match(byEditor.json().message, /only admins/);
      const badFlag = await app.app.inject({
        method: 'DELETE',
        url: `/api/assets/${live.id}?hard=maybe`,
        headers: auth(admin),
      });
      assert.equal(badFlag.statusCode, 400);
      assert.equal(badFlag.json().field, 'hard');
      assert.deepEqual(await rowCounts(app, live.id), liveRows);
      assert.ok((await mediaOf(live.id)).length > 0);

      for (const id of [live.id, trashed.id]) {
        const res = await app.app.inject({
          method: 'DELETE',
          url: `/api/assets/${id}?hard=true`,
          headers: auth(admin),
        });
        assert.equal(res.statusCode, 204, res.body);
        assert.deepEqual(await rowCounts(app, id), {
          assets: 0,
          shapes: 0,
          markers: 0,
          comments: 0,
          jobs: 0,
        });
        assert.deepEqual(await mediaOf(id), []);
        const restore = await app.app.inject({
          method: 'POST',
          url: `/api/assets/${id}/restore`,
          headers: auth(admin),
        });
        assert.equal(restore.statusCode, 404);
      }
      const unknown = await app.app.inject({
        method: 'DELETE',
        url: `/api/assets/${UNKNOWN}?hard=true`,
        headers: auth(admin),
      });
      assert.equal(unknown.statusCode, 404);
    });

    it('reviewers and viewers may neither delete nor restore nor see the trash', async (t) => {
      const { app, editor } = await setUp(t, open);
      const asset = await assetWithWork(app, editor, 'Guarded');
      const rows = await rowCounts(app, asset.id);
      for (const role of ['reviewer', 'viewer']) {
        const token = await app.token(role);
        for (const [method, url] of [
          ['DELETE', `/api/assets/${asset.id}`],
          ['DELETE', `/api/assets/${asset.id}?hard=true`],
          ['POST', `/api/assets/${asset.id}/restore`],
          ['GET', '/api/assets/deleted'],
        ] as const) {
          const res = await app.app.inject({ method, url, headers: auth(token) });
          assert.equal(res.statusCode, 403, `${role} ${method} ${url}`);
        }
      }
      assert.deepEqual(await rowCounts(app, asset.id), rows);
      const read = await app.app.inject({ url: `/api/assets/${asset.id}`, headers: auth(editor) });
      assert.equal(read.statusCode, 200);
    });
  });
}
