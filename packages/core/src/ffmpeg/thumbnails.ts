import { frameToSeconds } from '../frame-rate.js';
import type { VideoStream } from '../media.js';
import { type FfmpegCapabilities, fpsModeArgs } from './capabilities.js';
import {
  FROM_FIRST_FRAME,
  deinterlaceFilters,
  fitSize,
  ffmpegGlobalArgs,
  ffmpegInputArgs,
  ffmpegUrl,
  ffmpegSeconds,
} from './input.js';

/**
 * The frame a poster shows: 10 % in (past leaders and slates), but at most 10 s in, so that
 * finding it never means decoding much of the file.
 */
export function posterFrame(video: VideoStream): number {
  const frames = video.frameCount ?? 1;
  const tenSeconds = Math.round((10 * video.frameRate.num) / video.frameRate.den);
  return Math.max(0, Math.min(frames - 1, Math.floor(frames / 10), tenSeconds));
}

/** Posters are at most this many lines high. */
export const POSTER_MAX_HEIGHT = 720;

/** What a poster's shape records: the frame shown and the picture size `posterArgs` makes. */
export function posterMetadata(video: VideoStream, frame: number, maxHeight = POSTER_MAX_HEIGHT) {
  const size = fitSize(video, maxHeight);
  return { frame, width: size.width, height: size.height };
}

export interface PosterOptions {
  input: string;
  output: string;
  video: VideoStream;
  frame: number;
  maxHeight?: number;
}

/**
 * One JPEG of frame `frame` (counted in decoded frames from the first). Decoding from the
 * start is exact in every container; input seeking is not (MPEG-TS can land past the only
 * keyframe and yield nothing).
 */
export function posterArgs(o: PosterOptions): string[] {
  const size = fitSize(o.video, o.maxHeight ?? POSTER_MAX_HEIGHT);
  const chain = [
    ...deinterlaceFilters(o.video),
    `select='eq(n,${o.frame})'`,
    `scale=${size.width}:${size.height}:flags=bicubic`,
    'setsar=1',
  ];
  return [
    ...ffmpegGlobalArgs(),
    ...ffmpegInputArgs(o.input),
    '-filter_complex',
    `[0:${o.video.index}]${chain.join(',')}[p]`,
    '-map',
    '[p]',
    '-frames:v',
    '1',
    '-q:v',
    '2',
    '-update',
    '1',
    '-f',
    'image2',
    ffmpegUrl(o.output),
  ];
}

export interface SpriteLayout {
  intervalSeconds: number;
  /** Thumbnails in all: one per interval, the first frame at or after its start. */
  count: number;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  sheets: number;
}

/** Sheets of at most `columns` x `maxRows` thumbnails `tileWidth` wide, fewer rows for short clips. */
export function spriteLayout(
  video: VideoStream,
  durationSeconds: number,
  intervalSeconds: number,
  {
    tileWidth = 160,
    columns = 10,
    maxRows = 10,
  }: { tileWidth?: number; columns?: number; maxRows?: number } = {},
): SpriteLayout {
  // Frame times are exact where the frame count is known: count the intervals that hold a frame.
  const last = video.frameCount ? frameToSeconds(video.frameCount - 1, video.frameRate) : undefined;
  const count = Math.max(
    1,
    last !== undefined
      ? Math.floor(last / intervalSeconds + 1e-9) + 1
      : Math.ceil(durationSeconds / intervalSeconds),
  );
  const cols = Math.min(columns, count);
  const rows = Math.min(maxRows, Math.ceil(count / cols));
  const size = fitSize(video, Math.max(video.height, 2));
  // Tiles keep the picture's shape up to twice as tall as wide (portrait 9:16 fits): a
  // declared 2×8192 picture must not make sheets 650,000 pixels high.
  const tileHeight = Math.min(
    2 * tileWidth,
    Math.max(2, Math.round((tileWidth * size.height) / size.width / 2) * 2),
  );
  return {
    intervalSeconds,
    count,
    columns: cols,
    rows,
    tileWidth,
    tileHeight,
    sheets: Math.ceil(count / (cols * rows)),
  };
}

/** Sheet `n` (from 1): the name ffmpeg's `sprite-%03d.jpg` pattern gives it. */
export function spriteFileName(n: number): string {
  return `sprite-${String(n).padStart(3, '0')}.jpg`;
}

export interface SpriteOptions {
  input: string;
  /** A local folder; the sheets are written as `spriteFileName(1..)` in it. */
  outputDir: string;
  video: VideoStream;
  layout: SpriteLayout;
  capabilities: FfmpegCapabilities;
  progress?: boolean;
}

/**
 * Sprite sheets: the first frame of each interval (selected on timestamps counted from the
 * first frame, so frame-exact), scaled and tiled left to right, top to bottom.
 */
export function spriteArgs(o: SpriteOptions): string[] {
  const { layout } = o;
  const i = ffmpegSeconds(layout.intervalSeconds);
  const chain = [
    FROM_FIRST_FRAME,
    `select='isnan(prev_selected_t)+gte(floor(t/${i}),floor(prev_selected_t/${i})+1)'`,
    `scale=${layout.tileWidth}:${layout.tileHeight}:flags=bicubic`,
    'setsar=1',
    `tile=${layout.columns}x${layout.rows}`,
  ];
  // A `%` in the folder would be read as part of the image2 pattern.
  const pattern = `${o.outputDir.replace(/%/g, '%%').replace(/\/+$/, '')}/sprite-%03d.jpg`;
  return [
    ...ffmpegGlobalArgs({ progress: o.progress }),
    ...ffmpegInputArgs(o.input),
    '-filter_complex',
    `[0:${o.video.index}]${chain.join(',')}[s]`,
    '-map',
    '[s]',
    ...fpsModeArgs(o.capabilities, 'passthrough'),
    '-q:v',
    '4',
    '-start_number',
    '1',
    '-f',
    'image2',
    ffmpegUrl(pattern),
  ];
}

function vttTime(totalSeconds: number): string {
  const ms = Math.round(totalSeconds * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(Math.floor(ms / 3600000))}:${pad(Math.floor(ms / 60000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}

/**
 * The WebVTT index of the sprite sheets: one cue per thumbnail, `sheet.jpg#xywh=x,y,w,h`,
 * back to back from 0 to the end of the programme. `sheets` says how many sheets exist, so a
 * short run never yields cues that point at missing images; the last cue then runs to the end.
 * Sheet names are relative: the player resolves them against the shape's files.
 */
export function spriteVtt(layout: SpriteLayout, durationSeconds: number, sheets = layout.sheets): string {
  const perSheet = layout.columns * layout.rows;
  const count = Math.max(1, Math.min(layout.count, sheets * perSheet));
  const cues: string[] = [];
  for (let k = 0; k < count; k++) {
    const start = k * layout.intervalSeconds;
    const end = k === count - 1 ? Math.max(durationSeconds, start + 0.001) : (k + 1) * layout.intervalSeconds;
    const cell = k % perSheet;
    const x = (cell % layout.columns) * layout.tileWidth;
    const y = Math.floor(cell / layout.columns) * layout.tileHeight;
    const file = spriteFileName(Math.floor(k / perSheet) + 1);
    cues.push(
      `${vttTime(start)} --> ${vttTime(end)}\n${file}#xywh=${x},${y},${layout.tileWidth},${layout.tileHeight}`,
    );
  }
  return `WEBVTT\n\n${cues.join('\n\n')}\n`;
}
