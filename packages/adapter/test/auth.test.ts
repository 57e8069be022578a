import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEntry, TokenResponse, User } from '@frameproof/core';
import { auth, DATABASES, startApp, type TestApp } from './helpers.js';
import { FRAMEPROOF_AUDIENCE, startIdp, type TestIdp } from './oidc-server.js';

for (const { name, open } of DATABASES) {
  describe(`local sign-in turned off on ${name}`, () => {
    it('with AUTH_LOCAL=off creates no admin and signs in only the service account locally', async () => {
      const off = await startApp(open, { authLocal: false });
      try {
        const offLogin = (username: string, password: string) =>
          off.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
        const admin = await offLogin('admin', 'admin-password-for-tests');
        assert.equal(admin.statusCode, 403);
        assert.match(admin.json().message, /AUTH_LOCAL=off/);
        assert.equal(await off.ctx.users.byUsername('admin'), undefined);
        assert.equal((await offLogin('runner', 'runner-password-for-tests')).statusCode, 200);
      } finally {
        await off.close();
      }
    });
  });

  describe(`local accounts on ${name}`, () => {
    let app: TestApp;
    before(async () => {
      app = await startApp(open);
    });
    after(() => app.close());
    const login = (username: string, password: string) =>
      app.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });

    it('signs in the admin created on first start, and refuses wrong passwords alike', async () => {
      const ok = await login('admin', 'admin-password-for-tests');
      assert.equal(ok.statusCode, 200);
      const tokens = ok.json() as TokenResponse;
      assert.equal(tokens.user.role, 'admin');
      const me = (
        await app.app.inject({ url: '/api/auth/me', headers: auth(tokens.accessToken) })
      ).json() as User;
      assert.equal(me.username, 'admin');
      const wrong = await login('admin', 'nope');
      const nobody = await login('nobody', 'nope');
      assert.equal(wrong.statusCode, 401);
      assert.equal(nobody.statusCode, 401);
      assert.equal(wrong.json().message, nobody.json().message);
      assert.equal(
        (await app.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin' } }))
          .statusCode,
        400,
      );
    });

    it('resets the admin password from FRAMEPROOF_ADMIN_PASSWORD at the next start', async () => {
      await app.ctx.auth.ensureAccounts({ password: 'a-new-admin-password', generate: () => 'unused' });
      assert.equal((await login('admin', 'a-new-admin-password')).statusCode, 200);
      assert.equal((await login('admin', 'admin-password-for-tests')).statusCode, 401);
      await app.ctx.auth.ensureAccounts({ password: 'admin-password-for-tests', generate: () => 'unused' });
      const token = (await login('admin', 'admin-password-for-tests')).json<TokenResponse>().accessToken;
      // Each reset is in the audit log, made by the setting rather than by anyone signed in.
      const audit = await app.app.inject({ url: '/api/audit?action=user.password', headers: auth(token) });
      assert.deepEqual(
        audit.json<{ items: AuditEntry[] }>().items.map((e) => [e.actor.name, e.actor.id]),
        [
          ['FRAMEPROOF_ADMIN_PASSWORD', null],
          ['FRAMEPROOF_ADMIN_PASSWORD', null],
        ],
      );
      // The same password again is no reset.
      await app.ctx.auth.ensureAccounts({ password: 'admin-password-for-tests', generate: () => 'unused' });
      const again = await app.app.inject({ url: '/api/audit?action=user.password', headers: auth(token) });
      assert.equal(again.json<{ items: unknown[] }>().items.length, 2);
    });

    it('rotates refresh tokens: each works once, and logout revokes', async () => {
      const first = (await login('admin', 'admin-password-for-tests')).json() as TokenResponse;
      const refresh = (token: string) =>
        app.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: token } });
      const second = await refresh(first.refreshToken);
      assert.equal(second.statusCode, 200);
      assert.equal((await refresh(first.refreshToken)).statusCode, 401);
      const next = second.json() as TokenResponse;
      assert.equal(
        (
          await app.app.inject({
            method: 'POST',
            url: '/api/auth/logout',
            payload: { refreshToken: next.refreshToken },
          })
        ).statusCode,
        204,
      );
      assert.equal((await refresh(next.refreshToken)).statusCode, 401);
    });

    it('keeps a browser session in an HttpOnly cookie scoped to the session routes, rotated on refresh', async () => {
      const session = (path: string, cookie?: string, payload: unknown = {}) =>
        app.app.inject({
          method: 'POST',
          url: `/api/auth/session${path}`,
          payload: payload as Record<string, unknown>,
          headers: cookie ? { cookie } : {},
        });
      const signedIn = await session('', undefined, {
        username: 'admin',
        password: 'admin-password-for-tests',
      });
      assert.equal(signedIn.statusCode, 200, signedIn.body);
      const body = signedIn.json() as Record<string, unknown>;
      assert.equal(body.refreshToken, undefined, 'the refresh token never reaches scripts');
      assert.equal(typeof body.accessToken, 'string');
      const setCookie = String(signedIn.headers['set-cookie']);
      assert.match(
        setCookie,
        /^frameproof_refresh=[^;]+; Path=\/api\/auth\/session; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
      );
      const cookie = setCookie.split(';')[0] as string;

      const refreshed = await session('/refresh', cookie);
      assert.equal(refreshed.statusCode, 200, refreshed.body);
      assert.equal((refreshed.json() as { user: User }).user.username, 'admin');
      const next = String(refreshed.headers['set-cookie']).split(';')[0] as string;
      assert.notEqual(next, cookie);
      const reused = await session('/refresh', cookie);
      assert.equal(reused.statusCode, 401, 'a used refresh token is refused');
      assert.match(String(reused.headers['set-cookie']), /Max-Age=0/);
      assert.equal((await session('/refresh', next)).statusCode, 401, 'a replay ends the session');
      assert.equal((await session('/refresh')).statusCode, 401);

      const again = await session('', undefined, { username: 'admin', password: 'admin-password-for-tests' });
      const https = await app.app.inject({
        method: 'POST',
        url: '/api/auth/session/refresh',
        payload: {},
        headers: { cookie: String(again.headers['set-cookie']).split(';')[0], 'x-forwarded-proto': 'https' },
      });
      assert.equal(https.statusCode, 200);
      assert.match(String(https.headers['set-cookie']), /; Secure/);
      const last = String(https.headers['set-cookie']).split(';')[0] as string;

      const out = await session('/logout', last);
      assert.equal(out.statusCode, 204);
      assert.match(String(out.headers['set-cookie']), /^frameproof_refresh=; .*Max-Age=0/);
      assert.equal((await session('/refresh', last)).statusCode, 401, 'sign-out revokes the token');
    });

    it('refuses disabled accounts and tokens that are not ours', async () => {
      const admin = await app.token();
      const created = await app.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: auth(admin),
        payload: { username: 'temp', password: 'password-1234', role: 'viewer' },
      });
      assert.equal(created.statusCode, 201);
      const dup = await app.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: auth(admin),
        payload: { username: 'temp', password: 'password-1234', role: 'viewer' },
      });
      assert.equal(dup.statusCode, 409);
      const user = created.json() as User;
      await app.app.inject({
        method: 'PATCH',
        url: `/api/users/${user.id}`,
        headers: auth(admin),
        payload: { disabled: true },
      });
      assert.equal((await login('temp', 'password-1234')).statusCode, 401);
      const forged = admin.slice(0, -4) + (admin.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      assert.equal((await app.app.inject({ url: '/api/assets', headers: auth(forged) })).statusCode, 401);
      assert.equal(
        (await app.app.inject({ url: '/api/assets', headers: { authorization: 'Basic abc' } })).statusCode,
        401,
      );
    });
  });
}

describe('OpenID Connect against a real provider', () => {
  let idp: TestIdp;
  let app: TestApp;
  before(async () => {
    idp = await startIdp();
    app = await startApp((DATABASES[0] as (typeof DATABASES)[number]).open, {
      oidc: { issuerUrl: idp.issuer, audience: FRAMEPROOF_AUDIENCE, rolesClaim: 'realm_access.roles' },
    });
  });
  after(async () => {
    await app.close();
    await idp.close();
  });

  it('accepts the provider tokens, with the role from the roles claim', async () => {
    const token = await idp.token('alice-reviewer');
    const me = await app.app.inject({ url: '/api/auth/me', headers: auth(token) });
    assert.equal(me.statusCode, 200, me.body);
    assert.deepEqual([(me.json() as User).username, (me.json() as User).role], ['alice@oidc', 'reviewer']);
    const carol = (
      await app.app.inject({ url: '/api/auth/me', headers: auth(await idp.token('carol-admin')) })
    ).json() as User;
    assert.equal(carol.role, 'admin');
  });

  it('writes the person once, not on every request', async () => {
    const token = await idp.token('carol-admin');
    const upsert = app.ctx.users.upsertExternal.bind(app.ctx.users);
    let writes = 0;
    app.ctx.users.upsertExternal = (...args) => ((writes += 1), upsert(...args));
    try {
      for (let i = 0; i < 5; i++)
        assert.equal((await app.app.inject({ url: '/api/assets', headers: auth(token) })).statusCode, 200);
    } finally {
      app.ctx.users.upsertExternal = upsert;
    }
    assert.ok(writes <= 1, `${writes} writes for 5 requests`);
  });

  it('lets the role decide what the person may do', async () => {
    const token = await idp.token('alice-reviewer');
    const users = await app.app.inject({ url: '/api/users', headers: auth(token) });
    assert.equal(users.statusCode, 403);
  });

  it('refuses tokens without a Frameproof role, for another audience, or tampered with', async () => {
    const noRole = await app.app.inject({
      url: '/api/assets',
      headers: auth(await idp.token('bob-no-role')),
    });
    assert.equal(noRole.statusCode, 401);
    assert.match(noRole.json().message, /realm_access.roles/);
    const otherAudience = await app.app.inject({
      url: '/api/assets',
      headers: auth(await idp.token('alice-reviewer', 'https://other.example')),
    });
    assert.equal(otherAudience.statusCode, 401);
    const token = await idp.token('alice-reviewer');
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    payload.realm_access.roles = ['admin'];
    const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    assert.equal((await app.app.inject({ url: '/api/users', headers: auth(tampered) })).statusCode, 401);
  });

  it('cuts a person off at once when an admin disables them, whatever the provider says', async () => {
    const token = await idp.token('alice-reviewer');
    const me = await app.app.inject({ url: '/api/auth/me', headers: auth(token) });
    assert.equal(me.statusCode, 200);
    const admin = await app.token();
    const disable = (disabled: boolean) =>
      app.app.inject({
        method: 'PATCH',
        url: `/api/users/${(me.json() as User).id}`,
        headers: auth(admin),
        payload: { disabled },
      });
    assert.equal((await disable(true)).statusCode, 200);
    assert.equal((await app.app.inject({ url: '/api/assets', headers: auth(token) })).statusCode, 401);
    assert.equal((await disable(false)).statusCode, 200);
    assert.equal((await app.app.inject({ url: '/api/assets', headers: auth(token) })).statusCode, 200);
  });

  it('keeps local logins working for the service account and admin', async () => {
    assert.ok(await app.token());
  });
});

describe('OpenID Connect: the issuer and the clients it serves', () => {
  let idp: TestIdp;
  before(async () => {
    idp = await startIdp();
  });
  after(() => idp.close());

  it('refuses tokens issued to clients it does not serve, when the clients are named', async () => {
    const only = await startApp((DATABASES[0] as (typeof DATABASES)[number]).open, {
      oidc: {
        issuerUrl: idp.issuer,
        audience: FRAMEPROOF_AUDIENCE,
        rolesClaim: 'realm_access.roles',
        clientIds: ['carol-admin'],
      },
    });
    try {
      const me = (token: string) => only.app.inject({ url: '/api/auth/me', headers: auth(token) });
      assert.equal((await me(await idp.token('carol-admin'))).statusCode, 200);
      const other = await me(await idp.token('alice-reviewer'));
      assert.equal(other.statusCode, 401);
      assert.match(other.json().message, /client/);
    } finally {
      await only.close();
    }
  });

  it('refuses every token when discovery names another issuer than the configured one', async () => {
    const elsewhere = await startApp((DATABASES[0] as (typeof DATABASES)[number]).open, {
      oidc: {
        issuerUrl: idp.issuer.replace('127.0.0.1', 'localhost'),
        audience: FRAMEPROOF_AUDIENCE,
        rolesClaim: 'realm_access.roles',
      },
    });
    try {
      const res = await elsewhere.app.inject({
        url: '/api/auth/me',
        headers: auth(await idp.token('carol-admin')),
      });
      assert.equal(res.statusCode, 401);
    } finally {
      await elsewhere.close();
    }
  });
});
