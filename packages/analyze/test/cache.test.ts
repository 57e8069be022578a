import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DiskCache, entryName, SingleFlight } from '../src/cache.js';
import { memoryLogger, tempDir } from './helpers.js';

const DAY = 86_400_000;

async function cacheIn(dir: string, maxBytes = 1000, now = () => Date.now()) {
  const log = memoryLogger();
  const cache = new DiskCache({ dir, maxBytes, maxAgeMs: 5 * DAY, log, now, sweepIntervalMs: 0 });
  await cache.init();
  return { cache, log };
}

const put = (cache: DiskCache, name: string, text: string) =>
  cache.put(name, (tmp) => writeFile(tmp, text), text.length);

test('entries are written atomically, read back, and named per asset track', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const { cache } = await cacheIn(dir);
  const name = entryName('asset/1/file', 'levels.bin');
  assert.match(name, /^[0-9a-f]{32}\/levels\.bin$/);
  assert.equal(await cache.get(name), undefined);
  const path = await put(cache, name, 'hello');
  assert.equal(path, join(dir, name));
  assert.equal(await readFile(path as string, 'utf8'), 'hello');
  assert.equal(await cache.get(name), path);
  assert.deepEqual(cache.stats(), { dir, entries: 1, bytes: 5, maxBytes: 1000 });
});

test('over the size cap, the least recently used entries go first', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  let clock = 1_000_000;
  const { cache } = await cacheIn(dir, 300, () => clock);
  for (const n of ['a', 'b', 'c']) {
    clock += 10;
    await put(cache, `g/${n}`, 'x'.repeat(100));
  }
  clock += 10;
  assert.ok(await cache.get('g/a')); // a is now the most recently used
  clock += 10;
  await put(cache, 'g/d', 'x'.repeat(100));
  assert.ok(cache.has('g/a'));
  assert.equal(cache.has('g/b'), false, 'b was least recently used');
  await assert.rejects(access(join(dir, 'g/b')));
  assert.ok(cache.has('g/c') && cache.has('g/d'));
  assert.equal(cache.stats().bytes, 300);
});

test('an entry larger than the whole cache is not kept, and says so', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const { cache, log } = await cacheIn(dir, 10);
  assert.equal(await put(cache, 'g/big', 'x'.repeat(50)), undefined);
  assert.equal(cache.has('g/big'), false);
  assert.ok(log.lines.some((l) => l.level === 'warn'));
});

test('entries expire after the configured days, on read and on sweep', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  let clock = Date.now();
  const { cache } = await cacheIn(dir, 1000, () => clock);
  await put(cache, 'g/old', 'old');
  clock += 2 * DAY;
  await put(cache, 'g/new', 'new');
  clock += 3 * DAY + 1; // old: 5 days + 1 ms; new: 3 days
  assert.equal(await cache.get('g/old'), undefined);
  await assert.rejects(access(join(dir, 'g/old')));
  assert.ok(await cache.get('g/new'));
  clock += 2 * DAY;
  assert.equal(await cache.sweep(), 1);
  assert.equal(cache.stats().entries, 0);
});

test('a restarted service finds earlier entries, drops expired ones and unfinished writes', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const { cache: before } = await cacheIn(dir);
  await put(before, 'g/fresh', 'abc');
  await put(before, 'g/stale', 'abc');
  await writeFile(join(dir, 'g/partial.123.tmp'), 'abc');
  const sixDaysAgo = new Date(Date.now() - 6 * DAY);
  await utimes(join(dir, 'g/stale'), sixDaysAgo, sixDaysAgo);
  const { cache } = await cacheIn(dir);
  assert.ok(cache.has('g/fresh'));
  assert.equal(cache.has('g/stale'), false);
  await assert.rejects(access(join(dir, 'g/stale')));
  await assert.rejects(access(join(dir, 'g/partial.123.tmp')));
  assert.equal(cache.stats().bytes, 3);
});

test('an unwritable cache folder: put answers undefined and logs, nothing throws', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const file = join(dir, 'not-a-folder');
  await writeFile(file, '');
  const { cache, log } = await cacheIn(join(file, 'cache'));
  assert.ok(log.lines.some((l) => l.level === 'warn' && /unusable/.test(l.msg)));
  assert.equal(await put(cache, 'g/x', 'data'), undefined);
  assert.ok(log.lines.some((l) => l.level === 'warn' && /could not write/.test(l.msg)));
});

test('a write that fails late leaves the size accounting right', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const { cache } = await cacheIn(dir, 100);
  await put(cache, 'g/a', 'x'.repeat(60));
  // Bigger than announced, and than the cache: refused after writing.
  assert.equal(await cache.put('g/big', (tmp) => writeFile(tmp, 'x'.repeat(200)), 50), undefined);
  await put(cache, 'g/b', 'x'.repeat(60));
  assert.ok(cache.stats().bytes <= 100, `${cache.stats().bytes} bytes`);
  assert.equal(cache.has('g/a'), false);
});

test('a failing writer leaves nothing behind', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const { cache } = await cacheIn(dir);
  const path = await cache.put('g/x', async (tmp) => {
    await writeFile(tmp, 'half');
    throw new Error('disk full');
  });
  assert.equal(path, undefined);
  assert.equal(cache.stats().entries, 0);
  assert.deepEqual(await readdir(join(dir, 'g')), []);
});

test('identical computations in flight run once', async () => {
  const flights = new SingleFlight();
  let runs = 0;
  const work = () =>
    flights.run('k', async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      return 42;
    });
  assert.deepEqual(await Promise.all([work(), work(), work()]), [42, 42, 42]);
  assert.equal(runs, 1);
  assert.equal(flights.size, 0);
  await work();
  assert.equal(runs, 2, 'a finished computation is not remembered');
});

test('a corrupt or truncated entry is dropped, never served, whether found at start or later', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const { cache } = await cacheIn(dir);
  for (const n of ['flipped', 'cut', 'later']) assert.ok(await put(cache, `g/${n}`, 'peaks-'.repeat(10)), n);
  const flip = async (name: string) => {
    const bytes = await readFile(join(dir, name));
    bytes[5] = (bytes[5] ?? 0) ^ 0xff; // same size, one byte changed
    await writeFile(join(dir, name), bytes);
  };
  await flip('g/flipped');
  await writeFile(join(dir, 'g/cut'), 'peaks-'); // cut short, as by a crash or a full disk

  // A new process finds them.
  const { cache: again, log } = await cacheIn(dir);
  assert.equal(await again.get('g/flipped'), undefined, 'a changed byte is caught by the checksum');
  assert.equal(await again.get('g/cut'), undefined, 'a short file is caught by its size');
  assert.deepEqual((await readdir(join(dir, 'g'))).sort(), ['later', 'later.sum']);
  assert.ok(log.lines.filter((l) => l.level === 'warn').length >= 2);

  // Served once (and checked), then damaged behind the cache's back: caught by its size.
  assert.ok(await again.get('g/later'));
  await writeFile(join(dir, 'g/later'), 'x');
  assert.equal(await again.get('g/later'), undefined);
  assert.equal(again.has('g/later'), false, 'and forgotten, so the caller computes it again');
});
