import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  coarsen,
  computePeaks,
  concatInt16,
  seriesCount,
  PeakAccumulator,
  requestedSeries,
  selectSeries,
  storedIndices,
  storedSeries,
} from '../src/processors/peaks.js';
import { referencePeaks } from './helpers.js';

function random(n: number, seed = 1): Int16Array {
  const out = new Int16Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out[i] = (s % 65536) - 32768;
  }
  return out;
}

test('stereo: per-channel and merged peaks match the plain computation, partial last bin included', () => {
  const samples = random(2 * 1000);
  for (const spp of [1, 7, 256, 999, 1000, 5000]) {
    const all = computePeaks(samples, requestedSeries(2, 'all'), spp);
    assert.deepEqual(Array.from(all), referencePeaks(samples, 2, spp, 'all'), `all @${spp}`);
    const merged = computePeaks(samples, requestedSeries(2, 'merged'), spp);
    assert.deepEqual(Array.from(merged), referencePeaks(samples, 2, spp, 'merged'), `merged @${spp}`);
  }
});

test('the mix truncates toward zero, as audiowaveform does', () => {
  const samples = Int16Array.from([-3, 0, 3, 0, -32768, -32767]);
  const merged = computePeaks(samples, requestedSeries(2, 'merged'), 1);
  assert.deepEqual(Array.from(merged), [-1, -1, 1, 1, -32767, -32767]);
});

test('mono and six channels', () => {
  const mono = random(777, 3);
  assert.deepEqual(
    Array.from(computePeaks(mono, requestedSeries(1, 'merged'), 10)),
    referencePeaks(mono, 1, 10, 'all'),
  );
  const six = random(6 * 500, 4);
  assert.deepEqual(
    Array.from(computePeaks(six, requestedSeries(6, 'all'), 33)),
    referencePeaks(six, 6, 33, 'all'),
  );
  assert.deepEqual(
    Array.from(computePeaks(six, requestedSeries(6, 'merged'), 33)),
    referencePeaks(six, 6, 33, 'merged'),
  );
});

test('input split anywhere, even mid-frame, gives the same peaks', () => {
  const samples = random(2 * 3000, 7);
  const whole = computePeaks(samples, storedSeries(2), 64);
  const parts: Int16Array[] = [];
  const acc = new PeakAccumulator(storedSeries(2), 64, (d, bins) => parts.push(d.slice(0, bins * 6)));
  let at = 0;
  for (const size of [1, 3, 100, 127, 2, 999, 5000]) {
    acc.push(samples.subarray(at, Math.min(samples.length, at + size)));
    at = Math.min(samples.length, at + size);
  }
  acc.push(samples.subarray(at));
  acc.end();
  const joined = Int16Array.from(parts.flatMap((p) => Array.from(p)));
  assert.deepEqual(joined, whole);
});

test('coarsen gives exactly the peaks of the coarser resolution; selectSeries picks series', () => {
  const samples = random(2 * 10_000, 9);
  const fine = computePeaks(samples, storedSeries(2), 256);
  const coarse = computePeaks(samples, storedSeries(2), 1024);
  assert.deepEqual(coarsen(fine, 3, 4), coarse);
  assert.deepEqual(coarsen(fine, 3, 3), computePeaks(samples, storedSeries(2), 768));
  const mergedOnly = selectSeries(coarse, 3, storedIndices(2, 'merged'));
  assert.deepEqual(mergedOnly, computePeaks(samples, requestedSeries(2, 'merged'), 1024));
  const channelsOnly = selectSeries(coarse, 3, storedIndices(2, 'all'));
  assert.deepEqual(channelsOnly, computePeaks(samples, requestedSeries(2, 'all'), 1024));
});

test('the SIMD loop gives exactly what the JavaScript loop gives', () => {
  // Extremes and random values, at multiples of 4 frames per bin, pushed in awkward pieces.
  const samples = random(2 * 50_000, 11);
  samples.set([-32768, -32768, 32767, 32767, -32768, 32767, -1, 0, 1, -2, -3, 0], 2000);
  for (const spp of [4, 8, 12, 256, 1024, 4096]) {
    for (const spec of [storedSeries(2), requestedSeries(2, 'all'), requestedSeries(2, 'merged')]) {
      const run = (simd: boolean) => {
        const parts: Int16Array[] = [];
        const stride = seriesCount(spec) * 2;
        const acc = new PeakAccumulator(spec, spp, (d, bins) => parts.push(d.slice(0, bins * stride)), {
          simd,
        });
        for (let at = 0; at < samples.length; at += 33_333) acc.push(samples.subarray(at, at + 33_333));
        acc.end();
        return Array.from(concatInt16(parts));
      };
      const simd = run(true);
      assert.deepEqual(simd, run(false), `spp ${spp}`);
      if (!spec.merged) assert.deepEqual(simd, referencePeaks(samples, 2, spp, 'all'));
      if (!spec.perChannel) assert.deepEqual(simd, referencePeaks(samples, 2, spp, 'merged'));
    }
  }
});

test('bad arguments are refused', () => {
  assert.throws(() => new PeakAccumulator(storedSeries(2), 0, () => undefined), RangeError);
  assert.throws(
    () => new PeakAccumulator({ channels: 2, perChannel: false, merged: false }, 1, () => undefined),
  );
});

test('selectSeries and coarsen write into a given array what they answer without one, and refuse a wrong size', () => {
  const bins = random(3 * 2 * 50, 11); // 50 bins of left, right and mix
  for (const indices of [[2], [0, 1], [0, 1, 2]]) {
    const alone = selectSeries(bins, 3, indices);
    const into = new Int16Array(alone.length);
    assert.equal(selectSeries(bins, 3, indices, into), into);
    assert.deepEqual(into, indices.length === 3 ? bins : alone, `select ${indices.join(',')}`);
    for (const factor of [1, 4, 7]) {
      const coarse = coarsen(alone, indices.length, factor);
      const out = new Int16Array(coarse.length);
      assert.equal(coarsen(alone, indices.length, factor, out), out);
      assert.deepEqual(out, coarse, `coarsen ${indices.join(',')} by ${factor}`);
    }
  }
  assert.throws(() => selectSeries(bins, 3, [2], new Int16Array(3)), RangeError);
  assert.throws(() => coarsen(bins, 3, 4, new Int16Array(5)), RangeError);
});

test('one sample per pixel: every layout (mono, each channel, the mix, both) is the plain computation, pushed in uneven pieces', () => {
  // More than a batch of bins (4096), so batches are flushed mid-push.
  const stereo = random(2 * 9001, 13);
  const mono = random(9001, 14);
  const pieces = (samples: Int16Array, spec: ReturnType<typeof storedSeries>) => {
    const parts: number[] = [];
    const acc = new PeakAccumulator(spec, 1, (d, bins) =>
      parts.push(...d.subarray(0, bins * seriesCount(spec) * 2)),
    );
    let at = 0;
    for (const size of [1, 3, 5000, 2, 8191]) {
      acc.push(samples.subarray(at, Math.min(samples.length, at + size)));
      at = Math.min(samples.length, at + size);
    }
    acc.push(samples.subarray(at));
    acc.end();
    return parts;
  };
  assert.deepEqual(pieces(mono, requestedSeries(1, 'merged')), referencePeaks(mono, 1, 1, 'all'), 'mono');
  assert.deepEqual(pieces(stereo, requestedSeries(2, 'all')), referencePeaks(stereo, 2, 1, 'all'), 'each');
  assert.deepEqual(
    pieces(stereo, requestedSeries(2, 'merged')),
    referencePeaks(stereo, 2, 1, 'merged'),
    'mix',
  );
  const each = referencePeaks(stereo, 2, 1, 'all');
  const mix = referencePeaks(stereo, 2, 1, 'merged');
  const both = Array.from({ length: stereo.length / 2 }, (_, f) => [
    ...each.slice(f * 4, f * 4 + 4),
    ...mix.slice(f * 2, f * 2 + 2),
  ]).flat();
  assert.deepEqual(pieces(stereo, storedSeries(2)), both, 'each and the mix');
});
