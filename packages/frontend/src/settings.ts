import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';

/** What `/settings.js` tells the app; the server reads the same object to build its CSP. */
export interface FrontendSettings {
  /** Origin of the API (adapter and analyze behind the load balancer); "" means this origin. */
  apiUrl?: string;
  /** Origin for `/api/eventbus`; by default the API's, with ws(s). */
  eventBusUrl?: string;
  /** OpenID Connect: sign in through this issuer instead of local accounts. */
  oidc?: { issuer: string; clientId: string; scope?: string } | null;
  /** Where signed media URLs point when that is not the API's origin (S3 on AWS). */
  mediaOrigins?: string[];
  /** Features to show or hide. */
  features?: Record<string, boolean>;
}

/** The two configuration files, as served (bytes) and as understood (for the CSP). */
export interface LoadedConfig {
  /**
   * Where the settings came from: the bucket, or the folder. `fallback` says why the folder was
   * used although a bucket was named (the deploy step has not copied the files in yet).
   */
  from: { place: string; fallback?: string };
  settingsJs: string;
  keycloakJson: string | null;
  settings: FrontendSettings;
  keycloak: { realm?: string; 'auth-server-url'?: string; resource?: string } | null;
}

/**
 * settings.js is a classic script that sets `window.frameproofSettings = { ... }` (so the browser
 * runs it without any inline script). This server runs it too, in an empty sandbox with a time
 * limit, to learn the origins its CSP must allow; a file that does not set an object is refused
 * with a clear error at start, rather than served and broken at runtime.
 */
export function parseSettingsJs(text: string): FrontendSettings {
  const sandbox: { window: { frameproofSettings?: unknown } } = { window: {} };
  try {
    runInNewContext(text, sandbox, { timeout: 200, filename: 'settings.js' });
  } catch (err) {
    throw new Error(`settings.js does not run: ${(err as Error).message}`, { cause: err });
  }
  // Through JSON, so nothing of the sandbox (functions, getters) reaches the server.
  const value = JSON.parse(JSON.stringify(sandbox.window.frameproofSettings ?? null)) as unknown;
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new Error('settings.js must set window.frameproofSettings to an object');
  const s = value as FrontendSettings;
  for (const key of ['apiUrl', 'eventBusUrl'] as const) {
    const v = s[key];
    if (v !== undefined && v !== '' && !isOrigin(v)) throw new Error(`settings.js: ${key} must be an origin`);
  }
  if (s.oidc && (typeof s.oidc.issuer !== 'string' || !URL.canParse(s.oidc.issuer)))
    throw new Error('settings.js: oidc.issuer must be a URL');
  if (s.oidc && typeof s.oidc.clientId !== 'string')
    throw new Error('settings.js: oidc.clientId is required');
  for (const o of s.mediaOrigins ?? [])
    if (!isOrigin(o)) throw new Error(`settings.js: mediaOrigins: "${o}" is not an origin`);
  return s;
}

/** `FRONTEND_SOURCE_MAPS`: `serve` serves the build's `*.map` files; unset or `off` does not. */
export function sourceMapsServed(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env.FRONTEND_SOURCE_MAPS?.trim() || 'off';
  if (value !== 'serve' && value !== 'off')
    throw new Error(`FRONTEND_SOURCE_MAPS must be "serve" or "off", got "${value}"`);
  return value === 'serve';
}

function isOrigin(value: unknown): value is string {
  if (typeof value !== 'string' || !URL.canParse(value)) return false;
  const url = new URL(value);
  return ['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) && url.pathname === '/' && !url.search;
}

export function parseKeycloakJson(text: string): LoadedConfig['keycloak'] {
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object') throw new Error('not an object');
    return value as LoadedConfig['keycloak'];
  } catch (err) {
    throw new Error(`keycloak.json is not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

/** The issuer the app signs in with: settings' oidc, else keycloak.json's realm, else none. */
export function issuerOf(config: Pick<LoadedConfig, 'settings' | 'keycloak'>): string | null {
  if (config.settings.oidc?.issuer) return config.settings.oidc.issuer;
  const kc = config.keycloak;
  if (kc?.['auth-server-url'] && kc.realm)
    return `${kc['auth-server-url'].replace(/\/$/, '')}/realms/${encodeURIComponent(kc.realm)}`;
  return null;
}

export interface ConfigSource {
  /** A folder with settings.js and (optionally) keycloak.json. */
  dir: string;
  /** The configuration bucket; when set, the files are read from it instead. */
  bucket?: string;
  /** The folder in the bucket; `frontend` as the reference deployment has it. */
  prefix?: string;
  s3?: S3Client;
}

/** Reads the configuration once at start; ECS starts new tasks when the bucket's settings change. */
export async function loadConfig(source: ConfigSource): Promise<LoadedConfig> {
  const prefix = (source.prefix ?? 'frontend').replace(/\/+$/, '');
  const read = source.bucket
    ? (name: string) => readS3(source.s3 ?? new S3Client({}), source.bucket as string, `${prefix}/${name}`)
    : (name: string) => readLocal(join(source.dir, name));
  const [settingsJs, keycloakJson] = await Promise.all([read('settings.js'), read('keycloak.json')]);
  if (settingsJs === null && source.bucket) {
    // A new deployment's bucket is empty until its deploy step copies the files in (and that
    // redeploys the frontend): start with the image's own settings meanwhile, rather than fail
    // every task and roll the stack back.
    const own = await loadConfig({ dir: source.dir });
    return {
      ...own,
      from: { ...own.from, fallback: `s3://${source.bucket}/${prefix}/settings.js does not exist yet` },
    };
  }
  if (settingsJs === null) throw new Error(`${join(source.dir, 'settings.js')} does not exist`);
  return {
    from: { place: source.bucket ? `s3://${source.bucket}/${prefix}` : source.dir },
    settingsJs,
    keycloakJson,
    settings: parseSettingsJs(settingsJs),
    keycloak: keycloakJson === null ? null : parseKeycloakJson(keycloakJson),
  };
}

async function readLocal(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function readS3(s3: S3Client, bucket: string, key: string): Promise<string | null> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return null;
    throw err;
  }
}

/** The Content-Security-Policy for every page: this origin, plus the API and identity provider. */
export function contentSecurityPolicy(config: Pick<LoadedConfig, 'settings' | 'keycloak'>): string {
  const s = config.settings;
  const api = s.apiUrl ? [new URL(s.apiUrl).origin] : [];
  const bus = s.eventBusUrl
    ? [new URL(s.eventBusUrl).origin]
    : s.apiUrl
      ? [new URL(s.apiUrl).origin.replace(/^http/, 'ws')]
      : [];
  const issuer = issuerOf(config);
  const idp = issuer ? [new URL(issuer).origin] : [];
  const media = (s.mediaOrigins ?? []).map((o) => new URL(o).origin);
  const list = (...xs: string[]) => [...new Set(xs)].join(' ');
  return [
    `default-src 'self'`,
    `script-src 'self'`,
    `style-src 'self'`,
    `img-src ${list("'self'", 'data:', 'blob:', ...api, ...media)}`,
    `media-src ${list("'self'", 'blob:', ...api, ...media)}`,
    `connect-src ${list("'self'", ...api, ...bus, ...idp, ...media)}`,
    `worker-src 'self' blob:`,
    `font-src 'self'`,
    `object-src 'none'`,
    `base-uri 'self'`,
    `form-action ${list("'self'", ...idp)}`,
    `frame-src ${idp.length ? list(...idp) : "'none'"}`,
    `frame-ancestors 'none'`,
  ].join('; ');
}
