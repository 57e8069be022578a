import {
  type Job,
  type JobPayloads,
  type JobResult,
  type JobType,
  JOB_TYPES,
  type LeasedJob,
  type ListJobsQuery,
} from '@frameproof/core';
import type { Database } from '../db/database.js';
import { conflict, notFound } from '@frameproof/core';
import { type JobRecord, JobsRepository } from '../repositories/jobs.js';
import { type Changes, inTransaction } from './changes.js';
import type { EventBus } from './event-bus.js';

export interface QueueOptions {
  leaseSeconds: number;
  maxAttempts: number;
  retryBaseSeconds: number;
}

/**
 * What the queue tells the owner of the work, inside the transaction of each change. The queue
 * itself knows nothing of what its jobs do.
 */
export interface QueueOwner {
  /** A worker finished `job` with `result`: store what it produced, queue what follows. */
  completed(changes: Changes, job: JobRecord, result: JobResult): Promise<void>;
  /** `job` failed for good, was cancelled, or was queued again by hand. */
  settled(changes: Changes, job: Job): Promise<void>;
}

const TERMINAL = new Set<string>(['completed', 'failed', 'cancelled']);
export const isTerminal = (job: Pick<Job, 'status'>) => TERMINAL.has(job.status);

const jobEvent = (job: Job) =>
  ({
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
  }) as const;

/**
 * The job queue's protocol: enqueue, lease, heartbeat, complete, fail, release, cancel, retry
 * and reaping expired leases. Workers drive it over HTTP; every change is announced as a
 * `job.updated` event once its transaction commits.
 */
export class JobQueue {
  private reaper: NodeJS.Timeout | undefined;
  private owner: QueueOwner | undefined;

  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly options: QueueOptions,
  ) {}

  /** Who stores results and follows settled jobs; set once, when the context is wired. */
  setOwner(owner: QueueOwner): void {
    this.owner = owner;
  }
  private get handler(): QueueOwner {
    if (!this.owner) throw new Error('the job queue has no owner; call setOwner first');
    return this.owner;
  }

  /** Jobs, newest first, filtered by asset, status or type; none of a deleted asset. */
  list(query: ListJobsQuery, projectIds?: readonly string[]): Promise<Job[]> {
    return new JobsRepository(this.db).list(query, projectIds);
  }

  /** A job as people see it: without its payload, and not one of a deleted asset. */
  async get(id: string): Promise<Job> {
    const job = await new JobsRepository(this.db).byId(id, { visible: true });
    if (!job) throw notFound('job');
    const { payload: _payload, ...rest } = job;
    return rest;
  }

  /** Queues a job in `changes`' transaction; workers are told once it commits. */
  async enqueue<T extends JobType>(
    changes: Changes,
    job: { type: T; assetId: string | null; payload: JobPayloads[T]; priority: number },
  ): Promise<Job> {
    const queued = await new JobsRepository(changes.tx).enqueue({
      ...job,
      maxAttempts: this.options.maxAttempts,
    });
    changes.workQueued();
    return queued;
  }

  async lease(workerId: string, types: readonly JobType[] | undefined, limit: number): Promise<LeasedJob[]> {
    const leased = await this.change(async (changes, jobs) => {
      const taken = await jobs.lease(workerId, types ?? JOB_TYPES, limit, this.options.leaseSeconds);
      for (const job of taken) changes.announce(jobEvent(job));
      return taken;
    });
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
    const beat = async (jobs: JobsRepository) =>
      jobs.heartbeat(id, token, this.options.leaseSeconds, progress, etaSeconds);
    // Progress is announced (an event, stored with the beat); a bare beat is one statement.
    const done =
      progress === undefined
        ? await beat(new JobsRepository(this.db))
        : await this.change(async (changes, jobs) => {
            const beaten = await beat(jobs);
            if (beaten) changes.announce(jobEvent(beaten.job));
            return beaten;
          });
    if (!done) throw await this.leaseLost(id, this.db);
    return { leaseExpiresAt: done.leaseExpiresAt };
  }

  complete(id: string, token: string, result: JobResult): Promise<Job> {
    return this.change(async (changes, jobs) => {
      const held = await jobs.holding(id, token);
      if (!held) throw await this.leaseLost(id, changes.tx);
      const job = await jobs.finish(id, 'completed', null);
      changes.announce(jobEvent(job));
      await this.handler.completed(changes, held, result);
      return job;
    });
  }

  /** A worker could not do the job: it is queued again while `retryable` and attempts remain. */
  fail(id: string, token: string, failure: { error: string; retryable: boolean }): Promise<Job> {
    return this.change(async (changes, jobs) => {
      const held = await jobs.holding(id, token);
      if (!held) throw await this.leaseLost(id, changes.tx);
      return this.retryOrFail(changes, held, failure);
    });
  }

  /** A worker hands a job back unfinished (it is stopping); the attempt does not count. */
  release(id: string, token: string): Promise<Job> {
    return this.change(async (changes, jobs) => {
      const held = await jobs.holding(id, token);
      if (!held) throw await this.leaseLost(id, changes.tx);
      const job = await jobs.requeue(id, { error: null, delaySeconds: 0, countAttempt: false });
      changes.announce(jobEvent(job));
      changes.workQueued();
      return job;
    });
  }

  async cancel(id: string, by: string): Promise<Job> {
    const job = await this.change(async (changes, jobs) => {
      const current = await jobs.byId(id, { forUpdate: true, visible: true });
      if (!current) throw notFound('job');
      if (isTerminal(current)) throw conflict(`the job is already ${current.status}`);
      const cancelled = await jobs.finish(id, 'cancelled', `cancelled by ${by}`);
      changes.announce(jobEvent(cancelled));
      await this.handler.settled(changes, cancelled);
      return cancelled;
    });
    this.events.signalWorkers({ type: 'cancel', jobId: id });
    return job;
  }

  retry(id: string): Promise<Job> {
    return this.change(async (changes, jobs) => {
      const current = await jobs.byId(id, { forUpdate: true, visible: true });
      if (!current) throw notFound('job');
      if (current.status !== 'failed' && current.status !== 'cancelled') {
        throw conflict(`only failed or cancelled jobs can be retried; this one is ${current.status}`);
      }
      const queued = await jobs.reset(id);
      changes.announce(jobEvent(queued));
      changes.workQueued();
      await this.handler.settled(changes, queued);
      return queued;
    });
  }

  /** Jobs whose worker went silent go back to the queue (with backoff) or, out of attempts, fail. */
  reapExpiredLeases(): Promise<number> {
    return this.change(async (changes, jobs) => {
      let reaped = 0;
      for (const expired of await jobs.expiredLeases()) {
        const held = await jobs.byId(expired.id);
        if (!held) continue;
        await this.retryOrFail(changes, held, {
          error: 'the worker stopped responding (lease expired)',
          retryable: true,
        });
        reaped++;
      }
      return reaped;
    });
  }

  /** Every adapter instance reaps on a timer (a few seconds, at most half a lease); leasing does not. */
  startReaper(intervalMs = Math.min(5000, (this.options.leaseSeconds * 1000) / 2)): void {
    this.reaper = setInterval(() => void this.reapExpiredLeases().catch(() => undefined), intervalMs);
    this.reaper.unref();
  }
  stopReaper(): void {
    clearInterval(this.reaper);
  }

  private change<T>(fn: (changes: Changes, jobs: JobsRepository) => Promise<T>): Promise<T> {
    return inTransaction(this.db, this.events, (changes) => fn(changes, new JobsRepository(changes.tx)));
  }

  private async retryOrFail(
    changes: Changes,
    job: Job,
    { error, retryable }: { error: string; retryable: boolean },
  ): Promise<Job> {
    const jobs = new JobsRepository(changes.tx);
    if (retryable && job.attempts < job.maxAttempts) {
      const delaySeconds = Math.min(300, this.options.retryBaseSeconds * 2 ** Math.max(0, job.attempts - 1));
      const queued = await jobs.requeue(job.id, { error, delaySeconds, countAttempt: true });
      changes.announce(jobEvent(queued));
      changes.workQueued();
      return queued;
    }
    const failed = await jobs.finish(job.id, 'failed', error);
    changes.announce(jobEvent(failed));
    await this.handler.settled(changes, failed);
    return failed;
  }

  private async leaseLost(id: string, tx: Changes['tx']) {
    const job = await new JobsRepository(tx).byId(id);
    if (!job) return notFound('job');
    return conflict(
      job.status === 'running'
        ? 'this lease is no longer valid: another worker holds the job'
        : `this lease is no longer valid: the job is ${job.status}`,
    );
  }
}
