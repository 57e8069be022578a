import { formatFrameRate, nominalFps } from '../frame-rate.js';
import type { AudioStream, VideoStream } from '../media.js';
import type { FfmpegProgress } from './progress.js';
import { type FfmpegCapabilities, fpsModeArgs } from './capabilities.js';
import {
  type PictureSize,
  audioSyncFilters,
  isInterlaced,
  fitSize,
  ffmpegGlobalArgs,
  ffmpegInputArgs,
  ffmpegUrl,
  videoStartFilters,
} from './input.js';

export interface VideoProxyOptions {
  /** A local path or an HTTPS URL (what the jobs' `ffmpegInput` gives). */
  input: string;
  /** A local path; the file is MP4 whatever its name. */
  output: string;
  video: VideoStream;
  /** The stream to mix into the proxy (the first audio stream), if any. */
  audio?: AudioStream;
  maxHeight: number;
  capabilities: FfmpegCapabilities;
  progress?: boolean;
}

/** Peak video bit rate of a proxy: enough for review at its size, capped for streaming. */
export function proxyVideoKbps(size: PictureSize, fps: number): number {
  const base =
    size.height <= 360
      ? 1000
      : size.height <= 576
        ? 2000
        : size.height <= 720
          ? 3000
          : size.height <= 1080
            ? 5000
            : 10000;
  return fps > 30 ? Math.round(base * 1.5) : base;
}

/** What every proxy is made of; the result metadata below names the same values. */
export const PROXY_FORMAT = { videoCodec: 'h264', audioCodec: 'aac', audioSampleRate: 48000 } as const;

/** AAC-LC at 48 kHz, which every browser plays: 128 kb/s stereo, 96 kb/s mono. */
function aacArgs(channels: 1 | 2): string[] {
  return [
    '-c:a',
    PROXY_FORMAT.audioCodec,
    '-b:a',
    channels === 1 ? '96k' : '128k',
    '-ac',
    String(channels),
    '-ar',
    String(PROXY_FORMAT.audioSampleRate),
  ];
}

/** What the proxies keep of the source: no tags, chapters or timecode tracks. */
const MP4_TAIL = ['-map_metadata', '-1', '-map_chapters', '-1', '-movflags', '+faststart', '-f', 'mp4'];

/**
 * H.264/AAC MP4 for frame-accurate review in a browser:
 * - exactly the source's frames: constant rate at the source's rational rate, timestamps from
 *   the first frame, so a constant-rate source gives as many frames as it has (no drops, no
 *   duplicates); interlaced sources are deinterlaced one frame per frame (bwdif);
 * - a closed GOP of one second with no scene-cut keyframes, so seeking to any frame decodes
 *   at most a second of video;
 * - at most `maxHeight` lines, square pixels, even sides, 8-bit 4:2:0 (High profile);
 * - CRF 23 with a peak rate (`proxyVideoKbps`), `veryfast` preset: quick to make, good enough
 *   to judge;
 * - the first audio track, on the video's clock, as AAC stereo 48 kHz; +faststart so that
 *   playback starts before the download ends.
 */
export function videoProxyArgs(o: VideoProxyOptions): string[] {
  const size = fitSize(o.video, o.maxHeight);
  const fps = Math.max(1, nominalFps(o.video.frameRate));
  const kbps = proxyVideoKbps(size, fps);
  const videoChain = [
    ...videoStartFilters(o.video),
    `scale=${size.width}:${size.height}:flags=bicubic`,
    'setsar=1',
    'format=yuv420p',
  ];
  const graph = [`[0:${o.video.index}]${videoChain.join(',')}[v]`];
  if (o.audio) graph.push(`[0:${o.audio.index}]${audioSyncFilters(o.audio, o.video).join(',')}[a]`);
  return [
    ...ffmpegGlobalArgs({ progress: o.progress }),
    ...ffmpegInputArgs(o.input),
    '-filter_complex',
    graph.join(';'),
    '-map',
    '[v]',
    ...(o.audio ? ['-map', '[a]'] : []),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-profile:v',
    'high',
    '-crf',
    '23',
    '-maxrate',
    `${kbps}k`,
    '-bufsize',
    `${kbps * 2}k`,
    '-r',
    formatFrameRate(o.video.frameRate),
    ...fpsModeArgs(o.capabilities, 'cfr'),
    '-g',
    String(fps),
    '-keyint_min',
    String(fps),
    '-sc_threshold',
    '0',
    '-flags',
    '+cgop',
    ...(o.audio ? aacArgs(2) : []),
    ...MP4_TAIL,
    ffmpegUrl(o.output),
  ];
}

export interface AudioProxyOptions {
  input: string;
  /** A local path; the file is MP4 audio (.m4a). */
  output: string;
  audio: AudioStream;
  /** The video the track plays against, to put the track on its clock. */
  video?: VideoStream;
  progress?: boolean;
}

/** Mono stays mono; stereo and wider become stereo (a browser plays two channels anyway). */
export function audioProxyChannels(audio: AudioStream): 1 | 2 {
  return audio.channels === 1 ? 1 : 2;
}

/**
 * One source audio stream as AAC in MP4 (.m4a), aligned with the video proxy so the player can
 * switch tracks in sync. Channels: see `audioProxyChannels`; the source's channel count stays
 * in the technical metadata.
 */
export function audioProxyArgs(o: AudioProxyOptions): string[] {
  return [
    ...ffmpegGlobalArgs({ progress: o.progress }),
    ...ffmpegInputArgs(o.input),
    '-filter_complex',
    `[0:${o.audio.index}]${audioSyncFilters(o.audio, o.video).join(',')}[a]`,
    '-map',
    '[a]',
    ...aacArgs(audioProxyChannels(o.audio)),
    ...MP4_TAIL,
    ffmpegUrl(o.output),
  ];
}

/** What a video proxy's shape records: what `videoProxyArgs` made, and what ffmpeg reported. */
export function videoProxyMetadata(o: {
  video: VideoStream;
  audio?: AudioStream;
  maxHeight: number;
  progress?: FfmpegProgress;
}): Record<string, unknown> {
  const size = fitSize(o.video, o.maxHeight);
  return {
    width: size.width,
    height: size.height,
    frameRate: formatFrameRate(o.video.frameRate),
    frames: o.progress?.frame ?? null,
    sourceFrames: o.video.frameCount ?? null,
    duplicatedFrames: o.progress?.dupFrames ?? null,
    droppedFrames: o.progress?.dropFrames ?? null,
    videoCodec: PROXY_FORMAT.videoCodec,
    audioCodec: o.audio ? PROXY_FORMAT.audioCodec : null,
    audioTrack: o.audio?.track ?? null,
    deinterlaced: isInterlaced(o.video),
  };
}

/** What an audio proxy's shape records: what `audioProxyArgs` made of the source stream. */
export function audioProxyMetadata(audio: AudioStream): Record<string, unknown> {
  return {
    codec: PROXY_FORMAT.audioCodec,
    channels: audioProxyChannels(audio),
    sourceChannels: audio.channels,
    sourceChannelLayout: audio.channelLayout ?? null,
    sampleRate: PROXY_FORMAT.audioSampleRate,
    streamIndex: audio.index,
    language: audio.language ?? null,
  };
}

/**
 * Why a proxy made elsewhere (MediaConvert) is not frame for frame its source, or undefined when
 * it is: a video stream at the same rational frame rate with the same number of frames (when
 * the source's is known). Both are as the probe reads them.
 */
export function proxyMismatch(source: VideoStream, proxy: VideoStream | undefined): string | undefined {
  if (!proxy) return 'the proxy has no video stream';
  const a = source.frameRate;
  const b = proxy.frameRate;
  if (a.num * b.den !== b.num * a.den)
    return `the proxy runs at ${formatFrameRate(proxy.frameRate)} fps, the source at ${formatFrameRate(source.frameRate)}`;
  if (source.frameCount !== undefined && proxy.frameCount !== source.frameCount)
    return `the proxy has ${proxy.frameCount ?? 'an unknown number of'} frames, the source ${source.frameCount}`;
  return undefined;
}
