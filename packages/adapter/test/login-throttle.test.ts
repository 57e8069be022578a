import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoginThrottle } from '../src/services/login-throttle.js';
import { DATABASES, startApp } from './helpers.js';

describe('login throttle', () => {
  it('makes each try after the free ones wait twice as long, per account and per address', () => {
    const throttle = new LoginThrottle({
      freeAccountFailures: 3,
      freeAddressFailures: 5,
      maxWaitSeconds: 60,
    });
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) {
      assert.equal(throttle.waitSeconds('Alice', '198.51.100.1', t0), 0);
      throttle.failed('alice', '198.51.100.1', t0);
    }
    assert.equal(throttle.waitSeconds('ALICE', '198.51.100.2', t0), 1, 'the account, whatever the address');
    throttle.failed('alice', '198.51.100.1', t0);
    assert.equal(throttle.waitSeconds('alice', '198.51.100.9', t0), 2);
    assert.equal(throttle.waitSeconds('alice', '198.51.100.9', t0 + 2000), 0, 'the wait runs out');
    assert.equal(throttle.waitSeconds('bob', '198.51.100.3', t0), 0, 'other accounts and addresses are free');
    throttle.failed('bob', '198.51.100.1', t0);
    assert.ok(
      throttle.waitSeconds('carol', '198.51.100.1', t0) > 0,
      'the address that failed five times waits',
    );
    throttle.succeeded('alice');
    assert.equal(throttle.waitSeconds('alice', '198.51.100.7', t0), 0, 'a success clears the account');
    for (let i = 0; i < 20; i++) throttle.failed('dave', '198.51.100.4', t0);
    assert.equal(throttle.waitSeconds('dave', '198.51.100.5', t0), 60, 'capped');
  });

  for (const { name, open } of DATABASES) {
    it(`answers 429 with Retry-After after repeated wrong passwords, even for the right one, on ${name}`, async () => {
      const app = await startApp(open);
      try {
        const login = (password: string) =>
          app.app.inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { username: 'admin', password },
            remoteAddress: '203.0.113.50',
          });
        const answers: number[] = [];
        for (let i = 0; i < 7; i++) answers.push((await login('wrong-guess')).statusCode);
        assert.deepEqual(answers, [401, 401, 401, 401, 401, 429, 429]);
        const right = await login('admin-password-for-tests');
        assert.equal(right.statusCode, 429, 'the right password waits too');
        assert.ok(Number(right.headers['retry-after']) >= 1);
        assert.match(right.json().message, /try again in \d+ s/);
      } finally {
        await app.close();
      }
    });
  }

  it('caps password hashing: a flood of sign-ins gets 503 with Retry-After, never a stalled service', async () => {
    const open = DATABASES[0]?.open;
    assert.ok(open);
    const app = await startApp(open);
    try {
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          app.app.inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { username: `user${i}`, password: 'guess' },
            remoteAddress: `203.0.113.${i + 1}`,
          }),
        ),
      );
      const codes = answers.map((a) => a.statusCode);
      assert.ok(
        codes.every((c) => c === 401 || c === 503),
        codes.join(','),
      );
      assert.ok(codes.includes(503), 'some were turned away');
      assert.ok(codes.filter((c) => c === 401).length >= 34, 'the running and waiting ones were answered');
      assert.equal(answers.find((a) => a.statusCode === 503)?.headers['retry-after'], '1');
    } finally {
      await app.close();
    }
  });
});
