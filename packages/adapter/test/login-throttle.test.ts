import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoginThrottle } from '../src/services/login-throttle.js';
import { migrate } from '../src/db/migrate.js';
import { LoginFailuresRepository } from '../src/repositories/login-failures.js';
import { ADMIN_PASSWORD, DATABASES, startApp } from './helpers.js';

describe('login throttle', () => {
  for (const { name, open } of DATABASES) {
    it(`makes each try after the free ones wait twice as long, per account and per address, on ${name}`, async () => {
      const db = await open();
      await migrate(db);
      let now = 1_000_000;
      const throttle = new LoginThrottle(
        new LoginFailuresRepository(db),
        { freeAccountFailures: 3, freeAddressFailures: 5, maxWaitSeconds: 60 },
        () => now,
      );
      try {
        for (let i = 0; i < 3; i++) {
          assert.equal(await throttle.waitSeconds('Alice', '198.51.100.1'), 0);
          await throttle.failed('alice', '198.51.100.1');
        }
        assert.equal(
          await throttle.waitSeconds('ALICE', '198.51.100.2'),
          1,
          'the account, whatever the address',
        );
        await throttle.failed('alice', '198.51.100.1');
        assert.equal(await throttle.waitSeconds('alice', '198.51.100.9'), 2);
        now += 2000;
        assert.equal(await throttle.waitSeconds('alice', '198.51.100.9'), 0, 'the wait runs out');
        now -= 2000;
        assert.equal(
          await throttle.waitSeconds('bob', '198.51.100.3'),
          0,
          'other accounts and addresses are free',
        );
        await throttle.failed('bob', '198.51.100.1');
        assert.ok(
          (await throttle.waitSeconds('carol', '198.51.100.1')) > 0,
          'the address that failed five times waits',
        );
        await throttle.succeeded('alice');
        assert.equal(await throttle.waitSeconds('alice', '198.51.100.7'), 0, 'a success clears the account');
        for (let i = 0; i < 20; i++) await throttle.failed('dave', '198.51.100.4');
        assert.equal(await throttle.waitSeconds('dave', '198.51.100.5'), 60, 'capped');
        // Quiet for four times the longest wait: forgotten, and the next failure counts from one.
        now += 240_001;
        assert.equal(await throttle.waitSeconds('dave', '198.51.100.5'), 0);
        await throttle.failed('dave', '198.51.100.5');
        assert.equal(await throttle.waitSeconds('dave', '198.51.100.6'), 0, 'one failure, not twenty-one');
        assert.ok((await throttle.purge()) >= 3, 'the quiet counts are deleted');
      } finally {
        await db.close();
      }
    });

    it(`counts failures on one adapter instance on the others too, on ${name}`, async (t) => {
      // Two instances behind one load balancer, on one database.
      const one = await startApp(open);
      t.after(() => one.close());
      const two = await startApp(open);
      t.after(() => two.close());
      const login = (app: typeof one, password: string, remoteAddress = '203.0.113.60') =>
        app.app
          .inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { username: 'admin', password },
            remoteAddress,
          })
          .then((res) => res.statusCode);
      // Five free failures in all, alternating instances: the sixth try waits on either.
      const answers: number[] = [];
      for (let i = 0; i < 6; i++)
        answers.push(await login(i % 2 ? two : one, 'wrong-guess', `203.0.113.${70 + i}`));
      assert.deepEqual(answers, [401, 401, 401, 401, 401, 429]);
      assert.equal(await login(one, ADMIN_PASSWORD, '203.0.113.80'), 429, 'the right password waits too');
      assert.equal(await login(two, ADMIN_PASSWORD, '203.0.113.81'), 429);
    });
  }

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
