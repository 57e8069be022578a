import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ConfigError,
  envLogLevel,
  envNumber,
  type Env,
  JOB_TYPES,
  type JobType,
  type LogLevel,
} from '@frameproof/core';

export { ConfigError };

export interface JobsConfig {
  /** The adapter's base URL (AP_ADAPTER_HOST), e.g. http://av-adapter.av.local:8080. */
  adapterUrl: string;
  username: string;
  password: string;
  /** The adapter's bus port; null: no bus, poll only. */
  busPort: number | null;
  concurrency: number;
  pollSeconds: number;
  stopTimeoutSeconds: number;
  storageUrl: string;
  tmpDir: string;
  workerId: string;
  types?: JobType[];
  logLevel: LogLevel;
}

/** The worker's settings from the environment (names as the ECS task definition sets them). */
export function readJobsConfig(env: Env = process.env): JobsConfig {
  const host = env.AP_ADAPTER_HOST || 'http://localhost:8080';
  const adapterUrl = /^https?:\/\//.test(host) ? host : `http://${host}`;
  const username = env.AP_ADAPTER_USERNAME ?? '';
  const password = env.AP_ADAPTER_PASSWORD ?? '';
  if (!username || !password)
    throw new ConfigError('AP_ADAPTER_USERNAME and AP_ADAPTER_PASSWORD are required');
  const types = env.JOBS_TYPES?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = types?.filter((t) => !(JOB_TYPES as readonly string[]).includes(t));
  if (unknown?.length) throw new ConfigError(`JOBS_TYPES has unknown job types: ${unknown.join(', ')}`);
  return {
    adapterUrl,
    username,
    password,
    busPort: env.BUS_PORT === 'off' ? null : envNumber(env, 'BUS_PORT', 5701, { min: 1, integer: true }),
    concurrency: envNumber(env, 'JOBS_CONCURRENCY', 1, { min: 1, integer: true }),
    pollSeconds: envNumber(env, 'JOBS_POLL_SECONDS', 30, { min: 0.1 }),
    stopTimeoutSeconds: envNumber(env, 'JOBS_STOP_TIMEOUT_SECONDS', 30, { min: 0 }),
    storageUrl: env.STORAGE_URL || join(resolve(env.FRAMEPROOF_DATA_DIR ?? './data'), 'media'),
    tmpDir: env.JOBS_TMP_DIR || tmpdir(),
    workerId: env.JOBS_WORKER_ID || `${hostname()}-${process.pid}`,
    types: types?.length ? (types as JobType[]) : undefined,
    logLevel: envLogLevel(env),
  };
}
