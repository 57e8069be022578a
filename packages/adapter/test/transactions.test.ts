import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Asset, LiveEvent } from '@frameproof/core';
import { until } from '@frameproof/tests/until';
import { DATABASE_UNAVAILABLE } from '../src/db/database.js';
import { appFor, auth, DATABASES, RUNNER, runJob, technical, type TestApp, uploadAsset } from './helpers.js';

/**
 * A trigger that fails (or stalls) the insert of a marker titled `poison` (or `stall`): a
 * failure in the middle of a multi-row write, after earlier rows and batches went in.
 */
async function poisonMarkers(t: TestContext, app: TestApp) {
  await app.ctx.db.exec(`
    CREATE OR REPLACE FUNCTION frameproof_test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.title = 'poison' THEN RAISE EXCEPTION 'poisoned marker row (test)'; END IF;
      IF NEW.title = 'stall' THEN PERFORM pg_sleep(60); END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER frameproof_test_poison BEFORE INSERT ON markers
      FOR EACH ROW EXECUTE FUNCTION frameproof_test_poison();`);
  const cure = () =>
    app.ctx.db.exec(`DROP TRIGGER IF EXISTS frameproof_test_poison ON markers;
      DROP FUNCTION IF EXISTS frameproof_test_poison();`);
  // The database outlives the test (the file reuses it): leave no trigger behind.
  t.after(cure);
  return cure;
}

const markerCount = async (app: TestApp, assetId: string) =>
  (
    await app.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM markers WHERE asset_id = $1', [
      assetId,
    ])
  )[0]?.n;

/** 2500 markers (three insert batches) with `bad` as the title of the 2200th. */
const manyMarkers = (bad: string) =>
  Array.from({ length: 2500 }, (_, i) => ({
    start: { frame: i },
    title: i === 2199 ? bad : `m${i}`,
  }));

for (const { name, open } of DATABASES) {
  describe(`multi-row writes on ${name} are all or nothing`, () => {
    it('a bulk marker create that fails in its third batch leaves no marker', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      await runJob(app, 'probe', { technical: technical({ frames: 10_000 }) });
      await poisonMarkers(t, app);
      const seen: LiveEvent[] = [];
      app.ctx.events.onEvent((e) => seen.push(e));

      const res = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers/bulk`,
        headers: auth(token),
        payload: { markers: manyMarkers('poison') },
      });
      assert.equal(res.statusCode, 500, res.body);
      assert.equal(await markerCount(app, id), 0);

      // The same request without the poisoned row goes in whole.
      const ok = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers/bulk`,
        headers: auth(token),
        payload: { markers: manyMarkers('fine') },
      });
      assert.equal(ok.statusCode, 201, ok.body);
      assert.equal(await markerCount(app, id), 2500);
      await until(() => seen.some((e) => e.type === 'markers.created'), 'markers.created', { ms: 30_000 });
      assert.deepEqual(
        seen.filter((e) => e.type === 'markers.created').map((e) => e.data?.count),
        [2500],
        'only the write that happened was announced',
      );
    });

    it('an ingest result that fails half-way is not stored, and the job stays the worker’s to finish', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      await runJob(app, 'probe', { technical: technical({ frames: 10_000, audioTracks: 0 }) });
      const cure = await poisonMarkers(t, app);
      const runner = await app.token(RUNNER.username);
      const lease = await app.app.inject({
        method: 'POST',
        url: '/api/runner/lease',
        headers: auth(runner),
        payload: { workerId: 'w', types: ['auto-qc'] },
      });
      const job = (lease.json() as { jobs: { id: string; leaseToken: string }[] }).jobs[0];
      assert.ok(job, lease.body);
      const result = (bad: string) => ({
        markers: Array.from({ length: 1500 }, (_, i) => ({
          startFrame: i,
          endFrame: i,
          title: i === 1200 ? bad : `Black ${i}`,
          category: 'black',
          severity: 'major',
        })),
        metadata: { checked: true },
      });
      const jobsBefore = await app.ctx.db.query('SELECT id, status FROM jobs ORDER BY id');
      const complete = (bad: string) =>
        app.app.inject({
          method: 'POST',
          url: `/api/runner/jobs/${job.id}/complete`,
          headers: auth(runner),
          payload: { leaseToken: job.leaseToken, result: result(bad) },
        });

      const failed = await complete('poison');
      assert.equal(failed.statusCode, 500, failed.body);
      assert.equal(await markerCount(app, id), 0);
      const asset = (
        await app.app.inject({ url: `/api/assets/${id}`, headers: auth(token) })
      ).json() as Asset;
      assert.equal(asset.analysis['auto-qc'], undefined);
      // The job is still running under the same lease; no job changed state.
      assert.deepEqual(await app.ctx.db.query('SELECT id, status FROM jobs ORDER BY id'), jobsBefore);

      await cure();
      const done = await complete('Black 1200');
      assert.equal(done.statusCode, 200, done.body);
      assert.equal(await markerCount(app, id), 1500);
    });

    // PGlite runs in the process: there is no connection of its own to cut.
    if (name === 'postgres')
      it('a connection killed in the middle of a bulk write leaves no marker, and the request answers 503', async (t) => {
        const app = await appFor(t, open);
        const token = await app.token();
        const id = await uploadAsset(app, token);
        await runJob(app, 'probe', { technical: technical({ frames: 10_000 }) });
        await poisonMarkers(t, app);
        const pending = app.app.inject({
          method: 'POST',
          url: `/api/assets/${id}/markers/bulk`,
          headers: auth(token),
          payload: { markers: manyMarkers('stall') },
        });
        // The write stalls in its third batch, two batches in; its connection is then cut, as
        // when the adapter's process dies: the server sees the connection go mid-transaction.
        let pid: number | undefined;
        await until(
          async () => {
            const [row] = await app.ctx.db.query<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND state = 'active' AND query LIKE '%INSERT INTO markers%'`,
            );
            pid = row?.pid;
            return pid !== undefined;
          },
          'the stalled insert',
          { ms: 60_000, everyMs: 50 },
        );
        await app.ctx.db.query('SELECT pg_terminate_backend($1)', [pid]);
        const res = await pending;
        assert.equal(res.statusCode, 503, res.body);
        assert.equal(res.json().message, DATABASE_UNAVAILABLE);
        assert.equal(await markerCount(app, id), 0);
        // The pool threw the dead connection away: the next requests work.
        const list = await app.app.inject({ url: `/api/assets/${id}/markers`, headers: auth(token) });
        assert.equal(list.statusCode, 200, list.body);
      });
  });
}
