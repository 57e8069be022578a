import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { badRequest } from '../errors.js';
import { encodeDat, encodeJson } from '../processors/audiowaveform.js';
import { seriesCount, requestedSeries } from '../processors/peaks.js';
import type { Services } from '../app.js';
import { errors, SourceQuery, TrackInfo, TrackParams, WaveformBody, WaveformQuery } from './schemas.js';
import { sourceOf } from '../resolver.js';

/** At most this many pixel-channels per answer (16 MiB of 16-bit .dat). */
export const MAX_POINTS = 1 << 22;

export const waveformRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const { resolver, waveforms } = services;

  app.get(
    '/api/analyze/assets/:assetId/audio/:track',
    { schema: { params: TrackParams, querystring: SourceQuery, response: { 200: TrackInfo, ...errors } } },
    async (req) => {
      const source = await sourceOf(resolver, req);
      const length = await waveforms.length(source);
      return {
        sampleRate: source.sampleRate,
        channels: source.channels,
        durationSeconds: length.frames / source.sampleRate,
        frames: length.frames,
        exact: length.exact,
        levels: [...waveforms.levelResolutions],
      };
    },
  );

  app.get(
    '/api/analyze/assets/:assetId/audio/:track/waveform',
    {
      schema: {
        params: TrackParams,
        querystring: WaveformQuery,
        response: { 200: WaveformBody, 304: WaveformBody, ...errors },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const format = q.format ?? 'json';
      const bits = q.bits ?? 16;
      const version = q.version ?? 2;
      const mode = q.channels ?? 'merged';
      if (q.pixelsPerSecond !== undefined && q.samplesPerPixel !== undefined) {
        throw badRequest('give pixelsPerSecond or samplesPerPixel, not both', 'samplesPerPixel');
      }
      if (q.pixelsPerSecond === undefined && q.samplesPerPixel === undefined) {
        throw badRequest('pixelsPerSecond (or samplesPerPixel) is required', 'pixelsPerSecond');
      }
      const resolution = q.samplesPerPixel !== undefined ? 'samplesPerPixel' : 'pixelsPerSecond';
      if (q.end !== undefined && q.end <= (q.start ?? 0)) {
        throw badRequest('end must be after start', 'end');
      }

      const source = await sourceOf(resolver, req);
      const sr = source.sampleRate;
      const spp = q.samplesPerPixel ?? Math.round(sr / (q.pixelsPerSecond as number));
      if (spp < 1)
        throw badRequest(`pixelsPerSecond can be at most the sample rate (${sr})`, 'pixelsPerSecond');
      const series = seriesCount(requestedSeries(source.channels, mode));
      if (version === 1 && series > 1) {
        throw badRequest('version 1 holds one channel; use version=2 or channels=merged', 'version');
      }

      const { frames: total, exact } = await waveforms.length(source);
      const duration = (total / sr).toFixed(3);
      const start = Math.floor((q.start ?? 0) * sr);
      if (q.start !== undefined && start >= total) {
        throw badRequest(`start is past the end of the programme (${duration} s)`, 'start');
      }
      let end = q.end === undefined ? undefined : Math.ceil(q.end * sr);
      if (end !== undefined) {
        // Metadata durations are approximate until the audio has been decoded once.
        const slack = exact ? spp : sr;
        if (end > total + slack)
          throw badRequest(`end is past the end of the programme (${duration} s)`, 'end');
        if (exact) end = Math.min(end, total);
      }
      const points = Math.ceil(((end ?? total) - Math.floor(start / spp) * spp) / spp) * series;
      if (points > MAX_POINTS) {
        throw badRequest(
          `too fine for this span: ${points} points, at most ${MAX_POINTS}; ask for a window (start, end) or a coarser resolution`,
          resolution,
        );
      }

      const etag = `"${createHash('sha256')
        .update([source.cacheKey, spp, start, end, mode, format, bits, version].join('|'))
        .digest('base64url')
        .slice(0, 27)}"`;
      reply.header('etag', etag).header('cache-control', 'private, max-age=60');
      if (req.headers['if-none-match'] === etag) return reply.code(304).send('');

      const result = await waveforms.waveform(source, { samplesPerPixel: spp, start, end, channels: mode });
      reply
        .header('x-waveform-start', String(result.firstFrame / sr))
        .header('x-waveform-start-frame', String(result.firstFrame));
      const options = { bits, version } as const;
      if (format === 'dat') return reply.type('application/octet-stream').send(encodeDat(result, options));
      return reply.type('application/json').send(encodeJson(result, options));
    },
  );
};
