import httpProxy from '@fastify/http-proxy';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { ALB_RULES, routeFor, type Upstream } from './routes.js';
import { refuse, tunnel } from './tunnel.js';

/** The load balancer's idle timeout (infra/lib/constructs/load-balancer.ts). */
const ALB_IDLE_SECONDS = 30;

/**
 * The scheme a client used to reach the gateway, from its own connection, as the ALB's listener
 * sets it. The gateway is the edge: a client's own `X-Forwarded-Proto` is never believed.
 */
const schemeOf = (req: IncomingMessage): 'http' | 'https' =>
  (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';

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
export async function buildGateway(
  upstreams: Upstreams,
  { logger = true }: { logger?: boolean } = {},
): Promise<FastifyInstance> {
  const app = Fastify({ logger: logger ? { level: 'warn' } : false, bodyLimit: 1024 * 1024 * 1024 });
  // WebSocket upgrades, by the same rules, tunnelled to the prefixes that take them.
  const tunnels = new Map<string, string>();
  const open = new Set<Duplex>();
  app.server.on('upgrade', (req, socket: Duplex, early: Buffer) => {
    const name = routeFor(new URL(req.url ?? '/', 'http://gateway').pathname);
    const upstream = tunnels.get(ALB_RULES.find((rule) => rule.upstream === name)?.prefix ?? '/');
    if (!upstream) return refuse(socket, 502, 'Bad Gateway', `the ${name} service takes no WebSockets here`);
    const forwarded = { 'x-forwarded-host': req.headers.host ?? '', 'x-forwarded-proto': schemeOf(req) };
    tunnel(req, socket, early, upstream, forwarded, open);
  });
  app.addHook('onClose', async () => {
    for (const socket of open) socket.destroy();
  });
  const proxy = (upstream: string, prefix: string, { websocket }: { websocket: boolean }) => {
    if (websocket) tunnels.set(prefix, upstream);
    return app.register(httpProxy, {
      upstream,
      prefix,
      rewritePrefix: prefix,
      websocket: false,
      // Node's HTTP client rather than undici: it hands on a service's early answer (401, 413)
      // to a client still sending its body, and its timeout is the ALB's: idle, not total.
      http: { requestOptions: { timeout: ALB_IDLE_SECONDS * 1000 } },
      // The services build absolute URLs (signed media links) from the host the browser used.
      replyOptions: {
        rewriteRequestHeaders: (req, headers) => {
          // `Expect: 100-continue` (curl sends it for bodies over 1 MB) is answered here, as by
          // the ALB: Node's server sends `100 Continue` itself, so the service need not.
          const { expect: _answered, ...rest } = headers;
          return {
            ...rest,
            'x-forwarded-host': req.headers.host,
            'x-forwarded-proto': req.protocol,
          };
        },
      },
    });
  };
  for (const { upstream: name, prefix } of ALB_RULES) {
    const upstream = upstreams[name];
    if (!upstream) {
      const notRunning = async (_req: FastifyRequest, reply: FastifyReply) =>
        reply
          .code(502)
          .send({ statusCode: 502, error: 'Bad Gateway', message: `the ${name} service is not running` });
      app.all(prefix, notRunning);
      app.all(`${prefix}/*`, notRunning);
      continue;
    }
    await proxy(upstream, prefix, { websocket: name === 'adapter' });
  }
  if (upstreams.frontend) {
    await proxy(upstreams.frontend, '/', { websocket: false });
  } else {
    app.get('/', async (_req, reply) => reply.type('text/html').send(PLACEHOLDER));
  }
  return app;
}
