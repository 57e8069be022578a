/**
 * Reading settings from the environment, strictly: a value that is set but wrong is an error
 * naming the variable, never quietly replaced by the default. No I/O: callers pass the env.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A number from the environment, `fallback` when unset or empty. */
export function envNumber(
  env: Env,
  name: string,
  fallback: number,
  o: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  const { min = -Infinity, max = Infinity, integer = false } = o;
  const ok = Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n));
  if (!ok) {
    const kind = integer ? 'a whole number' : 'a number';
    const range =
      Number.isFinite(min) && Number.isFinite(max)
        ? ` from ${min} to ${max}`
        : Number.isFinite(min)
          ? ` >= ${min}`
          : Number.isFinite(max)
            ? ` <= ${max}`
            : '';
    throw new ConfigError(`${name} must be ${kind}${range}, got "${raw}"`);
  }
  return n;
}

/** The log levels every service accepts in LOG_LEVEL (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL, `info` when unset; anything else is an error. */
export function envLogLevel(env: Env, name = 'LOG_LEVEL'): LogLevel {
  const raw = env[name];
  if (raw === undefined || raw === '') return 'info';
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  throw new ConfigError(`${name} must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
}
