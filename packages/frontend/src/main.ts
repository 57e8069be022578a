import { S3Client } from '@aws-sdk/client-s3';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, sourceMapsServed } from './settings.js';
import { buildStaticServer } from './server.js';

/**
 * The frontend's process: `PORT` (80 in its container), `HOST`, `FRONTEND_ROOT` (the built app),
 * `FRONTEND_CONFIG_DIR` (settings.js and keycloak.json when there is no bucket), `CONFIG_BUCKET`
 * (read `frontend/settings.js` and `frontend/keycloak.json` from it, or under `CONFIG_PREFIX`; `S3_ENDPOINT` for another
 * S3-protocol server), `FRONTEND_SOURCE_MAPS` (`serve` to serve `*.map`; `off` by default).
 * SIGTERM and SIGINT stop it cleanly.
 */
const here = dirname(fileURLToPath(import.meta.url));
// From src/ (tsx) or dist/src/ (built), the package folder.
const pkg = resolve(here, here.includes(`${join('dist', 'src')}`) ? '../..' : '..');
const env = process.env;

async function main() {
  const bucket = env.CONFIG_BUCKET || undefined;
  const s3 = bucket
    ? new S3Client({
        ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT, forcePathStyle: true } : {}),
        region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      })
    : undefined;
  const config = await loadConfig({
    dir: resolve(env.FRONTEND_CONFIG_DIR ?? join(pkg, 'config')),
    ...(bucket ? { bucket, prefix: env.CONFIG_PREFIX ?? 'frontend' } : {}),
    ...(s3 ? { s3 } : {}),
  });
  s3?.destroy();
  if (config.from.fallback)
    console.warn(
      `frontend: ${config.from.fallback}; serving the settings in ${config.from.place} until it does`,
    );
  const app = await buildStaticServer({
    root: resolve(env.FRONTEND_ROOT ?? join(pkg, 'dist/src/public')),
    config,
    serveSourceMaps: sourceMapsServed(env),
    logger: { level: env.LOG_LEVEL ?? 'info' },
  });
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await app.listen({ port: Number(env.PORT ?? 80), host: env.HOST ?? '0.0.0.0' });
}

main().catch((err: unknown) => {
  console.error(`frontend: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
