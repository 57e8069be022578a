import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { type GatewaySettings, readGatewaySettings } from './config.js';
import { LogLines, logFormat } from './log-lines.js';
import { buildGateway, type Upstreams } from './server.js';

/**
 * `npm start`: every service as its own process, as they run as separate tasks on ECS, behind
 * a gateway on PORT that routes like the ALB. Embedded defaults: PGlite and media under
 * FRAMEPROOF_DATA_DIR. Ctrl-C (or SIGTERM) stops them all cleanly.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const env = process.env;
// Read before anything starts: a wrong setting stops `npm start` with nothing launched.
let settings: GatewaySettings;
try {
  settings = readGatewaySettings(env);
} catch (err) {
  console.error(`frameproof: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
const port = settings.port;
const host = env.HOST ?? '127.0.0.1';
const dataDir = resolve(env.FRAMEPROOF_DATA_DIR ?? join(root, 'data'));
const ports = {
  adapter: Number(env.ADAPTER_PORT ?? port + 1),
  analyze: Number(env.ANALYZE_PORT ?? port + 2),
  frontend: Number(env.FRONTEND_PORT ?? port + 3),
  bus: Number(env.BUS_PORT ?? 5701),
};
// The workers' service account lives as long as this run; the adapter sets its password at start.
const runner = { username: 'runner', password: randomBytes(24).toString('base64url') };

interface Service {
  name: string;
  entry: string;
  /** Node's own options, before the entry. */
  nodeArgs?: string[];
  env: NodeJS.ProcessEnv;
  health?: string;
}

const services: Service[] = [
  {
    name: 'adapter',
    entry: 'packages/adapter/dist/src/main.js',
    env: {
      PORT: String(ports.adapter),
      HOST: '127.0.0.1',
      BUS_PORT: String(ports.bus),
      FRAMEPROOF_DATA_DIR: dataDir,
      PUBLIC_URL: env.PUBLIC_URL ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`,
      AUTH_RUNNER_USERNAME: runner.username,
      AUTH_RUNNER_PASSWORD: runner.password,
    },
    health: `http://127.0.0.1:${ports.adapter}/api/health`,
  },
  {
    name: 'jobs',
    entry: 'packages/jobs/dist/src/main.js',
    env: {
      AP_ADAPTER_HOST: `http://127.0.0.1:${ports.adapter}`,
      AP_ADAPTER_USERNAME: runner.username,
      AP_ADAPTER_PASSWORD: runner.password,
      // Auto QC reads each audio track's loudness and silence from analyze, as the panel does.
      ANALYZE_URL: `http://127.0.0.1:${ports.analyze}`,
      BUS_PORT: String(ports.bus),
      STORAGE_URL: env.STORAGE_URL ?? join(dataDir, 'media'),
    },
  },
  {
    name: 'analyze',
    entry: 'packages/analyze/dist/src/main.js',
    // As its image runs it (packages/analyze/Dockerfile): memory the same for any programme length.
    nodeArgs: ['--max-semi-space-size=4'],
    env: {
      MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2',
      PORT: String(ports.analyze),
      HOST: '127.0.0.1',
      AP_ADAPTER_HOST: `http://127.0.0.1:${ports.adapter}`,
      STORAGE_URL: env.STORAGE_URL ?? join(dataDir, 'media'),
      AP_ANALYZE_CACHE_DIR: env.AP_ANALYZE_CACHE_DIR ?? join(dataDir, 'analyze-cache'),
    },
    health: `http://127.0.0.1:${ports.analyze}/api/health`,
  },
  {
    name: 'frontend',
    entry: 'packages/frontend/dist/src/main.js',
    env: { PORT: String(ports.frontend), HOST: '127.0.0.1' },
    health: `http://127.0.0.1:${ports.frontend}/`,
  },
];

const children = new Map<string, ChildProcess>();
let stopping = false;
// In a terminal, the services' JSON logs become short lines with each one's name; elsewhere
// (a file, a pipe, ECS) they stay JSON.
const format = logFormat(env, process.stdout.isTTY);

function launch(service: Service): ChildProcess {
  const child = spawn(process.execPath, [...(service.nodeArgs ?? []), join(root, service.entry)], {
    env: { ...env, ...service.env },
    stdio: ['ignore', format === 'lines' ? 'pipe' : 'inherit', format === 'lines' ? 'pipe' : 'inherit'],
  });
  if (format === 'lines') {
    const lines = new LogLines(service.name);
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      if (!from) continue;
      createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => {
        const out = lines.format(line);
        if (out !== null) to.write(`${out}\n`);
      });
    }
  }
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    if (!stopping) {
      console.error(`frameproof: ${service.name} exited (${signal ?? code}); stopping the rest`);
      void stop(1);
    }
  });
  children.set(service.name, child);
  return child;
}

async function waitHealthy(url: string, name: string, seconds = 180) {
  for (let i = 0; i < seconds * 4; i++) {
    if (stopping) return;
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${name} did not become healthy at ${url} within ${seconds} s`);
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  await gateway?.close();
  // Workers first, so they hand their jobs back while the adapter still listens.
  for (const name of ['frontend', 'jobs', 'analyze', 'adapter']) {
    const child = children.get(name);
    if (!child) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(40_000)]);
    if (children.has(name)) child.kill('SIGKILL');
  }
  if (code === 0) console.log('frameproof: stopped');
  process.exit(code);
}

let gateway: Awaited<ReturnType<typeof buildGateway>> | undefined;

/** Where the data lives, in words, and whether an earlier run left it there. */
function dataSummary(): { where: string; found: boolean } {
  const media = env.STORAGE_URL ?? join(dataDir, 'media');
  if (env.DATABASE_URL || env.DB_HOST) {
    const server = env.DATABASE_URL ? new URL(env.DATABASE_URL).host : env.DB_HOST;
    return { where: `PostgreSQL on ${server}, media in ${media}`, found: false };
  }
  return { where: `${dataDir} (database in db/, media in ${media})`, found: existsSync(join(dataDir, 'db')) };
}

/**
 * How to find the admin's password. A generated one goes to a 0600 file when the adapter's
 * output is not a terminal, which it is not when this launcher rewrites its lines: then the
 * launcher shows it, on the first start and only in a terminal.
 */
async function adminPassword(found: boolean): Promise<string> {
  if (env.FRAMEPROOF_ADMIN_PASSWORD) return 'the one in FRAMEPROOF_ADMIN_PASSWORD';
  const file = join(dataDir, 'admin-password');
  if (existsSync(file)) {
    if (!found && process.stdout.isTTY)
      return `${(await readFile(file, 'utf8')).trim()} (also in ${file}, readable only by you)`;
    return `in ${file} (readable only by you)`;
  }
  return found
    ? 'the one shown on the first start (set FRAMEPROOF_ADMIN_PASSWORD to reset it)'
    : 'the one shown above, once';
}

async function main() {
  const data = dataSummary();
  if (data.found) console.log(`frameproof: found the data of an earlier run in ${dataDir}; starting with it`);
  // Only this user may read the data (the database, media, the admin password file); an older
  // install's folder is closed too.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const present = services.filter((s) => existsSync(join(root, s.entry)));
  for (const missing of services.filter((s) => !present.includes(s))) {
    console.log(`frameproof: ${missing.name} is not built (${missing.entry}); leaving it out`);
  }
  const adapter = present.find((s) => s.name === 'adapter');
  if (!adapter?.health) throw new Error('the adapter is not built: run `npm run build`');
  launch(adapter);
  await waitHealthy(adapter.health, 'adapter');
  for (const service of present.filter((s) => s !== adapter)) {
    if (stopping) return; // Ctrl-C during start-up: start nothing more
    launch(service);
    if (service.health) await waitHealthy(service.health, service.name);
  }
  if (stopping) return;
  const upstreams: Upstreams = {
    // More adapter instances (ADAPTER_URLS, on the same database) share the load with ours.
    adapter: [
      `http://127.0.0.1:${ports.adapter}`,
      ...(env.ADAPTER_URLS ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    ],
    ...(children.has('analyze') ? { analyze: `http://127.0.0.1:${ports.analyze}` } : {}),
    ...(children.has('frontend') ? { frontend: `http://127.0.0.1:${ports.frontend}` } : {}),
    ...(env.OIDC_ISSUER_ORIGIN ? { auth: env.OIDC_ISSUER_ORIGIN } : {}),
  };
  gateway = await buildGateway(upstreams, { healthIntervalMs: settings.healthIntervalMs });
  await gateway.listen({ port, host });
  const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
  const password = await adminPassword(data.found);
  console.log(
    [
      '',
      `  Frameproof is running at ${url}`,
      `  Sign in as admin; password: ${password}`,
      `  Data: ${data.where}${data.found ? ', kept from an earlier run' : ', new'}`,
      `  API docs: ${url}/api/docs   Stop: Ctrl-C`,
      '',
    ].join('\n'),
  );
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
main().catch((err: unknown) => {
  console.error(`frameproof: ${err instanceof Error ? err.message : String(err)}`);
  void stop(1);
});
