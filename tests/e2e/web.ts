import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { entryArgs, exited, freePort, run, Stack } from './stack.js';

const root = resolve(import.meta.dirname, '../..');

/** Builds the web app as `npm run build` does (vite, then .gz and .br beside each file) into `publicDir`. */
export async function buildFrontend(publicDir: string): Promise<void> {
  await run(process.execPath, [
    join(root, 'node_modules/vite/bin/vite.js'),
    'build',
    join(root, 'packages/frontend'),
    '--outDir',
    publicDir,
    '--emptyOutDir',
    '--logLevel',
    'warn',
  ]);
  await run(process.execPath, [join(root, 'packages/frontend/scripts/compress.mjs'), publicDir]);
}

/**
 * The whole stack a browser talks to, each service its own process on loopback: the adapter,
 * one jobs worker and analyze (from Stack), the frontend's static server on a fresh build of the
 * app, and the gateway in front of them routing like the ALB. `url` is the gateway.
 */
export class WebStack {
  readonly processes: ChildProcess[] = [];
  url = '';

  private constructor(readonly stack: Stack) {}

  static async start(options: { settings?: Record<string, unknown> } = {}): Promise<WebStack> {
    const stack = await Stack.start();
    const web = new WebStack(stack);
    try {
      await web.boot(options.settings ?? {});
    } catch (err) {
      await web.close();
      throw err;
    }
    return web;
  }

  private spawn(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => this.stack.logs.push(chunk.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.processes.push(child);
    return child;
  }

  private async boot(settings: Record<string, unknown>) {
    const dir = this.stack.dir;
    // The app, built as `npm run build` builds it, into this run's folder.
    const publicDir = join(dir, 'frontend-public');
    const configDir = join(dir, 'frontend-config');
    await buildFrontend(publicDir);
    await mkdir(configDir, { recursive: true });
    await writeFile(
      join(configDir, 'settings.js'),
      `window.frameproofSettings = ${JSON.stringify({ apiUrl: '', oidc: null, ...settings })};\n`,
    );

    // Analyze started here rather than by Stack, to wait as long as the other services on a busy
    // machine; the worker asks it for Auto QC's audio, as the web app does for the panel.
    const analyzePort = await freePort();
    this.spawn(entryArgs('packages/analyze/src/main.ts'), {
      PORT: String(analyzePort),
      HOST: '127.0.0.1',
      AP_ADAPTER_HOST: `http://127.0.0.1:${this.stack.port}`,
      AP_ANALYZE_CACHE_DIR: join(dir, 'analyze-cache'),
    });
    const analyze = { url: `http://127.0.0.1:${analyzePort}` };
    this.stack.startWorker({ ANALYZE_URL: analyze.url });
    await this.healthy(`${analyze.url}/api/health`, 'analyze');
    const frontendPort = await freePort();
    this.spawn(entryArgs('packages/frontend/src/main.ts'), {
      PORT: String(frontendPort),
      HOST: '127.0.0.1',
      FRONTEND_ROOT: publicDir,
      FRONTEND_CONFIG_DIR: configDir,
    });
    await this.healthy(`http://127.0.0.1:${frontendPort}/`, 'frontend');

    const gatewayPort = await freePort();
    this.spawn(['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', GATEWAY], {
      PORT: String(gatewayPort),
      UPSTREAMS: JSON.stringify({
        adapter: `http://127.0.0.1:${this.stack.port}`,
        analyze: analyze.url,
        frontend: `http://127.0.0.1:${frontendPort}`,
      }),
    });
    this.url = `http://127.0.0.1:${gatewayPort}`;
    await this.healthy(`${this.url}/api/health`, 'gateway');
  }

  private async healthy(url: string, name: string) {
    for (let i = 0; i < 480; i++) {
      try {
        if ((await fetch(url)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`${name} did not start at ${url}:\n${this.stack.logs.slice(-20).join('')}`);
  }

  async close(): Promise<void> {
    for (const p of this.processes) p.kill('SIGTERM');
    await Promise.race([Promise.all(this.processes.map(exited)), sleep(5000)]);
    for (const p of this.processes) p.kill('SIGKILL');
    await this.stack.close();
  }
}

/** The gateway as its own process (start.ts starts everything; here the stack has its own services). */
const GATEWAY = `
const { buildGateway } = await import('@frameproof/gateway');
const gateway = await buildGateway(JSON.parse(process.env.UPSTREAMS), { logger: false });
await gateway.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => gateway.close().then(() => process.exit(0)));
`;
