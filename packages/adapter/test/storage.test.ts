import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { LocalStorage, openStorage, parseS3Url, type Storage, StorageKeyError } from '@frameproof/storage';
import { startS3, type TestS3 } from './s3-server.js';

const run = promisify(execFile);

let s3: TestS3;
let dir: string;
before(async () => {
  s3 = await startS3();
  dir = await mkdtemp(join(tmpdir(), 'frameproof-storage-'));
});
after(async () => {
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

const kinds: { name: string; make: () => Storage }[] = [
  { name: 'local folder', make: () => new LocalStorage(join(dir, 'media')) },
  { name: 'S3 (s3rver)', make: () => s3.storage('media') },
];

for (const { name, make } of kinds) {
  describe(`storage: ${name}`, () => {
    it('moves an object to another key, leaving nothing at the old one', async () => {
      const storage = make();
      await storage.put('uploads/u1', Buffer.from('the original'), 'video/quicktime');
      await storage.move('uploads/u1', 'assets/m/original/clip.mov');
      assert.equal(await storage.stat('uploads/u1'), undefined);
      assert.equal(await text(await storage.read('assets/m/original/clip.mov')), 'the original');
      await storage.deletePrefix('assets/m');
    });

    it('writes, stats, reads ranges and deletes by prefix', async () => {
      const storage = make();
      await storage.put('assets/a/original/x.mov', Buffer.from('0123456789'), 'video/quicktime');
      await storage.put(
        'assets/a/proxy/y.mp4',
        Readable.from([Buffer.from('stream'), Buffer.from('ed')]),
        'video/mp4',
      );
      const source = join(dir, 'upload.bin');
      await writeFile(source, 'from a file');
      assert.deepEqual(
        (await storage.putFile('assets/b/file.bin', source, 'application/octet-stream')).size,
        11,
      );
      assert.equal((await storage.stat('assets/a/original/x.mov'))?.size, 10);
      assert.equal(await storage.stat('assets/a/missing'), undefined);
      assert.equal(await text(await storage.read('assets/a/original/x.mov', { start: 2, end: 5 })), '2345');
      assert.equal(await text(await storage.read('assets/a/proxy/y.mp4')), 'streamed');
      await storage.deletePrefix('assets/a');
      assert.equal(await storage.stat('assets/a/original/x.mov'), undefined);
      assert.equal(await storage.stat('assets/a/proxy/y.mp4'), undefined);
      assert.equal((await storage.stat('assets/b/file.bin'))?.size, 11);
      await storage.delete('assets/b/file.bin');
      assert.equal(await storage.stat('assets/b/file.bin'), undefined);
    });

    it('refuses keys that would leave the root', async () => {
      const storage = make();
      for (const key of ['../etc/passwd', '/abs', 'a//b', 'a/./b', '']) {
        await assert.rejects(() => storage.put(key, Buffer.from('x')), StorageKeyError, key);
      }
    });

    it('gives a reader a local file or a direct URL', async () => {
      const storage = make();
      await storage.put('assets/c/x.txt', Buffer.from('hello'));
      const url = await storage.directUrl('assets/c/x.txt', 60);
      const path = storage.localPath('assets/c/x.txt');
      if (storage.kind === 's3') {
        assert.equal(path, undefined);
        assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/frameproof-media\/media\/assets\/c\/x.txt\?/);
        assert.equal(await (await fetch(url ?? '')).text(), 'hello');
      } else {
        assert.equal(url, undefined);
        assert.equal(path, join(dir, 'media', 'assets/c/x.txt'));
      }
    });
  });
}

describe('a local folder', () => {
  it('stores a file whole or not at all: a full disk leaves the earlier version and no part file', async (t) => {
    // A small tmpfs is a disk that fills up; mounting one takes root.
    const root = join(dir, 'full-media');
    await mkdir(root);
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', root]);
    } catch (err) {
      t.skip(`cannot mount a tmpfs to fill up (${(err as Error).message.split('\n')[0]})`);
      return;
    }
    t.after(() => run('umount', [root]));
    const storage = new LocalStorage(root);
    const small = join(dir, 'small.bin');
    const big = join(dir, 'big.bin');
    await writeFile(small, Buffer.alloc(16 * 1024, 1));
    await writeFile(big, Buffer.alloc(96 * 1024, 2));
    await storage.putFile('assets/a/video-proxy/video.mp4', small);
    await assert.rejects(storage.putFile('assets/a/video-proxy/video.mp4', big), { code: 'ENOSPC' });
    await assert.rejects(storage.put('assets/a/video-proxy/video.mp4', await readFile(big)), {
      code: 'ENOSPC',
    });
    assert.deepEqual(await readdir(join(root, 'assets/a/video-proxy')), ['video.mp4']);
    assert.deepEqual(await readFile(join(root, 'assets/a/video-proxy/video.mp4')), await readFile(small));
  });

  it('makes its folders readable by this user only', async () => {
    const root = join(dir, 'private-media');
    const storage = new LocalStorage(root);
    await storage.put('assets/a/original/file.mov', Buffer.from('unreleased'));
    await storage.putFile('assets/b/proxy/file.mov', join(root, 'assets/a/original/file.mov'));
    for (const folder of [root, 'assets', 'assets/a', 'assets/a/original', 'assets/b/proxy'].map((f) =>
      f === root ? f : join(root, f),
    ))
      assert.equal((await stat(folder)).mode & 0o777, 0o700, folder);
  });
});

describe('storage locations', () => {
  it('parses s3:// URLs and opens the right kind', () => {
    assert.deepEqual(parseS3Url('s3://my-bucket/some/prefix/'), {
      bucket: 'my-bucket',
      prefix: 'some/prefix',
    });
    assert.deepEqual(parseS3Url('s3://my-bucket'), { bucket: 'my-bucket', prefix: '' });
    assert.throws(() => parseS3Url('s3://'));
    assert.equal(openStorage('s3://bucket-1/p', { S3_ENDPOINT: s3.endpoint }).kind, 's3');
    assert.equal(openStorage('/tmp/media').kind, 'local');
  });
});
