/**
 * The frame model without the DOM: frame numbers, timecode labels and the times a player seeks
 * to, all through core's rational frame-rate functions.
 */
import {
  type FrameRate,
  formatTimecode,
  frameMiddleSeconds,
  parseTimecode,
  timestampToFrame,
  TimecodeError,
} from '@frameproof/core';
import type { PlayerMedia } from './types.js';

export type FrameAxis = Pick<PlayerMedia, 'frameRate' | 'startTimecode' | 'dropFrame' | 'durationFrames'>;

/** A position or label that does not name a frame of this programme. */
export class FrameInputError extends Error {}

/** The frame count the start timecode names (0 when the programme starts at 00:00:00:00). */
export function startFrameOf(axis: FrameAxis): number {
  return axis.startTimecode ? parseTimecode(axis.startTimecode, axis.frameRate).frames : 0;
}

/** Keeps a frame inside the programme: 0 to durationFrames - 1. */
export function clampFrame(frame: number, axis: Pick<FrameAxis, 'durationFrames'>): number {
  const last = Math.max(0, axis.durationFrames - 1);
  return Math.min(last, Math.max(0, Math.round(frame)));
}

/** The timecode label of a frame of the programme (start timecode added, drop-frame where counted so). */
export function timecodeOf(frame: number, axis: FrameAxis, start = startFrameOf(axis)): string {
  return formatTimecode(frame + start, axis.frameRate, axis.dropFrame);
}

/**
 * The frame a typed timecode names, relative to the programme's start. Drop-frame labels are
 * accepted with ";" and, for a drop-frame programme, with ":" too (people type colons).
 */
export function frameOfTimecode(text: string, axis: FrameAxis): number {
  let parsed;
  try {
    const t = text.trim();
    const label = axis.dropFrame ? t.replace(/^(\d{2}:\d{2}:\d{2})[:.]/, '$1;') : t;
    parsed = parseTimecode(label, axis.frameRate);
  } catch (err) {
    if (err instanceof TimecodeError) throw new FrameInputError(err.message);
    throw err;
  }
  const frame = parsed.frames - startFrameOf(axis);
  if (frame < 0) {
    throw new FrameInputError(
      `${text} is before the programme starts (${axis.startTimecode ?? '00:00:00:00'})`,
    );
  }
  if (frame >= axis.durationFrames) {
    throw new FrameInputError(
      `${text} is past the end of the programme (last frame ${axis.durationFrames - 1})`,
    );
  }
  return frame;
}

/** A frame number typed or linked: whole, non-negative, inside the programme. */
export function checkFrameNumber(text: string, axis: FrameAxis): number {
  if (!/^\d+$/.test(text.trim())) throw new FrameInputError(`"${text}" is not a frame number`);
  const frame = Number(text.trim());
  if (frame >= axis.durationFrames) {
    throw new FrameInputError(
      `frame ${frame} is past the end of the programme (last frame ${axis.durationFrames - 1})`,
    );
  }
  return frame;
}

/** What a person typed in the go-to box: a timecode (with separators) or a frame number. */
export function frameOfInput(text: string, axis: FrameAxis): number {
  return /[:;.,]/.test(text) ? frameOfTimecode(text, axis) : checkFrameNumber(text, axis);
}

/**
 * `?frame=N` or `?tc=HH:MM:SS:FF` (`;` for drop-frame) → the frame, or null when absent.
 * Throws FrameInputError on a bad value.
 */
export function frameFromDeepLink(search: string, media: FrameAxis): number | null {
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const frame = params.get('frame');
  if (frame !== null) return checkFrameNumber(frame, media);
  const tc = params.get('tc');
  if (tc !== null) return frameOfTimecode(tc, media);
  return null;
}

/** The query string that links to a frame: `?frame=N` (survives any rate change of the proxy). */
export function deepLinkOf(frame: number, by: 'frame' | 'tc', axis: FrameAxis): string {
  return by === 'frame' ? `?frame=${frame}` : `?tc=${encodeURIComponent(timecodeOf(frame, axis))}`;
}

/** Where a paused seek aims: the middle of the frame, never its edge. */
export function seekTimeOf(frame: number, rate: FrameRate): number {
  return frameMiddleSeconds(frame, rate);
}

/** The frame a decoder reports presenting (requestVideoFrameCallback's mediaTime). */
export function frameOfMediaTime(mediaTime: number, rate: FrameRate): number {
  return timestampToFrame(mediaTime, rate);
}

/**
 * The timestamp a decoder is asked for to decode `frame`: its middle. The demuxer hands back
 * the last sample starting at or before it, so a container time base that rounds sample times
 * (milliseconds, 90 kHz) cannot pick a neighbour.
 */
export function decodeTimeOf(frame: number, rate: FrameRate): number {
  return frameMiddleSeconds(frame, rate);
}

/** A decoded sample: its presentation timestamp and duration, in seconds. */
export interface SampleTiming {
  timestamp: number;
  duration: number;
}

/**
 * Which frame a decoded sample shows, and whether it is the picture of `frame`. The sample is
 * named by a point half a frame into it (or into its duration, if shorter), so a container that
 * rounds times to the millisecond still names the right frame, and a sample that lasts over a
 * missing frame names its own frame, not the one after it. It is the picture of `frame` when it
 * names that frame and its display interval contains the frame's middle (a container may leave
 * a duration unknown, 0: then the timestamp alone decides).
 */
export function sampleFrame(
  sample: SampleTiming,
  frame: number,
  rate: FrameRate,
): { frame: number; exact: boolean } {
  const inside = sample.duration > 0 ? Math.min(sample.duration, rate.den / rate.num) / 2 : 0;
  const named = timestampToFrame(sample.timestamp + inside, rate);
  const middle = decodeTimeOf(frame, rate);
  const covers =
    sample.timestamp <= middle && (sample.duration <= 0 || middle < sample.timestamp + sample.duration);
  return { frame: named, exact: named === frame && covers };
}
