import {
  type FrameRate,
  durationToFrames,
  frameRate as makeFrameRate,
  frameRateToNumber,
  parseFrameRate,
} from '../frame-rate.js';
import type { AudioStream, TechnicalMetadata, VideoStream } from '../media.js';
import { formatTimecode, parseTimecode } from '../timecode.js';
import { MediaInputError } from './errors.js';
import { ffmpegInputArgs, isAllowedContainer, isInterlacedOrder } from './input.js';

/** The parts of `ffprobe -print_format json -show_format -show_streams` output we read. */
interface ProbeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  codec_tag_string?: string;
  profile?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  display_aspect_ratio?: string;
  pix_fmt?: string;
  field_order?: string;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  start_time?: string;
  duration?: string;
  bit_rate?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
}
interface ProbeFormat {
  format_name?: string;
  start_time?: string;
  duration?: string;
  size?: string;
  bit_rate?: string;
  tags?: Record<string, string>;
}
interface ProbeOutput {
  streams?: ProbeStream[];
  format?: ProbeFormat;
}

/**
 * ffprobe arguments for `parseProbe`. `countPackets` reads (does not decode) the whole file to
 * count the video packets, which is exact where headers have no frame count (Matroska, MPEG-TS)
 * and tells a truncated file's real length; it costs one read of the file.
 */
export function probeArgs(input: string, { countPackets = true }: { countPackets?: boolean } = {}): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    ...(countPackets ? ['-count_packets'] : []),
    ...ffmpegInputArgs(input),
  ];
}

/** Rates that video is made at; a measured rate close to one of them is taken to mean it. */
const STANDARD_RATES: readonly FrameRate[] = (
  [
    [10, 1],
    [12, 1],
    [15, 1],
    [24000, 1001],
    [24, 1],
    [25, 1],
    [30000, 1001],
    [30, 1],
    [48, 1],
    [50, 1],
    [60000, 1001],
    [60, 1],
    [100, 1],
    [120000, 1001],
    [120, 1],
  ] as const
).map(([num, den]) => ({ num, den }));

function nearestStandard(rate: FrameRate, tolerance: number): FrameRate | undefined {
  const value = frameRateToNumber(rate);
  return STANDARD_RATES.find((s) => Math.abs(frameRateToNumber(s) - value) / value <= tolerance);
}

function rate(text: string | undefined): FrameRate | undefined {
  if (!text || text.startsWith('0/') || text.endsWith('/0')) return undefined;
  try {
    const r = parseFrameRate(text);
    // Containers sometimes store 29.97 as 2997/100: snap what is a standard rate in disguise.
    return nearestStandard(r, 1e-4) ?? r;
  } catch {
    return undefined;
  }
}

const relativeDifference = (a: FrameRate, b: FrameRate) =>
  Math.abs(frameRateToNumber(a) - frameRateToNumber(b)) / frameRateToNumber(b);

function num(text: string | number | undefined): number | undefined {
  const n = typeof text === 'number' ? text : text === undefined ? NaN : Number(text);
  return Number.isFinite(n) ? n : undefined;
}
function int(text: string | number | undefined): number | undefined {
  const n = num(text);
  return n === undefined ? undefined : Math.round(n);
}
/** Matroska keeps stream durations in a `DURATION` tag as HH:MM:SS.fraction. */
function streamDuration(s: ProbeStream): number | undefined {
  const d = num(s.duration);
  if (d !== undefined) return d;
  const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(tag(s.tags, 'duration') ?? '');
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}
function tag(tags: Record<string, string> | undefined, name: string): string | undefined {
  for (const [k, v] of Object.entries(tags ?? {})) if (k.toLowerCase() === name) return v;
  return undefined;
}
/** Drops ffprobe's placeholders so that absent means unknown. */
function known(text: string | undefined): string | undefined {
  return text && !['unknown', 'und', 'N/A', '0:1'].includes(text) ? text : undefined;
}

/** Leaves out unknown (undefined) fields, so that absent means unknown in JSON and in tests. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The frame rate a stream is reviewed at. Interlaced streams sometimes report their field
 * rate as r_frame_rate (50 for 25i); the frame rate is then the average. A variable-rate
 * stream (r_frame_rate and avg_frame_rate differ) is given the standard rate nearest to its
 * timestamps' base or to its average, so its constant-rate proxy keeps every frame.
 */
function videoRates(s: ProbeStream): { frameRate: FrameRate; average?: FrameRate; variable: boolean } {
  let real = rate(s.r_frame_rate);
  const average = rate(s.avg_frame_rate);
  if (
    real &&
    average &&
    isInterlacedOrder(s.field_order) &&
    relativeDifference(real, { num: average.num * 2, den: average.den }) < 0.001
  )
    real = average;
  const base = real ?? average;
  if (!base) throw new MediaInputError('unreadable', `video stream ${s.index ?? '?'} has no frame rate`);
  const variable = !!real && !!average && relativeDifference(real, average) > 0.0005;
  if (!variable) return { frameRate: base, average, variable };
  const chosen =
    (real && nearestStandard(real, 0.001)) ??
    (average && nearestStandard(average, 0.02)) ??
    makeFrameRate(Math.max(1, Math.round(frameRateToNumber(average ?? base))));
  return { frameRate: chosen, average, variable };
}

function parseVideo(s: ProbeStream, fallbackDuration: number): VideoStream {
  const { frameRate, average, variable } = videoRates(s);
  const duration = streamDuration(s) ?? fallbackDuration;
  // The timeline's frames: what a constant-rate proxy of the stream holds.
  const frameCount = variable
    ? durationToFrames(duration, frameRate)
    : (int(s.nb_read_packets) ?? int(s.nb_frames) ?? durationToFrames(duration, frameRate));
  return defined({
    index: s.index ?? 0,
    codec: s.codec_name ?? 'unknown',
    profile: known(s.profile),
    width: s.width ?? 0,
    height: s.height ?? 0,
    sampleAspectRatio: known(s.sample_aspect_ratio),
    displayAspectRatio: known(s.display_aspect_ratio),
    frameRate,
    averageFrameRate: average,
    variableFrameRate: variable,
    fieldOrder: known(s.field_order),
    pixelFormat: known(s.pix_fmt),
    colorSpace: known(s.color_space),
    colorPrimaries: known(s.color_primaries),
    colorTransfer: known(s.color_transfer),
    colorRange: known(s.color_range),
    frameCount,
    bitRate: int(s.bit_rate),
    startTime: num(s.start_time),
  });
}

function parseAudio(s: ProbeStream, track: number): AudioStream {
  return defined({
    index: s.index ?? 0,
    track,
    codec: s.codec_name ?? 'unknown',
    channels: s.channels ?? 0,
    channelLayout: known(s.channel_layout),
    sampleRate: int(s.sample_rate) ?? 0,
    language: known(tag(s.tags, 'language')),
    bitRate: int(s.bit_rate),
    startTime: num(s.start_time),
  });
}

/**
 * The start timecode: from the container (MXF, MOV), the video stream, or a timecode track
 * (tmcd), in that order. Normalised ("01:00:00;00") and dropped when the rate cannot have it.
 */
function startTimecode(
  output: ProbeOutput,
  rate: FrameRate | undefined,
): { startTimecode: string; dropFrame: boolean } | undefined {
  const streams = output.streams ?? [];
  const candidates = [
    tag(output.format?.tags, 'timecode'),
    ...streams.filter((s) => s.codec_type === 'video').map((s) => tag(s.tags, 'timecode')),
    ...streams.filter((s) => s.codec_tag_string === 'tmcd').map((s) => tag(s.tags, 'timecode')),
  ];
  for (const text of candidates) {
    if (!text || !rate) continue;
    try {
      const parsed = parseTimecode(text, rate);
      return {
        startTimecode: formatTimecode(parsed.frames, rate, parsed.dropFrame),
        dropFrame: parsed.dropFrame,
      };
    } catch {
      // Not a timecode this rate can have: keep looking, or go without.
    }
  }
  return undefined;
}

/**
 * Turns ffprobe's JSON (as text or parsed) into the asset's technical metadata. Throws
 * MediaInputError for output that describes no usable media: no streams, no duration, or a
 * container that is not on the allow-list.
 */
export function parseProbe(json: string | unknown): TechnicalMetadata {
  let output: ProbeOutput;
  try {
    output = (typeof json === 'string' ? JSON.parse(json) : json) as ProbeOutput;
  } catch {
    throw new MediaInputError('unreadable', 'ffprobe did not return JSON');
  }
  const format = output?.format;
  if (!format?.format_name || !Array.isArray(output.streams)) {
    throw new MediaInputError('unreadable', 'ffprobe found no media in the file');
  }
  if (!isAllowedContainer(format.format_name)) {
    throw new MediaInputError(
      'unsupported-container',
      `the container "${format.format_name}" is not accepted`,
    );
  }
  const streams = output.streams;
  const durations = streams.map(streamDuration).filter((d): d is number => d !== undefined);
  let durationSeconds = num(format.duration) ?? 0;
  if (!(durationSeconds > 0)) durationSeconds = Math.max(0, ...durations);

  const videoStreams = streams.filter((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audioStreams = streams.filter((s) => s.codec_type === 'audio');
  if (videoStreams.length === 0 && audioStreams.length === 0) {
    throw new MediaInputError('no-streams', 'the file has neither video nor audio streams');
  }
  if (!(durationSeconds > 0)) {
    throw new MediaInputError('no-duration', 'the file has no duration: it is empty or unreadable');
  }
  const video = videoStreams.map((s) => parseVideo(s, durationSeconds));
  const timecode = startTimecode(output, video[0]?.frameRate);
  return defined({
    container: format.format_name,
    durationSeconds,
    startTime: num(format.start_time),
    bitRate: int(format.bit_rate),
    sizeBytes: num(format.size),
    ...timecode,
    video,
    audio: audioStreams.map((s, i) => parseAudio(s, i + 1)),
    subtitles: streams
      .filter((s) => s.codec_type === 'subtitle')
      .map((s) =>
        defined({
          index: s.index ?? 0,
          codec: s.codec_name ?? 'unknown',
          language: known(tag(s.tags, 'language')),
        }),
      ),
  });
}
