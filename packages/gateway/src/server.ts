import httpProxy from '@fastify/http-proxy';
import Fastify, { type FastifyInstance } from 'fastify';
import { ALB_RULES, type Upstream } from './routes.js';

export type Upstreams = Partial<Record<Upstream, string>>;

const PLACEHOLDER = `<!doctype html><meta charset="utf-8"><title>Frameproof</title>
<style>body{font:16px system-ui;margin:3rem;max-width:40rem;color:#222}code{background:#eee;padding:0 .3em}</style>
<h1>Frameproof</h1><p>The API is running. The review workspace (frontend) is not part of this build yet.</p>
<ul><li><a href="/api/docs">API documentation</a></li><li><a href="/api/health">Health</a></li></ul>`;

/**
 * The local stand-in for the ALB: one port, the same path rules. A service that is not running
 * (not built yet, or no identity provider configured) answers 502 for its paths, as an ALB with
 * no healthy target would, except the frontend, which gets a placeholder page.
 */
export async function buildGateway(upstreams: Upstreams, logger = true): Promise<FastifyInstance> {
  const app = Fastify({ logger: logger ? { level: 'warn' } : false, bodyLimit: 1024 * 1024 * 1024 });
  const proxy = (upstream: string, prefix: string, websocket: boolean) =>
    app.register(httpProxy, {
      upstream,
      prefix,
      rewritePrefix: prefix,
      websocket,
      // The services build absolute URLs (signed media links) from the host the browser used.
      replyOptions: {
        rewriteRequestHeaders: (req, headers) => ({
          ...headers,
          'x-forwarded-host': req.headers.host,
          'x-forwarded-proto': req.protocol,
        }),
      },
    });
  for (const { upstream: name, prefix } of ALB_RULES) {
    const upstream = upstreams[name];
    if (!upstream) {
      app.all(`${prefix}/*`, async (_req, reply) =>
        reply
          .code(502)
          .send({ statusCode: 502, error: 'Bad Gateway', message: `the ${name} service is not running` }),
      );
      continue;
    }
    await proxy(upstream, prefix, name === 'adapter');
  }
  if (upstreams.frontend) {
    await proxy(upstreams.frontend, '/', false);
  } else {
    app.get('/', async (_req, reply) => reply.type('text/html').send(PLACEHOLDER));
  }
  return app;
}
