import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpError } from '../src/errors.js';
import { runFfmpeg } from '../src/ffmpeg.js';
import {
  decodeArgs,
  decodeRange,
  type FfmpegStarter,
  planSegments,
  scanPeaks,
} from '../src/processors/decode.js';
import { computePeaks, concatInt16, storedSeries } from '../src/processors/peaks.js';
import { decodeAll, FFMPEG, ffmpeg, fileSource, makeAudio, tempDir, varyingStereo } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let wav: string;
let flac: string;
let samples: Int16Array;
const SECONDS = 30;

before(async () => {
  ({ dir, cleanup } = await tempDir());
  wav = await makeAudio(join(dir, 'a.wav'), varyingStereo(SECONDS));
  flac = join(dir, 'a.flac');
  await ffmpeg(['-i', wav, flac]);
  samples = await decodeAll(wav, 2);
});
after(() => cleanup());

const ctx = { ffmpegPath: FFMPEG };

test('decode arguments: seek a second early, force the layout, raw s16le to stdout', () => {
  const source = fileSource('/media/a.mp4', 2, 60);
  source.map = '0:3';
  const plan = decodeArgs(source, 96_000 + 480, 48_000);
  assert.equal(plan.skipFrames, 48_000);
  const { args } = plan;
  const valueOf = (flag: string) => args[args.indexOf(flag) + 1];
  const input = args.indexOf('-i');
  assert.equal(args[input + 1], 'file:/media/a.mp4');
  assert.ok(args.includes('-format_whitelist'), 'only media demuxers');
  // Seeking on the input is fast; the second of run-up before the frame is decoded and dropped.
  assert.ok(args.indexOf('-ss') < input && args.indexOf('-ss') >= 0, 'the seek is on the input');
  assert.equal(valueOf('-ss'), '1.01');
  assert.ok(args.indexOf('-t') > input);
  assert.equal(valueOf('-t'), '2.1', 'the run-up, the frames asked for and a tenth of a second');
  assert.deepEqual(args.slice(args.indexOf('-map'), args.indexOf('-map') + 5), [
    '-map',
    '0:3',
    '-vn',
    '-sn',
    '-dn',
  ]);
  // The reader's frame arithmetic relies on this layout: interleaved s16le, the track's rate.
  assert.deepEqual(['-ac', '-ar', '-c:a', '-f'].map(valueOf), ['2', '48000', 'pcm_s16le', 's16le']);
  assert.equal(args.at(-1), 'pipe:1');
  const whole = decodeArgs(source, 0, undefined);
  assert.equal(whole.skipFrames, 0);
  assert.equal(whole.args.includes('-ss'), false);
  assert.equal(whole.args.includes('-t'), false);
  assert.equal(decodeArgs(source, 1000, 10).skipFrames, 1000, 'near the start: from the first frame');
});

test('segments: cut at multiples of the unit, the last one open', () => {
  assert.deepEqual(planSegments(0, undefined, 1000, 10, 4, 100), [
    { start: 0, end: 250 },
    { start: 250, end: 500 },
    { start: 500, end: 750 },
    { start: 750, end: undefined },
  ]);
  assert.deepEqual(planSegments(0, undefined, 1000, 256, 4, 600), [{ start: 0, end: undefined }]);
  assert.deepEqual(planSegments(100, 400, 1000, 7, 2, 10), [
    { start: 100, end: 247 },
    { start: 247, end: 400 },
  ]);
});

for (const [name, path] of [
  ['WAV', () => wav],
  ['FLAC', () => flac],
] as const) {
  test(`${name}: any stretch decodes to exactly the samples of a full decode`, async () => {
    for (const [start, count] of [
      [0, 1000],
      [1_234_567, 100_000],
      [SECONDS * 48_000 - 500, 500],
    ] as const) {
      const parts: Int16Array[] = [];
      let firstFrame = -1;
      const got = await decodeRange(ctx, fileSource(path(), 2, SECONDS), start, start + count, (s, f) => {
        if (firstFrame < 0) firstFrame = f;
        parts.push(s.slice());
      });
      assert.equal(got, count);
      assert.equal(firstFrame, start);
      assert.deepEqual(concatInt16(parts), samples.subarray(start * 2, (start + count) * 2));
    }
  });
}

test('a stretch past the end delivers what there is', async () => {
  const start = SECONDS * 48_000 - 100;
  const got = await decodeRange(ctx, fileSource(wav, 2, SECONDS), start, start + 10_000, () => undefined);
  assert.equal(got, 100);
});

test('peaks decoded in segments side by side equal peaks of the whole', async () => {
  const spec = storedSeries(2);
  const expected = computePeaks(samples, spec, 256);
  const out = new Int16Array(expected.length);
  const frames = await scanPeaks(
    ctx,
    fileSource(wav, 2, SECONDS),
    { start: 0, end: undefined },
    256,
    spec,
    (first, data, bins) => out.set(data.subarray(0, bins * 6), first * 6),
    { maxSegments: 3, minSegmentSeconds: 5 },
  );
  assert.equal(frames, samples.length / 2);
  assert.deepEqual(out, expected);
});

test('metadata that overstates the duration still gives every sample once', async () => {
  const spec = storedSeries(2);
  const expected = computePeaks(samples, spec, 1024);
  const out = new Int16Array(expected.length);
  const frames = await scanPeaks(
    ctx,
    fileSource(wav, 2, SECONDS * 3),
    { start: 0, end: undefined },
    1024,
    spec,
    (first, data, bins) => out.set(data.subarray(0, bins * 6), first * 6),
    { maxSegments: 4, minSegmentSeconds: 5 },
  );
  assert.equal(frames, samples.length / 2);
  assert.deepEqual(out, expected);
});

test('a whole track is read through a FIFO, sample for sample, the FIFO removed after', async () => {
  const outputs: string[] = [];
  const run: FfmpegStarter = (path, args, options) => {
    outputs.push(args.at(-1) as string);
    return runFfmpeg(path, args, options);
  };
  const parts: Int16Array[] = [];
  const got = await decodeRange({ ...ctx, run }, fileSource(flac, 2, SECONDS), 0, undefined, async (s) => {
    // Copied only after a pause: the reused buffer must hold still until the promise settles.
    await new Promise((r) => setImmediate(r));
    parts.push(s.slice());
  });
  assert.equal(got, samples.length / 2);
  assert.deepEqual(concatInt16(parts), samples);
  assert.equal(outputs.length, 1);
  assert.notEqual(outputs[0], 'pipe:1');
  assert.equal((await stat(outputs[0] as string).catch(() => undefined)) === undefined, true);
});

test('a file without audio is a 422, not a crash', async () => {
  const video = join(dir, 'video.mp4');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=d=1:s=64x64:r=5', '-pix_fmt', 'yuv420p', video]);
  await assert.rejects(
    decodeRange(ctx, fileSource(video, 2, 1), 0, undefined, () => undefined),
    (err: unknown) => err instanceof HttpError && err.statusCode === 422,
  );
});

test('a stopped decode kills ffmpeg', async () => {
  const controller = new AbortController();
  const p = decodeRange(
    { ...ctx, signal: controller.signal },
    fileSource(wav, 2, SECONDS),
    0,
    undefined,
    async () => {
      controller.abort(new Error('client went away'));
      await new Promise((r) => setTimeout(r, 10));
    },
  );
  await assert.rejects(p, /client went away/);
});
