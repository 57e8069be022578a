// The jobs service: `node packages/jobs/dist/src/main.js`. Reads its settings from the
// environment (see config.ts), runs jobs until SIGTERM or SIGINT, then stops gracefully.
import { getPriority, setPriority } from 'node:os';
import { FrameproofClient } from '@frameproof/client';
import { openStorage } from '@frameproof/storage';
import { BusClient } from './bus.js';
import { readJobsConfig } from './config.js';
import { locateFfmpeg } from '@frameproof/media-kit';
import { createLogger } from '@frameproof/media-kit';
import { createProcessors } from './processors/index.js';
import { Runner } from './runner.js';
import { LocalTranscoder } from './transcoder.js';
import { MediaConvertTranscoder } from './aws/mediaconvert.js';
import { RekognitionAnalyzer } from './aws/rekognition.js';
import { AnalyzeMeasurer } from './audio-measurer.js';

const config = readJobsConfig();
const log = createLogger(config.logLevel).child({ service: 'jobs', workerId: config.workerId });
// Background work: this process and the ffmpeg runs it starts (they inherit it) yield the CPU.
if (config.nice > getPriority()) setPriority(config.nice);
process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));

const ffmpeg = await locateFfmpeg({ log });
const client = new FrameproofClient(config.adapterUrl);
const transcoder = config.mediaConvert
  ? new MediaConvertTranscoder(ffmpeg.runner, ffmpeg.capabilities, { settings: config.mediaConvert })
  : new LocalTranscoder(ffmpeg.runner, ffmpeg.capabilities);
const runner = new Runner({
  client,
  credentials: { username: config.username, password: config.password },
  processors: createProcessors(transcoder, {
    limits: config.limits,
    videoAnalyzer: config.rekognition ? new RekognitionAnalyzer({ settings: config.rekognition }) : undefined,
    // Auto QC reads each audio track's one measurement from analyze, with this worker's token.
    audioMeasurer: new AnalyzeMeasurer({ url: config.analyzeUrl, getToken: () => client.accessToken }),
  }),
  storage: openStorage(config.storageUrl),
  workerId: config.workerId,
  types: config.types,
  concurrency: config.concurrency,
  pollSeconds: config.pollSeconds,
  stopTimeoutSeconds: config.stopTimeoutSeconds,
  timeouts: config.timeouts,
  tmpRoot: config.tmpDir,
  bus: config.busPort
    ? new BusClient({
        adapterUrl: config.adapterUrl,
        port: config.busPort,
        getToken: () => client.accessToken,
        log,
      })
    : undefined,
  log,
});

function shutdown(signal: NodeJS.Signals) {
  log.info({ signal, running: runner.activeJobs }, 'stopping');
  // Released jobs must reach the adapter; a job that ignores its abort must not hold us forever.
  setTimeout(() => process.exit(1), (config.stopTimeoutSeconds + 30) * 1000).unref();
  void runner.stop().then(() => {
    log.info('stopped');
    process.exit(0);
  });
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

log.info(
  {
    adapter: config.adapterUrl,
    analyze: config.analyzeUrl,
    busPort: config.busPort,
    concurrency: config.concurrency,
    storage: config.storageUrl,
    transcoder: transcoder.name,
    videoAnalysis: config.rekognition ? 'rekognition' : 'off',
  },
  'jobs service starting',
);
await runner.start();
