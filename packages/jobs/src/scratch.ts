import { mkdir, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Where a worker's jobs make their scratch folders: a folder of its own under the scratch root,
 * named after its host and process id. Several workers may share the root (one machine, or
 * one volume), so a worker starting cannot sweep it blindly; it removes only the folders of
 * workers of its own host whose process is gone (killed, crashed, out of memory), which no one
 * else will ever remove. A folder of another host is left alone: its process ids mean nothing
 * here.
 */
const PREFIX = 'frameproof-worker-';

export interface ScratchOwner {
  host: string;
  pid: number;
}

/** The folder name of a worker's scratch: the host's name made safe for a file name, then the pid. */
export function scratchFolderName(owner: ScratchOwner): string {
  return `${PREFIX}${safeHost(owner.host)}-${owner.pid}`;
}

/** The owner a scratch folder's name says, or undefined for a name that is not one. */
export function scratchOwnerOf(name: string): ScratchOwner | undefined {
  const match = /^frameproof-worker-(.+)-([1-9]\d*)$/.exec(name);
  if (!match?.[1] || !match[2]) return undefined;
  const pid = Number(match[2]);
  return Number.isSafeInteger(pid) ? { host: match[1], pid } : undefined;
}

/**
 * Which of the names under a scratch root are leftovers `self` must remove: folders of its
 * host whose process is not alive. One with its own pid (left by a worker that died before this
 * process was given its pid) becomes its own, removed whole when it stops.
 */
export function leftoverScratch(
  names: readonly string[],
  self: ScratchOwner,
  alive: (pid: number) => boolean,
): string[] {
  const host = safeHost(self.host);
  return names.filter((name) => {
    const owner = scratchOwnerOf(name);
    return owner?.host === host && owner.pid !== self.pid && !alive(owner.pid);
  });
}

function safeHost(host: string): string {
  return host.replace(/[^A-Za-z0-9.]/g, '_') || 'host';
}

/** Whether a process exists on this machine (one of another user's counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes this worker's scratch folder under `root`, first removing the leftovers of workers of
 * this host that are gone. Returns the folder and the leftovers removed.
 */
export async function claimScratch(
  root: string,
  {
    owner = { host: hostname(), pid: process.pid },
    alive = processAlive,
  }: { owner?: ScratchOwner; alive?: (pid: number) => boolean } = {},
): Promise<{ dir: string; removed: string[] }> {
  await mkdir(root, { recursive: true });
  const removed = leftoverScratch(await readdir(root), owner, alive);
  for (const name of removed) await rm(join(root, name), { recursive: true, force: true });
  const dir = join(root, scratchFolderName(owner));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return { dir, removed };
}
