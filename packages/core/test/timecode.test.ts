import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatTimecode,
  frameRate,
  frameToSeconds,
  parseFrameRate,
  parseTimecode,
  secondsToFrame,
  supportsDropFrame,
  TimecodeError,
} from '../src/index.js';

const NTSC = { num: 30000, den: 1001 };
const NTSC60 = { num: 60000, den: 1001 };
const PAL = { num: 25, den: 1 };

describe('frame rates', () => {
  it('parses rationals, integers and NTSC decimals to exact rationals', () => {
    assert.deepEqual(parseFrameRate('30000/1001'), NTSC);
    assert.deepEqual(parseFrameRate('29.97'), NTSC);
    assert.deepEqual(parseFrameRate('23.976'), { num: 24000, den: 1001 });
    assert.deepEqual(parseFrameRate('50/2'), PAL);
    assert.deepEqual(parseFrameRate('25'), PAL);
    assert.deepEqual(parseFrameRate('12.5'), { num: 25, den: 2 });
  });
  it('refuses what is not a rate', () => {
    assert.throws(() => parseFrameRate('fast'));
    assert.throws(() => parseFrameRate('0/1'));
    assert.throws(() => frameRate(25, 0));
  });
  it('maps seconds and frames both ways without drift over a long programme', () => {
    for (const rate of [NTSC, PAL, { num: 24000, den: 1001 }, NTSC60]) {
      for (const frame of [0, 1, 1799, 1800, 17982, 107892, 2_589_408]) {
        assert.equal(
          secondsToFrame(frameToSeconds(frame, rate), rate),
          frame,
          `${rate.num}/${rate.den} frame ${frame}`,
        );
      }
    }
  });
  it('knows which rates have drop-frame timecode', () => {
    assert.equal(supportsDropFrame(NTSC), true);
    assert.equal(supportsDropFrame(NTSC60), true);
    assert.equal(supportsDropFrame(PAL), false);
    assert.equal(supportsDropFrame({ num: 24000, den: 1001 }), false);
  });
});

describe('SMPTE timecode', () => {
  it('formats non-drop timecode', () => {
    assert.equal(formatTimecode(0, PAL, false), '00:00:00:00');
    assert.equal(formatTimecode(25 * 3600 + 24, PAL, false), '01:00:00:24');
    assert.equal(formatTimecode(1800, NTSC, false), '00:01:00:00');
  });
  it('formats drop-frame timecode, skipping frames 00 and 01 each minute but every tenth', () => {
    assert.equal(formatTimecode(1799, NTSC, true), '00:00:59;29');
    assert.equal(formatTimecode(1800, NTSC, true), '00:01:00;02');
    assert.equal(formatTimecode(17981, NTSC, true), '00:09:59;29');
    assert.equal(formatTimecode(17982, NTSC, true), '00:10:00;00');
    assert.equal(formatTimecode(107892, NTSC, true), '01:00:00;00');
    assert.equal(formatTimecode(3599, NTSC60, true), '00:00:59;59');
    assert.equal(formatTimecode(3600, NTSC60, true), '00:01:00;04');
  });
  it('parses what it formats, for every frame of the first eleven minutes and around each hour', () => {
    for (const [rate, df] of [
      [NTSC, true],
      [NTSC, false],
      [NTSC60, true],
      [PAL, false],
    ] as const) {
      const fps = Math.round(rate.num / rate.den);
      const perHour = df ? (107892 * fps) / 30 : 3600 * fps;
      const frames = [
        ...Array(20000).keys(),
        ...[1, 2, 10, 23].flatMap((h) => [h * perHour - 1, h * perHour, h * perHour + 1]),
      ];
      for (const f of frames) {
        const tc = formatTimecode(f, rate, df);
        assert.equal(parseTimecode(tc, rate).frames, f, `${tc} at ${rate.num}/${rate.den}`);
      }
    }
  });
  it('tells drop-frame by the separator', () => {
    assert.deepEqual(parseTimecode('00:01:00;02', NTSC), { frames: 1800, dropFrame: true });
    assert.deepEqual(parseTimecode('00:01:00:02', NTSC), { frames: 1802, dropFrame: false });
  });
  it('refuses labels that drop-frame skips, out-of-range fields and drop-frame on other rates', () => {
    assert.throws(() => parseTimecode('00:01:00;00', NTSC), TimecodeError);
    assert.throws(() => parseTimecode('00:01:00;01', NTSC), TimecodeError);
    assert.throws(() => parseTimecode('00:01:00;03', NTSC60), TimecodeError);
    assert.doesNotThrow(() => parseTimecode('00:10:00;00', NTSC));
    assert.throws(() => parseTimecode('00:00:00:25', PAL), /frames must be below 25/);
    assert.throws(() => parseTimecode('00:60:00:00', PAL), /minutes/);
    assert.throws(() => parseTimecode('00:00:60:00', PAL), /seconds/);
    assert.throws(() => parseTimecode('00:00:01;00', PAL), /drop-frame/);
    assert.throws(() => parseTimecode('1:00:00:00', PAL), /not a timecode/);
  });
  it('wraps at 24 hours', () => {
    assert.equal(formatTimecode(25 * 86400 + 3, PAL, false), '00:00:00:03');
  });
});
