import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AnalysisService } from '../src/processors/loudness.js';
import { FFMPEG, ffmpegSays, fileSource, makeAudio, memoryLogger, tempDir, testCache } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let analysis: AnalysisService;

before(async () => {
  ({ dir, cleanup } = await tempDir());
  const log = memoryLogger();
  analysis = new AnalysisService({
    cache: await testCache(join(dir, 'cache'), log),
    ffmpegPath: FFMPEG,
    log,
  });
});
after(() => cleanup());

/** A 997 Hz tone, the same in both channels, at `peakDb` dBFS: BS.1770 gives LUFS = peakDb. */
async function tone(name: string, peakDb: number, seconds = 12): Promise<string> {
  const a = 10 ** (peakDb / 20);
  const expr = `${a}*sin(2*PI*997*t)`;
  return makeAudio(join(dir, name), `aevalsrc=exprs='${expr}|${expr}':s=48000:d=${seconds}`, [
    '-c:a',
    'pcm_f32le',
  ]);
}

for (const level of [-23, -16, -31]) {
  test(`a tone at ${level} dBFS measures ${level} LUFS, as ffmpeg's ebur128 does`, async () => {
    const path = await tone(`tone${level}.wav`, level);
    const ours = await analysis.analyse(fileSource(path, 2, 12));
    const theirs = await ffmpegSays(path);
    assert.ok(
      Math.abs((ours.loudness.integrated as number) - level) <= 0.1,
      `integrated ${ours.loudness.integrated}`,
    );
    assert.ok(Math.abs((ours.loudness.integrated as number) - theirs.integrated) <= 0.1);
    assert.ok(Math.abs((ours.loudness.range as number) - theirs.range) <= 0.1);
    assert.ok(Math.abs((ours.loudness.truePeak as number) - theirs.truePeak) <= 0.1);
    assert.ok(
      Math.abs((ours.loudness.truePeak as number) - level) <= 0.2,
      `true peak ${ours.loudness.truePeak}`,
    );
    // Ten values a second; once the 400 ms window is full, momentary loudness is the tone's.
    assert.ok(Math.abs(ours.momentary.length - 120) <= 1);
    assert.ok(ours.momentary.slice(5).every((m) => m !== null && Math.abs(m - level) <= 0.1));
    assert.ok(ours.shortTerm.slice(35).every((s) => s !== null && Math.abs(s - level) <= 0.1));
  });
}

test('per-channel levels and silence spans', async () => {
  // Left at -6 dBFS, right at -20 dBFS, for 3 s; then 3 s of digital silence; then 2 s of tone.
  const on = `between(t,0,3)+between(t,6,8)`;
  const path = await makeAudio(
    join(dir, 'levels.wav'),
    `aevalsrc=exprs='0.501187*sin(2*PI*997*t)*(${on})|0.1*sin(2*PI*997*t)*(${on})':s=48000:d=8`,
  );
  const r = await analysis.analyse(fileSource(path, 2, 8), { thresholdDb: -60, minSeconds: 1 });
  const [left, right] = r.levels.channels;
  assert.ok(Math.abs((left?.peak as number) + 6) < 0.05);
  assert.ok(Math.abs((left?.rms as number) + 6 + 3.01 + 10 * Math.log10(8 / 5)) < 0.1, `rms ${left?.rms}`);
  assert.ok(Math.abs((right?.peak as number) + 20) < 0.05);
  assert.equal(r.silence.length, 1);
  assert.ok(Math.abs((r.silence[0]?.start as number) - 3) < 0.01);
  assert.ok(Math.abs((r.silence[0]?.end as number) - 6) < 0.01);
  const strict = await analysis.analyse(fileSource(path, 2, 8), { thresholdDb: -60, minSeconds: 4 });
  assert.equal(strict.silence.length, 0, 'shorter silences are not reported');
});

test('results are cached and identical requests in flight run once', async () => {
  const path = await tone('cached.wav', -20, 3);
  const source = fileSource(path, 2, 3);
  const [a, b] = await Promise.all([analysis.analyse(source), analysis.analyse(source)]);
  assert.deepEqual(a, b);
  const c = await analysis.analyse({ ...source, input: '/nonexistent' }); // served from the cache
  assert.deepEqual(c, a);
});
