import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ConfigError } from '@frameproof/core';
import { readGatewaySettings } from '../src/config.js';

describe('gateway settings', () => {
  it('checks health every second unless HEALTH_CHECK_INTERVAL_SECONDS says otherwise', () => {
    const interval = (env: Record<string, string>) => readGatewaySettings(env).healthIntervalMs;
    assert.equal(interval({}), 1000);
    assert.equal(interval({ HEALTH_CHECK_INTERVAL_SECONDS: '' }), 1000);
    assert.equal(interval({ HEALTH_CHECK_INTERVAL_SECONDS: '30' }), 30_000);
    assert.equal(interval({ HEALTH_CHECK_INTERVAL_SECONDS: '1.5' }), 1500);
  });

  it('refuses an interval that is not a number, zero or past the ALB’s 300 s, naming the variable', () => {
    for (const value of ['soon', '0', '-1', '301', 'Infinity'])
      assert.throws(
        () => readGatewaySettings({ HEALTH_CHECK_INTERVAL_SECONDS: value }),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.message === `HEALTH_CHECK_INTERVAL_SECONDS must be a number from 0.1 to 300, got "${value}"`,
        value,
      );
  });

  it('listens on PORT (8080 by default) and refuses one that is not a port, naming it', () => {
    assert.equal(readGatewaySettings({}).port, 8080);
    assert.equal(readGatewaySettings({ PORT: '0' }).port, 0);
    assert.equal(readGatewaySettings({ PORT: '9000' }).port, 9000);
    for (const value of ['http', '-1', '65536', '80.5'])
      assert.throws(
        () => readGatewaySettings({ PORT: value }),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.message === `PORT must be a whole number from 0 to 65535, got "${value}"`,
        value,
      );
  });

  it('a wrong one stops the gateway alone (main.ts) before it listens, with the message', () => {
    const run = spawnSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'packages/gateway/src/main.ts'],
      {
        env: {
          ...process.env,
          PORT: '0',
          ADAPTER_URLS: 'http://127.0.0.1:9',
          HEALTH_CHECK_INTERVAL_SECONDS: '0',
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(run.status, 2, run.stderr);
    assert.match(
      run.stderr,
      /gateway: HEALTH_CHECK_INTERVAL_SECONDS must be a number from 0\.1 to 300, got "0"/,
    );
  });
});
