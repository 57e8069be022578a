import { PassThrough, type Readable } from 'node:stream';
import { EVENT_TYPES, EventBusTicket, type EventBusMessage, type LiveEvent } from '@frameproof/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { principalOf } from '../plugins/auth.js';
import { BackupService } from '../services/backup.js';
import { errors } from './errors.js';

/**
 * The close code of an event-bus socket whose token expired or was revoked (sign-out, user
 * disabled, role or password changed): get a fresh token (refresh), then connect again.
 */
export const REAUTHENTICATE = 4401;
/** WebSocket's "try again later": the socket's missed events could not be read; reconnect with `since`. */
const TRY_AGAIN_LATER = 1013;

/** Health for the load balancer, the OpenAPI document, and live events over WebSocket. */
export const systemRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/health',
    {
      config: { public: true },
      schema: {
        tags: ['system'],
        summary:
          'Answers 200 when the database answers (the ALB health check); 503 `draining` once the adapter is stopping',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), database: Type.String() }),
          503: Type.Object({
            status: Type.Union([Type.Literal('unavailable'), Type.Literal('draining')]),
            database: Type.String(),
          }),
        },
      },
    },
    async (_req, reply) => {
      if (ctx.draining) return reply.code(503).send({ status: 'draining' as const, database: ctx.db.kind });
      try {
        await ctx.db.query('SELECT 1');
        return { status: 'ok' as const, database: ctx.db.kind };
      } catch {
        return reply.code(503).send({ status: 'unavailable' as const, database: ctx.db.kind });
      }
    },
  );

  app.get(
    '/api/admin/backup',
    {
      config: { permission: 'system:backup' },
      schema: {
        tags: ['system'],
        summary:
          'The embedded mode (PGlite and the media folder) as one tar, consistent while the stack runs; 409 on PostgreSQL',
        response: {
          200: Type.Unsafe<Readable>({ type: 'string', format: 'binary', description: 'a tar archive' }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const backup = new BackupService(ctx.db, ctx.storage);
      backup.check();
      const body = new PassThrough();
      // A failure half-way cuts the response: the archive then lacks its checksums, and restore refuses it.
      backup.write(body).then(
        ({ files, bytes }) => req.log.info({ files, bytes }, 'backup written'),
        (err: unknown) => {
          req.log.error({ err }, 'backup failed');
          body.destroy(err instanceof Error ? err : new Error(String(err)));
        },
      );
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      return reply
        .type('application/x-tar')
        .header('content-disposition', `attachment; filename="frameproof-backup-${stamp}.tar"`)
        .send(body);
    },
  );

  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, () => app.swagger());

  app.post(
    '/api/eventbus/ticket',
    {
      config: { permission: 'asset:read' },
      schema: {
        tags: ['system'],
        summary: 'A one-time ticket to open the live-event WebSocket with (`/api/eventbus?ticket=…`)',
        description:
          'Single use, valid for about 30 seconds, on any adapter instance. The socket it opens belongs to the session of the token that asked for it, and closes with 4401 when that session ends or that token expires.',
        response: { 200: EventBusTicket, ...errors },
      },
    },
    (req) => ctx.auth.issueTicket(principalOf(req)),
  );

  app.get(
    '/api/eventbus',
    {
      websocket: true,
      config: { permission: 'asset:read', ticketInQuery: true },
      schema: {
        tags: ['system'],
        summary: `WebSocket of live events (${EVENT_TYPES.join(', ')}); open it with ?ticket= from POST /api/eventbus/ticket (or an Authorization header); closed with code ${4401} when the token expires or is revoked`,
        description:
          'Each event carries its `seq`. A client that reconnects passes the last one it saw as `since` and first hears the events it missed (kept about an hour), then live ones, none twice; when `since` is older than what is kept it gets `{type: "resync"}` instead and reloads what it shows. Closed with 1013 (try again) when the missed events cannot be read.',
        querystring: Type.Object(
          {
            ticket: Type.Optional(Type.String({ maxLength: 100 })),
            assetId: Type.Optional(Type.String({ format: 'uuid' })),
            since: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: Number.MAX_SAFE_INTEGER,
                description: 'the last `seq` seen',
              }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    (socket, req) => {
      const only = req.query.assetId;
      // Each caller hears only the events of the assets of their projects (admins: all).
      const principal = req.principal ?? { userId: '', role: 'viewer' as const };
      const message = (m: EventBusMessage) => socket.send(JSON.stringify(m));
      const { seq, off } = ctx.projects.eventsFor(
        principal,
        (event: LiveEvent) => {
          if (only && event.assetId !== only) return;
          message(event);
        },
        {
          since: req.query.since,
          resync: (reason) => message({ type: 'resync', reason, seq }),
          failed: (err) => {
            req.log.warn({ err }, 'cannot read the events a socket missed');
            socket.close(TRY_AGAIN_LATER, 'events unavailable: reconnect');
          },
        },
      );
      const ping = setInterval(() => socket.ping(), 30_000);
      // The token (or the ticket's token) was checked once, at the upgrade: the socket lives only
      // as long as it would.
      const unwatch = req.principal
        ? ctx.auth.watch(req.principal, (why) => socket.close(REAUTHENTICATE, `token ${why}: sign in again`))
        : () => undefined;
      socket.on('close', () => {
        off();
        unwatch();
        clearInterval(ping);
      });
      message({ type: 'hello', user: req.principal?.username, seq });
    },
  );
};
