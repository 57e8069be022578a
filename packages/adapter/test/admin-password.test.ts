import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { announceAdminPassword } from '../src/admin-password.js';

test('a generated admin password reaches a terminal, or a private file, never a collected log', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'frameproof-admin-'));
  try {
    const printed: string[] = [];
    const write = (text: string) => printed.push(text);
    assert.equal(await announceAdminPassword('s3cret-pass', { isTTY: true, write, dataDir: dir }), undefined);
    assert.match(printed.join(''), /password: s3cret-pass/);

    printed.length = 0;
    const dataDir = join(dir, 'data');
    const file = await announceAdminPassword('s3cret-pass', { isTTY: false, write, dataDir });
    assert.deepEqual(printed, [], 'nothing printed where logs are collected');
    assert.ok(file);
    assert.equal(await readFile(file, 'utf8'), 's3cret-pass\n');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
