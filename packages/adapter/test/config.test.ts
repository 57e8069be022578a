import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ConfigError, readConfig } from '../src/config.js';
import { QueueMetrics } from '../src/services/queue-metrics.js';

describe('adapter configuration', () => {
  it('runs on embedded defaults with nothing set', () => {
    const c = readConfig({ FRAMEPROOF_DATA_DIR: '/srv/fp' });
    assert.equal(c.port, 8080);
    assert.equal(c.busPort, 5701);
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.storageUrl, '/srv/fp/media');
    assert.equal(c.oidc, undefined);
    assert.equal(c.metrics, undefined);
    assert.equal(c.trustProxy, 'loopback');
  });

  it('keeps deleted assets ASSET_RETENTION_DAYS (30 by default), a whole number of days', () => {
    assert.equal(readConfig({}).assetRetentionDays, 30);
    assert.equal(readConfig({ ASSET_RETENTION_DAYS: '7' }).assetRetentionDays, 7);
    assert.equal(readConfig({ ASSET_RETENTION_DAYS: '0' }).assetRetentionDays, 0);
    for (const bad of ['-1', '1.5', 'thirty', '1e9'])
      assert.throws(
        () => readConfig({ ASSET_RETENTION_DAYS: bad }),
        (err: unknown) => err instanceof ConfigError && err.message.includes('ASSET_RETENTION_DAYS'),
        bad,
      );
  });

  it('keeps live events EVENT_RETENTION_SECONDS (an hour by default), at least a minute', () => {
    assert.equal(readConfig({}).eventRetentionSeconds, 3600);
    assert.equal(readConfig({ EVENT_RETENTION_SECONDS: '600' }).eventRetentionSeconds, 600);
    for (const bad of ['59', '1.5', 'hour'])
      assert.throws(
        () => readConfig({ EVENT_RETENTION_SECONDS: bad }),
        (err: unknown) => err instanceof ConfigError && err.message.includes('EVENT_RETENTION_SECONDS'),
        bad,
      );
  });

  it('turns local sign-in off only where an identity provider is configured', () => {
    assert.equal(readConfig({}).authLocal, true);
    assert.equal(
      readConfig({ AUTH_LOCAL: 'off', OIDC_ISSUER_URL: 'https://idp.example/', OIDC_AUDIENCE: 'api' })
        .authLocal,
      false,
    );
    assert.throws(() => readConfig({ AUTH_LOCAL: 'off' }), /identity provider/);
    assert.throws(() => readConfig({ AUTH_LOCAL: 'no' }), /AUTH_LOCAL must be "on" or "off"/);
  });

  it('needs an audience with an identity provider, and reads the allowed clients', () => {
    assert.throws(() => readConfig({ OIDC_ISSUER_URL: 'https://idp.example/' }), /OIDC_AUDIENCE is required/);
    const c = readConfig({
      OIDC_ISSUER_URL: 'https://idp.example/',
      OIDC_AUDIENCE: 'api',
      OIDC_CLIENT_IDS: 'web, cli',
    });
    assert.deepEqual(c.oidc?.clientIds, ['web', 'cli']);
  });

  it('trusts X-Forwarded-* only from the hops TRUST_PROXY names', () => {
    assert.equal(readConfig({ TRUST_PROXY: '1' }).trustProxy, 1);
    assert.equal(readConfig({ TRUST_PROXY: 'off' }).trustProxy, false);
    assert.equal(readConfig({ TRUST_PROXY: '10.0.0.0/16, loopback' }).trustProxy, '10.0.0.0/16,loopback');
    assert.throws(() => readConfig({ TRUST_PROXY: 'everyone' }), /TRUST_PROXY/);
  });

  it('reads the names the ECS task definitions use', () => {
    const c = readConfig({
      DB_HOST: 'db.internal',
      DB_SSL: 'no-verify',
      DB_USER: 'frameproof',
      DB_PASS: 'p@ss/word',
      STORAGE_URL: 's3://media-bucket/media',
      AUTH_RUNNER_USERNAME: 'runner',
      AUTH_RUNNER_PASSWORD: 'secret',
      KEYCLOAK_HOST: 'https://review.example.com/',
      OIDC_AUDIENCE: 'frameproof-adapter',
      METRICS_NAMESPACE: 'Frameproof',
      APPLICATION_TAG: 'av-prod',
    });
    assert.equal(
      c.databaseUrl,
      'postgres://frameproof:p%40ss%2Fword@db.internal:5432/accurate_video?sslmode=no-verify',
    );
    assert.deepEqual(c.runner, { username: 'runner', password: 'secret' });
    assert.deepEqual(c.oidc, {
      issuerUrl: 'https://review.example.com/auth/realms/frameproof',
      audience: 'frameproof-adapter',
      clientIds: undefined,
      rolesClaim: 'realm_access.roles',
    });
    assert.deepEqual(c.metrics, { namespace: 'Frameproof', application: 'av-prod' });
  });

  it('refuses settings that cannot work, naming them', () => {
    assert.throws(
      () => readConfig({ PORT: 'eighty' }),
      (e: unknown) => e instanceof ConfigError && /PORT/.test(e.message),
    );
    assert.throws(() => readConfig({ AUTH_RUNNER_USERNAME: 'runner' }), /AUTH_RUNNER_PASSWORD/);
  });
});

describe('queue depth metrics', () => {
  it('sends PutMetricData with the queued and running counts for the application', async () => {
    const sent: PutMetricDataCommand[] = [];
    const metrics = new QueueMetrics(async () => ({ queued: 7, running: 2 }), 'Frameproof', 'av-prod', {
      send: async (c) => void sent.push(c),
    });
    assert.deepEqual(await metrics.publish(), { queued: 7, running: 2 });
    const dimensions = [{ Name: 'Application', Value: 'av-prod' }];
    assert.deepEqual(sent[0]?.input, {
      Namespace: 'Frameproof',
      MetricData: [
        { MetricName: 'QueuedJobs', Dimensions: dimensions, Value: 7, Unit: 'Count' },
        { MetricName: 'RunningJobs', Dimensions: dimensions, Value: 2, Unit: 'Count' },
      ],
    });
  });
});
