import {
  conflict,
  type Job,
  type JobResult,
  type JobType,
  JOB_TYPES,
  notFound,
  type StorageRef,
} from '@frameproof/core';
import { JobsRepository, type JobRecord } from '../repositories/jobs.js';
import type { AssetService } from './assets.js';
import type { Changes } from './changes.js';
import type { MarkerService } from './markers.js';
import { isTerminal, type JobQueue, type QueueOwner } from './queue.js';
import { type IngestOptions, STEPS, type StepHandlers, type StepInput } from './steps/index.js';

/**
 * The ingest workflow on top of the job queue: what an upload starts, what each finished step
 * stores and starts next (from the step table), and when an asset is ready.
 */
export class Ingest implements QueueOwner {
  constructor(
    private readonly queue: JobQueue,
    private readonly assets: AssetService,
    private readonly markers: MarkerService,
    private readonly options: IngestOptions,
    private readonly steps: StepHandlers = STEPS,
  ) {}

  /** Queues the first steps for a new original; call inside the transaction that creates the asset. */
  async start(changes: Changes, assetId: string, source: Required<StorageRef>): Promise<void> {
    await this.queueSteps(changes, null, { assetId, source, technical: null, options: this.options });
  }

  /**
   * Queues one step of an asset again (a video analysis with other analyses, say), planned as
   * ingest plans it with `options` changed. Conflict when the asset is gone, not probed yet, or
   * the step has nothing to do; the asset's status moves when the jobs end.
   */
  async runAgain<T extends JobType>(
    changes: Changes,
    assetId: string,
    type: T,
    options: Partial<IngestOptions>,
  ): Promise<Job[]> {
    const asset = await this.assets.lock(changes, assetId);
    if (!asset) throw notFound('asset');
    const source = await this.assets.original(changes, assetId);
    if (!source || !asset.technical) throw conflict('the asset has not been probed yet');
    const step = this.steps[type];
    const input = { assetId, source, technical: asset.technical, options: { ...this.options, ...options } };
    const payloads = step.plan(input);
    if (!payloads.length) throw conflict(`${type} has nothing to do for this asset`);
    const jobs: Job[] = [];
    for (const payload of payloads)
      jobs.push(await this.queue.enqueue(changes, { type, assetId, payload, priority: step.priority }));
    return jobs;
  }

  async completed(changes: Changes, job: JobRecord, result: JobResult): Promise<void> {
    if (!job.assetId) return;
    const asset = await this.assets.lock(changes, job.assetId);
    if (!asset) return;
    await this.storeResult(changes, job.type, job.assetId, result);
    const technical = (await this.assets.lock(changes, job.assetId))?.technical ?? null;
    const source = await this.assets.original(changes, job.assetId);
    // The analyses the asset chose at upload or import, else the deployment's.
    const videoAnalyses =
      (await this.assets.videoAnalyses(changes, job.assetId)) ?? this.options.videoAnalyses;
    if (source)
      await this.queueSteps(changes, job.type, {
        assetId: job.assetId,
        source,
        technical,
        options: { ...this.options, videoAnalyses },
        result,
      });
    await this.updateStatus(changes, job.assetId);
  }

  async settled(changes: Changes, job: Job): Promise<void> {
    if (job.assetId) await this.updateStatus(changes, job.assetId);
  }

  private storeResult<T extends JobType>(changes: Changes, type: T, assetId: string, result: JobResult) {
    const step = this.steps[type];
    return step.store(changes, { assets: this.assets, markers: this.markers }, { assetId }, result);
  }

  /** Queues every step that follows `after` (null: the upload). */
  private async queueSteps(changes: Changes, after: JobType | null, input: StepInput): Promise<void> {
    for (const type of JOB_TYPES) await this.queueStep(changes, type, after, input);
  }

  private async queueStep<T extends JobType>(
    changes: Changes,
    type: T,
    after: JobType | null,
    input: StepInput,
  ): Promise<void> {
    const step = this.steps[type];
    if ((typeof step.after === 'function' ? step.after(input) : step.after) !== after) return;
    for (const payload of step.plan(input)) {
      await this.queue.enqueue(changes, { type, assetId: input.assetId, payload, priority: step.priority });
    }
  }

  /**
   * Ingesting while any step is pending; then ready when the essential steps succeeded (the
   * others' failures are listed in `error`: partially ready), failed otherwise.
   */
  private async updateStatus(changes: Changes, assetId: string): Promise<void> {
    const asset = await this.assets.lock(changes, assetId);
    if (!asset) return;
    const jobs = await new JobsRepository(changes.tx).forAsset(assetId);
    if (jobs.some((j) => !isTerminal(j))) {
      if (asset.status !== 'ingesting') await this.assets.setStatus(changes, assetId, 'ingesting', null);
      return;
    }
    const technical = asset.technical;
    const failures = jobs.filter((j) => j.status !== 'completed');
    let error =
      failures.map((j) => `${j.type} ${j.status}: ${j.error ?? 'no reason given'}`).join('; ') || null;
    let ok =
      jobs.some((j) => j.type === 'probe') && !failures.some((j) => this.steps[j.type].essential(technical));
    if (technical && technical.video.length === 0 && technical.audio.length === 0) {
      ok = false;
      error = 'the file has neither video nor audio streams';
    }
    await this.assets.setStatus(changes, assetId, ok ? 'ready' : 'failed', error);
  }
}
