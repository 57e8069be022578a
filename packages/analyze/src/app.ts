import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Storage } from '@frameproof/storage';
import { errorBody } from '@frameproof/core';
import { DiskCache } from './cache.js';
import { HttpError } from './errors.js';
import { AnalysisService } from './processors/loudness.js';
import { WaveformService } from './processors/waveform.js';
import type { FfmpegStarter } from './processors/decode.js';
import { loadNativeDecoder, type DecoderChoice } from './native-decode.js';
import type { AssetResolver, SourcePreference } from './resolver.js';
import { ResultStore } from './result-store.js';
import { healthRoutes } from './routes/health.js';
import { loudnessRoutes } from './routes/loudness.js';
import { waveformRoutes } from './routes/waveform.js';

export interface AppOptions {
  resolver: AssetResolver;
  cacheDir: string;
  cacheMaxBytes: number;
  cacheMaxAgeMs: number;
  ffmpegPath: string;
  maxDecoders: number;
  /** What loudness and levels measure when a request does not say (default: the original). */
  measureSource?: SourcePreference;
  logger?: FastifyServerOptions['logger'];
  /**
   * Where results are kept next to the assets (the storage the other services use); without it,
   * results live on this task's disk only.
   */
  storage?: Storage;
  /** Starts ffmpeg (default: `runFfmpeg`); tests count the decodes with it. */
  runFfmpeg?: FfmpegStarter;
  /**
   * What decodes whole tracks (the programme pass): 'native' (ffmpeg's libraries in this process;
   * an error if the addon is not built) or 'cli'. Default: native when the addon is built.
   */
  decoder?: DecoderChoice;
  /** The clock of the cache (tests of expiry). */
  now?: () => number;
}

/** What the routes use; also reachable as `app.services` (tests, benchmarks). */
export interface Services {
  resolver: AssetResolver;
  cache: DiskCache;
  waveforms: WaveformService;
  analysis: AnalysisService;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

/** The request parameter a validation error is about. */
function fieldOf(err: FastifyError): string | undefined {
  const v = err.validation?.[0];
  if (!v) return undefined;
  const params = v.params as { additionalProperty?: string; missingProperty?: string };
  return params.additionalProperty ?? params.missingProperty ?? v.instancePath.split('/').filter(Boolean)[0];
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // Stopping, a request on an open connection is answered, not refused with 503.
    return503OnClosing: false,
    // Unknown parameters are errors, not silently dropped (Fastify's ajv removes them by default).
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const closing = new AbortController();
  let stopping = false;
  const cache = new DiskCache({
    dir: options.cacheDir,
    maxBytes: options.cacheMaxBytes,
    maxAgeMs: options.cacheMaxAgeMs,
    log: app.log,
    now: options.now,
  });
  await cache.init();
  const results = options.storage ? new ResultStore(options.storage, cache, app.log) : undefined;
  const common = {
    cache,
    ffmpegPath: options.ffmpegPath,
    log: app.log,
    signal: closing.signal,
    run: options.runFfmpeg,
    decoder: options.decoder,
    results,
  };
  const waveforms = new WaveformService({ ...common, maxDecoders: options.maxDecoders });
  app.log.info(
    { decoder: waveforms.decoder, addon: loadNativeDecoder().why },
    `analyze: programme pass decoder: ${waveforms.decoder}`,
  );
  const services: Services = {
    resolver: options.resolver,
    cache,
    waveforms,
    // Loudness and the peak file come from the same decode of the track.
    analysis: new AnalysisService({ ...common, programmePass: (source) => waveforms.programmePass(source) }),
  };
  app.decorate('services', services);
  // Stopping, an answer closes its connection: a keep-alive client (the load balancer) would
  // otherwise hold the server open for its idle timeout (72 s) after the last request.
  app.addHook('preClose', async () => void (stopping = true));
  app.addHook('onSend', async (_req, reply) => void (stopping && reply.header('connection', 'close')));
  app.addHook('onClose', async () => {
    closing.abort(new Error('shutting down'));
    // Results being shared still reach storage: a stop loses no decode another task would redo.
    await results?.settled();
    cache.close();
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      const field = fieldOf(err);
      const message =
        err.validation[0]?.keyword === 'additionalProperties'
          ? `unknown parameter "${field}"`
          : `${field ?? err.validationContext}: ${err.validation[0]?.message ?? 'invalid'}`;
      return reply.code(400).send(errorBody(400, message, field));
    }
    const status = err instanceof HttpError ? err.statusCode : (err.statusCode ?? 500);
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return reply.code(status).send(errorBody(status, 'something went wrong; it has been logged'));
    }
    return reply
      .code(status)
      .send(errorBody(status, err.message, err instanceof HttpError ? err.field : undefined));
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody(404, `no route for ${req.method} ${req.url.split('?')[0]}`)),
  );

  await app.register(healthRoutes, { services });
  await app.register(waveformRoutes, { services });
  await app.register(loudnessRoutes, { services, measureSource: options.measureSource ?? 'original' });
  return app;
}
