import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { type AssetWithShapes, type Job } from '@frameproof/core';
import { FrameproofClient } from '@frameproof/client';

const root = resolve(import.meta.dirname, '../..');
export const run = promisify(execFile);

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** `npm test` has just built every package (`scripts/run-tests.mjs --built`). */
export const builtServices = process.env.FRAMEPROOF_TEST_BUILT === '1';

/**
 * How Node runs a service's entry (`packages/NAME/src/FILE.ts`): from the sources through tsx, or,
 * when `npm test` has just built everything (`scripts/run-tests.mjs --built` sets
 * FRAMEPROOF_TEST_BUILT), the built file, as `npm start` does: tsx costs each process one to two
 * seconds of CPU more, and a run starts a few hundred.
 */
export function entryArgs(entry: string): string[] {
  const built = entry.replace(/^(packages\/[^/]+)\/src\/(.+)\.ts$/, '$1/dist/src/$2.js');
  if (builtServices && built !== entry) return [join(root, built)];
  return ['--conditions=source', '--import', 'tsx', join(root, entry)];
}

/** A service as its own process, the way `npm start` runs it (see `entryArgs`). */
export function service(entry: string, env: NodeJS.ProcessEnv, logs: string[]): ChildProcess {
  const child = spawn(process.execPath, entryArgs(entry), {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    logs.push(chunk.toString());
    if (logs.length > 5000) logs.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

export const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => child.once('exit', () => r()));

/**
 * The adapter and jobs workers as separate processes on loopback, with PGlite and a media
 * folder in a temporary directory; short leases so that lost workers are noticed quickly.
 */
export class Stack {
  readonly logs: string[] = [];
  readonly dir: string;
  adapter: ChildProcess | undefined;
  readonly workers = new Set<ChildProcess>();
  readonly client: FrameproofClient;
  /** The workers' service account, for workers started outside the stack (in a test's process). */
  readonly runner = { username: 'runner', password: randomBytes(12).toString('hex') };

  /** The analyze service the workers ask for Auto QC's audio, started with the first worker. */
  private workersAnalyze: ChildProcess | undefined;

  private constructor(
    dir: string,
    readonly port: number,
    readonly busPort: number,
    readonly leaseSeconds: number,
    /** Where the workers' analyze listens (ANALYZE_URL), once started. */
    readonly analyzePort: number,
    private readonly adapterEnv: NodeJS.ProcessEnv = {},
  ) {
    this.dir = dir;
    this.client = new FrameproofClient(`http://127.0.0.1:${port}`);
  }

  /**
   * `leaseSeconds`: short (3 s) in tests, so lost workers are noticed quickly; 60 s as in
   * production for benchmarks. `adapterEnv`: more settings for the adapter (S3 storage, say).
   */
  static async start(
    options: { leaseSeconds?: number; adapterEnv?: NodeJS.ProcessEnv; dir?: string } = {},
  ): Promise<Stack> {
    // `dir`: a data folder made elsewhere (a restored backup); removed by close() all the same.
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'frameproof-e2e-')));
    const stack = new Stack(
      dir,
      await freePort(),
      await freePort(),
      options.leaseSeconds ?? 3,
      await freePort(),
      options.adapterEnv,
    );
    try {
      await stack.startAdapter();
      await stack.client.login('admin', 'e2e-admin-password');
    } catch (err) {
      await stack.close(); // an adapter that did not answer in time must not outlive the test
      throw err;
    }
    return stack;
  }

  get media() {
    return join(this.dir, 'media');
  }

  async startAdapter(): Promise<void> {
    this.adapter = service(
      'packages/adapter/src/main.ts',
      {
        PORT: String(this.port),
        HOST: '127.0.0.1',
        BUS_PORT: String(this.busPort),
        FRAMEPROOF_DATA_DIR: this.dir,
        FRAMEPROOF_ADMIN_PASSWORD: 'e2e-admin-password',
        AUTH_RUNNER_USERNAME: this.runner.username,
        AUTH_RUNNER_PASSWORD: this.runner.password,
        JOB_LEASE_SECONDS: String(this.leaseSeconds),
        JOB_RETRY_BASE_SECONDS: '0',
        ...this.adapterEnv,
      },
      this.logs,
    );
    // Up to three minutes: from source (tsx) on a shared machine under load, it has taken over 90 s.
    for (let i = 0; i < 720; i++) {
      if (this.adapter.exitCode !== null) throw new Error(`adapter exited:\n${this.logs.join('')}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/api/health`)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`adapter did not start:\n${this.logs.join('')}`);
  }

  async stopAdapter(): Promise<void> {
    const adapter = this.adapter;
    if (!adapter) return;
    adapter.kill('SIGTERM');
    await exited(adapter);
    this.adapter = undefined;
  }

  /**
   * A jobs worker. Auto QC measures audio through analyze: unless `env` names an ANALYZE_URL,
   * the stack's own analyze is started with the first worker (workers ask again while it starts).
   */
  startWorker(env: NodeJS.ProcessEnv = {}): ChildProcess {
    if (!env.ANALYZE_URL && !this.workersAnalyze) {
      const analyze = service(
        'packages/analyze/src/main.ts',
        this.analyzeEnv(this.analyzePort, 'workers'),
        this.logs,
      );
      this.workersAnalyze = analyze;
      this.workers.add(analyze);
      analyze.once('exit', () => {
        this.workers.delete(analyze);
        if (this.workersAnalyze === analyze) this.workersAnalyze = undefined;
      });
    }
    const worker = service(
      'packages/jobs/src/main.ts',
      {
        AP_ADAPTER_HOST: `http://127.0.0.1:${this.port}`,
        AP_ADAPTER_USERNAME: this.runner.username,
        AP_ADAPTER_PASSWORD: this.runner.password,
        BUS_PORT: String(this.busPort),
        STORAGE_URL: this.media,
        JOBS_POLL_SECONDS: '2',
        ANALYZE_URL: `http://127.0.0.1:${this.analyzePort}`,
        ...env,
      },
      this.logs,
    );
    this.workers.add(worker);
    worker.once('exit', () => this.workers.delete(worker));
    return worker;
  }

  /** The analyze service, which asks this adapter about assets with each caller's token. */
  /** `env`: more settings for analyze (its auth reuse time, say). */
  async startAnalyze(env: NodeJS.ProcessEnv = {}): Promise<{ url: string; process: ChildProcess }> {
    const port = await freePort();
    const child = service(
      'packages/analyze/src/main.ts',
      { ...this.analyzeEnv(port, 'analyze-cache'), ...env },
      this.logs,
    );
    this.workers.add(child);
    child.once('exit', () => this.workers.delete(child));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 120; i++) {
      try {
        if ((await fetch(`${url}/api/health`)).ok) return { url, process: child };
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`analyze did not start:\n${this.logs.slice(-20).join('')}`);
  }

  /** Analyze on `port`, asking this adapter, with a cache folder of its own. */
  private analyzeEnv(port: number, cache: string): NodeJS.ProcessEnv {
    return {
      PORT: String(port),
      HOST: '127.0.0.1',
      AP_ADAPTER_HOST: `http://127.0.0.1:${this.port}`,
      AP_ANALYZE_CACHE_DIR: join(this.dir, cache),
    };
  }

  async upload(path: string, title: string): Promise<string> {
    const asset = await this.client.uploadAsset(
      await openAsBlob(path),
      path.split('/').pop() ?? 'clip',
      title,
    );
    return asset.id;
  }

  /** Waits until every asset has left `ingesting`; returns them. */
  async settled(ids: string[], seconds = 180, pollMs = 500): Promise<AssetWithShapes[]> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const assets = await Promise.all(ids.map((id) => this.client.getAsset(id)));
      if (assets.every((a) => a.status !== 'ingesting')) return assets;
      if (Date.now() > deadline) {
        const jobs = await this.client.listJobs({ limit: 500 });
        throw new Error(
          `still ingesting after ${seconds} s: ${JSON.stringify(jobs.items.filter((j) => j.status !== 'completed').map((j) => [j.type, j.status, j.error]))}\n${this.logs.slice(-30).join('')}`,
        );
      }
      await sleep(pollMs);
    }
  }

  async waitForJob(match: (job: Job) => boolean, seconds = 60): Promise<Job> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const found = (await this.client.listJobs({ limit: 500 })).items.find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no such job within ${seconds} s\n${this.logs.slice(-20).join('')}`);
      await sleep(200);
    }
  }

  async close(): Promise<void> {
    for (const worker of this.workers) worker.kill('SIGKILL');
    this.adapter?.kill('SIGKILL');
    await Promise.all([...this.workers, ...(this.adapter ? [this.adapter] : [])].map(exited));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The shapes of an asset, as `type` + track, sorted: `['audio-proxy1', 'original', ...]`. */
export const shapesOf = (a: AssetWithShapes) => a.shapes.map((s) => `${s.type}${s.track ?? ''}`).sort();

/**
 * The programme the pipeline tests (local and AWS engines) ingest: three seconds at 29.97 fps,
 * the first black, with two audio tracks; `shapes` are what its ingest makes.
 */
export const PROGRAMME = {
  clip: { seconds: 2, blackSeconds: 1, rate: '30000/1001', audioTracks: 2 },
  shapes: ['audio-proxy1', 'audio-proxy2', 'original', 'poster', 'sprite', 'video-proxy'],
} as const;

/** Makes the programme at `path`. */
export const makeProgramme = (path: string) => makeClip(path, PROGRAMME.clip);

/** Generates a test clip with ffmpeg: `seconds` of test pattern (after `blackSeconds` of black) with tones. */
export async function makeClip(
  path: string,
  opts: { seconds: number; rate?: string; size?: string; audioTracks?: number; blackSeconds?: number },
): Promise<string> {
  const rate = opts.rate ?? '25';
  const size = opts.size ?? '320x180';
  const tracks = opts.audioTracks ?? 1;
  const black = opts.blackSeconds ?? 0;
  const total = black + opts.seconds;
  const inputs = ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${opts.seconds}`];
  if (black) inputs.unshift('-f', 'lavfi', '-i', `color=c=black:size=${size}:rate=${rate}:duration=${black}`);
  const video = black ? '[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]' : '[0:v]format=yuv420p[v]';
  const audio: string[] = [];
  for (let t = 0; t < tracks; t++)
    audio.push('-f', 'lavfi', '-i', `sine=frequency=${440 * (t + 1)}:sample_rate=48000:duration=${total}`);
  const first = black ? 2 : 1;
  const maps = [
    '-map',
    '[v]',
    ...Array.from({ length: tracks }, (_, t) => ['-map', `${first + t}:a`]).flat(),
  ];
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    ...inputs,
    ...audio,
    '-filter_complex',
    video,
    ...maps,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-c:a',
    'aac',
    '-t',
    String(total),
    path,
  ]);
  return path;
}

/** What ffprobe counts in a file or URL: decoded frames and the frame rate. */
export async function countFrames(input: string): Promise<{ frames: number; rate: string }> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames,r_frame_rate',
    '-of',
    'json',
    input,
  ]);
  const stream = (JSON.parse(stdout) as { streams: { nb_read_frames: string; r_frame_rate: string }[] })
    .streams[0];
  return { frames: Number(stream?.nb_read_frames), rate: stream?.r_frame_rate ?? '' };
}
