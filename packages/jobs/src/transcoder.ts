import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  type AudioStream,
  AutoQcLog,
  type VideoQcFindings,
  type FfmpegCapabilities,
  type FfmpegProgress,
  MediaInputError,
  type OutputMarker,
  type VideoAnalysis,
  type StorageRef,
  type SubtitleStreamInfo,
  type TechnicalMetadata,
  type VideoStream,
  OUTPUT_FILES,
  audioProxyArgs,
  audioProxyMetadata,
  autoQcArgs,
  checkMediaSignature,
  ffmpegUrl,
  frameToSeconds,
  outputKey,
  parseProbe,
  parseSubtitles,
  posterArgs,
  posterFrame,
  posterMetadata,
  probeArgs,
  SNIFF_BYTES,
  spriteArgs,
  spriteLayout,
  spriteVtt,
  subtitleExtractArgs,
  textSubtitleStreams,
  toWebVtt,
  videoProxyArgs,
  videoProxyMetadata,
} from '@frameproof/core';
import type { Storage } from '@frameproof/storage';
import type { FfmpegRunner, RunOptions } from '@frameproof/media-kit';

/** Percent done (0-100) and, when known, seconds left. */
export interface JobProgress {
  percent: number;
  etaSeconds?: number;
}

/** What a step may use: storage, a scratch folder (removed after the job), cancellation. */
export interface StepContext {
  storage: Storage;
  /** Local scratch space; the runner removes it when the job ends. */
  tmpDir: string;
  signal: AbortSignal;
  reportProgress: (progress: JobProgress) => void;
}

/** A stored file as a job result lists it. */
export interface StoredFile {
  key: string;
  size: number;
  /** `sha256:<hex>` of the bytes. */
  checksum: string;
  mimeType: string;
}

/** Files written to storage, and what to record about them on the shape. */
export interface Rendition {
  files: StoredFile[];
  metadata: Record<string, unknown>;
  /** What ffprobe read in the file made, when the transcoder probed it anyway. */
  technical?: TechnicalMetadata;
}

/** What the video detectors found; audio is measured by the analyze service. */
export interface Analysis {
  findings: VideoQcFindings;
  metadata: Record<string, unknown>;
}

interface SourceRequest {
  source: StorageRef;
}
export interface VideoProxyRequest extends SourceRequest {
  outputKey: string;
  technical: TechnicalMetadata;
  video: VideoStream;
  audio?: AudioStream;
  maxHeight: number;
}
export interface AudioProxyRequest extends SourceRequest {
  outputKey: string;
  technical: TechnicalMetadata;
  audio: AudioStream;
  video?: VideoStream;
}
export interface ThumbnailsRequest extends SourceRequest {
  technical: TechnicalMetadata;
  video: VideoStream;
}
export interface PosterRequest extends ThumbnailsRequest {
  outputKey: string;
}
export interface SpritesRequest extends ThumbnailsRequest {
  /** Sheets and their WebVTT index go under this prefix. */
  outputPrefix: string;
  intervalSeconds: number;
}
export interface AnalysisRequest extends SourceRequest {
  technical: TechnicalMetadata;
  video: VideoStream;
}

export interface SubtitlesRequest extends SourceRequest {
  technical: TechnicalMetadata;
  /** One WebVTT file per text subtitle stream goes under this prefix: `1.vtt`, `2.vtt`... */
  outputPrefix: string;
}
/** A text subtitle stream of the source, converted to WebVTT and stored. */
export interface SubtitleRendition {
  stream: SubtitleStreamInfo;
  cues: number;
  file: StoredFile;
}

/**
 * The media steps, apart from where they run: ffmpeg on this machine now; AWS MediaConvert
 * (proxies) and Rekognition (shots) can implement the same steps later. Each step reads its
 * source from storage and writes its outputs to the keys it is given.
 */
export interface Transcoder {
  readonly name: string;
  probe(request: SourceRequest, ctx: StepContext): Promise<TechnicalMetadata>;
  videoProxy(request: VideoProxyRequest, ctx: StepContext): Promise<Rendition>;
  audioProxy(request: AudioProxyRequest, ctx: StepContext): Promise<Rendition>;
  poster(request: PosterRequest, ctx: StepContext): Promise<Rendition>;
  sprites(request: SpritesRequest, ctx: StepContext): Promise<Rendition>;
  analyze(request: AnalysisRequest, ctx: StepContext): Promise<Analysis>;
  subtitles(request: SubtitlesRequest, ctx: StepContext): Promise<SubtitleRendition[]>;
}

export interface VideoAnalysisRequest extends SourceRequest {
  technical: TechnicalMetadata;
  analyses: VideoAnalysis[];
}
export interface VideoAnalysisResult {
  /** Each on its analysis's row (`group`), in frames on the asset's timeline. */
  markers: OutputMarker[];
  metadata: Record<string, unknown>;
}

/**
 * Video analysis (labels, faces, shots...) by a service: Rekognition Video on AWS. Locally there
 * is none, and ingest plans no such step.
 */
export interface VideoAnalyzer {
  readonly name: string;
  analyzeVideo(request: VideoAnalysisRequest, ctx: StepContext): Promise<VideoAnalysisResult>;
}

/** Hashes a local file and puts it in storage under `key`. */
export async function storeFile(
  storage: Storage,
  key: string,
  path: string,
  mimeType: string,
): Promise<StoredFile> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  const { size } = await storage.putFile(key, path, mimeType);
  return { key, size, checksum: `sha256:${hash.digest('hex')}`, mimeType };
}

/** The first `length` bytes of `key` (one ranged read: a GET with Range on S3). */
async function head(storage: Storage, key: string, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await storage.read(key, { start: 0, end: length - 1 }))
    chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).subarray(0, length);
}

/** ffmpeg ends well when it could decode nothing: an empty output means unreadable input. */
async function requireOutput(path: string, what: string): Promise<void> {
  const size = (await stat(path).catch(() => undefined))?.size ?? 0;
  if (size === 0)
    throw new MediaInputError('unreadable', `no ${what} could be made: nothing in the file could be decoded`);
}

/** The duration a video stream's frames cover. */
function videoSeconds(technical: TechnicalMetadata, video: VideoStream): number {
  return video.frameCount ? frameToSeconds(video.frameCount, video.frameRate) : technical.durationSeconds;
}

/** Presigned source URLs live as long as the longest job may read them. */
const INPUT_URL_SECONDS = 6 * 3600;

/**
 * What ffmpeg can open for `key`: the file itself when the storage is a folder here, else a
 * short-lived direct URL (presigned S3, read with Range requests).
 */
export async function ffmpegInput(storage: Storage, key: string): Promise<string> {
  const input = storage.localPath(key) ?? (await storage.directUrl(key, INPUT_URL_SECONDS));
  if (!input) throw new Error(`the ${storage.kind} storage gives ffmpeg no way to read "${key}"`);
  return input;
}

/** Errors quote the input; a presigned URL or a local path is replaced by the storage key. */
const redact = (input: string, key: string) => (err: unknown) => {
  if (err instanceof Error)
    err.message = err.message.split(ffmpegUrl(input)).join(key).split(input).join(key);
  throw err;
};

/** ffmpeg on this machine, reading inputs where `ffmpegInput` says. */
export class LocalTranscoder implements Transcoder {
  readonly name: string = 'ffmpeg';

  constructor(
    protected readonly ffmpeg: FfmpegRunner,
    protected readonly capabilities: FfmpegCapabilities,
  ) {}

  /** Runs ffmpeg with progress reported to the job, and the input's URL kept out of errors. */
  private async run(
    args: (input: string) => string[],
    source: StorageRef,
    ctx: StepContext,
    durationSeconds: number,
    extra: RunOptions = {},
  ) {
    const input = await ffmpegInput(ctx.storage, source.key);
    return this.ffmpeg
      .ffmpeg(args(input), {
        signal: ctx.signal,
        durationSeconds,
        onProgress: (p: FfmpegProgress) =>
          ctx.reportProgress({ percent: p.percent, etaSeconds: p.etaSeconds }),
        ...extra,
      })
      .catch(redact(input, source.key));
  }

  async probe(request: SourceRequest, ctx: StepContext): Promise<TechnicalMetadata> {
    const stat = await ctx.storage.stat(request.source.key);
    if (!stat)
      throw new MediaInputError('unreadable', `the source "${request.source.key}" is not in storage`);
    if (stat.size === 0) throw new MediaInputError('unreadable', 'the file is empty (0 bytes)');
    checkMediaSignature(await head(ctx.storage, request.source.key, Math.min(stat.size, SNIFF_BYTES)));
    const input = await ffmpegInput(ctx.storage, request.source.key);
    const { stdout } = await this.ffmpeg
      .ffprobe(probeArgs(input), { signal: ctx.signal })
      .catch(redact(input, request.source.key));
    const technical = parseProbe(stdout);
    return { ...technical, sizeBytes: technical.sizeBytes ?? stat.size };
  }

  /**
   * The text subtitle streams (mov_text, SubRip, WebVTT) as WebVTT files, in one pass over the
   * source. Subtitles are extra: a stream ffmpeg cannot convert, or whose cues do not parse, is
   * left out rather than failing the ingest.
   */
  async subtitles(r: SubtitlesRequest, ctx: StepContext): Promise<SubtitleRendition[]> {
    const streams = textSubtitleStreams(r.technical);
    if (!streams.length) return [];
    const outputs = streams.map((s, i) => ({
      streamIndex: s.index,
      output: join(ctx.tmpDir, `subtitle-${i + 1}.vtt`),
    }));
    try {
      await this.run(
        (input) => subtitleExtractArgs({ input, outputs }),
        r.source,
        ctx,
        r.technical.durationSeconds,
      );
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      return [];
    }
    const renditions: SubtitleRendition[] = [];
    for (const [i, stream] of streams.entries()) {
      const n = i + 1;
      const text = await readFile(join(ctx.tmpDir, `subtitle-${n}.vtt`), 'utf8').catch(() => '');
      // ffmpeg writes cue text as the stream had it (a bare "&", say): parse and write it again.
      const cues = await parseSubtitles(text, 'vtt').catch(() => undefined);
      if (!cues) continue;
      const path = join(ctx.tmpDir, `subtitle-${n}.clean.vtt`);
      await writeFile(path, toWebVtt(cues));
      const file = await storeFile(
        ctx.storage,
        `${r.outputPrefix.replace(/\/+$/, '')}/${n}.vtt`,
        path,
        'text/vtt',
      );
      renditions.push({ stream, cues: cues.length, file });
    }
    return renditions;
  }

  async videoProxy(r: VideoProxyRequest, ctx: StepContext): Promise<Rendition> {
    const output = join(ctx.tmpDir, OUTPUT_FILES.videoProxy);
    const args = (input: string) =>
      videoProxyArgs({
        input,
        output,
        video: r.video,
        audio: r.audio,
        maxHeight: r.maxHeight,
        capabilities: this.capabilities,
        progress: true,
      });
    const { progress } = await this.run(args, r.source, ctx, videoSeconds(r.technical, r.video));
    if (progress?.frame === 0) throw new MediaInputError('unreadable', 'no video frames could be decoded');
    await requireOutput(output, 'video proxy');
    return {
      files: [await storeFile(ctx.storage, r.outputKey, output, 'video/mp4')],
      metadata: videoProxyMetadata({ video: r.video, audio: r.audio, maxHeight: r.maxHeight, progress }),
    };
  }

  async audioProxy(r: AudioProxyRequest, ctx: StepContext): Promise<Rendition> {
    const output = join(ctx.tmpDir, OUTPUT_FILES.audioProxy);
    const args = (input: string) =>
      audioProxyArgs({ input, output, audio: r.audio, video: r.video, progress: true });
    await this.run(args, r.source, ctx, r.technical.durationSeconds);
    await requireOutput(output, 'audio proxy');
    return {
      files: [await storeFile(ctx.storage, r.outputKey, output, 'audio/mp4')],
      metadata: audioProxyMetadata(r.audio),
    };
  }

  async poster(r: PosterRequest, ctx: StepContext): Promise<Rendition> {
    const output = join(ctx.tmpDir, OUTPUT_FILES.poster);
    const frame = posterFrame(r.video);
    const args = (input: string) => posterArgs({ input, output, video: r.video, frame });
    await this.run(args, r.source, ctx, 0);
    await requireOutput(output, 'poster');
    return {
      files: [await storeFile(ctx.storage, r.outputKey, output, 'image/jpeg')],
      metadata: posterMetadata(r.video, frame),
    };
  }

  async sprites(r: SpritesRequest, ctx: StepContext): Promise<Rendition> {
    const dir = join(ctx.tmpDir, 'sprites');
    await mkdir(dir, { recursive: true });
    const layout = spriteLayout(r.video, r.technical.durationSeconds, r.intervalSeconds);
    const args = (input: string) =>
      spriteArgs({
        input,
        outputDir: dir,
        video: r.video,
        layout,
        capabilities: this.capabilities,
        progress: true,
      });
    await this.run(args, r.source, ctx, videoSeconds(r.technical, r.video));
    const made = (await readdir(dir)).filter((name) => /^sprite-\d+\.jpg$/.test(name)).sort();
    if (made.length === 0) await requireOutput(join(dir, OUTPUT_FILES.spriteSheet(1)), 'thumbnails');
    const vttPath = join(ctx.tmpDir, OUTPUT_FILES.spriteIndex);
    await writeFile(vttPath, spriteVtt(layout, r.technical.durationSeconds, made.length));
    const index = outputKey(r.outputPrefix, OUTPUT_FILES.spriteIndex);
    const files = [await storeFile(ctx.storage, index, vttPath, 'text/vtt')];
    for (let n = 1; n <= Math.min(made.length, layout.sheets); n++) {
      const name = OUTPUT_FILES.spriteSheet(n);
      const sheet = outputKey(r.outputPrefix, name);
      files.push(await storeFile(ctx.storage, sheet, join(dir, name), 'image/jpeg'));
    }
    return { files, metadata: { ...layout, sheets: files.length - 1 } };
  }

  async analyze(r: AnalysisRequest, ctx: StepContext): Promise<Analysis> {
    const log = new AutoQcLog();
    const args = (input: string) =>
      autoQcArgs({ input, video: r.video, capabilities: this.capabilities, progress: true });
    await this.run(args, r.source, ctx, videoSeconds(r.technical, r.video), {
      onStderrLine: (line) => log.push(line),
    });
    return {
      findings: log.findings(),
      metadata: {
        shotDetector: this.capabilities.scdet ? 'scdet' : 'select-scene',
        videoStream: r.video.index,
      },
    };
  }
}
