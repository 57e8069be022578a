import { EVENT_TYPES, type LiveEvent } from '@frameproof/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';

/**
 * The close code of an event-bus socket whose token expired or was revoked (sign-out, user
 * disabled, role or password changed): get a fresh token (refresh), then connect again.
 */
export const REAUTHENTICATE = 4401;

/** Health for the load balancer, the OpenAPI document, and live events over WebSocket. */
export const systemRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/health',
    {
      config: { public: true },
      schema: {
        tags: ['system'],
        summary: 'Answers 200 when the database answers (the ALB health check)',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), database: Type.String() }),
          503: Type.Object({ status: Type.Literal('unavailable'), database: Type.String() }),
        },
      },
    },
    async (_req, reply) => {
      try {
        await ctx.db.query('SELECT 1');
        return { status: 'ok' as const, database: ctx.db.kind };
      } catch {
        return reply.code(503).send({ status: 'unavailable' as const, database: ctx.db.kind });
      }
    },
  );

  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, () => app.swagger());

  app.get(
    '/api/eventbus',
    {
      websocket: true,
      config: { permission: 'asset:read', tokenInQuery: true },
      schema: {
        tags: ['system'],
        summary: `WebSocket of live events (${EVENT_TYPES.join(', ')}); token as Authorization header or ?access_token=; closed with code ${4401} when the token expires or is revoked`,
        querystring: Type.Object(
          {
            access_token: Type.Optional(Type.String()),
            assetId: Type.Optional(Type.String({ format: 'uuid' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    (socket, req) => {
      const only = req.query.assetId;
      const off = ctx.events.onEvent((event: LiveEvent) => {
        if (only && event.assetId !== only) return;
        socket.send(JSON.stringify(event));
      });
      const ping = setInterval(() => socket.ping(), 30_000);
      // The token was checked once, at the upgrade: the socket lives only as long as it would.
      const unwatch = req.principal
        ? ctx.auth.watch(req.principal, (why) => socket.close(REAUTHENTICATE, `token ${why}: sign in again`))
        : () => undefined;
      socket.on('close', () => {
        off();
        unwatch();
        clearInterval(ping);
      });
      socket.send(JSON.stringify({ type: 'hello', user: req.principal?.username }));
    },
  );
};
