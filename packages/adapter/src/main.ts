import { setTimeout as sleep } from 'node:timers/promises';
import { environmentWithBucketSettings } from '@frameproof/storage';
import { announceAdminPassword } from './admin-password.js';
import { readConfig } from './config.js';
import { createContext } from './context.js';
import { buildApp } from './app.js';
import { BusServer } from './bus-server.js';
import { JobsRepository } from './repositories/jobs.js';
import { IMPORT_STALLED_MS } from './services/imports.js';
import { QueueMetrics } from './services/queue-metrics.js';

/** The adapter process: API on PORT, worker bus on BUS_PORT; SIGTERM stops both cleanly. */
async function main() {
  // CONFIG_BUCKET: the bucket's backend/settings.json fills in what the environment does not set.
  const config = readConfig(await environmentWithBucketSettings(process.env));
  let warn: (obj: object, msg: string) => void = () => undefined;
  const ctx = await createContext(config, undefined, undefined, {
    onAbortError: (err, upload) =>
      warn(
        { err, upload: upload.id },
        'the storage did not abort an expired upload; its lifecycle rule will',
      ),
    onImportError: (err) => warn({ err }, 'an import stopped'),
  });
  const app = await buildApp(ctx);
  warn = (obj, msg) => app.log.warn(obj, msg);
  const bus = config.busPort === null ? undefined : new BusServer(ctx.auth, ctx.events, app.log);
  ctx.events.onError((err) => app.log.error({ err }, 'event bus error'));

  if (ctx.generatedAdminPassword) {
    // Shown once, on the first start; the database keeps only its hash.
    const file = await announceAdminPassword(ctx.generatedAdminPassword, {
      isTTY: process.stdout.isTTY === true,
      write: (text) => process.stdout.write(text),
      dataDir: config.dataDir,
    });
    if (file) app.log.warn({ file }, 'first start: the generated admin password is in this file (mode 0600)');
  }
  await app.listen({ port: config.port, host: config.host });
  if (bus && config.busPort !== null) await bus.listen(config.busPort, config.host);
  ctx.queue.startReaper();
  ctx.assets.startSweeper(undefined, (err) =>
    app.log.warn({ err }, 'purging deleted assets failed; the next sweep tries again'),
  );
  // Unfinished resumable uploads expire (UPLOAD_EXPIRY_SECONDS after creation): sweep them.
  const sweep = setInterval(
    () => {
      void ctx.uploads?.sweep(new Date()).then(
        (removed) => removed && app.log.info({ removed }, 'swept expired uploads'),
        (err: unknown) => app.log.warn({ err }, 'cannot sweep expired uploads'),
      );
      void ctx.directUploads.sweep().then(
        (removed) => removed && app.log.info({ removed }, 'aborted expired direct uploads'),
        (err: unknown) => app.log.warn({ err }, 'cannot sweep expired direct uploads'),
      );
    },
    Math.min(3_600_000, (config.uploadExpirySeconds * 1000) / 4),
  );
  sweep.unref();
  // An import whose adapter stopped (a crash, a killed task) would stay running: fail it once it
  // has not moved for a while, checked from start on.
  const importSweep = setInterval(() => {
    void ctx.imports.sweepStalled().then(
      (failed) => failed.length && app.log.warn({ failed }, 'failed imports whose adapter stopped'),
      (err: unknown) => app.log.warn({ err }, 'cannot sweep stalled imports'),
    );
  }, IMPORT_STALLED_MS / 3);
  importSweep.unref();
  // Expired refresh tokens and tickets and long-ended sessions would otherwise pile up for ever;
  // so would live events, kept only for sockets that reconnect to catch up from.
  const sessionSweep = setInterval(
    () => {
      void ctx.auth.purgeSessions().then(
        (removed) => removed && app.log.info({ removed }, 'purged ended sessions'),
        (err: unknown) => app.log.warn({ err }, 'cannot purge ended sessions'),
      );
      void ctx.events.purge(config.eventRetentionSeconds).then(
        (removed) => removed && app.log.info({ removed }, 'purged old live events'),
        (err: unknown) => app.log.warn({ err }, 'cannot purge old live events'),
      );
    },
    Math.min(3_600_000, (config.eventRetentionSeconds * 1000) / 2),
  );
  sessionSweep.unref();
  const metrics = config.metrics
    ? new QueueMetrics(
        () => new JobsRepository(ctx.db).queueDepth(),
        config.metrics.namespace,
        config.metrics.application,
        undefined,
        (err) => app.log.warn({ err }, 'cannot publish the queue metrics'),
      )
    : undefined;
  metrics?.start();
  app.log.info({ database: ctx.db.kind, storage: ctx.storage.location }, 'adapter ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal, drainSeconds: config.drainSeconds }, 'stopping');
    // Out of the load balancer first (health answers 503), still answering what it sends
    // meanwhile; then no new connections, in-flight requests finish, sockets told to reconnect.
    ctx.draining = true;
    await sleep(config.drainSeconds * 1000);
    metrics?.stop();
    clearInterval(sweep);
    clearInterval(sessionSweep);
    clearInterval(importSweep);
    await bus?.close();
    await app.close();
    await ctx.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
