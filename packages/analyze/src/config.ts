import { readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, envLogLevel, envNumber, type Env, type LogLevel } from '@frameproof/core';
import { ffprobeFor } from './file-resolver.js';
import { AUTH_TTL_MS, type SourcePreference } from './resolver.js';

export { ConfigError };

export interface AnalyzeConfig {
  port: number;
  host: string;
  /** The adapter, asked for assets with the caller's token (AP_ADAPTER_HOST). */
  adapterUrl: string;
  /**
   * The storage of the assets (STORAGE_URL, as the adapter and jobs read it): analysis results
   * are kept there next to each asset. Unset: on this task's disk only.
   */
  storageUrl: string | undefined;
  cacheDir: string;
  cacheMaxAgeMs: number;
  cacheMaxBytes: number;
  ffmpegPath: string;
  ffprobePath: string;
  /** ffmpeg processes one whole-programme decode may use side by side. */
  maxDecoders: number;
  /**
   * How long an adapter answer is reused for the same token and asset: at most this long a
   * revoked token may still read what it read just before.
   */
  authTtlMs: number;
  /**
   * What loudness and levels measure when a request does not say (AP_ANALYZE_MEASURE_SOURCE):
   * the original's own audio (default), or the track's lossy audio proxy.
   */
  measureSource: SourcePreference;
  logLevel: LogLevel;
}

/**
 * CPUs this process may use: the machine's, capped by a cgroup v2 quota (a container with half a
 * vCPU sees the host's cores in `availableParallelism()` but gets `cpu.max` = "50000 100000").
 */
export function usableCpus(cpuMax = readCpuMax()): number {
  const cores = availableParallelism();
  const m = /^(\d+)\s+(\d+)/.exec(cpuMax ?? '');
  if (!m) return cores;
  return Math.max(1, Math.min(cores, Math.floor(Number(m[1]) / Number(m[2]))));
}

function readCpuMax(): string | undefined {
  try {
    return readFileSync('/sys/fs/cgroup/cpu.max', 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads the environment; throws ConfigError naming the variable at fault. */
export function loadConfig(env: Env = process.env): AnalyzeConfig {
  const ffmpegPath = env.FFMPEG_PATH || 'ffmpeg';
  return {
    port: envNumber(env, 'PORT', 8080, { min: 0, max: 65535 }),
    host: env.HOST || '0.0.0.0',
    adapterUrl: env.AP_ADAPTER_HOST || 'http://127.0.0.1:8081',
    storageUrl: env.STORAGE_URL || undefined,
    cacheDir: env.AP_ANALYZE_CACHE_DIR || join(tmpdir(), 'frameproof-analyze'),
    cacheMaxAgeMs: envNumber(env, 'AP_ANALYZE_CACHE_DAYS', 5, { min: 0, max: 3650 }) * 86_400_000,
    cacheMaxBytes: Math.round(
      envNumber(env, 'AP_ANALYZE_CACHE_MAX_GB', 10, { min: 0, max: 100_000 }) * 1024 ** 3,
    ),
    ffmpegPath,
    ffprobePath: ffprobeFor(ffmpegPath, env),
    maxDecoders: envNumber(env, 'AP_ANALYZE_DECODERS', Math.min(4, usableCpus()), { min: 1, max: 64 }),
    authTtlMs:
      envNumber(env, 'AP_ANALYZE_AUTH_TTL_SECONDS', AUTH_TTL_MS / 1000, { min: 0, max: 3600 }) * 1000,
    measureSource: measureSource(env.AP_ANALYZE_MEASURE_SOURCE),
    logLevel: envLogLevel(env),
  };
}

/**
 * Loudness and peaks are measured on the original unless told otherwise: a lossy proxy's peaks
 * are not the master's (a sine at -23.0 dBTP in PCM reads -22.1 dBTP from its AAC proxy).
 */
function measureSource(value: string | undefined): SourcePreference {
  if (!value) return 'original';
  if (value === 'original' || value === 'proxy') return value;
  throw new ConfigError(`AP_ANALYZE_MEASURE_SOURCE must be "original" or "proxy", got "${value}"`);
}
