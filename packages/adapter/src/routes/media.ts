import { send } from '@fastify/send';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { forbidden, mediaResponseHeaders, notFound, Uuid } from '@frameproof/core';

/**
 * Reads a local file through a signed URL, with Range requests (206), so that a <video>
 * element can seek without a token. S3 files are read from S3 through presigned URLs instead.
 */
export const mediaRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/media/:fileId',
    {
      config: { public: true },
      schema: {
        tags: ['media'],
        summary: 'Read a file through the signed URL an asset gives (Range supported)',
        params: Type.Object({ fileId: Uuid }, { additionalProperties: false }),
        querystring: Type.Object(
          { expires: Type.Integer(), signature: Type.String({ maxLength: 200 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const { fileId } = req.params;
      if (!ctx.mediaUrls.verify(fileId, req.query.expires, req.query.signature)) {
        throw forbidden('this media URL is not valid or has expired; fetch the asset again for a fresh one');
      }
      const file = await ctx.assets.file(fileId);
      const path = file && ctx.storage.localPath(file.key);
      if (!file || !path) throw notFound('file');
      const { statusCode, headers, stream } = await send(req.raw, path, {
        acceptRanges: true,
        cacheControl: false,
        etag: true,
        lastModified: true,
        dotfiles: 'allow',
      });
      reply.code(statusCode).headers(headers);
      reply.headers(mediaResponseHeaders(file.mimeType, file.key.split('/').pop() ?? 'media'));
      reply.header('cache-control', 'private, max-age=300');
      return reply.send(stream);
    },
  );
};
