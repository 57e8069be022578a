// Lints the services' Dockerfiles with our own rules (hadolint's ids where one matches): Debian
// has no hadolint package, and these are the rules the deployment relies on.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { httpProbe, LIVENESS_PROBE } from '../lib/constructs/app-service.js';
import { BUILT_SERVICES, dockerfilePath, REPOSITORY_ROOT } from '../lib/images.js';
import { PORTS, type ServiceName } from '../lib/services.js';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** Instructions with continuation lines joined; comments and parser directives dropped. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return;
    const joined = pending ? `${pending.text} ${line}` : line;
    const start = pending?.line ?? index + 1;
    if (joined.endsWith('\\')) {
      pending = { text: joined.slice(0, -1).trim(), line: start };
      return;
    }
    pending = undefined;
    const [keyword = '', ...rest] = joined.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: start });
  });
  return instructions;
}

/** The instructions of each stage. */
function stages(instructions: Instruction[]): Instruction[][] {
  return instructions.reduce<Instruction[][]>((all, i) => {
    if (i.keyword === 'FROM') all.push([i]);
    else all.at(-1)?.push(i);
    return all;
  }, []);
}

const EXPECTED: Record<string, { ports: number[]; probe: string; ffmpeg: boolean }> = {
  adapter: {
    ports: [PORTS.http, PORTS.bus, PORTS.busAlternate],
    probe: httpProbe(PORTS.http, '/api/health'),
    ffmpeg: false,
  },
  jobs: { ports: [PORTS.bus, PORTS.busAlternate], probe: LIVENESS_PROBE, ffmpeg: true },
  analyze: { ports: [PORTS.http], probe: httpProbe(PORTS.http, '/api/health'), ffmpeg: true },
  frontend: { ports: [PORTS.frontend], probe: httpProbe(PORTS.frontend, '/'), ffmpeg: false },
};

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The workspace packages (folder names under packages/) a package needs, transitively: those of
 * its `dependencies`, and with `dev` those of its `devDependencies` too (the frontend's app is
 * bundled at build time from its dev dependencies). The tests workspace is never shipped.
 */
function workspaceNeeds(name: string, dev: boolean, seen = new Set<string>()): Set<string> {
  const pkg = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'packages', name, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const names = Object.keys({ ...pkg.dependencies, ...(dev ? pkg.devDependencies : {}) });
  for (const dep of names) {
    const m = /^@frameproof\/(.+)$/.exec(dep);
    if (!m || m[1] === 'tests' || seen.has(m[1] as string)) continue;
    seen.add(m[1] as string);
    workspaceNeeds(m[1] as string, false, seen);
  }
  return seen;
}

/** Our rules; each failure names the rule (hadolint's id where one matches). */
function lint(service: ServiceName, text: string): string[] {
  const problems: string[] = [];
  const fail = (rule: string, message: string, at?: Instruction): void => {
    problems.push(`${rule}${at ? ` (line ${at.line})` : ''}: ${message}`);
  };
  const all = parseDockerfile(text);
  const [build, final, ...more] = stages(all);
  if (!build || !final || more.length > 0)
    return [`multi-stage: expected a build stage and a run stage, found ${stages(all).length}`];
  const expected = EXPECTED[service];
  if (!expected) return [`no expectations for ${service}`];

  for (const from of all.filter((i) => i.keyword === 'FROM')) {
    if (!/^node:20-bookworm-slim(\s|$)/.test(from.args))
      fail('DL3006/base', `base image must be node:20-bookworm-slim, is ${from.args}`, from);
  }
  if (!/ AS build$/i.test(build[0]?.args ?? ''))
    fail('multi-stage', 'the first stage is `AS build`', build[0]);
  if (!build.some((i) => i.keyword === 'RUN' && i.args === `npx tsc -b packages/${service}`)) {
    fail('build', `the build stage compiles with \`npx tsc -b packages/${service}\``);
  }

  // Every workspace package the service imports is in the image: a missing one fails `npm ci`
  // or the service's first import, which no other test here would see.
  const copies = (stage: Instruction[]) => stage.filter((i) => i.keyword === 'COPY').map((i) => i.args);
  for (const dep of workspaceNeeds(service, service === 'frontend')) {
    for (const line of [`packages/${dep}/package.json packages/${dep}/`, `packages/${dep} packages/${dep}`])
      if (!copies(build).includes(line)) fail('workspace', `the build stage copies ${line.split(' ')[0]}`);
  }
  if (service !== 'frontend')
    for (const dep of workspaceNeeds(service, false)) {
      const lines = [
        `packages/${dep}/package.json packages/${dep}/`,
        `--from=build /app/packages/${dep}/dist/src packages/${dep}/dist/src`,
      ];
      for (const line of lines)
        if (!copies(final).includes(line))
          fail('workspace', `the run stage copies ${line.split(' ').at(-2)}`);
    }

  const runs = final.filter((i) => i.keyword === 'RUN');
  const install = runs.find((i) => /\bnpm ci\b/.test(i.args));
  if (
    !install ||
    !/--omit=dev/.test(install.args) ||
    !install.args.includes(`--workspace @frameproof/${service}`)
  ) {
    fail(
      'production-only',
      `the run stage installs with \`npm ci --omit=dev --workspace @frameproof/${service}\``,
      install,
    );
  }
  if (all.some((i) => i.keyword === 'RUN' && /\bnpm (install|i)\b/.test(i.args)))
    fail('DL3016/npm-ci', 'install with npm ci, from the lockfile');
  for (const copy of final.filter((i) => i.keyword === 'COPY' && i.args.startsWith('--from='))) {
    // Compiled code: TypeScript's output, or a native addon built by node-gyp (analyze's decoder).
    const compiled = / packages\/[a-z-]+\/(dist\/src|native\/build\/Release\/[\w-]+\.node) /;
    if (!compiled.test(`${copy.args} `) || copy.args.includes('node_modules')) {
      fail('production-only', 'copy only compiled code from the build stage', copy);
    }
  }

  const users = final.filter((i) => i.keyword === 'USER');
  const lastUser = users.at(-1);
  if (!lastUser || /^(root|0)(:|$)/.test(lastUser.args))
    fail('DL3002/non-root', 'the image runs as a non-root user', lastUser);
  else if (final.indexOf(lastUser) < final.indexOf(runs.at(-1) ?? lastUser))
    fail('non-root', 'USER comes after the last RUN', lastUser);

  const healthchecks = final.filter((i) => i.keyword === 'HEALTHCHECK');
  const healthcheck = healthchecks[0];
  const healthCommand = /CMD (\[.*\])$/.exec(healthcheck?.args ?? '')?.[1];
  if (healthchecks.length !== 1 || !healthCommand)
    fail('DL3047/healthcheck', 'one HEALTHCHECK in exec form', healthcheck);
  else if (!same(JSON.parse(healthCommand), ['node', '-e', expected.probe])) {
    fail('healthcheck', `the probe is the task definition's: node -e "${expected.probe}"`, healthcheck);
  }

  const cmd = final.filter((i) => i.keyword === 'CMD').at(-1);
  const cmdJson = cmd?.args.startsWith('[') ? (JSON.parse(cmd.args) as string[]) : undefined;
  if (!cmdJson) fail('DL3025/exec-form', 'CMD in exec (JSON) form', cmd);
  // Node's own options may come first (analyze: its young generation's size).
  else if (
    cmdJson[0] !== 'node' ||
    cmdJson.at(-1) !== `packages/${service}/dist/src/main.js` ||
    !cmdJson.slice(1, -1).every((arg) => /^--[a-z-]+=\d+$/.test(arg))
  )
    fail('entry', `runs packages/${service}/dist/src/main.js`, cmd);

  const exposed = final
    .filter((i) => i.keyword === 'EXPOSE')
    .flatMap((i) => i.args.split(/\s+/))
    .map(Number);
  if (!same(exposed, expected.ports))
    fail('ports', `EXPOSE ${expected.ports.join(' ')}, as the task's port mappings`);

  const ffmpeg = runs.find((i) => /apt-get install/.test(i.args));
  if (expected.ffmpeg) {
    if (!ffmpeg || !/\bffmpeg\b/.test(ffmpeg.args)) fail('ffmpeg', 'installs ffmpeg from Debian');
    else {
      if (!/apt-get update/.test(ffmpeg.args))
        fail('DL3009', 'apt-get update in the same RUN as the install', ffmpeg);
      if (!/ -y /.test(ffmpeg.args)) fail('DL3014', 'apt-get install -y', ffmpeg);
      if (!/--no-install-recommends/.test(ffmpeg.args))
        fail('DL3015', 'apt-get install --no-install-recommends', ffmpeg);
      if (!/rm -rf \/var\/lib\/apt\/lists\/\*$/.test(ffmpeg.args))
        fail('DL3009', 'remove the apt lists in the same RUN', ffmpeg);
    }
  } else if (
    ffmpeg &&
    !(service === 'frontend' && /install -y --no-install-recommends libcap2-bin &&/.test(ffmpeg.args))
  )
    fail('ffmpeg', 'this service needs no system packages', ffmpeg);

  // The frontend listens on port 80 as `node`: its node binary is given cap_net_bind_service,
  // and the tool that does it is removed again in the same layer.
  if (service === 'frontend') {
    const setcap = runs.find((i) => /\bsetcap\b/.test(i.args));
    if (
      !setcap ||
      !/setcap cap_net_bind_service=\+ep "\$\(readlink -f \/usr\/local\/bin\/node\)"/.test(setcap.args)
    )
      fail('port-80', 'the run stage lets node bind port 80 (setcap cap_net_bind_service=+ep on node)');
    else if (
      !/apt-get purge -y --auto-remove libcap2-bin/.test(setcap.args) ||
      !/rm -rf \/var\/lib\/apt\/lists\/\*$/.test(setcap.args)
    )
      fail('DL3009', 'remove libcap2-bin and the apt lists in the same RUN', setcap);
  }

  for (const i of all) {
    // As hadolint: ADD only for a file from an https URL (the RDS certificate bundle).
    if (i.keyword === 'ADD' && !/^(--\S+\s+)*https:\/\//.test(i.args))
      fail('DL3020', 'use COPY, not ADD, for local files', i);
    if (i.keyword === 'MAINTAINER') fail('DL4000', 'MAINTAINER is deprecated', i);
    if (i.keyword === 'WORKDIR' && !i.args.startsWith('/')) fail('DL3000', 'WORKDIR must be absolute', i);
    if (i.keyword === 'RUN' && /(^|&&|;)\s*cd\s/.test(i.args)) fail('DL3003', 'use WORKDIR instead of cd', i);
    if (i.keyword === 'RUN' && /\bsudo\b/.test(i.args)) fail('DL3004', 'no sudo', i);
    if (i.keyword === 'RUN' && /apt-get (upgrade|dist-upgrade)/.test(i.args))
      fail('DL3005', 'no apt-get upgrade', i);
    if (i.keyword === 'COPY' && !i.args.startsWith('--from=')) {
      for (const source of i.args.split(/\s+/).slice(0, -1)) {
        if (!existsSync(join(REPOSITORY_ROOT, source)))
          fail('context', `COPY source ${source} is not in the repository`, i);
        if (/^(infra|bench|data)\b|node_modules|\/dist\b/.test(source))
          fail('context', `${source} is outside the build context`, i);
      }
    }
  }
  return problems;
}

const dockerfiles = BUILT_SERVICES.map((service) => ({
  service,
  path: join(REPOSITORY_ROOT, dockerfilePath(service)),
}));

describe('Dockerfiles', () => {
  it('exist for adapter, jobs, analyze and frontend', () => {
    assert.deepEqual(BUILT_SERVICES, ['adapter', 'jobs', 'analyze', 'frontend']);
    for (const { service, path } of dockerfiles) assert.ok(existsSync(path), service);
  });

  for (const { service, path } of dockerfiles) {
    it(`${service}: multi-stage, Node 20 bookworm-slim, non-root, production dependencies, health check`, () => {
      assert.deepEqual(lint(service, readFileSync(path, 'utf8')), []);
    });
  }

  it('build from a context without modules, builds, secrets or the infrastructure', () => {
    const ignored = readFileSync(join(REPOSITORY_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of ['**/node_modules', '**/dist', '.git', 'data', 'infra'])
      assert.ok(ignored.includes(entry), entry);
  });
});

describe('the Dockerfile rules', () => {
  const adapter = readFileSync(join(REPOSITORY_ROOT, dockerfilePath('adapter')), 'utf8');

  it('catch a root user, a missing health check and a full install', () => {
    const broken = adapter
      .replace('USER node', 'USER root')
      .replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, '')
      .replace('npm ci --omit=dev', 'npm ci');
    const problems = lint('adapter', broken).map((p) => p.replace(/ \(line \d+\)/, '').split(':')[0]);
    assert.deepEqual(problems.sort(), ['DL3002/non-root', 'DL3047/healthcheck', 'production-only']);
  });

  it('catch a workspace package left out of the image', () => {
    const broken = adapter.replace('COPY packages/storage packages/storage\n', '');
    assert.deepEqual(lint('adapter', broken), ['workspace: the build stage copies packages/storage']);
  });

  it('catch ADD, cd and a relative WORKDIR', () => {
    const broken = adapter.replace(
      'WORKDIR /app\nCOPY package.json',
      'WORKDIR app\nADD x.tgz /\nRUN cd /tmp && ls\nCOPY package.json',
    );
    const problems = lint('adapter', broken).map((p) => p.split(' ')[0]);
    assert.deepEqual(problems.sort(), ['DL3000', 'DL3003', 'DL3020']);
  });
});
