// A PostgreSQL server of a test's own, for what cannot be done to the shared one: stopping it,
// or turning on TLS with a certificate the test made.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

/** Debian's PostgreSQL server programs, newest version first; undefined where none is installed. */
export function serverBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], 'bin');
}

/**
 * A test's `skip` for want of the server programs: skipped with the reason on a laptop without
 * them; never in CI (which sets TEST_DATABASE_URL and has them), where the test then fails.
 */
export function skipWithoutServer(): string | false {
  return serverBin() || process.env.TEST_DATABASE_URL
    ? false
    : 'no PostgreSQL server programs under /usr/lib/postgresql (apt-get install postgresql)';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A PostgreSQL cluster of the test's own (initdb on a port of its own in a temp folder), so that
 * stopping it disturbs nothing else. initdb refuses root: as root it runs as `postgres`.
 * `prepare` puts files in the cluster's folder (then given to the server's user) before it
 * starts, and returns more server options.
 */
export async function ownCluster(bin: string, prepare?: (dir: string) => Promise<string>) {
  const dir = await mkdtemp(join(tmpdir(), 'frameproof-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? Number((await run('id', ['-u', 'postgres'])).stdout.trim()) : undefined;
  const gid = asRoot ? Number((await run('id', ['-g', 'postgres'])).stdout.trim()) : undefined;
  if (uid !== undefined && gid !== undefined) await chown(dir, uid, gid);
  const as = (program: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args])
      : run(join(bin, program), args);
  await as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const more = (await prepare?.(dir)) ?? '';
  if (uid !== undefined && gid !== undefined) await run('chown', ['-R', `${uid}:${gid}`, dir]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40 ${more}`;
  const start = () =>
    as('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '120', 'start']);
  // Immediate: like a crash, no clean shutdown; the server recovers from its WAL on start.
  const stop = () => as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '120', 'stop']);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    async remove() {
      await stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
