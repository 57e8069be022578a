import {
  DEFAULT_LOUDNESS_TARGET,
  durationToFrames,
  frameRate as makeFrameRate,
  type Job,
  type JobPayloads,
  type JobResult,
  type JobType,
  JOB_TYPES,
  type LeasedJob,
  type LiveEvent,
  supportsDropFrame,
  type TechnicalMetadata,
} from '@frameproof/core';
import type { Database, Queryable } from '../db/database.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { AssetsRepository } from '../repositories/assets.js';
import { JobsRepository } from '../repositories/jobs.js';
import { MarkersRepository } from '../repositories/markers.js';
import type { EventBus } from './event-bus.js';

export interface PipelineOptions {
  storageKind: string;
  leaseSeconds: number;
  maxAttempts: number;
  retryBaseSeconds: number;
  proxyMaxHeight: number;
  spriteIntervalSeconds: number;
}

export const AUTO_QC_GROUP = 'Auto QC';
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Steps that must succeed for an asset to be reviewable; the others make it partially ready. */
const essential = (type: JobType, hasVideo: boolean) =>
  type === 'probe' || (type === 'video-proxy' && hasVideo);

/**
 * The ingest pipeline on top of the job queue: what an upload starts, what each finished step
 * stores and starts next, and when an asset is ready. Workers drive it over HTTP.
 */
export class Pipeline {
  private reaper: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly options: PipelineOptions,
  ) {}

  /** Queues the probe of a new original; call inside the transaction that creates the asset. */
  async queueIngest(tx: Queryable, assetId: string, sourceKey: string, mimeType: string): Promise<Job> {
    const payload: JobPayloads['probe'] = {
      assetId,
      source: { key: sourceKey, mimeType },
      outputPrefix: `assets/${assetId}/probe`,
    };
    return this.enqueue(tx, 'probe', assetId, payload, 10);
  }

  private enqueue<T extends JobType>(
    tx: Queryable,
    type: T,
    assetId: string,
    payload: JobPayloads[T],
    priority = 0,
  ) {
    return new JobsRepository(tx).enqueue({
      type,
      assetId,
      payload,
      priority,
      maxAttempts: this.options.maxAttempts,
    });
  }

  /** Call after the transaction that queued work has committed. */
  announceWork(): void {
    this.events.signalWorkers({ type: 'work-available' });
  }

  async lease(workerId: string, types: readonly JobType[] | undefined, limit: number): Promise<LeasedJob[]> {
    const leased = await new JobsRepository(this.db).lease(
      workerId,
      types ?? JOB_TYPES,
      limit,
      this.options.leaseSeconds,
    );
    for (const job of leased) this.publishJob(job);
    return leased.map((j) => ({
      id: j.id,
      type: j.type,
      payload: j.payload,
      attempt: j.attempts,
      leaseToken: j.leaseToken,
      leaseExpiresAt: j.leaseExpiresAt,
      leaseSeconds: this.options.leaseSeconds,
    }));
  }

  async heartbeat(id: string, token: string, progress?: number, etaSeconds?: number) {
    const beat = await new JobsRepository(this.db).heartbeat(
      id,
      token,
      this.options.leaseSeconds,
      progress,
      etaSeconds,
    );
    if (!beat) throw await this.leaseLost(id);
    if (progress !== undefined) this.publishJob(beat.job);
    return { leaseExpiresAt: beat.leaseExpiresAt };
  }

  async complete(id: string, token: string, result: JobResult): Promise<Job> {
    const { job, queued } = await this.db.transaction(async (tx) => {
      const jobs = new JobsRepository(tx);
      const held = await jobs.holding(id, token);
      if (!held) throw await this.leaseLost(id, tx);
      const job = await jobs.finish(id, 'completed', null);
      const queued = held.assetId ? await this.applyResult(tx, held.type, held.assetId, result) : 0;
      return { job, queued };
    });
    this.afterChange(job);
    if (queued) this.announceWork();
    return job;
  }

  async fail(id: string, token: string, error: string, retryable: boolean): Promise<Job> {
    const job = await this.db.transaction(async (tx) => {
      const held = await new JobsRepository(tx).holding(id, token);
      if (!held) throw await this.leaseLost(id, tx);
      return this.retryOrFail(tx, held, error, retryable);
    });
    this.afterChange(job);
    if (job.status === 'queued') this.announceWork();
    return job;
  }

  /** A worker hands a job back unfinished (it is stopping); the attempt does not count. */
  async release(id: string, token: string): Promise<Job> {
    const job = await this.db.transaction(async (tx) => {
      const held = await new JobsRepository(tx).holding(id, token);
      if (!held) throw await this.leaseLost(id, tx);
      return new JobsRepository(tx).requeue(id, null, 0, false);
    });
    this.afterChange(job);
    this.announceWork();
    return job;
  }

  async cancel(id: string, by: string): Promise<Job> {
    const job = await this.db.transaction(async (tx) => {
      const jobs = new JobsRepository(tx);
      const current = await jobs.byId(id, true);
      if (!current) throw notFound('job');
      if (TERMINAL.has(current.status)) throw conflict(`the job is already ${current.status}`);
      const cancelled = await jobs.finish(id, 'cancelled', `cancelled by ${by}`);
      if (cancelled.assetId) await this.updateAssetStatus(tx, cancelled.assetId);
      return cancelled;
    });
    this.afterChange(job);
    this.events.signalWorkers({ type: 'cancel', jobId: id });
    return job;
  }

  async retry(id: string): Promise<Job> {
    const job = await this.db.transaction(async (tx) => {
      const jobs = new JobsRepository(tx);
      const current = await jobs.byId(id, true);
      if (!current) throw notFound('job');
      if (current.status !== 'failed' && current.status !== 'cancelled') {
        throw conflict(`only failed or cancelled jobs can be retried; this one is ${current.status}`);
      }
      const queued = await jobs.reset(id);
      if (queued.assetId) await this.updateAssetStatus(tx, queued.assetId);
      return queued;
    });
    this.afterChange(job);
    this.announceWork();
    return job;
  }

  /** Jobs whose worker went silent go back to the queue (with backoff) or, out of attempts, fail. */
  async reapExpiredLeases(): Promise<number> {
    const changed = await this.db.transaction(async (tx) => {
      const jobs = new JobsRepository(tx);
      const out: Job[] = [];
      for (const expired of await jobs.expiredLeases()) {
        const held = await jobs.byId(expired.id);
        if (held)
          out.push(await this.retryOrFail(tx, held, 'the worker stopped responding (lease expired)', true));
      }
      return out;
    });
    for (const job of changed) this.afterChange(job);
    if (changed.some((j) => j.status === 'queued')) this.announceWork();
    return changed.length;
  }

  /** Every adapter instance reaps on a timer (a few seconds, at most half a lease); leasing does not. */
  startReaper(intervalMs = Math.min(5000, (this.options.leaseSeconds * 1000) / 2)): void {
    this.reaper = setInterval(() => void this.reapExpiredLeases().catch(() => undefined), intervalMs);
    this.reaper.unref();
  }
  stopReaper(): void {
    clearInterval(this.reaper);
  }

  private async retryOrFail(tx: Queryable, job: Job, error: string, retryable: boolean): Promise<Job> {
    const jobs = new JobsRepository(tx);
    if (retryable && job.attempts < job.maxAttempts) {
      const delay = Math.min(300, this.options.retryBaseSeconds * 2 ** Math.max(0, job.attempts - 1));
      return jobs.requeue(job.id, error, delay, true);
    }
    const failed = await jobs.finish(job.id, 'failed', error);
    if (failed.assetId) await this.updateAssetStatus(tx, failed.assetId);
    return failed;
  }

  private async leaseLost(id: string, tx: Queryable = this.db) {
    const job = await new JobsRepository(tx).byId(id);
    if (!job) return notFound('job');
    return conflict(
      job.status === 'running'
        ? 'this lease is no longer valid: another worker holds the job'
        : `this lease is no longer valid: the job is ${job.status}`,
    );
  }

  /** Stores what a step produced and queues the steps that follow; returns how many it queued. */
  private async applyResult(
    tx: Queryable,
    type: JobType,
    assetId: string,
    result: JobResult,
  ): Promise<number> {
    const assets = new AssetsRepository(tx);
    const asset = await assets.byId(assetId, true);
    if (!asset) return 0;
    let queued = 0;
    if (type === 'probe') {
      if (!result.technical) throw badRequest('a probe result needs `technical`', 'result.technical');
      queued = await this.afterProbe(tx, assetId, result.technical);
    }
    for (const shape of result.shapes ?? []) await assets.putShape(assetId, this.options.storageKind, shape);
    if (result.markers) {
      const markers = new MarkersRepository(tx);
      await markers.deleteByOrigin(assetId, type);
      await markers.insert(
        assetId,
        result.markers.map((m) => ({ ...m, group: AUTO_QC_GROUP, origin: type, authorId: null })),
      );
    }
    if (result.metadata) await assets.setAnalysis(assetId, type, result.metadata);
    await this.updateAssetStatus(tx, assetId);
    return queued;
  }

  private async afterProbe(tx: Queryable, assetId: string, technical: TechnicalMetadata): Promise<number> {
    const assets = new AssetsRepository(tx);
    const video = technical.video[0];
    const rate = video ? makeFrameRate(video.frameRate.num, video.frameRate.den) : null;
    await assets.setTechnical(assetId, {
      technical,
      frameRate: rate,
      durationFrames: rate ? (video?.frameCount ?? durationToFrames(technical.durationSeconds, rate)) : null,
      startTimecode: rate ? (technical.startTimecode ?? null) : null,
      dropFrame: rate ? (technical.dropFrame ?? supportsDropFrame(rate)) : false,
    });
    if (!video && technical.audio.length === 0) return 0;
    const source = (await assets.shapes(assetId)).find((s) => s.type === 'original')?.files[0];
    if (!source) return 0;
    const base = { assetId, source: { key: source.key, mimeType: source.mimeType } };
    const prefix = `assets/${assetId}`;
    const steps: Promise<unknown>[] = [];
    if (video) {
      steps.push(
        this.enqueue(
          tx,
          'video-proxy',
          assetId,
          {
            ...base,
            technical,
            outputPrefix: `${prefix}/video-proxy`,
            maxHeight: this.options.proxyMaxHeight,
          },
          5,
        ),
        this.enqueue(tx, 'thumbnails', assetId, {
          ...base,
          technical,
          outputPrefix: `${prefix}/thumbnails`,
          spriteIntervalSeconds: this.options.spriteIntervalSeconds,
        }),
      );
    }
    for (const audio of technical.audio) {
      steps.push(
        this.enqueue(
          tx,
          'audio-proxy',
          assetId,
          {
            ...base,
            technical,
            outputPrefix: `${prefix}/audio-proxy/${audio.track}`,
            track: audio.track,
            streamIndex: audio.index,
          },
          4,
        ),
      );
    }
    steps.push(
      this.enqueue(tx, 'auto-qc', assetId, {
        ...base,
        technical,
        outputPrefix: `${prefix}/auto-qc`,
        loudnessTarget: DEFAULT_LOUDNESS_TARGET,
      }),
    );
    await Promise.all(steps);
    return steps.length;
  }

  /**
   * Ingesting while any step is pending; then ready when the essential steps succeeded (the
   * others' failures are listed in `error`: partially ready), failed otherwise.
   */
  private async updateAssetStatus(tx: Queryable, assetId: string): Promise<void> {
    const assets = new AssetsRepository(tx);
    const asset = await assets.byId(assetId);
    if (!asset) return;
    const jobs = await new JobsRepository(tx).forAsset(assetId);
    if (jobs.some((j) => !TERMINAL.has(j.status))) {
      if (asset.status !== 'ingesting') await assets.setStatus(assetId, 'ingesting', null);
      return;
    }
    const technical = asset.technical;
    const hasVideo = (technical?.video.length ?? 0) > 0;
    const failures = jobs.filter((j) => j.status !== 'completed');
    let error =
      failures.map((j) => `${j.type} ${j.status}: ${j.error ?? 'no reason given'}`).join('; ') || null;
    let ok = jobs.some((j) => j.type === 'probe') && !failures.some((j) => essential(j.type, hasVideo));
    if (technical && !hasVideo && technical.audio.length === 0) {
      ok = false;
      error = 'the file has neither video nor audio streams';
    }
    await assets.setStatus(assetId, ok ? 'ready' : 'failed', error);
  }

  private publishJob(job: Job) {
    const event: LiveEvent = {
      type: 'job.updated',
      assetId: job.assetId,
      id: job.id,
      data: {
        type: job.type,
        status: job.status,
        progress: job.progress,
        etaSeconds: job.etaSeconds,
        error: job.error,
      },
    };
    this.events.publish(event);
  }

  private afterChange(job: Job) {
    this.publishJob(job);
    if (job.assetId) this.events.publish({ type: 'asset.updated', assetId: job.assetId, id: job.assetId });
  }
}
