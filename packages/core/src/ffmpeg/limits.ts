import { frameRateToNumber } from '../frame-rate.js';
import type { TechnicalMetadata } from '../media.js';
import { MediaInputError } from './errors.js';

/**
 * The largest picture any decoder is allowed to allocate (`-max_pixels`), whatever a deployment
 * configures: a header that declares a bigger picture fails before memory is taken for it.
 */
export const DECODE_MAX_PIXELS = 16384 * 16384;

/**
 * What a deployment accepts at probe. A file over any of them is refused with the reason before
 * any other step runs, so a hostile or absurd file costs one probe and blocks nothing.
 */
export interface MediaLimits {
  /** Picture width and height in pixels, of any video stream. */
  maxWidth: number;
  maxHeight: number;
  maxDurationSeconds: number;
  /** Frames on the timeline (video frames, or audio-only frames). */
  maxFrameCount: number;
  /** Width × height × frames per second, of any video stream: what decoding one second costs. */
  maxPixelRate: number;
  /** Video, audio and subtitle streams together. */
  maxStreams: number;
}

/** 8K at 120 fps, a day long, 64 streams: more than any programme, less than a decompression bomb. */
export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  maxWidth: 8192,
  maxHeight: 8192,
  maxDurationSeconds: 24 * 3600,
  maxFrameCount: 24 * 3600 * 120,
  maxPixelRate: 8192 * 4320 * 120,
  maxStreams: 64,
};

/** Each limit the file is over, as a sentence naming the value and the limit; empty when none. */
export function mediaLimitViolations(technical: TechnicalMetadata, limits: MediaLimits): string[] {
  const over: string[] = [];
  const check = (what: string, value: number | undefined, limit: number, unit = '') => {
    if (value !== undefined && (!Number.isFinite(value) || value > limit))
      over.push(`${what} ${value}${unit} is over the limit of ${limit}${unit}`);
  };
  check('duration', technical.durationSeconds, limits.maxDurationSeconds, ' s');
  check(
    'stream count',
    technical.video.length + technical.audio.length + technical.subtitles.length,
    limits.maxStreams,
  );
  for (const v of technical.video) {
    const name = `video stream ${v.index}`;
    check(`${name}: width`, v.width, limits.maxWidth, ' px');
    check(`${name}: height`, v.height, limits.maxHeight, ' px');
    check(`${name}: frame count`, v.frameCount, limits.maxFrameCount);
    check(
      `${name}: pixel rate`,
      Math.round(v.width * v.height * frameRateToNumber(v.frameRate)),
      limits.maxPixelRate,
      ' px/s',
    );
  }
  return over;
}

/** Throws MediaInputError `over-limit` naming every limit the file is over. */
export function checkMediaLimits(technical: TechnicalMetadata, limits: MediaLimits): void {
  const over = mediaLimitViolations(technical, limits);
  if (over.length)
    throw new MediaInputError('over-limit', `the file is over this deployment's limits: ${over.join('; ')}`);
}

/**
 * How long one job may run: `baseSeconds` plus `perMediaSecond` for each second of media (a
 * probe, with no media duration known yet, gets the base alone). Heartbeats keep a lease alive
 * for as long as a worker lives, so this is what stops a run that never ends.
 */
export interface JobTimeouts {
  baseSeconds: number;
  perMediaSecond: number;
}

export const DEFAULT_JOB_TIMEOUTS: JobTimeouts = { baseSeconds: 600, perMediaSecond: 20 };

export function jobTimeoutSeconds(durationSeconds: number | undefined, t: JobTimeouts): number {
  const media =
    durationSeconds !== undefined && Number.isFinite(durationSeconds) ? Math.max(0, durationSeconds) : 0;
  return t.baseSeconds + t.perMediaSecond * media;
}
