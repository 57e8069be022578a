import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { uploadFingerprint } from '@frameproof/client';
import { DEFAULT_PART_BYTES } from '@frameproof/core';
import { startS3, type TestS3 } from '../support/s3.js';
import { flakyHop } from './hop.js';
import { ROOT } from './npm-start.js';
import { builtServices, entryArgs, makeClip, Stack } from './stack.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npx frameproof ARGS` as a user runs it from the repository (the bin runs the sources through
 * tsx); after `npm test`'s build, the built command itself (see `entryArgs`), unless `viaBin`.
 */
function frameproof(args: string[], env: NodeJS.ProcessEnv, stdin = '', viaBin = false): Promise<Run> {
  const command =
    builtServices && !viaBin
      ? entryArgs('packages/cli/src/main.ts')
      : [join(ROOT, 'packages/cli/bin/frameproof.js')];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...command, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const lines = (run: Run) =>
  run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the frameproof command, against the stack as processes', () => {
  let stack: Stack;
  let hop: Awaited<ReturnType<typeof flakyHop>>;
  // What `before` got to start, so that `after` stops it even when `before` failed half-way.
  const started: { stack?: Stack; hop?: Server } = {};
  let env: NodeJS.ProcessEnv;
  before(async () => {
    stack = started.stack = await Stack.start();
    stack.startWorker();
    hop = await flakyHop(stack.port);
    started.hop = hop.server;
    env = { FRAMEPROOF_CONFIG_DIR: join(stack.dir, 'config') };
  });
  after(async () => {
    started.hop?.close();
    await started.stack?.close();
  });

  it('signs in with the password on stdin and keeps the session readable by the user only', async () => {
    const run = await frameproof(
      ['login', hop.url, '--user', 'admin', '--password-stdin'],
      env,
      'e2e-admin-password\n',
      true,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Signed in to .* as admin \(admin\)/);
    const session = await stat(join(stack.dir, 'config', 'session.json'));
    assert.equal(session.mode & 0o777, 0o600);
    const wrong = await frameproof(['login', hop.url, '-u', 'admin', '--password-stdin'], env, 'nope\n');
    assert.equal(wrong.code, 3);
    assert.match(wrong.stderr, /wrong username or password for admin/);
  });

  it('says clearly what is wrong with a missing file or a refused token, with a non-zero exit', async () => {
    const missing = await frameproof(['upload', join(stack.dir, 'no-such-episode.mxf')], env);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /no such file or folder: .*no-such-episode\.mxf\n {2}check the path; nothing was uploaded/,
    );

    const other = { FRAMEPROOF_CONFIG_DIR: join(stack.dir, 'config-bad') };
    await mkdir(other.FRAMEPROOF_CONFIG_DIR);
    await writeFile(
      join(other.FRAMEPROOF_CONFIG_DIR, 'session.json'),
      JSON.stringify({ url: hop.url, username: 'admin', accessToken: 'forged', refreshToken: 'forged' }),
    );
    const refused = await frameproof(['assets', 'list'], other);
    assert.equal(refused.code, 3);
    assert.match(
      refused.stderr,
      /the session has expired or was signed out\n {2}sign in again: frameproof login/,
    );
    const json = await frameproof(['--json', 'assets', 'list'], other);
    assert.equal(json.code, 3);
    assert.deepEqual(lines(json).at(-1), {
      error: 'the session has expired or was signed out',
      hint: 'sign in again: frameproof login',
    });
  });

  it('uploads two files, one interrupted and then resumed where it stopped, and follows ingest', async () => {
    const small = await makeClip(join(stack.dir, 'a-small.mp4'), { seconds: 1 });
    const big = await makeClip(join(stack.dir, 'b-big.mp4'), { seconds: 4, size: '1280x720' });
    const bigSize = (await stat(big)).size;
    const smallSize = (await stat(small)).size;
    assert.ok(bigSize > 2 * 1024 * 1024, `the big clip is ${bigSize} bytes`);

    // The network goes away half-way through the second file.
    hop.cutAfter(smallSize + bigSize / 2);
    const first = await frameproof(['--json', 'upload', small, big, '--chunk-size', '1'], env);
    assert.notEqual(first.code, 0, first.stdout);
    const failure = lines(first).at(-1) as { error: string; hint: string };
    assert.match(failure.error, /uploading b-big\.mp4 was interrupted/);
    assert.equal(failure.hint, 'run the same command again to resume where it stopped');
    assert.ok(lines(first).some((l) => l.event === 'uploaded' && String(l.file).endsWith('a-small.mp4')));

    hop.restore();
    const second = await frameproof(['--json', 'upload', small, big, '--chunk-size', '1'], env);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    const events = lines(second);
    assert.ok(
      events.some((l) => l.event === 'skipped' && String(l.file).endsWith('a-small.mp4')),
      second.stdout,
    );
    const resume = events.find((l) => l.event === 'resume') as { offset: number } | undefined;
    assert.ok(resume && resume.offset > 0 && resume.offset < bigSize, JSON.stringify(resume));
    const progress = events.filter((l) => l.event === 'progress').map((l) => l.bytes as number);
    assert.ok(Math.min(...progress) >= resume.offset, 'the second run sent only what was missing');
    assert.ok(
      events.some((l) => l.event === 'job' && l.type === 'probe'),
      'it followed ingest step by step',
    );
    const result = events.at(-1) as { items: { file: string; assetId: string; status: string }[] };
    assert.deepEqual(
      result.items.map((i) => i.status),
      ['ready', 'ready'],
    );
    const stored = await stack.client.getAsset(result.items[1]?.assetId ?? '');
    assert.equal(stored.shapes.find((s) => s.type === 'original')?.files[0]?.size, bigSize);
  });

  it('lists, searches and shows assets, and lists jobs', async () => {
    const list = await frameproof(['--json', 'assets', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    const items = (JSON.parse(list.stdout) as { items: { id: string; title: string }[] }).items;
    assert.equal(items.length, 2);
    const text = await frameproof(['assets', 'list'], env);
    assert.match(text.stdout, /^ID +STATUS +QC +TITLE\n/);
    const search = await frameproof(['--json', 'assets', 'search', 'b-big'], env);
    assert.deepEqual(
      (JSON.parse(search.stdout) as { items: { title: string }[] }).items.map((a) => a.title),
      items.filter((a) => a.title.includes('b-big')).map((a) => a.title),
    );
    const id = items[0]?.id ?? '';
    const show = await frameproof(['assets', 'show', id], env);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /status: ready/);
    assert.match(show.stdout, /frame rate: 25\/1/);
    const jobs = await frameproof(['--json', 'jobs', 'list', '--asset', id], env);
    assert.ok(
      (JSON.parse(jobs.stdout) as { items: { type: string }[] }).items.some((j) => j.type === 'probe'),
    );
    const watch = await frameproof(['--json', 'jobs', 'watch', id], env);
    assert.equal(watch.code, 0, watch.stderr);
    assert.deepEqual(lines(watch).at(-1), { assetId: id, status: 'ready' });
    const unknown = await frameproof(['assets', 'show', '00000000-0000-4000-8000-000000000000'], env);
    assert.equal(unknown.code, 4);
    assert.match(unknown.stderr, /not found/);
  });

  it('exports markers as CSV and imports them into another asset; the JSON export parses back', async () => {
    const assets = (
      JSON.parse((await frameproof(['--json', 'assets', 'list'], env)).stdout) as {
        items: { id: string; title: string }[];
      }
    ).items;
    // From the 1 s clip to the 4 s one, where every marker fits.
    const from = assets.find((a) => a.title.includes('a-small'))?.id ?? '';
    const to = assets.find((a) => a.title.includes('b-big'))?.id ?? '';
    const csvFile = join(stack.dir, 'markers.csv');
    const exported = await frameproof(['markers', 'export', from, '--format', 'csv', '-o', csvFile], env);
    assert.equal(exported.code, 0, exported.stderr);
    const before = (await stack.client.listMarkers(to)).items.length;
    const rows = (await stack.client.listMarkers(from)).items.length;
    const imported = await frameproof(['--json', 'markers', 'import', to, csvFile], env);
    assert.equal(imported.code, 0, imported.stdout + imported.stderr);
    assert.equal((JSON.parse(imported.stdout) as { items: unknown[] }).items.length, rows);
    assert.equal((await stack.client.listMarkers(to)).items.length, before + rows);
    const json = await frameproof(['markers', 'export', to, '--format', 'json'], env);
    assert.equal(json.code, 0, json.stderr);
    assert.ok(JSON.parse(json.stdout));
    const missing = await frameproof(['markers', 'import', to, join(stack.dir, 'none.csv')], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file: .*none\.csv/);
  });

  it('creates a user, sets the role, resets the password, disables them', async () => {
    const created = await frameproof(
      ['users', 'create', 'ana', '--role', 'reviewer', '--password-stdin'],
      env,
      'ana-password-1\n',
    );
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /Created ana \(reviewer\)/);
    const role = await frameproof(['users', 'role', 'ana', 'editor'], env);
    assert.match(role.stdout, /ana \(editor\)/);
    const badRole = await frameproof(['users', 'role', 'ana', 'boss'], env);
    assert.equal(badRole.code, 2);
    assert.match(badRole.stderr, /no role named boss/);
    const reset = await frameproof(
      ['users', 'reset-password', 'ana', '--password-stdin'],
      env,
      'ana-password-2\n',
    );
    assert.equal(reset.code, 0, reset.stderr);
    const anaEnv = { FRAMEPROOF_CONFIG_DIR: join(stack.dir, 'config-ana') };
    const anaLogin = await frameproof(
      ['login', hop.url, '-u', 'ana', '--password-stdin'],
      anaEnv,
      'ana-password-2\n',
    );
    assert.equal(anaLogin.code, 0, anaLogin.stderr);
    const disabled = await frameproof(['users', 'disable', 'ana'], env);
    assert.match(disabled.stdout, /ana \(editor, disabled\)/);
    const refused = await frameproof(
      ['login', hop.url, '-u', 'ana', '--password-stdin'],
      anaEnv,
      'ana-password-2\n',
    );
    assert.equal(refused.code, 3);
    const forbidden = await frameproof(['users', 'list'], anaEnv);
    assert.notEqual(forbidden.code, 0);
  });

  it('lets two commands refresh one saved session at once, without ending it', async () => {
    // Both start with an access token the adapter refuses, so both trade the refresh token in.
    const file = join(stack.dir, 'config', 'session.json');
    const saved = JSON.parse(await readFile(file, 'utf8')) as { accessToken: string; refreshToken: string };
    await writeFile(file, JSON.stringify({ ...saved, accessToken: 'refused' }), { mode: 0o600 });
    const both = await Promise.all([frameproof(['assets', 'list'], env), frameproof(['jobs', 'list'], env)]);
    for (const run of both) assert.equal(run.code, 0, run.stderr);
    const now = JSON.parse(await readFile(file, 'utf8')) as { refreshToken: string };
    assert.notEqual(now.refreshToken, saved.refreshToken, 'traded in once, and saved');
    assert.ok(!existsSync(`${file}.lock`), 'the lock is gone');
    // Not taken for a replay: the session (and its refresh token) still work.
    await writeFile(file, JSON.stringify({ ...now, accessToken: 'refused' }), { mode: 0o600 });
    const later = await frameproof(['assets', 'list'], env);
    assert.equal(later.code, 0, later.stderr);
  });

  it('signs out and forgets the session', async () => {
    const run = await frameproof(['logout'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Signed out of/);
    const after = await frameproof(['assets', 'list'], env);
    assert.equal(after.code, 3);
    assert.match(after.stderr, /not signed in\n {2}sign in first: frameproof login/);
  });
});

describe('the frameproof command, uploading straight to S3 (the S3-protocol test server)', () => {
  const started: { stack?: Stack; s3?: TestS3 } = {};
  let stack: Stack;
  let s3: TestS3;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    s3 = started.s3 = await startS3();
    stack = started.stack = await Stack.start({
      adapterEnv: {
        STORAGE_URL: `s3://${s3.bucket}/media`,
        S3_ENDPOINT: s3.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
      },
    });
    env = { FRAMEPROOF_CONFIG_DIR: join(stack.dir, 'config') };
    const login = await frameproof(
      ['login', stack.client.baseUrl, '--user', 'admin', '--password-stdin'],
      env,
      'e2e-admin-password\n',
    );
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await started.stack?.close();
    await started.s3?.close();
  });

  it('sends the file to the bucket, not through tus, resuming from the parts an earlier run reported', async () => {
    // Given two parts and a short third, of which an earlier run sent and reported the first
    const path = join(stack.dir, 'reel.mov');
    const data = randomBytes(2 * DEFAULT_PART_BYTES + 4321);
    await writeFile(path, data);
    const earlier = await stack.client.createDirectUpload({ fileName: 'reel.mov', size: data.length });
    const { parts } = await stack.client.signParts(earlier.id, [1]);
    const put = await fetch(parts[0]?.url ?? '', {
      method: 'PUT',
      body: data.subarray(0, DEFAULT_PART_BYTES),
    });
    await stack.client.reportPart(earlier.id, 1, put.headers.get('etag') ?? '');
    const file = {
      blob: new Blob([data]),
      name: 'reel.mov',
      lastModified: Math.trunc((await stat(path)).mtimeMs),
    };
    await mkdir(env.FRAMEPROOF_CONFIG_DIR ?? '', { recursive: true });
    await writeFile(
      join(env.FRAMEPROOF_CONFIG_DIR ?? '', 'direct-uploads.json'),
      JSON.stringify({ [uploadFingerprint(stack.client.baseUrl, file)]: earlier.id }),
    );

    // When the command uploads it
    const run = await frameproof(['--json', 'upload', path, '--no-wait'], env);

    // Then it resumed after the first part, sent the rest to the bucket, and the asset has every byte
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const events = lines(run);
    assert.deepEqual(
      events.filter((l) => l.event === 'resume').map((l) => l.offset),
      [DEFAULT_PART_BYTES],
    );
    const uploaded = events.find((l) => l.event === 'uploaded') as { assetId: string; via: string };
    assert.equal(uploaded.via, 'direct');
    const asset = await stack.client.getAsset(uploaded.assetId);
    const original = asset.shapes.find((s) => s.type === 'original')?.files[0];
    assert.equal(original?.size, data.length);
    const stored = await s3.storage('media').stat(`assets/${asset.id}/original/reel.mov`);
    assert.equal(stored?.size, data.length, 'the original is in the bucket under the asset');
    await assert.rejects(stack.client.getDirectUpload(earlier.id), /404|not found/i, 'the upload is done');
  });
});
