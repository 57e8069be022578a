import { DECODE_MAX_PIXELS } from './limits.js';
import type { AudioStream, VideoStream } from '../media.js';

/**
 * The protocols ffmpeg may open for one input, from the input's own scheme: a local path gets
 * `file` alone; a storage URL gets what reading that one URL needs (`https,tls,tcp` for
 * presigned S3 or a media URL behind TLS; `http,tcp` for a local HTTP media URL). Nothing else
 * (pipe, data:, subfile:, crypto, ftp, rtmp, ...) is ever allowed: a file cannot make the tools
 * open another file or host through a protocol its own input does not use.
 */
export function protocolWhitelist(input: string): string {
  if (/^https:/i.test(input)) return 'https,tls,tcp';
  if (/^http:/i.test(input)) return 'http,tcp';
  return 'file';
}

/**
 * Demuxers an upload may be read with. Playlists and references (hls, dash, concat, image2
 * patterns, ...) are absent: a file that names other files or URLs could make the worker read
 * them. ffmpeg enforces the list itself (`-format_whitelist`), and the probe checks it again.
 */
export const ALLOWED_DEMUXERS = [
  'mov',
  'matroska',
  'webm',
  'mxf',
  'mpegts',
  'mpeg',
  'avi',
  'asf',
  'flv',
  'gxf',
  'dv',
  'nut',
  'ivf',
  'yuv4mpegpipe',
  'ogg',
  'wav',
  'w64',
  'aiff',
  'caf',
  'mp3',
  'flac',
  'aac',
  'ac3',
  'eac3',
] as const;

/** True when one of the demuxer names ffprobe reports (`mov,mp4,m4a,...`) is allowed. */
export function isAllowedContainer(formatName: string): boolean {
  const allowed: readonly string[] = ALLOWED_DEMUXERS;
  return formatName.split(',').some((name) => allowed.includes(name.trim()));
}

/**
 * What ffmpeg is given for a path or URL. Local paths get the `file:` prefix so that a name
 * with a colon or a leading dash cannot be read as a protocol or an option.
 */
export function ffmpegUrl(pathOrUrl: string): string {
  return /^(https?|file):/i.test(pathOrUrl) ? pathOrUrl : `file:${pathOrUrl}`;
}

/** Seconds as ffmpeg reads them: fixed point, at most 6 decimals, no exponent. */
export function ffmpegSeconds(value: number): string {
  const text = value.toFixed(6).replace(/\.?0+$/, '');
  return text === '-0' ? '0' : text;
}

export interface FfmpegCommonOptions {
  /** Write `-progress` key=value blocks to stdout (see `ProgressParser`). */
  progress?: boolean;
  /** ffmpeg's log level; analysis runs need `info` to see the detectors' lines. */
  logLevel?: 'error' | 'warning' | 'info';
}

/** Options every run starts with. */
export function ffmpegGlobalArgs({
  progress = false,
  logLevel = 'error',
}: FfmpegCommonOptions = {}): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-loglevel',
    logLevel,
    ...(progress ? ['-progress', 'pipe:1'] : []),
    '-nostats',
  ];
}

/** How long a network read may stall before ffmpeg gives up (microseconds). */
export const NETWORK_TIMEOUT_US = 60_000_000;

/** The stall timeout for an input read over the network (HTTP or HTTPS), undefined for a file. */
export function networkTimeoutUs(input: string): number | undefined {
  return /^https?:/i.test(input) ? NETWORK_TIMEOUT_US : undefined;
}

/**
 * The input with its safety options: only allowed protocols and demuxers, no decoded picture
 * over DECODE_MAX_PIXELS, and a stalled network read fails instead of hanging.
 */
export function ffmpegInputArgs(input: string): string[] {
  return [
    '-protocol_whitelist',
    protocolWhitelist(input),
    '-format_whitelist',
    ALLOWED_DEMUXERS.join(','),
    '-max_pixels',
    String(DECODE_MAX_PIXELS),
    ...(networkTimeoutUs(input) ? ['-rw_timeout', String(networkTimeoutUs(input))] : []),
    '-i',
    ffmpegUrl(input),
  ];
}

/** ffprobe's field orders of interlaced video (top or bottom field first, coded and shown). */
export function isInterlacedOrder(fieldOrder: string | undefined): boolean {
  return ['tt', 'bb', 'tb', 'bt'].includes(fieldOrder ?? '');
}

export function isInterlaced(video: VideoStream): boolean {
  return isInterlacedOrder(video.fieldOrder);
}

function ratio(text: string | undefined): number | undefined {
  const m = /^(\d+):(\d+)$/.exec(text ?? '');
  const value = m ? Number(m[1]) / Number(m[2]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

export interface PictureSize {
  width: number;
  height: number;
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/**
 * The square-pixel size of a picture at most `maxHeight` lines high (never upscaled), keeping
 * the display aspect ratio (anamorphic sources are widened); both sides even, as 4:2:0 needs.
 */
export function fitSize(video: VideoStream, maxHeight: number): PictureSize {
  const displayWidth = video.width * (ratio(video.sampleAspectRatio) ?? 1);
  const height = Math.max(2, Math.floor(Math.min(maxHeight, video.height) / 2) * 2);
  return { width: even((displayWidth * height) / video.height), height };
}

/** Video timestamps from the first frame: frame 0 is at 0 s, whatever the container says. */
export const FROM_FIRST_FRAME = 'setpts=PTS-STARTPTS';

/** Deinterlacing one frame per frame (bwdif), so frame count and rate stay the source's. */
export function deinterlaceFilters(video: VideoStream): string[] {
  return isInterlaced(video) ? ['bwdif=mode=send_frame:parity=auto:deint=all'] : [];
}

/**
 * The first video filters of a full-length run: from the first frame (so a constant-rate
 * output neither pads nor drops frames at the start), deinterlaced where needed.
 */
export function videoStartFilters(video: VideoStream): string[] {
  return [FROM_FIRST_FRAME, ...deinterlaceFilters(video)];
}

/**
 * Where an audio track's first sample sits on the video's clock, in seconds: the offset between
 * the streams' start times, by which `audioSyncFilters` lines the proxies up, and by which times
 * measured from a track's first sample (the analyze service's) move onto the video's frames.
 */
export function audioOffsetSeconds(audio: AudioStream, video: VideoStream | undefined): number {
  return video?.startTime !== undefined && audio.startTime !== undefined
    ? audio.startTime - video.startTime
    : 0;
}

/**
 * Puts an audio stream on the video's clock: its first sample lands where it plays against
 * frame 0. Audio that starts before the first frame is cut, audio that starts later is
 * preceded by silence, and gaps are filled, so the proxy tracks stay in sync with the
 * video proxy (whose frame 0 is at 0 s).
 */
export function audioSyncFilters(audio: AudioStream, video: VideoStream | undefined): string[] {
  const offset = audioOffsetSeconds(audio, video);
  const shift =
    Math.abs(offset) < 0.0005 ? '' : `${offset > 0 ? '+' : '-'}${ffmpegSeconds(Math.abs(offset))}/TB`;
  return [`asetpts=PTS-STARTPTS${shift}`, 'aresample=async=1:first_pts=0'];
}
