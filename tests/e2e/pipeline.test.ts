import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { JobType } from '@frameproof/core';
import { WorkerWay } from './worker-way.js';
import { countFrames, exited, makeClip, makeProgramme, PROGRAMME, run, shapesOf, Stack } from './stack.js';

const FULL = ['audio-proxy1', 'original', 'poster', 'sprite', 'video-proxy'];

/** What jobs left under a scratch root: all but the running workers' own folders (jobs' scratch.ts). */
const jobScratch = async (root: string) =>
  (await readdir(root, { recursive: true })).filter((path) => !/^frameproof-worker-[^/]+$/.test(path));

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

  it('does each step once when a worker is killed at each: the job is taken again, one set of outputs', async () => {
    // Killed after a step's work and before the adapter hears of it: the outputs are in storage,
    // the job still running under a lease nobody renews. Probe first, then the four steps after
    // it. The workers start together; the one that takes the jobs over leases nothing until then.
    const clip = await makeClip(join(stack.dir, 'steps.mp4'), { seconds: 2, size: '160x90' });
    const adapter = `http://127.0.0.1:${stack.port}`;
    const AFTER_PROBE: JobType[] = ['video-proxy', 'audio-proxy', 'thumbnails', 'auto-qc'];
    const [probeWay, restWay, rescueWay] = await Promise.all([
      WorkerWay.start(adapter, { holdReports: true }),
      WorkerWay.start(adapter, { holdReports: true }),
      WorkerWay.start(adapter, { leaseTypes: [] }),
    ]);
    // What the killed workers leave in their scratch folders goes with the stack's folder.
    const scratch = join(stack.dir, 'killed-workers');
    await mkdir(scratch);
    const doomed = [
      stack.startWorker({ JOBS_TYPES: 'probe', AP_ADAPTER_HOST: probeWay.url, JOBS_TMP_DIR: scratch }),
      stack.startWorker({
        JOBS_TYPES: AFTER_PROBE.join(','),
        JOBS_CONCURRENCY: '4',
        AP_ADAPTER_HOST: restWay.url,
        JOBS_TMP_DIR: scratch,
      }),
    ];
    const rescuer = stack.startWorker({ JOBS_CONCURRENCY: '2', AP_ADAPTER_HOST: rescueWay.url });
    try {
      const id = await stack.upload(clip, 'Killed at every step');
      const first = await probeWay.waitForHeld(1);
      doomed[0]?.kill('SIGKILL');
      rescueWay.allowLeases(['probe']);
      const rest = await restWay.waitForHeld(4);
      doomed[1]?.kill('SIGKILL');
      rescueWay.allowLeases(AFTER_PROBE);
      const [asset] = await stack.settled([id]);
      assert.equal(asset?.status, 'ready', asset?.error ?? '');
      assert.deepEqual(shapesOf(asset), FULL, 'one shape of each');

      const jobs = (await stack.client.listJobs({ assetId: id })).items;
      const held = [...first, ...rest];
      assert.deepEqual(
        held.map((h) => `${jobs.find((j) => j.id === h.jobId)?.type} ${h.kind}`).sort(),
        ['probe', ...AFTER_PROBE].map((type) => `${type} complete`).sort(),
        `the killed workers had done every step: ${JSON.stringify(held.filter((h) => h.kind === 'fail'))}`,
      );
      assert.deepEqual(
        jobs.map((j) => `${j.type} ${j.status} ${j.attempts}`).sort(),
        ['probe', ...AFTER_PROBE].map((type) => `${type} completed 2`).sort(),
        'each job done again once, by the second worker',
      );

      // The second attempts wrote to the keys the first ones did: one set of files, nothing else.
      const written = held
        .flatMap((h) => ('result' in h.body ? (h.body.result.shapes ?? []) : []))
        .flatMap((shape) => shape.files.map((f) => f.key))
        .sort();
      const outputs = join(stack.media, 'assets', id);
      const stored = (await readdir(outputs, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => `assets/${id}/${relative(outputs, join(e.parentPath, e.name))}`)
        .filter((key) => !/^assets\/[^/]+\/(original|analysis)\//.test(key))
        .sort();
      assert.deepEqual(stored, written);
      assert.deepEqual(
        asset?.shapes
          .filter((s) => s.type !== 'original')
          .flatMap((s) => s.files.map((f) => f.name))
          .sort(),
        written.map((key) => key.split('/').pop()).sort(),
      );
      // Auto QC's markers as its first attempt found them, stored once.
      const markers = (await stack.client.listMarkers(id, { group: 'Auto QC' })).items;
      const qc = rest.find((h) => jobs.find((j) => j.id === h.jobId)?.type === 'auto-qc')?.body;
      assert.ok(qc && 'result' in qc);
      assert.deepEqual(
        markers.map((m) => `${m.category} ${m.start.frame}`).sort(),
        (qc.result.markers ?? []).map((m) => `${m.category} ${m.startFrame}`).sort(),
      );
    } finally {
      rescuer.kill('SIGTERM');
      for (const w of doomed) w.kill('SIGKILL');
      await Promise.all([rescuer, ...doomed].map(exited));
      await Promise.all([probeWay, restWay, rescueWay].map((way) => way.close()));
    }
  });

  it('fails a transcode on a full disk with the reason, leaves no scratch files, and does it once space is back', async (t) => {
    // A 64 KiB tmpfs as the worker's scratch space: the proxy of a 1 s clip fits (34 KB), that
    // of 3 s (140 KB) does not; ffmpeg 5.1 runs out of space as it writes the MP4's index.
    const scratch = join(stack.dir, 'small-disk');
    await mkdir(scratch);
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', scratch]);
    } catch (err) {
      t.skip(`cannot mount a tmpfs to fill up: ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    t.after(() => run('umount', ['--lazy', scratch]));
    const [big, small] = await Promise.all([
      makeClip(join(stack.dir, 'big.mp4'), { seconds: 3, size: '320x180' }),
      makeClip(join(stack.dir, 'small.mp4'), { seconds: 1, size: '160x90' }),
    ]);
    const workers = [
      stack.startWorker({ JOBS_TYPES: 'probe,audio-proxy,thumbnails,auto-qc', JOBS_CONCURRENCY: '2' }),
      stack.startWorker({ JOBS_TYPES: 'video-proxy', JOBS_TMP_DIR: scratch }),
    ];
    try {
      const [bigId, smallId] = await Promise.all([
        stack.upload(big, 'Too big for the disk'),
        stack.upload(small, 'Fits on the disk'),
      ]);
      const [failed, fitted] = await stack.settled([bigId, smallId]);
      assert.equal(fitted?.status, 'ready', `the other asset: ${fitted?.error}`);
      assert.deepEqual(shapesOf(fitted), FULL);
      assert.equal(failed?.status, 'failed');
      const [job] = (await stack.client.listJobs({ assetId: bigId, type: 'video-proxy' })).items;
      assert.equal(job?.status, 'failed');
      assert.equal(job.attempts, 3, 'tried again while attempts remained');
      assert.match(job.error ?? '', /No space left on device/);
      assert.match(failed?.error ?? '', /video-proxy failed: .*No space left on device/);
      assert.deepEqual(await jobScratch(scratch), [], 'the failed attempts left no scratch files');
      assert.equal(
        failed?.shapes.some((s) => s.type === 'video-proxy'),
        false,
        'no cut-short proxy',
      );

      await run('mount', ['-o', 'remount,size=16m', scratch]);
      await stack.client.retryJob(job.id);
      const [retried] = await stack.settled([bigId]);
      assert.equal(retried?.status, 'ready', retried?.error ?? '');
      assert.deepEqual(shapesOf(retried), FULL);
      const proxy = retried?.shapes.find((s) => s.type === 'video-proxy')?.files[0]?.url ?? '';
      assert.deepEqual(await countFrames(proxy), await countFrames(big));
      assert.deepEqual(await jobScratch(scratch), []);
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map(exited));
    }
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
