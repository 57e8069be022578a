import type { Job, JobStatus, JobType, ListJobsQuery } from '@frameproof/core';
import type { Queryable } from '../db/database.js';
import { iso, isoRequired } from './rows.js';

interface JobRow {
  id: string;
  asset_id: string | null;
  type: JobType;
  status: JobStatus;
  priority: number;
  attempts: number;
  max_attempts: number;
  progress: number;
  eta_seconds: number | null;
  last_error: string | null;
  lease_owner: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface JobRecord extends Job {
  payload: Record<string, unknown>;
}

const toJob = (r: JobRow): Job => ({
  id: r.id,
  assetId: r.asset_id,
  type: r.type,
  status: r.status,
  priority: r.priority,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  progress: r.progress,
  etaSeconds: r.eta_seconds,
  error: r.last_error,
  leaseOwner: r.lease_owner,
  createdAt: isoRequired(r.created_at),
  updatedAt: isoRequired(r.updated_at),
  startedAt: iso(r.started_at),
  finishedAt: iso(r.finished_at),
});

const NOW = `date_trunc('milliseconds', clock_timestamp())`;
/** The job's asset, if it has one, is not in the trash: people do not see such jobs, workers do not get them. */
const ASSET_LIVE = `NOT EXISTS (SELECT 1 FROM assets d WHERE d.id = jobs.asset_id AND d.deleted_at IS NOT NULL)`;
const PUBLIC_COLUMNS = `id, asset_id, type, status, priority, attempts, max_attempts, progress, eta_seconds, last_error,
  lease_owner, created_at, updated_at, started_at, finished_at`;

export interface LeasedRow extends Job {
  payload: Record<string, unknown>;
  leaseToken: string;
  leaseExpiresAt: string;
}

/**
 * The job queue, in SQL. A job is leased to one worker at a time with a token; every state
 * change after the lease names the token, so a worker that lost its lease changes nothing.
 */
export class JobsRepository {
  constructor(private readonly db: Queryable) {}

  async enqueue(j: {
    type: JobType;
    assetId: string | null;
    payload: object;
    priority?: number;
    maxAttempts: number;
  }): Promise<Job> {
    const [row] = await this.db.query<JobRow>(
      `INSERT INTO jobs (type, asset_id, payload, priority, max_attempts)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${PUBLIC_COLUMNS}`,
      [j.type, j.assetId, JSON.stringify(j.payload), j.priority ?? 0, j.maxAttempts],
    );
    return toJob(row as JobRow);
  }

  /**
   * `forUpdate` locks the row until the transaction ends; `visible` hides the jobs of deleted
   * assets (what people may see and change).
   */
  async byId(
    id: string,
    options: { forUpdate?: boolean; visible?: boolean } = {},
  ): Promise<JobRecord | undefined> {
    const [row] = await this.db.query<JobRow & { payload: Record<string, unknown> }>(
      `SELECT ${PUBLIC_COLUMNS}, payload FROM jobs WHERE id = $1${options.visible ? ` AND ${ASSET_LIVE}` : ''}
       ${options.forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return row && { ...toJob(row), payload: row.payload };
  }

  /** Jobs, newest first; only those of the assets of `projectIds` when given. */
  async list(q: ListJobsQuery, projectIds?: readonly string[]): Promise<Job[]> {
    const params: unknown[] = [];
    const where: string[] = [ASSET_LIVE];
    if (projectIds)
      where.push(
        `asset_id IN (SELECT p.id FROM assets p WHERE p.project_id = ANY($${params.push(projectIds)}::uuid[]))`,
      );
    if (q.assetId) where.push(`asset_id = $${params.push(q.assetId)}`);
    if (q.status) where.push(`status = $${params.push(q.status)}`);
    if (q.type) where.push(`type = $${params.push(q.type)}`);
    const rows = await this.db.query<JobRow>(
      `SELECT ${PUBLIC_COLUMNS} FROM jobs WHERE ${where.join(' AND ')}
       ORDER BY created_at DESC, id LIMIT $${params.push(q.limit ?? 100)}`,
      params,
    );
    return rows.map(toJob);
  }

  async forAsset(assetId: string): Promise<Job[]> {
    return (
      await this.db.query<JobRow>(
        `SELECT ${PUBLIC_COLUMNS} FROM jobs WHERE asset_id = $1 ORDER BY created_at, id`,
        [assetId],
      )
    ).map(toJob);
  }

  /** Takes up to `limit` queued jobs, highest priority and oldest first, skipping rows others hold. */
  async lease(
    workerId: string,
    types: readonly JobType[],
    limit: number,
    leaseSeconds: number,
  ): Promise<LeasedRow[]> {
    const rows = await this.db.query<
      JobRow & { payload: Record<string, unknown>; lease_token: string; lease_expires_at: Date }
    >(
      `UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $1, lease_token = gen_random_uuid(),
         lease_expires_at = ${NOW} + make_interval(secs => $4), started_at = coalesce(started_at, ${NOW}),
         updated_at = ${NOW}, progress = 0, eta_seconds = NULL
       WHERE id IN (
         SELECT id FROM jobs WHERE status = 'queued' AND run_after <= now() AND type = ANY($2::text[]) AND ${ASSET_LIVE}
         ORDER BY priority DESC, created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING ${PUBLIC_COLUMNS}, payload, lease_token, lease_expires_at`,
      [workerId, types, limit, leaseSeconds],
    );
    return rows.map((r) => ({
      ...toJob(r),
      payload: r.payload,
      leaseToken: r.lease_token,
      leaseExpiresAt: isoRequired(r.lease_expires_at),
    }));
  }

  /** Extends a lease; undefined when the token no longer holds the job. */
  async heartbeat(
    id: string,
    token: string,
    leaseSeconds: number,
    progress?: number,
    etaSeconds?: number,
  ): Promise<{ job: Job; leaseExpiresAt: string } | undefined> {
    const [row] = await this.db.query<JobRow & { lease_expires_at: Date }>(
      `UPDATE jobs SET lease_expires_at = ${NOW} + make_interval(secs => $3), progress = coalesce($4, progress),
         eta_seconds = CASE WHEN $4::real IS NULL THEN eta_seconds ELSE $5 END, updated_at = ${NOW}
       WHERE id = $1 AND lease_token = $2 AND status = 'running' RETURNING ${PUBLIC_COLUMNS}, lease_expires_at`,
      [id, token, leaseSeconds, progress ?? null, etaSeconds ?? null],
    );
    return row && { job: toJob(row), leaseExpiresAt: isoRequired(row.lease_expires_at) };
  }

  /** Locks the job if `token` holds its lease now. */
  async holding(id: string, token: string): Promise<JobRecord | undefined> {
    const [row] = await this.db.query<{ id: string }>(
      `SELECT id FROM jobs WHERE id = $1 AND lease_token = $2 AND status = 'running' FOR UPDATE`,
      [id, token],
    );
    return row ? this.byId(id) : undefined;
  }

  async finish(id: string, status: 'completed' | 'failed' | 'cancelled', error: string | null): Promise<Job> {
    const [row] = await this.db.query<JobRow>(
      `UPDATE jobs SET status = $2, last_error = coalesce($3, last_error), lease_owner = NULL, lease_token = NULL,
         lease_expires_at = NULL, progress = CASE WHEN $2 = 'completed' THEN 100 ELSE progress END, eta_seconds = NULL,
         finished_at = ${NOW}, updated_at = ${NOW}
       WHERE id = $1 RETURNING ${PUBLIC_COLUMNS}`,
      [id, status, error],
    );
    return toJob(row as JobRow);
  }

  /**
   * Puts a job back in the queue after `delaySeconds`. `countAttempt: false` gives the attempt
   * back (a worker handed the job back unfinished).
   */
  async requeue(
    id: string,
    o: { error: string | null; delaySeconds: number; countAttempt: boolean },
  ): Promise<Job> {
    const [row] = await this.db.query<JobRow>(
      `UPDATE jobs SET status = 'queued', last_error = coalesce($2, last_error), lease_owner = NULL, lease_token = NULL,
         lease_expires_at = NULL, attempts = CASE WHEN $4::boolean THEN attempts ELSE greatest(attempts - 1, 0) END,
         run_after = ${NOW} + make_interval(secs => $3), progress = 0, eta_seconds = NULL, updated_at = ${NOW}
       WHERE id = $1 RETURNING ${PUBLIC_COLUMNS}`,
      [id, o.error, o.delaySeconds, o.countAttempt],
    );
    return toJob(row as JobRow);
  }

  /** Jobs whose worker stopped heartbeating; the caller requeues or fails each. */
  async expiredLeases(): Promise<{ id: string; attempts: number; maxAttempts: number }[]> {
    const rows = await this.db.query<{ id: string; attempts: number; max_attempts: number }>(
      `SELECT id, attempts, max_attempts FROM jobs WHERE status = 'running' AND lease_expires_at < now()
       ORDER BY lease_expires_at LIMIT 100 FOR UPDATE SKIP LOCKED`,
    );
    return rows.map((r) => ({ id: r.id, attempts: r.attempts, maxAttempts: r.max_attempts }));
  }

  async reset(id: string): Promise<Job> {
    const [row] = await this.db.query<JobRow>(
      `UPDATE jobs SET status = 'queued', attempts = 0, last_error = NULL, run_after = ${NOW}, progress = 0,
         finished_at = NULL, updated_at = ${NOW} WHERE id = $1 RETURNING ${PUBLIC_COLUMNS}`,
      [id],
    );
    return toJob(row as JobRow);
  }

  /**
   * The work waiting (queued jobs a worker could lease now, not those backing off before a retry)
   * and the work under way (leased jobs), of assets not deleted.
   */
  async queueDepth(): Promise<{ queued: number; running: number }> {
    const [row] = await this.db.query<{ queued: number; running: number }>(
      `SELECT count(*) FILTER (WHERE status = 'queued' AND run_after <= ${NOW})::int AS queued,
              count(*) FILTER (WHERE status = 'running')::int AS running
         FROM jobs WHERE status IN ('queued', 'running') AND ${ASSET_LIVE}`,
    );
    return { queued: row?.queued ?? 0, running: row?.running ?? 0 };
  }
}
