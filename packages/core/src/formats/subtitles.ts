import * as mediaCaptions from 'media-captions';

/**
 * The part of media-captions used here. Its type declarations re-export their files without
 * extensions, which NodeNext resolution cannot follow, so its exports arrive untyped: this is
 * their shape, from the package's own declarations (dist/types/parse/).
 */
interface MediaCaptions {
  parseText(text: string, options: { type: 'srt' | 'vtt'; strict: boolean }): Promise<unknown>;
  ParseError: new (...args: never[]) => Error & { line: number };
}
const { parseText, ParseError } = mediaCaptions as unknown as MediaCaptions;

/**
 * Subtitle files: SubRip (SRT) and WebVTT. Cues are parsed by `media-captions` (the player shows
 * them with the same library) in strict mode; it lets some malformed blocks pass silently (a
 * block without a timing line, a cue that ends before it starts), so a walk over the blocks
 * here refuses those, naming the line.
 *
 * - WebVTT: W3C "WebVTT: The Web Video Text Tracks Format" (https://www.w3.org/TR/webvtt1/):
 *   the `WEBVTT` signature line, a blank line, then blocks separated by blank lines: NOTE,
 *   STYLE and REGION blocks, or cues (an optional identifier line, a timing line
 *   `[hh:]mm:ss.ttt --> [hh:]mm:ss.ttt [settings]`, then the cue text).
 * - SubRip has no formal specification; the format as the SubRip program writes it (also
 *   described for Matroska's S_TEXT/UTF8 codec): blocks of a counter line, a timing line
 *   `hh:mm:ss,ttt --> hh:mm:ss,ttt`, and text lines, separated by blank lines.
 */

export const SUBTITLE_FORMATS = ['srt', 'vtt'] as const;
export type SubtitleFormat = (typeof SUBTITLE_FORMATS)[number];

export interface SubtitleCue {
  id: string;
  /** Seconds from the start of the media. */
  start: number;
  end: number;
  text: string;
  /** WebVTT cue settings as written (`align:start line:10%`), empty for SRT. */
  settings: string;
}

export class SubtitleError extends Error {
  constructor(
    /** 1-based line of the file at fault. */
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}

const SRT_TIMING =
  /^(\d{1,3}):(\d{2}):(\d{2})[,.](\d{1,3})\s+-->\s+(\d{1,3}):(\d{2}):(\d{2})[,.](\d{1,3})\s*$/;
const VTT_TIMESTAMP = /^(?:(\d{2,}):)?(\d{2}):(\d{2})\.(\d{3})$/;

interface Block {
  line: number;
  lines: string[];
}

function blocksOf(text: string): Block[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const blocks: Block[] = [];
  let current: Block | undefined;
  lines.forEach((l, i) => {
    if (l.trim() === '') current = undefined;
    else if (current) current.lines.push(l);
    else blocks.push((current = { line: i + 1, lines: [l] }));
  });
  return blocks;
}

const seconds = (h: string | undefined, m: string, s: string, ms: string) =>
  Number(h ?? 0) * 3600 + Number(m) * 60 + Number(s) + Number(ms.padEnd(3, '0')) / 1000;

/** Seconds of the hours, minutes, seconds and milliseconds a timestamp match holds from group `g`. */
const secondsAt = (m: RegExpExecArray, g: number) =>
  seconds(m[g], m[g + 1] as string, m[g + 2] as string, m[g + 3] as string);

const badTiming = (line: number, shape: string, found: string) =>
  new SubtitleError(line, `expected a timing line "${shape}", found "${found.slice(0, 80)}"`);

function checkRange(start: number, end: number, line: number) {
  if (end <= start)
    throw new SubtitleError(
      line,
      `the cue ends (${formatVttTime(end)}) before it starts (${formatVttTime(start)})`,
    );
}

/** The SRT walk: every block has its timing line first or after a counter line. */
function walkSrt(text: string): SubtitleCue[] {
  return blocksOf(text).map((b) => {
    let at = 0;
    let id = '';
    if (/^\d+$/.test((b.lines[0] as string).trim()) && b.lines.length > 1) {
      id = (b.lines[0] as string).trim();
      at = 1;
    }
    const timing = b.lines[at] as string;
    const m = SRT_TIMING.exec(timing.trim());
    if (!m) throw badTiming(b.line + at, 'hh:mm:ss,ttt --> hh:mm:ss,ttt', timing);
    const start = secondsAt(m, 1);
    const end = secondsAt(m, 5);
    checkRange(start, end, b.line + at);
    return { id, start, end, text: b.lines.slice(at + 1).join('\n'), settings: '' };
  });
}

/** The WebVTT walk: signature, then NOTE, STYLE, REGION or cue blocks. */
function walkVtt(text: string): SubtitleCue[] {
  const blocks = blocksOf(text);
  const header = blocks[0];
  if (!header || !/^WEBVTT(?:[ \t].*)?$/.test(header.lines[0] as string) || header.line !== 1)
    throw new SubtitleError(1, 'a WebVTT file starts with the line "WEBVTT"');
  const cues: SubtitleCue[] = [];
  for (const b of blocks.slice(1)) {
    const first = b.lines[0] as string;
    if (/^(NOTE|STYLE|REGION)(?:[ \t]|$)/.test(first)) continue;
    let at = 0;
    let id = '';
    if (!first.includes('-->')) {
      id = first;
      at = 1;
    }
    const timing = b.lines[at];
    if (timing === undefined)
      throw new SubtitleError(
        b.line,
        `a cue identifier "${first.slice(0, 80)}" with no timing line after it`,
      );
    if (!timing.includes('-->')) throw badTiming(b.line + at, 'mm:ss.ttt --> mm:ss.ttt', timing);
    const [startText = '', rest = ''] = timing.split(/[ \t]+-->[ \t]+/);
    const [endText = '', ...settings] = rest.trim().split(/[ \t]+/);
    const s = VTT_TIMESTAMP.exec(startText.trim());
    const e = VTT_TIMESTAMP.exec(endText);
    if (!s || !e) throw badTiming(b.line + at, 'mm:ss.ttt --> mm:ss.ttt', timing);
    const start = secondsAt(s, 1);
    const end = secondsAt(e, 1);
    checkRange(start, end, b.line + at);
    cues.push({ id, start, end, text: b.lines.slice(at + 1).join('\n'), settings: settings.join(' ') });
  }
  return cues;
}

/**
 * Parses an SRT or WebVTT file strictly: the first problem throws a SubtitleError naming its line.
 * Cue text is returned as written (SRT's <b>, <i>, <u> tags are WebVTT's too).
 */
export async function parseSubtitles(text: string, format: SubtitleFormat): Promise<SubtitleCue[]> {
  try {
    // Timestamps, cue settings and the header as the player's library reads them.
    await parseText(text.replace(/^\uFEFF/, ''), { type: format, strict: true });
  } catch (err) {
    if (err instanceof ParseError) throw new SubtitleError(err.line, err.message.replace(/ on line \d+/, ''));
    throw err;
  }
  const cues = format === 'srt' ? walkSrt(text) : walkVtt(text);
  if (!cues.length) throw new SubtitleError(1, 'the file has no cues');
  return cues;
}

/** hh:mm:ss.ttt, as WebVTT writes a timestamp. */
export function formatVttTime(secondsValue: number): string {
  const ms = Math.round(secondsValue * 1000);
  const h = Math.floor(ms / 3600000);
  const m = Math.floor(ms / 60000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/**
 * Cue text that is safe in WebVTT: the tags both formats share stay, any other "<" and a bare "&"
 * are escaped, and "-->" (which would end a cue) cannot appear.
 */
function vttText(text: string): string {
  return text
    .replace(/<\/?font\b[^>]*>/gi, '')
    .replace(/&(?!(?:amp|lt|gt|lrm|rlm|nbsp|#\d+|#x[0-9a-fA-F]+);)/g, '&amp;')
    .replace(/<(?!\/?(?:b|i|u|c|v|lang|ruby|rt)(?:[ .][^<>]*)?>|\d{2}:)/g, '&lt;')
    .replace(/-->/g, '--&gt;');
}

/** Writes cues as a WebVTT file (W3C WebVTT, section 4: file structure). */
export function toWebVtt(cues: readonly SubtitleCue[]): string {
  let out = 'WEBVTT\n';
  for (const c of cues) {
    out += '\n';
    const id = c.id
      .replace(/-->/g, '->')
      .replace(/[\r\n]+/g, ' ')
      .trim();
    if (id) out += `${id}\n`;
    out += `${formatVttTime(c.start)} --> ${formatVttTime(c.end)}${c.settings ? ` ${c.settings}` : ''}\n`;
    out += `${vttText(c.text.replace(/\n{2,}/g, '\n'))}\n`;
  }
  return out;
}
