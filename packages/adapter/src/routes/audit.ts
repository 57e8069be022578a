import { AuditPage, ListAuditQuery } from '@frameproof/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { badRequest } from '@frameproof/core';
import type { AppContext } from '../context.js';
import { errors } from './errors.js';

/** The audit log, for admins: who changed QC status, markers, comments and users. */
export const auditRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary:
          'The audit log, newest first: who changed QC status, markers, comments and users, with what changed; filter by asset, actor, action and time',
        querystring: ListAuditQuery,
        response: { 200: AuditPage, ...errors },
      },
    },
    (req) => {
      if (req.query.since && req.query.until && Date.parse(req.query.until) < Date.parse(req.query.since))
        throw badRequest('until must not come before since', 'until');
      return ctx.audit.list(req.query);
    },
  );
};
