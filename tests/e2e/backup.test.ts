import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir, stat, truncate, copyFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AssetWithShapes, Marker } from '@frameproof/core';
import { commands } from './readme-blocks.js';
import { ROOT } from './npm-start.js';
import { makeClip, run, Stack } from './stack.js';

/** The README's "Back up and restore" commands, as written. */
async function readmeCommands(): Promise<string[]> {
  const readme = await readFile(`${ROOT}/README.md`, 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Back up and restore'));
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'README.md has a "Back up and restore" section with a ```sh block');
  return commands(block);
}

/** Every file under `dir` (unfinished `.part` writes aside) with its SHA-256. */
async function checksums(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.part')) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(
      relative(dir, path),
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    );
  }
  return out;
}

/** What must survive a round trip, without what is minted per request (signed URLs). */
function durable(asset: AssetWithShapes) {
  return JSON.parse(
    JSON.stringify(asset, (key, value: unknown) => (key === 'url' ? undefined : value)),
  ) as unknown;
}

async function comments(stack: Stack, assetId: string, markerId: string): Promise<unknown> {
  const res = await fetch(
    `http://127.0.0.1:${stack.port}/api/assets/${assetId}/markers/${markerId}/comments`,
    {
      headers: { authorization: `Bearer ${stack.client.accessToken}` },
    },
  );
  assert.equal(res.status, 200);
  return res.json();
}

describe('backup and restore of the embedded mode (PGlite and the media folder)', () => {
  let stack: Stack;
  let restored: Stack | undefined;
  before(async () => {
    stack = await Stack.start();
  });
  after(async () => {
    await restored?.close();
    await stack.close();
  });

  it('restores, from the README commands, what was there: rows, files, and writes made during the backup whole or not at all', async () => {
    const c = stack.client;
    stack.startWorker();
    const clip = await makeClip(join(stack.dir, 'clip.mp4'), { seconds: 2, audioTracks: 2 });
    const ids = [await stack.upload(clip, 'Kept A'), await stack.upload(clip, 'Kept B')];
    const [idA, idB] = ids as [string, string];
    await stack.settled(ids);
    await c.setQc(idA, { status: 'approved' });
    await c.setQc(idB, { status: 'rejected', reason: 'Audio drops at 00:00:01:10' });
    for (const id of ids)
      for (let i = 0; i < 3; i++) {
        const m = await c.createMarker(id, {
          start: { frame: i * 10 },
          title: `Note ${i}`,
          severity: 'minor',
        });
        await c.addComment(id, m.id, `Comment on ${i}`);
      }

    // During the backup: markers keep coming on A, and another upload is ingested.
    let writing = true;
    const acked: string[] = [];
    const attempted: string[] = [];
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const title = `During ${i}`;
        attempted.push(title);
        await c.createMarker(idA, { start: { frame: i % 40 }, title });
        acked.push(title);
      }
    })();
    const busy = stack.upload(clip, 'Ingesting during the backup');
    while (acked.length < 3) await new Promise((r) => setTimeout(r, 20));
    const ackedBefore = [...acked];

    const lines = await readmeCommands();
    const start = lines.find((l) => l.includes('npm start'));
    assert.equal(start, 'FRAMEPROOF_DATA_DIR=./data-restored npm start');
    const env: NodeJS.ProcessEnv = { ...process.env, TOKEN: c.accessToken ?? '' };
    delete env.INIT_CWD; // as in a terminal: npm sets it to where it is run from
    const script = [
      'set -euo pipefail',
      // From a folder of its own: npm finds the repository by --prefix, and the paths stay relative.
      `npm() { command npm --prefix ${JSON.stringify(ROOT)} "$@"; }`,
      ...lines
        .filter((l) => l !== start)
        .map((l) => l.replace('API=http://127.0.0.1:8080', `API=http://127.0.0.1:${stack.port}`)),
    ];
    const work = join(stack.dir, 'work');
    await run('mkdir', ['-p', work]);
    const { stdout } = await run('bash', ['-c', script.join('\n')], { cwd: work, env, timeout: 900_000 })
      .catch((err: { message: string; stdout?: string; stderr?: string }) => {
        throw new Error(
          `${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}\n${stack.logs.slice(-20).join('')}`,
        );
      })
      .finally(() => {
        writing = false;
      });
    await writer;
    await busy;
    assert.match(stdout, /frameproof restore: \d+ assets and \d+ files restored into/);

    const archive = join(work, 'frameproof-backup.tar');
    const folder = join(work, 'data-restored');
    assert.ok((await stat(join(folder, 'db', 'PG_VERSION'))).isFile());

    // The restored files are the original's, byte for byte.
    const original = await checksums(stack.media);
    const copy = await checksums(join(folder, 'media'));
    for (const id of ids)
      for (const [path, sum] of original)
        if (path.startsWith(`assets/${id}/`)) assert.equal(copy.get(path), sum, `${path} restored whole`);
    for (const [path, sum] of copy) assert.equal(original.get(path), sum, `${path} is the original's`);

    const before = {
      a: durable(await c.getAsset(idA)),
      b: durable(await c.getAsset(idB)),
      markersB: (await c.listMarkers(idB)).items,
      markersA: (await c.listMarkers(idA)).items,
    };
    const commentsB = await Promise.all(before.markersB.map((m: Marker) => comments(stack, idB, m.id)));

    // A new stack on the restored folder: same rows, same files, through the API.
    restored = await Stack.start({ dir: folder });
    const second = restored;
    const r = second.client;
    assert.deepEqual(durable(await r.getAsset(idA)), before.a);
    assert.deepEqual(durable(await r.getAsset(idB)), before.b);
    assert.equal((await r.getAsset(idB)).qc.status, 'rejected');
    assert.deepEqual((await r.listMarkers(idB)).items, before.markersB);
    assert.deepEqual(
      await Promise.all(before.markersB.map((m: Marker) => comments(second, idB, m.id))),
      commentsB,
    );
    // The writes made while the backup ran: each there whole or absent, and none from after it.
    const during = (await r.listMarkers(idA)).items.filter((m) => m.title.startsWith('During '));
    const titles = during.map((m) => m.title);
    for (const t of ackedBefore)
      assert.ok(titles.includes(t), `${t}, acknowledged before the backup, is restored`);
    for (const m of during) {
      assert.ok(attempted.includes(m.title));
      assert.deepEqual(
        m,
        before.markersA.find((o) => o.id === m.id),
        'a restored marker is the one written',
      );
    }
    // Every file a restored shape names is in the restored folder and serves its bytes.
    for (const id of ids)
      for (const shape of (await r.getAsset(id)).shapes)
        for (const file of shape.files) {
          const res = await fetch(file.url);
          assert.equal(res.status, 200, `${shape.type} of ${id}`);
          const sum = createHash('sha256')
            .update(Buffer.from(await res.arrayBuffer()))
            .digest('hex');
          assert.ok([...original.values()].includes(sum), `${shape.type} of ${id} serves the original bytes`);
        }

    // Refused: a folder that is not empty (the one just restored), and an archive cut short.
    const again = await run('npm', ['run', 'restore', '--', archive, folder], { cwd: ROOT, env }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    assert.ok('code' in again && again.code === 1, 'restoring into a folder with data fails');
    assert.match(again.stderr, /is not empty: restore only into a new or empty folder/);
    const cut = join(work, 'cut.tar');
    await copyFile(archive, cut);
    await truncate(cut, Math.floor((await stat(cut)).size / 2));
    const fresh = join(work, 'fresh');
    const refused = await run('npm', ['run', 'restore', '--', cut, fresh], { cwd: ROOT, env }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    assert.ok('code' in refused && refused.code === 1, 'a truncated archive is refused');
    assert.match(refused.stderr, /frameproof restore: .*(incomplete|damaged|Unexpected end|unexpected end)/i);
    await assert.rejects(stat(fresh), 'nothing is left of a refused restore');
  });
});
