import type { TechnicalMetadata } from '../media.js';
import { ffmpegGlobalArgs, ffmpegInputArgs, ffmpegUrl } from './input.js';

/**
 * Subtitle codecs that are text, which ffmpeg converts to WebVTT: MP4/MOV timed text, SubRip
 * and WebVTT (as Matroska carries them). Bitmap subtitles (DVB, PGS) would need OCR.
 */
export const TEXT_SUBTITLE_CODECS = ['mov_text', 'subrip', 'webvtt'] as const;

export type SubtitleStreamInfo = TechnicalMetadata['subtitles'][number];

/** The probe's subtitle streams that can become subtitle shapes, in stream order. */
export function textSubtitleStreams(technical: Pick<TechnicalMetadata, 'subtitles'>): SubtitleStreamInfo[] {
  return technical.subtitles.filter((s) => (TEXT_SUBTITLE_CODECS as readonly string[]).includes(s.codec));
}

export interface SubtitleExtractOptions {
  input: string;
  /** One WebVTT file per stream, all written in one pass over the input. */
  outputs: { streamIndex: number; output: string }[];
}

/** Converts text subtitle streams to WebVTT files, reading the input once. */
export function subtitleExtractArgs(o: SubtitleExtractOptions): string[] {
  return [
    ...ffmpegGlobalArgs(),
    ...ffmpegInputArgs(o.input),
    ...o.outputs.flatMap(({ streamIndex, output }) => [
      '-map',
      `0:${streamIndex}`,
      '-c:s',
      'webvtt',
      '-f',
      'webvtt',
      ffmpegUrl(output),
    ]),
  ];
}
