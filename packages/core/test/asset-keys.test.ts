import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assetKeys,
  AUDIO_ONLY_FRAME_RATE,
  OUTPUT_FILES,
  outputKey,
  type TechnicalMetadata,
  timelineOf,
} from '../src/index.js';

describe('asset key layout', () => {
  it('puts everything of an asset under assets/<id>/', () => {
    const keys = assetKeys('a1');
    assert.equal(keys.prefix, 'assets/a1');
    assert.equal(keys.original('clip.mov'), 'assets/a1/original/clip.mov');
    assert.equal(keys.outputs('video-proxy'), 'assets/a1/video-proxy');
    assert.equal(keys.outputs('audio-proxy', 2), 'assets/a1/audio-proxy/2');
    assert.equal(keys.owns('assets/a1/thumbnails/poster.jpg'), true);
    assert.equal(keys.owns('assets/a10/original/x.mov'), false);
    assert.equal(keys.owns('uploads/abc'), false);
  });

  it('keeps analyze results per track and file version, and refuses versions that are not one segment', () => {
    const keys = assetKeys('a1');
    assert.equal(keys.analysis(2, 'abc_12-f'), 'assets/a1/analysis/2/abc_12-f');
    assert.equal(keys.owns(keys.analysis(1, 'v')), true);
    assert.throws(() => keys.analysis(1, '../x'), RangeError);
    assert.throws(() => keys.analysis(1, ''), RangeError);
    assert.throws(() => keys.analysis(0, 'v'), RangeError);
  });

  it('names the files jobs write under their prefix', () => {
    assert.equal(outputKey('assets/a1/thumbnails/', OUTPUT_FILES.poster), 'assets/a1/thumbnails/poster.jpg');
    assert.equal(OUTPUT_FILES.spriteSheet(7), 'sprite-007.jpg');
  });
});

describe('timelineOf', () => {
  const base = { container: 'mov', durationSeconds: 10, subtitles: [] };
  const audio = { index: 1, track: 1, codec: 'aac', channels: 2, sampleRate: 48000 };
  it('takes the first video stream when there is one', () => {
    const technical: TechnicalMetadata = {
      ...base,
      video: [
        {
          index: 0,
          codec: 'h264',
          width: 1920,
          height: 1080,
          frameRate: { num: 30000, den: 1001 },
          variableFrameRate: false,
          frameCount: 299,
        },
      ],
      audio: [audio],
    };
    assert.deepEqual(timelineOf(technical), {
      frameRate: { num: 30000, den: 1001 },
      durationFrames: 299,
      startTimecode: null,
      dropFrame: true,
    });
  });

  it('counts audio-only files at 25 fps, non-drop, and files with no streams not at all', () => {
    assert.deepEqual(timelineOf({ ...base, video: [], audio: [audio] }), {
      frameRate: AUDIO_ONLY_FRAME_RATE,
      durationFrames: 250,
      startTimecode: null,
      dropFrame: false,
    });
    assert.deepEqual(AUDIO_ONLY_FRAME_RATE, { num: 25, den: 1 });
    assert.equal(timelineOf({ ...base, video: [], audio: [] }).frameRate, null);
  });
});
