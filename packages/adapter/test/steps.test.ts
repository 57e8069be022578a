import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AssetWithShapes,
  JOB_TYPES,
  type JobResult,
  type Announcement,
  type Marker,
} from '@frameproof/core';
import type { Changes } from '../src/services/changes.js';
import { inTransaction } from '../src/services/changes.js';
import { JobQueue, type QueueOwner } from '../src/services/queue.js';
import { STEPS } from '../src/services/steps/index.js';
import { until } from '@frameproof/tests/until';
import {
  appFor,
  auth,
  DATABASES,
  postAsset,
  runJob,
  technical,
  type TestApp,
  uploadAsset,
} from './helpers.js';

/** Records what the adapter announces, in order (its seqs rising, then left out). */
function record(app: TestApp) {
  const seen: Announcement[] = [];
  let last = 0;
  app.ctx.events.onEvent(({ seq, ...announced }) => {
    assert.ok(seq > last, `seq ${seq} after ${last}`);
    last = seq;
    seen.push(announced);
  });
  return seen;
}

const assetOf = async (app: TestApp, id: string) =>
  (
    await app.app.inject({ url: `/api/assets/${id}`, headers: auth(await app.token()) })
  ).json() as AssetWithShapes;

describe('ingest step table', () => {
  it('has one handler per job type, and only the probe follows the upload', () => {
    assert.deepEqual(Object.keys(STEPS).sort(), [...JOB_TYPES].sort());
    assert.deepEqual(
      JOB_TYPES.filter((t) => STEPS[t].after === null),
      ['probe'],
    );
  });

  it('plans follow-up steps from what the probe found', () => {
    const input = {
      assetId: 'a1',
      source: { key: 'assets/a1/original/x.mov', mimeType: 'video/quicktime' },
      options: {
        proxyMaxHeight: 720,
        spriteIntervalSeconds: 2,
        videoAnalyses: [],
        thumbnailsQcSource: 'original' as const,
      },
    };
    const audioOnly = { ...input, technical: technical({ video: false, audioTracks: 2 }) };
    assert.deepEqual(STEPS['video-proxy'].plan(audioOnly), []);
    assert.deepEqual(STEPS.thumbnails.plan(audioOnly), []);
    assert.deepEqual(
      STEPS['audio-proxy'].plan(audioOnly).map((p) => [p.track, p.streamIndex, p.outputPrefix]),
      [
        [1, 1, 'assets/a1/audio-proxy/1'],
        [2, 2, 'assets/a1/audio-proxy/2'],
      ],
    );
    const [proxy] = STEPS['video-proxy'].plan({ ...input, technical: technical() });
    assert.equal(proxy?.maxHeight, 720);
    assert.equal(proxy?.outputPrefix, 'assets/a1/video-proxy');
    // Video analysis reads the video proxy, and only where the deployment asks for analyses.
    assert.deepEqual(STEPS['video-analysis'].plan({ ...input, technical: technical() }), []);
    const [analysis] = STEPS['video-analysis'].plan({
      ...input,
      options: { ...input.options, videoAnalyses: ['labels', 'segments'] },
      technical: technical(),
    });
    assert.equal(STEPS['video-analysis'].after, 'video-proxy');
    assert.deepEqual(analysis?.source, { key: 'assets/a1/video-proxy/video.mp4', mimeType: 'video/mp4' });
    assert.deepEqual(analysis?.analyses, ['labels', 'segments']);
    const nothing = { ...input, technical: technical({ video: false, audioTracks: 0 }) };
    assert.deepEqual(
      JOB_TYPES.flatMap((t) => (STEPS[t].after === 'probe' ? STEPS[t].plan(nothing) : [])),
      [],
    );
  });
});

describe('what thumbnails and Auto QC read (THUMBNAILS_QC_SOURCE)', () => {
  const original = { key: 'assets/a1/original/x.mov', mimeType: 'video/quicktime' };
  const proxy = { key: 'assets/a1/video-proxy/video.mp4', mimeType: 'video/mp4' };
  const source = technical({ audioTracks: 2 });
  // The proxy as the video-proxy step probed it: other stream numbers, a smaller picture.
  const made = technical({ audioTracks: 1 });
  (made.video[0] as { height: number }).height = 720;
  const input = (thumbnailsQcSource: 'original' | 'proxy', more: object = {}) => ({
    assetId: 'a1',
    source: original,
    technical: source,
    options: { proxyMaxHeight: 720, spriteIntervalSeconds: 2, videoAnalyses: [], thumbnailsQcSource },
    ...more,
  });
  const after = (type: 'thumbnails' | 'auto-qc', i: ReturnType<typeof input>) => {
    const step = STEPS[type].after;
    return typeof step === 'function' ? step(i) : step;
  };

  it('original: both follow the probe and read the original', () => {
    const i = input('original');
    for (const type of ['thumbnails', 'auto-qc'] as const) {
      assert.equal(after(type, i), 'probe');
      const [job] = STEPS[type].plan(i);
      assert.deepEqual(job?.source, original);
      assert.equal(job?.technical, source);
    }
  });

  it('proxy: both follow the video proxy and read it, with the streams its probe found', () => {
    const i = input('proxy', { result: { technical: made } });
    for (const type of ['thumbnails', 'auto-qc'] as const) {
      assert.equal(after(type, i), 'video-proxy');
      const [job] = STEPS[type].plan(i);
      assert.deepEqual(job?.source, proxy);
      assert.deepEqual(job?.technical, made);
      assert.equal(job?.outputPrefix, `assets/a1/${type}`);
    }
    // A worker that did not report the proxy's streams: the original, still after the proxy.
    const [job] = STEPS.thumbnails.plan(input('proxy', { result: {} }));
    assert.deepEqual(job?.source, original);
  });

  it('proxy: Auto QC of an asset without video still follows the probe and reads the original', () => {
    const i = { ...input('proxy'), technical: technical({ video: false, audioTracks: 1 }) };
    assert.equal(after('auto-qc', i), 'probe');
    assert.deepEqual(STEPS['auto-qc'].plan(i)[0]?.source, original);
    assert.deepEqual(STEPS.thumbnails.plan(i), []);
  });
});

for (const { name, open } of DATABASES) {
  describe(`thumbnails and Auto QC from the proxy on ${name}`, () => {
    it('are queued when the video proxy is made, and read it', async (t) => {
      const app = await appFor(t, open, { thumbnailsQcSource: 'proxy' });
      const id = await uploadAsset(app, await app.token());
      await runJob(app, 'probe', { technical: technical({ frames: 900, audioTracks: 2 }) });
      await assert.rejects(runJob(app, 'thumbnails', {}), /no thumbnails job/);
      await assert.rejects(runJob(app, 'auto-qc', {}), /no auto-qc job/);
      const made = technical({ frames: 900, audioTracks: 1 });
      const proxy = `assets/${id}/video-proxy/video.mp4`;
      await runJob(app, 'video-proxy', {
        shapes: [{ type: 'video-proxy', files: [{ key: proxy, size: 1, mimeType: 'video/mp4' }] }],
        technical: made,
      });
      for (const type of ['thumbnails', 'auto-qc']) {
        const job = await runJob(app, type, {});
        assert.equal((job.payload.source as { key: string }).key, proxy, type);
        assert.deepEqual(job.payload.technical, made, type);
      }
    });
  });
}

for (const { name, open } of DATABASES) {
  describe(`ingest writes through the asset and marker services on ${name}`, () => {
    it('announces Auto QC markers as a replaced group, and asset status changes', async (t) => {
      const app = await appFor(t, open);
      const id = await uploadAsset(app, await app.token());
      await runJob(app, 'probe', { technical: technical({ frames: 900, audioTracks: 0 }) });
      const seen = record(app);
      const qc = {
        markers: [
          { startFrame: 0, endFrame: 24, title: 'Black', category: 'black', severity: 'major' },
          { startFrame: 100, endFrame: 130, title: 'Freeze', category: 'freeze', severity: 'minor' },
        ],
      };
      await runJob(app, 'auto-qc', qc);
      // On PostgreSQL events travel through NOTIFY, so they arrive a moment later.
      await until(() => seen.some((e) => e.type === 'markers.replaced'), 'the markers event');
      assert.deepEqual(
        seen.filter((e) => e.type === 'markers.replaced'),
        [
          {
            type: 'markers.replaced',
            assetId: id,
            id,
            data: { group: 'Auto QC', origin: 'auto-qc', count: 2 },
          },
        ],
      );
      assert.ok(seen.some((e) => e.type === 'job.updated' && e.data?.status === 'completed'));
      await runJob(app, 'video-proxy', {
        shapes: [
          {
            type: 'video-proxy',
            files: [{ key: `assets/${id}/video-proxy/video.mp4`, size: 1, mimeType: 'video/mp4' }],
          },
        ],
      });
      await runJob(app, 'thumbnails', {
        shapes: [
          {
            type: 'poster',
            files: [{ key: `assets/${id}/thumbnails/poster.jpg`, size: 1, mimeType: 'image/jpeg' }],
          },
        ],
      });
      await until(
        () => seen.some((e) => e.type === 'asset.updated' && e.id === id && e.data?.status === 'ready'),
        'the asset to be announced ready',
      );
    });

    it('writes video analysis markers on one row per analysis, replacing each when it runs again', async (t) => {
      const app = await appFor(t, open, { videoAnalyses: ['labels', 'segments'] });
      const token = await app.token();
      const id = await uploadAsset(app, token);
      await runJob(app, 'probe', { technical: technical({ frames: 900, audioTracks: 0 }) });
      const proxy = `assets/${id}/video-proxy/video.mp4`;
      await runJob(app, 'video-proxy', {
        shapes: [{ type: 'video-proxy', files: [{ key: proxy, size: 1, mimeType: 'video/mp4' }] }],
      });
      const seen = record(app);
      const marker = (group: string, title: string, startFrame: number) => ({
        startFrame,
        endFrame: startFrame + 10,
        title,
        description: '3 detections',
        confidence: 97,
        category: 'labels',
        severity: 'info',
        group,
      });
      const job = await runJob(app, 'video-analysis', {
        markers: [
          marker('AI labels', 'Car', 5),
          marker('AI labels', 'Tree', 50),
          marker('AI segments', 'Shot 1', 0),
        ],
        metadata: { analyses: ['labels', 'segments'], engine: 'rekognition' },
      });
      assert.equal((job.payload.source as { key: string }).key, proxy);
      assert.deepEqual(job.payload.analyses, ['labels', 'segments']);
      const list = async (group: string) =>
        (
          (
            await app.app.inject({
              url: `/api/assets/${id}/markers?group=${encodeURIComponent(group)}`,
              headers: auth(token),
            })
          ).json() as { items: Marker[] }
        ).items.map((m) => [m.title, m.start.frame, m.confidence, m.description]);
      assert.deepEqual(await list('AI labels'), [
        ['Car', 5, 97, '3 detections'],
        ['Tree', 50, 97, '3 detections'],
      ]);
      assert.deepEqual(await list('AI segments'), [['Shot 1', 0, 97, '3 detections']]);
      await until(() => seen.some((e) => e.type === 'markers.replaced'), 'the replaced rows');
      assert.deepEqual(
        seen.filter((e) => e.type === 'markers.replaced').map((e) => e.data),
        [
          {
            groups: ['AI labels', 'AI segments'],
            origins: ['video-analysis:labels', 'video-analysis:segments'],
            count: 3,
          },
        ],
      );
      assert.equal(
        ((await assetOf(app, id)).analysis as Record<string, { engine?: string }>)['video-analysis']?.engine,
        'rekognition',
      );
    });

    it("runs the video analyses an upload chose (some of the deployment's), and refuses others", async (t) => {
      const app = await appFor(t, open, { videoAnalyses: ['labels', 'segments'] });
      const token = await app.token();
      const clip = (videoAnalyses: string) =>
        postAsset(
          app,
          token,
          { title: `Clip ${videoAnalyses}`, videoAnalyses },
          { name: 'clip.mov', type: 'video/quicktime', data: Buffer.from('bytes') },
        );
      const refused = await clip('labels,celebrities');
      assert.equal(refused.statusCode, 400, refused.body);
      assert.equal(refused.json().field, 'videoAnalyses');
      assert.match(
        refused.json().message,
        /celebrities: not among this deployment's video analyses \(labels, segments\)/,
      );
      const listed = await app.app.inject({ url: '/api/assets', headers: auth(token) });
      assert.equal((listed.json() as { items: unknown[] }).items.length, 0, 'nothing was made');

      const ingestOf = async (videoAnalyses: string) => {
        const res = await clip(videoAnalyses);
        assert.equal(res.statusCode, 201, res.body);
        await runJob(app, 'probe', { technical: technical({ frames: 900, audioTracks: 0 }) });
        await runJob(app, 'video-proxy', {});
      };
      await ingestOf('labels');
      const job = await runJob(app, 'video-analysis', { markers: [], metadata: { analyses: ['labels'] } });
      assert.deepEqual(job.payload.analyses, ['labels']);
      await ingestOf('none');
      await assert.rejects(runJob(app, 'video-analysis', {}), /no video-analysis job/, 'none chosen');
    });

    it("runs video analyses again from the API, the ones named or the deployment's", async (t) => {
      const app = await appFor(t, open, { videoAnalyses: [] });
      const token = await app.token();
      const id = await uploadAsset(app, token);
      const again = (payload: Record<string, unknown>, asset = id) =>
        app.app.inject({
          method: 'POST',
          url: `/api/assets/${asset}/video-analysis`,
          headers: auth(token),
          payload,
        });
      await runJob(app, 'probe', { technical: technical({ frames: 900, audioTracks: 0 }) });
      assert.equal((await again({ analyses: ['faces'] })).statusCode, 409, 'no proxy yet');
      await runJob(app, 'video-proxy', {
        shapes: [
          {
            type: 'video-proxy',
            files: [{ key: `assets/${id}/video-proxy/video.mp4`, size: 1, mimeType: 'video/mp4' }],
          },
        ],
      });
      const none = await again({});
      assert.equal(none.statusCode, 400, none.body);
      assert.match(none.body, /VIDEO_ANALYSES/);
      assert.equal((await again({ analyses: ['cars'] })).statusCode, 400);
      assert.equal(
        (await again({ analyses: ['faces'] }, '00000000-0000-4000-8000-000000000000')).statusCode,
        404,
      );
      const queued = await again({ analyses: ['faces', 'text'] });
      assert.equal(queued.statusCode, 202, queued.body);
      assert.deepEqual(
        (queued.json() as { items: { type: string; status: string }[] }).items.map((j) => [j.type, j.status]),
        [['video-analysis', 'queued']],
      );
      const job = await runJob(app, 'video-analysis', {
        markers: [],
        metadata: { analyses: ['faces', 'text'] },
      });
      assert.deepEqual(job.payload.analyses, ['faces', 'text']);
    });

    it('refuses a video analysis result that does not say which analyses it covers', async (t) => {
      const app = await appFor(t, open, { videoAnalyses: ['labels'] });
      await uploadAsset(app, await app.token());
      await runJob(app, 'probe', { technical: technical({ frames: 900, audioTracks: 0 }) });
      await runJob(app, 'video-proxy', {});
      await assert.rejects(
        runJob(app, 'video-analysis', { markers: [] }),
        /complete video-analysis: 400 .*analyses/,
      );
    });

    it('announces a bulk create as created markers, whatever their number', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      const seen = record(app);
      for (const markers of [
        [{ start: { frame: 1 }, title: 'one' }],
        [
          { start: { frame: 2 }, title: 'two', group: 'Sound' },
          { start: { frame: 3 }, title: 'three' },
        ],
      ]) {
        const res = await app.app.inject({
          method: 'POST',
          url: `/api/assets/${id}/markers/bulk`,
          headers: auth(token),
          payload: { markers },
        });
        assert.equal(res.statusCode, 201, res.body);
      }
      const markerEvents = () => seen.filter((e) => e.type.startsWith('marker'));
      await until(() => markerEvents().length === 2, 'two events');
      assert.deepEqual(markerEvents(), [
        { type: 'markers.created', assetId: id, id, data: { count: 1, groups: ['Manual'] } },
        { type: 'markers.created', assetId: id, id, data: { count: 2, groups: ['Manual', 'Sound'] } },
      ]);
    });

    it('gives an audio-only asset the 25 fps timeline the jobs count Auto QC frames on', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      const probe = technical({ video: false, audioTracks: 1 });
      await runJob(app, 'probe', { technical: { ...probe, durationSeconds: 10 } });
      const asset = await assetOf(app, id);
      assert.deepEqual(asset.frameRate, { num: 25, den: 1 });
      assert.equal(asset.durationFrames, 250);
      assert.equal(asset.dropFrame, false);
      const res = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers`,
        headers: auth(token),
        payload: { start: { timecode: '00:00:02:10' }, title: 'Click' },
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal((res.json() as Marker).start.frame, 60);
    });
  });

  describe(`the job queue on its own on ${name}`, () => {
    it('leases, completes and fails jobs for an owner it knows nothing about', async (t) => {
      const app = await appFor(t, open);
      const calls: string[] = [];
      const owner: QueueOwner = {
        async completed(_changes, job, result: JobResult) {
          calls.push(`completed ${job.type} ${JSON.stringify(result)}`);
        },
        async settled(_changes, job) {
          calls.push(`settled ${job.type} ${job.status}`);
        },
      };
      const queue = new JobQueue(app.ctx.db, app.ctx.events, {
        leaseSeconds: 30,
        maxAttempts: 1,
        retryBaseSeconds: 1,
      });
      queue.setOwner(owner);
      const payload = { assetId: 'none', source: { key: 'k' }, outputPrefix: 'p' };
      await inTransaction(app.ctx.db, app.ctx.events, async (changes: Changes) => {
        await queue.enqueue(changes, { type: 'probe', assetId: null, payload, priority: 0 });
        await queue.enqueue(changes, { type: 'probe', assetId: null, payload, priority: 0 });
      });
      const [first, second] = await queue.lease('w', ['probe'], 2);
      assert.ok(first && second);
      await queue.complete(first.id, first.leaseToken, { metadata: { n: 1 } });
      await queue.fail(second.id, second.leaseToken, { error: 'broken', retryable: true });
      assert.deepEqual(calls, ['completed probe {"metadata":{"n":1}}', 'settled probe failed']);
    });
  });
}
