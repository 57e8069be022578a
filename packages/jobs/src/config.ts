import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ConfigError,
  DECODE_MAX_PIXELS,
  DEFAULT_JOB_TIMEOUTS,
  DEFAULT_MEDIA_LIMITS,
  type JobTimeouts,
  type MediaLimits,
  envLogLevel,
  envNumber,
  type Env,
  JOB_TYPES,
  type JobType,
  type LogLevel,
} from '@frameproof/core';
import { type AwsSettings, readAwsSettings } from './aws/settings.js';

export { ConfigError };

export interface JobsConfig extends AwsSettings {
  /** The adapter's base URL (AP_ADAPTER_HOST), e.g. http://av-adapter.av.local:8080. */
  adapterUrl: string;
  /**
   * The analyze service (ANALYZE_URL), which measures each audio track for Auto QC, e.g.
   * http://av-analyze.av.local:8080. Default: the adapter's URL, which serves `/api/analyze`
   * when it is a router in front of both (the gateway, a load balancer).
   */
  analyzeUrl: string;
  username: string;
  password: string;
  /** The adapter's bus port; null: no bus, poll only. */
  busPort: number | null;
  concurrency: number;
  pollSeconds: number;
  stopTimeoutSeconds: number;
  /**
   * The worker's niceness (JOBS_NICE, 0-19), which its ffmpeg runs inherit: on a machine it shares
   * with the adapter and analyze (`npm start`), a transcode yields the CPU to a reviewer's request.
   */
  nice: number;
  storageUrl: string;
  tmpDir: string;
  workerId: string;
  types?: JobType[];
  logLevel: LogLevel;
  /** What the probe accepts (MEDIA_MAX_*). */
  limits: MediaLimits;
  /** How long a job may run (JOBS_TIMEOUT_*). */
  timeouts: JobTimeouts;
}

/** MEDIA_MAX_*: limits may be tightened, or loosened as far as the decoders' own pixel cap. */
function readMediaLimits(env: Env): MediaLimits {
  const d = DEFAULT_MEDIA_LIMITS;
  const side = Math.sqrt(DECODE_MAX_PIXELS);
  const whole = (name: string, fallback: number, max = Number.MAX_SAFE_INTEGER) =>
    envNumber(env, name, fallback, { min: 1, max, integer: true });
  return {
    maxWidth: whole('MEDIA_MAX_WIDTH', d.maxWidth, side),
    maxHeight: whole('MEDIA_MAX_HEIGHT', d.maxHeight, side),
    maxDurationSeconds: envNumber(env, 'MEDIA_MAX_DURATION_SECONDS', d.maxDurationSeconds, { min: 1 }),
    maxFrameCount: whole('MEDIA_MAX_FRAME_COUNT', d.maxFrameCount),
    maxPixelRate: whole('MEDIA_MAX_PIXEL_RATE', d.maxPixelRate),
    maxStreams: whole('MEDIA_MAX_STREAMS', d.maxStreams),
  };
}

/** The worker's settings from the environment (names as the ECS task definition sets them). */
export function readJobsConfig(env: Env = process.env): JobsConfig {
  const host = env.AP_ADAPTER_HOST || 'http://localhost:8080';
  const adapterUrl = /^https?:\/\//.test(host) ? host : `http://${host}`;
  const analyzeUrl = env.ANALYZE_URL || adapterUrl;
  if (!/^https?:\/\/[^/]/.test(analyzeUrl))
    throw new ConfigError(`ANALYZE_URL must be an http(s) URL, got "${analyzeUrl}"`);
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
    analyzeUrl,
    username,
    password,
    busPort: env.BUS_PORT === 'off' ? null : envNumber(env, 'BUS_PORT', 5701, { min: 1, integer: true }),
    concurrency: envNumber(env, 'JOBS_CONCURRENCY', 1, { min: 1, integer: true }),
    pollSeconds: envNumber(env, 'JOBS_POLL_SECONDS', 30, { min: 0.1 }),
    stopTimeoutSeconds: envNumber(env, 'JOBS_STOP_TIMEOUT_SECONDS', 30, { min: 0 }),
    nice: envNumber(env, 'JOBS_NICE', 10, { min: 0, max: 19, integer: true }),
    storageUrl: env.STORAGE_URL || join(resolve(env.FRAMEPROOF_DATA_DIR ?? './data'), 'media'),
    tmpDir: env.JOBS_TMP_DIR || tmpdir(),
    workerId: env.JOBS_WORKER_ID || `${hostname()}-${process.pid}`,
    types: types?.length ? (types as JobType[]) : undefined,
    logLevel: envLogLevel(env),
    limits: readMediaLimits(env),
    timeouts: {
      baseSeconds: envNumber(env, 'JOBS_TIMEOUT_BASE_SECONDS', DEFAULT_JOB_TIMEOUTS.baseSeconds, { min: 1 }),
      perMediaSecond: envNumber(env, 'JOBS_TIMEOUT_PER_MEDIA_SECOND', DEFAULT_JOB_TIMEOUTS.perMediaSecond, {
        min: 0,
      }),
    },
    ...readAwsSettings(env),
  };
}
