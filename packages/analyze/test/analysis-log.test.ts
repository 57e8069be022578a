import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AnalysisLogParser,
  checkLoudness,
  parseLevel,
  reduceSeries,
} from '../src/processors/analysis-log.js';

// What ffmpeg 5.1 prints for 1.2 s: a 997 Hz tone (-6 dBFS left, -20 dBFS right) for 0.5 s, then
// digital silence; ebur128 + astats + silencedetect (noise=-60dB:duration=0.3).
const LOG = `[Parsed_ebur128_0 @ 0x55] t: 0.0999792  TARGET:-23 LUFS    M:-120.7 S:-120.7     I: -70.0 LUFS       LRA:   0.0 LU  SPK:  -6.0 -20.0 dBFS  FTPK:  -6.0 -20.0 dBFS  TPK:  -6.0 -20.0 dBFS
[Parsed_ebur128_0 @ 0x55] t: 0.399979   TARGET:-23 LUFS    M:  -8.9 S:-120.7     I:  -8.9 LUFS       LRA:   0.0 LU  SPK:  -6.0 -20.0 dBFS  FTPK:  -6.0 -20.0 dBFS  TPK:  -6.0 -20.0 dBFS
[Parsed_ebur128_0 @ 0x55] t: 0.799979   TARGET:-23 LUFS    M: -14.9 S:-120.7     I: -10.4 LUFS       LRA:   0.0 LU  SPK:  -6.0 -20.0 dBFS  FTPK:  -inf  -inf dBFS  TPK:  -6.0 -20.0 dBFS
[silencedetect @ 0x55] silence_start: 0.5
[Parsed_ebur128_0 @ 0x55] t: 0.999979   TARGET:-23 LUFS    M:   nan S:-120.7     I: -10.4 LUFS       LRA:   0.0 LU  SPK:  -6.0 -20.0 dBFS  FTPK:  -inf  -inf dBFS  TPK:  -6.0 -20.0 dBFS
[Parsed_ebur128_0 @ 0x55] t: 1.19998    TARGET:-23 LUFS    M:   nan S:-120.7     I: -10.4 LUFS       LRA:   0.0 LU  SPK:  -6.0 -20.0 dBFS  FTPK:  -inf  -inf dBFS  TPK:  -6.0 -20.0 dBFS
[Parsed_ebur128_0 @ 0x55] Summary:

  Integrated loudness:
    I:         -10.4 LUFS
    Threshold: -21.2 LUFS

  Loudness range:
    LRA:         0.0 LU
    Threshold:   0.0 LUFS
    LRA low:     0.0 LUFS
    LRA high:    0.0 LUFS

  Sample peak:
    Peak:       -6.0 dBFS

  True peak:
    Peak:       -6.0 dBFS
[silencedetect @ 0x55] silence_end: 1.2 | silence_duration: 0.7
[Parsed_astats_1 @ 0x55] Channel: 1
[Parsed_astats_1 @ 0x55] Peak level dB: -6.020600
[Parsed_astats_1 @ 0x55] RMS level dB: -12.833012
[Parsed_astats_1 @ 0x55] Channel: 2
[Parsed_astats_1 @ 0x55] Peak level dB: -20.000000
[Parsed_astats_1 @ 0x55] RMS level dB: -inf
[Parsed_astats_1 @ 0x55] Overall
[Parsed_astats_1 @ 0x55] Peak level dB: -6.020600
[Parsed_astats_1 @ 0x55] RMS level dB: -15.672979
`;

function parse(text: string) {
  const parser = new AnalysisLogParser();
  for (const line of text.split(/\r\n|\r|\n/)) parser.line(line);
  return parser.result();
}

test('a filter graph configured twice: the empty summary and levels of the discarded instance do not count', () => {
  const discarded = `[Parsed_ebur128_3 @ 0x11] Summary:

  Integrated loudness:
    I:         -70.0 LUFS
    Threshold:   0.0 LUFS

  Loudness range:
    LRA:         0.0 LU
    Threshold:   0.0 LUFS
    LRA low:     0.0 LUFS
    LRA high:    0.0 LUFS

  Sample peak:
    Peak:       -inf dBFS

  True peak:
    Peak:       -inf dBFS
[Parsed_astats_1 @ 0x11] Channel: 1
[Parsed_astats_1 @ 0x11] Peak level dB: -inf
[Parsed_astats_1 @ 0x11] Channel: 2
[Parsed_astats_1 @ 0x11] Peak level dB: -inf
`;
  const r = parse(discarded + LOG);
  assert.deepEqual(r, parse(LOG));
  assert.equal(r.loudness.integrated, -10.4);
  assert.equal(r.levels.channels.length, 2);
});

test('reads the loudness summary, the 10 Hz series and the true peaks per channel', () => {
  const r = parse(LOG);
  assert.deepEqual(r.loudness, {
    integrated: -10.4,
    integratedThreshold: -21.2,
    range: 0,
    rangeThreshold: 0,
    rangeLow: 0,
    rangeHigh: 0,
    samplePeak: -6,
    truePeak: -6,
  });
  assert.deepEqual(r.momentary, [-120.7, -8.9, -14.9, null, null]);
  assert.deepEqual(r.shortTerm, [-120.7, -120.7, -120.7, -120.7, -120.7]);
  assert.deepEqual(r.truePeakPerChannel, [-6, -20]);
  assert.equal(r.durationSeconds, 1.19998);
});

test('reads per-channel levels and silence spans, whatever the line endings', () => {
  for (const ending of ['\n', '\r\n', '\r']) {
    const r = parse(LOG.replace(/\n/g, ending));
    assert.deepEqual(r.levels, {
      channels: [
        { channel: 1, peak: -6.0206, rms: -12.833012 },
        { channel: 2, peak: -20, rms: null },
      ],
      overall: { peak: -6.0206, rms: -15.672979 },
    });
    assert.deepEqual(r.silence, [{ start: 0.5, end: 1.2, duration: 0.7 }]);
  }
});

test('a silence still open when the log ends closes at the last frame', () => {
  const r = parse(
    LOG.split('\n')
      .filter((l) => !l.includes('silence_end'))
      .join('\n'),
  );
  assert.deepEqual(r.silence, [{ start: 0.5, end: 1.19998, duration: 0.69998 }]);
});

test('levels: -inf and nan are null', () => {
  assert.equal(parseLevel('-inf'), null);
  assert.equal(parseLevel('nan'), null);
  assert.equal(parseLevel('-23.5'), -23.5);
});

test('checking against a target: integrated within tolerance, true peak under the ceiling', () => {
  const base = {
    integratedThreshold: null,
    range: 5,
    rangeThreshold: null,
    rangeLow: null,
    rangeHigh: null,
    samplePeak: -3,
  };
  const target = { integratedLufs: -23, toleranceLu: 0.5, truePeakDbtp: -1 };
  assert.deepEqual(checkLoudness({ ...base, integrated: -23.5, truePeak: -1 }, target), {
    pass: true,
    integrated: { pass: true, deviationLu: -0.5 },
    truePeak: { pass: true },
  });
  const loud = checkLoudness({ ...base, integrated: -22.4, truePeak: -0.9 }, target);
  assert.equal(loud.pass, false);
  assert.equal(loud.integrated.pass, false);
  assert.equal(loud.truePeak.pass, false);
  assert.equal(checkLoudness({ ...base, integrated: null, truePeak: null }, target).pass, false);
});

test('series reduced to their loudest value per step', () => {
  assert.deepEqual(reduceSeries([1, 5, null, 2, null, null, 3], 2), [5, 2, null, 3]);
  assert.deepEqual(reduceSeries([1, 2], 1), [1, 2]);
});
