import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ProgressParser } from '../src/index.js';

/** `-progress pipe:1` output of a 3.003 s proxy run, from ffmpeg 5.1 and the npm 4.x build. */
const sample = (name: string) => readFileSync(new URL(`./ffmpeg-samples/${name}`, import.meta.url), 'utf8');

describe('ProgressParser', () => {
  it('reads every block of a real run, including the end', () => {
    const blocks = new ProgressParser(3.003).push(sample('progress-ffmpeg-5.1.txt'));
    assert.equal(blocks.length, 2);
    assert.deepEqual(blocks[0], {
      outTimeSeconds: 0,
      percent: 0,
      done: false,
      frame: 1,
      dupFrames: 0,
      dropFrames: 0,
    });
    assert.deepEqual(blocks[1], {
      outTimeSeconds: 3.008,
      percent: 100,
      done: true,
      speed: 10.9,
      etaSeconds: 0,
      frame: 90,
      dupFrames: 0,
      dropFrames: 0,
    });
    const old = new ProgressParser(3.003).push(sample('progress-ffmpeg-4.x.txt'));
    assert.equal(old.at(-1)?.frame, 90);
    assert.equal(old.at(-1)?.done, true);
  });

  it('works on chunks cut anywhere and estimates the time left from the speed', () => {
    const text = ['frame=50', 'out_time_us=2000000', 'speed=2.5x', 'progress=continue', 'frame=75', ''].join(
      '\n',
    );
    const parser = new ProgressParser(10);
    const out = [...text].flatMap((ch) => parser.push(ch));
    assert.deepEqual(out, [
      { outTimeSeconds: 2, percent: 20, done: false, speed: 2.5, etaSeconds: 3.2, frame: 50 },
    ]);
  });

  it('falls back to out_time, and ignores N/A and negative times', () => {
    const parser = new ProgressParser(100);
    const [a, b] = parser.push(
      'out_time_us=N/A\nout_time=N/A\nspeed=N/A\nprogress=continue\nout_time_ms=-9223372036854775807\nout_time=00:01:02.500000\nprogress=continue\n',
    );
    assert.deepEqual(a, { outTimeSeconds: 0, percent: 0, done: false });
    assert.deepEqual(b, { outTimeSeconds: 62.5, percent: 62.5, done: false });
  });

  it('caps percent at 100 when the output runs past the expected duration', () => {
    const [p] = new ProgressParser(1).push('out_time_us=1500000\nprogress=continue\n');
    assert.equal(p?.percent, 100);
  });
});
