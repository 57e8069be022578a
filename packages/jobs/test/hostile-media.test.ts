/**
 * Hostile media, a standing suite. Every file is made here (nothing binary is committed) and
 * goes through the jobs worker's real ingest steps (the processors, LocalTranscoder, the
 * system's ffmpeg and ffprobe) as an uploaded original under its own asset's keys.
 *
 * Files that name other files or hosts (HLS playlists, ffconcat lists, with local paths, http,
 * `subfile:` and `data:` URLs), archives and web pages dressed as video, and headers that
 * declare absurd pictures or durations must each fail for good with a clear reason, at probe
 * and also in every later step that ffmpeg would run if the probe were skipped. Meanwhile:
 * - an HTTP server that counts every request it gets must get none;
 * - a canary outside the asset's keys (a valid video, so following a reference would work,
 *   carrying a token of its own) must never show up in any output, error or stored file;
 * - nothing may be written outside the asset's keys.
 * Files with odd names (shell, option, protocol and pattern characters, Unicode, control
 * characters) go through the whole ingest and succeed, their names never read as anything but
 * the one file; a key that climbs out of the storage is refused for good.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  DEFAULT_LOUDNESS_TARGET,
  type JobPayload,
  type JobResult,
  type JobType,
  type TechnicalMetadata,
  assetKeys,
} from '@frameproof/core';
import { LocalStorage } from '@frameproof/storage';
import { type ProcessorTable, createProcessors } from '../src/processors/index.js';
import { isRetryable } from '../src/runner.js';
import { LocalTranscoder } from '../src/transcoder.js';
import { compliantAudio, ffmpeg, systemRunner } from './helpers.js';

const TOKEN = `CANARY-${randomBytes(8).toString('hex')}`;

let root: string;
let storage: LocalStorage;
let processors: ProcessorTable;
/** A valid MPEG-TS video outside the storage, tagged with TOKEN: what a reference would read. */
let canary: string;
/** A valid MOV, the body of the files with odd names. */
let good: Buffer;
/** The good file's probe: given to later steps as if a hostile file had passed its probe. */
let forged: TechnicalMetadata;
let server: Server;
let base: string;
const requests: string[] = [];
/** Every error message and result the steps gave, searched for the canary's token. */
const seen: string[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'frameproof-hostile-'));
  storage = new LocalStorage(join(root, 'storage'));
  await mkdir(storage.root);
  canary = join(root, 'canary.ts');
  await ffmpeg(
    ...['-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=25:d=1', '-f', 'lavfi', '-i', 'sine=d=1'],
    ...['-c:v', 'libx264', '-c:a', 'aac', '-metadata', `title=${TOKEN}`, '-f', 'mpegts', canary],
  );
  const goodPath = join(root, 'good.mov');
  await ffmpeg(
    ...['-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=25:d=1', '-f', 'lavfi', '-i', 'sine=d=1'],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', goodPath],
  );
  good = await readFile(goodPath);
  // Serves the canary to anyone who asks, so a followed reference would succeed; counts asks.
  const canaryBody = await readFile(canary);
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'video/mp2t' }).end(canaryBody);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { runner, capabilities } = await systemRunner();
  processors = createProcessors(new LocalTranscoder(runner, capabilities), { audioMeasurer: compliantAudio });
  const { assetId, key } = await upload('good.mov', good);
  forged = (await step('probe', assetId, key, {})).technical as TechnicalMetadata;
  await storage.deletePrefix(assetKeys(assetId).prefix);
});

after(async () => {
  await new Promise((r) => server.close(r));
  await rm(root, { recursive: true, force: true });
});

let assets = 0;

/** A new asset holding `body` as its original, named `name`. */
async function upload(name: string, body: Buffer | string) {
  const assetId = `hostile-${++assets}`;
  const keys = assetKeys(assetId);
  const key = keys.original(name);
  await mkdir(dirname(storage.path(key)), { recursive: true });
  await writeFile(storage.path(key), body);
  return { assetId, keys, key };
}

/** Runs one step of asset `assetId` as the runner does: its own scratch folder, its outputs under the asset. */
async function step<T extends JobType>(
  type: T,
  assetId: string,
  key: string,
  extra: Omit<JobPayload<T>, 'assetId' | 'outputPrefix' | 'source'>,
): Promise<JobResult> {
  const tmpDir = await mkdtemp(join(root, 'scratch-'));
  const processor = processors[type] as (ctx: unknown) => Promise<JobResult>;
  try {
    const result = await processor({
      payload: { ...extra, assetId, source: { key }, outputPrefix: assetKeys(assetId).outputs(type) },
      storage,
      tmpDir,
      signal: new AbortController().signal,
      reportProgress: () => undefined,
    });
    seen.push(JSON.stringify(result));
    return result;
  } catch (err) {
    seen.push(err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

/** Fails for good (the runner will not try again) with a message matching `reason`. */
async function failsForGood(work: Promise<unknown>, reason: RegExp) {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.equal(isRetryable(err), false, `would be retried: ${err.message}`);
    assert.match(err.message, reason);
    return true;
  });
}

/** The keys in the storage, and the asset's own. */
async function storedKeys(): Promise<string[]> {
  const entries = await readdir(storage.root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(storage.root, join(e.parentPath, e.name)).split('\\').join('/'));
}

/** Every step after the probe, given the probe's (or a forged) technical metadata. */
function laterSteps(assetId: string, key: string, technical: TechnicalMetadata) {
  const audio = technical.audio[0];
  return [
    () => step('video-proxy', assetId, key, { technical, maxHeight: 90 }),
    ...(audio
      ? [() => step('audio-proxy', assetId, key, { technical, track: audio.track, streamIndex: audio.index })]
      : []),
    () => step('thumbnails', assetId, key, { technical, spriteIntervalSeconds: 1 }),
    () => step('auto-qc', assetId, key, { technical, loudnessTarget: DEFAULT_LOUDNESS_TARGET }),
  ];
}

// --- The corpus: each entry makes its file's bytes once the canary and the server exist. ---

const hls = (...uris: string[]) =>
  `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n${uris.map((u) => `#EXTINF:1.0,\n${u}\n`).join('')}#EXT-X-ENDLIST\n`;
const ffconcat = (...uris: string[]) =>
  `ffconcat version 1.0\n${uris.map((u) => `file '${u}'\nduration 1\n`).join('')}`;
const dataUrl = () => readFile(canary).then((b) => `data:video/mp2t;base64,${b.toString('base64')}`);
/** The canary as the playlist's folder sees it: climbing out of the asset's keys. */
const climb = (name: string) =>
  relative(dirname(storage.path(assetKeys('hostile-x').original(name))), canary);

/** A zip archive of `files`, stored (not compressed), as `zip` would write it. */
function zip(files: Record<string, Buffer>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, body] of Object.entries(files)) {
    const nameBytes = Buffer.from(name);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(10, 4);
    head.writeUInt32LE(crc32(body), 14);
    head.writeUInt32LE(body.length, 18);
    head.writeUInt32LE(body.length, 22);
    head.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(10, 6);
    central.writeUInt32LE(crc32(body), 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(body.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(head, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += head.length + nameBytes.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A ustar archive of `files`, as `tar` would write it. */
function tar(files: Record<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, body] of Object.entries(files)) {
    const head = Buffer.alloc(512);
    head.write(name, 0);
    head.write('0000644\0', 100);
    head.write('0000000\0', 108);
    head.write('0000000\0', 116);
    head.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    head.write('00000000000\0', 136);
    head.write('        ', 148);
    head.write('0', 156);
    head.write('ustar\x0000', 257);
    let sum = 0;
    for (const byte of head) sum += byte;
    head.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    parts.push(head, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}

/** A MOV of raw 16x16 UYVY frames (no decoder to second-guess the header), then patched. */
async function rawMov(patch: (bytes: Buffer) => void): Promise<Buffer> {
  const path = join(root, `raw-${randomBytes(4).toString('hex')}.mov`);
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=16x16:r=25:d=1',
    '-c:v',
    'rawvideo',
    '-pix_fmt',
    'uyvy422',
    path,
  );
  const bytes = await readFile(path);
  await rm(path);
  patch(bytes);
  return bytes;
}

/** The sample entry's width and height (QuickTime visual sample description). */
function setPictureSize(bytes: Buffer, width: number, height: number) {
  const entry = bytes.indexOf('stsd') + 12;
  bytes.writeUInt16BE(width, entry + 32);
  bytes.writeUInt16BE(height, entry + 34);
}

/** Movie and track durations of 2^32 - 16 seconds (136 years). */
function setAbsurdDuration(bytes: Buffer) {
  for (const box of ['mvhd', 'mdhd']) {
    const at = bytes.indexOf(box);
    bytes.writeUInt32BE(1, at + 16); // timescale: 1 per second
    bytes.writeUInt32BE(0xfffffff0, at + 20);
  }
}

interface Hostile {
  name: string;
  body: () => Promise<Buffer | string> | Buffer | string;
  /** What the probe's error must say. */
  reason: RegExp;
  /**
   * The file names other files or hosts: ffmpeg must refuse it by itself too, in a later step
   * run as if the probe had passed (every step builds its input arguments the same way, which
   * the core's unit tests check).
   */
  references?: boolean;
}

const REFUSED = (format: string) => new RegExp(`not in an accepted media format \\(${format}\\)`);

const CORPUS: Hostile[] = [
  { name: 'local.m3u8', body: () => hls(`file:${canary}`), reason: REFUSED('hls'), references: true },
  { name: 'bare-path.mp4', body: () => hls(canary), reason: REFUSED('hls'), references: true },
  { name: 'climbing.mov', body: () => hls(climb('climbing.mov')), reason: REFUSED('hls'), references: true },
  { name: 'remote.m3u8', body: () => hls(`${base}/seg.ts`), reason: REFUSED('hls'), references: true },
  {
    name: 'master.mp4',
    body: () => `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\n${base}/variant.m3u8\n`,
    reason: REFUSED('hls'),
    references: true,
  },
  {
    name: 'subfile.mov',
    body: () => hls(`subfile,,start,0,end,0,,:${canary}`),
    reason: REFUSED('hls'),
    references: true,
  },
  { name: 'data.m3u8', body: async () => hls(await dataUrl()), reason: REFUSED('hls'), references: true },
  { name: 'concat-local.mov', body: () => ffconcat(canary), reason: REFUSED('concat'), references: true },
  {
    name: 'concat-climbing.mp4',
    body: () => ffconcat(climb('concat-climbing.mp4')),
    reason: REFUSED('concat'),
    references: true,
  },
  {
    name: 'concat-remote.mov',
    body: () => ffconcat(`${base}/seg.ts`),
    reason: REFUSED('concat'),
    references: true,
  },
  {
    name: 'concat-subfile.mp4',
    body: () => ffconcat(`subfile,,start,0,end,0,,:${canary}`),
    reason: REFUSED('concat'),
    references: true,
  },
  {
    name: 'concat-data.mov',
    body: async () => ffconcat(await dataUrl()),
    reason: REFUSED('concat'),
    references: true,
  },
  {
    name: 'archive.zip.mp4',
    body: async () => zip({ 'inside.ts': await readFile(canary) }),
    reason: /the file is a zip archive, not media/,
  },
  {
    name: 'archive.tar.mov',
    body: async () => tar({ 'inside.ts': await readFile(canary) }),
    reason: /the file is a tar archive, not media/,
  },
  {
    name: 'page.html.mp4',
    body: () =>
      `<!doctype html><html><head><script>fetch('${base}/xss')</script></head>` +
      `<body><video src="${base}/v.mp4"></video><img src="file://${canary}"></body></html>\n`,
    reason: /the file is a web page or other markup, not media/,
    references: true,
  },
  {
    name: 'huge-picture.mov',
    body: () => rawMov((b) => setPictureSize(b, 12000, 12000)),
    reason: /width 12000 px is over the limit of 8192 px; .*height 12000 px is over the limit of 8192 px/,
  },
  {
    name: 'impossible-picture.y4m.mov',
    body: () => 'YUV4MPEG2 W60000 H60000 F25:1 Ip A1:1 C420jpeg\nFRAME\n' + 'x'.repeat(4096),
    reason: /picture size 60000x60000 is invalid/,
  },
  {
    name: 'absurd-duration.mov',
    body: () => rawMov(setAbsurdDuration),
    reason: /duration 4294967280 s is over the limit of 86400 s/,
  },
];

describe('hostile media at ingest', () => {
  for (const hostile of CORPUS) {
    it(`refuses ${hostile.name} for good, by itself`, async () => {
      const { assetId, keys, key } = await upload(hostile.name, await hostile.body());
      await failsForGood(step('probe', assetId, key, {}), hostile.reason);
      // The probe is not the only guard: ffmpeg itself refuses to follow what the file names.
      if (hostile.references)
        await failsForGood(step('video-proxy', assetId, key, { technical: forged, maxHeight: 90 }), /./);
      assert.deepEqual(
        (await storedKeys()).filter((k) => k.startsWith(`${keys.prefix}/`)),
        [key],
        'no output was stored',
      );
    });
  }
});

/** Names an uploader may give; the worker must read each as the one file it names. */
const ODD_NAMES = [
  `$(touch pwned); rm -rf ~ | \`id\` & echo 'x' > out "q".mov`,
  '-i pwned.mov',
  '-f concat -safe 0 x.mov',
  `subfile,,start,0,end,0,,:${'x'}.mov`,
  'http:evil.mov',
  'concat:a.mov|b.mov',
  'data:video%2Fmp4,AAAA.mov',
  'frame-%03d.mov',
  'Ünïcödé 日本語 🎬 café.mov',
  '\u202Evom.exe',
  'a\nb\rc\td\u0001\u001b[31m.mov',
  '..%2F..%2Fcanary.mov',
  '...mov',
];

describe('odd file names at ingest', () => {
  const ingest = async (name: string, steps: 'all' | 'proxy') => {
    const { assetId, keys, key } = await upload(name, good);
    const technical = (await step('probe', assetId, key, {})).technical;
    assert.equal(technical?.video[0]?.frameCount, 25);
    if (steps === 'all') for (const later of laterSteps(assetId, key, technical)) await later();
    else await step('video-proxy', assetId, key, { technical, maxHeight: 90 });
    const outputs = (await storedKeys()).filter((k) => k.startsWith(`${keys.prefix}/`) && k !== key);
    assert.ok(outputs.includes(`${keys.outputs('video-proxy')}/video.mp4`), outputs.join(', '));
    assert.ok(
      outputs.every((k) => !k.startsWith(`${keys.prefix}/original/`)),
      outputs.join(', '),
    );
    for (const where of [process.cwd(), root, storage.root, dirname(storage.path(key))])
      assert.ok(!existsSync(join(where, 'pwned')) && !existsSync(join(where, 'pwned.mov')), where);
  };

  for (const name of ODD_NAMES) it(`reads ${JSON.stringify(name)} as itself`, () => ingest(name, 'proxy'));

  it('runs every step on a name with a bit of each', () =>
    ingest(`-i $(touch pwned); \`id\` | concat:a|b subfile:,, http: %03d Ü日🎬 \u202E\n\t\u001b.mov`, 'all'));

  it('refuses for good a key that climbs out of the storage, and reads nothing', async () => {
    const key = `${assetKeys('hostile-climb').prefix}/original/../../../canary.ts`;
    await failsForGood(step('probe', 'hostile-climb', key, {}), /invalid storage key|not in storage/);
    for (const later of laterSteps('hostile-climb', key, forged))
      await failsForGood(later(), /invalid storage key/);
  });
});

describe('after the whole corpus', () => {
  it('the HTTP server got no request at all', () => {
    assert.deepEqual(requests, []);
  });

  it("the canary's token is in no result, error or stored file", async () => {
    assert.ok(seen.length > CORPUS.length);
    for (const text of seen) assert.ok(!text.includes(TOKEN), text.slice(0, 200));
    assert.ok((await readFile(canary)).includes(TOKEN), 'the canary carries its token');
    // Originals are what was uploaded (the zip holds the canary); every output must be clean.
    for (const key of (await storedKeys()).filter((k) => !k.includes('/original/')))
      assert.ok(!(await readFile(storage.path(key))).includes(TOKEN), key);
  });

  it("nothing was written outside the assets' keys", async () => {
    const stray = (await storedKeys()).filter((k) => !/^assets\/hostile-\d+\//.test(k));
    assert.deepEqual(stray, []);
    const beside = (await readdir(root)).filter((n) => !['storage', 'canary.ts', 'good.mov'].includes(n));
    assert.deepEqual(beside, [], 'no scratch folder or other file left beside the storage');
  });
});
