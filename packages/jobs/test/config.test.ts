import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, readJobsConfig } from '../src/config.js';

const required = { AP_ADAPTER_USERNAME: 'runner', AP_ADAPTER_PASSWORD: 'secret' };

describe('the jobs service settings', () => {
  it('refuses a bad LOG_LEVEL instead of quietly logging at info', () => {
    assert.equal(readJobsConfig({ ...required }).logLevel, 'info');
    assert.equal(readJobsConfig({ ...required, LOG_LEVEL: 'debug' }).logLevel, 'debug');
    assert.throws(() => readJobsConfig({ ...required, LOG_LEVEL: 'loud' }), ConfigError);
  });

  it('names the variable of a bad number', () => {
    assert.throws(() => readJobsConfig({ ...required, JOBS_CONCURRENCY: '0' }), /JOBS_CONCURRENCY must be/);
    assert.equal(readJobsConfig({ ...required, JOBS_POLL_SECONDS: '0.5' }).pollSeconds, 0.5);
  });
});
