import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FrameRate, frameRate, frameToSeconds } from '@frameproof/core';
import {
  decodeTimeOf,
  frameOfMediaTime,
  sampleFrame,
  type SampleTiming,
  seekTimeOf,
  timecodeOf,
  frameOfInput,
  frameOfTimecode,
  type FrameAxis,
} from '../src/frames.js';
import { frameFromDeepLink, FrameInputError } from '../src/index.js';

const RATES = {
  '23.976': frameRate(24000, 1001),
  '24': frameRate(24),
  '25': frameRate(25),
  '29.97': frameRate(30000, 1001),
  '30': frameRate(30),
  '50': frameRate(50),
  '59.94': frameRate(60000, 1001),
  '60': frameRate(60),
};

function axis(rate: keyof typeof RATES, extra: Partial<FrameAxis> = {}): FrameAxis {
  return {
    frameRate: RATES[rate],
    startTimecode: null,
    dropFrame: false,
    durationFrames: 10_000_000,
    ...extra,
  };
}

test('every frame maps to a seek time inside it and back, at every supported rate', () => {
  for (const rate of Object.values(RATES)) {
    for (let f = 0; f < 5_000_000; f += 7919) {
      const t = seekTimeOf(f, rate);
      assert.ok(t > frameToSeconds(f, rate) && t < frameToSeconds(f + 1, rate));
      assert.equal(frameOfMediaTime(frameToSeconds(f, rate), rate), f);
    }
  }
});

test('drop-frame counting skips labels 00 and 01 at each minute but every tenth', () => {
  const a = axis('29.97', { dropFrame: true });
  const at = frameOfTimecode('00:00:59;29', a);
  assert.equal(timecodeOf(at + 1, a), '00:01:00;02');
  assert.equal(timecodeOf(frameOfTimecode('00:09:59;29', a) + 1, a), '00:10:00;00');
  assert.equal(frameOfTimecode('00:10:00;00', a), 17982);
  const b = axis('59.94', { dropFrame: true });
  assert.equal(timecodeOf(frameOfTimecode('00:00:59;59', b) + 1, b), '00:01:00;04');
  // A label that drop-frame skips is refused.
  assert.throws(() => frameOfTimecode('00:01:00;00', a), FrameInputError);
  // Colons are accepted for a drop-frame programme.
  assert.equal(frameOfTimecode('00:00:59:29', a), at);
});

test('the start timecode offsets labels and typed timecodes', () => {
  const a = axis('25', { startTimecode: '10:00:00:00', durationFrames: 1000 });
  assert.equal(timecodeOf(0, a), '10:00:00:00');
  assert.equal(timecodeOf(26, a), '10:00:01:01');
  assert.equal(frameOfTimecode('10:00:01:01', a), 26);
  assert.throws(() => frameOfTimecode('09:59:59:24', a), /before the programme starts/);
  assert.throws(() => frameOfTimecode('10:01:00:00', a), /past the end/);
});

test('deep links name a frame by number or timecode; bad values throw', () => {
  const a = axis('29.97', { dropFrame: true, durationFrames: 40000 });
  assert.equal(frameFromDeepLink('?frame=123', a), 123);
  assert.equal(frameFromDeepLink('frame=0', a), 0);
  assert.equal(frameFromDeepLink('?tc=00:01:00;02', a), 1800);
  assert.equal(frameFromDeepLink('?tc=00%3A01%3A00%3B02', a), 1800);
  assert.equal(frameFromDeepLink('?other=1', a), null);
  assert.equal(frameFromDeepLink('', a), null);
  assert.throws(() => frameFromDeepLink('?frame=-1', a), FrameInputError);
  assert.throws(() => frameFromDeepLink('?frame=1.5', a), FrameInputError);
  assert.throws(() => frameFromDeepLink('?frame=40000', a), /past the end/);
  assert.throws(() => frameFromDeepLink('?tc=00:61:00;00', a), FrameInputError);
  assert.throws(() => frameFromDeepLink('?tc=nonsense', a), FrameInputError);
});

test('the go-to box takes a frame number or a timecode', () => {
  const a = axis('25', { durationFrames: 100 });
  assert.equal(frameOfInput('42', a), 42);
  assert.equal(frameOfInput('00:00:01:10', a), 35);
  assert.throws(() => frameOfInput('abc', a), FrameInputError);
  assert.throws(() => frameOfInput('100', a), /past the end/);
});

/** The samples of a proxy whose container keeps times in `timescale` ticks per second. */
function samples(rate: FrameRate, timescale: number, count: number): SampleTiming[] {
  const at = (i: number): number => Math.round((i * rate.den * timescale) / rate.num) / timescale;
  return Array.from({ length: count }, (_, i) => ({ timestamp: at(i), duration: at(i + 1) - at(i) }));
}

/** The demuxer's rule (mediabunny's getSample): the last sample starting at or before the time. */
function sampleAt(list: SampleTiming[], t: number): SampleTiming | undefined {
  return list.filter((s) => s.timestamp <= t).at(-1);
}

test('the decoder is asked for the middle of the frame, which picks that frame in any container time base', () => {
  for (const [name, rate] of Object.entries(RATES)) {
    // Exact ticks (the proxy's), 90 kHz, microseconds and milliseconds (which round each frame).
    for (const timescale of [rate.num, 90_000, 1_000_000, 1000]) {
      const list = samples(rate, timescale, 3000);
      for (let f = 0; f < list.length; f += 7) {
        const t = decodeTimeOf(f, rate);
        assert.ok(t > frameToSeconds(f, rate) && t < frameToSeconds(f + 1, rate));
        const chosen = sampleAt(list, t);
        assert.equal(chosen, list[f], `${name} at ${timescale} ticks/s, frame ${f}`);
        assert.deepEqual(sampleFrame(chosen as SampleTiming, f, rate), { frame: f, exact: true });
      }
    }
  }
});

test('a decoded sample that is not the frame asked for is named as what it is', () => {
  const rate = RATES['23.976'];
  const list = samples(rate, 24000, 10);
  const [s3, s4] = [list[3] as SampleTiming, list[4] as SampleTiming];
  // The neighbour before.
  assert.deepEqual(sampleFrame(s3, 4, rate), { frame: 3, exact: false });
  // Frame 4 missing from the proxy: frame 3's sample lasts two frames and covers frame 4's middle.
  const long = { timestamp: s3.timestamp, duration: s3.duration * 2 };
  assert.deepEqual(sampleFrame(long, 4, rate), { frame: 3, exact: false });
  // A duration the container left unknown: the timestamp decides.
  assert.deepEqual(sampleFrame({ timestamp: s4.timestamp, duration: 0 }, 4, rate), { frame: 4, exact: true });
  // A broken duration that ends before the frame's middle is not trusted.
  assert.deepEqual(sampleFrame({ timestamp: s4.timestamp, duration: s4.duration / 4 }, 4, rate), {
    frame: 4,
    exact: false,
  });
});
