import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { imagePlan, imageRegistry, IMAGE_PLATFORM } from '../lib/images.js';
import { FRAMEPROOF_VERSION, KEYCLOAK_IMAGE } from '../lib/services.js';

const REGISTRY = '123456789012.dkr.ecr.eu-north-1.amazonaws.com/frameproof';
const KEYCLOAK = `${KEYCLOAK_IMAGE.repository}:${KEYCLOAK_IMAGE.tag}`;

/** Runs `npm run images -- ARGS` from infra/, as the README shows it. */
function runImages(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { status: number | null; out: string; err: string } {
  const result = spawnSync('npm', ['run', '--silent', 'images', '--', ...args], {
    cwd: new URL('..', import.meta.url),
    env: { ...process.env, FRAMEPROOF_IMAGE_REGISTRY: '', ...env },
    encoding: 'utf8',
  });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

describe('the image plan', () => {
  it('builds our four images for amd64 and copies the official Keycloak, then pushes all five', () => {
    const plan = imagePlan({ registry: REGISTRY, tag: '1.2.3', push: true });
    assert.deepEqual(
      plan.map((s) => [s.service, s.image]),
      [
        ['adapter', `${REGISTRY}/adapter:1.2.3`],
        ['jobs', `${REGISTRY}/jobs:1.2.3`],
        ['analyze', `${REGISTRY}/analyze:1.2.3`],
        ['frontend', `${REGISTRY}/frontend:1.2.3`],
        ['keycloak', `${REGISTRY}/keycloak:${KEYCLOAK_IMAGE.tag}`],
      ],
    );
    assert.deepEqual(plan[0]?.commands, [
      [
        'build',
        '--platform',
        IMAGE_PLATFORM,
        '-f',
        'packages/adapter/Dockerfile',
        '-t',
        `${REGISTRY}/adapter:1.2.3`,
        '.',
      ],
      ['push', `${REGISTRY}/adapter:1.2.3`],
    ]);
    assert.deepEqual(plan[4]?.commands, [
      ['pull', '--platform', IMAGE_PLATFORM, KEYCLOAK],
      ['tag', KEYCLOAK, `${REGISTRY}/keycloak:${KEYCLOAK_IMAGE.tag}`],
      ['push', `${REGISTRY}/keycloak:${KEYCLOAK_IMAGE.tag}`],
    ]);
    assert.equal(IMAGE_PLATFORM, 'linux/amd64');
  });

  it('pushes nothing without push, and tags with this version by default', () => {
    const plan = imagePlan({ registry: REGISTRY });
    assert.ok(plan.every((s) => s.commands.every(([command]) => command !== 'push')));
    assert.equal(plan[1]?.image, `${REGISTRY}/jobs:${FRAMEPROOF_VERSION}`);
  });

  it('builds only the services asked for', () => {
    assert.deepEqual(
      imagePlan({ registry: REGISTRY, only: ['jobs', 'keycloak'] }).map((s) => s.service),
      ['jobs', 'keycloak'],
    );
  });

  it('refuses an unknown service, a bad tag and a missing Dockerfile', () => {
    assert.throws(() => imagePlan({ registry: REGISTRY, only: ['gateway'] }), /--only: no service gateway/);
    assert.throws(() => imagePlan({ registry: REGISTRY, tag: 'a b' }), /"a b" is not an image tag/);
    assert.throws(
      () => imagePlan({ registry: REGISTRY, exists: (path) => !path.includes('frontend') }),
      /packages\/frontend\/Dockerfile does not exist/,
    );
  });

  it('takes the registry from the option, else the environment, without a trailing slash', () => {
    assert.equal(imageRegistry('ghcr.io/acme/', {}), 'ghcr.io/acme');
    assert.equal(imageRegistry(undefined, { FRAMEPROOF_IMAGE_REGISTRY: REGISTRY }), REGISTRY);
    assert.equal(imageRegistry('ghcr.io/a', { FRAMEPROOF_IMAGE_REGISTRY: REGISTRY }), 'ghcr.io/a');
    assert.equal(imageRegistry(undefined, {}), undefined);
    assert.throws(() => imageRegistry('GHCR.io/Acme', {}), /is not an image registry/);
  });
});

describe('npm run images', () => {
  it('with --dry-run prints the docker commands of the README’s push, and needs no Docker', () => {
    // The README's command, with --dry-run added (no Docker engine here).
    const { status, out, err } = runImages(['--registry', REGISTRY, '--tag', '0.1.0', '--push', '--dry-run']);
    assert.equal(status, 0, err);
    const commands = out.split('\n').filter((l) => l.startsWith('$ docker '));
    assert.equal(commands.length, 11, out);
    assert.ok(commands.includes(`$ docker push ${REGISTRY}/frontend:0.1.0`), out);
    assert.ok(commands.includes(`$ docker tag ${KEYCLOAK} ${REGISTRY}/keycloak:${KEYCLOAK_IMAGE.tag}`), out);
  });

  it('takes the registry from FRAMEPROOF_IMAGE_REGISTRY', () => {
    const { status, out } = runImages(['--dry-run', '--only', 'analyze'], {
      FRAMEPROOF_IMAGE_REGISTRY: 'ghcr.io/acme',
    });
    assert.equal(status, 0);
    assert.match(
      out,
      /\$ docker build --platform linux\/amd64 -f packages\/analyze\/Dockerfile -t ghcr\.io\/acme\/analyze:/,
    );
  });

  it('without a registry says so, and runs nothing', () => {
    const { status, out, err } = runImages(['--push']);
    assert.equal(status, 2);
    assert.match(err, /no registry given/);
    assert.doesNotMatch(out, /docker/);
  });
});
