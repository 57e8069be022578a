import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeDat } from '../src/processors/audiowaveform.js';
import { CHUNK_FRAMES, WaveformService } from '../src/processors/waveform.js';
import type { AudioSource } from '../src/resolver.js';
import {
  countingFfmpeg,
  decodeAll,
  ffmpeg,
  fileSource,
  makeAudio,
  memoryLogger,
  referencePeaks,
  tempDir,
  varyingStereo,
  testCache,
} from './helpers.js';

const SECONDS = 50;
const RATE = 48_000;
let dir: string;
let cleanup: () => Promise<void>;
let wav: string;
let samples: Int16Array;

before(async () => {
  ({ dir, cleanup } = await tempDir());
  wav = await makeAudio(join(dir, 'a.wav'), varyingStereo(SECONDS));
  samples = await decodeAll(wav, 2);
});
after(() => cleanup());

async function service(name: string, cacheDir?: string) {
  const ffmpegRuns = await countingFfmpeg(join(dir));
  const log = memoryLogger();
  const cache = await testCache(cacheDir ?? join(dir, name), log);
  const waveforms = new WaveformService({
    cache,
    ffmpegPath: ffmpegRuns.path,
    maxDecoders: 3,
    minSegmentSeconds: 10,
    log,
    // The CLI, whose runs these tests count (the in-process decoder: native-decode.test.ts).
    decoder: 'cli',
    // Answers from the peak file read in many small blocks, whose joins the comparisons check.
    levelsReadBytes: 4096,
  });
  // Each service counts from its own start.
  const base = await ffmpegRuns.count();
  return { waveforms, cache, log, runs: async () => (await ffmpegRuns.count()) - base };
}

const source = (): AudioSource => fileSource(wav, 2, SECONDS);
const frames = () => samples.length / 2;

test('whole programme: one decode builds the peak file; every multiple of 256 is then exact', async () => {
  const { waveforms, runs } = await service('levels');
  assert.deepEqual(await waveforms.length(source()), { frames: SECONDS * RATE, exact: false });
  const first = await waveforms.waveform(source(), {
    samplesPerPixel: 256,
    start: 0,
    end: undefined,
    channels: 'merged',
  });
  assert.equal(first.from, 'levels');
  assert.equal(first.channels, 1);
  assert.deepEqual(Array.from(first.data), referencePeaks(samples, 2, 256, 'merged'));
  const decodes = await runs();
  assert.equal(decodes, 1, 'one ffmpeg, which measures the loudness in the same pass');
  assert.deepEqual(await waveforms.length(source()), { frames: frames(), exact: true });

  for (const spp of [256, 768, 1024, 4096, 65536, 131072 * 3]) {
    const all = await waveforms.waveform(source(), {
      samplesPerPixel: spp,
      start: 0,
      end: undefined,
      channels: 'all',
    });
    assert.equal(all.from, 'levels');
    assert.equal(all.channels, 2);
    assert.deepEqual(Array.from(all.data), referencePeaks(samples, 2, spp, 'all'), `all @${spp}`);
  }
  // A window, at a level resolution: starts at the pixel containing `start`.
  const start = Math.round(10.3 * RATE);
  const end = Math.round(40.7 * RATE);
  const win = await waveforms.waveform(source(), {
    samplesPerPixel: 512,
    start,
    end: end,
    channels: 'merged',
  });
  assert.equal(win.from, 'levels');
  assert.equal(win.firstFrame, Math.floor(start / 512) * 512);
  assert.deepEqual(
    Array.from(win.data),
    referencePeaks(samples, 2, 512, 'merged', win.firstFrame, Math.ceil(end / 512) * 512),
  );
  assert.equal(await runs(), decodes, 'no more decoding');
});

test('zoomed in: one sample per pixel across a chunk boundary, from cached PCM chunks', async () => {
  const { waveforms, cache, runs } = await service('pcm');
  const start = CHUNK_FRAMES - 5000;
  const end = CHUNK_FRAMES + 7000;
  const w = await waveforms.waveform(source(), { samplesPerPixel: 1, start, end, channels: 'all' });
  assert.equal(w.from, 'pcm');
  assert.equal(w.firstFrame, start);
  assert.deepEqual(Array.from(w.data), referencePeaks(samples, 2, 1, 'all', start, end));
  assert.equal(await runs(), 1, 'both chunks in one decode');
  assert.equal(cache.stats().entries, 2);
  assert.ok(cache.stats().bytes >= 2 * CHUNK_FRAMES * 4 - 1);
  // Warm: no decoding; a different resolution and mix over the same chunks.
  const again = await waveforms.waveform(source(), { samplesPerPixel: 100, start, end, channels: 'merged' });
  assert.deepEqual(
    Array.from(again.data),
    referencePeaks(samples, 2, 100, 'merged', start - (start % 100), Math.ceil(end / 100) * 100),
    'the last pixel is whole',
  );
  assert.equal(await runs(), 1);
  // The last chunk is short: a window at the very end.
  const tail = await waveforms.waveform(source(), {
    samplesPerPixel: 7,
    start: frames() - 1000,
    end: frames(),
    channels: 'all',
  });
  assert.deepEqual(Array.from(tail.data), referencePeaks(samples, 2, 7, 'all', tail.firstFrame, frames()));
});

test('other resolutions over the whole programme: one streaming pass, then cached', async () => {
  const { waveforms, runs } = await service('scan');
  const w = await waveforms.waveform(source(), {
    samplesPerPixel: 1000,
    start: 0,
    end: undefined,
    channels: 'merged',
  });
  assert.equal(w.from, 'scan');
  assert.deepEqual(Array.from(w.data), referencePeaks(samples, 2, 1000, 'merged'));
  const decodes = await runs();
  const again = await waveforms.waveform(source(), {
    samplesPerPixel: 1000,
    start: 0,
    end: undefined,
    channels: 'merged',
  });
  assert.equal(again.from, 'cached-scan');
  assert.deepEqual(again.data, w.data);
  assert.equal(await runs(), decodes);
});

test('identical requests in flight decode once', async () => {
  const { waveforms, runs } = await service('flight');
  const ask = () =>
    waveforms.waveform(source(), { samplesPerPixel: 1024, start: 0, end: undefined, channels: 'all' });
  const results = await Promise.all([ask(), ask(), ask()]);
  assert.equal(await runs(), 1, 'one build, not three');
  for (const r of results) assert.deepEqual(r.data, results[0]?.data);
  const windows = await Promise.all(
    [0, 1, 2].map(() =>
      waveforms.waveform(source(), { samplesPerPixel: 1, start: 100, end: 200, channels: 'all' }),
    ),
  );
  assert.equal(await runs(), 2, 'one chunk decode for three window requests');
  assert.equal(windows.length, 3);
});

test('without a usable cache folder the answers are the same (and it is logged)', async () => {
  const file = join(dir, 'a-file');
  await writeFile(file, '');
  const { waveforms, log } = await service('none', join(file, 'cache'));
  const whole = await waveforms.waveform(source(), {
    samplesPerPixel: 256,
    start: 0,
    end: undefined,
    channels: 'all',
  });
  assert.equal(whole.from, 'scan');
  assert.deepEqual(Array.from(whole.data), referencePeaks(samples, 2, 256, 'all'));
  const win = await waveforms.waveform(source(), {
    samplesPerPixel: 3,
    start: 48_000,
    end: 96_000,
    channels: 'merged',
  });
  assert.equal(win.from, 'pcm');
  assert.deepEqual(Array.from(win.data), referencePeaks(samples, 2, 3, 'merged', 48_000, 96_000));
  assert.ok(log.lines.filter((l) => l.level === 'warn').length >= 2);
});

test('a lossy source (AAC): peak file and PCM chunks agree', async () => {
  const m4a = join(dir, 'a.m4a');
  await ffmpeg(['-i', wav, '-c:a', 'aac', '-b:a', '192k', m4a]);
  const aac = { ...fileSource(m4a, 2, SECONDS), cacheKey: 'aac' };
  const { waveforms } = await service('aac');
  const start = 30 * RATE;
  const end = start + 10 * RATE;
  const fromLevels = await waveforms.waveform(aac, {
    samplesPerPixel: 4096,
    start: 0,
    end: undefined,
    channels: 'all',
  });
  assert.equal(fromLevels.from, 'levels');
  // Once the peak file exists, windows at its resolutions come from it; a fresh service decodes.
  const { waveforms: fresh } = await service('aac2');
  const pcm = await fresh.waveform(aac, { samplesPerPixel: 4096, start, end, channels: 'all' });
  assert.equal(pcm.from, 'pcm');
  const offset = (pcm.firstFrame / 4096) * 4;
  const levelsSlice = fromLevels.data.subarray(offset, offset + pcm.data.length);
  let worst = 0;
  for (let i = 0; i < pcm.data.length; i++)
    worst = Math.max(worst, Math.abs((pcm.data[i] as number) - (levelsSlice[i] as number)));
  // Decoding from a seek point is not bit-exact for AAC (noise substitution), but close.
  assert.ok(worst < 400, `largest difference ${worst}`);
  assert.ok((await readdir(join(dir, 'aac'))).length > 0);
});

test('a mono peak file: a window at a level resolution is its byte range, and its .dat the same bytes as a copy', async () => {
  const monoSeconds = 12;
  const monoWav = await makeAudio(
    join(dir, 'mono.wav'),
    `aevalsrc=exprs='0.7*sin(2*PI*(200+30*t)*t)*abs(sin(t*1.7))+0.1*(random(0)-0.5)':s=${RATE}:d=${monoSeconds}`,
  );
  const mono = await decodeAll(monoWav, 1);
  const { waveforms } = await service('mono-levels');
  const src = fileSource(monoWav, 1, monoSeconds);
  const whole = await waveforms.waveform(src, {
    samplesPerPixel: 256,
    start: 0,
    end: undefined,
    channels: 'merged',
  });
  assert.equal(whole.from, 'levels');
  assert.deepEqual(Array.from(whole.data), referencePeaks(mono, 1, 256, 'all'));
  for (const spp of [256, 1024]) {
    const start = Math.round(2.3 * RATE);
    const end = Math.round(9.9 * RATE);
    const win = await waveforms.waveform(src, { samplesPerPixel: spp, start, end, channels: 'merged' });
    assert.equal(win.from, 'levels');
    const first = Math.floor(start / spp) * spp;
    assert.deepEqual(
      Array.from(win.data),
      referencePeaks(mono, 1, spp, 'all', first, Math.ceil(end / spp) * spp),
      `window @${spp}`,
    );
    // The .dat written around the window's own memory, against the one written from a copy.
    const copy = { ...win, data: win.data.slice() };
    for (const version of [1, 2] as const) {
      const options = { bits: 16, version } as const;
      assert.deepEqual(encodeDat(win, options), encodeDat(copy, options), `.dat v${version} @${spp}`);
    }
  }
});

test('windows from cached PCM longer than a read buffer, of any channel count, are the plain peaks of their PCM', async () => {
  const seconds = 8;
  const threeWav = await makeAudio(
    join(dir, 'three.wav'),
    `aevalsrc=exprs='0.6*sin(2*PI*200*t)*abs(sin(t))|0.4*(random(0)-0.5)|0.8*sin(2*PI*(90+9*t)*t)':s=${RATE}:d=${seconds}`,
  );
  const three = await decodeAll(threeWav, 3);
  const { waveforms } = await service('pcm-three');
  const start = Math.round(0.9 * RATE) + 1;
  // 6 s of three channels: 1.7 MB, several read buffers, whose size is not a multiple of a frame.
  const end = start + 6 * RATE + 13;
  for (const spp of [1, 240]) {
    for (const mode of ['all', 'merged'] as const) {
      const w = await waveforms.waveform(fileSource(threeWav, 3, seconds), {
        samplesPerPixel: spp,
        start,
        end,
        channels: mode,
      });
      assert.equal(w.from, 'pcm');
      const first = Math.floor(start / spp) * spp;
      assert.deepEqual(
        Array.from(w.data),
        referencePeaks(three, 3, spp, mode, first, Math.ceil(end / spp) * spp),
        `${mode} @${spp}`,
      );
    }
  }
});
