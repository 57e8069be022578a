import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { contentSecurityPolicy, type LoadedConfig } from './settings.js';

/** Vite writes hashed files under this folder; `/assets/...` is the app's own route (asset pages). */
export const HASHED_DIR = 'static';
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface StaticServerOptions {
  /** The built app (vite's outDir): index.html, static/…, with .gz and .br beside each file. */
  root: string;
  config: LoadedConfig;
  logger?: FastifyServerOptions['logger'];
  /**
   * Serve the build's source maps (`*.map`). Off by default: they would publish the app's
   * source; the build references none (vite's `hidden` maps) and the image carries none.
   */
  serveSourceMaps?: boolean;
}

/** A source map, or its precompressed copy. */
const SOURCE_MAP = /\.map(\.(gz|br))?$/i;

/**
 * The frontend's static server: the built app with long caching for hashed files and none for
 * index.html, precompressed brotli and gzip, the SPA fallback, `/settings.js` and
 * `/keycloak.json`, and a strict Content-Security-Policy with the other security headers on
 * every answer.
 */
export async function buildStaticServer(options: StaticServerOptions): Promise<FastifyInstance> {
  const { root, config } = options;
  if (!existsSync(join(root, 'index.html')))
    throw new Error(`${join(root, 'index.html')} is missing: build the app first (npm run build)`);
  // Stopping, a request on an open connection is answered, not refused with 503.
  const app = Fastify({ logger: options.logger ?? false, trustProxy: true, return503OnClosing: false });
  const csp = contentSecurityPolicy(config);
  // Stopping, an answer closes its connection: a keep-alive client (the load balancer) would
  // otherwise hold the server open for its idle timeout (72 s) after the last request.
  let stopping = false;
  app.addHook('preClose', async () => void (stopping = true));

  app.addHook('onSend', async (_req, reply, payload) => {
    if (stopping) reply.header('connection', 'close');
    reply.header('content-security-policy', csp);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'strict-origin-when-cross-origin');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
    return payload;
  });

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    preCompressed: true,
    index: false,
    cacheControl: false,
    etag: true,
    lastModified: true,
    setHeaders(res, path) {
      const rel = path.slice(root.length).replace(/\\/g, '/');
      res.header(
        'cache-control',
        rel.startsWith(`/${HASHED_DIR}/`)
          ? IMMUTABLE
          : rel.endsWith('.html')
            ? 'no-cache'
            : 'public, max-age=300',
      );
    },
  });

  if (!options.serveSourceMaps)
    app.addHook('onRequest', async (req, reply) => {
      if (SOURCE_MAP.test(req.url.split('?')[0] ?? ''))
        return reply
          .code(404)
          .send({ statusCode: 404, error: 'Not Found', message: 'source maps are not served' });
    });

  const noCache = { 'cache-control': 'no-cache' };
  app.get('/settings.js', async (_req, reply) =>
    reply.headers(noCache).type('text/javascript; charset=utf-8').send(config.settingsJs),
  );
  app.get('/keycloak.json', async (_req, reply) =>
    config.keycloakJson === null
      ? reply
          .code(404)
          .send({ statusCode: 404, error: 'Not Found', message: 'no keycloak.json is configured' })
      : reply.headers(noCache).type('application/json; charset=utf-8').send(config.keycloakJson),
  );

  const sendIndex = (reply: FastifyReply) =>
    reply.headers(noCache).sendFile('index.html', root, { cacheControl: false });
  app.get('/', (_req, reply) => sendIndex(reply));

  // The SPA's own routes (/assets/…, /settings/users, /signin…) all get index.html; a missing
  // hashed file or anything with a file extension is a real 404, so a stale chunk fails loudly.
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const isFile = path.startsWith(`/${HASHED_DIR}/`) || /\.[a-z0-9]+$/i.test(path);
    if ((req.method === 'GET' || req.method === 'HEAD') && !isFile) return sendIndex(reply);
    return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `${path} does not exist` });
  });
  return app;
}
