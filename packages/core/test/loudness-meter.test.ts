/**
 * The streaming loudness meter on generated signals: EBU Tech 3341's true-peak cases (15–23), the
 * K-weighting against BS.1770's published 48 kHz table, the true-peak skip never changing a
 * figure, gating and silence. Its agreement with ffmpeg's own figures is tested in analyze.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kWeighting, LoudnessMeter, TRUE_PEAK_GAIN_BOUND, TRUE_PEAK_PHASES } from '../src/loudness-meter.js';
import { createTruePeakKernel, interpolationBound, WEIGH_BLOCK, WEIGH_STATE } from '../src/true-peak-simd.js';

const SILENCE = { thresholdDb: -60, minSeconds: 2 };

/** Interleaved stereo: the same function of the frame index on both channels. */
function stereo(frames: number, f: (n: number) => number): Float32Array {
  const out = new Float32Array(frames * 2);
  for (let n = 0; n < frames; n++) out[2 * n] = out[2 * n + 1] = f(n);
  return out;
}

function measure(samples: Float32Array, rate = 48_000, skipTruePeak = true, chunk = 10_000) {
  const meter = new LoudnessMeter({ sampleRate: rate, channels: 2, silence: SILENCE, skipTruePeak });
  // Fed in uneven pieces, as a decoder hands them over.
  for (let i = 0; i < samples.length; i += chunk * 2) meter.pushFloat(samples.subarray(i, i + chunk * 2));
  return { meter, result: meter.result() };
}

test('K-weighting at 48 kHz is BS.1770-4 Table 1 and 2', () => {
  const { shelf, highPass } = kWeighting(48_000);
  const table = [1.53512485958697, -2.69169618940638, 1.19839281085285, -1.69065929318241, 0.73248077421585];
  shelf.forEach((v, i) => assert.ok(Math.abs(v - (table[i] as number)) < 1e-9, `shelf ${i}: ${v}`));
  const hp = [1, -2, 1, -1.99004745483398, 0.99007225036621];
  highPass.forEach((v, i) => assert.ok(Math.abs(v - (hp[i] as number)) < 1e-9, `high pass ${i}: ${v}`));
});

// EBU Tech 3341 (2016), cases 15–23: maximum true peak, +0.2/-0.4 dB. 48 kHz stereo sines
// (frequency as a fraction of the rate, amplitude, phase), and for 20–23 a 0 dBTP crest placed at
// 0, 1, 2 and 3 quarters of a sample after a sample instant. Each fades in over 20 ms: a sine
// switched on at full level is a step, whose ringing in any interpolator is a real overshoot.
const RATE = 48_000;
const fadeIn = (i: number) => (i < RATE / 50 ? (1 - Math.cos((Math.PI * i) / (RATE / 50))) / 2 : 1);
const TRUE_PEAK_CASES: [number, number, number, number, number][] = [
  // case, fs / f, amplitude, phase (degrees), expected dBTP
  [15, 4, 0.5, 0, -6.0],
  [16, 4, 0.5, 45, -6.0],
  [17, 6, 0.5, 60, -6.0],
  [18, 8, 0.5, 67.5, -6.0],
  [19, 4, 1.41, 45, 3.0],
];
for (const [n, div, amplitude, phase, expected] of TRUE_PEAK_CASES) {
  test(`EBU Tech 3341 case ${n}: true peak ${expected.toFixed(1)} dBTP (+0.2/-0.4)`, () => {
    const w = (2 * Math.PI) / div;
    const p = (phase * Math.PI) / 180;
    const { result } = measure(stereo(RATE * 2, (i) => fadeIn(i) * amplitude * Math.sin(w * i + p)));
    for (const tp of [result.loudness.truePeak, ...result.truePeakPerChannel]) {
      assert.ok(tp !== null && tp <= expected + 0.2 && tp >= expected - 0.4, `true peak ${tp}`);
    }
  });
}
for (const offset of [0, 1, 2, 3]) {
  test(`EBU Tech 3341 case ${20 + offset}: inter-sample peak at ${offset}/4 sample, 0.0 dBTP (+0.2/-0.4)`, () => {
    // An 8 kHz (fs/6) cosine of full scale whose crests fall offset/4 of a sample after a sample.
    const w = (2 * Math.PI) / 6;
    const crest = 1200 + offset / 4;
    const { result } = measure(stereo(RATE, (i) => fadeIn(i) * Math.cos(w * (i - crest))));
    const tp = result.loudness.truePeak;
    assert.ok(tp !== null && tp <= 0.2 && tp >= -0.4, `true peak ${tp}`);
    // The samples themselves are lower where the crest is between them.
    if (offset === 2) assert.ok((result.loudness.samplePeak as number) <= -1.2);
  });
}

test('skipping stretches that cannot raise the true peak never changes it', () => {
  // A programme whose level wanders: a burst, quiet stretches, a louder tone, noise.
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  const frames = RATE * 20;
  const signal = new Float32Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    const t = i / RATE;
    const gain =
      t < 1 ? 0.9 : t < 8 ? 0.05 + 0.04 * Math.sin(t) : t < 9 ? 0.97 : 0.3 * Math.abs(Math.sin(t / 3));
    signal[2 * i] = gain * (0.6 * Math.sin(2 * Math.PI * 997 * t) + 0.4 * noise());
    signal[2 * i + 1] = gain * noise();
  }
  const skipped = measure(signal, RATE, true, 4410);
  const full = measure(signal, RATE, false, 4410);
  assert.ok(skipped.meter.oversampledFrames < full.meter.oversampledFrames / 2, 'most stretches skipped');
  assert.equal(full.meter.oversampledFrames, frames * 2);
  // Exactly equal, not merely close: per channel, unrounded.
  const internal = (m: LoudnessMeter) => (m as unknown as { truePeak: Float64Array }).truePeak;
  assert.deepEqual([...internal(skipped.meter)], [...internal(full.meter)]);
  assert.deepEqual(skipped.result, full.result);
});

test('no output of the interpolator exceeds its bound from the middle inputs and the curvature', () => {
  const { linear, curvature } = interpolationBound(TRUE_PEAK_PHASES);
  // Every phase keeps a signal's level to within a few tenths of a percent; the curvature term is
  // what lets a steady tone skip all but the outputs beside its crests.
  assert.ok(linear > 1 && linear < 1.01, String(linear));
  assert.ok(curvature > 0.1 && curvature < 1, String(curvature));
  let seed = 3;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const kinds: ((j: number) => number)[] = [
    () => random() * 2 - 1,
    (j) => (j < 6 ? -1 : 1),
    (j) => (j % 2 ? 1 : -1),
  ];
  let tightest = Infinity;
  for (let trial = 0; trial < 20_000; trial++) {
    const f = 0.5 * random() ** 3;
    const phase = random() * 2 * Math.PI;
    const kind = kinds[trial % 4];
    const w = Array.from({ length: 12 }, (_, j) =>
      kind ? (kind(j) as number) : Math.cos(2 * Math.PI * f * j + phase),
    );
    const middle = Math.max(Math.abs(w[5] as number), Math.abs(w[6] as number));
    let curve = 0;
    for (let i = 1; i < 11; i++)
      curve = Math.max(curve, Math.abs((w[i - 1] as number) - 2 * (w[i] as number) + (w[i + 1] as number)));
    const bound = linear * middle + curvature * curve;
    for (const taps of TRUE_PEAK_PHASES) {
      const y = taps.reduce((acc, h, k) => acc + h * (w[11 - k] as number), 0);
      assert.ok(Math.abs(y) <= bound + 1e-12, `trial ${trial}: |${y}| over ${bound}`);
      tightest = Math.min(tightest, bound - Math.abs(y));
    }
  }
  // The bound is reached, not merely safe: some window comes within a thousandth of it.
  assert.ok(tightest < 1e-3, String(tightest));
});

test('a steady tone is oversampled only beside its crests, and its true peak is unchanged', () => {
  // Tones from low to near Nyquist, on noise, at levels under and over the other channel's.
  for (const [hz, level] of [
    [440, 0.0375],
    [997, 0.5],
    [5000, 0.3],
    [15_000, 0.8],
    [19_000, 0.2],
  ] as const) {
    const signal = stereo(RATE * 2, (i) => level * Math.sin((2 * Math.PI * hz * i) / RATE + 0.3));
    for (let i = 1; i < signal.length; i += 2) signal[i] = (signal[i] as number) * 0.5;
    const skipped = measure(signal, RATE, true, 4410);
    const full = measure(signal, RATE, false, 4410);
    const internal = (m: LoudnessMeter) => [...(m as unknown as { truePeak: Float64Array }).truePeak];
    assert.deepEqual(internal(skipped.meter), internal(full.meter), `${hz} Hz`);
    const share = skipped.meter.oversampledFrames / full.meter.oversampledFrames;
    if (hz <= 1000) assert.ok(share < 0.4, `${hz} Hz: ${share} oversampled`);
  }
});

test('the SIMD interpolator and the JavaScript one agree', () => {
  let seed = 3;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  const signal = stereo(RATE * 3, (i) => 0.4 * Math.sin(i / 3.3) + 0.3 * noise());
  const run = (simd: boolean) => {
    const meter = new LoudnessMeter({
      sampleRate: RATE,
      channels: 2,
      silence: SILENCE,
      simd,
      skipTruePeak: false,
    });
    meter.pushFloat(signal);
    return [...(meter as unknown as { truePeak: Float64Array }).truePeak];
  };
  const [a, b] = [run(true), run(false)];
  a.forEach((v, c) => assert.ok(Math.abs(v - (b[c] as number)) < 1e-6, `${v} vs ${b[c]}`));
});

for (const channels of [1, 2, 3, 6]) {
  test(`${channels}-channel 16-bit input through WebAssembly gives exactly the JavaScript figures`, () => {
    // Loud noise, a quiet tone, digital silence (the filter state flushed to zero) and a burst,
    // each channel its own, fed in uneven pieces that straddle the 100 ms blocks.
    let seed = 11;
    const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
    const frames = RATE * 12;
    const s16 = new Int16Array(frames * channels);
    for (let i = 0; i < frames; i++) {
      const t = i / RATE;
      const gain = t < 3 ? 0.8 : t < 6 ? 0.01 : t < 9 ? 0 : 0.99;
      for (let c = 0; c < channels; c++) {
        const v =
          c % 2 === 0
            ? gain * (0.5 * Math.sin(2 * Math.PI * (997 + 100 * c) * t) + 0.5 * noise())
            : gain * noise() * (t < 4 + c ? 1 : 0.001);
        // The silence ends on a loud frame within a segment: the frame before must not read as loud.
        const edge = 9 * RATE + 100;
        s16[i * channels + c] = i < edge && t >= 9 ? 0 : i === edge ? 20_000 : Math.round(32767 * v);
      }
    }
    const run = (simd: boolean) => {
      const meter = new LoudnessMeter({ sampleRate: RATE, channels, silence: SILENCE, simd });
      for (let i = 0, k = 0; i < s16.length; k++) {
        const n = channels * ([4410, 1, 9000, 20_000][k % 4] as number);
        meter.pushInt16(s16.subarray(i, i + n));
        i += n;
      }
      const internal = meter as unknown as Record<string, Float64Array>;
      const state = ['state', 'samplePeak', 'squares', 'truePeak'].map((k) => [
        ...(internal[k] as Float64Array),
      ]);
      return { result: meter.result(), state };
    };
    const [wasm, js] = [run(true), run(false)];
    assert.ok(
      (
        new LoudnessMeter({ sampleRate: RATE, channels, silence: SILENCE }) as unknown as {
          weighing?: object;
        }
      ).weighing,
      'the WebAssembly path is there to test',
    );
    // The JavaScript interpolator sums in doubles, the SIMD one in floats: true peaks agree closely.
    const tp = (r: typeof js) => r.state[3] as number[];
    tp(wasm).forEach((v, c) => assert.ok(Math.abs(v - (tp(js)[c] as number)) < 1e-6, `${v} vs ${tp(js)[c]}`));
    assert.deepEqual(wasm.state.slice(0, 3), js.state.slice(0, 3));
    assert.deepEqual(
      { ...wasm.result, truePeakPerChannel: [], loudness: { ...wasm.result.loudness, truePeak: 0 } },
      { ...js.result, truePeakPerChannel: [], loudness: { ...js.result.loudness, truePeak: 0 } },
    );
    assert.ok(wasm.result.silence.length === 1 && (wasm.result.loudness.integrated as number) > -30);
  });
}

test('the skip bound is the largest sum of |taps| of a phase', () => {
  assert.ok(TRUE_PEAK_GAIN_BOUND > 1 && TRUE_PEAK_GAIN_BOUND < 2.1, String(TRUE_PEAK_GAIN_BOUND));
});

test('a 1 kHz stereo sine at -23 dBFS reads -23.0 LUFS, LRA 0, and its series settle', () => {
  const a = 10 ** (-23 / 20);
  const { result } = measure(stereo(RATE * 10, (i) => a * Math.sin((2 * Math.PI * 1000 * i) / RATE)));
  assert.equal(result.loudness.integrated, -23);
  assert.equal(result.loudness.range, 0);
  assert.equal(result.momentary.length, 100);
  // The first three momentary windows (and 29 short-term ones) are not full yet.
  assert.deepEqual(result.momentary.slice(0, 4), [null, null, null, -23]);
  assert.equal(result.shortTerm[28], null);
  assert.equal(result.shortTerm[29], -23);
  assert.equal(result.durationSeconds, 10);
  assert.equal(result.levels.channels[0]?.peak, -23);
  assert.ok(Math.abs((result.levels.channels[0]?.rms as number) - (-23 - 3.01)) < 0.01);
});

test('44.1 kHz gets its own K-weighting: the same sine reads the same loudness', () => {
  const a = 10 ** (-23 / 20);
  const rate = 44_100;
  const { result } = measure(
    stereo(rate * 10, (i) => a * Math.sin((2 * Math.PI * 1000 * i) / rate)),
    rate,
  );
  assert.equal(result.loudness.integrated, -23);
  assert.equal(result.durationSeconds, 10);
});

test('gating: silence and -75 LUFS passages do not count towards the integrated loudness', () => {
  const loud = 10 ** (-20 / 20);
  const quiet = 10 ** (-75 / 20);
  const { result } = measure(
    stereo(RATE * 30, (i) => {
      const t = i / RATE;
      const g = t < 10 ? loud : t < 20 ? 0 : quiet;
      return g * Math.sin(2 * Math.PI * 1000 * t);
    }),
  );
  // Ungated, the quiet two thirds would pull it to about -24.8; only the 400 ms blocks that
  // straddle the end of the tone (partly loud) count beside the tone's.
  assert.ok(Math.abs((result.loudness.integrated as number) + 20) <= 0.15, `${result.loudness.integrated}`);
  assert.ok(Math.abs((result.loudness.integratedThreshold as number) + 30) <= 0.15);
});

test('silence spans: every channel under -60 dBFS for at least 2 s, the open one closed at the end', () => {
  const a = 0.5;
  const { result } = measure(
    stereo(RATE * 12, (i) => {
      const t = i / RATE;
      // 1 s of silence (too short), then 3 s, then tone, then 2.5 s to the end.
      const silent = (t >= 2 && t < 3) || (t >= 5 && t < 8) || t >= 9.5;
      return silent ? 0.0001 : a * Math.sin(2 * Math.PI * 440 * t);
    }),
  );
  assert.equal(result.silence.length, 2);
  const [first, last] = result.silence as [(typeof result.silence)[0], (typeof result.silence)[0]];
  assert.ok(Math.abs(first.start - 5) < 1e-3 && Math.abs(first.end - 8) < 1e-3, JSON.stringify(first));
  assert.ok(Math.abs(last.start - 9.5) < 1e-3 && last.end === 12, JSON.stringify(last));
});

test('one loud channel keeps a frame out of silence', () => {
  const frames = RATE * 3;
  const s = new Float32Array(frames * 2);
  for (let i = 0; i < frames; i++) s[2 * i + 1] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / RATE);
  assert.deepEqual(measure(s).result.silence, []);
});

test('digital silence: no loudness, null peaks, one silence span', () => {
  const { result } = measure(new Float32Array(RATE * 3 * 2));
  assert.equal(result.loudness.integrated, null);
  assert.equal(result.loudness.truePeak, null);
  assert.deepEqual(result.truePeakPerChannel, [null, null]);
  assert.equal(result.levels.channels[0]?.peak, null);
  assert.equal(result.momentary[5], null);
  assert.deepEqual(result.silence, [{ start: 0, end: 3, duration: 3 }]);
});

test('16-bit input reads as its float equivalent', () => {
  const frames = RATE * 5;
  const s16 = new Int16Array(frames * 2);
  const f32 = new Float32Array(frames * 2);
  for (let i = 0; i < s16.length; i++) {
    s16[i] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * Math.floor(i / 2)) / RATE));
    f32[i] = (s16[i] as number) / 32768;
  }
  const meter = new LoudnessMeter({ sampleRate: RATE, channels: 2, silence: SILENCE });
  meter.pushInt16(s16);
  assert.deepEqual(meter.result(), measure(f32).result);
});

test('bad formats are refused', () => {
  assert.throws(() => new LoudnessMeter({ sampleRate: 0, channels: 2, silence: SILENCE }), RangeError);
  assert.throws(
    () => new LoudnessMeter({ sampleRate: RATE, channels: 2, silence: { thresholdDb: NaN, minSeconds: 2 } }),
  );
  const meter = new LoudnessMeter({ sampleRate: RATE, channels: 2, silence: SILENCE });
  assert.throws(() => meter.pushFloat(new Float32Array(3)), RangeError);
});

test('weigh writes each block of frames its sample peaks, the last block partial', () => {
  const weigh = createTruePeakKernel(TRUE_PEAK_PHASES, 2, 11 + 4096, 4096)?.weigh;
  assert.ok(weigh, 'WebAssembly SIMD, which Node has had since 16');
  let seed = 5;
  const s16 = Int16Array.from({ length: 2 * 1000 }, (_, i) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    // Quiet and loud stretches, both channels different.
    return Math.round(((seed % 65536) - 32768) * (i % 400 < 200 ? 0.01 : 1) * (i % 2 ? 0.5 : 1));
  });
  for (const [first, n] of [
    [0, 1000],
    [3, 64],
    [10, 33],
    [7, 5],
  ] as const) {
    const state = weigh.states[0] as Float64Array;
    state.fill(0);
    state.fill(1 / 32768, WEIGH_STATE.scale * 2, WEIGH_STATE.scale * 2 + 2);
    weigh.load(s16, first, n);
    weigh.run(0, n, 11);
    for (let k = 0; k * WEIGH_BLOCK < n; k++) {
      for (let c = 0; c < 2; c++) {
        let m = 0;
        for (let f = first + k * WEIGH_BLOCK; f < first + Math.min(n, (k + 1) * WEIGH_BLOCK); f++)
          m = Math.max(m, Math.abs(s16[2 * f + c] as number) / 32768);
        assert.equal(weigh.blockPeaks[0]?.[2 * k + c], m, `frames ${first}+${n}, block ${k}, channel ${c}`);
      }
    }
  }
});

test('weigh marks a frame loud exactly where a channel reaches the threshold, and sums squares exactly', () => {
  const weigh = createTruePeakKernel(TRUE_PEAK_PHASES, 2, 11 + 4096, 4096)?.weigh;
  assert.ok(weigh, 'WebAssembly SIMD, which Node has had since 16');
  const threshold = 10 ** (-60 / 20); // 32.768 in 16-bit steps: 33 is loud, 32 is not
  // Around the threshold on either channel, either sign, and the extremes of the format.
  const values = [0, 32, -32, 33, -33, 34, -32768, 32767, 1, -1];
  const frames = 1001;
  const s16 = Int16Array.from(
    { length: frames * 2 },
    (_, i) => values[(i * 7 + (i >> 3)) % values.length] as number,
  );
  for (const n of [1001, 3, 4, 5, 998]) {
    const state = weigh.states[0] as Float64Array;
    state.fill(0);
    state.fill(1 / 32768, WEIGH_STATE.scale * 2, WEIGH_STATE.scale * 2 + 2);
    state.fill(
      Math.ceil(threshold * 32768) / 32768,
      WEIGH_STATE.threshold * 2,
      WEIGH_STATE.threshold * 2 + 2,
    );
    weigh.load(s16, 0, n);
    weigh.run(0, n, 11);
    let louds = 0;
    let left = 0;
    let right = 0;
    for (let f = 0; f < n; f++) {
      const [l, r] = [s16[2 * f] as number, s16[2 * f + 1] as number];
      const loud = Math.abs(l) / 32768 >= threshold || Math.abs(r) / 32768 >= threshold ? 1 : 0;
      assert.equal(weigh.loud[f], loud, `frame ${f} of ${n}: ${l}, ${r}`);
      louds += loud;
      left += (l / 32768) ** 2;
      right += (r / 32768) ** 2;
    }
    assert.equal(state[WEIGH_STATE.louds * 2], louds, `${n} frames`);
    assert.deepEqual(
      [...state.subarray(WEIGH_STATE.squares * 2, WEIGH_STATE.squares * 2 + 2)],
      [left, right],
    );
  }
});

test("stereo 16-bit input: the skip, bounded by weigh's block peaks, never changes the true peak", () => {
  let seed = 17;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  const frames = RATE * 10;
  const s16 = new Int16Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    const t = i / RATE;
    const gain =
      t < 1 ? 0.9 : t < 5 ? 0.05 + 0.04 * Math.sin(t) : t < 6 ? 0.97 : 0.3 * Math.abs(Math.sin(t / 3));
    s16[2 * i] = Math.round(32767 * gain * (0.6 * Math.sin(2 * Math.PI * 997 * t) + 0.4 * noise()));
    s16[2 * i + 1] = Math.round(32767 * gain * noise());
  }
  const run = (skipTruePeak: boolean) => {
    const meter = new LoudnessMeter({ sampleRate: RATE, channels: 2, silence: SILENCE, skipTruePeak });
    for (let i = 0, k = 0; i < s16.length; k++) {
      const n = 2 * ([4410, 1, 31, 9000, 33][k % 5] as number);
      meter.pushInt16(s16.subarray(i, i + n));
      i += n;
    }
    return { meter, result: meter.result() };
  };
  const skipped = run(true);
  const full = run(false);
  assert.ok(skipped.meter.oversampledFrames < full.meter.oversampledFrames / 2, 'most stretches skipped');
  const internal = (m: LoudnessMeter) => [...(m as unknown as { truePeak: Float64Array }).truePeak];
  assert.deepEqual(internal(skipped.meter), internal(full.meter));
  assert.deepEqual(skipped.result, full.result);
});
