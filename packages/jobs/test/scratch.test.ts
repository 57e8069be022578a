import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  claimScratch,
  leftoverScratch,
  processAlive,
  scratchFolderName,
  scratchOwnerOf,
} from '../src/scratch.js';

describe('worker scratch folders', () => {
  it('name their owner: host and pid, the host made safe for a file name', () => {
    assert.equal(scratchFolderName({ host: 'ip-10-0-1-7', pid: 42 }), 'frameproof-worker-ip_10_0_1_7-42');
    assert.equal(scratchFolderName({ host: 'a/b', pid: 7 }), 'frameproof-worker-a_b-7');
    assert.deepEqual(scratchOwnerOf('frameproof-worker-ip_10_0_1_7-42'), { host: 'ip_10_0_1_7', pid: 42 });
    for (const name of [
      'frameproof-job-abc',
      'frameproof-worker-host',
      'frameproof-worker--5',
      'frameproof-worker-h-0',
      'x',
    ])
      assert.equal(scratchOwnerOf(name), undefined, name);
  });

  it('are leftovers only when their host is this one and their process is gone', () => {
    const self = { host: 'vm', pid: 10 };
    const alive = (pid: number) => pid === 10 || pid === 20;
    assert.deepEqual(
      leftoverScratch(
        [
          'frameproof-worker-vm-10', // this worker's own
          'frameproof-worker-vm-20', // another worker, alive
          'frameproof-worker-vm-30', // a worker gone
          'frameproof-worker-other-30', // another host's: its pids mean nothing here
          'frameproof-job-abc', // not a worker's folder: whose is unknown
          'unrelated',
        ],
        self,
        alive,
      ),
      ['frameproof-worker-vm-30'],
    );
  });

  it('are claimed at start: the dead workers’ of this host removed, everything else kept', async () => {
    const root = await mkdtemp(join(tmpdir(), 'frameproof-scratch-'));
    try {
      for (const name of ['frameproof-worker-vm-20', 'frameproof-worker-vm-30', 'frameproof-worker-other-30'])
        await mkdir(join(root, name, 'frameproof-job-x'), { recursive: true });
      await writeFile(join(root, 'frameproof-worker-vm-30', 'frameproof-job-x', 'part.mp4'), 'x');
      const { dir, removed } = await claimScratch(root, {
        owner: { host: 'vm', pid: 10 },
        alive: (pid) => pid === 20,
      });
      assert.equal(dir, join(root, 'frameproof-worker-vm-10'));
      assert.deepEqual(removed, ['frameproof-worker-vm-30']);
      assert.deepEqual((await readdir(root)).sort(), [
        'frameproof-worker-other-30',
        'frameproof-worker-vm-10',
        'frameproof-worker-vm-20',
      ]);
      assert.deepEqual(await readdir(join(root, 'frameproof-worker-vm-20')), ['frameproof-job-x']);
      // Claimed again by the same process: its folder is kept as it is.
      await writeFile(join(dir, 'kept'), 'x');
      assert.deepEqual(await claimScratch(root, { owner: { host: 'vm', pid: 10 }, alive: () => false }), {
        dir,
        removed: ['frameproof-worker-vm-20'],
      });
      assert.deepEqual(await readdir(dir), ['kept']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('tells a live process from one gone', () => {
    assert.equal(processAlive(process.pid), true);
    assert.equal(processAlive(2 ** 22 + 1), false); // above Linux's highest pid
  });
});
