import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  framePointFormatter,
  resolvePoint,
  resolveRange,
  type Timeline,
  TimelineError,
} from '../src/index.js';

const ntsc: Timeline = {
  frameRate: { num: 30000, den: 1001 },
  durationFrames: 108000,
  startTimecode: '01:00:00;00',
  dropFrame: true,
};
const unknown: Timeline = { frameRate: null, durationFrames: null, startTimecode: null, dropFrame: false };

function reason(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (err instanceof TimelineError) return `${err.reason} ${err.field}`;
    throw err;
  }
  return 'ok';
}

describe('timeline points', () => {
  it('places timecodes relative to the start timecode', () => {
    assert.equal(resolvePoint({ timecode: '01:00:00;00' }, ntsc, 'start'), 0);
    assert.equal(resolvePoint({ timecode: '01:01:00;02' }, ntsc, 'start'), 1800);
    assert.equal(resolvePoint({ frame: 1800 }, ntsc, 'start'), 1800);
  });
  it('returns frames with their timecode in the asset counting', () => {
    const point = framePointFormatter(ntsc);
    assert.deepEqual(point(1800), { frame: 1800, timecode: '01:01:00;02' });
    assert.deepEqual(framePointFormatter(unknown)(5), { frame: 5, timecode: null });
  });
  it('says a timecode must wait for the probe, and that frames need not', () => {
    assert.equal(
      reason(() => resolvePoint({ timecode: '00:00:01:00' }, unknown, 'start')),
      'not-ready start',
    );
    assert.equal(resolvePoint({ frame: 10 }, unknown, 'start'), 10);
  });
  it('refuses points before the start, past the end, and out before in', () => {
    assert.equal(
      reason(() => resolvePoint({ timecode: '00:59:59;29' }, ntsc, 'start')),
      'invalid start',
    );
    assert.equal(
      reason(() => resolvePoint({ frame: 108000 }, ntsc, 'end')),
      'invalid end',
    );
    assert.equal(
      reason(() => resolveRange({ frame: 10 }, { frame: 9 }, ntsc)),
      'invalid end',
    );
    assert.equal(
      reason(() => resolvePoint({ timecode: '01:01:00;00' }, ntsc, 'start')),
      'invalid start',
    );
    assert.deepEqual(resolveRange({ frame: 10 }, undefined, ntsc), [10, 10]);
  });
});
