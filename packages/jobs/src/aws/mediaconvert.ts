import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pipeline } from 'node:stream/promises';
import {
  CancelJobCommand,
  CreateJobCommand,
  GetJobCommand,
  type Job,
  MediaConvertClient,
} from '@aws-sdk/client-mediaconvert';
import {
  audioProxyMetadata,
  type FfmpegCapabilities,
  proxyMismatch,
  type TechnicalMetadata,
  videoProxyMetadata,
} from '@frameproof/core';
import type { BucketObject, Storage } from '@frameproof/storage';
import type { FfmpegRunner } from '@frameproof/media-kit';
import {
  type AudioProxyRequest,
  LocalTranscoder,
  type Rendition,
  type StepContext,
  type StoredFile,
  type VideoProxyRequest,
} from '../transcoder.js';
import { type Backoff, call, CALL_BACKOFF, delays, FOLLOW_BACKOFF } from './calls.js';
import { jobFailure, jobPercent, MediaConvertJobError, proxyJobRequest } from './mediaconvert-job.js';
import type { MediaConvertSettings } from './settings.js';

export interface MediaConvertOptions {
  settings: MediaConvertSettings;
  /** The client to use (tests pass a mocked one); else one for the settings' region and endpoint. */
  client?: MediaConvertClient;
  /** Waits between GetJob calls, and between tries of a throttled call. */
  follow?: Backoff;
  retry?: Backoff;
}

/** Where an AWS service finds `key`; a folder here has no such place. */
export function bucketObject(storage: Storage, key: string): BucketObject {
  const object = storage.bucketObject(key);
  if (!object)
    throw new MediaConvertJobError(
      `AWS services read and write S3 only; the ${storage.kind} storage at ${storage.location} is not (set STORAGE_URL to s3://...)`,
      false,
    );
  return object;
}

/** A stored object's size and sha256, read back from storage. */
async function describeStored(storage: Storage, key: string, mimeType: string): Promise<StoredFile> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(await storage.read(key), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      size += chunk.length;
      hash.update(chunk);
    }
  });
  return { key, size, checksum: `sha256:${hash.digest('hex')}`, mimeType };
}

/**
 * Video and audio proxies made by AWS Elemental MediaConvert from the original in S3, with the
 * deployment's presets, role and queue; each proxy is then probed through a presigned URL and
 * must match its source frame for frame. Everything else (probe, subtitles, poster, sprites,
 * Auto QC) stays with ffmpeg here.
 */
export class MediaConvertTranscoder extends LocalTranscoder {
  override readonly name = 'mediaconvert';
  readonly client: MediaConvertClient;
  private readonly settings: MediaConvertSettings;
  private readonly follow: Backoff;
  private readonly retry: Backoff;

  constructor(ffmpeg: FfmpegRunner, capabilities: FfmpegCapabilities, options: MediaConvertOptions) {
    super(ffmpeg, capabilities);
    this.settings = options.settings;
    this.follow = options.follow ?? FOLLOW_BACKOFF;
    this.retry = options.retry ?? CALL_BACKOFF;
    this.client =
      options.client ??
      new MediaConvertClient({
        region: options.settings.region,
        ...(options.settings.endpoint ? { endpoint: options.settings.endpoint } : {}),
      });
  }

  override async videoProxy(r: VideoProxyRequest, ctx: StepContext): Promise<Rendition> {
    const job = await this.transcode(ctx, {
      input: bucketObject(ctx.storage, r.source.key),
      output: bucketObject(ctx.storage, r.outputKey),
      // The probe decides: a source without sound gets a preset that asks for none.
      preset: r.audio ? this.settings.proxyPreset : this.settings.videoOnlyPreset,
      audioTrack: r.audio?.track,
      step: 'video-proxy',
    });
    const proxy = await this.probeOutput(r.outputKey, ctx);
    const made = proxy.video[0];
    const mismatch = proxyMismatch(r.video, made);
    if (mismatch || !made)
      throw new MediaConvertJobError(
        `MediaConvert job ${job.Id ?? '?'} made a proxy that is not frame-exact: ${mismatch ?? 'no video'} (check MEDIACONVERT_PROXY_PRESET and MEDIACONVERT_VIDEO_ONLY_PRESET)`,
        false,
      );
    return {
      files: [await describeStored(ctx.storage, r.outputKey, 'video/mp4')],
      metadata: {
        ...videoProxyMetadata({ video: r.video, audio: r.audio, maxHeight: r.maxHeight }),
        width: made.width,
        height: made.height,
        frames: made.frameCount ?? null,
        videoCodec: made.codec,
        audioCodec: proxy.audio[0]?.codec ?? null,
        engine: 'mediaconvert',
        mediaConvertJobId: job.Id ?? null,
      },
      technical: proxy,
    };
  }

  override async audioProxy(r: AudioProxyRequest, ctx: StepContext): Promise<Rendition> {
    const job = await this.transcode(ctx, {
      input: bucketObject(ctx.storage, r.source.key),
      output: bucketObject(ctx.storage, r.outputKey),
      preset: this.settings.audioPreset,
      audioTrack: r.audio.track,
      step: `audio-proxy ${r.audio.track}`,
    });
    const proxy = await this.probeOutput(r.outputKey, ctx);
    const audio = proxy.audio[0];
    // The player switches tracks as separate MP4 files; anything else would not play beside the video.
    if (!audio || proxy.video.length || !/\bmp4\b|\bmov\b/.test(proxy.container))
      throw new MediaConvertJobError(
        `MediaConvert job ${job.Id ?? '?'} made ${proxy.container} with ${proxy.video.length} video and ${proxy.audio.length} audio streams; MEDIACONVERT_AUDIO_PRESET must make one audio stream in MP4`,
        false,
      );
    return {
      files: [await describeStored(ctx.storage, r.outputKey, 'audio/mp4')],
      metadata: {
        ...audioProxyMetadata(r.audio),
        codec: audio.codec,
        channels: audio.channels,
        sampleRate: audio.sampleRate,
        engine: 'mediaconvert',
        mediaConvertJobId: job.Id ?? null,
      },
    };
  }

  /** What ffprobe reads in an output, through a presigned URL. */
  private probeOutput(key: string, ctx: StepContext): Promise<TechnicalMetadata> {
    return this.probe({ source: { key } }, ctx);
  }

  /**
   * Creates the job and follows it to the end: its percent becomes the job's progress; ERROR and
   * CANCELED become errors that say whether running again can help. A job this worker gives up
   * (cancelled, lease lost, stopping) is cancelled in MediaConvert too.
   */
  private async transcode(
    ctx: StepContext,
    o: { input: BucketObject; output: BucketObject; preset: string; audioTrack?: number; step: string },
  ): Promise<Job> {
    const request = proxyJobRequest({
      settings: this.settings,
      ...o,
      userMetadata: { application: 'frameproof', step: o.step, source: o.input.key },
    });
    const created = await call(
      'MediaConvert CreateJob',
      () => this.client.send(new CreateJobCommand(request)),
      ctx.signal,
      this.retry,
    );
    const id = created.Job?.Id;
    if (!id) throw new MediaConvertJobError('MediaConvert CreateJob answered without a job id', true);
    ctx.reportProgress({ percent: 0 });
    const waits = delays(this.follow);
    try {
      for (;;) {
        await sleep(waits.next().value, undefined, { signal: ctx.signal });
        const { Job: job } = await call(
          'MediaConvert GetJob',
          () => this.client.send(new GetJobCommand({ Id: id })),
          ctx.signal,
          this.retry,
        );
        if (!job) throw new MediaConvertJobError(`MediaConvert GetJob ${id} answered without the job`, true);
        if (job.Status === 'COMPLETE') {
          ctx.reportProgress({ percent: 100 });
          return job;
        }
        if (job.Status === 'ERROR' || job.Status === 'CANCELED') throw jobFailure(job);
        ctx.reportProgress({ percent: jobPercent(job) });
      }
    } catch (err) {
      if (ctx.signal.aborted) await this.client.send(new CancelJobCommand({ Id: id })).catch(() => undefined);
      throw err;
    }
  }
}
