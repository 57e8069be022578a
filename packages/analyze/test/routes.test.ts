import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import BbcWaveformData from 'waveform-data';
import { buildApp } from '../src/app.js';
import { HttpError } from '../src/errors.js';
import { FileAssetResolver } from '../src/file-resolver.js';
import type { AssetResolver } from '../src/resolver.js';
import { decodeAll, FFMPEG, ffmpeg, makeAudio, referencePeaks, tempDir, varyingStereo } from './helpers.js';

const ASSET = '00000000-0000-4000-8000-000000000001';
const SILENT_VIDEO = '00000000-0000-4000-8000-000000000002';
const TONE = '00000000-0000-4000-8000-000000000003';
const LONG = '00000000-0000-4000-8000-000000000004';
const UNKNOWN = '00000000-0000-4000-8000-0000000000ff';
const AUTH = { authorization: 'Bearer good' };
const SECONDS = 20;

let dir: string;
let cleanup: () => Promise<void>;
let app: FastifyInstance;
let samples: Int16Array;
let resolver: FileAssetResolver;

function authorize(authorization: string | undefined, assetId: string) {
  if (!authorization) throw new HttpError(401, 'sign in first');
  if (authorization !== AUTH.authorization) throw new HttpError(403, `no access to ${assetId}`);
}

async function makeApp(cacheDir: string, logs?: string[], r: AssetResolver = resolver) {
  const stream = new Writable({
    write(chunk, _enc, done) {
      logs?.push(String(chunk));
      done();
    },
  });
  return buildApp({
    resolver: r,
    cacheDir,
    cacheMaxBytes: 1 << 30,
    cacheMaxAgeMs: 86_400_000,
    ffmpegPath: FFMPEG,
    maxDecoders: 2,
    logger: { level: 'warn', stream },
  });
}

before(async () => {
  ({ dir, cleanup } = await tempDir());
  const wav = await makeAudio(join(dir, 'programme.wav'), varyingStereo(SECONDS));
  samples = await decodeAll(wav, 2);
  const video = join(dir, 'video-only.mp4');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=d=1:s=64x64:r=5', '-pix_fmt', 'yuv420p', video]);
  const a = (10 ** (-23 / 20)).toFixed(6);
  const tone = await makeAudio(
    join(dir, 'tone.wav'),
    `aevalsrc=exprs='${a}*sin(2*PI*997*t)|${a}*sin(2*PI*997*t)':s=48000:d=10`,
  );
  const long = await makeAudio(join(dir, 'long.wav'), 'anullsrc=r=48000:cl=stereo:d=60');
  resolver = new FileAssetResolver(
    { [ASSET]: wav, [SILENT_VIDEO]: video, [TONE]: tone, [LONG]: long },
    FFMPEG.replace(/ffmpeg$/, 'ffprobe'),
    authorize,
  );
  app = await makeApp(join(dir, 'cache'));
});
after(async () => {
  await app.close();
  await cleanup();
});

const waveform = (query: string, asset = ASSET, track = 1, headers: Record<string, string> = AUTH) =>
  app.inject({
    method: 'GET',
    url: `/api/analyze/assets/${asset}/audio/${track}/waveform?${query}`,
    headers,
  });

test('health, on its own path and through the gateway prefix', async () => {
  for (const url of ['/api/health', '/api/analyze/health']) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().status, 'ok');
  }
});

test('JSON waveform, whole programme, read by waveform-data and checked against the samples', async () => {
  const res = await waveform('pixelsPerSecond=187.5&bits=16');
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /application\/json/);
  const w = BbcWaveformData.create(res.json());
  assert.equal(w.scale, 256);
  assert.equal(w.sample_rate, 48000);
  assert.equal(w.channels, 1);
  const expected = referencePeaks(samples, 2, 256, 'merged');
  assert.deepEqual(
    w.channel(0).min_array(),
    expected.filter((_, i) => i % 2 === 0),
  );
  assert.deepEqual(
    w.channel(0).max_array(),
    expected.filter((_, i) => i % 2 === 1),
  );
});

test('binary (.dat) 8-bit, all channels, a window: pixels on the global grid', async () => {
  const res = await waveform('format=dat&samplesPerPixel=1000&bits=8&channels=all&start=5.01&end=7.5');
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  const first = Number(res.headers['x-waveform-start-frame']);
  assert.equal(first, 240_000);
  assert.equal(Number(res.headers['x-waveform-start']), 5);
  const buf = res.rawPayload;
  const w = BbcWaveformData.create(
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer,
  );
  assert.equal(w.bits, 8);
  assert.equal(w.channels, 2);
  assert.equal(w.length, 120);
  const expected = referencePeaks(samples, 2, 1000, 'all', first, 360_000).map((v) => v >> 8);
  const got: number[] = [];
  for (let i = 0; i < w.length; i++)
    for (let c = 0; c < 2; c++) got.push(w.channel(c).min_sample(i), w.channel(c).max_sample(i));
  assert.deepEqual(got, expected);
});

test('one sample per pixel over a short window; version 1 for one channel', async () => {
  const res = await waveform('samplesPerPixel=1&start=12&end=12.01&version=1');
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  assert.equal(body.version, 1);
  assert.equal(body.length, 480);
  assert.deepEqual(body.data, referencePeaks(samples, 2, 1, 'merged', 576_000, 576_480));
});

test('ETag: a repeated request is answered 304 without data', async () => {
  const first = await waveform('samplesPerPixel=512&start=1&end=2');
  const etag = String(first.headers.etag);
  assert.ok(etag.startsWith('"'));
  const again = await waveform('samplesPerPixel=512&start=1&end=2', ASSET, 1, {
    ...AUTH,
    'if-none-match': etag,
  });
  assert.equal(again.statusCode, 304);
  assert.equal(again.body, '');
});

const bad: [string, string, string][] = [
  ['pixelsPerSecond=10&colour=red', 'colour', 'unknown parameter'],
  ['pixelsPerSecond=abc', 'pixelsPerSecond', 'number'],
  ['pixelsPerSecond=0', 'pixelsPerSecond', ''],
  ['pixelsPerSecond=100000', 'pixelsPerSecond', 'sample rate'],
  ['samplesPerPixel=1.5', 'samplesPerPixel', 'integer'],
  ['pixelsPerSecond=10&samplesPerPixel=256', 'samplesPerPixel', 'not both'],
  ['format=json', 'pixelsPerSecond', 'required'],
  ['pixelsPerSecond=10&bits=12', 'bits', ''],
  ['pixelsPerSecond=10&format=png', 'format', ''],
  ['pixelsPerSecond=10&channels=left', 'channels', ''],
  ['pixelsPerSecond=10&start=-1', 'start', ''],
  ['pixelsPerSecond=10&start=25', 'start', 'past the end'],
  ['pixelsPerSecond=10&start=1&end=99', 'end', 'past the end'],
  ['pixelsPerSecond=10&start=5&end=4', 'end', 'after start'],
  ['pixelsPerSecond=10&end=0', 'end', 'after start'],
  ['samplesPerPixel=256&channels=all&version=1', 'version', 'one channel'],
];
for (const [query, field, message] of bad) {
  test(`400 naming "${field}" for ?${query}`, async () => {
    const res = await waveform(query);
    assert.equal(res.statusCode, 400, res.body);
    const body = res.json();
    assert.equal(body.field, field);
    assert.equal(body.statusCode, 400);
    assert.match(body.message, new RegExp(message));
  });
}

test('too many points for one answer: 400 naming the resolution', async () => {
  const res = await waveform('samplesPerPixel=1&channels=all', LONG);
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().field, 'samplesPerPixel');
  assert.match(res.json().message, /too fine/);
  const window = await waveform('samplesPerPixel=1&channels=all&start=10&end=20', LONG);
  assert.equal(window.statusCode, 200);
});

test('bad path parameters: 400 naming them', async () => {
  const id = await app.inject({
    method: 'GET',
    url: `/api/analyze/assets/not-a-uuid/audio/1/waveform?pixelsPerSecond=1`,
    headers: AUTH,
  });
  assert.equal(id.statusCode, 400);
  assert.equal(id.json().field, 'assetId');
  const track = await waveform('pixelsPerSecond=1', ASSET, 0);
  assert.equal(track.statusCode, 400);
  assert.equal(track.json().field, 'track');
});

test('unknown asset or track: 404; a file without audio: 422', async () => {
  assert.equal((await waveform('pixelsPerSecond=1', UNKNOWN)).statusCode, 404);
  const track = await waveform('pixelsPerSecond=1', ASSET, 2);
  assert.equal(track.statusCode, 404);
  assert.match(track.json().message, /track 2 not found/);
  const video = await waveform('pixelsPerSecond=1', SILENT_VIDEO);
  assert.equal(video.statusCode, 422);
  assert.match(video.json().message, /no audio/);
  const loud = await app.inject({
    method: 'GET',
    url: `/api/analyze/assets/${SILENT_VIDEO}/audio/1/loudness`,
    headers: AUTH,
  });
  assert.equal(loud.statusCode, 422);
});

test("the resolver's verdict on the token is the answer: 401, 403", async () => {
  assert.equal((await waveform('pixelsPerSecond=1', ASSET, 1, {})).statusCode, 401);
  assert.equal(
    (await waveform('pixelsPerSecond=1', ASSET, 1, { authorization: 'Bearer other' })).statusCode,
    403,
  );
});

test('loudness: summary, series, pass against the default target, fail against another', async () => {
  const url = `/api/analyze/assets/${TONE}/audio/1/loudness`;
  const res = await app.inject({ method: 'GET', url, headers: AUTH });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  assert.equal(body.source, 'file');
  assert.ok(Math.abs(body.integrated + 23) <= 0.1);
  assert.equal(body.pass, true);
  assert.deepEqual(body.target, { integrated: -23, tolerance: 0.5, truePeak: -1 });
  assert.equal(body.series.step, 0.1);
  assert.ok(Math.abs(body.series.momentary.length - 100) <= 1);
  const strict = await app.inject({ method: 'GET', url: `${url}?target=-16&step=1`, headers: AUTH });
  const s = strict.json();
  assert.equal(s.pass, false);
  assert.equal(s.checks.integrated.pass, false);
  assert.ok(Math.abs(s.checks.integrated.deviation + 7) <= 0.1);
  assert.equal(s.series.step, 1);
  assert.ok(Math.abs(s.series.momentary.length - 10) <= 1);
  const wrong = await app.inject({ method: 'GET', url: `${url}?target=loud`, headers: AUTH });
  assert.equal(wrong.statusCode, 400);
  assert.equal(wrong.json().field, 'target');
});

test('levels: per channel peak and RMS, silence with its settings', async () => {
  const res = await app.inject({
    method: 'GET',
    url: `/api/analyze/assets/${TONE}/audio/1/levels?silenceThreshold=-50&silenceMinDuration=0.5`,
    headers: AUTH,
  });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  assert.equal(body.channels.length, 2);
  assert.ok(Math.abs(body.channels[0].peak + 23) < 0.05);
  assert.ok(Math.abs(body.channels[0].rms + 26.01) < 0.05);
  assert.deepEqual(body.silence, { threshold: -50, minDuration: 0.5, spans: [] });
});

test('track info: the length becomes exact once decoded', async () => {
  const res = await app.inject({ method: 'GET', url: `/api/analyze/assets/${ASSET}/audio/1`, headers: AUTH });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.sampleRate, 48000);
  assert.equal(body.channels, 2);
  assert.deepEqual(body.levels, [256, 1024, 4096, 16384, 65536]);
  assert.equal(body.exact, true);
  assert.equal(body.frames, samples.length / 2);
});

test('an unwritable cache folder: still answers, and logs it', async (t) => {
  const file = join(dir, 'plain-file');
  await writeFile(file, '');
  const logs: string[] = [];
  const degraded = await makeApp(join(file, 'cache'), logs);
  t.after(() => degraded.close());
  const res = await degraded.inject({
    method: 'GET',
    url: `/api/analyze/assets/${ASSET}/audio/1/waveform?samplesPerPixel=256`,
    headers: AUTH,
  });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json().data, referencePeaks(samples, 2, 256, 'merged'));
  assert.ok(
    logs.some((l) => /cache/.test(l) && /"level":40/.test(l)),
    'a warning was logged',
  );
});

test('unexpected failures: 500 without details, and logged', async (t) => {
  const logs: string[] = [];
  const broken = await makeApp(join(dir, 'cache-broken'), logs, {
    resolve: () => Promise.reject(new Error('secret database password in message')),
  });
  t.after(() => broken.close());
  const res = await broken.inject({
    method: 'GET',
    url: `/api/analyze/assets/${ASSET}/audio/1/loudness`,
    headers: AUTH,
  });
  assert.equal(res.statusCode, 500);
  assert.doesNotMatch(res.body, /secret/);
  assert.ok(logs.some((l) => /secret/.test(l)));
  const missing = await broken.inject({ method: 'GET', url: '/api/analyze/nothing' });
  assert.equal(missing.statusCode, 404);
});
