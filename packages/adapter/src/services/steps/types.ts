import type {
  JobPayloads,
  JobResult,
  JobType,
  StorageRef,
  TechnicalMetadata,
  VideoAnalysis,
} from '@frameproof/core';
import type { Changes } from '../changes.js';
import type { AssetService } from '../assets.js';
import type { MarkerService } from '../markers.js';

/** What ingest asks of its steps (from the adapter's configuration). */
export interface IngestOptions {
  proxyMaxHeight: number;
  spriteIntervalSeconds: number;
  /** Video analyses (Rekognition Video) to run on the video proxy; none locally. */
  videoAnalyses: VideoAnalysis[];
  /**
   * What thumbnails, sprites and Auto QC read for an asset with video (THUMBNAILS_QC_SOURCE):
   * the original, or the video proxy once it is made (where MediaConvert makes proxies, so that
   * the jobs task never decodes a large original).
   */
  thumbnailsQcSource: 'original' | 'proxy';
}

/** What a step's payload is planned from. `technical` is null before the probe has run. */
export interface StepInput {
  assetId: string;
  source: Required<StorageRef>;
  technical: TechnicalMetadata | null;
  options: IngestOptions;
  /** The result of the step that just succeeded, when planning the steps that follow it. */
  result?: JobResult;
}

/** The services a step writes its result through, so that their events fire. */
export interface StepServices {
  assets: AssetService;
  markers: MarkerService;
}

/**
 * One job type's part in ingest: when it runs, with what payload, what its result writes, and
 * whether the asset can be reviewed without it.
 */
export interface StepHandler<T extends JobType> {
  /**
   * The step whose success queues this one; null: queued with the upload. A function when it
   * depends on the asset and the options (it is asked with what the probe found).
   */
  after: JobType | null | ((input: StepInput) => JobType);
  /** Queue priority: higher runs first. */
  priority: number;
  /** The jobs to queue for an asset (none, one, or one per track). */
  plan(input: StepInput): JobPayloads[T][];
  /** Writes what the step produced, inside the transaction that completes the job. */
  store(changes: Changes, services: StepServices, job: { assetId: string }, result: JobResult): Promise<void>;
  /** Whether an asset needs this step to succeed to be reviewable (else: partially ready). */
  essential(technical: TechnicalMetadata | null): boolean;
}

/** One handler per job type: a new type does not compile until it has one. */
export type StepHandlers = { [T in JobType]: StepHandler<T> };
