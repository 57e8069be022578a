import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assetKeys } from '@frameproof/core';
import { LocalStorage } from '@frameproof/storage';
import { buildApp } from '../src/app.js';
import { runFfmpeg } from '../src/ffmpeg.js';
import type { FfmpegStarter } from '../src/processors/decode.js';
import { storedName } from '../src/result-store.js';
import type { AssetResolver } from '../src/resolver.js';
import { FFMPEG, fileSource, makeAudio, tempDir, varyingStereo } from './helpers.js';

const ASSET = '0b6c3d8e-4f1a-4c2b-9d7e-2a1f3e5c7b90';
let dir: string;
let cleanup: () => Promise<void>;
let wav: string;

before(async () => {
  ({ dir, cleanup } = await tempDir());
  wav = await makeAudio(join(dir, 'programme.wav'), varyingStereo(20));
});
after(() => cleanup());

/** The track as the adapter resolver would give it: with its place in storage. */
const resolver: AssetResolver = {
  resolve: async () => ({
    ...fileSource(wav, 2, 20),
    cacheKey: `${ASSET}/1/file1/sum1`,
    resultsKey: assetKeys(ASSET).analysis(1, 'v1'),
  }),
};

/** An analyze process of its own: its own (empty) disk cache, its ffmpeg runs counted. */
async function analyzeProcess(
  cacheDir: string,
  storageRoot: string,
  storage: LocalStorage = new LocalStorage(storageRoot),
) {
  const runs: (readonly string[])[] = [];
  const counted: FfmpegStarter = (path, args, options) => {
    runs.push(args);
    return runFfmpeg(path, args, options);
  };
  const app = await buildApp({
    resolver,
    cacheDir,
    cacheMaxBytes: 1 << 30,
    cacheMaxAgeMs: 86_400_000,
    ffmpegPath: FFMPEG,
    maxDecoders: 2,
    storage,
    runFfmpeg: counted,
    // The CLI, so that every decode is a counted run (the in-process one runs none).
    decoder: 'cli',
  });
  const get = async (path: string) => {
    const res = await app.inject({ method: 'GET', url: `/api/analyze/assets/${ASSET}/audio/1/${path}` });
    assert.equal(res.statusCode, 200, res.body);
    return res.body;
  };
  return { app, runs, get };
}

const ASKS = [
  'loudness',
  'levels',
  'waveform?samplesPerPixel=256',
  'waveform?samplesPerPixel=1024&channels=all&format=dat',
  'waveform?samplesPerPixel=4096&start=5&end=15',
  'waveform?pixelsPerSecond=375&start=2&end=4',
];

test('a second analyze process with an empty disk on the same storage never decodes the programme again', async () => {
  const storageRoot = join(dir, 'storage');
  const first = await analyzeProcess(join(dir, 'cache-a'), storageRoot);
  const answers: string[] = [];
  try {
    for (const ask of ASKS) answers.push(await first.get(ask));
    // The programme once (peak file and measurements), and the PCM chunk of the fine window.
    assert.equal(first.runs.length, 2, 'the first process decodes once, and the window it zoomed into');
  } finally {
    await first.app.close();
  }
  const storage = new LocalStorage(storageRoot);
  const prefix = assetKeys(ASSET).analysis(1, 'v1');
  assert.ok(await storage.stat(`${prefix}/levels.bin`), 'the peak file sits next to the asset');
  assert.ok(await storage.stat(`${prefix}/analysis--60-2.json`), 'so do loudness, levels and silence');
  assert.ok(await storage.stat(`${prefix}/pcm-1048576-0.s16`), 'and the decoded stretch of the window');

  const second = await analyzeProcess(join(dir, 'cache-b'), storageRoot);
  try {
    for (const [i, ask] of ASKS.entries()) assert.equal(await second.get(ask), answers[i], ask);
    assert.deepEqual(second.runs, [], 'no ffmpeg at all in the second process');
  } finally {
    await second.app.close();
  }
});

test('a stop waits for the results still being stored: the window was answered before its PCM was shared', async () => {
  const storageRoot = join(dir, 'slow-storage');
  // Storage slower than the answer: the copy for other tasks is still going when the stop comes.
  class SlowStorage extends LocalStorage {
    override async putFile(key: string, path: string) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return super.putFile(key, path);
    }
  }
  const storage = new SlowStorage(storageRoot);
  const analyze = await analyzeProcess(join(dir, 'cache-slow'), storageRoot, storage);
  await analyze.get('waveform?pixelsPerSecond=375&start=2&end=4');
  const prefix = assetKeys(ASSET).analysis(1, 'v1');
  assert.equal(await storage.stat(`${prefix}/pcm-1048576-0.s16`), undefined, 'answered before it was stored');
  await analyze.app.close();
  assert.ok(await storage.stat(`${prefix}/pcm-1048576-0.s16`), 'stored before the stop ended');
});

test('storage that cannot be written: answers are the same, computed locally', async () => {
  const notAFolder = join(dir, 'a-file');
  await writeFile(notAFolder, '');
  const p = await analyzeProcess(join(dir, 'cache-c'), join(notAFolder, 'storage'));
  try {
    const loudness = JSON.parse(await p.get('loudness')) as { integrated: number | null };
    assert.equal(typeof loudness.integrated, 'number');
    await p.get('waveform?samplesPerPixel=512');
    assert.equal(p.runs.length, 1);
  } finally {
    await p.app.close();
  }
});

test('stored names are one plain path segment', () => {
  assert.equal(storedName('0123abcd/levels.bin'), 'levels.bin');
  assert.equal(storedName('x/analysis--60-2.json'), 'analysis--60-2.json');
  assert.throws(() => storedName('x/'), RangeError);
  assert.throws(() => storedName('x/..'), RangeError);
});
