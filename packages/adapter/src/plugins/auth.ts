import { can, type Permission, type Role } from '@frameproof/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, forbidden, unauthorized } from '@frameproof/core';
import type { AuthService, Principal } from '../services/auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the caller must be allowed to do; routes without one must say `public: true`. */
    permission?: Permission;
    public?: boolean;
    /**
     * Accept a one-time ticket as `?ticket=` (WebSockets, where browsers cannot set headers). A
     * token is never taken from a URL: proxies and load balancers log URLs.
     */
    ticketInQuery?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Every route with the permission it needs (`public` for none): the permission test reads it. */
    routeTable: { method: string; url: string; permission: Permission | 'public' }[];
  }
}

/** The token of an `Authorization: Bearer <token>` header; every route, tus and the bus use this. */
export function parseBearer(header: string | null | undefined): string | undefined {
  return header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
}

/** Who calls: the bearer token's principal, or on a ticket route the ticket's (used up here). */
async function authenticate(request: FastifyRequest, auth: AuthService): Promise<Principal> {
  const token = parseBearer(request.headers.authorization);
  if (token) return auth.verify(token);
  if (request.routeOptions.config.ticketInQuery) {
    const query = request.query as Record<string, unknown> | undefined;
    if (typeof query?.ticket === 'string') {
      // Used up only by the socket it is for: a plain GET (a link followed, a prefetch) leaves it.
      if (request.headers.upgrade?.toLowerCase() !== 'websocket')
        throw badRequest('a ticket opens a WebSocket: connect with an Upgrade: websocket request');
      return auth.redeemTicket(query.ticket);
    }
    if (query?.access_token !== undefined)
      throw unauthorized(
        'a token in the URL is no longer accepted: POST /api/eventbus/ticket with it, then connect with ?ticket=',
      );
    throw unauthorized(
      'send a ticket (?ticket=, from POST /api/eventbus/ticket) or Authorization: Bearer <token>',
    );
  }
  throw unauthorized('send a token: Authorization: Bearer <token>');
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}

/**
 * The role a route's permission is checked against, when it is not the caller's own (for the
 * permissions decided in a project, a person's roles in their projects); null when the route
 * checks it itself, once it knows the asset and so the project.
 */
export type RouteRole = (
  principal: Principal,
  permission: Permission,
  request: FastifyRequest,
) => Promise<Role | null>;

/** Every route declares a permission or that it is public; a route that does neither fails at start. */
export function installAuth(app: FastifyInstance, auth: AuthService, routeRole?: RouteRole) {
  app.decorateRequest('principal', null);
  app.decorate('routeTable', []);
  app.addHook('onRoute', (route) => {
    const config = route.config as { permission?: Permission; public?: boolean } | undefined;
    if (route.url.startsWith('/api/docs')) return;
    if (!config?.permission && !config?.public) {
      throw new Error(`route ${route.method} ${route.url} declares neither a permission nor public: true`);
    }
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD')
        app.routeTable.push({ method, url: route.url, permission: config.permission ?? 'public' });
    }
  });
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config.public || !config.permission) return;
    request.principal = await authenticate(request, auth);
    const role = routeRole
      ? await routeRole(request.principal, config.permission, request)
      : request.principal.role;
    if (role !== null && !can(role, config.permission)) {
      throw forbidden(`the ${role} role may not ${config.permission.replace(':', ' ')}`);
    }
  });
}
