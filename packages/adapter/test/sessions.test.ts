import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStorage } from '@frameproof/storage';
import type { TokenResponse, User } from '@frameproof/core';
import { until } from '@frameproof/tests/until';
import WebSocket from 'ws';
import { buildApp } from '../src/app.js';
import { createContext } from '../src/context.js';
import { openPostgres } from '../src/db/database.js';
import { readConfig } from '../src/config.js';
import { ADMIN_PASSWORD, auth, createTestDatabase, DATABASES, startApp, type TestApp } from './helpers.js';

// An attacker holds a copy of someone's tokens (a stolen laptop, a leaked log, a shared
// machine). Each way of cutting them off must work at once, over plain HTTP.

const PASSWORD = 'password-1234';

for (const { name, open } of DATABASES) {
  describe(`cutting off sessions on ${name}`, () => {
    let app: TestApp;
    let admin: string;
    let n = 0;
    before(async () => {
      app = await startApp(open);
      admin = await app.token();
    });
    after(() => app.close());

    const login = async (username: string, password = PASSWORD) => {
      const res = await app.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password },
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as TokenResponse;
    };
    const newUser = async (role = 'editor') => {
      const res = await app.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: auth(admin),
        payload: { username: `person${n++}`, password: PASSWORD, role },
      });
      assert.equal(res.statusCode, 201, res.body);
      return res.json() as User;
    };
    const status = async (token: string) =>
      (await app.app.inject({ url: '/api/assets', headers: auth(token) })).statusCode;
    const refresh = async (refreshToken: string) =>
      app.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } });
    const patchUser = async (id: string, payload: Record<string, unknown>) => {
      const res = await app.app.inject({
        method: 'PATCH',
        url: `/api/users/${id}`,
        headers: auth(admin),
        payload,
      });
      assert.equal(res.statusCode, 200, res.body);
    };

    it('sign-out cuts off the access token of that session at once, not the others', async () => {
      const user = await newUser();
      const laptop = await login(user.username);
      const phone = await login(user.username);
      assert.equal(await status(laptop.accessToken), 200);
      const out = await app.app.inject({
        method: 'POST',
        url: '/api/auth/logout',
        payload: { refreshToken: laptop.refreshToken },
      });
      assert.equal(out.statusCode, 204);
      const refused = await app.app.inject({ url: '/api/assets', headers: auth(laptop.accessToken) });
      assert.equal(refused.statusCode, 401);
      assert.match(refused.json().message, /session has ended/);
      assert.equal((await refresh(laptop.refreshToken)).statusCode, 401);
      assert.equal(await status(phone.accessToken), 200, 'another sign-in of the same person stands');
    });

    it('the browser sign-out route cuts off its access token too', async () => {
      const user = await newUser();
      const res = await app.app.inject({
        method: 'POST',
        url: '/api/auth/session',
        payload: { username: user.username, password: PASSWORD },
      });
      const cookie = String(res.headers['set-cookie']).split(';')[0] as string;
      const token = (res.json() as { accessToken: string }).accessToken;
      assert.equal(await status(token), 200);
      await app.app.inject({
        method: 'POST',
        url: '/api/auth/session/logout',
        payload: {},
        headers: { cookie },
      });
      assert.equal(await status(token), 401);
    });

    for (const [change, payload] of [
      ['disabling the user', { disabled: true }],
      ['a new role', { role: 'viewer' }],
      ['a new password', { password: 'another-password-5678' }],
    ] as const) {
      it(`${change} ends every session of the user at once, access and refresh tokens alike`, async () => {
        const user = await newUser();
        const one = await login(user.username);
        const two = await login(user.username);
        assert.equal(await status(one.accessToken), 200);
        await patchUser(user.id, payload);
        assert.equal(await status(one.accessToken), 401);
        assert.equal(await status(two.accessToken), 401);
        assert.equal((await refresh(one.refreshToken)).statusCode, 401);
        assert.equal((await refresh(two.refreshToken)).statusCode, 401);
      });
    }

    it('a new display name alone signs no one out', async () => {
      const user = await newUser();
      const tokens = await login(user.username);
      await patchUser(user.id, { displayName: 'Someone' });
      assert.equal(await status(tokens.accessToken), 200);
      assert.equal((await refresh(tokens.refreshToken)).statusCode, 200);
    });

    it('a replayed refresh token ends its whole session, the successor included', async () => {
      const user = await newUser();
      const other = await login(user.username);
      const stolen = await login(user.username);
      const rotated = await refresh(stolen.refreshToken);
      assert.equal(rotated.statusCode, 200);
      const successor = rotated.json() as TokenResponse;
      assert.equal(await status(successor.accessToken), 200);

      const replay = await refresh(stolen.refreshToken);
      assert.equal(replay.statusCode, 401);
      assert.match(replay.json().message, /used before/);
      assert.equal((await refresh(successor.refreshToken)).statusCode, 401, 'the successor is revoked');
      assert.equal(await status(successor.accessToken), 401, "the successor's access token too");
      assert.equal(await status(stolen.accessToken), 401);
      assert.equal(await status(other.accessToken), 200, "the person's other sign-in stands");
      assert.equal((await refresh(other.refreshToken)).statusCode, 200);
    });

    it('purges expired refresh tokens and long-ended sessions, and keeps what still works', async () => {
      const user = await newUser();
      const live = await login(user.username);
      const abandoned = await login(user.username);
      const old = await login(user.username);
      const sid = (token: string) =>
        JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).sid as string;
      const db = app.ctx.db;
      // Abandoned: its refresh token expired, its last access token long ago. Old: ended 31 days ago.
      await db.query(
        `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE session_id = $1`,
        [sid(abandoned.accessToken)],
      );
      await db.query(`UPDATE sessions SET created_at = now() - interval '1 day' WHERE id = $1`, [
        sid(abandoned.accessToken),
      ]);
      await db.query(`UPDATE sessions SET ended_at = now() - interval '31 days' WHERE id = $1`, [
        sid(old.accessToken),
      ]);

      await app.ctx.auth.purgeSessions();
      const rows = await db.query<{ id: string; ended: boolean; tokens: number }>(
        `SELECT s.id, s.ended_at IS NOT NULL AS ended,
                (SELECT count(*)::int FROM refresh_tokens t WHERE t.session_id = s.id) AS tokens
         FROM sessions s WHERE s.user_id = $1`,
        [user.id],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      assert.equal(byId.has(sid(old.accessToken)), false, 'ended 31 days ago: deleted');
      assert.deepEqual(byId.get(sid(abandoned.accessToken)), {
        id: sid(abandoned.accessToken),
        ended: true,
        tokens: 0,
      });
      assert.deepEqual(byId.get(sid(live.accessToken)), {
        id: sid(live.accessToken),
        ended: false,
        tokens: 1,
      });
      assert.equal(await status(live.accessToken), 200);
      assert.equal((await refresh(live.refreshToken)).statusCode, 200);
    });

    it("resetting the admin password from FRAMEPROOF_ADMIN_PASSWORD ends the admin's sessions", async () => {
      const before = await login('admin', ADMIN_PASSWORD);
      await app.ctx.auth.ensureAccounts({ password: 'reset-admin-password', generate: () => 'unused' });
      assert.equal(await status(before.accessToken), 401);
      assert.equal((await refresh(before.refreshToken)).statusCode, 401);
      await app.ctx.auth.ensureAccounts({ password: ADMIN_PASSWORD, generate: () => 'unused' });
      admin = (await login('admin', ADMIN_PASSWORD)).accessToken;
    });

    it('starting again with the same runner password signs no worker out', async () => {
      const runner = await app.token('runner');
      await app.ctx.auth.ensureAccounts(
        { password: ADMIN_PASSWORD, generate: () => 'unused' },
        { username: 'runner', password: 'runner-password-for-tests' },
      );
      const lease = await app.app.inject({
        method: 'POST',
        url: '/api/runner/lease',
        headers: auth(runner),
        payload: { workerId: 'w', types: ['probe'] },
      });
      assert.equal(lease.statusCode, 200, lease.body);
    });

    it('closes open event-bus sockets of the user with 4401 (sign in again) when cut off', async () => {
      await app.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.app.server.address() as AddressInfo).port;
      const user = await newUser('viewer');
      const ticketFor = async (token: string) =>
        (
          (
            await app.app.inject({ method: 'POST', url: '/api/eventbus/ticket', headers: auth(token) })
          ).json() as { ticket: string }
        ).ticket;
      // As a browser opens it: a one-time ticket, which binds the socket to the token's session.
      const open = async (token: string) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/api/eventbus?ticket=${await ticketFor(token)}`);
        const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
        await new Promise<void>((resolve, reject) => {
          ws.once('message', () => resolve());
          ws.once('error', reject);
        });
        return { ws, closed };
      };
      const signedOut = await login(user.username);
      const disabledLater = await login(user.username);
      const first = await open(signedOut.accessToken);
      const second = await open(disabledLater.accessToken);
      const unused = await ticketFor(signedOut.accessToken);
      // The ticket stands for the token: its user, role, session and expiry.
      const claims = JSON.parse(
        Buffer.from(disabledLater.accessToken.split('.')[1] ?? '', 'base64url').toString(),
      );
      assert.deepEqual(await app.ctx.auth.redeemTicket(await ticketFor(disabledLater.accessToken)), {
        userId: user.id,
        username: user.username,
        role: 'viewer',
        sessionId: claims.sid,
        expiresAt: claims.exp * 1000,
      });
      await app.app.inject({
        method: 'POST',
        url: '/api/auth/logout',
        payload: { refreshToken: signedOut.refreshToken },
      });
      assert.equal(await first.closed, 4401);
      assert.equal(second.ws.readyState, WebSocket.OPEN, 'the other session keeps its socket');
      // A ticket issued before the sign-out opens nothing after it.
      await assert.rejects(app.ctx.auth.redeemTicket(unused), /the session has ended/);
      await patchUser(user.id, { disabled: true });
      assert.equal(await second.closed, 4401);
      // And a socket is refused with the old token.
      const again = new WebSocket(`ws://127.0.0.1:${port}/api/eventbus`, {
        headers: { authorization: `Bearer ${disabledLater.accessToken}` },
      });
      again.on('error', () => undefined);
      const refused = await new Promise<number>((resolve) =>
        again.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
      );
      assert.equal(refused, 401);
      again.terminate();
    });
  });
}

describe('several adapter instances on one PostgreSQL', { skip: !process.env.TEST_DATABASE_URL }, () => {
  it('agree at once: a user disabled on one is refused by the other, which had them cached', async (t) => {
    const url = await createTestDatabase(process.env.TEST_DATABASE_URL as string);
    const start = async (dir: string) => {
      const config = {
        ...readConfig({ FRAMEPROOF_DATA_DIR: dir }),
        adminPassword: ADMIN_PASSWORD,
        busPort: null,
        // Long enough that only the notification can explain a refusal.
        accessCacheMs: 3_600_000,
      };
      const ctx = await createContext(config, await openPostgres(url, 3), openStorage(join(dir, 'm')));
      const app = await buildApp(ctx, { logger: false });
      t.after(async () => {
        await app.close();
        await ctx.close();
      });
      return app;
    };
    const dir = (await import('node:os')).tmpdir();
    const a = await start(join(dir, `fp-a-${process.pid}`));
    const b = await start(join(dir, `fp-b-${process.pid}`));
    const adminA = (
      (
        await a.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'admin', password: ADMIN_PASSWORD },
        })
      ).json() as TokenResponse
    ).accessToken;
    const user = (
      await a.inject({
        method: 'POST',
        url: '/api/users',
        headers: auth(adminA),
        payload: { username: 'roaming', password: PASSWORD, role: 'editor' },
      })
    ).json() as User;
    const tokens = (
      await a.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'roaming', password: PASSWORD },
      })
    ).json() as TokenResponse;
    const onB = async () =>
      (await b.inject({ url: '/api/assets', headers: auth(tokens.accessToken) })).statusCode;
    assert.equal(await onB(), 200, 'B knows the session now (and remembers it)');
    const disabled = await a.inject({
      method: 'PATCH',
      url: `/api/users/${user.id}`,
      headers: auth(adminA),
      payload: { disabled: true },
    });
    assert.equal(disabled.statusCode, 200);
    await until(async () => (await onB()) === 401, 'instance B to refuse the disabled user', { ms: 20_000 });
  });
});
