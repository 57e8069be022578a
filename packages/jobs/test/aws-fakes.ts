// Stand-ins for the AWS media services, on mocked SDK clients (aws-sdk-client-mock), answering
// with bodies shaped as the API references show them. The MediaConvert stand-in makes real
// outputs: it runs this package's ffmpeg builders on the original in the S3-protocol test server
// and writes the proxy where the job's destination says, so the frame-count check runs for real.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BadRequestException,
  CancelJobCommand,
  CreateJobCommand,
  type CreateJobCommandInput,
  GetJobCommand,
  type Job,
  MediaConvertClient,
  TooManyRequestsException,
} from '@aws-sdk/client-mediaconvert';
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
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import type { S3Storage } from '@frameproof/storage';
import type { MediaConvertSettings } from '../src/aws/settings.js';
import type { LocalTranscoder } from '../src/transcoder.js';

export const MEDIACONVERT_SETTINGS: MediaConvertSettings = {
  region: 'eu-west-1',
  roleArn: 'arn:aws:iam::111122223333:role/frameproof-MediaConvertRole',
  proxyPreset: 'frameproof-proxy-1080p',
  videoOnlyPreset: 'frameproof-proxy-1080p-video-only',
  audioPreset: 'frameproof-audio-aac',
  queue: 'arn:aws:mediaconvert:eu-west-1:111122223333:queues/Default',
};

/** Our key for an `s3://bucket/<prefix>/<key>` URL in `storage`. */
export function keyOf(storage: S3Storage, url: string): string {
  const base = `s3://${storage.bucket}/${storage.prefix ? `${storage.prefix}/` : ''}`;
  if (!url.startsWith(base)) throw new Error(`${url} is not in ${base}`);
  return url.slice(base.length);
}

export interface FakeMediaConvertOptions {
  storage: S3Storage;
  /** Makes the outputs: ffmpeg on this machine. */
  local: LocalTranscoder;
  settings?: MediaConvertSettings;
  /** GetJob answers PROGRESSING with these percents before COMPLETE. */
  percents?: number[];
  /** A job that ends in ERROR with this code and message instead. */
  fail?: { code: number; message: string };
  /** Makes a video proxy at twice the source's rate: not frame-exact. */
  wrongRate?: boolean;
  /** The first calls of each kind answer 429 TooManyRequestsException, as MediaConvert throttles. */
  throttle?: { create?: number; get?: number };
  /** CreateJob answers 400 BadRequestException with this message. */
  badRequest?: string;
}

const tooManyRequests = () =>
  new TooManyRequestsException({
    message: 'Too many requests, please try again later',
    $metadata: { httpStatusCode: 429 },
  });

/**
 * A mocked MediaConvert client: CreateJob makes the output with ffmpeg (as MediaConvert would
 * with the preset) and answers SUBMITTED; GetJob answers PROGRESSING for each of `percents`, then
 * COMPLETE with OutputGroupDetails, or ERROR with ErrorCode and ErrorMessage.
 */
export function fakeMediaConvert(o: FakeMediaConvertOptions) {
  const settings = o.settings ?? MEDIACONVERT_SETTINGS;
  const client = new MediaConvertClient({ region: settings.region });
  const mock = mockClient(client);
  const jobs = new Map<
    string,
    { job: Job; polls: number; durationMs: number; width?: number; height?: number }
  >();
  let n = 0;
  const throttle = { create: o.throttle?.create ?? 0, get: o.throttle?.get ?? 0 };

  mock.on(CreateJobCommand).callsFake(async (input: CreateJobCommandInput) => {
    if (throttle.create-- > 0) throw tooManyRequests();
    if (o.badRequest)
      throw new BadRequestException({ message: o.badRequest, $metadata: { httpStatusCode: 400 } });
    const id = `1764633600000-${(++n).toString(36).padStart(6, '0')}`;
    const job: Job = {
      Arn: `arn:aws:mediaconvert:${settings.region}:111122223333:jobs/${id}`,
      Id: id,
      CreatedAt: new Date(),
      Role: input.Role ?? '',
      Queue: input.Queue ?? `arn:aws:mediaconvert:${settings.region}:111122223333:queues/Default`,
      Settings: input.Settings ?? {},
      Status: 'SUBMITTED',
      StatusUpdateInterval: input.StatusUpdateInterval,
      UserMetadata: input.UserMetadata,
      Timing: { SubmitTime: new Date() },
      Priority: 0,
      AccelerationStatus: 'NOT_APPLICABLE',
      Messages: { Info: [], Warning: [] },
    };
    const made = o.fail ? { durationMs: 0 } : await make(input);
    jobs.set(id, { job, polls: 0, ...made });
    return { Job: job };
  });

  mock.on(GetJobCommand).callsFake(async ({ Id }: { Id: string }) => {
    if (throttle.get-- > 0) throw tooManyRequests();
    const entry = jobs.get(Id);
    if (!entry) throw new Error(`no job ${Id}`);
    const percents = o.percents ?? [40];
    const poll = entry.polls++;
    if (poll < percents.length)
      return {
        Job: {
          ...entry.job,
          Status: 'PROGRESSING',
          CurrentPhase: 'TRANSCODING',
          JobPercentComplete: percents[poll],
          Timing: { ...entry.job.Timing, StartTime: new Date() },
        },
      };
    if (o.fail)
      return {
        Job: { ...entry.job, Status: 'ERROR', ErrorCode: o.fail.code, ErrorMessage: o.fail.message },
      };
    return {
      Job: {
        ...entry.job,
        Status: 'COMPLETE',
        Timing: { ...entry.job.Timing, StartTime: new Date(), FinishTime: new Date() },
        OutputGroupDetails: [
          {
            OutputDetails: [
              {
                DurationInMs: entry.durationMs,
                ...(entry.width
                  ? { VideoDetails: { WidthInPx: entry.width, HeightInPx: entry.height } }
                  : {}),
              },
            ],
          },
        ],
      },
    };
  });

  mock.on(CancelJobCommand).resolves({});

  /** The output MediaConvert would write for this request, made with ffmpeg into the bucket. */
  async function make(input: CreateJobCommandInput) {
    const source = keyOf(o.storage, input.Settings?.Inputs?.[0]?.FileInput ?? '');
    const group = input.Settings?.OutputGroups?.[0];
    const output = group?.Outputs?.[0];
    const destination = group?.OutputGroupSettings?.FileGroupSettings?.Destination ?? '';
    const outputKey = `${keyOf(o.storage, destination)}${output?.NameModifier ?? ''}.${output?.Extension ?? 'mp4'}`;
    const track = input.Settings?.Inputs?.[0]?.AudioSelectors?.['Audio Selector 1']?.Tracks?.[0];
    const tmpDir = await mkdtemp(join(tmpdir(), 'frameproof-fake-mediaconvert-'));
    try {
      const ctx = {
        storage: o.storage,
        tmpDir,
        signal: new AbortController().signal,
        reportProgress: () => undefined,
      };
      const technical = await o.local.probe({ source: { key: source } }, ctx);
      const audio = technical.audio.find((a) => a.track === track);
      const video = technical.video[0];
      const proxy = output?.Preset === settings.proxyPreset;
      // The proxy preset's audio description takes its sound from "Audio Selector 1": without
      // that selector, or with no such track in the source, MediaConvert refuses the job.
      if (proxy && !audio)
        throw new BadRequestException({
          message: `/outputGroups/0/outputs/0/audioDescriptions/0: Audio Selector 1 selects no audio of ${source}`,
          $metadata: { httpStatusCode: 400 },
        });
      if ((proxy || output?.Preset === settings.videoOnlyPreset) && video) {
        const rate = o.wrongRate
          ? { num: video.frameRate.num * 2, den: video.frameRate.den }
          : video.frameRate;
        const r = await o.local.videoProxy(
          {
            source: { key: source },
            outputKey,
            technical,
            video: { ...video, frameRate: rate },
            audio,
            maxHeight: 1080,
          },
          ctx,
        );
        return {
          durationMs: Math.round(technical.durationSeconds * 1000),
          width: Number(r.metadata.width),
          height: Number(r.metadata.height),
        };
      }
      if (output?.Preset === settings.audioPreset && audio) {
        await o.local.audioProxy({ source: { key: source }, outputKey, technical, audio, video }, ctx);
        return { durationMs: Math.round(technical.durationSeconds * 1000) };
      }
      throw new Error(`the fake MediaConvert has no output for preset ${output?.Preset} and track ${track}`);
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
  }

  return { client, mock, jobs };
}

/** What the fake Rekognition finds in any video: per analysis, the items of its Get* answer. */
export const REKOGNITION_FINDINGS = {
  labels: [
    {
      Timestamp: 0,
      Label: {
        Name: 'Car',
        Confidence: 91.5,
        Categories: [{ Name: 'Vehicles and Automotive' }],
        Parents: [],
        Instances: [],
      },
    },
    {
      Timestamp: 500,
      Label: {
        Name: 'Car',
        Confidence: 97.25,
        Categories: [{ Name: 'Vehicles and Automotive' }],
        Parents: [],
        Instances: [],
      },
    },
    {
      Timestamp: 500,
      Label: {
        Name: 'Road',
        Confidence: 88,
        Categories: [{ Name: 'Transport and Logistics' }],
        Parents: [],
        Instances: [],
      },
    },
    {
      Timestamp: 1000,
      Label: {
        Name: 'Car',
        Confidence: 95,
        Categories: [{ Name: 'Vehicles and Automotive' }],
        Parents: [],
        Instances: [],
      },
    },
  ],
  celebrities: [
    { Timestamp: 1000, Celebrity: { Name: 'Jane Doe', Id: '1ab2cd', Confidence: 99.1, Urls: [] } },
  ],
  faces: [
    {
      Timestamp: 0,
      Face: { Confidence: 99.9, BoundingBox: { Width: 0.2, Height: 0.3, Left: 0.4, Top: 0.2 } },
    },
    {
      Timestamp: 1000,
      Face: { Confidence: 99.7, BoundingBox: { Width: 0.2, Height: 0.3, Left: 0.4, Top: 0.2 } },
    },
  ],
  text: [
    { Timestamp: 0, TextDetection: { DetectedText: 'FRAMEPROOF', Type: 'LINE', Id: 0, Confidence: 98.2 } },
    {
      Timestamp: 0,
      TextDetection: { DetectedText: 'FRAMEPROOF', Type: 'WORD', Id: 1, ParentId: 0, Confidence: 98.2 },
    },
  ],
  moderation: [
    {
      Timestamp: 500,
      ModerationLabel: { Name: 'Smoking', ParentName: 'Drugs & Tobacco', Confidence: 71.3, TaxonomyLevel: 2 },
    },
  ],
  segments: [
    {
      Type: 'TECHNICAL_CUE',
      StartTimestampMillis: 0,
      EndTimestampMillis: 967,
      DurationMillis: 967,
      StartTimecodeSMPTE: '00:00:00;00',
      EndTimecodeSMPTE: '00:00:00;29',
      DurationSMPTE: '00:00:00;29',
      StartFrameNumber: 0,
      EndFrameNumber: 29,
      DurationFrames: 29,
      TechnicalCueSegment: { Type: 'BlackFrames', Confidence: 99.6 },
    },
    {
      Type: 'SHOT',
      StartTimestampMillis: 0,
      EndTimestampMillis: 967,
      DurationMillis: 967,
      StartTimecodeSMPTE: '00:00:00;00',
      EndTimecodeSMPTE: '00:00:00;29',
      DurationSMPTE: '00:00:00;29',
      StartFrameNumber: 0,
      EndFrameNumber: 29,
      DurationFrames: 29,
      ShotSegment: { Index: 0, Confidence: 99.2 },
    },
    {
      Type: 'SHOT',
      StartTimestampMillis: 1001,
      EndTimestampMillis: 2969,
      DurationMillis: 1968,
      StartTimecodeSMPTE: '00:00:01;00',
      EndTimecodeSMPTE: '00:00:02;29',
      DurationSMPTE: '00:00:01;29',
      StartFrameNumber: 30,
      EndFrameNumber: 89,
      DurationFrames: 59,
      ShotSegment: { Index: 1, Confidence: 98.4 },
    },
  ],
} as const;

type Analysis = keyof typeof REKOGNITION_FINDINGS;
/** Each analysis's operations and the field its Get* answer lists results in. */
const OPERATIONS: Record<
  Analysis,
  { start: new (i: never) => unknown; get: new (i: never) => unknown; field: string }
> = {
  labels: { start: StartLabelDetectionCommand, get: GetLabelDetectionCommand, field: 'Labels' },
  celebrities: {
    start: StartCelebrityRecognitionCommand,
    get: GetCelebrityRecognitionCommand,
    field: 'Celebrities',
  },
  faces: { start: StartFaceDetectionCommand, get: GetFaceDetectionCommand, field: 'Faces' },
  text: { start: StartTextDetectionCommand, get: GetTextDetectionCommand, field: 'TextDetections' },
  moderation: {
    start: StartContentModerationCommand,
    get: GetContentModerationCommand,
    field: 'ModerationLabels',
  },
  segments: { start: StartSegmentDetectionCommand, get: GetSegmentDetectionCommand, field: 'Segments' },
};

export interface FakeRekognitionOptions {
  /** Results per page: smaller than the findings, so that every analysis is paged. */
  pageSize?: number;
  /** Get* answers IN_PROGRESS this many times before SUCCEEDED. */
  inProgress?: number;
  /** Analyses whose job ends FAILED. */
  fail?: Analysis[];
  /** The first calls of each Start* and Get* answer ThrottlingException (HTTP 400, throttling). */
  throttle?: number;
}

/**
 * A mocked Rekognition client: Start* answers a JobId; Get* answers IN_PROGRESS `inProgress`
 * times, then SUCCEEDED with the findings in pages of `pageSize` linked by NextToken (or FAILED
 * with a StatusMessage), with VideoMetadata as Rekognition reports it.
 */
export function fakeRekognition(o: FakeRekognitionOptions = {}) {
  const client = new RekognitionClient({ region: MEDIACONVERT_SETTINGS.region });
  const mock = mockClient(client);
  const polls = new Map<string, number>();
  let throttles = 0;
  const throttle = () => {
    if (throttles++ < (o.throttle ?? 0))
      throw new ThrottlingException({ message: 'Slow down!', $metadata: { httpStatusCode: 400 } });
  };
  for (const analysis of Object.keys(OPERATIONS) as Analysis[]) {
    const op = OPERATIONS[analysis];
    const jobId = `${'0'.repeat(40)}${analysis}`.slice(-64);
    mock.on(op.start as never).callsFake(() => {
      throttle();
      return { JobId: jobId };
    });
    mock
      .on(op.get as never)
      .callsFake((input: { JobId: string; NextToken?: string; MaxResults?: number }) => {
        throttle();
        if (input.JobId !== jobId) throw new Error(`unknown job ${input.JobId}`);
        const poll = polls.get(jobId) ?? 0;
        polls.set(jobId, poll + 1);
        const VideoMetadata = {
          Codec: 'h264',
          DurationMillis: 2002,
          Format: 'QuickTime / MOV',
          FrameRate: 29.97,
          FrameHeight: 180,
          FrameWidth: 320,
          ColorRange: 'LIMITED',
        };
        if (!input.NextToken && poll < (o.inProgress ?? 1)) return { JobStatus: 'IN_PROGRESS', JobId: jobId };
        if (o.fail?.includes(analysis))
          return {
            JobStatus: 'FAILED',
            StatusMessage: 'Unsupported codec/format.',
            JobId: jobId,
            VideoMetadata,
          };
        const all = REKOGNITION_FINDINGS[analysis] as readonly unknown[];
        const size = Math.min(o.pageSize ?? 2, input.MaxResults ?? 1000);
        const from = input.NextToken ? Number(input.NextToken.replace('page-', '')) : 0;
        const next = from + size < all.length ? `page-${from + size}` : undefined;
        return {
          JobStatus: 'SUCCEEDED',
          JobId: jobId,
          JobTag: 'frameproof',
          VideoMetadata: analysis === 'segments' ? [VideoMetadata] : VideoMetadata,
          [op.field]: all.slice(from, from + size),
          ...(next ? { NextToken: next } : {}),
        };
      });
  }
  return { client, mock };
}
