import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializeRequest } from '@frameproof/core';
import type { AppContext } from './context.js';
import { installAuth } from './plugins/auth.js';
import { installProjectAccess, projectRouteRole } from './plugins/project-access.js';
import { installValidation } from './plugins/validation.js';
import { assetRoutes } from './routes/assets.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { directUploadRoutes } from './routes/direct-uploads.js';
import { importRoutes } from './routes/imports.js';
import { jobRoutes } from './routes/jobs.js';
import { markerRoutes } from './routes/markers.js';
import { projectRoutes } from './routes/projects.js';
import { mediaRoutes } from './routes/media.js';
import { subtitleRoutes } from './routes/subtitles.js';
import { systemRoutes } from './routes/system.js';
import { uploadRoutes } from './routes/uploads.js';

/** The WebSocket close code for "restarting, connect again" (RFC 6455 registry, 1012). */
export const SERVICE_RESTART = 1012;

/** Trusts the nearest `hops` peers, whoever they are (a load balancer whose address is unknown). */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

/** Builds the adapter's HTTP app on a context; tests call `app.inject()` on it, no port needed. */
export async function buildApp(
  ctx: AppContext,
  options: { logger?: FastifyServerOptions['logger'] } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: ctx.config.logLevel,
            serializers: { req: serializeRequest },
            ...(typeof options.logger === 'object' ? options.logger : {}),
          },
    requestIdHeader: 'x-request-id',
    // A request that arrives on an open connection while the app closes is answered (with
    // `Connection: close`), not refused with 503: the load balancer sent it before it knew.
    return503OnClosing: false,
    bodyLimit: 16 * 1024 * 1024,
    trustProxy:
      typeof ctx.config.trustProxy === 'number' ? trustHops(ctx.config.trustProxy) : ctx.config.trustProxy,
  }).withTypeProvider<TypeBoxTypeProvider>();

  installValidation(app);
  // The API answers JSON and media: nothing it serves may be framed, sniffed or run as a page.
  // The docs (Swagger UI) get their own script-allowing CSP from swagger-ui's staticCSP.
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: ctx.config.publicUrl?.startsWith('https:')
      ? { maxAge: 31_536_000, includeSubDomains: true }
      : false,
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Frameproof API',
        version: '0.1.0',
        description:
          'Frame-accurate video review and QC. Markers are in frames, with SMPTE timecodes alongside.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    transformStaticCSP: (header) => `${header}; frame-ancestors 'none'`,
  });
  await app.register(multipart, { limits: { fields: 10, files: 1, fieldSize: 64 * 1024 } });
  // Stopping, the event bus tells browsers to connect again (1012, service restart): the load
  // balancer sends them to another instance.
  await app.register(websocket, {
    preClose(done) {
      for (const client of this.websocketServer.clients)
        client.close(SERVICE_RESTART, 'adapter stopping: connect again');
      this.websocketServer.close(() => done());
    },
  });
  app.addHook('onSend', async (_req, reply) => {
    if (ctx.draining) reply.header('connection', 'close');
  });
  installAuth(app, ctx.auth, projectRouteRole(ctx.projects));
  installProjectAccess(app, ctx.projects);

  for (const routes of [
    systemRoutes,
    authRoutes,
    projectRoutes,
    assetRoutes,
    markerRoutes,
    subtitleRoutes,
    jobRoutes,
    mediaRoutes,
    directUploadRoutes,
    importRoutes,
    auditRoutes,
  ]) {
    await app.register(routes, { ctx });
  }
  await app.register(uploadRoutes, { ctx });
  return app;
}
