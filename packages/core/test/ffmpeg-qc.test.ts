import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  type AudioTrackMeasurement,
  type AutoQcFindings,
  type QcInterval,
  type VideoQcFindings,
  AutoQcLog,
  DEFAULT_LOUDNESS_TARGET,
  autoQcMarkers,
  autoQcMetadata,
  judgeLoudness,
} from '../src/index.js';

/**
 * stderr of `autoQcArgs` runs captured here, with Debian's ffmpeg 5.1 (scdet) and the npm 4.x
 * build (select + metadata). qc.mp4, 25 fps, 6 s: black 0-1 s, moving 1-3 s, still bars 3-5 s,
 * a new picture 5-6 s; a tone with silence from 2 to 4.5 s. end.mp4, 4 s: moving then black
 * from 2 s to the end, a tone then silence to the end. The runs measured the audio too (they
 * were captured when Auto QC did); the log's silence and ebur128 lines are left alone now.
 */
const read = (name: string) => {
  const log = new AutoQcLog();
  for (const line of readFileSync(new URL(`./ffmpeg-samples/${name}`, import.meta.url), 'utf8').split('\n'))
    log.push(line);
  return log.findings();
};
/** The video findings of a log with one track's measurement, as analyze gives it, beside them. */
const withTrack = (
  video: VideoQcFindings,
  silence: QcInterval[],
  loudness?: AudioTrackMeasurement['loudness'],
): AutoQcFindings => ({ ...video, tracks: [{ track: 1, silence, loudness }] });
const QC_TONE = { integrated: -22.1, range: 5.5, truePeak: -16.1 };
const rate = { num: 25, den: 1 };

describe('AutoQcLog', () => {
  it('reads ffmpeg 5.1 detector lines', () => {
    assert.deepEqual(read('qc-ffmpeg-5.1.log'), {
      black: [{ start: 0, end: 1 }],
      freeze: [{ start: 3, end: 5 }],
      shotChanges: [1, 3, 5],
    });
  });

  it('reads ffmpeg 4.x, which leaves out freeze_start and finds shots with select', () => {
    assert.deepEqual(read('qc-ffmpeg-4.x.log'), {
      black: [{ start: 0, end: 1 }],
      freeze: [{ start: 3, end: 5 }],
      shotChanges: [1, 3, 5],
    });
  });

  it('leaves events that run to the end of the file open', () => {
    for (const name of ['qc-end-ffmpeg-5.1.log', 'qc-end-ffmpeg-4.x.log']) {
      const f = read(name);
      assert.deepEqual(f.black, [{ start: 2, end: 3.96 }], name);
      assert.deepEqual(f.freeze, [], 'the last 1.96 s are shorter than a reported freeze');
      assert.deepEqual(f.shotChanges, [2], name);
    }
  });
});

describe('autoQcMarkers', () => {
  it('turns the 5.1 findings into frame-accurate markers with inclusive ends', () => {
    const markers = autoQcMarkers(
      withTrack(read('qc-ffmpeg-5.1.log'), [{ start: 2.00804, end: 4.50113 }], QC_TONE),
      { frameRate: rate, frameCount: 150 },
      DEFAULT_LOUDNESS_TARGET,
    );
    assert.deepEqual(
      markers.map((m) => [m.category, m.startFrame, m.endFrame, m.severity]),
      [
        ['black', 0, 24, 'minor'],
        ['loudness', 0, 149, 'major'],
        ['shot-change', 25, 25, 'info'],
        ['silence', 50, 112, 'minor'],
        ['shot-change', 75, 75, 'info'],
        ['freeze', 75, 124, 'major'],
        ['shot-change', 125, 125, 'info'],
      ],
    );
    assert.deepEqual(markers[0], {
      startFrame: 0,
      endFrame: 24,
      title: 'Black video',
      description: '1.00 s (25 frames)',
      category: 'black',
      severity: 'minor',
    });
    assert.equal(markers[1]?.title, 'Loudness out of range (track 1)');
    assert.equal(markers[1]?.description, 'Integrated -22.1 LUFS; target -23 LUFS ±0.5 LU');
  });

  it('ends events that run to the end on the last frame', () => {
    const markers = autoQcMarkers(
      withTrack(read('qc-end-ffmpeg-5.1.log'), [{ start: 2.00804, end: 4.01067 }], QC_TONE),
      { frameRate: rate, frameCount: 100 },
      DEFAULT_LOUDNESS_TARGET,
    );
    assert.deepEqual(
      markers.filter((m) => m.category !== 'loudness').map((m) => [m.category, m.startFrame, m.endFrame]),
      [
        ['shot-change', 50, 50],
        ['black', 50, 99],
        ['silence', 50, 99],
      ],
    );
    const open = autoQcMarkers(
      { black: [{ start: 2, end: 3.96 }], freeze: [{ start: 2 }], shotChanges: [], tracks: [] },
      { frameRate: rate, frameCount: 100 },
      DEFAULT_LOUDNESS_TARGET,
    );
    assert.deepEqual(
      open.map((m) => [m.category, m.startFrame, m.endFrame]),
      [['black', 50, 99]],
      'a freeze of black pictures adds nothing to the black marker',
    );
  });

  it('counts frames at NTSC rates and clips to the timeline', () => {
    const ntsc = { num: 30000, den: 1001 };
    const findings: AutoQcFindings = {
      black: [{ start: 1.001, end: 2.002 }],
      freeze: [{ start: 9.5, end: 20 }],
      shotChanges: [0.033367, 4.004],
      tracks: [],
    };
    const markers = autoQcMarkers(findings, { frameRate: ntsc, frameCount: 300 }, DEFAULT_LOUDNESS_TARGET);
    assert.deepEqual(
      markers.map((m) => [m.category, m.startFrame, m.endFrame]),
      [
        ['shot-change', 1, 1],
        ['black', 30, 59],
        ['shot-change', 120, 120],
        ['freeze', 284, 299],
      ],
    );
  });

  it('judges loudness against the target, and flags true peak', () => {
    const target = DEFAULT_LOUDNESS_TARGET;
    assert.deepEqual(judgeLoudness({ integrated: -23.5, range: 5, truePeak: -1 }, target), {
      integratedOk: true,
      truePeakOk: true,
    });
    assert.deepEqual(judgeLoudness({ integrated: -22.4, range: 5, truePeak: -0.9 }, target), {
      integratedOk: false,
      truePeakOk: false,
    });
    const markers = autoQcMarkers(
      {
        black: [],
        freeze: [],
        shotChanges: [],
        tracks: [
          { track: 1, silence: [], loudness: { integrated: -23, range: 3, truePeak: 0.4 } },
          { track: 2, silence: [{ start: 0.2 }], loudness: { integrated: -30.04, range: 3, truePeak: -9 } },
        ],
      },
      { frameRate: rate, frameCount: 10 },
      target,
    );
    assert.deepEqual(markers, [
      {
        startFrame: 0,
        endFrame: 9,
        title: 'True peak too high (track 1)',
        description: 'True peak 0.4 dBTP; at most -1 dBTP',
        category: 'loudness',
        severity: 'major',
      },
      {
        startFrame: 0,
        endFrame: 9,
        title: 'Loudness out of range (track 2)',
        description: 'Integrated -30.0 LUFS; target -23 LUFS ±0.5 LU',
        category: 'loudness',
        severity: 'major',
      },
      {
        startFrame: 5,
        endFrame: 9,
        title: 'Silence (track 2)',
        description: '0.20 s (5 frames)',
        category: 'silence',
        severity: 'minor',
      },
    ]);
  });

  it('reports the numbers as JSON (no infinities)', () => {
    const findings: AutoQcFindings = {
      black: [],
      freeze: [],
      shotChanges: [],
      tracks: [
        {
          track: 1,
          source: 'original',
          silence: [{ start: 0 }],
          loudness: { integrated: -70, range: 0, truePeak: -Infinity },
        },
        { track: 2, silence: [] },
      ],
    };
    const metadata = autoQcMetadata(findings, DEFAULT_LOUDNESS_TARGET, { frameRate: '25/1' });
    assert.deepEqual(JSON.parse(JSON.stringify(metadata)).tracks, [
      {
        track: 1,
        measuredOn: 'original',
        silence: 1,
        loudness: {
          integratedLufs: -70,
          rangeLu: 0,
          truePeakDbtp: null,
          target: DEFAULT_LOUDNESS_TARGET,
          integratedOk: false,
          truePeakOk: true,
          pass: false,
        },
      },
      { track: 2, measuredOn: null, silence: 0, loudness: null },
    ]);
    assert.equal(metadata.frameRate, '25/1');
    assert.deepEqual(metadata.counts, { black: 0, freeze: 0, silence: 1, shotChanges: 0 });
  });
});
