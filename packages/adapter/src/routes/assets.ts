import {
  Asset,
  AssetPage,
  AssetWithShapes,
  can,
  DeleteAssetQuery,
  DeletedAssetList,
  DeletedAssetQuery,
  forbidden,
  IdParams,
  isUuid,
  ListAssetsQuery,
  JobList,
  QcBody,
  UpdateAssetBody,
  VideoAnalysisBody,
} from '@frameproof/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { errors } from './errors.js';
import { chosenVideoAnalyses } from './video-analyses.js';
import { badRequest, conflict, HttpError } from '@frameproof/core';
import { principalOf } from '../plugins/auth.js';
import { actorOf } from '../services/audit.js';
import { inTransaction } from '../services/changes.js';

export const assetRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/assets',
    {
      config: { permission: 'asset:read' },
      schema: {
        tags: ['assets'],
        summary: 'List assets, a page at a time',
        querystring: ListAssetsQuery,
        response: { 200: AssetPage, ...errors },
      },
    },
    async (req) => ctx.assets.list(req.query, await ctx.projects.visible(principalOf(req))),
  );

  app.post(
    '/api/assets',
    {
      config: { permission: 'asset:create' },
      schema: {
        tags: ['assets'],
        summary:
          'Upload a file in one request (multipart: optional `title`, `projectId` and `videoAnalyses` (comma-separated) before `file`; `projectId` may be left out by who belongs to one project only); resumable uploads use /api/uploads',
        consumes: ['multipart/form-data'],
        response: { 201: Asset, ...errors },
      },
    },
    async (req, reply) => {
      if (!req.isMultipart()) throw new HttpError(415, 'send multipart/form-data with a `file` field');
      const part = await req.file({ limits: { fileSize: ctx.config.uploadMaxBytes, files: 1 } });
      if (!part) throw badRequest('the form has no `file` field', 'file');
      if (part.fieldname !== 'file')
        throw badRequest(`the file field must be named "file", not "${part.fieldname}"`, 'file');
      const titleField = part.fields.title;
      const title =
        titleField && 'value' in titleField && typeof titleField.value === 'string'
          ? titleField.value
          : undefined;
      if (title !== undefined && title.length > 500)
        throw badRequest('title: must be at most 500 characters', 'title');
      const analysesField = part.fields.videoAnalyses;
      const videoAnalyses = chosenVideoAnalyses(
        analysesField && 'value' in analysesField && typeof analysesField.value === 'string'
          ? analysesField.value
          : undefined,
        ctx.config.videoAnalyses,
        'videoAnalyses',
      );
      const projectField = part.fields.projectId;
      const requested =
        projectField && 'value' in projectField && typeof projectField.value === 'string'
          ? projectField.value
          : undefined;
      if (requested !== undefined && !isUuid(requested))
        throw badRequest('projectId: must be a project id (a UUID)', 'projectId');
      const principal = principalOf(req);
      const projectId = await ctx.projects.uploadTarget(principal, requested);
      const asset = await ctx.assets.ingest({
        fileName: part.filename || 'upload',
        mimeType: part.mimetype || 'application/octet-stream',
        title,
        userId: principal.userId,
        projectId,
        videoAnalyses,
        body: part.file,
        // busboy stops at the limit and marks the stream truncated rather than failing it.
        afterStore: () => {
          if (part.file.truncated)
            throw new HttpError(
              413,
              `the file is larger than the upload limit of ${ctx.config.uploadMaxBytes} bytes`,
            );
        },
      });
      return reply.code(201).send(asset);
    },
  );

  app.get(
    '/api/assets/:id',
    {
      config: { permission: 'asset:read' },
      schema: {
        tags: ['assets'],
        summary: 'An asset with its shapes and signed file URLs',
        params: IdParams,
        response: { 200: AssetWithShapes, ...errors },
      },
    },
    (req) =>
      ctx.assets.get(
        req.params.id,
        (ctx.config.mediaPublicUrl ?? ctx.config.publicUrl)?.replace(/\/$/, '') ??
          `${req.protocol}://${req.host}`,
      ),
  );
  app.patch(
    '/api/assets/:id',
    {
      config: { permission: 'asset:update' },
      schema: {
        tags: ['assets'],
        params: IdParams,
        body: UpdateAssetBody,
        response: { 200: Asset, ...errors },
      },
    },
    (req) => ctx.assets.update(req.params.id, req.body),
  );
  app.post(
    '/api/assets/:id/qc',
    {
      config: { permission: 'asset:qc' },
      schema: {
        tags: ['assets'],
        summary: 'Set the QC status (approve, reject) with a reason',
        params: IdParams,
        body: QcBody,
        response: { 200: Asset, ...errors },
      },
    },
    (req) => {
      if (req.body.status === 'rejected' && !req.body.reason?.trim())
        throw badRequest('reason: a rejection needs a reason', 'reason');
      return ctx.assets.setQc(req.params.id, req.body, actorOf(principalOf(req)));
    },
  );
  app.post(
    '/api/assets/:id/video-analysis',
    {
      config: { permission: 'asset:update' },
      schema: {
        tags: ['assets'],
        summary: 'Run video analyses (Rekognition Video) on the video proxy again',
        description:
          'Queues a video-analysis job for the named analyses (default: those the deployment runs); each replaces its row of markers when it ends.',
        params: IdParams,
        body: VideoAnalysisBody,
        response: { 202: JobList, ...errors },
      },
    },
    async (req, reply) => {
      const asset = await ctx.assets.get(req.params.id);
      if (!asset.shapes.some((shape) => shape.type === 'video-proxy'))
        throw conflict('the asset has no video proxy to analyse yet');
      const analyses = req.body.analyses ?? ctx.config.videoAnalyses;
      if (!analyses.length)
        throw badRequest('analyses: name them, or set VIDEO_ANALYSES for the deployment', 'analyses');
      const items = await inTransaction(ctx.db, ctx.events, (changes) =>
        ctx.ingest.runAgain(changes, req.params.id, 'video-analysis', { videoAnalyses: analyses }),
      );
      return reply.code(202).send({ items });
    },
  );
  app.delete(
    '/api/assets/:id',
    {
      config: { permission: 'asset:delete' },
      schema: {
        tags: ['assets'],
        summary:
          'Delete an asset: it leaves every list at once and can be restored for ASSET_RETENTION_DAYS (30 by default), then it is purged; `?hard=true` (admins) purges it now',
        params: IdParams,
        querystring: DeleteAssetQuery,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      const principal = principalOf(req);
      if (req.query.hard) {
        if (!can(principal.role, 'asset:purge'))
          throw forbidden(`the ${principal.role} role may not purge assets; only admins may delete for good`);
        await ctx.assets.purge(req.params.id);
      } else {
        await ctx.assets.delete(req.params.id, principal.userId);
      }
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/api/assets/deleted',
    {
      config: { permission: 'asset:delete' },
      schema: {
        tags: ['assets'],
        summary: 'The trash: deleted assets that can still be restored, most recently deleted first',
        querystring: DeletedAssetQuery,
        response: { 200: DeletedAssetList, ...errors },
      },
    },
    async (req) => ({
      items: await ctx.assets.deleted(
        req.query.limit,
        await ctx.projects.visible(principalOf(req), 'asset:delete'),
      ),
    }),
  );
  app.post(
    '/api/assets/:id/restore',
    {
      config: { permission: 'asset:delete' },
      schema: {
        tags: ['assets'],
        summary:
          'Restore a deleted asset that has not been purged yet (404 once purged, 409 when it is not deleted)',
        params: IdParams,
        response: { 200: Asset, ...errors },
      },
    },
    (req) => ctx.assets.restore(req.params.id),
  );
};
