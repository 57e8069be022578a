/** Subtitle files (SRT, WebVTT) parsed with media-captions into cues on the frame axis. */
import { type FrameRate, secondsToFrame } from '@frameproof/core';
import * as mediaCaptions from 'media-captions';
import type { SubtitleInput } from './types.js';

/**
 * The part of media-captions used here. Its published declarations import their own files
 * without extensions, which NodeNext resolution cannot follow, so the module is typed here.
 */
interface MediaCaptions {
  parseText(
    text: string,
    options: { strict: boolean; errors: boolean; type: 'srt' | 'vtt' },
  ): Promise<{ cues: { startTime: number; endTime: number; text: string }[] }>;
  ParseError: new (...args: never[]) => Error & { line: number };
}
const { parseText, ParseError } = mediaCaptions as unknown as MediaCaptions;

export interface SubtitleCue {
  /** First frame shown (inclusive) and last frame shown (inclusive). */
  start: number;
  end: number;
  /** Plain text, tags removed, lines kept. */
  text: string;
}

export interface SubtitleTrack {
  id: string;
  label: string;
  language?: string;
  /** Sorted by start. */
  cues: SubtitleCue[];
}

export class SubtitleError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/**
 * A cue from a to b seconds covers the frames whose display starts in [a, b): the first frame
 * on screen at a, up to the last that starts before b.
 */
export function cueFrames(
  startSeconds: number,
  endSeconds: number,
  rate: FrameRate,
): { start: number; end: number } {
  const start = secondsToFrame(startSeconds, rate);
  const firstAfter = Math.ceil((endSeconds * rate.num) / rate.den - 1e-6);
  return { start, end: Math.max(start, firstAfter - 1) };
}

function plain(text: string): string {
  return text
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Parses a file; a malformed one is rejected with its line number. */
export async function parseSubtitles(input: SubtitleInput, rate: FrameRate): Promise<SubtitleTrack> {
  if (input.format !== 'srt' && input.format !== 'vtt') {
    throw new SubtitleError(`subtitles "${input.label}": format must be "srt" or "vtt"`, 0);
  }
  let result;
  try {
    result = await parseText(input.text, { type: input.format, strict: true, errors: true });
  } catch (err) {
    if (err instanceof ParseError) {
      throw new SubtitleError(
        `subtitles "${input.label}", line ${err.line}: ${err.message.replace(/ on line \d+$/, '')}`,
        err.line,
      );
    }
    throw err;
  }
  if (input.text.trim() !== '' && result.cues.length === 0 && input.format === 'srt') {
    throw new SubtitleError(`subtitles "${input.label}", line 1: no cues found`, 1);
  }
  const cues = result.cues
    .map((c) => ({ ...cueFrames(c.startTime, c.endTime, rate), text: plain(c.text) }))
    .sort((a, b) => a.start - b.start);
  const track: SubtitleTrack = { id: input.id, label: input.label, cues };
  if (input.language) track.language = input.language;
  return track;
}

/** The cues on screen at a frame (several may overlap). */
export function cuesAt(track: SubtitleTrack, frame: number): SubtitleCue[] {
  const out: SubtitleCue[] = [];
  for (const c of track.cues) {
    if (c.start > frame) break;
    if (c.end >= frame) out.push(c);
  }
  return out;
}
