import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Config } from '../src/config.js';
import { SessionClient } from '../src/session.js';

/**
 * Refresh tokens as the adapter rotates them: each trades in once for the next; a token traded
 * in before is a replay and ends the whole session (family). Answers to a refresh are slow, so
 * two commands refreshing at once overlap.
 */
function adapter() {
  let generation = 0;
  const used = new Set<string>();
  const state = { ended: false, refreshes: 0 };
  const server = createServer((req, res) => {
    const send = (code: number, body: unknown) =>
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const refused = () => send(401, { statusCode: 401, error: 'Unauthorized', message: 'sign in' });
    if (req.url === '/api/auth/refresh') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const { refreshToken } = JSON.parse(body) as { refreshToken: string };
        state.refreshes++;
        if (used.has(refreshToken)) state.ended = true; // a replay
        if (state.ended || refreshToken !== `r${generation}`) return refused();
        used.add(refreshToken);
        generation++;
        setTimeout(() => send(200, { accessToken: `a${generation}`, refreshToken: `r${generation}` }), 150);
      });
      return;
    }
    if (state.ended || req.headers.authorization !== `Bearer a${generation}`) return refused();
    send(200, { id: 'u1', username: 'admin', role: 'admin' });
  });
  return { server, state };
}

describe('the saved session', () => {
  let fake: ReturnType<typeof adapter>;
  let url: string;
  let dir: string;
  before(async () => {
    fake = adapter();
    await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    dir = await mkdtemp(join(tmpdir(), 'frameproof-cli-'));
  });
  after(async () => {
    await new Promise((r) => (fake.server as Server).close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('is refreshed once when two commands find it refused at once, and lives on', async () => {
    const config = new Config(dir);
    await config.saveSession({ url, username: 'admin', accessToken: 'stale', refreshToken: 'r0' });
    // Two commands, each with its own copy of the saved session, both refused at first.
    const [one, two] = await Promise.all([SessionClient.open(config), SessionClient.open(config)]);
    const answers = await Promise.all([one.me(), two.me()]);
    assert.deepEqual(
      answers.map((u) => u.username),
      ['admin', 'admin'],
    );
    assert.equal(fake.state.refreshes, 1, "the second took the first one's new tokens");
    assert.equal(fake.state.ended, false, 'no replay was seen');
    assert.deepEqual(await config.session(), {
      url,
      username: 'admin',
      accessToken: 'a1',
      refreshToken: 'r1',
    });
    assert.ok(!existsSync(`${config.sessionFile}.lock`), 'the lock is gone');
    // The session still refreshes afterwards.
    await config.saveSession({ url, username: 'admin', accessToken: 'stale', refreshToken: 'r1' });
    assert.equal((await (await SessionClient.open(config)).me()).username, 'admin');
    assert.equal(fake.state.refreshes, 2);
  });

  it('takes over a lock left by a command that died holding it', async () => {
    const config = new Config(dir);
    await writeFile(`${config.sessionFile}.lock`, '99999\n');
    const old = new Date(Date.now() - 120_000);
    await utimes(`${config.sessionFile}.lock`, old, old);
    assert.equal(await config.withSessionLock(async () => 'ran'), 'ran');
    assert.ok(!existsSync(`${config.sessionFile}.lock`));
  });
});
