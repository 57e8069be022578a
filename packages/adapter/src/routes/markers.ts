import {
  BulkMarkersBody,
  Comment,
  CreateCommentBody,
  CreateMarkerBody,
  ExportMarkersQuery,
  IdParams,
  ImportMarkersBody,
  ListMarkersQuery,
  Marker,
  MarkerList,
  MarkerParams,
  UpdateMarkerBody,
} from '@frameproof/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { errors } from './errors.js';
import { principalOf } from '../plugins/auth.js';
import { actorOf } from '../services/audit.js';

/** The caller and their role on the route's asset (set by the project access check). */
const writer = (req: FastifyRequest) => {
  const principal = principalOf(req);
  return { userId: principal.userId, role: req.assetRole ?? principal.role };
};

export const markerRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/assets/:id/markers',
    {
      config: { permission: 'marker:read' },
      schema: {
        tags: ['markers'],
        summary: 'Markers of an asset, by start frame; `from`/`to` keep those that overlap a frame range',
        params: IdParams,
        querystring: ListMarkersQuery,
        response: { 200: MarkerList, ...errors },
      },
      // Lists run to tens of thousands of markers, built field by field by the service:
      // JSON.stringify is several times faster here than the schema serializer.
      serializerCompiler: () => (data) => JSON.stringify(data),
    },
    async (req) => ({ items: await ctx.markers.list(req.params.id, req.query) }),
  );
  app.post(
    '/api/assets/:id/markers',
    {
      config: { permission: 'marker:write' },
      schema: {
        tags: ['markers'],
        summary:
          'Add a marker; `start`/`end` as {"frame": N} or {"timecode": "HH:MM:SS:FF"} (";" before frames: drop-frame)',
        params: IdParams,
        body: CreateMarkerBody,
        response: { 201: Marker, ...errors },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await ctx.markers.create(req.params.id, req.body, actorOf(principalOf(req)))),
  );
  app.post(
    '/api/assets/:id/markers/bulk',
    {
      config: { permission: 'marker:write' },
      schema: {
        tags: ['markers'],
        summary: 'Add many markers at once, all or none',
        params: IdParams,
        body: BulkMarkersBody,
        response: { 201: MarkerList, ...errors },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send({ items: await ctx.markers.createMany(req.params.id, req.body, actorOf(principalOf(req))) }),
  );
  app.get(
    '/api/assets/:id/markers/export',
    {
      config: { permission: 'marker:read' },
      schema: {
        tags: ['markers'],
        summary:
          'The markers of an asset as a file to download: csv, json (with the QC results), edl (DaVinci Resolve), avid (Media Composer marker text) or fcpxml (Final Cut Pro 7 XML, which Premiere Pro imports)',
        params: IdParams,
        querystring: ExportMarkersQuery,
        produces: ['text/csv', 'application/json', 'text/plain', 'application/xml'],
        // A string payload is sent as it is, with its Content-Type: the schema is for the docs.
        response: { 200: Type.String({ description: 'The file.' }), ...errors },
      },
    },
    async (req, reply) => {
      const file = await ctx.markers.exportFile(req.params.id, req.query);
      return reply
        .type(file.contentType)
        .header('content-disposition', `attachment; filename="${file.fileName}"`)
        .header('cache-control', 'no-store')
        .send(file.body);
    },
  );
  app.post(
    '/api/assets/:id/markers/import',
    {
      config: { permission: 'marker:write' },
      schema: {
        tags: ['markers'],
        summary:
          'Add the markers of a CSV (as the CSV export writes it) or JSON file, all or none; a 400 names the row and column at fault',
        params: IdParams,
        body: ImportMarkersBody,
        response: { 201: MarkerList, ...errors },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send({ items: await ctx.markers.importFile(req.params.id, req.body, actorOf(principalOf(req))) }),
  );
  app.patch(
    '/api/assets/:id/markers/:markerId',
    {
      config: { permission: 'marker:write' },
      schema: {
        tags: ['markers'],
        params: MarkerParams,
        body: UpdateMarkerBody,
        response: { 200: Marker, ...errors },
      },
    },
    async (req) => {
      await ctx.markers.checkWrite(req.params.id, req.params.markerId, writer(req));
      return ctx.markers.update(req.params.id, req.params.markerId, req.body, actorOf(principalOf(req)));
    },
  );
  app.delete(
    '/api/assets/:id/markers/:markerId',
    {
      config: { permission: 'marker:write' },
      schema: { tags: ['markers'], params: MarkerParams, response: { 204: Type.Null(), ...errors } },
    },
    async (req, reply) => {
      await ctx.markers.checkWrite(req.params.id, req.params.markerId, writer(req));
      await ctx.markers.delete(req.params.id, req.params.markerId, actorOf(principalOf(req)));
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/api/assets/:id/markers/:markerId/comments',
    {
      config: { permission: 'marker:read' },
      schema: {
        tags: ['markers'],
        params: MarkerParams,
        response: { 200: Type.Object({ items: Type.Array(Comment) }), ...errors },
      },
    },
    async (req) => ({ items: await ctx.markers.comments(req.params.id, req.params.markerId) }),
  );
  app.post(
    '/api/assets/:id/markers/:markerId/comments',
    {
      config: { permission: 'comment:write' },
      schema: {
        tags: ['markers'],
        params: MarkerParams,
        body: CreateCommentBody,
        response: { 201: Comment, ...errors },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(
          await ctx.markers.addComment(
            req.params.id,
            req.params.markerId,
            actorOf(principalOf(req)),
            req.body.body,
          ),
        ),
  );
};
