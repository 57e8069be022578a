import { CreateImportBody, IdParams, ImportRecord } from '@frameproof/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { principalOf } from '../plugins/auth.js';
import { errors } from './errors.js';
import { ingestChoices } from './video-analyses.js';

/** Imports of objects already in the storage, registered as assets without copying them. */
export const importRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/api/imports',
    {
      config: { permission: 'asset:create' },
      schema: {
        tags: ['uploads'],
        summary:
          'Register objects of the storage (a prefix, or a list of keys) as assets of a project (`projectId`, optional for who belongs to one project only), without copying them, and queue their ingest',
        body: CreateImportBody,
        response: { 202: ImportRecord, ...errors },
      },
    },
    async (req, reply) => {
      const { userId, projectId, videoAnalyses } = await ingestChoices(ctx, req, req.body);
      return reply.code(202).send(await ctx.imports.start(userId, projectId, { ...req.body, videoAnalyses }));
    },
  );

  app.get(
    '/api/imports/:id',
    {
      config: { permission: 'asset:create' },
      schema: {
        tags: ['uploads'],
        summary: 'How an import is going: objects found, imported, failed, skipped',
        params: IdParams,
        response: { 200: ImportRecord, ...errors },
      },
    },
    (req) => ctx.imports.get(req.params.id, principalOf(req)),
  );
};
