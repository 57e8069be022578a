import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameproofClient } from '@frameproof/client';
import { exited, freePort, run, service } from './stack.js';

/** Runs SQL on a PostgreSQL server with psql; returns its rows, tab-separated. */
export async function psql(url: string, sql: string): Promise<string[][]> {
  const { stdout } = await run('psql', [url, '-v', 'ON_ERROR_STOP=1', '-tAF', '\t', '-c', sql], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

async function healthy(url: string, name: string, logs: string[], child: ChildProcess): Promise<void> {
  for (let i = 0; i < 480; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited:\n${logs.slice(-30).join('')}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${name} did not start:\n${logs.slice(-30).join('')}`);
}

interface Service {
  name: string;
  url: string;
  process: ChildProcess;
}

/**
 * The stack as on ECS, as processes on this machine: several adapters on one fresh PostgreSQL
 * database (made from `serverUrl`, dropped by `close()`) and one media folder, behind the
 * gateway; jobs workers and analyze talk to the first adapter. Each service is started by
 * its own method, so tests start only what they need.
 */
export class Cluster {
  readonly logs: string[] = [];
  readonly adapters: Service[] = [];
  readonly others: Service[] = [];
  gateway: Service | undefined;
  readonly runner = { username: 'runner', password: randomBytes(12).toString('hex') };
  readonly adminPassword = 'load-admin-password';

  private constructor(
    readonly dir: string,
    readonly serverUrl: string,
    readonly databaseUrl: string,
    private readonly database: string,
    private readonly busPort: number,
  ) {}

  static async create(serverUrl: string): Promise<Cluster> {
    const database = `frameproof_cluster_${randomBytes(6).toString('hex')}`;
    await psql(serverUrl, `CREATE DATABASE ${database}`);
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    return new Cluster(
      await mkdtemp(join(tmpdir(), 'frameproof-cluster-')),
      serverUrl,
      url.toString(),
      database,
      await freePort(),
    );
  }

  get media(): string {
    return join(this.dir, 'media');
  }

  /** The gateway's URL (the one clients use), or the first adapter's before it starts. */
  get url(): string {
    return this.gateway?.url ?? this.adapters[0]?.url ?? '';
  }

  async admin(): Promise<FrameproofClient> {
    const client = new FrameproofClient(this.url);
    await client.login('admin', this.adminPassword);
    return client;
  }

  /**
   * One more adapter; the first one runs the migrations and the workers' bus. `again`: an
   * adapter that stopped, started again in its place (its port, and its bus if it had it).
   */
  async startAdapter(env: NodeJS.ProcessEnv = {}, again?: Service): Promise<Service> {
    if (again && again.process.exitCode === null && again.process.signalCode === null)
      throw new Error(`${again.name} is still running`);
    const port = again ? Number(new URL(again.url).port) : await freePort();
    const first = again ? again === this.adapters[0] : this.adapters.length === 0;
    const child = service(
      'packages/adapter/src/main.ts',
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        BUS_PORT: first ? String(this.busPort) : 'off',
        DATABASE_URL: this.databaseUrl,
        FRAMEPROOF_DATA_DIR: this.dir,
        FRAMEPROOF_ADMIN_PASSWORD: this.adminPassword,
        AUTH_RUNNER_USERNAME: this.runner.username,
        AUTH_RUNNER_PASSWORD: this.runner.password,
        ...env,
      },
      this.logs,
    );
    const adapter = {
      name: again?.name ?? `adapter ${this.adapters.length + 1}`,
      url: `http://127.0.0.1:${port}`,
      process: child,
    };
    if (again) this.adapters.splice(this.adapters.indexOf(again), 1, adapter);
    else this.adapters.push(adapter);
    await healthy(`${adapter.url}/api/health`, adapter.name, this.logs, child);
    return adapter;
  }

  /** A jobs worker; Auto QC asks the cluster's analyze, when one is started (start it first). */
  startWorker(env: NodeJS.ProcessEnv = {}): Service {
    const adapter = this.adapters[0];
    if (!adapter) throw new Error('start an adapter first');
    const analyze = this.others.find((s) => s.name === 'analyze');
    const child = service(
      'packages/jobs/src/main.ts',
      {
        AP_ADAPTER_HOST: adapter.url,
        AP_ADAPTER_USERNAME: this.runner.username,
        AP_ADAPTER_PASSWORD: this.runner.password,
        BUS_PORT: String(this.busPort),
        STORAGE_URL: this.media,
        JOBS_POLL_SECONDS: '2',
        ...(analyze ? { ANALYZE_URL: analyze.url } : {}),
        ...env,
      },
      this.logs,
    );
    const worker = { name: 'jobs', url: '', process: child };
    this.others.push(worker);
    return worker;
  }

  async startAnalyze(): Promise<Service> {
    const adapter = this.adapters[0];
    if (!adapter) throw new Error('start an adapter first');
    const port = await freePort();
    const child = service(
      'packages/analyze/src/main.ts',
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        AP_ADAPTER_HOST: adapter.url,
        STORAGE_URL: this.media,
        AP_ANALYZE_CACHE_DIR: join(this.dir, 'analyze-cache'),
      },
      this.logs,
    );
    const analyze = { name: 'analyze', url: `http://127.0.0.1:${port}`, process: child };
    this.others.push(analyze);
    await healthy(`${analyze.url}/api/health`, 'analyze', this.logs, child);
    return analyze;
  }

  async startFrontend(): Promise<Service> {
    const port = await freePort();
    const child = service(
      'packages/frontend/src/main.ts',
      { PORT: String(port), HOST: '127.0.0.1' },
      this.logs,
    );
    const frontend = { name: 'frontend', url: `http://127.0.0.1:${port}`, process: child };
    this.others.push(frontend);
    await healthy(`${frontend.url}/`, 'frontend', this.logs, child);
    return frontend;
  }

  /** The gateway as its own process, over every adapter started so far (and analyze, if started). */
  async startGateway(env: NodeJS.ProcessEnv = {}): Promise<Service> {
    const port = await freePort();
    const analyze = this.others.find((s) => s.name === 'analyze');
    const frontend = this.others.find((s) => s.name === 'frontend');
    const child = service(
      'packages/gateway/src/main.ts',
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        ADAPTER_URLS: this.adapters.map((a) => a.url).join(','),
        ...(analyze ? { ANALYZE_URL: analyze.url } : {}),
        ...(frontend ? { FRONTEND_URL: frontend.url } : {}),
        ...env,
      },
      this.logs,
    );
    this.gateway = { name: 'gateway', url: `http://127.0.0.1:${port}`, process: child };
    await healthy(`${this.gateway.url}/api/health`, 'gateway', this.logs, child);
    return this.gateway;
  }

  /** Every process killed, the folder removed, the database dropped. */
  async close(): Promise<void> {
    const all = [...this.adapters, ...this.others, ...(this.gateway ? [this.gateway] : [])].map(
      (s) => s.process,
    );
    for (const child of all) child.kill('SIGKILL');
    await Promise.all(all.map(exited));
    await rm(this.dir, { recursive: true, force: true });
    await psql(this.serverUrl, `DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
  }
}
