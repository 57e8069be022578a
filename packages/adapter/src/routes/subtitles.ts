import { CreateSubtitleBody, IdParams, Shape, SubtitleParams } from '@frameproof/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { errors } from './errors.js';

/** Subtitle files attached to an asset; they are listed with the asset's shapes. */
export const subtitleRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/api/assets/:id/subtitles',
    {
      config: { permission: 'asset:update' },
      schema: {
        tags: ['assets'],
        summary:
          'Attach an SRT or WebVTT file as a subtitle shape; it is stored as WebVTT (text/vtt) for a <track>, and a malformed file is refused naming its line',
        params: IdParams,
        body: CreateSubtitleBody,
        response: { 201: Shape, ...errors },
      },
    },
    async (req, reply) =>
      reply.code(201).send(
        await ctx.subtitles.attach(
          req.params.id,
          req.body,
          // Signed media URLs on the media origin, as the asset's own shapes have them.
          (ctx.config.mediaPublicUrl ?? ctx.config.publicUrl)?.replace(/\/$/, '') ??
            `${req.protocol}://${req.host}`,
        ),
      ),
  );
  app.delete(
    '/api/assets/:id/subtitles/:shapeId',
    {
      config: { permission: 'asset:update' },
      schema: { tags: ['assets'], params: SubtitleParams, response: { 204: Type.Null(), ...errors } },
    },
    async (req, reply) => {
      await ctx.subtitles.remove(req.params.id, req.params.shapeId);
      return reply.code(204).send(null);
    },
  );
};
