import {
  Asset,
  CompleteDirectUploadBody,
  CreateDirectUploadBody,
  DirectUpload,
  ErrorResponse,
  IdParams,
  PartParams,
  ReportPartBody,
  SignedParts,
  SignPartsBody,
  UploadOptions,
} from '@frameproof/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { principalOf } from '../plugins/auth.js';
import { errors } from './errors.js';
import { ingestChoices } from './video-analyses.js';

const failures = { ...errors, 410: ErrorResponse, 422: ErrorResponse };
const tags = ['uploads'];

/**
 * Uploads straight to the storage: create, sign part URLs, report each part's ETag, complete
 * (the asset is created and ingest queued) or abort. See DirectUploadService.
 */
export const directUploadRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const uploads = ctx.directUploads;

  app.get(
    '/api/upload-options',
    {
      config: { permission: 'asset:read' },
      schema: {
        tags,
        summary: 'How clients upload here: straight to the storage (S3) or with tus',
        response: { 200: UploadOptions, ...errors },
      },
    },
    () => ({ direct: uploads.available, tus: true, maxBytes: ctx.config.uploadMaxBytes }),
  );

  app.post(
    '/api/direct-uploads',
    {
      config: { permission: 'asset:create' },
      schema: {
        tags,
        summary:
          'Start an upload straight to the storage into a project (`projectId`, optional for who belongs to one project only); answers the part size and count',
        body: CreateDirectUploadBody,
        response: { 201: DirectUpload, ...failures },
      },
    },
    async (req, reply) => {
      const { userId, projectId, videoAnalyses } = await ingestChoices(ctx, req, req.body);
      return reply.code(201).send(await uploads.create(userId, projectId, { ...req.body, videoAnalyses }));
    },
  );

  app.get(
    '/api/direct-uploads/:id',
    {
      config: { permission: 'asset:create' },
      schema: {
        tags,
        summary: 'The upload and the parts reported so far (to resume)',
        params: IdParams,
        response: { 200: DirectUpload, ...failures },
      },
    },
    (req) => uploads.get(principalOf(req).userId, req.params.id),
  );

  app.post(
    '/api/direct-uploads/:id/parts',
    {
      config: { permission: 'asset:create' },
      schema: {
        tags,
        summary: 'Presigned URLs to PUT parts to (up to 100 at a time)',
        params: IdParams,
        body: SignPartsBody,
        response: { 200: SignedParts, ...failures },
      },
    },
    (req) => uploads.sign(principalOf(req).userId, req.params.id, req.body.partNumbers),
  );

  app.put(
    '/api/direct-uploads/:id/parts/:partNumber',
    {
      config: { permission: 'asset:create' },
      schema: {
        tags,
        summary: "Report a part's ETag once the storage took it",
        params: PartParams,
        body: ReportPartBody,
        response: { 204: Type.Null(), ...failures },
      },
    },
    async (req, reply) => {
      await uploads.report(principalOf(req).userId, req.params.id, {
        partNumber: req.params.partNumber,
        etag: req.body.etag,
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/direct-uploads/:id/complete',
    {
      config: { permission: 'asset:create' },
      schema: {
        tags,
        summary: 'Assemble the file from the recorded parts, create the asset and queue its ingest',
        params: IdParams,
        body: CompleteDirectUploadBody,
        response: { 201: Asset, ...failures },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await uploads.complete(principalOf(req).userId, req.params.id, req.body.parts)),
  );

  app.delete(
    '/api/direct-uploads/:id',
    {
      config: { permission: 'asset:create' },
      schema: {
        tags,
        summary: 'Abandon an unfinished upload (its parts are dropped)',
        params: IdParams,
        response: { 204: Type.Null(), ...failures },
      },
    },
    async (req, reply) => {
      await uploads.abort(principalOf(req).userId, req.params.id);
      return reply.code(204).send(null);
    },
  );
};
