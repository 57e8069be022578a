/** A frame rate as a rational number of frames per second: 30000/1001, never 29.97. */
export interface FrameRate {
  num: number;
  den: number;
}

export class FrameRateError extends Error {}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Rates that are written as decimals (29.97) but mean an NTSC rational. */
const NTSC: Record<string, FrameRate> = {
  '23.976': { num: 24000, den: 1001 },
  '23.98': { num: 24000, den: 1001 },
  '29.97': { num: 30000, den: 1001 },
  '47.952': { num: 48000, den: 1001 },
  '59.94': { num: 60000, den: 1001 },
  '119.88': { num: 120000, den: 1001 },
};

export function frameRate(num: number, den = 1): FrameRate {
  if (!Number.isInteger(num) || !Number.isInteger(den) || num <= 0 || den <= 0) {
    throw new FrameRateError(`frame rate must be a positive rational, got ${num}/${den}`);
  }
  const d = gcd(num, den);
  return { num: num / d, den: den / d };
}

/** Parses "30000/1001", "25/1", "25" or "29.97" (snapped to its NTSC rational). */
export function parseFrameRate(text: string): FrameRate {
  const s = text.trim();
  const ratio = /^(\d+)\s*\/\s*(\d+)$/.exec(s);
  if (ratio) return frameRate(Number(ratio[1]), Number(ratio[2]));
  if (/^\d+$/.test(s)) return frameRate(Number(s), 1);
  if (/^\d+\.\d+$/.test(s)) {
    const ntsc = NTSC[s];
    if (ntsc) return ntsc;
    const [whole, frac] = s.split('.') as [string, string];
    const den = 10 ** frac.length;
    return frameRate(Number(whole) * den + Number(frac), den);
  }
  throw new FrameRateError(`not a frame rate: "${text}"`);
}

export function formatFrameRate(rate: FrameRate): string {
  return `${rate.num}/${rate.den}`;
}

export function frameRateToNumber(rate: FrameRate): number {
  return rate.num / rate.den;
}

/** Timecode counts whole frames per second: 30 for 29.97, 24 for 23.976. */
export function nominalFps(rate: FrameRate): number {
  return Math.round(rate.num / rate.den);
}

/** Drop-frame counting exists only for the 1001-denominator rates of 30 and 60 nominal fps. */
export function supportsDropFrame(rate: FrameRate): boolean {
  const nominal = nominalFps(rate);
  return rate.den === 1001 && (nominal === 30 || nominal === 60);
}

/** Seconds from the first frame to the start of frame `frame`. */
export function frameToSeconds(frame: number, rate: FrameRate): number {
  return (frame * rate.den) / rate.num;
}

/** The frame on screen at `seconds` (the one whose display interval contains it). */
export function secondsToFrame(seconds: number, rate: FrameRate): number {
  // A tiny tolerance so that frameToSeconds(n) maps back to n despite floating point.
  return Math.floor((seconds * rate.num) / rate.den + 1e-6);
}

/**
 * Seconds from the first frame to the middle of frame `frame`: where a player seeks so that
 * neither rounding in the decoder nor the container's time base can show a neighbour.
 */
export function frameMiddleSeconds(frame: number, rate: FrameRate): number {
  return ((2 * frame + 1) * rate.den) / (2 * rate.num);
}

/**
 * The frame a browser names when it reports the media time of the picture it shows
 * (requestVideoFrameCallback's `mediaTime`). Chromium reports the frame's presentation
 * timestamp, rounded to the microsecond (or to the container's time base), so it may fall a
 * hair before the frame's start; Firefox reports the time that was seeked to, somewhere
 * inside the frame. The frame is the one whose display interval contains the time, allowing
 * the time to be up to a thousandth of a frame early: flooring without that tolerance names
 * the previous frame whenever the rounding went down, and rounding to the nearest frame start
 * names the next frame for a time in the second half of a frame.
 */
export function timestampToFrame(seconds: number, rate: FrameRate): number {
  return Math.floor((seconds * rate.num) / rate.den + 1e-3);
}

/** Number of whole frames in a duration in seconds, rounded to the nearest frame. */
export function durationToFrames(seconds: number, rate: FrameRate): number {
  return Math.round((seconds * rate.num) / rate.den);
}
