import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_JOB_TIMEOUTS, DEFAULT_MEDIA_LIMITS } from '@frameproof/core';
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

  it("reads media limits and time limits, and refuses a picture limit over the decoders' cap", () => {
    const defaults = readJobsConfig({ ...required });
    assert.deepEqual(defaults.limits, DEFAULT_MEDIA_LIMITS);
    assert.deepEqual(defaults.timeouts, DEFAULT_JOB_TIMEOUTS);
    const tight = readJobsConfig({
      ...required,
      MEDIA_MAX_WIDTH: '1920',
      MEDIA_MAX_DURATION_SECONDS: '7200',
      JOBS_TIMEOUT_PER_MEDIA_SECOND: '2.5',
    });
    assert.equal(tight.limits.maxWidth, 1920);
    assert.equal(tight.limits.maxDurationSeconds, 7200);
    assert.equal(tight.timeouts.perMediaSecond, 2.5);
    assert.throws(
      () => readJobsConfig({ ...required, MEDIA_MAX_HEIGHT: '20000' }),
      /MEDIA_MAX_HEIGHT must be .* from 1 to 16384/,
    );
    assert.throws(
      () => readJobsConfig({ ...required, JOBS_TIMEOUT_BASE_SECONDS: '0' }),
      /JOBS_TIMEOUT_BASE_SECONDS/,
    );
  });
});
