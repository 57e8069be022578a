import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { access, chown, constants, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureExecutable, locateFfmpeg } from '../src/ffmpeg-binary.js';
import { createLogger } from '../src/logger.js';

/** A stand-in ffmpeg: answers the capability questions like an ffmpeg 4 build would. */
const FAKE_FFMPEG = `#!/bin/sh
case "$2" in
  -version) echo "ffmpeg version 4.9-fake Copyright (c) 2000-2024";;
  -filters) echo " TS. bwdif             V->V       Deinterlace the input image.";;
  -h) echo "-vsync              video sync method";;
esac
`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'frameproof-bin-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function script(name: string, mode = 0o644): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, FAKE_FFMPEG, { mode });
  return path;
}
const canRun = (path: string) =>
  access(path, constants.X_OK).then(
    () => true,
    () => false,
  );

describe('ensureExecutable', () => {
  it('sets the execute bit on a binary we own', async () => {
    const path = await script('own-ffmpeg');
    assert.equal(await canRun(path), false);
    assert.equal(await ensureExecutable(path), path);
    assert.equal(await canRun(path), true);
  });

  it('runs a private copy of a binary that is not ours', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to give the file away');
    const path = await script('their-ffmpeg');
    await chown(path, 4321, 4321);
    const copies = join(dir, 'copies');
    await mkdir(copies);
    const copy = await ensureExecutable(path, copies);
    assert.equal(copy, join(copies, 'their-ffmpeg'));
    assert.equal(await canRun(copy), true);
    assert.equal((await stat(path)).mode & 0o777, 0o644, 'the original is left alone');
  });
});

describe('locateFfmpeg', () => {
  it('takes FFMPEG_PATH and FFPROBE_PATH first, and asks the binary what it can do', async () => {
    const ffmpeg = await script('env-ffmpeg');
    const lines: string[] = [];
    const found = await locateFfmpeg({
      env: { FFMPEG_PATH: ffmpeg, FFPROBE_PATH: '/usr/bin/ffprobe' },
      log: createLogger('info', (line) => lines.push(line)),
    });
    assert.deepEqual(found.source, { ffmpeg: 'env', ffprobe: 'env' });
    assert.deepEqual(found.capabilities, { version: '4.9-fake', scdet: false, fpsMode: false });
    const logged = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    assert.equal(logged.msg, 'ffmpeg found');
    assert.equal(logged.version, '4.9-fake');
    assert.equal(logged.ffmpeg, ffmpeg);
  });

  it('prefers the system ffmpeg, which has scdet and -fps_mode', async () => {
    const found = await locateFfmpeg({ env: {}, npmPaths: () => ({}) });
    assert.deepEqual([found.ffmpeg, found.source.ffmpeg], ['/usr/bin/ffmpeg', 'system']);
    assert.equal(found.capabilities.scdet, true);
    assert.equal(found.capabilities.fpsMode, true);
  });

  it('falls back to the npm-shipped binaries', async (t) => {
    const npm = join(process.cwd(), 'node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
    if (!existsSync(npm)) return t.skip('no npm ffmpeg on this platform');
    const empty = join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    const found = await locateFfmpeg({ env: {}, systemDir: empty });
    assert.deepEqual(found.source, { ffmpeg: 'npm', ffprobe: 'npm' });
    assert.match(found.ffmpeg, /@ffmpeg-installer/);
    assert.deepEqual([found.capabilities.scdet, found.capabilities.fpsMode], [false, false]);
  });

  it('says what to do when there is no ffmpeg at all', async () => {
    await assert.rejects(
      locateFfmpeg({ env: {}, systemDir: join(dir, 'nowhere'), npmPaths: () => ({}) }),
      /no ffmpeg found: set FFMPEG_PATH/,
    );
  });
});
