import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DECODE_MAX_PIXELS,
  DEFAULT_MEDIA_LIMITS,
  MediaInputError,
  type TechnicalMetadata,
  checkMediaLimits,
  ffmpegInputArgs,
  jobTimeoutSeconds,
  mediaLimitViolations,
} from '../src/index.js';

const uhd: TechnicalMetadata = {
  container: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSeconds: 3600,
  video: [
    {
      index: 0,
      codec: 'h264',
      width: 3840,
      height: 2160,
      frameRate: { num: 60000, den: 1001 },
      variableFrameRate: false,
      frameCount: 215_784,
    },
  ],
  audio: [{ index: 1, track: 1, codec: 'aac', channels: 2, sampleRate: 48000 }],
  subtitles: [],
};

describe('media limits', () => {
  it('take an hour of UHD at 59.94 with the defaults', () => {
    assert.deepEqual(mediaLimitViolations(uhd, DEFAULT_MEDIA_LIMITS), []);
    assert.doesNotThrow(() => checkMediaLimits(uhd, DEFAULT_MEDIA_LIMITS));
  });

  it('name every limit a file is over, with its value', () => {
    const [video] = uhd.video;
    assert.ok(video);
    const absurd: TechnicalMetadata = {
      ...uhd,
      durationSeconds: 1e9,
      video: [{ ...video, width: 100_000, height: 100_000, frameCount: 6e10 }],
      audio: Array.from({ length: 70 }, (_, i) => ({
        index: i + 1,
        track: i + 1,
        codec: 'aac',
        channels: 2,
        sampleRate: 48000,
      })),
    };
    assert.deepEqual(mediaLimitViolations(absurd, DEFAULT_MEDIA_LIMITS), [
      'duration 1000000000 s is over the limit of 86400 s',
      'stream count 71 is over the limit of 64',
      'video stream 0: width 100000 px is over the limit of 8192 px',
      'video stream 0: height 100000 px is over the limit of 8192 px',
      'video stream 0: frame count 60000000000 is over the limit of 10368000',
      'video stream 0: pixel rate 599400599401 px/s is over the limit of 4246732800 px/s',
    ]);
    assert.throws(
      () => checkMediaLimits(absurd, DEFAULT_MEDIA_LIMITS),
      (err: unknown) =>
        err instanceof MediaInputError &&
        err.code === 'over-limit' &&
        !err.retryable &&
        err.message.startsWith("the file is over this deployment's limits: duration 1000000000 s"),
    );
  });

  it("count a high rate's pixels: 1080p at 1000 fps is over, 8K at 60 is not", () => {
    const [video] = uhd.video;
    assert.ok(video);
    const fast = {
      ...uhd,
      video: [{ ...video, width: 1920, height: 1080, frameRate: { num: 1000, den: 1 } }],
    };
    const big = { ...uhd, video: [{ ...video, width: 7680, height: 4320, frameRate: { num: 60, den: 1 } }] };
    const limits = { ...DEFAULT_MEDIA_LIMITS, maxPixelRate: 7680 * 4320 * 60 };
    assert.equal(mediaLimitViolations(fast, limits).length, 1);
    assert.deepEqual(mediaLimitViolations(big, limits), []);
  });

  it('refuse a value that is not a number', () => {
    assert.deepEqual(mediaLimitViolations({ ...uhd, durationSeconds: NaN }, DEFAULT_MEDIA_LIMITS), [
      'duration NaN s is over the limit of 86400 s',
    ]);
  });

  it("cap every decoder's picture at DECODE_MAX_PIXELS, before the input", () => {
    const args = ffmpegInputArgs('/m/a.mov');
    const at = args.indexOf('-max_pixels');
    assert.ok(at >= 0 && at < args.indexOf('-i'));
    assert.equal(args[at + 1], String(DECODE_MAX_PIXELS));
    assert.ok(DECODE_MAX_PIXELS >= DEFAULT_MEDIA_LIMITS.maxWidth * DEFAULT_MEDIA_LIMITS.maxHeight);
  });
});

describe('job time limits', () => {
  it('give a base plus a time per second of media; a probe gets the base', () => {
    const t = { baseSeconds: 600, perMediaSecond: 20 };
    assert.equal(jobTimeoutSeconds(3600, t), 600 + 72_000);
    assert.equal(jobTimeoutSeconds(undefined, t), 600);
    assert.equal(jobTimeoutSeconds(NaN, t), 600);
    assert.equal(jobTimeoutSeconds(-5, t), 600);
  });
});
