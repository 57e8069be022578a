/** The analyze service's process: `node dist/src/main.js`. PORT (8080), HOST; see config.ts. */
import { serializeRequest } from '@frameproof/core';
import { createLogger, locateFfmpeg, loggerOptions } from '@frameproof/media-kit';
import { openStorage } from '@frameproof/storage';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { AdapterAssetResolver } from './resolver.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`analyze: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const level = config.logLevel;
  const log = createLogger(level).child({ service: 'analyze' });
  // Like jobs: FFMPEG_PATH, else the system's, else the build shipped on npm; logged either way.
  const ffmpeg = await locateFfmpeg({ log });
  const app = await buildApp({
    resolver: new AdapterAssetResolver(config.adapterUrl, config.authTtlMs),
    storage: config.storageUrl ? openStorage(config.storageUrl) : undefined,
    cacheDir: config.cacheDir,
    cacheMaxBytes: config.cacheMaxBytes,
    cacheMaxAgeMs: config.cacheMaxAgeMs,
    ffmpegPath: ffmpeg.ffmpeg,
    maxDecoders: config.maxDecoders,
    measureSource: config.measureSource,
    logger: {
      ...loggerOptions(level),
      base: { service: 'analyze' },
      serializers: { ...loggerOptions(level).serializers, req: serializeRequest },
    },
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'analyze: closing');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'analyze: close failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    {
      adapter: config.adapterUrl,
      cache: config.cacheDir,
      storage: config.storageUrl ?? null,
      measureSource: config.measureSource,
    },
    'analyze: listening',
  );
}

await main();
