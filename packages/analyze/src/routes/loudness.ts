import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DEFAULT_LOUDNESS_TARGET } from '@frameproof/core';
import { checkLoudness, maxOf, reduceSeries } from '../processors/analysis-log.js';
import { DEFAULT_SILENCE } from '../processors/loudness.js';
import type { Services } from '../app.js';
import {
  errors,
  LevelsQuery,
  LevelsResponse,
  LoudnessQuery,
  LoudnessResponse,
  TrackParams,
} from './schemas.js';
import { sourceOf, type SourcePreference, type TrackRequest } from '../resolver.js';

/** ffmpeg's ebur128 reports every 100 ms. */
const FRAME_SECONDS = 0.1;

/**
 * Loudness and levels. Without `source` they measure `measureSource` (the original, unless
 * AP_ANALYZE_MEASURE_SOURCE says otherwise), so the panel and Auto QC read the master's own audio.
 */
export const loudnessRoutes: FastifyPluginAsyncTypebox<{
  services: Services;
  measureSource: SourcePreference;
}> = async (app, { services, measureSource }) => {
  const { resolver, analysis } = services;
  const measured = (req: TrackRequest) =>
    sourceOf(resolver, {
      params: req.params,
      headers: req.headers,
      query: { source: req.query.source ?? measureSource },
    });

  app.get(
    '/api/analyze/assets/:assetId/audio/:track/loudness',
    {
      schema: {
        params: TrackParams,
        querystring: LoudnessQuery,
        response: { 200: LoudnessResponse, ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      const target = {
        integratedLufs: q.target ?? DEFAULT_LOUDNESS_TARGET.integratedLufs,
        toleranceLu: q.tolerance ?? DEFAULT_LOUDNESS_TARGET.toleranceLu,
        truePeakDbtp: q.truePeak ?? DEFAULT_LOUDNESS_TARGET.truePeakDbtp,
      };
      const factor = Math.max(1, Math.round((q.step ?? FRAME_SECONDS) / FRAME_SECONDS));
      const source = await measured(req);
      const result = await analysis.analyse(source, DEFAULT_SILENCE);
      const verdict = checkLoudness(result.loudness, target);
      return {
        source: source.kind,
        ...result.loudness,
        truePeakPerChannel: result.truePeakPerChannel,
        momentaryMax: maxOf(result.momentary),
        shortTermMax: maxOf(result.shortTerm),
        durationSeconds: result.durationSeconds,
        target: {
          integrated: target.integratedLufs,
          tolerance: target.toleranceLu,
          truePeak: target.truePeakDbtp,
        },
        pass: verdict.pass,
        checks: {
          integrated: { pass: verdict.integrated.pass, deviation: verdict.integrated.deviationLu },
          truePeak: verdict.truePeak,
        },
        series: {
          step: Math.round(factor * FRAME_SECONDS * 10) / 10,
          momentary: reduceSeries(result.momentary, factor),
          shortTerm: reduceSeries(result.shortTerm, factor),
        },
      };
    },
  );

  app.get(
    '/api/analyze/assets/:assetId/audio/:track/levels',
    {
      schema: { params: TrackParams, querystring: LevelsQuery, response: { 200: LevelsResponse, ...errors } },
    },
    async (req) => {
      const silence = {
        thresholdDb: req.query.silenceThreshold ?? DEFAULT_SILENCE.thresholdDb,
        minSeconds: req.query.silenceMinDuration ?? DEFAULT_SILENCE.minSeconds,
      };
      const source = await measured(req);
      const result = await analysis.analyse(source, silence);
      return {
        source: source.kind,
        ...result.levels,
        silence: { threshold: silence.thresholdDb, minDuration: silence.minSeconds, spans: result.silence },
        durationSeconds: result.durationSeconds,
      };
    },
  );
};
