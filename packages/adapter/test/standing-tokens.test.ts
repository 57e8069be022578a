import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { DATABASES, auth, startApp, type TestApp } from './helpers.js';

// The standing suite for local tokens: each way a token can be wrong, made with the adapter's
// own signing key where that matters, is refused with 401 and the JSON error body.

const KEY = randomBytes(32);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('tokens that must not pass', () => {
  let app: TestApp;
  let good: string;
  let claims: ReturnType<typeof decodeJwt>;
  before(async () => {
    const first = DATABASES[0];
    assert.ok(first);
    app = await startApp(first.open, { signingSecrets: [KEY] });
    good = await app.token();
    claims = decodeJwt(good);
  });
  after(() => app.close());

  const now = () => Math.floor(Date.now() / 1000);
  /** A token with the good one's claims, changed as `edit` says, signed with `key`. */
  const sign = (edit: Record<string, unknown>, key: Uint8Array = KEY) =>
    new SignJWT({ ...claims, ...edit })
      .setProtectedHeader({ alg: 'HS256', kid: decodeProtectedHeader(good).kid as string })
      .sign(key);
  const status = async (token: string) => {
    const res = await app.app.inject({ url: '/api/auth/me', headers: auth(token) });
    if (res.statusCode === 401) assert.equal((res.json() as { statusCode: number }).statusCode, 401);
    return res.statusCode;
  };

  it('takes the real one, and one re-signed with the same claims', async () => {
    assert.equal(await status(good), 200);
    assert.equal(await status(await sign({})), 200, 'the forgeries below differ in one thing each');
  });

  it('refuses expired, not yet valid, wrong issuer, wrong type, and no session', async () => {
    assert.equal(await status(await sign({ exp: now() - 60 })), 401, 'expired');
    assert.equal(await status(await sign({ nbf: now() + 3600 })), 401, 'not yet valid');
    assert.equal(await status(await sign({ iss: 'someone-else' })), 401, 'wrong issuer');
    assert.equal(await status(await sign({ typ: 'refresh' })), 401, 'not an access token');
    assert.equal(await status(await sign({ sid: undefined })), 401, 'names no session');
    assert.equal(
      await status(await sign({ sid: crypto.randomUUID() })),
      401,
      'names a session that does not exist',
    );
    assert.equal(await status(await sign({ role: 'superuser' })), 401, 'a role that does not exist');
  });

  it('refuses alg none, another key, another algorithm, and a key id out of rotation', async () => {
    const none = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
    assert.equal(await status(none), 401, 'alg: none');
    assert.equal(await status(await sign({}, randomBytes(32))), 401, 'another key');
    const other = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).sign(KEY);
    assert.equal(await status(other), 401, 'HS512 with the right key');
    const unknownKid = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'nope' }).sign(KEY);
    assert.equal(await status(unknownKid), 401, 'a kid the ring does not hold');
    assert.equal(await status('not-a-token'), 401);
  });
});
