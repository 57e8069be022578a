import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chooseVideoAnalyses,
  detectionMarkers,
  segmentMarkers,
  VIDEO_ANALYSIS_GROUPS,
} from '../src/index.js';

const NTSC = { frameRate: { num: 30000, den: 1001 }, frameCount: 300 };
const spans = { maxGapMs: 1500 };

describe('detectionMarkers', () => {
  it('merges consecutive detections of the same thing into one span, in frames at the rational rate', () => {
    const markers = detectionMarkers(
      'labels',
      [
        { name: 'Car', startMs: 0, confidence: 91.2, category: 'Vehicles and Automotive' },
        { name: 'Car', startMs: 500, confidence: 97.46, category: 'Vehicles and Automotive' },
        { name: 'Tree', startMs: 500, confidence: 80 },
        { name: 'Car', startMs: 1001, confidence: 95, category: 'Vehicles and Automotive' },
        // 3.5 s after the last: a new span.
        { name: 'Car', startMs: 4504, confidence: 60, category: 'Vehicles and Automotive' },
      ],
      NTSC,
      spans,
    );
    assert.deepEqual(markers, [
      {
        startFrame: 0,
        // 1001 ms at 30000/1001 fps is exactly the start of frame 30.
        endFrame: 30,
        title: 'Car',
        description: '3 detections',
        confidence: 97.5,
        category: 'Vehicles and Automotive',
        severity: 'info',
        group: 'AI labels',
      },
      {
        startFrame: 14,
        endFrame: 14,
        title: 'Tree',
        description: '1 detection',
        confidence: 80.0,
        category: 'labels',
        severity: 'info',
        group: 'AI labels',
      },
      {
        // 4.504 s * 29.97 = 134.99 frames: still frame 134.
        startFrame: 134,
        endFrame: 134,
        title: 'Car',
        description: '1 detection',
        confidence: 60.0,
        category: 'Vehicles and Automotive',
        severity: 'info',
        group: 'AI labels',
      },
    ]);
  });

  it('keeps spans the engine reports, clips to the timeline, drops low confidence, and makes moderation major', () => {
    const markers = detectionMarkers(
      'moderation',
      [
        { name: 'Violence', startMs: 9000, endMs: 20_000, confidence: 88, category: 'Violence' },
        { name: 'Smoking', startMs: 1000, endMs: 2000, confidence: 40 },
      ],
      NTSC,
      { ...spans, minConfidence: 50 },
    );
    assert.deepEqual(
      markers.map((m) => [m.title, m.startFrame, m.endFrame, m.severity, m.group]),
      [['Violence', 269, 299, 'major', VIDEO_ANALYSIS_GROUPS.moderation]],
    );
  });
});

describe('segmentMarkers', () => {
  it('uses frame numbers, else SMPTE timecode (drop-frame too), else milliseconds', () => {
    const markers = segmentMarkers(
      [
        {
          type: 'TECHNICAL_CUE',
          cue: 'ColorBars',
          startFrame: 0,
          endFrame: 59,
          startTimecode: '00:00:00;00',
          endTimecode: '00:00:01;29',
          startMs: 0,
          endMs: 1968,
          confidence: 99.8,
        },
        // No frame numbers: the drop-frame timecode names the frames.
        {
          type: 'SHOT',
          shotIndex: 0,
          startTimecode: '00:00:02;00',
          endTimecode: '00:00:03;00',
          startMs: 2002,
          endMs: 3003,
          confidence: 97.1,
        },
        { type: 'SHOT', shotIndex: 1, startMs: 3003, endMs: 20_000, confidence: 90 },
        { type: 'TECHNICAL_CUE', cue: 'Content', startMs: 0, endMs: 9000, confidence: 100 },
        {
          type: 'TECHNICAL_CUE',
          cue: 'BlackFrames',
          startFrame: 280,
          endFrame: 400,
          startMs: 0,
          endMs: 0,
          confidence: 99,
        },
      ],
      NTSC,
    );
    assert.deepEqual(
      markers.map((m) => [m.title, m.startFrame, m.endFrame, m.category, m.confidence, m.description]),
      [
        ['Colour bars', 0, 59, 'colour-bars', 99.8, undefined],
        ['Shot 1', 60, 90, 'shot', 97.1, undefined],
        ['Shot 2', 90, 299, 'shot', 90.0, undefined],
        ['Black frames', 280, 299, 'black-frames', 99.0, undefined],
      ],
    );
    assert.ok(markers.every((m) => m.group === 'AI segments'));
  });
});

describe('chooseVideoAnalyses', () => {
  const allowed = ['labels', 'faces', 'segments'] as const;
  it("takes some of the deployment's analyses, from a list or a comma-separated field", () => {
    assert.deepEqual(chooseVideoAnalyses(['faces', 'labels'], allowed), ['faces', 'labels']);
    assert.deepEqual(chooseVideoAnalyses(' labels, segments ,labels', allowed), ['labels', 'segments']);
    assert.deepEqual(chooseVideoAnalyses('', allowed), []);
    assert.deepEqual(chooseVideoAnalyses('none', allowed), []);
  });
  it('refuses the others, naming them and what the deployment allows', () => {
    assert.throws(
      () => chooseVideoAnalyses(['labels', 'celebrities'], allowed),
      /^RangeError: celebrities: not among this deployment's video analyses \(labels, faces, segments\)$/,
    );
    assert.throws(() => chooseVideoAnalyses('cars', []), /cars: .*\(none\)/);
  });
});
