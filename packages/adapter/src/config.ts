import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ConfigError,
  envChoice,
  envList,
  envLogLevel,
  envNumber,
  type Env,
  type LogLevel,
  VIDEO_ANALYSES,
  type VideoAnalysis,
} from '@frameproof/core';

export { ConfigError };

export interface OidcConfig {
  issuerUrl: string;
  /** Tokens must name it in `aud`: a token minted for another service is refused. */
  audience: string;
  /** When set, the client a token was issued to (`azp`, or `client_id`) must be one of these. */
  clientIds?: string[];
  /** Dotted path of the roles array in the token, e.g. `realm_access.roles` for Keycloak. */
  rolesClaim: string;
}

export interface AdapterConfig {
  host: string;
  port: number;
  /** The internal port workers connect to for "work available" pushes; null turns it off. */
  busPort: number | null;
  dataDir: string;
  /** A PostgreSQL URL; without one the adapter runs PGlite in `dataDir/db`. */
  databaseUrl?: string;
  storageUrl: string;
  publicUrl?: string;
  /** Origin of signed media URLs when media is served from its own origin (else PUBLIC_URL). */
  mediaPublicUrl?: string;
  /**
   * Which peers may speak for the client in `X-Forwarded-*` (Fastify's `trustProxy`): a hop
   * count, or addresses/CIDRs and the names `loopback`, `linklocal`, `uniquelocal`.
   */
  trustProxy: number | string | false;
  adminPassword?: string;
  /**
   * AUTH_SIGNING_SECRETS and MEDIA_URL_SECRETS: keys in rotation (the first signs). Unset: one
   * key each, generated and kept in the database, where a backup would hold them.
   */
  signingSecrets?: Buffer[];
  mediaUrlSecrets?: Buffer[];
  /** AUTH_LOCAL=off: no local admin, and people sign in through the identity provider only. */
  authLocal: boolean;
  runner?: { username: string; password: string };
  oidc?: OidcConfig;
  uploadMaxBytes: number;
  /** How long after its creation an unfinished resumable upload is kept before it is swept (s). */
  uploadExpirySeconds: number;
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  /**
   * How long an instance may remember a user's standing without news on the bus (ms; 10 s
   * when unset). Every change is sent on the bus at once; this only bounds a lost notification.
   */
  accessCacheMs?: number;
  mediaUrlSeconds: number;
  leaseSeconds: number;
  maxAttempts: number;
  retryBaseSeconds: number;
  proxyMaxHeight: number;
  spriteIntervalSeconds: number;
  /** The video analyses ingest runs on each video proxy (VIDEO_ANALYSES; none unless set). */
  videoAnalyses: VideoAnalysis[];
  /** THUMBNAILS_QC_SOURCE: what thumbnails, sprites and Auto QC read (`proxy` where MediaConvert makes proxies). */
  thumbnailsQcSource: 'original' | 'proxy';
  /** How long a deleted asset stays restorable before the sweep purges its rows and files. */
  assetRetentionDays: number;
  /**
   * After SIGTERM, how long the adapter goes on answering while its health check says
   * `draining` (503), so the load balancer stops sending to it before it closes.
   */
  drainSeconds: number;
  /** How long live events are kept for sockets that reconnect to catch up from (s). */
  eventRetentionSeconds: number;
  logLevel: LogLevel;
  /** Where the pending-jobs metric goes (CloudWatch), for the jobs service's autoscaling. */
  metrics?: { namespace: string; application: string };
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: `loopback` by default (the gateway of `npm start`); `1` behind one load balancer
 * whose address is not known in advance (the ALB on ECS); `off`; or a list of addresses/CIDRs.
 */
function trustProxy(raw: string | undefined): number | string | false {
  const value = (raw ?? '').trim();
  if (value === '') return 'loopback';
  if (value === 'off') return false;
  if (/^\d+$/.test(value)) return Number(value);
  const items = value.split(',').map((item) => item.trim());
  for (const item of items) {
    if (!PROXY_NAMES.has(item) && !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(item))
      throw new ConfigError(
        `TRUST_PROXY must be a hop count, "off", or addresses/CIDRs (or loopback, linklocal, uniquelocal), got "${item}"`,
      );
  }
  return items.join(',');
}

function required(env: Env, name: string, why: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is required ${why}`);
  return value;
}

/**
 * Secret keys from a comma-separated list, newest first: each at least 32 characters (say,
 * `openssl rand -base64 32`). The message never repeats a value.
 */
function envSecrets(env: Env, name: string): Buffer[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const items = raw.split(',').map((item) => item.trim());
  const short = items.findIndex((item) => item.length < 32);
  if (short >= 0)
    throw new ConfigError(`${name}: key ${short + 1} of ${items.length} is shorter than 32 characters`);
  if (new Set(items).size !== items.length) throw new ConfigError(`${name} lists a key twice`);
  return items.map((item) => Buffer.from(item, 'utf8'));
}

/** Where the adapter's image keeps the RDS certificate bundle. */
export const RDS_CA_BUNDLE = '/etc/ssl/certs/rds-global-bundle.pem';

/**
 * DB_SSL: `verify` (the default) checks the server's certificate against DB_SSL_CA and its name
 * against DB_HOST; `no-verify` encrypts without checking who answers; `false` does not encrypt.
 */
function dbTls(env: Env): string {
  const mode = env.DB_SSL || 'verify';
  if (mode === 'false') return '';
  if (mode === 'no-verify') return '?sslmode=no-verify';
  if (mode !== 'verify') throw new ConfigError(`DB_SSL must be verify, no-verify or false, got "${mode}"`);
  const ca = env.DB_SSL_CA || RDS_CA_BUNDLE;
  if (!existsSync(ca))
    throw new ConfigError(
      `DB_SSL_CA: no certificate bundle at ${ca}, so the database server cannot be verified (DB_SSL=no-verify skips the check)`,
    );
  return `?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(`${name} must be "on" or "off", got "${raw}"`);
}

/** Reads the adapter's settings from the environment (names as the ECS tasks set them). */
export function readConfig(env: Env = process.env): AdapterConfig {
  const dataDir = resolve(env.FRAMEPROOF_DATA_DIR ?? './data');
  let databaseUrl = env.DATABASE_URL || undefined;
  if (!databaseUrl && env.DB_HOST) {
    const user = encodeURIComponent(env.DB_USER ?? 'postgres');
    const pass = env.DB_PASS ? `:${encodeURIComponent(env.DB_PASS)}` : '';
    databaseUrl = `postgres://${user}${pass}@${env.DB_HOST}:${env.DB_PORT ?? 5432}/${env.DB_NAME ?? 'accurate_video'}${dbTls(env)}`;
  }
  const runnerUser = env.AUTH_RUNNER_USERNAME;
  const runnerPass = env.AUTH_RUNNER_PASSWORD;
  if (runnerUser && !runnerPass)
    throw new ConfigError('AUTH_RUNNER_USERNAME is set without AUTH_RUNNER_PASSWORD');
  const issuer =
    env.OIDC_ISSUER_URL ||
    (env.KEYCLOAK_HOST ? `${env.KEYCLOAK_HOST.replace(/\/$/, '')}/auth/realms/frameproof` : '');
  if (env.AUTH_LOCAL === 'off' && !issuer)
    throw new ConfigError('AUTH_LOCAL=off needs an identity provider (OIDC_ISSUER_URL or KEYCLOAK_HOST)');
  const busPort = env.BUS_PORT === 'off' ? null : envNumber(env, 'BUS_PORT', 5701, { min: 0, integer: true });
  return {
    host: env.HOST ?? '0.0.0.0',
    port: envNumber(env, 'PORT', 8080, { min: 0, integer: true }),
    busPort,
    dataDir,
    databaseUrl,
    storageUrl: env.STORAGE_URL || join(dataDir, 'media'),
    publicUrl: env.PUBLIC_URL || undefined,
    mediaPublicUrl: env.MEDIA_PUBLIC_URL || undefined,
    trustProxy: trustProxy(env.TRUST_PROXY),
    adminPassword: env.FRAMEPROOF_ADMIN_PASSWORD || undefined,
    signingSecrets: envSecrets(env, 'AUTH_SIGNING_SECRETS'),
    mediaUrlSecrets: envSecrets(env, 'MEDIA_URL_SECRETS'),
    authLocal: onOff(env, 'AUTH_LOCAL', true),
    runner: runnerUser && runnerPass ? { username: runnerUser, password: runnerPass } : undefined,
    oidc: issuer
      ? {
          issuerUrl: issuer,
          audience: required(
            env,
            'OIDC_AUDIENCE',
            'with an identity provider (tokens for other services must be refused)',
          ),
          clientIds: env.OIDC_CLIENT_IDS ? env.OIDC_CLIENT_IDS.split(',').map((c) => c.trim()) : undefined,
          rolesClaim: env.OIDC_ROLES_CLAIM || 'realm_access.roles',
        }
      : undefined,
    uploadMaxBytes: envNumber(env, 'UPLOAD_MAX_BYTES', 200 * 1024 ** 3, { min: 1, integer: true }),
    uploadExpirySeconds: envNumber(env, 'UPLOAD_EXPIRY_SECONDS', 7 * 86400, { min: 60, integer: true }),
    accessTokenSeconds: envNumber(env, 'ACCESS_TOKEN_SECONDS', 900, { min: 10, integer: true }),
    refreshTokenSeconds: envNumber(env, 'REFRESH_TOKEN_SECONDS', 30 * 86400, { min: 60, integer: true }),
    mediaUrlSeconds: envNumber(env, 'MEDIA_URL_SECONDS', 3600, { min: 10, integer: true }),
    leaseSeconds: envNumber(env, 'JOB_LEASE_SECONDS', 60, { min: 2, integer: true }),
    maxAttempts: envNumber(env, 'JOB_MAX_ATTEMPTS', 3, { min: 1, integer: true }),
    retryBaseSeconds: envNumber(env, 'JOB_RETRY_BASE_SECONDS', 10, { min: 0, integer: true }),
    proxyMaxHeight: envNumber(env, 'PROXY_MAX_HEIGHT', 1080, { min: 144, integer: true }),
    spriteIntervalSeconds: envNumber(env, 'SPRITE_INTERVAL_SECONDS', 2, { min: 1, integer: true }),
    videoAnalyses: envList(env, 'VIDEO_ANALYSES', VIDEO_ANALYSES, []),
    thumbnailsQcSource: envChoice(env, 'THUMBNAILS_QC_SOURCE', ['original', 'proxy'] as const, 'original'),
    assetRetentionDays: envNumber(env, 'ASSET_RETENTION_DAYS', 30, { min: 0, max: 36500, integer: true }),
    drainSeconds: envNumber(env, 'SHUTDOWN_DRAIN_SECONDS', 2, { min: 0, max: 300 }),
    eventRetentionSeconds: envNumber(env, 'EVENT_RETENTION_SECONDS', 3600, { min: 60, integer: true }),
    logLevel: envLogLevel(env),
    metrics: env.METRICS_NAMESPACE
      ? { namespace: env.METRICS_NAMESPACE, application: env.APPLICATION_TAG || 'frameproof' }
      : undefined,
  };
}
