import { Server } from '@tus/server';
import { randomUUID } from 'node:crypto';
import { badRequest, can, chooseVideoAnalyses, HttpError, isUuid, VIDEO_ANALYSES } from '@frameproof/core';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { parseBearer } from '../plugins/auth.js';

const PATH = '/api/uploads';

const UPLOADS = 'uploads';
const NOT_FOUND = { status_code: 404, body: 'The file for this request was not found.\n' };
const UPLOAD_ID = /^uploads\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Resumable uploads with the tus protocol. The client sends `filename`, `filetype` and
 * optionally `title`, `projectId` (required for who belongs to several projects) and
 * `videoAnalyses` (comma-separated) as Upload-Metadata; when the last byte arrives the asset is
 * created and ingest queued, and the answer carries its id in `Frameproof-Asset-Id`.
 */
export const uploadRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  const principalFor = async (authorization: string | null) => {
    const token = parseBearer(authorization);
    if (!token) throw { status_code: 401, body: 'send a token: Authorization: Bearer <token>\n' };
    try {
      const principal = await ctx.auth.verify(token);
      const role = await ctx.projects.routeRole(principal);
      if (!can(role, 'asset:create')) throw { status_code: 403, body: `the ${role} role may not upload\n` };
      return principal;
    } catch (err) {
      if (err && typeof err === 'object' && 'status_code' in err) throw err;
      throw { status_code: 401, body: 'the token is not valid or has expired\n' };
    }
  };

  // An upload begun before projects were: it goes where its uploader's uploads go by default.
  const projectOfOlderUpload = async (userId: string | null | undefined) => {
    const user = userId ? await ctx.users.byId(userId) : undefined;
    if (!user) throw { status_code: 403, body: 'the uploader of this upload is gone\n' };
    return ctx.projects.uploadTarget({ userId: user.id, role: user.role }, undefined);
  };

  // tus writes straight into our storage, under `uploads/`; a finished upload is moved under
  // its asset's keys, and tus forgets it (its id then names nothing). The upload id is where the
  // bytes are while they arrive: an object key in S3, a path under the folder locally.
  const target = await ctx.storage.uploads(UPLOADS, { expireAfterMs: ctx.config.uploadExpirySeconds * 1000 });
  ctx.uploads = target;
  const publicOrigin = ctx.config.publicUrl ? new URL(ctx.config.publicUrl).origin : undefined;
  const tus = new Server({
    path: PATH,
    datastore: target.datastore,
    maxSize: ctx.config.uploadMaxBytes,
    namingFunction: () => target.idFor(`${UPLOADS}/${randomUUID()}`),
    // Ids hold slashes, so they travel encoded; the Location is relative, so it is right behind any proxy.
    generateUrl: (_req, { path, id }) => `${path}/${encodeURIComponent(id)}`,
    getFileIdFromRequest: (_req, id) => (id && UPLOAD_ID.test(target.keyOf(id)) ? id : undefined),
    exposedHeaders: ['Frameproof-Asset-Id'],
    // Browsers upload from the app's own origin; no other page may drive uploads with CORS.
    allowedOrigins: (origin) => origin === publicOrigin,
    // Termination is for abandoning an upload; a finished one is an asset's original.
    disableTerminationForFinishedUploads: true,
    onIncomingRequest: async (req, uploadId) => {
      const principal = await principalFor(req.headers.get('authorization'));
      // Only the uploader may read, resume or end an upload; to anyone else it does not exist.
      // (A creation is asked about the id it is about to get: nothing to own yet.)
      if (uploadId && req.method !== 'POST') {
        const upload = await target.datastore.getUpload(uploadId).catch(() => undefined);
        if (upload?.metadata?.frameproofUserId !== principal.userId) throw NOT_FOUND;
      }
    },
    onUploadCreate: async (req, upload) => {
      const principal = await principalFor(req.headers.get('authorization'));
      const filename = upload.metadata?.filename;
      if (!filename) throw { status_code: 400, body: 'Upload-Metadata must include filename\n' };
      // Checked now, not when the last byte arrives.
      if (upload.metadata?.videoAnalyses !== undefined)
        try {
          chooseVideoAnalyses(upload.metadata.videoAnalyses ?? '', ctx.config.videoAnalyses);
        } catch (err) {
          throw { status_code: 400, body: `videoAnalyses: ${(err as Error).message}\n` };
        }
      let projectId: string;
      try {
        const requested = upload.metadata?.projectId ?? undefined;
        if (requested !== undefined && !isUuid(requested))
          throw badRequest('projectId: must be a project id');
        projectId = await ctx.projects.uploadTarget(principal, requested);
      } catch (err) {
        if (err instanceof HttpError) throw { status_code: err.statusCode, body: `${err.message}\n` };
        throw err;
      }
      return {
        metadata: { ...upload.metadata, frameproofUserId: principal.userId, frameproofProjectId: projectId },
      };
    },
    onResponseError: async (_req, err) => {
      if (!(err && typeof err === 'object' && 'status_code' in err)) app.log.error({ err }, 'upload failed');
      return undefined;
    },
    onUploadFinish: async (_req, upload) => {
      const meta = upload.metadata ?? {};
      const asset = await ctx.assets.ingest({
        fileName: meta.filename ?? 'upload',
        mimeType: meta.filetype || 'application/octet-stream',
        title: meta.title ?? undefined,
        userId: meta.frameproofUserId ?? '',
        projectId: meta.frameproofProjectId ?? (await projectOfOlderUpload(meta.frameproofUserId)),
        // Checked against the deployment's when the upload was created.
        videoAnalyses:
          meta.videoAnalyses === undefined
            ? undefined
            : chooseVideoAnalyses(meta.videoAnalyses ?? '', VIDEO_ANALYSES),
        body: { uploadedKey: target.keyOf(upload.id) },
      });
      await target.forget(upload.id);
      return { headers: { 'Frameproof-Asset-Id': asset.id } };
    },
  });

  // tus reads the body itself.
  app.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null));
  const handler = { config: { public: true }, schema: { hide: true } };
  for (const url of [PATH, `${PATH}/*`]) {
    app.all(url, handler, async (req, reply) => {
      reply.hijack();
      await tus.handle(req.raw, reply.raw);
    });
  }
};
