import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetCelebrityRecognitionCommand,
  GetContentModerationCommand,
  GetFaceDetectionCommand,
  GetLabelDetectionCommand,
  GetSegmentDetectionCommand,
  GetTextDetectionCommand,
  RekognitionClient,
  StartCelebrityRecognitionCommand,
  StartContentModerationCommand,
  StartFaceDetectionCommand,
  StartLabelDetectionCommand,
  StartSegmentDetectionCommand,
  StartTextDetectionCommand,
  type NotificationChannel,
  type Video,
  type VideoJobStatus,
} from '@aws-sdk/client-rekognition';
import {
  type AnalysisTimeline,
  detectionMarkers,
  MediaInputError,
  type OutputMarker,
  segmentMarkers,
  timelineOf,
  type VideoAnalysis,
} from '@frameproof/core';
import type { StepContext, VideoAnalysisRequest, VideoAnalysisResult, VideoAnalyzer } from '../transcoder.js';
import { AwsCallError, type Backoff, call, CALL_BACKOFF, delays, FOLLOW_BACKOFF } from './calls.js';
import { bucketObject } from './mediaconvert.js';
import * as results from './rekognition-results.js';
import type { RekognitionSettings } from './settings.js';

/** Detections of the same thing up to this far apart (ms) are one span: Rekognition samples. */
export const SPAN_GAP_MS = 1500;
/** Label and moderation findings below this confidence (%) are not asked for. */
export const MIN_CONFIDENCE = 50;

/** One Get* page, in the shape every Rekognition Video Get* answers. */
interface Page<T> {
  JobStatus?: VideoJobStatus;
  StatusMessage?: string;
  NextToken?: string;
  items: T[];
}

/** How one analysis is started, read back, and turned into markers. */
interface Api<T> {
  /** The Rekognition operation, for errors. */
  operation: string;
  start(
    client: RekognitionClient,
    base: { Video: Video; NotificationChannel: NotificationChannel; JobTag: string },
  ): Promise<string | undefined>;
  page(client: RekognitionClient, JobId: string, NextToken?: string): Promise<Page<T>>;
  markers(items: T[], timeline: AnalysisTimeline): OutputMarker[];
}

const MaxResults = 1000;
const spans = { maxGapMs: SPAN_GAP_MS };

const api = <T>(a: Api<T>) => a;
/** One entry per analysis: a new analysis does not compile until it has one. */
const APIS: { [A in VideoAnalysis]: Api<unknown> } = {
  labels: api({
    operation: 'LabelDetection',
    start: async (c, base) =>
      (await c.send(new StartLabelDetectionCommand({ ...base, MinConfidence: MIN_CONFIDENCE }))).JobId,
    page: async (c, JobId, NextToken) => {
      const r = await c.send(
        new GetLabelDetectionCommand({ JobId, NextToken, MaxResults, SortBy: 'TIMESTAMP' }),
      );
      return { ...r, items: r.Labels ?? [] };
    },
    markers: (items, t) => detectionMarkers('labels', results.labelDetections(items), t, spans),
  }) as Api<unknown>,
  celebrities: api({
    operation: 'CelebrityRecognition',
    start: async (c, base) => (await c.send(new StartCelebrityRecognitionCommand(base))).JobId,
    page: async (c, JobId, NextToken) => {
      const r = await c.send(
        new GetCelebrityRecognitionCommand({ JobId, NextToken, MaxResults, SortBy: 'TIMESTAMP' }),
      );
      return { ...r, items: r.Celebrities ?? [] };
    },
    markers: (items, t) => detectionMarkers('celebrities', results.celebrityDetections(items), t, spans),
  }) as Api<unknown>,
  faces: api({
    operation: 'FaceDetection',
    start: async (c, base) =>
      (await c.send(new StartFaceDetectionCommand({ ...base, FaceAttributes: 'DEFAULT' }))).JobId,
    page: async (c, JobId, NextToken) => {
      const r = await c.send(new GetFaceDetectionCommand({ JobId, NextToken, MaxResults }));
      return { ...r, items: r.Faces ?? [] };
    },
    markers: (items, t) => detectionMarkers('faces', results.faceDetections(items), t, spans),
  }) as Api<unknown>,
  text: api({
    operation: 'TextDetection',
    start: async (c, base) => (await c.send(new StartTextDetectionCommand(base))).JobId,
    page: async (c, JobId, NextToken) => {
      const r = await c.send(new GetTextDetectionCommand({ JobId, NextToken, MaxResults }));
      return { ...r, items: r.TextDetections ?? [] };
    },
    markers: (items, t) => detectionMarkers('text', results.textDetections(items), t, spans),
  }) as Api<unknown>,
  moderation: api({
    operation: 'ContentModeration',
    start: async (c, base) =>
      (await c.send(new StartContentModerationCommand({ ...base, MinConfidence: MIN_CONFIDENCE }))).JobId,
    page: async (c, JobId, NextToken) => {
      const r = await c.send(
        new GetContentModerationCommand({ JobId, NextToken, MaxResults, SortBy: 'TIMESTAMP' }),
      );
      return { ...r, items: r.ModerationLabels ?? [] };
    },
    markers: (items, t) => detectionMarkers('moderation', results.moderationDetections(items), t, spans),
  }) as Api<unknown>,
  segments: api({
    operation: 'SegmentDetection',
    start: async (c, base) =>
      (await c.send(new StartSegmentDetectionCommand({ ...base, SegmentTypes: ['TECHNICAL_CUE', 'SHOT'] })))
        .JobId,
    page: async (c, JobId, NextToken) => {
      const r = await c.send(new GetSegmentDetectionCommand({ JobId, NextToken, MaxResults }));
      return { ...r, items: r.Segments ?? [] };
    },
    markers: (items, t) => segmentMarkers(results.segments(items), t),
  }) as Api<unknown>,
};

export interface RekognitionOptions {
  settings: RekognitionSettings;
  /** The client to use (tests pass a mocked one); else one for the settings' region. */
  client?: RekognitionClient;
  follow?: Backoff;
  retry?: Backoff;
}

/**
 * Rekognition Video on the video proxy in S3: each analysis is started with the deployment's
 * SNS topic and role, followed to completion by polling its Get* with backoff, read through
 * every page, and turned into markers on its own row, in frames at the asset's rate.
 */
export class RekognitionAnalyzer implements VideoAnalyzer {
  readonly name = 'rekognition';
  readonly client: RekognitionClient;
  private readonly follow: Backoff;
  private readonly retry: Backoff;

  constructor(private readonly options: RekognitionOptions) {
    this.client = options.client ?? new RekognitionClient({ region: options.settings.region });
    this.follow = options.follow ?? FOLLOW_BACKOFF;
    this.retry = options.retry ?? CALL_BACKOFF;
  }

  async analyzeVideo(r: VideoAnalysisRequest, ctx: StepContext): Promise<VideoAnalysisResult> {
    const timeline = timelineOf(r.technical);
    if (!timeline.frameRate || timeline.durationFrames === null)
      throw new MediaInputError('no-video', 'the asset has no timeline to put markers on');
    const t = { frameRate: timeline.frameRate, frameCount: timeline.durationFrames };
    const object = bucketObject(ctx.storage, r.source.key);
    const base = {
      Video: { S3Object: { Bucket: object.bucket, Name: object.key } },
      NotificationChannel: {
        SNSTopicArn: this.options.settings.snsTopicArn,
        RoleArn: this.options.settings.roleArn,
      },
      JobTag: 'frameproof',
    };
    let done = 0;
    ctx.reportProgress({ percent: 0 });
    // All at once: Rekognition runs them side by side (too many at once is throttled, and retried).
    const outcomes = await Promise.all(
      r.analyses.map(async (analysis) => {
        const a = APIS[analysis];
        const jobId = await call(
          `Rekognition Start${a.operation}`,
          () => a.start(this.client, base),
          ctx.signal,
          this.retry,
        );
        if (!jobId) throw new AwsCallError(`Rekognition Start${a.operation} answered without a job id`, true);
        const items = await this.read(a, jobId, ctx);
        ctx.reportProgress({ percent: (++done * 100) / r.analyses.length });
        return { analysis, jobId, markers: a.markers(items, t), detections: items.length };
      }),
    );
    return {
      markers: outcomes.flatMap((o) => o.markers),
      metadata: {
        engine: 'rekognition',
        source: r.source.key,
        jobs: Object.fromEntries(outcomes.map((o) => [o.analysis, o.jobId])),
        detections: Object.fromEntries(outcomes.map((o) => [o.analysis, o.detections])),
        markers: Object.fromEntries(outcomes.map((o) => [o.analysis, o.markers.length])),
      },
    };
  }

  /** Polls Get* with backoff until the job has ended, then reads every page of its results. */
  private async read<T>(a: Api<T>, jobId: string, ctx: StepContext): Promise<T[]> {
    const get = (token?: string) =>
      call(`Rekognition Get${a.operation}`, () => a.page(this.client, jobId, token), ctx.signal, this.retry);
    const waits = delays(this.follow);
    let page = await get();
    while (page.JobStatus === 'IN_PROGRESS') {
      await sleep(waits.next().value, undefined, { signal: ctx.signal });
      page = await get();
    }
    if (page.JobStatus !== 'SUCCEEDED')
      // A failed analysis is about the video (format, codec, size): running it again fails again.
      throw new AwsCallError(
        `Rekognition ${a.operation} job ${jobId} ${page.JobStatus === 'FAILED' ? 'failed' : `ended ${page.JobStatus ?? 'without a status'}`}: ${page.StatusMessage ?? 'no message'}`,
        false,
      );
    const items = [...page.items];
    while (page.NextToken) {
      page = await get(page.NextToken);
      items.push(...page.items);
    }
    return items;
  }
}
