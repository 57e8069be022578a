import { type FrameRate, nominalFps, supportsDropFrame } from './frame-rate.js';

/** SMPTE 12M timecode, drop-frame or not. Frame numbers count from 00:00:00:00. */
export class TimecodeError extends Error {}

export interface ParsedTimecode {
  frames: number;
  dropFrame: boolean;
}

const TIMECODE = /^(\d{2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$/;

function dropPerMinute(rate: FrameRate): number {
  return nominalFps(rate) / 15; // 2 at 29.97, 4 at 59.94
}

/**
 * Parses "HH:MM:SS:FF" (non-drop) or "HH:MM:SS;FF" (drop-frame) at `rate` and returns the frame
 * count it names. Throws TimecodeError for fields out of range, drop-frame on a rate that has
 * none, and drop-frame labels that are skipped (00:01:00;00 does not exist).
 */
export function parseTimecode(text: string, rate: FrameRate): ParsedTimecode {
  const m = TIMECODE.exec(text.trim());
  if (!m) throw new TimecodeError(`"${text}" is not a timecode (HH:MM:SS:FF, or HH:MM:SS;FF for drop-frame)`);
  const [hh, mm, ss, sep, ff] = [Number(m[1]), Number(m[2]), Number(m[3]), m[4], Number(m[5])];
  const fps = nominalFps(rate);
  const dropFrame = sep === ';' || sep === ',';
  if (mm > 59) throw new TimecodeError(`minutes must be 00-59 in "${text}"`);
  if (ss > 59) throw new TimecodeError(`seconds must be 00-59 in "${text}"`);
  if (ff >= fps) throw new TimecodeError(`frames must be below ${fps} at this frame rate in "${text}"`);
  const labelFrames = (hh * 3600 + mm * 60 + ss) * fps + ff;
  if (!dropFrame) return { frames: labelFrames, dropFrame };
  if (!supportsDropFrame(rate)) {
    throw new TimecodeError(`drop-frame timecode "${text}" needs a 29.97 or 59.94 frame rate`);
  }
  const drop = dropPerMinute(rate);
  if (ss === 0 && ff < drop && mm % 10 !== 0) {
    throw new TimecodeError(
      `"${text}" does not exist in drop-frame timecode (frames 00-0${drop - 1} are skipped)`,
    );
  }
  const totalMinutes = hh * 60 + mm;
  return { frames: labelFrames - drop * (totalMinutes - Math.floor(totalMinutes / 10)), dropFrame };
}

/** Formats a frame count as timecode; wraps at 24 hours as SMPTE does. */
export function formatTimecode(frame: number, rate: FrameRate, dropFrame: boolean): string {
  if (!Number.isInteger(frame) || frame < 0)
    throw new TimecodeError(`frame must be a whole number >= 0, got ${frame}`);
  const fps = nominalFps(rate);
  let label = frame;
  const df = dropFrame && supportsDropFrame(rate);
  if (df) {
    const drop = dropPerMinute(rate);
    const perMinute = fps * 60 - drop;
    const perTenMinutes = fps * 600 - drop * 9;
    const tens = Math.floor(frame / perTenMinutes);
    const rest = frame % perTenMinutes;
    label += drop * 9 * tens + (rest > drop ? drop * Math.floor((rest - drop) / perMinute) : 0);
  }
  label %= fps * 86400;
  const ff = label % fps;
  const totalSeconds = Math.floor(label / fps);
  const hh = TWO_DIGITS[Math.floor(totalSeconds / 3600)] as string;
  const mm = TWO_DIGITS[Math.floor(totalSeconds / 60) % 60] as string;
  const ss = TWO_DIGITS[totalSeconds % 60] as string;
  // Frame fields above 99 (rates over 100 fps) are written in full.
  return `${hh}:${mm}:${ss}${df ? ';' : ':'}${TWO_DIGITS[ff] ?? String(ff)}`;
}

/** "00" to "99": long marker lists format tens of thousands of timecodes. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
