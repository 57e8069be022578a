import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { readMarkersCsv } from '@frameproof/core';
import WebSocket from 'ws';
import { appFor, auth, DATABASES, runJob, technical, uploadAsset } from './helpers.js';

const run = promisify(execFile);

/** The README's command (with its continuation lines) that mentions `needle`. */
async function readmeCommand(needle: string): Promise<string> {
  const lines = (await readFile(new URL('../../../README.md', import.meta.url), 'utf8')).split('\n');
  const start = lines.findIndex((l) => /^(?:[A-Z]+=\$\()?curl /.test(l) && l.includes(needle));
  assert.ok(start >= 0, `the README has no curl line with ${needle}`);
  const command = [lines[start] as string];
  while (command.at(-1)?.endsWith('\\')) command.push(lines[start + command.length] as string);
  return command.join('\n');
}

const { name, open } = DATABASES[0] as (typeof DATABASES)[number];

describe(`the README's marker export and import lines (${name})`, () => {
  it('export a CSV with curl, import it back with curl', async (t) => {
    const app = await appFor(t, open);
    const token = await app.token();
    const id = await uploadAsset(app, token, 'Episode 12');
    await runJob(app, 'probe', { technical: technical({ frames: 108000, startTimecode: '00:00:00;00' }) });
    for (const payload of [
      { start: { frame: 1800 }, end: { frame: 1829 }, title: 'Dropout', severity: 'major' },
      { start: { timecode: '00:10:00;00' }, title: 'Check the lower third' },
    ]) {
      const res = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers`,
        headers: auth(token),
        payload,
      });
      assert.equal(res.statusCode, 201, res.body);
    }
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    const dir = await mkdtemp(join(tmpdir(), 'frameproof-readme-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const env = {
      PATH: process.env.PATH,
      API: `http://127.0.0.1:${(app.app.server.address() as AddressInfo).port}`,
      TOKEN: token,
      ID: id,
    };
    const shell = async (command: string) => (await run('bash', ['-c', command], { cwd: dir, env })).stdout;

    await shell(await readmeCommand('/markers/export'));
    const csv = await readFile(join(dir, 'markers.csv'), 'utf8');
    assert.deepEqual(
      readMarkersCsv(csv).map((m) => [m.start, m.title]),
      [
        [{ frame: 1800 }, 'Dropout'],
        [{ frame: 17982 }, 'Check the lower third'],
      ],
    );
    assert.equal((await shell(await readmeCommand('/markers/import'))).trim(), '2');
    const list = await app.app.inject({ url: `/api/assets/${id}/markers`, headers: auth(token) });
    assert.equal((list.json() as { items: unknown[] }).items.length, 4);
  });
});

describe(`the README's audit log and event-bus ticket lines (${name})`, () => {
  it('read who changed the asset, and open the event bus with the ticket', async (t) => {
    const app = await appFor(t, open);
    const token = await app.token();
    const id = await uploadAsset(app, token, 'Episode 12');
    await app.app.inject({
      method: 'POST',
      url: `/api/assets/${id}/qc`,
      headers: auth(token),
      payload: { status: 'approved' },
    });
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.app.server.address() as AddressInfo).port;
    const env = { PATH: process.env.PATH, API: `http://127.0.0.1:${port}`, TOKEN: token, ID: id };
    const shell = async (command: string) => (await run('bash', ['-c', command], { env })).stdout;

    const entries = (await shell(await readmeCommand('/api/audit')))
      .trim()
      .split(/\n(?=\{)/)
      .map((e) => JSON.parse(e) as { actor: string; action: string });
    assert.deepEqual(
      entries.map((e) => [e.actor, e.action]),
      [['admin', 'asset.qc']],
    );
    const ticket = (await shell(`${await readmeCommand('/api/eventbus/ticket')}\necho "$TICKET"`)).trim();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/eventbus?ticket=${ticket}`);
    t.after(() => ws.terminate());
    const hello = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    const { seq, ...said } = JSON.parse(hello) as { seq: number };
    assert.deepEqual(said, { type: 'hello', user: 'admin' });
    assert.ok(Number.isSafeInteger(seq) && seq > 0, 'the last event before the socket opened');
  });
});
