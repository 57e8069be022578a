import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frameMiddleSeconds, frameToSeconds, secondsToFrame, timestampToFrame } from '../src/index.js';

const RATES = [
  { num: 24000, den: 1001 },
  { num: 24, den: 1 },
  { num: 25, den: 1 },
  { num: 30000, den: 1001 },
  { num: 50, den: 1 },
  { num: 60000, den: 1001 },
];

test('the middle of a frame lies inside that frame, half a frame after its start', () => {
  for (const rate of RATES) {
    for (let frame = 0; frame < 200_000; frame += 997) {
      const mid = frameMiddleSeconds(frame, rate);
      assert.equal(secondsToFrame(mid, rate), frame);
      const half = (frameToSeconds(frame + 1, rate) - frameToSeconds(frame, rate)) / 2;
      assert.ok(Math.abs(mid - frameToSeconds(frame, rate) - half) < 1e-9);
    }
  }
});

test('a reported media time names its frame: a rounded timestamp or a time inside the frame', () => {
  for (const rate of RATES) {
    for (let frame = 0; frame < 200_000; frame += 331) {
      const pts = frameToSeconds(frame, rate);
      // Chromium reports microseconds; MP4 time bases round to their tick.
      for (const reported of [
        Math.floor(pts * 1e6) / 1e6,
        Math.ceil(pts * 1e6) / 1e6,
        Math.round(pts * 90000) / 90000,
      ]) {
        assert.equal(timestampToFrame(reported, rate), frame, `${frame} at ${rate.num}/${rate.den}`);
      }
    }
  }
  // Firefox reports the time seeked to: anywhere inside the frame names that frame.
  for (const rate of RATES) {
    for (let frame = 0; frame < 100_000; frame += 331) {
      for (const offset of [0.01, 0.25, 0.5, 0.75, 0.99]) {
        const t = ((frame + offset) * rate.den) / rate.num;
        assert.equal(timestampToFrame(t, rate), frame);
        assert.equal(timestampToFrame(Math.round(t * 100) / 100, rate) - frame <= 1, true);
      }
    }
  }
  assert.equal(timestampToFrame(13.26, { num: 25, den: 1 }), 331);
  // 1001/24000 s floored to microseconds would floor to frame 0.
  assert.equal(secondsToFrame(0.041708, { num: 24000, den: 1001 }), 0);
  assert.equal(timestampToFrame(0.041708, { num: 24000, den: 1001 }), 1);
});
