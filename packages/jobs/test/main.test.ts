import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BusMessage, JobType, LeasedJob, TechnicalMetadata } from '@frameproof/core';
import { WebSocketServer } from 'ws';
import { LocalStorage } from '@frameproof/storage';
import { LocalTranscoder } from '../src/transcoder.js';
import { ffmpeg, systemRunner } from './helpers.js';
import { until } from '@frameproof/tests/until';

interface Recorded {
  path: string;
  body: Record<string, unknown>;
}

/** Just enough of the adapter: login, the runner endpoints, and the bus. */
class FakeAdapter {
  readonly http: Server;
  readonly bus: Server;
  readonly wss = new WebSocketServer({ noServer: true });
  readonly calls: Recorded[] = [];
  queue: LeasedJob[] = [];
  onLease: ((jobs: LeasedJob[]) => void) | undefined;
  /** Requests to these paths are never answered: a job reporting its end stays mid-job. */
  hold: ((path: string) => boolean) | undefined;

  constructor() {
    this.http = createServer((req, res) => {
      this.handle(req).then(
        (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
        () => res.writeHead(500).end(),
      );
    });
    this.bus = createServer();
    this.bus.on('upgrade', (req, socket, head) => {
      if (req.headers.authorization !== 'Bearer token-1')
        return socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      this.wss.handleUpgrade(req, socket, head, () => undefined);
    });
  }

  private async handle(req: IncomingMessage): Promise<unknown> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    this.calls.push({ path: req.url ?? '', body });
    if (this.hold?.(req.url ?? '')) await new Promise<never>(() => undefined);
    if (req.url === '/api/auth/login')
      return { accessToken: 'token-1', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900 };
    if (req.url === '/api/runner/lease') {
      const jobs = this.queue.splice(0, Number(body.limit ?? 1));
      if (jobs.length) setImmediate(() => this.onLease?.(jobs));
      return { jobs };
    }
    return { leaseExpiresAt: new Date().toISOString() };
  }

  push(message: BusMessage) {
    for (const ws of this.wss.clients) ws.send(JSON.stringify(message));
  }

  async listen(): Promise<{ api: number; bus: number }> {
    const port = async (s: Server) => {
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return (s.address() as AddressInfo).port;
    };
    return { api: await port(this.http), bus: await port(this.bus) };
  }

  async close() {
    for (const ws of this.wss.clients) ws.terminate();
    await Promise.all([this.http, this.bus].map((s) => new Promise((r) => s.close(r))));
  }

  called(suffix: string): Recorded[] {
    return this.calls.filter((c) => c.path.endsWith(suffix));
  }
}

let root: string;
let scratch: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'frameproof-main-'));
  scratch = join(root, 'tmp');
  await mkdir(join(root, 'media', 'src'), { recursive: true });
  await mkdir(scratch);
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=320x180:r=25:d=8',
    '-c:v',
    'libx264',
    join(root, 'media', 'src', 'clip.mp4'),
  );
  await writeFile(join(root, 'media', 'src', 'corrupt.mp4'), Buffer.alloc(4096, 7));
});
after(() => rm(root, { recursive: true, force: true }));

let count = 0;
function leased(type: JobType, payload: Record<string, unknown>): LeasedJob {
  count++;
  return {
    id: `00000000-0000-4000-8000-${String(count).padStart(12, '0')}`,
    type,
    payload: { assetId: 'a', source: { key: 'src/clip.mp4' }, outputPrefix: `out/${count}`, ...payload },
    attempt: 1,
    leaseToken: `10000000-0000-4000-8000-${String(count).padStart(12, '0')}`,
    leaseExpiresAt: new Date().toISOString(),
    leaseSeconds: 30,
  };
}

function startWorker(ports: { api: number; bus: number }, env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'packages/jobs/src/main.ts'],
    {
      env: {
        ...process.env,
        AP_ADAPTER_HOST: `http://127.0.0.1:${ports.api}`,
        AP_ADAPTER_USERNAME: 'runner',
        AP_ADAPTER_PASSWORD: 'secret',
        BUS_PORT: String(ports.bus),
        STORAGE_URL: join(root, 'media'),
        JOBS_TMP_DIR: scratch,
        JOBS_POLL_SECONDS: '30',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, log: () => output };
}

describe('the jobs service (main.ts) against a fake adapter', () => {
  let adapter: FakeAdapter;
  let worker: { child: ChildProcess; exited: Promise<number | null>; log: () => string } | undefined;
  after(async () => {
    worker?.child.kill('SIGKILL');
    await adapter?.close();
  });

  it('logs in, runs work announced on the bus, and exits 0 on SIGTERM', async () => {
    adapter = new FakeAdapter();
    const ports = await adapter.listen();
    worker = startWorker(ports);
    await until(() => adapter.wss.clients.size === 1, 'the bus connection', { ms: 15_000, everyMs: 10 });
    assert.deepEqual(adapter.called('/api/auth/login')[0]?.body, { username: 'runner', password: 'secret' });
    // Background work: the worker runs at niceness 10 (the 19th field of /proc/PID/stat).
    const stat = await readFile(`/proc/${worker.child.pid}/stat`, 'utf8');
    assert.equal(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16], '10');
    const probe = leased('probe', {});
    adapter.queue.push(probe);
    adapter.push({ type: 'work-available' });
    await until(() => adapter.called(`/jobs/${probe.id}/complete`).length === 1, 'the probe result', {
      ms: 15_000,
      everyMs: 10,
    });
    const result = adapter.called(`/jobs/${probe.id}/complete`)[0]?.body.result as {
      technical: TechnicalMetadata;
    };
    assert.equal(result.technical.video[0]?.frameCount, 200);
    // Bad input ends the job, not the process.
    const bad = leased('probe', { source: { key: 'src/corrupt.mp4' } });
    adapter.queue.push(bad);
    adapter.push({ type: 'work-available' });
    await until(() => adapter.called(`/jobs/${bad.id}/fail`).length === 1, 'the failure', {
      ms: 15_000,
      everyMs: 10,
    });
    assert.equal(adapter.called(`/jobs/${bad.id}/fail`)[0]?.body.retryable, false);
    assert.equal(worker.child.exitCode, null);
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
    assert.match(worker.log(), /"msg":"ffmpeg found"/);
    assert.match(worker.log(), /"msg":"stopped"/);
    assert.deepEqual(await readdir(scratch), []);
  });

  it('releases the running job when the stop timeout ends, then exits 0', async () => {
    await adapter.close();
    adapter = new FakeAdapter();
    const ports = await adapter.listen();
    worker = startWorker(ports, { JOBS_STOP_TIMEOUT_SECONDS: '0' });
    const { child } = worker;
    await until(() => adapter.wss.clients.size === 1, 'the bus connection', { ms: 15_000, everyMs: 10 });
    const technical = await probeTechnical();
    const proxy = leased('video-proxy', { technical, maxHeight: 180 });
    adapter.queue.push(proxy);
    adapter.onLease = () => child.kill('SIGTERM');
    adapter.push({ type: 'work-available' });
    assert.equal(await worker.exited, 0);
    assert.deepEqual(
      adapter.calls.filter((c) => c.path.includes('/api/runner/jobs/')).map((c) => c.path.split('/').pop()),
      ['release'],
    );
    assert.deepEqual(adapter.called('/release')[0]?.body, { leaseToken: proxy.leaseToken });
    assert.deepEqual(await readdir(scratch), []);
  });

  it('removes the scratch folder of a worker killed mid-job when the next one starts, never a live worker’s', async () => {
    await adapter.close();
    adapter = new FakeAdapter();
    // Each job stays mid-job, its scratch folder there, as its worker reports its end.
    adapter.hold = (path) => path.endsWith('/complete');
    const ports = await adapter.listen();
    const doomed = startWorker(ports);
    const live = startWorker(ports);
    const workers = [doomed, live];
    try {
      await until(() => adapter.wss.clients.size === 2, 'the bus connections', { ms: 15_000, everyMs: 10 });
      adapter.queue.push(leased('probe', {}), leased('probe', {}));
      adapter.push({ type: 'work-available' });
      await until(() => adapter.called('/complete').length === 2, 'both workers mid-job', {
        ms: 30_000,
        everyMs: 10,
      });
      const folderOf = async (pid: number | undefined) => {
        const name = (await readdir(scratch)).find((n) => n.endsWith(`-${pid}`));
        assert.ok(name, `no scratch folder for ${pid} in ${JSON.stringify(await readdir(scratch))}`);
        return name;
      };
      const doomedFolder = await folderOf(doomed.child.pid);
      const liveFolder = await folderOf(live.child.pid);
      assert.match((await readdir(join(scratch, doomedFolder))).join(), /^frameproof-job-\w+$/);
      const liveJob = await readdir(join(scratch, liveFolder));
      assert.match(liveJob.join(), /^frameproof-job-\w+$/);
      // Another host's folder under the same root (a shared volume): its pids mean nothing here.
      const elsewhere = `frameproof-worker-elsewhere-${doomed.child.pid}`;
      await mkdir(join(scratch, elsewhere));

      doomed.child.kill('SIGKILL');
      await doomed.exited;
      assert.ok((await readdir(scratch)).includes(doomedFolder), 'the killed worker left its folder');
      const next = startWorker(ports);
      workers.push(next);
      // It logs in once its scratch folder is claimed.
      await until(() => adapter.called('/api/auth/login').length === 3, 'the next worker up', {
        ms: 15_000,
        everyMs: 10,
      });
      const nextFolder = await folderOf(next.child.pid);
      assert.deepEqual((await readdir(scratch)).sort(), [elsewhere, liveFolder, nextFolder].sort());
      assert.deepEqual(await readdir(join(scratch, liveFolder)), liveJob, 'the live worker’s job untouched');
      assert.match(next.log(), /"msg":"removed the scratch folders of workers gone"/);
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await rm(scratch, { recursive: true, force: true });
      await mkdir(scratch);
    }
  });
});

/** The technical metadata of the clip, as the probe processor makes it. */
async function probeTechnical(): Promise<TechnicalMetadata> {
  const { runner, capabilities } = await systemRunner();
  const storage = new LocalStorage(join(root, 'media'));
  return new LocalTranscoder(runner, capabilities).probe(
    { source: { key: 'src/clip.mp4' } },
    { storage, tmpDir: scratch, signal: new AbortController().signal, reportProgress: () => undefined },
  );
}
