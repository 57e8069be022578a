import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { countFrames, exited, makeClip, makeProgramme, PROGRAMME, shapesOf, Stack } from './stack.js';

const FULL = ['audio-proxy1', 'original', 'poster', 'sprite', 'video-proxy'];

describe('the media pipeline, end to end (adapter and jobs as processes)', () => {
  let stack: Stack;
  before(async () => {
    stack = await Stack.start();
  });
  after(() => stack.close());

  it('turns an upload into a ready asset with a frame-exact proxy, audio tracks, thumbnails and Auto QC', async () => {
    const worker = stack.startWorker();
    const clip = await makeProgramme(join(stack.dir, 'programme 1; $(echo hi).mp4'));
    const id = await stack.upload(clip, 'Programme 1');
    const [asset] = await stack.settled([id]);
    assert.ok(asset);
    assert.equal(asset.status, 'ready', asset.error ?? '');
    assert.deepEqual(shapesOf(asset), PROGRAMME.shapes);
    assert.deepEqual(asset.frameRate, { num: 30000, den: 1001 });
    const source = await countFrames(clip);
    const proxyUrl = asset.shapes.find((s) => s.type === 'video-proxy')?.files[0]?.url ?? '';
    assert.deepEqual(await countFrames(proxyUrl), source, 'the proxy has the source frame count and rate');
    assert.equal(asset.durationFrames, source.frames);

    const markers = (await stack.client.listMarkers(id, { group: 'Auto QC' })).items;
    const black = markers.find((m) => m.category === 'black');
    assert.ok(black, JSON.stringify(markers.map((m) => m.title)));
    assert.equal(black.start.frame, 0);
    assert.ok(Math.abs(black.end.frame - 29) <= 1, `black ends at frame ${black.end.frame}`);
    assert.equal(black.start.timecode, '00:00:00;00');
    worker.kill('SIGTERM');
    await exited(worker);
    assert.equal(worker.exitCode, 0);

    // The timeline's audio data: analyze reads the audio proxy through the adapter's signed URL,
    // and the adapter decides who may see it.
    const analyze = await stack.startAnalyze();
    const base = `${analyze.url}/api/analyze/assets/${id}/audio`;
    const headers = { authorization: `Bearer ${stack.client.accessToken}` };
    const waveform = await fetch(`${base}/2/waveform?format=json&pixelsPerSecond=10&bits=8`, { headers });
    assert.equal(waveform.status, 200, await waveform.clone().text());
    const body = (await waveform.json()) as {
      sample_rate: number;
      channels: number;
      length: number;
      data: number[];
    };
    assert.equal(body.sample_rate, 48000);
    assert.ok(body.length >= 29 && body.length <= 31, `${body.length} pixels for 3 s at 10 px/s`);
    // The peaks' values are checked against decoded samples in analyze's own tests; here: a tone, not silence.
    assert.ok(Math.max(...body.data) > 5, 'the tone shows in the peaks');
    const loudness = await fetch(`${base}/1/loudness`, { headers });
    assert.equal(loudness.status, 200, await loudness.clone().text());
    assert.equal((await fetch(`${base}/1/loudness`)).status, 401);
    assert.equal((await fetch(`${base}/3/loudness`, { headers })).status, 404);
    analyze.process.kill('SIGTERM');
    await exited(analyze.process);
  });

  it('ingests twenty uploads at once with two workers', async () => {
    const clip = await makeClip(join(stack.dir, 'short.mp4'), { seconds: 1, size: '160x90' });
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => stack.upload(clip, `Short ${i}`)));
    stack.startWorker({ JOBS_CONCURRENCY: '2' });
    stack.startWorker({ JOBS_CONCURRENCY: '2' });
    const assets = await stack.settled(ids, 300);
    for (const a of assets) {
      assert.equal(a.status, 'ready', `${a.title}: ${a.error}`);
      assert.deepEqual(shapesOf(a), FULL);
    }
    for (const w of stack.workers) w.kill('SIGTERM');
    await Promise.all([...stack.workers].map(exited));
  });

  it('survives a worker killed in the middle of a transcode: another takes the job, one set of outputs', async () => {
    const clip = await makeClip(join(stack.dir, 'long.mp4'), { seconds: 40, size: '1280x720' });
    const others = stack.startWorker({ JOBS_TYPES: 'probe,audio-proxy,thumbnails,auto-qc' });
    const doomed = stack.startWorker({ JOBS_TYPES: 'video-proxy' });
    const id = await stack.upload(clip, 'Killed mid-transcode');
    await stack.waitForJob(
      (j) => j.assetId === id && j.type === 'video-proxy' && j.status === 'running' && j.progress > 0,
      120,
    );
    doomed.kill('SIGKILL');
    await exited(doomed);
    const rescuer = stack.startWorker({ JOBS_TYPES: 'video-proxy' });
    const [asset] = await stack.settled([id], 300);
    assert.equal(asset?.status, 'ready', asset?.error ?? '');
    const job = (await stack.client.listJobs({ assetId: id, type: 'video-proxy' })).items;
    assert.equal(job.length, 1);
    assert.equal(job[0]?.attempts, 2, 'the first attempt was lost with the worker');
    assert.equal(asset?.shapes.filter((s) => s.type === 'video-proxy').length, 1);
    assert.deepEqual(await readdir(join(stack.media, 'assets', id, 'video-proxy')), ['video.mp4']);
    assert.deepEqual(
      await countFrames(asset?.shapes.find((s) => s.type === 'video-proxy')?.files[0]?.url ?? ''),
      await countFrames(clip),
    );
    for (const w of [others, rescuer]) w.kill('SIGTERM');
    await Promise.all([others, rescuer].map(exited));
  });

  it('loses nothing and does nothing twice when the adapter restarts under working workers', async () => {
    const clip = await makeClip(join(stack.dir, 'medium.mp4'), { seconds: 12, size: '640x360' });
    const ids = await Promise.all([1, 2, 3].map((i) => stack.upload(clip, `Restart ${i}`)));
    const worker = stack.startWorker();
    await stack.waitForJob(
      (j) => ids.includes(j.assetId ?? '') && j.type === 'video-proxy' && j.status === 'running',
      120,
    );
    await stack.stopAdapter();
    await sleep(1000);
    await stack.startAdapter();
    await stack.client.login('admin', 'e2e-admin-password');
    const assets = await stack.settled(ids, 300);
    for (const a of assets) {
      assert.equal(a.status, 'ready', `${a.title}: ${a.error}`);
      assert.deepEqual(shapesOf(a), FULL);
      const markers = (await stack.client.listMarkers(a.id, { group: 'Auto QC' })).items;
      assert.equal(
        new Set(markers.map((m) => `${m.category}${m.start.frame}`)).size,
        markers.length,
        'no marker twice',
      );
    }
    const jobs = (await stack.client.listJobs({ limit: 500 })).items.filter((j) =>
      ids.includes(j.assetId ?? ''),
    );
    assert.equal(jobs.length, 3 * 5);
    assert.ok(jobs.every((j) => j.status === 'completed'));
    worker.kill('SIGTERM');
    await exited(worker);
  });
});
