import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalStorage } from '@frameproof/storage';
import { decodeProtectedHeader } from 'jose';
import { ConfigError, readConfig } from '../src/config.js';
import { KeyRing } from '../src/services/key-ring.js';
import { MediaUrls } from '../src/services/media-urls.js';
import { ADMIN_PASSWORD, DATABASES, auth, startApp } from './helpers.js';

// With AUTH_SIGNING_SECRETS and MEDIA_URL_SECRETS set (from Secrets Manager on AWS), no key is
// left in the database for a backup to leak, and keys rotate without signing anyone out.

const A = 'key-a-0123456789-0123456789-0123456789';
const B = 'key-b-0123456789-0123456789-0123456789';
const keys = (...items: string[]) => items.map((k) => Buffer.from(k));

describe('secrets from the environment', () => {
  it('reads keys newest first, and refuses short or repeated ones without printing them', () => {
    const config = readConfig({ AUTH_SIGNING_SECRETS: `${B}, ${A}`, MEDIA_URL_SECRETS: A });
    assert.deepEqual(config.signingSecrets, keys(B, A));
    assert.deepEqual(config.mediaUrlSecrets, keys(A));
    assert.equal(readConfig({}).signingSecrets, undefined);
    assert.throws(
      () => readConfig({ AUTH_SIGNING_SECRETS: `${A},tooshort-secret` }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === 'AUTH_SIGNING_SECRETS: key 2 of 2 is shorter than 32 characters',
    );
    assert.throws(
      () => readConfig({ MEDIA_URL_SECRETS: `${A},${A}` }),
      /MEDIA_URL_SECRETS lists a key twice/,
    );
  });

  it('media URLs signed with an older key in rotation still play; after it is dropped they do not', async () => {
    const storage = new LocalStorage('/nonexistent');
    const file = {
      id: '6f1c1d3e-8d5b-4c47-9b1a-2a7c1e0b9f10',
      shapeId: 's',
      storage: 'local',
      key: 'assets/x/video.mp4',
      size: 1,
      checksum: null,
      mimeType: 'video/mp4',
    };
    const signed = new URL(await new MediaUrls(storage, new KeyRing(keys(A)), 60).url(file, 'http://h'));
    const [expires, signature] = [
      Number(signed.searchParams.get('expires')),
      String(signed.searchParams.get('signature')),
    ];
    assert.equal(
      new MediaUrls(storage, new KeyRing(keys(B, A)), 60).verify(file.id, expires, signature),
      true,
    );
    assert.equal(new MediaUrls(storage, new KeyRing(keys(B)), 60).verify(file.id, expires, signature), false);
  });

  for (const { name, open } of DATABASES) {
    it(`rotates the token key across instances on ${name}, and keeps no key in the database`, async (t) => {
      // A rolling deploy: old instances know A, new ones sign with B and still accept A, and the
      // next deploy drops A.
      const old = await startApp(open, { signingSecrets: keys(A), mediaUrlSecrets: keys(A) });
      t.after(() => old.close());
      const rolling = await startApp(open, { signingSecrets: keys(B, A), mediaUrlSecrets: keys(B, A) });
      t.after(() => rolling.close());
      const next = await startApp(open, { signingSecrets: keys(B), mediaUrlSecrets: keys(B) });
      t.after(() => next.close());
      const me = (app: typeof old, token: string) =>
        app.app
          .inject({ method: 'GET', url: '/api/auth/me', headers: auth(token) })
          .then((r) => r.statusCode);

      const signedWithA = await old.token();
      assert.equal(decodeProtectedHeader(signedWithA).kid, KeyRing.id(Buffer.from(A)));
      assert.equal(await me(rolling, signedWithA), 200, 'the old key still verifies while in rotation');
      assert.equal(await me(next, signedWithA), 401, 'a dropped key verifies nothing');

      const signedWithB = await rolling.token('admin', ADMIN_PASSWORD);
      assert.equal(decodeProtectedHeader(signedWithB).kid, KeyRing.id(Buffer.from(B)));
      assert.equal(await me(next, signedWithB), 200);
      assert.equal(await me(old, signedWithB), 401, 'an instance without B does not take it');

      const stored = await old.ctx.db.query<{ key: string }>(
        `SELECT key FROM settings WHERE key IN ('jwt_secret', 'media_url_secret')`,
      );
      assert.deepEqual(stored, [], 'no key for a backup to leak');
    });
  }

  it('without them, keeps one generated key per secret in the database, shared by instances', async (t) => {
    const [first] = DATABASES;
    assert.ok(first);
    const one = await startApp(first.open);
    t.after(() => one.close());
    const two = await startApp(first.open);
    t.after(() => two.close());
    const token = await one.token();
    const res = await two.app.inject({ method: 'GET', url: '/api/auth/me', headers: auth(token) });
    assert.equal(res.statusCode, 200);
    const stored = await one.ctx.db.query<{ key: string }>(
      `SELECT key FROM settings WHERE key IN ('jwt_secret', 'media_url_secret') ORDER BY key`,
    );
    assert.deepEqual(
      stored.map((r) => r.key),
      ['jwt_secret', 'media_url_secret'],
    );
  });
});
