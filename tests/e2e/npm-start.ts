import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { exited } from './stack.js';

export const ROOT = resolve(import.meta.dirname, '../..');

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((r) => {
    server.once('error', () => r(false));
    server.listen(port, '127.0.0.1', () => server.close(() => r(true)));
  });
}

/** A PORT for the gateway such that PORT+1 (adapter) and PORT+2 (analyze) are free as well. */
export async function freePortTriple(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if ((await isFree(port)) && (await isFree(port + 1)) && (await isFree(port + 2))) return port;
  }
  throw new Error('no three free ports in a row');
}

/**
 * `npm start` from the repository, as a reader runs it in a terminal (its own process group,
 * so that `interrupt()` is the Ctrl-C the terminal sends to all of it), with the gateway on a
 * free PORT, a temporary FRAMEPROOF_DATA_DIR and FRAMEPROOF_ADMIN_PASSWORD set.
 */
export class NpmStart {
  private readonly chunks: string[] = [];

  private constructor(
    readonly process: ChildProcess,
    readonly url: string,
    readonly dir: string,
    readonly password: string,
  ) {
    const keep = (chunk: Buffer) => this.chunks.push(chunk.toString());
    process.stdout?.on('data', keep);
    process.stderr?.on('data', keep);
  }

  output(): string {
    return this.chunks.join('');
  }

  /** The output so far once it matches `pattern` (within `seconds`). */
  async waitFor(pattern: RegExp, seconds = 60): Promise<string> {
    for (let i = 0; i < seconds * 4; i++) {
      if (pattern.test(this.output())) return this.output();
      await sleep(250);
    }
    throw new Error(`no ${String(pattern)} in the output of npm start:\n${this.output().slice(-3000)}`);
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  static async launch(
    options: { dir?: string; env?: NodeJS.ProcessEnv; password?: string } = {},
  ): Promise<NpmStart> {
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'frameproof-start-')));
    const port = await freePortTriple();
    const password = options.password ?? 'readme-admin-password';
    const child = spawn('npm', ['start'], {
      cwd: ROOT,
      detached: true,
      env: {
        ...process.env,
        PORT: String(port),
        BUS_PORT: String(await freePortTriple()),
        FRAMEPROOF_DATA_DIR: join(dir, 'data'),
        FRAMEPROOF_ADMIN_PASSWORD: password,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const start = new NpmStart(child, `http://127.0.0.1:${port}`, dir, password);
    // Building may take minutes on a cold checkout.
    for (let i = 0; i < 1200; i++) {
      if (child.exitCode !== null) throw new Error(`npm start exited:\n${start.output()}`);
      try {
        if ((await fetch(`${start.url}/api/health`)).ok) return start;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    start.signal('SIGKILL');
    throw new Error(`npm start did not answer on ${start.url}:\n${start.output()}`);
  }

  private signal(signal: NodeJS.Signals | 0): boolean {
    try {
      if (this.process.pid) process.kill(-this.process.pid, signal);
      return true;
    } catch {
      return false; // the group is gone
    }
  }

  /** Ctrl-C in the terminal: SIGINT to the whole process group. */
  interrupt(): void {
    this.signal('SIGINT');
  }

  /** Resolves once every process of the group (npm, the launcher, the services) has exited. */
  async stopped(seconds = 90): Promise<boolean> {
    for (let i = 0; i < seconds * 4; i++) {
      if (!this.signal(0)) return true;
      await sleep(250);
    }
    return false;
  }

  /** Stops it (Ctrl-C, then SIGKILL after 90 s) and, unless `keep`, removes its folder. */
  async close(keep = false): Promise<void> {
    this.interrupt();
    if (!(await this.stopped())) this.signal('SIGKILL');
    await exited(this.process);
    if (!keep) await rm(this.dir, { recursive: true, force: true });
  }
}
