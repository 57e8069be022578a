import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BusMessage,
  type CompleteBody,
  DEFAULT_JOB_TIMEOUTS,
  type JobTimeouts,
  jobTimeoutSeconds,
  type FailBody,
  type HeartbeatBody,
  type JobPayload,
  type JobType,
  type LeaseBody,
  type LeasedJob,
} from '@frameproof/core';
import { ApiError } from '@frameproof/client';
import type { Storage } from '@frameproof/storage';
import type { Bus } from './bus.js';
import { claimScratch } from './scratch.js';
import { type Logger, silentLogger } from '@frameproof/media-kit';
import type { Processor, ProcessorTable } from './processors/index.js';
import type { JobProgress } from './transcoder.js';

/** The calls the runner makes; `FrameproofClient` from @frameproof/client has them all. */
export interface RunnerClient {
  accessToken?: string;
  login(username: string, password: string): Promise<unknown>;
  /** New tokens for the same session, from the last login's refresh token. */
  refresh?(): Promise<unknown>;
  lease(body: LeaseBody): Promise<{ jobs: LeasedJob[] }>;
  heartbeat(jobId: string, body: HeartbeatBody): Promise<unknown>;
  complete(jobId: string, body: CompleteBody): Promise<unknown>;
  fail(jobId: string, body: FailBody): Promise<unknown>;
  release(jobId: string, leaseToken: string): Promise<unknown>;
}

export interface RunnerOptions {
  client: RunnerClient;
  credentials: { username: string; password: string };
  processors: ProcessorTable;
  storage: Storage;
  workerId: string;
  /** The job types to ask for; all by default. */
  types?: JobType[];
  concurrency?: number;
  /** Poll interval while no bus connection is up. */
  pollSeconds?: number;
  /** How long running jobs may take to finish after `stop()` before they are released. */
  stopTimeoutSeconds?: number;
  /**
   * The scratch root: each job's scratch folder is made in this worker's own folder under it
   * (`scratch.ts`), which may be shared with other workers.
   */
  tmpRoot?: string;
  /** How long a job may run, from the media's duration; then it fails, not retried. */
  timeouts?: JobTimeouts;
  bus?: Bus;
  log?: Logger;
}

/** Why a job's work was aborted; the runner then reports accordingly (or not at all). */
export class JobStop extends Error {
  override readonly name = 'JobStop';
  constructor(readonly kind: 'cancel' | 'lease-lost' | 'shutdown') {
    super(`job stopped: ${kind}`);
  }
}

/**
 * A job that ran past its time limit. A file that makes ffmpeg run forever would do so again,
 * so it is not retried: the worker goes on to the next job.
 */
export class JobTimeout extends Error {
  override readonly name = 'JobTimeout';
  readonly retryable = false;
  constructor(readonly seconds: number) {
    super(
      `the job ran longer than its limit of ${seconds} s (JOBS_TIMEOUT_BASE_SECONDS, JOBS_TIMEOUT_PER_MEDIA_SECOND)`,
    );
  }
}

/** Errors say whether another attempt could help; bad input says no. Unknown errors may. */
export function isRetryable(err: unknown): boolean {
  const flag = (err as { retryable?: unknown } | null)?.retryable;
  return typeof flag === 'boolean' ? flag : true;
}

function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text || 'unknown error').slice(0, 10_000);
}

/** About two minutes of tries: longer than an adapter restart, shorter than giving up on work. */
const REPORT_ATTEMPTS = 12;

const conflict = (err: unknown) => err instanceof ApiError && (err.status === 409 || err.status === 404);

interface Active {
  job: LeasedJob;
  controller: AbortController;
  progress: JobProgress;
  beating: boolean;
}

/**
 * Leases jobs from the adapter and runs them, at most `concurrency` at a time. It leases when
 * started, when the bus says there is work, when a job ends, and (only while no bus
 * connection is up) every `pollSeconds`. Each job heartbeats every third of its lease with
 * its progress; losing the lease (409) or a cancel on the bus aborts the work. `stop()` stops
 * leasing, lets running jobs finish for `stopTimeoutSeconds`, then releases the rest.
 */
export class Runner {
  private readonly active = new Map<string, Active>();
  private readonly running = new Set<Promise<void>>();
  private readonly log: Logger;
  private readonly concurrency: number;
  private leasing = false;
  private leaseAgain = false;
  private leaseFailures = 0;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private loggingIn: Promise<void> | undefined;
  /** This worker's scratch folder, made (and the leftovers of dead workers removed) once. */
  private scratch: Promise<string> | undefined;

  constructor(private readonly options: RunnerOptions) {
    this.log = options.log ?? silentLogger;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  /** Jobs being worked on now. */
  get activeJobs(): string[] {
    return [...this.active.keys()];
  }

  async start(): Promise<void> {
    await this.scratchDir();
    await this.login();
    if (this.stopping) return;
    this.options.bus?.start({
      onMessage: (m) => this.onBusMessage(m),
      onUp: () => this.wake(),
      onUnauthorized: () => this.login({ force: true }),
    });
    const poll = (this.options.pollSeconds ?? 30) * 1000;
    this.pollTimer = setInterval(() => {
      if (!this.options.bus?.isUp()) this.wake();
    }, poll);
    this.wake();
  }

  /** Lease now if there is room (the bus said there is work, or a job ended). */
  wake(): void {
    void this.fill();
  }

  onBusMessage(m: BusMessage): void {
    if (m.type === 'cancel') {
      const active = this.active.get(m.jobId);
      if (active) {
        this.log.info({ jobId: m.jobId }, 'job cancelled');
        active.controller.abort(new JobStop('cancel'));
      }
      return;
    }
    this.wake();
  }

  /**
   * Logs in; with `force`, again even when a login is not due (a 401 came back). An expired
   * access token is renewed with the refresh token, in the same session: a password login
   * every 15 minutes would start a new session each time.
   */
  private login({ force = false }: { force?: boolean } = {}): Promise<void> {
    if (this.loggingIn) return this.loggingIn;
    const { client } = this.options;
    if (!force && client.accessToken) return Promise.resolve();
    const { username, password } = this.options.credentials;
    this.loggingIn = (async () => {
      if (force && client.refresh) {
        try {
          await client.refresh();
          return;
        } catch (err) {
          this.log.info({ err }, 'cannot renew the session; logging in again');
        }
      }
      for (let attempt = 0; !this.stopping; attempt++) {
        try {
          await this.options.client.login(username, password);
          this.log.info({ username }, 'logged in to the adapter');
          return;
        } catch (err) {
          const delay = Math.min(30, 2 ** attempt);
          this.log.error({ err, retryInSeconds: delay }, 'cannot log in to the adapter');
          await new Promise((r) => setTimeout(r, delay * 1000));
        }
      }
    })().finally(() => (this.loggingIn = undefined));
    return this.loggingIn;
  }

  /** An API call that logs in again and retries once when the token is refused. */
  private async api<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
      await this.login({ force: true });
      return call();
    }
  }

  private async fill(): Promise<void> {
    if (this.stopping) return;
    if (this.leasing) {
      this.leaseAgain = true;
      return;
    }
    const free = this.concurrency - this.active.size;
    if (free <= 0) return;
    this.leasing = true;
    const { workerId, types } = this.options;
    try {
      const { jobs } = await this.api(() => this.options.client.lease({ workerId, types, limit: free }));
      this.leaseFailures = 0;
      for (const job of jobs) {
        if (this.stopping) this.track(this.release(job));
        else this.track(this.execute(job));
      }
    } catch (err) {
      const delay = Math.min(30, 2 ** this.leaseFailures++);
      this.log.warn({ err, retryInSeconds: delay }, 'lease failed');
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.wake(), delay * 1000);
    } finally {
      this.leasing = false;
      if (this.leaseAgain) {
        this.leaseAgain = false;
        this.wake();
      }
    }
  }

  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => {
      this.running.delete(work);
      this.wake();
    });
  }

  private async release(job: LeasedJob): Promise<void> {
    try {
      await this.api(() => this.options.client.release(job.id, job.leaseToken));
      this.log.info({ jobId: job.id }, 'job released');
    } catch (err) {
      this.log.warn({ jobId: job.id, err }, 'release failed; the lease will expire');
    }
  }

  private async heartbeat(a: Active): Promise<void> {
    if (a.beating || a.controller.signal.aborted) return;
    a.beating = true;
    const body: HeartbeatBody = {
      leaseToken: a.job.leaseToken,
      progress: Math.round(a.progress.percent * 10) / 10,
    };
    if (a.progress.etaSeconds !== undefined) body.etaSeconds = Math.round(a.progress.etaSeconds);
    try {
      await this.api(() => this.options.client.heartbeat(a.job.id, body));
    } catch (err) {
      if (conflict(err)) {
        this.log.warn({ jobId: a.job.id }, 'lease lost; stopping the job');
        a.controller.abort(new JobStop('lease-lost'));
      } else {
        this.log.warn({ jobId: a.job.id, err }, 'heartbeat failed');
      }
    } finally {
      a.beating = false;
    }
  }

  private async execute(job: LeasedJob): Promise<void> {
    const a: Active = { job, controller: new AbortController(), progress: { percent: 0 }, beating: false };
    this.active.set(job.id, a);
    const log = this.log.child({ jobId: job.id, type: job.type, attempt: job.attempt });
    const started = Date.now();
    const beat = setInterval(() => void this.heartbeat(a), Math.max(0.1, job.leaseSeconds / 3) * 1000);
    const limit = jobTimeoutSeconds(
      (job.payload as { technical?: { durationSeconds?: number } }).technical?.durationSeconds,
      this.options.timeouts ?? DEFAULT_JOB_TIMEOUTS,
    );
    const deadline = setTimeout(() => a.controller.abort(new JobTimeout(limit)), limit * 1000);
    let tmpDir: string | undefined;
    log.info('job started');
    try {
      tmpDir = await mkdtemp(join(await this.scratchDir(), 'frameproof-job-'));
      const processor = this.options.processors[job.type] as Processor<JobType> | undefined;
      if (!processor)
        throw Object.assign(new Error(`this worker cannot run ${job.type} jobs`), { retryable: true });
      const result = await processor({
        payload: job.payload as unknown as JobPayload,
        storage: this.options.storage,
        tmpDir,
        signal: a.controller.signal,
        reportProgress: (p) => (a.progress = p),
      });
      a.controller.signal.throwIfAborted();
      await this.report(log, 'complete', () =>
        this.options.client.complete(job.id, { leaseToken: job.leaseToken, result }),
      );
      log.info({ seconds: (Date.now() - started) / 1000 }, 'job completed');
    } catch (err) {
      const reason: unknown = a.controller.signal.aborted ? a.controller.signal.reason : undefined;
      if (reason instanceof JobStop) {
        if (reason.kind === 'shutdown') await this.release(job);
        else log.info({ reason: reason.kind }, 'job abandoned');
      } else {
        const failure = reason instanceof JobTimeout ? reason : err;
        const retryable = isRetryable(failure);
        log.warn({ err: failure, retryable }, 'job failed');
        await this.report(log, 'fail', () =>
          this.options.client.fail(job.id, {
            leaseToken: job.leaseToken,
            error: message(failure),
            retryable,
          }),
        );
      }
    } finally {
      clearInterval(beat);
      clearTimeout(deadline);
      this.active.delete(job.id);
      if (tmpDir) await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /**
   * Reports the end of a job. While the adapter is unreachable (restarting, say) it tries again
   * with backoff, heartbeats going on meanwhile, so finished work is not lost; a result the
   * adapter rejects as invalid fails the job instead.
   */
  private async report(log: Logger, what: 'complete' | 'fail', call: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.api(call);
        return;
      } catch (err) {
        if (what === 'complete' && err instanceof ApiError && err.status === 400)
          throw Object.assign(err, { retryable: false });
        const transient = !(err instanceof ApiError) || err.status >= 500;
        if (transient && attempt < REPORT_ATTEMPTS) {
          const delay = Math.min(15, 2 ** (attempt - 1));
          log.warn({ err, retryInSeconds: delay }, `cannot ${what} yet; trying again`);
          await sleep(delay * 1000);
          continue;
        }
        log.warn({ err }, conflict(err) ? `cannot ${what}: the lease is gone` : `cannot ${what}`);
        return;
      }
    }
  }

  /**
   * Stops leasing, waits up to `stopTimeoutSeconds` for running jobs, releases those still
   * running, and resolves when nothing is left.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      clearInterval(this.pollTimer);
      clearTimeout(this.retryTimer);
      await this.options.bus?.stop();
      const timeout = (this.options.stopTimeoutSeconds ?? 30) * 1000;
      let timer: NodeJS.Timeout | undefined;
      const allDone = () => Promise.all([...this.running]);
      await Promise.race([allDone(), new Promise((r) => (timer = setTimeout(r, timeout)))]);
      clearTimeout(timer);
      if (this.active.size) {
        this.log.warn({ jobs: this.activeJobs }, 'stop timeout: releasing running jobs');
        for (const a of this.active.values()) a.controller.abort(new JobStop('shutdown'));
      }
      while (this.running.size) await allDone();
      const scratch = await this.scratch?.catch(() => undefined);
      if (scratch) await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    })();
    return this.stopped;
  }

  /**
   * This worker's scratch folder. Made at the first call (`start()`), after removing what
   * workers of this machine killed before they could clean up left under the same root.
   */
  private scratchDir(): Promise<string> {
    this.scratch ??= claimScratch(this.options.tmpRoot ?? tmpdir()).then(({ dir, removed }) => {
      if (removed.length > 0) this.log.info({ removed }, 'removed the scratch folders of workers gone');
      return dir;
    });
    return this.scratch;
  }
}
