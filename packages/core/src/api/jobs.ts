import { Type, type Static } from 'typebox';
import { TechnicalMetadata } from '../media.js';
import { JsonObject, Nullable, Timestamp, Uuid } from './common.js';
import { ShapeTypeSchema } from './assets.js';
import { MarkerConfidence, SEVERITIES } from './markers.js';
import { VIDEO_ANALYSES, type VideoAnalysis } from '../video-analysis.js';

export const JOB_TYPES = [
  'probe',
  'video-proxy',
  'audio-proxy',
  'thumbnails',
  'auto-qc',
  'video-analysis',
] as const;
export type JobType = (typeof JOB_TYPES)[number];
export const JobStatus = {
  Queued: 'queued',
  Running: 'running',
  Completed: 'completed',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];
export const JOB_STATUSES = [
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
] as const satisfies readonly JobStatus[];

export const JobTypeSchema = Type.Enum(JOB_TYPES);
export const JobStatusSchema = Type.Enum(JOB_STATUSES);

/** Where a job reads its input: a key in the shared storage (local folder or S3). */
export const StorageRef = Type.Object({ key: Type.String(), mimeType: Type.Optional(Type.String()) });
export type StorageRef = Static<typeof StorageRef>;

/** What every media job is given. Per-type options sit in `options`. */
interface MediaJobBase {
  assetId: string;
  source: StorageRef;
  /** Outputs go under this key prefix, so a retried job overwrites rather than duplicates. */
  outputPrefix: string;
}
export interface JobPayloads {
  probe: MediaJobBase;
  'video-proxy': MediaJobBase & { technical: TechnicalMetadata; maxHeight: number };
  'audio-proxy': MediaJobBase & { technical: TechnicalMetadata; track: number; streamIndex: number };
  thumbnails: MediaJobBase & { technical: TechnicalMetadata; spriteIntervalSeconds: number };
  'auto-qc': MediaJobBase & { technical: TechnicalMetadata; loudnessTarget: LoudnessTarget };
  /** `source` is the video proxy: the analyses (Rekognition Video) read it, not the original. */
  'video-analysis': MediaJobBase & { technical: TechnicalMetadata; analyses: VideoAnalysis[] };
}
export type JobPayload<T extends JobType = JobType> = JobPayloads[T];

export interface LoudnessTarget {
  integratedLufs: number;
  toleranceLu: number;
  truePeakDbtp: number;
}
export const DEFAULT_LOUDNESS_TARGET: LoudnessTarget = {
  integratedLufs: -23,
  toleranceLu: 0.5,
  truePeakDbtp: -1,
};

export const OutputFile = Type.Object(
  {
    key: Type.String({ minLength: 1 }),
    size: Type.Number({ minimum: 0 }),
    checksum: Type.Optional(Type.String()),
    mimeType: Type.String(),
  },
  { additionalProperties: false },
);
export const OutputShape = Type.Object(
  {
    type: ShapeTypeSchema,
    track: Type.Optional(Type.Integer({ minimum: 1 })),
    label: Type.Optional(Type.String()),
    metadata: Type.Optional(JsonObject),
    files: Type.Array(OutputFile, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type OutputShape = Static<typeof OutputShape>;
/** A marker found by automatic QC; frames count from the first frame of the file. */
export const OutputMarker = Type.Object(
  {
    startFrame: Type.Integer({ minimum: 0 }),
    endFrame: Type.Integer({ minimum: 0 }),
    title: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    category: Type.String(),
    severity: Type.Enum(SEVERITIES),
    confidence: Type.Optional(MarkerConfidence),
    /** The timeline row, for steps that write to several (video analysis: one per analysis). */
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type OutputMarker = Static<typeof OutputMarker>;

/** What a worker reports when a job succeeds. */
export const JobResult = Type.Object(
  {
    technical: Type.Optional(TechnicalMetadata),
    shapes: Type.Optional(Type.Array(OutputShape)),
    markers: Type.Optional(Type.Array(OutputMarker)),
    metadata: Type.Optional(JsonObject),
  },
  { additionalProperties: false },
);
export type JobResult = Static<typeof JobResult>;

export const Job = Type.Object({
  id: Uuid,
  assetId: Nullable(Uuid),
  type: JobTypeSchema,
  status: JobStatusSchema,
  priority: Type.Integer(),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  progress: Type.Number({ description: 'Percent done, 0-100.' }),
  etaSeconds: Nullable(Type.Number()),
  error: Nullable(Type.String()),
  leaseOwner: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  startedAt: Nullable(Timestamp),
  finishedAt: Nullable(Timestamp),
});
export type Job = Static<typeof Job>;

export const ListJobsQuery = Type.Object(
  {
    assetId: Type.Optional(Uuid),
    status: Type.Optional(JobStatusSchema),
    type: Type.Optional(JobTypeSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);
export type ListJobsQuery = Static<typeof ListJobsQuery>;
export const JobList = Type.Object({ items: Type.Array(Job) });

/** Runs video analyses of an asset again; without `analyses`, those the deployment runs (VIDEO_ANALYSES). */
export const VideoAnalysisBody = Type.Object(
  {
    analyses: Type.Optional(Type.Array(Type.Enum(VIDEO_ANALYSES), { minItems: 1, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type VideoAnalysisBody = Static<typeof VideoAnalysisBody>;

// The worker protocol: every state change is an HTTP call; the bus only says "there is work".
export const LeaseBody = Type.Object(
  {
    workerId: Type.String({ minLength: 1, maxLength: 200 }),
    types: Type.Optional(Type.Array(JobTypeSchema, { minItems: 1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, default: 1 })),
  },
  { additionalProperties: false },
);
export type LeaseBody = Static<typeof LeaseBody>;
export const LeasedJob = Type.Object({
  id: Uuid,
  type: JobTypeSchema,
  payload: JsonObject,
  attempt: Type.Integer({ description: 'Which attempt this is, from 1.' }),
  leaseToken: Uuid,
  leaseExpiresAt: Timestamp,
  leaseSeconds: Type.Integer(),
});
export type LeasedJob = Static<typeof LeasedJob>;
export const LeaseResponse = Type.Object({ jobs: Type.Array(LeasedJob) });

export const HeartbeatBody = Type.Object(
  {
    leaseToken: Uuid,
    progress: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    etaSeconds: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type HeartbeatBody = Static<typeof HeartbeatBody>;
export const HeartbeatResponse = Type.Object({ leaseExpiresAt: Timestamp });

export const CompleteBody = Type.Object(
  { leaseToken: Uuid, result: JobResult },
  { additionalProperties: false },
);
export type CompleteBody = Static<typeof CompleteBody>;
export const FailBody = Type.Object(
  { leaseToken: Uuid, error: Type.String({ minLength: 1, maxLength: 10000 }), retryable: Type.Boolean() },
  { additionalProperties: false },
);
export type FailBody = Static<typeof FailBody>;
export const ReleaseBody = Type.Object({ leaseToken: Uuid }, { additionalProperties: false });

/** Messages the adapter pushes to workers on the internal bus (BUS_PORT). */
export type BusMessage =
  { type: 'work-available' } | { type: 'cancel'; jobId: string } | { type: 'hello'; adapterId: string };
