import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { AssetWithShapes, Job, LeasedJob, Marker } from '@frameproof/core';
import { JobsRepository } from '../src/repositories/jobs.js';
import { appFor, auth, DATABASES, RUNNER, runJob, technical, type TestApp, uploadAsset } from './helpers.js';

async function runner(app: TestApp) {
  const token = await app.token(RUNNER.username);
  const post = (url: string, payload: object) =>
    app.app.inject({ method: 'POST', url, headers: auth(token), payload });
  return {
    post,
    async lease(types?: string[], limit = 1, workerId = 'w1'): Promise<LeasedJob[]> {
      const res = await post('/api/runner/lease', { workerId, limit, ...(types ? { types } : {}) });
      assert.equal(res.statusCode, 200, res.body);
      return (res.json() as { jobs: LeasedJob[] }).jobs;
    },
  };
}

const jobsOf = async (app: TestApp, assetId: string) =>
  (
    (
      await app.app.inject({ url: `/api/jobs?assetId=${assetId}`, headers: auth(await app.token()) })
    ).json() as { items: Job[] }
  ).items;
const assetOf = async (app: TestApp, id: string) =>
  (
    await app.app.inject({ url: `/api/assets/${id}`, headers: auth(await app.token()) })
  ).json() as AssetWithShapes;

const file = (key: string, mimeType: string) => ({ key, size: 100, checksum: 'sha256:00', mimeType });

for (const { name, open } of DATABASES) {
  describe(`job queue and ingest pipeline on ${name}`, () => {
    it('takes an upload through probe and every follow-up step to a ready asset', async (t) => {
      const app = await appFor(t, open);
      const id = await uploadAsset(app, await app.token());
      const probe = await runJob(app, 'probe', { technical: technical({ audioTracks: 2, frames: 900 }) });
      assert.deepEqual(Object.keys(probe.payload).sort(), ['assetId', 'outputPrefix', 'source']);

      let asset = await assetOf(app, id);
      assert.equal(asset.status, 'ingesting');
      assert.deepEqual(asset.frameRate, { num: 30000, den: 1001 });
      assert.equal(asset.durationFrames, 900);
      assert.equal(asset.dropFrame, true);
      const queued = (await jobsOf(app, id))
        .filter((j) => j.status === 'queued')
        .map((j) => j.type)
        .sort();
      assert.deepEqual(queued, ['audio-proxy', 'audio-proxy', 'auto-qc', 'thumbnails', 'video-proxy']);

      const prefix = `assets/${id}`;
      await runJob(app, 'video-proxy', {
        shapes: [{ type: 'video-proxy', files: [file(`${prefix}/video-proxy/video.mp4`, 'video/mp4')] }],
      });
      for (const track of [1, 2]) {
        await runJob(app, 'audio-proxy', {
          shapes: [
            {
              type: 'audio-proxy',
              track,
              files: [file(`${prefix}/audio-proxy/${track}/audio.m4a`, 'audio/mp4')],
            },
          ],
        });
      }
      await runJob(app, 'thumbnails', {
        shapes: [
          { type: 'poster', files: [file(`${prefix}/thumbnails/poster.jpg`, 'image/jpeg')] },
          {
            type: 'sprite',
            files: [
              file(`${prefix}/thumbnails/sprites.vtt`, 'text/vtt'),
              file(`${prefix}/thumbnails/sprite-000.jpg`, 'image/jpeg'),
            ],
          },
        ],
      });
      const qc = {
        markers: [{ startFrame: 0, endFrame: 24, title: 'Black', category: 'black', severity: 'major' }],
        metadata: { integratedLufs: -23.1 },
      };
      await runJob(app, 'auto-qc', qc);

      asset = await assetOf(app, id);
      assert.equal(asset.status, 'ready', asset.error ?? '');
      assert.equal(asset.error, null);
      assert.deepEqual(asset.shapes.map((s) => `${s.type}${s.track ?? ''}`).sort(), [
        'audio-proxy1',
        'audio-proxy2',
        'original',
        'poster',
        'sprite',
        'video-proxy',
      ]);
      assert.deepEqual(asset.analysis['auto-qc'], { integratedLufs: -23.1 });
      const markers = (
        await app.app.inject({ url: `/api/assets/${id}/markers`, headers: auth(await app.token()) })
      ).json() as { items: Marker[] };
      assert.deepEqual(
        markers.items.map((m) => [m.group, m.title, m.start.timecode, m.end.timecode]),
        [['Auto QC', 'Black', '00:00:00;00', '00:00:00;24']],
      );
    });

    it('lets a retried step overwrite its outputs rather than add to them', async (t) => {
      const app = await appFor(t, open);
      const id = await uploadAsset(app, await app.token());
      await runJob(app, 'probe', { technical: technical({ frames: 900, audioTracks: 0 }) });
      const qc = {
        markers: [{ startFrame: 0, endFrame: 24, title: 'Black', category: 'black', severity: 'major' }],
      };
      const first = await runJob(app, 'auto-qc', qc);
      const retried = await app.app.inject({
        method: 'POST',
        url: `/api/jobs/${first.id}/retry`,
        headers: auth(await app.token()),
      });
      assert.equal(retried.statusCode, 409, 'a completed job is not retried');
      const vp = await runJob(app, 'video-proxy', {
        shapes: [{ type: 'video-proxy', files: [file(`assets/${id}/video-proxy/video.mp4`, 'video/mp4')] }],
      });
      assert.ok(vp);
      // A second auto-qc run (as after a retry) replaces the markers of the first.
      const { ctx } = app;
      await ctx.db.query(`UPDATE jobs SET status = 'failed' WHERE id = $1`, [first.id]);
      assert.equal(
        (
          await app.app.inject({
            method: 'POST',
            url: `/api/jobs/${first.id}/retry`,
            headers: auth(await app.token()),
          })
        ).statusCode,
        200,
      );
      await runJob(app, 'auto-qc', qc);
      const markers = (
        await app.app.inject({ url: `/api/assets/${id}/markers`, headers: auth(await app.token()) })
      ).json() as { items: Marker[] };
      assert.equal(markers.items.length, 1);
      const asset = await assetOf(app, id);
      assert.equal(asset.shapes.filter((s) => s.type === 'video-proxy').length, 1);
    });

    it('refuses completing twice, or with a lost lease, and changes nothing', async (t) => {
      const app = await appFor(t, open);
      const id = await uploadAsset(app, await app.token());
      const r = await runner(app);
      const [job] = await r.lease(['probe']);
      assert.ok(job);
      const result = { technical: technical() };
      assert.equal(
        (await r.post(`/api/runner/jobs/${job.id}/complete`, { leaseToken: job.leaseToken, result }))
          .statusCode,
        200,
      );
      const again = await r.post(`/api/runner/jobs/${job.id}/complete`, {
        leaseToken: job.leaseToken,
        result: { technical: technical({ frames: 5 }) },
      });
      assert.equal(again.statusCode, 409);
      assert.match(again.json().message, /completed/);
      assert.equal((await assetOf(app, id)).durationFrames, 1800);
      const wrong = await r.post(`/api/runner/jobs/${job.id}/heartbeat`, {
        leaseToken: '00000000-0000-4000-8000-000000000000',
        progress: 5,
      });
      assert.equal(wrong.statusCode, 409);
      const missing = await r.post(`/api/runner/jobs/00000000-0000-4000-8000-000000000000/complete`, {
        leaseToken: job.leaseToken,
        result,
      });
      assert.equal(missing.statusCode, 404);
      const badResult = await r.post(`/api/runner/jobs/${job.id}/complete`, {
        leaseToken: job.leaseToken,
        result: { shapes: [{ type: 'nope', files: [] }] },
      });
      assert.equal(badResult.statusCode, 400);
    });

    it('takes back an expired lease, counts the attempt, and fails the job after the last one', async (t) => {
      const app = await appFor(t, open, { leaseSeconds: 2, maxAttempts: 2, retryBaseSeconds: 0 });
      const id = await uploadAsset(app, await app.token());
      const r = await runner(app);
      const [first] = await r.lease(['probe'], 1, 'doomed-worker');
      assert.ok(first);
      assert.equal(first.attempt, 1);
      await sleep(2100);
      assert.equal(await app.ctx.queue.reapExpiredLeases(), 1);
      let [job] = await jobsOf(app, id);
      assert.equal(job?.status, 'queued');
      assert.match(job?.error ?? '', /lease expired/);

      const [second] = await r.lease(['probe'], 1, 'worker-2');
      assert.equal(second?.attempt, 2);
      const late = await r.post(`/api/runner/jobs/${first.id}/complete`, {
        leaseToken: first.leaseToken,
        result: { technical: technical() },
      });
      assert.equal(late.statusCode, 409, 'the first worker lost its lease');
      await sleep(2100);
      await app.ctx.queue.reapExpiredLeases();
      [job] = await jobsOf(app, id);
      assert.equal(job?.status, 'failed');
      assert.equal(job?.attempts, 2);
      const asset = await assetOf(app, id);
      assert.equal(asset.status, 'failed');
      assert.match(asset.error ?? '', /probe failed: the worker stopped responding/);
    });

    it('retries retryable failures with backoff, fails the others at once', async (t) => {
      const app = await appFor(t, open, { retryBaseSeconds: 30 });
      const id = await uploadAsset(app, await app.token());
      const r = await runner(app);
      const [job] = await r.lease(['probe']);
      assert.ok(job);
      const res = await r.post(`/api/runner/jobs/${job.id}/fail`, {
        leaseToken: job.leaseToken,
        error: 'storage timeout',
        retryable: true,
      });
      assert.equal((res.json() as Job).status, 'queued');
      assert.deepEqual(await r.lease(['probe']), [], 'not before the backoff');
      await app.ctx.db.query(`UPDATE jobs SET run_after = now() WHERE id = $1`, [job.id]);
      const [again] = await r.lease(['probe']);
      assert.ok(again);
      const fatal = await r.post(`/api/runner/jobs/${again.id}/fail`, {
        leaseToken: again.leaseToken,
        error: 'not a media file: invalid data',
        retryable: false,
      });
      assert.equal((fatal.json() as Job).status, 'failed');
      const asset = await assetOf(app, id);
      assert.equal(asset.status, 'failed');
      assert.match(asset.error ?? '', /not a media file/);
    });

    it('counts as waiting only the jobs a worker could lease now, and running ones apart', async (t) => {
      const app = await appFor(t, open, { retryBaseSeconds: 30 });
      const jobs = new JobsRepository(app.ctx.db);
      await uploadAsset(app, await app.token());
      assert.deepEqual(await jobs.queueDepth(), { queued: 1, running: 0 });
      const r = await runner(app);
      const [job] = await r.lease(['probe']);
      assert.ok(job);
      assert.deepEqual(await jobs.queueDepth(), { queued: 0, running: 1 });
      await r.post(`/api/runner/jobs/${job.id}/fail`, {
        leaseToken: job.leaseToken,
        error: 'storage timeout',
        retryable: true,
      });
      assert.deepEqual(await jobs.queueDepth(), { queued: 0, running: 0 }, 'backing off: not waiting yet');
      await app.ctx.db.query(`UPDATE jobs SET run_after = now() WHERE id = $1`, [job.id]);
      assert.deepEqual(await jobs.queueDepth(), { queued: 1, running: 0 });
    });

    it('leaves an asset partially ready when a non-essential step fails', async (t) => {
      const app = await appFor(t, open, { maxAttempts: 1 });
      const id = await uploadAsset(app, await app.token());
      await runJob(app, 'probe', { technical: technical({ audioTracks: 0 }) });
      await runJob(app, 'video-proxy', {
        shapes: [{ type: 'video-proxy', files: [file(`assets/${id}/video-proxy/video.mp4`, 'video/mp4')] }],
      });
      await runJob(app, 'auto-qc', { markers: [] });
      const r = await runner(app);
      const [thumbs] = await r.lease(['thumbnails']);
      assert.ok(thumbs);
      await r.post(`/api/runner/jobs/${thumbs.id}/fail`, {
        leaseToken: thumbs.leaseToken,
        error: 'tile filter failed',
        retryable: false,
      });
      const asset = await assetOf(app, id);
      assert.equal(asset.status, 'ready');
      assert.match(asset.error ?? '', /thumbnails failed: tile filter failed/);
    });

    it('fails an asset whose file has neither video nor audio', async (t) => {
      const app = await appFor(t, open);
      const id = await uploadAsset(app, await app.token());
      await runJob(app, 'probe', { technical: technical({ video: false, audioTracks: 0 }) });
      const asset = await assetOf(app, id);
      assert.equal(asset.status, 'failed');
      assert.match(asset.error ?? '', /neither video nor audio/);
    });

    it('hands each job to one worker only, however many lease at once', async (t) => {
      const app = await appFor(t, open);
      const admin = await app.token();
      for (let i = 0; i < 12; i++) await uploadAsset(app, admin, `clip ${i}`);
      const r = await runner(app);
      const batches = await Promise.all([1, 2, 3, 4].map((w) => r.lease(['probe'], 4, `w${w}`)));
      const ids = batches.flat().map((j) => j.id);
      assert.equal(ids.length, 12);
      assert.equal(new Set(ids).size, 12);
      assert.deepEqual(await r.lease(['probe']), []);
    });

    it('cancels, hands back and reports progress', async (t) => {
      const app = await appFor(t, open);
      const admin = await app.token();
      const id = await uploadAsset(app, admin);
      const r = await runner(app);
      const [job] = await r.lease(['probe']);
      assert.ok(job);
      const beat = await r.post(`/api/runner/jobs/${job.id}/heartbeat`, {
        leaseToken: job.leaseToken,
        progress: 42.5,
        etaSeconds: 12,
      });
      assert.equal(beat.statusCode, 200);
      let [listed] = await jobsOf(app, id);
      assert.deepEqual([listed?.progress, listed?.etaSeconds, listed?.leaseOwner], [42.5, 12, 'w1']);

      const released = await r.post(`/api/runner/jobs/${job.id}/release`, { leaseToken: job.leaseToken });
      assert.equal((released.json() as Job).status, 'queued');
      [listed] = await jobsOf(app, id);
      assert.equal(listed?.attempts, 0, 'a hand-back is not an attempt');

      const [again] = await r.lease(['probe']);
      assert.ok(again);
      const cancelled = await app.app.inject({
        method: 'POST',
        url: `/api/jobs/${again.id}/cancel`,
        headers: auth(admin),
      });
      assert.equal((cancelled.json() as Job).status, 'cancelled');
      const lost = await r.post(`/api/runner/jobs/${again.id}/heartbeat`, { leaseToken: again.leaseToken });
      assert.equal(lost.statusCode, 409);
      assert.equal((await assetOf(app, id)).status, 'failed');
      const retried = await app.app.inject({
        method: 'POST',
        url: `/api/jobs/${again.id}/retry`,
        headers: auth(admin),
      });
      assert.equal((retried.json() as Job).status, 'queued');
      assert.equal((await assetOf(app, id)).status, 'ingesting');
    });
  });
}
