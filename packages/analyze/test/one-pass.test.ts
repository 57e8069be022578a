import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runFfmpeg } from '../src/ffmpeg.js';
import { decodeArgs, type FfmpegStarter } from '../src/processors/decode.js';
import { AnalysisService } from '../src/processors/loudness.js';
import { meterFor, DEFAULT_SILENCE } from '../src/processors/one-pass.js';
import { WaveformService } from '../src/processors/waveform.js';
import {
  decodeAll,
  FFMPEG,
  ffmpegSays,
  fileSource,
  makeAudio,
  memoryLogger,
  referencePeaks,
  tempDir,
  testCache,
} from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;

before(async () => {
  ({ dir, cleanup } = await tempDir());
});
after(() => cleanup());

/** A fresh cache and services whose ffmpeg runs are recorded. */
async function services(name: string) {
  const log = memoryLogger();
  const cache = await testCache(join(dir, name), log);
  const runs: (readonly string[])[] = [];
  const counted: FfmpegStarter = (path, args, options) => {
    runs.push(args);
    return runFfmpeg(path, args, options);
  };
  // The CLI, whose runs are counted (the in-process decoder is tested in native-decode.test.ts).
  const common = { cache, ffmpegPath: FFMPEG, log, run: counted, decoder: 'cli' as const };
  const waveforms = new WaveformService({ ...common, maxDecoders: 2 });
  const analysis = new AnalysisService({ ...common, programmePass: (s) => waveforms.programmePass(s) });
  return { waveforms, analysis, runs };
}

test('the one pass through the CLI is a plain decode of the track to PCM: no filters, one input', () => {
  const plan = decodeArgs(fileSource('/m.wav', 6, 1, 44100), 0, undefined);
  assert.equal(plan.skipFrames, 0);
  const args = plan.args;
  assert.equal(args[args.indexOf('-map') + 1], '0:a:0');
  assert.equal(args[args.indexOf('-ac') + 1], '6');
  assert.equal(args[args.indexOf('-ar') + 1], '44100');
  assert.ok(!args.includes('-filter_complex') && !args.includes('-af'));
  assert.deepEqual(args.slice(-3), ['-f', 's16le', 'pipe:1']);
  assert.equal(args.filter((a) => a === '-i').length, 1, 'one input, read once');
});

test('bad silence settings are refused before ffmpeg runs', () => {
  const source = fileSource('/m.wav', 2, 1);
  assert.throws(() => meterFor(source, { thresholdDb: NaN, minSeconds: 1 }), RangeError);
  assert.throws(() => meterFor(source, { thresholdDb: -60, minSeconds: -1 }), RangeError);
});

test('one decode yields the peak file and the loudness, which equal ffmpeg ebur128 standalone', async () => {
  // A tone at -26 dBFS, 4 s of digital silence, a loud burst at -3 dBFS, the tone again; 44.1 kHz,
  // which ffmpeg's ebur128 resamples to 48 kHz while the meter works at the track's own rate.
  const tone = (db: number) => `${10 ** (db / 20)}*sin(2*PI*997*t)`;
  const level = `if(lt(t,6),${tone(-26)},if(lt(t,10),0,if(lt(t,12),${tone(-3)},${tone(-26)})))`;
  const right = `0.5*(${level})`;
  const path = await makeAudio(
    join(dir, 'programme.wav'),
    `aevalsrc=exprs='${level}|${right}':s=44100:d=18`,
    ['-c:a', 'pcm_s16le'],
  );
  const source = fileSource(path, 2, 18, 44100);
  const { waveforms, analysis, runs } = await services('programme');
  const [result, wave] = await Promise.all([
    analysis.analyse(source),
    waveforms.waveform(source, { samplesPerPixel: 512, start: 0, end: undefined, channels: 'all' }),
  ]);
  assert.equal(runs.length, 1, 'one ffmpeg for the waveform and the loudness');

  const theirs = await ffmpegSays(path);
  const near = (a: number | null, b: number, tol = 0.1) =>
    assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} vs ${b}`);
  near(result.loudness.integrated, theirs.integrated);
  near(result.loudness.range, theirs.range);
  near(result.loudness.truePeak, theirs.truePeak);
  near(result.loudness.samplePeak, theirs.samplePeak);
  near(result.loudness.samplePeak, -3, 0.05);
  near(result.truePeakPerChannel[0] ?? null, theirs.truePeak);
  near(result.truePeakPerChannel[1] ?? null, theirs.truePeak - 6.02, 0.15);
  assert.equal(result.levels.channels.length, 2);
  near(result.levels.channels[0]?.peak ?? null, -3, 0.05);
  near(result.levels.channels[1]?.peak ?? null, -9.02, 0.05);
  assert.equal(result.silence.length, 1);
  near(result.silence[0]?.start ?? null, 6, 0.01);
  near(result.silence[0]?.end ?? null, 10, 0.01);
  assert.ok(Math.abs(result.momentary.length - 180) <= 1, `${result.momentary.length} momentary values`);
  near(result.durationSeconds, 18, 0.11);

  // The waveform from that decode is exact.
  const samples = await decodeAll(path, 2);
  assert.deepEqual(Array.from(wave.data), referencePeaks(samples, 2, 512, 'all'));
  assert.equal(wave.from, 'levels');

  // Other windows and zooms of the programme, and its loudness again, decode nothing more.
  await waveforms.waveform(source, { samplesPerPixel: 4096, start: 44100, end: 88200, channels: 'merged' });
  await analysis.analyse(source, DEFAULT_SILENCE);
  assert.equal(runs.length, 1);
});
