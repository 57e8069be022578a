import type { FramePoint, FramePointInput } from './api/markers.js';
import { durationToFrames, frameRate, type FrameRate, supportsDropFrame } from './frame-rate.js';
import type { TechnicalMetadata } from './media.js';
import { formatTimecode, parseTimecode, TimecodeError } from './timecode.js';

/** What the probe tells about an asset's time axis. Frames count from the file's first frame. */
export interface Timeline {
  frameRate: FrameRate | null;
  durationFrames: number | null;
  /** Timecode of the first frame, e.g. "10:00:00:00"; null means 00:00:00:00. */
  startTimecode: string | null;
  dropFrame: boolean;
}

/**
 * A point that cannot be placed. `reason` says whether the request is wrong (`invalid`) or the
 * asset is not ready for it yet (`not-ready`, before the probe found the frame rate).
 */
export class TimelineError extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly reason: 'invalid' | 'not-ready',
  ) {
    super(message);
  }
}

function startFrame(t: Timeline & { frameRate: FrameRate }): number {
  return t.startTimecode ? parseTimecode(t.startTimecode, t.frameRate).frames : 0;
}

/** The frame a client's point names, checked against the programme's length when known. */
export function resolvePoint(input: FramePointInput, t: Timeline, field: string): number {
  let frame: number;
  if ('frame' in input) {
    frame = input.frame;
  } else {
    if (!t.frameRate) {
      throw new TimelineError(
        `${field}: a timecode needs the asset's frame rate, which is known once the probe has run; send {"frame": N} meanwhile`,
        field,
        'not-ready',
      );
    }
    const rate = t.frameRate;
    try {
      frame = parseTimecode(input.timecode, rate).frames - startFrame({ ...t, frameRate: rate });
    } catch (err) {
      if (err instanceof TimecodeError) throw new TimelineError(`${field}: ${err.message}`, field, 'invalid');
      throw err;
    }
    if (frame < 0) {
      throw new TimelineError(
        `${field}: ${input.timecode} is before the programme starts (${t.startTimecode})`,
        field,
        'invalid',
      );
    }
  }
  if (t.durationFrames !== null && frame >= t.durationFrames) {
    throw new TimelineError(
      `${field}: frame ${frame} is past the end of the programme (${t.durationFrames} frames)`,
      field,
      'invalid',
    );
  }
  return frame;
}

/** Resolves an in and out point; out defaults to in, and may not come before it. */
export function resolveRange(
  start: FramePointInput,
  end: FramePointInput | undefined,
  t: Timeline,
): [number, number] {
  const s = resolvePoint(start, t, 'start');
  const e = end === undefined ? s : resolvePoint(end, t, 'end');
  if (e < s)
    throw new TimelineError(
      `end: the out point (frame ${e}) comes before the in point (frame ${s})`,
      'end',
      'invalid',
    );
  return [s, e];
}

/** Formats frames as the API returns them: the number, and its timecode once the rate is known. */
export function framePointFormatter(t: Timeline): (frame: number) => FramePoint {
  if (!t.frameRate) return (frame) => ({ frame, timecode: null });
  const rate = t.frameRate;
  const df = t.dropFrame && supportsDropFrame(rate);
  const offset = startFrame({ ...t, frameRate: rate });
  return (frame) => ({ frame, timecode: formatTimecode(frame + offset, rate, df) });
}

/**
 * What counts as a frame of an audio-only file. Markers, timecodes and Auto QC count in frames,
 * so an asset without video gets a timeline at this rate: 25 fps, non-drop (EBU timecode, the
 * rate audio workstations default to in European broadcast).
 */
export const AUDIO_ONLY_FRAME_RATE: FrameRate = { num: 25, den: 1 };

/**
 * The time axis the probe's findings give an asset: the first video stream's rate, frame count
 * and timecode; for audio only, `AUDIO_ONLY_FRAME_RATE` over the file's duration; none when the
 * file has neither. The adapter stores it and the jobs count Auto QC frames on it.
 */
export function timelineOf(technical: TechnicalMetadata): Timeline {
  const video = technical.video[0];
  if (video) {
    const rate = frameRate(video.frameRate.num, video.frameRate.den);
    return {
      frameRate: rate,
      durationFrames: video.frameCount ?? durationToFrames(technical.durationSeconds, rate),
      startTimecode: technical.startTimecode ?? null,
      dropFrame: technical.dropFrame ?? supportsDropFrame(rate),
    };
  }
  if (technical.audio.length === 0)
    return { frameRate: null, durationFrames: null, startTimecode: null, dropFrame: false };
  return {
    frameRate: AUDIO_ONLY_FRAME_RATE,
    durationFrames: durationToFrames(technical.durationSeconds, AUDIO_ONLY_FRAME_RATE),
    startTimecode: null,
    dropFrame: false,
  };
}
