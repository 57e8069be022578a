import { can, type Permission } from '@frameproof/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '@frameproof/core';
import type { AuthService, Principal } from '../services/auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the caller must be allowed to do; routes without one must say `public: true`. */
    permission?: Permission;
    public?: boolean;
    /** Accept the token as `?access_token=` (WebSockets, where browsers cannot set headers). */
    tokenInQuery?: boolean;
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

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) return parseBearer(header);
  if (request.routeOptions.config.tokenInQuery) {
    const token = (request.query as Record<string, unknown> | undefined)?.access_token;
    return typeof token === 'string' ? token : undefined;
  }
  return undefined;
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}

/** Every route declares a permission or that it is public; a route that does neither fails at start. */
export function installAuth(app: FastifyInstance, auth: AuthService) {
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
    const token = bearerToken(request);
    if (!token) throw unauthorized('send a token: Authorization: Bearer <token>');
    request.principal = await auth.verify(token);
    if (!can(request.principal.role, config.permission)) {
      throw forbidden(`the ${request.principal.role} role may not ${config.permission.replace(':', ' ')}`);
    }
  });
}
