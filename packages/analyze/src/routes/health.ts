import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../app.js';
import { HealthResponse } from './schemas.js';

/** For the load balancer's target group (`/api/health`) and through the gateway (`/api/analyze/health`). */
export const healthRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const handler = async () => ({ status: 'ok' as const, cache: services.cache.stats() });
  const schema = { response: { 200: HealthResponse } };
  app.get('/api/health', { schema }, handler);
  app.get('/api/analyze/health', { schema }, handler);
};
