/**
 * The service's own meter (core's LoudnessMeter, in the one decode) against ffmpeg's figures for
 * the same file: `ebur128=peak=true+sample` (integrated, range, true peak per channel, the 10 Hz
 * series) and `astats` (sample peak per channel), on generated programmes: tones at known levels,
 * silence, a loud burst, channels that differ, at 44.1 and 48 kHz. Within 0.1 LU and 0.1 dB,
 * except true peak: 0.2 dB. The BS.1770-4 Annex 2 interpolator that the meter must use has a
 * passband ripple of ±0.17 dB on its two in-between phases (+0.17 dB at 5 kHz), where ffmpeg's
 * true peak comes from its own resampler; Tech 3341 allows +0.2/-0.4 dB.
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AnalysisLogParser, type AnalysisResult } from '../src/processors/analysis-log.js';
import { AnalysisService } from '../src/processors/loudness.js';
import { WaveformService } from '../src/processors/waveform.js';
import { FFMPEG, fileSource, makeAudio, memoryLogger, tempDir, testCache } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let analysis: AnalysisService;

before(async () => {
  ({ dir, cleanup } = await tempDir());
  const log = memoryLogger();
  const cache = await testCache(join(dir, 'cache'), log);
  const waveforms = new WaveformService({ cache, ffmpegPath: FFMPEG, log, maxDecoders: 1 });
  analysis = new AnalysisService({
    cache,
    ffmpegPath: FFMPEG,
    log,
    programmePass: (s) => waveforms.programmePass(s),
  });
});
after(() => cleanup());

/** ffmpeg's own figures: the filters the service used to run, read by the same log reader. */
async function ffmpegFigures(path: string): Promise<AnalysisResult> {
  const { stderr } = await promisify(execFile)(
    FFMPEG,
    [
      ...['-hide_banner', '-nostats', '-loglevel', 'info', '-i', path, '-af'],
      'astats=measure_perchannel=Peak_level+RMS_level:measure_overall=Peak_level+RMS_level,' +
        'ebur128=peak=true+sample:framelog=info',
      ...['-f', 'null', '-'],
    ],
    { maxBuffer: 64 << 20 },
  );
  const parser = new AnalysisLogParser();
  for (const line of stderr.split('\n')) parser.line(line);
  return parser.result();
}

const TRUE_PEAK_TOLERANCE = 0.2;
const tone = (db: number, hz = 997) => `${(10 ** (db / 20)).toFixed(9)}*sin(2*PI*${hz}*t)`;

const PROGRAMMES: { name: string; rate: number; seconds: number; left: string; right: string }[] = [
  { name: 'tone -18 dBFS', rate: 48000, seconds: 20, left: tone(-18), right: tone(-18) },
  {
    // Different channels: a quieter, lower tone on the right.
    name: 'stereo, channels differ',
    rate: 48000,
    seconds: 20,
    left: tone(-20),
    right: tone(-32, 220),
  },
  {
    // Tone, 5 s of digital silence, a loud burst near full scale, the tone again.
    name: 'silence and a loud burst',
    rate: 48000,
    seconds: 30,
    left: `if(lt(t,8),${tone(-26)},if(lt(t,13),0,if(lt(t,15),${tone(-1, 3000)},${tone(-26)})))`,
    right: `if(lt(t,8),${tone(-30)},if(lt(t,13),0,if(lt(t,15),${tone(-6, 5000)},${tone(-30)})))`,
  },
  {
    // Levels in steps (a loudness range), at 44.1 kHz, which ffmpeg resamples to 48 kHz.
    name: 'steps at 44.1 kHz',
    rate: 44100,
    seconds: 40,
    left: `if(lt(t,10),${tone(-30)},if(lt(t,20),${tone(-20)},if(lt(t,30),${tone(-25)},${tone(-15)})))`,
    right: `if(lt(t,10),${tone(-30)},if(lt(t,20),${tone(-20)},if(lt(t,30),${tone(-25)},${tone(-15)})))`,
  },
  {
    name: 'noise and tone at 44.1 kHz, channels differ',
    rate: 44100,
    seconds: 20,
    left: `0.2*sin(2*PI*440*t)*(1+0.5*sin(t))`,
    right: `0.05*sin(2*PI*6000*t)+0.1*sin(2*PI*90*t)`,
  },
];

for (const p of PROGRAMMES) {
  test(`${p.name}: integrated, range, true and sample peaks per channel equal ffmpeg's`, async () => {
    const path = await makeAudio(
      join(dir, `${p.name.replace(/\W+/g, '-')}.wav`),
      `aevalsrc=exprs='${p.left}|${p.right}':s=${p.rate}:d=${p.seconds}`,
      ['-c:a', 'pcm_f32le'],
    );
    const [ours, theirs] = await Promise.all([
      analysis.analyse(fileSource(path, 2, p.seconds, p.rate)),
      ffmpegFigures(path),
    ]);
    const near = (what: string, a: number | null | undefined, b: number | null | undefined, tol = 0.1) =>
      assert.ok(
        a !== null && a !== undefined && b !== null && b !== undefined && Math.abs(a - b) <= tol + 1e-9,
        `${what}: ours ${a}, ffmpeg ${b}`,
      );
    near('integrated', ours.loudness.integrated, theirs.loudness.integrated);
    near('range', ours.loudness.range, theirs.loudness.range);
    near('true peak', ours.loudness.truePeak, theirs.loudness.truePeak, TRUE_PEAK_TOLERANCE);
    assert.equal(ours.truePeakPerChannel.length, 2);
    ours.truePeakPerChannel.forEach((tp, c) =>
      near(`true peak ${c + 1}`, tp, theirs.truePeakPerChannel[c], TRUE_PEAK_TOLERANCE),
    );
    // Sample peaks on the track's own samples: astats (ebur128's are after its resampler).
    ours.levels.channels.forEach((ch, c) =>
      near(`sample peak ${c + 1}`, ch.peak, theirs.levels.channels[c]?.peak, 0.1),
    );
    near('overall sample peak', ours.loudness.samplePeak, theirs.levels.overall.peak);
    ours.levels.channels.forEach((ch, c) => near(`rms ${c + 1}`, ch.rms, theirs.levels.channels[c]?.rms));
    // The 10 Hz series: as many values, equal where both have a number.
    assert.ok(Math.abs(ours.momentary.length - theirs.momentary.length) <= 1);
    for (const [series, a, b] of [
      ['momentary', ours.momentary, theirs.momentary],
      ['short-term', ours.shortTerm, theirs.shortTerm],
    ] as const) {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        if (a[i] !== null && b[i] !== null && (b[i] as number) > -70) {
          near(`${series}[${i}]`, a[i], b[i], p.rate === 48000 ? 0.1 : 0.2);
        }
      }
    }
  });
}
