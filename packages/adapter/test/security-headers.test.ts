import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DATABASES, startApp } from './helpers.js';

const open = DATABASES[0]?.open;

describe('security headers', () => {
  it('API answers may not be framed, sniffed or run; the docs get a CSP that lets them run', async () => {
    assert.ok(open);
    const app = await startApp(open, { publicUrl: 'https://review.example' });
    try {
      const health = await app.app.inject({ url: '/api/health' });
      assert.equal(health.headers['x-content-type-options'], 'nosniff');
      assert.equal(health.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'");
      assert.equal(health.headers['referrer-policy'], 'no-referrer');
      assert.match(String(health.headers['strict-transport-security']), /max-age=31536000/);
      const docs = await app.app.inject({ url: '/api/docs/' });
      assert.equal(docs.statusCode, 200);
      const csp = String(docs.headers['content-security-policy']);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
    } finally {
      await app.close();
    }
  });

  it('sends no HSTS over plain HTTP', async () => {
    assert.ok(open);
    const app = await startApp(open);
    try {
      assert.equal(
        (await app.app.inject({ url: '/api/health' })).headers['strict-transport-security'],
        undefined,
      );
    } finally {
      await app.close();
    }
  });

  it('lets only the public origin drive uploads across origins', async () => {
    assert.ok(open);
    const app = await startApp(open, { publicUrl: 'https://review.example/' });
    try {
      const preflight = (origin: string) =>
        app.app.inject({
          method: 'OPTIONS',
          url: '/api/uploads',
          headers: { origin, 'access-control-request-method': 'POST' },
        });
      assert.equal(
        (await preflight('https://review.example')).headers['access-control-allow-origin'],
        'https://review.example',
      );
      const evil = await preflight('https://evil.example');
      assert.notEqual(evil.headers['access-control-allow-origin'], 'https://evil.example');
      assert.notEqual(evil.headers['access-control-allow-origin'], '*');
    } finally {
      await app.close();
    }
  });
});
