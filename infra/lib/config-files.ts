import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** What the starting configuration files leave open until a deployment is known. */
export interface ConfigValues {
  /** The domain the stack answers at, e.g. `frameproof.example.com`. */
  domain: string;
  /** Where media is read from and uploaded to, e.g. `https://<MediaBucketName>.s3.<region>.amazonaws.com`. */
  mediaOrigin: string;
}

/** The starting content of the configuration bucket (frontend/settings.js, frontend/keycloak.json, backend/settings.json). */
export const CONFIG_DIR = new URL('../config/', import.meta.url);

/** The files under `dir` as bucket keys and text, in key order. */
export function readConfigFiles(dir: string): { key: string; text: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ key: relative(dir, path).split(sep).join('/'), text: readFileSync(path, 'utf8') }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * Fills `{{DOMAIN}}` and `{{MEDIA_ORIGIN}}` in, after checking each value is what it claims to
 * be (a host name; an https origin), so that a typo fails here rather than in a browser.
 */
export function renderConfigFile(text: string, values: ConfigValues): string {
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(values.domain))
    throw new Error(`--domain must be a host name like frameproof.example.com, not "${values.domain}"`);
  let origin: URL | undefined;
  try {
    origin = new URL(values.mediaOrigin);
  } catch {
    origin = undefined;
  }
  if (!origin || origin.protocol !== 'https:' || origin.origin !== values.mediaOrigin.replace(/\/$/, ''))
    throw new Error(`--media-origin must be an https origin (no path), not "${values.mediaOrigin}"`);
  const out = text.replaceAll('{{DOMAIN}}', values.domain).replaceAll('{{MEDIA_ORIGIN}}', origin.origin);
  const left = /\{\{[A-Z_]+\}\}/.exec(out);
  if (left) throw new Error(`a configuration file names ${left[0]}, which nothing fills in`);
  return out;
}
