import httpProxy from '@fastify/http-proxy';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { type Duplex, Readable, type Writable } from 'node:stream';
import { serializeRequest } from '@frameproof/core';
import type { TLSSocket } from 'node:tls';
import { neverArrived, Pool } from './pool.js';
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

/** Each service's targets: one origin, or several to balance over (the adapters). */
export type Upstreams = Partial<Record<Upstream, string | readonly string[]>>;

/** Where each service answers its health check; the others' targets are only checked passively. */
const HEALTH: Partial<Record<Upstream, string>> = { adapter: '/api/health', analyze: '/api/health' };

/** GET and HEAD carry no body and change nothing: one refused or reset before an answer goes to another target. */
const IDEMPOTENT = new Set(['GET', 'HEAD']);

/**
 * A request body up to this size is read whole before it is sent on, so that a request whose
 * connection was refused (it never reached the target) can be sent to another, whatever its
 * method. Larger bodies and bodies of unknown length (uploads) stream through and are not retried.
 */
export const REPLAYABLE_BODY_BYTES = 1024 * 1024;

/**
 * The body of `request`, read whole if it is small enough to send again: `null` for none,
 * `undefined` for one that streams (over the limit, or chunked with no length).
 */
async function replayableBody(request: FastifyRequest): Promise<Buffer | null | undefined> {
  const body: unknown = request.body;
  if (body === undefined || body === null) return null;
  if (!(body instanceof Readable)) return undefined;
  const declared = request.headers['content-length'];
  const length = declared === undefined ? NaN : Number(declared);
  if (!(length <= REPLAYABLE_BODY_BYTES)) return undefined;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(chunk as Buffer);
  } catch {
    // The client went away (or broke off) before its body was whole: nothing is sent on.
    throw Object.assign(new Error('the request body did not arrive whole'), { statusCode: 400 });
  }
  return Buffer.concat(chunks);
}

const PLACEHOLDER = `<!doctype html><meta charset="utf-8"><title>Frameproof</title>
<style>body{font:16px system-ui;margin:3rem;max-width:40rem;color:#222}code{background:#eee;padding:0 .3em}</style>
<h1>Frameproof</h1><p>The API is running. The review workspace (frontend) is not part of this build yet.</p>
<ul><li><a href="/api/docs">API documentation</a></li><li><a href="/api/health">Health</a></li></ul>`;

/**
 * The local stand-in for the ALB: one port, the same path rules. A service that is not running
 * (not built yet, or no identity provider configured) answers 502 for its paths, as an ALB with
 * no healthy target would, except the frontend, which gets a placeholder page. A service with
 * several targets is balanced round robin (WebSocket upgrades too); see `Pool` for how a target
 * leaves and rejoins. A GET or HEAD whose connection was refused or reset before an answer is
 * sent to the next target; so is any request whose connection was refused if its body was small
 * enough to keep (`REPLAYABLE_BODY_BYTES`); any other gets 502, since its body is already spent.
 */
export async function buildGateway(
  upstreams: Upstreams,
  {
    logger = true,
    healthIntervalMs,
    logStream,
  }: { logger?: boolean; healthIntervalMs?: number; logStream?: Writable } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    // A logged request is its path only: query strings carry media URLs' signatures.
    logger: logger
      ? { level: 'warn', serializers: { req: serializeRequest }, ...(logStream ? { stream: logStream } : {}) }
      : false,
    bodyLimit: 1024 * 1024 * 1024,
    // Closing, a request on an open connection is still passed on (with `Connection: close`).
    return503OnClosing: false,
  });
  // WebSocket upgrades, by the same rules, tunnelled to the prefixes that take them.
  const tunnels = new Map<string, Pool>();
  const pools: Pool[] = [];
  const open = new Set<Duplex>();
  app.server.on('upgrade', (req, socket: Duplex, early: Buffer) => {
    const name = routeFor(new URL(req.url ?? '/', 'http://gateway').pathname);
    const pool = tunnels.get(ALB_RULES.find((rule) => rule.upstream === name)?.prefix ?? '/');
    if (!pool) return refuse(socket, 502, 'Bad Gateway', `the ${name} service takes no WebSockets here`);
    const forwarded = { 'x-forwarded-host': req.headers.host ?? '', 'x-forwarded-proto': schemeOf(req) };
    tunnel(req, socket, early, pool, forwarded, open);
  });
  // Stopping, an answer closes its connection: a keep-alive client would otherwise hold the
  // server open for its idle timeout (72 s) after the last request.
  let stopping = false;
  app.addHook('preClose', async () => void (stopping = true));
  app.addHook('onSend', async (_req, reply) => void (stopping && reply.header('connection', 'close')));
  app.addHook('onClose', async () => {
    for (const pool of pools) pool.stop();
    for (const socket of open) socket.destroy();
  });
  const proxy = (name: Upstream, targets: string | readonly string[], prefix: string) => {
    const pool = new Pool(typeof targets === 'string' ? [targets] : targets, {
      healthPath: HEALTH[name],
      intervalMs: healthIntervalMs,
    });
    pools.push(pool);
    pool.start();
    if (name === 'adapter') tunnels.set(prefix, pool);
    const tried = new WeakMap<FastifyRequest, Set<string>>();
    const send = (
      request: FastifyRequest,
      reply: FastifyReply,
      dest: string,
      options: object,
      body: Buffer | null | undefined,
    ) => {
      const seen = tried.get(request) ?? new Set<string>();
      tried.set(request, seen);
      const target = pool.pick(seen);
      if (!target) return unavailable(reply, name);
      seen.add(target);
      const contentType = request.headers['content-type'];
      return reply.from(dest, {
        ...options,
        // A kept body goes as it came: the same bytes, the same type (none stays none).
        ...(body ? { body, contentType: contentType ?? 'application/octet-stream' } : {}),
        getUpstream: () => target,
        onError: (_reply, { error }) => {
          const cause = (error as { cause?: unknown }).cause;
          if (neverArrived(cause)) pool.refused(target);
          const code = (cause as { code?: string } | undefined)?.code;
          const retry = neverArrived(cause) || code === 'ECONNRESET';
          // Reset, a request may have been acted on: only one that changes nothing goes again.
          const again = IDEMPOTENT.has(request.method) || (neverArrived(cause) && body !== undefined);
          if (retry && again && seen.size < pool.targets.length && !reply.sent)
            return void send(request, reply, dest, options, body);
          if (retry) return void unavailable(reply, name);
          if (!request.raw.complete) reply.header('connection', 'close');
          void reply.send(error);
        },
      });
    };
    return app.register(httpProxy, {
      upstream: pool.targets[0] ?? '',
      prefix,
      handler: async (request, reply, dest, options) => {
        const body = IDEMPOTENT.has(request.method) ? null : await replayableBody(request);
        send(request, reply, dest, options, body);
        return reply;
      },
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
          if (req.headers['content-type'] === undefined) delete rest['content-type'];
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
    const targets = upstreams[name];
    if (!targets || targets.length === 0) {
      const notRunning = async (_req: FastifyRequest, reply: FastifyReply) =>
        reply
          .code(502)
          .send({ statusCode: 502, error: 'Bad Gateway', message: `the ${name} service is not running` });
      app.all(prefix, notRunning);
      app.all(`${prefix}/*`, notRunning);
      continue;
    }
    await proxy(name, targets, prefix);
  }
  if (upstreams.frontend?.length) {
    await proxy('frontend', upstreams.frontend, '/');
  } else {
    app.get('/', async (_req, reply) => reply.type('text/html').send(PLACEHOLDER));
  }
  return app;
}

/** No target took the connection: 502, as an ALB answers when none of its targets does. */
function unavailable(reply: FastifyReply, name: Upstream) {
  // A body not read to its end (an upload spent on a refused connection) leaves the client's
  // connection unusable: closed after the answer, not held open until its keep-alive runs out.
  if (!reply.request.raw.complete) reply.header('connection', 'close');
  return reply
    .code(502)
    .send({ statusCode: 502, error: 'Bad Gateway', message: `no ${name} instance took the connection` });
}
