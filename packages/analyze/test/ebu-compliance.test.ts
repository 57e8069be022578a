/**
 * The EBU's compliance cases, generated here with ffmpeg: stereo 1 kHz sines, the level given per
 * channel in dBFS, in steps of the given durations.
 * - EBU Tech 3341 (EBU Mode metering), cases 1–5: integrated loudness within ±0.1 LU.
 * - EBU Tech 3342 (loudness range), cases 1–4: LRA within ±1 LU.
 * Each programme goes through the service's one decode (waveform and measurements together).
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
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

/** [dBFS per channel, seconds] steps of a stereo 1 kHz sine. */
type Steps = readonly (readonly [number, number])[];

/** Writes the steps as 48 kHz stereo float WAV and answers its analysis. */
async function measure(name: string, steps: Steps) {
  let expr = '0';
  let end = steps.reduce((sum, [, seconds]) => sum + seconds, 0);
  // Built from the last step backwards: if(lt(t,end of step),this step,the rest).
  for (let i = steps.length - 1; i >= 0; i--) {
    const [db, seconds] = steps[i] as readonly [number, number];
    const amplitude = (10 ** (db / 20)).toFixed(9);
    expr = i === steps.length - 1 ? amplitude : `if(lt(t,${end}),${amplitude},${expr})`;
    end -= seconds;
  }
  const total = steps.reduce((sum, [, seconds]) => sum + seconds, 0);
  const channel = `(${expr})*sin(2*PI*1000*t)`;
  const path = await makeAudio(
    join(dir, `${name}.wav`),
    `aevalsrc=exprs='${channel}|${channel}':s=48000:d=${total}`,
    ['-c:a', 'pcm_f32le'],
  );
  return analysis.analyse(fileSource(path, 2, total));
}

const TECH_3341: [number, Steps, number][] = [
  [1, [[-23, 20]], -23],
  [2, [[-33, 20]], -33],
  [
    3,
    [
      [-36, 10],
      [-23, 60],
      [-36, 10],
    ],
    -23,
  ],
  [
    4,
    [
      [-72, 10],
      [-36, 10],
      [-23, 60],
      [-36, 10],
      [-72, 10],
    ],
    -23,
  ],
  [
    5,
    [
      [-26, 20],
      [-20, 20.1],
      [-26, 20],
    ],
    -23,
  ],
];

for (const [n, steps, expected] of TECH_3341) {
  test(`EBU Tech 3341 case ${n}: integrated ${expected.toFixed(1)} LUFS within 0.1 LU`, async () => {
    const r = await measure(`3341-${n}`, steps);
    const i = r.loudness.integrated;
    assert.ok(i !== null && Math.abs(i - expected) <= 0.1, `integrated ${i}`);
  });
}

const TECH_3342: [number, Steps, number][] = [
  [
    1,
    [
      [-20, 20],
      [-30, 20],
    ],
    10,
  ],
  [
    2,
    [
      [-20, 20],
      [-15, 20],
    ],
    5,
  ],
  [
    3,
    [
      [-40, 20],
      [-20, 20],
    ],
    20,
  ],
  [
    4,
    [
      [-50, 20],
      [-35, 20],
      [-20, 20],
      [-35, 20],
      [-50, 20],
    ],
    15,
  ],
];

for (const [n, steps, expected] of TECH_3342) {
  test(`EBU Tech 3342 case ${n}: loudness range ${expected} LU within 1 LU`, async () => {
    const r = await measure(`3342-${n}`, steps);
    const lra = r.loudness.range;
    assert.ok(lra !== null && Math.abs(lra - expected) <= 1, `LRA ${lra}`);
  });
}
