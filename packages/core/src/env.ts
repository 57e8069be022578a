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

/** Where the backend settings are in the configuration bucket (CONFIG_BUCKET). */
export const BACKEND_SETTINGS_KEY = 'backend/settings.json';

/**
 * The backend settings file of the configuration bucket (`backend/settings.json`): a JSON object
 * of environment variable names to strings, numbers or booleans. Names that say where the file
 * is cannot be set from it. Throws a ConfigError naming what is wrong.
 */
export function parseBackendSettings(text: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`backend settings: not JSON (${(err as Error).message})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError('backend settings: must be a JSON object of NAME: value');
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name))
      throw new ConfigError(`backend settings: "${name}" is not an environment variable name`);
    if (name.startsWith('CONFIG_'))
      throw new ConfigError(
        `backend settings: ${name} says where the settings are; set it in the environment`,
      );
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new ConfigError(`backend settings: ${name} must be a string, a number or a boolean`);
    out[name] = String(v);
  }
  return out;
}

/** The environment with the bucket's settings filled in: a variable set in the environment wins. */
export function withBackendSettings(env: Env, settings: Readonly<Record<string, string>>): Env {
  const merged: Record<string, string | undefined> = { ...settings };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return merged;
}

/** One of `choices`, `fallback` when unset or empty; anything else is an error naming them. */
export function envChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
}

/**
 * A comma-separated list of `choices` (spaces around items ignored, repeats dropped), `fallback`
 * when unset; `none` or an empty value is the empty list. An unknown item is an error.
 */
export function envList<T extends string>(
  env: Env,
  name: string,
  choices: readonly T[],
  fallback: readonly T[],
): T[] {
  const raw = env[name];
  if (raw === undefined) return [...fallback];
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 1 && items[0] === 'none') return [];
  const unknown = items.filter((item) => !(choices as readonly string[]).includes(item));
  if (unknown.length)
    throw new ConfigError(`${name} has unknown items: ${unknown.join(', ')} (known: ${choices.join(', ')})`);
  return [...new Set(items as T[])];
}

/**
 * Settings that only make sense together: all of `names` set (their values, trimmed), none set
 * (undefined), or an error naming the ones missing and why they were needed.
 */
export function envGroup<N extends string>(
  env: Env,
  names: readonly N[],
  why: string,
): Record<N, string> | undefined {
  const values = names.map((name) => [name, env[name]?.trim() ?? ''] as const);
  const missing = values.filter(([, value]) => !value).map(([name]) => name);
  if (missing.length === names.length) return undefined;
  if (missing.length) throw new ConfigError(`${why} needs ${missing.join(', ')} too`);
  return Object.fromEntries(values) as Record<N, string>;
}
