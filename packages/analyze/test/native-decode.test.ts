/**
 * The in-process decoder (native/decode.c through src/native-decode.ts) against the ffmpeg CLI:
 * the same PCM byte for byte, clear errors that leak nothing, aborts, and backpressure. Real files
 * made by ffmpeg. Without the built addon these tests are skipped, saying why; with
 * FRAMEPROOF_REQUIRE_NATIVE_DECODE=1 (CI) they fail instead.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { getPriority } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ALLOWED_DEMUXERS, NETWORK_TIMEOUT_US } from '@frameproof/core';
import { buildApp } from '../src/app.js';
import { HttpError } from '../src/errors.js';
import { runFfmpeg } from '../src/ffmpeg.js';
import { decodeArgs, type FfmpegStarter } from '../src/processors/decode.js';
import { AnalysisService } from '../src/processors/loudness.js';
import { WaveformService } from '../src/processors/waveform.js';
import {
  chooseDecoder,
  decodeTrackNative,
  inputName,
  loadNativeDecoder,
  nativeAddonPath,
  nativeOpenArgs,
  streamChoice,
  type NativeDecoder,
  type NativeHandle,
} from '../src/native-decode.js';
import type { AudioSource } from '../src/resolver.js';
import {
  FFMPEG,
  ffmpeg,
  fileSource,
  makeAudio,
  memoryLogger,
  tempDir,
  testCache,
  varyingStereo,
} from './helpers.js';

const execFileP = promisify(execFile);

// A garbage collection on demand, so that memory figures count what is kept, not what the
// collector has not reached yet (each block is a buffer of its own, freed when collected).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
async function collected(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage.rss();
}

/** Why the addon's tests cannot run here (a skip reason), or false; in CI its absence is a failure. */
function nativeMissing(): string | false {
  const { decoder, why } = loadNativeDecoder();
  if (decoder) return false;
  const reason = `the in-process decoder is ${why}`;
  if (process.env.FRAMEPROOF_REQUIRE_NATIVE_DECODE === '1')
    throw new Error(`FRAMEPROOF_REQUIRE_NATIVE_DECODE=1: ${reason}`);
  return reason;
}
const skip = nativeMissing();
const addon = () => loadNativeDecoder().decoder as NativeDecoder;

let dir: string;
let cleanup: () => Promise<void>;
before(async () => {
  ({ dir, cleanup } = await tempDir('fp-native-'));
});
after(() => cleanup());

// ---- pure: the map and the options

test('the stream map: 0:a:N is the Nth audio stream, 0:K stream K, anything else refused', () => {
  assert.deepEqual(streamChoice('0:a:0'), { audioIndex: 0 });
  assert.deepEqual(streamChoice('0:a:12'), { audioIndex: 12 });
  assert.deepEqual(streamChoice('0:3'), { streamIndex: 3 });
  for (const bad of ['1:a:0', '0:v:0', '0:a', 'a:0', '0:a:-1', '0:3:1', '', '0:m:language:eng'])
    assert.throws(() => streamChoice(bad), /0:a:N or 0:K/, bad);
});

test("the addon opens an input with the CLI's own whitelists and timeout, from core", () => {
  const local = nativeOpenArgs({
    input: '/media/-odd:name.wav',
    map: '0:a:1',
    channels: 2,
    sampleRate: 48000,
  });
  assert.deepEqual(local, {
    url: 'file:/media/-odd:name.wav',
    options: {
      audioIndex: 1,
      channels: 2,
      sampleRate: 48000,
      protocolWhitelist: 'file',
      formatWhitelist: ALLOWED_DEMUXERS.join(','),
    },
  });
  const remote = nativeOpenArgs({
    input: 'https://bucket/a.mov?sig=x',
    map: '0:3',
    channels: 6,
    sampleRate: 44100,
  });
  assert.equal(remote.url, 'https://bucket/a.mov?sig=x');
  assert.equal(remote.options.protocolWhitelist, 'https,tls,tcp');
  assert.equal(remote.options.rwTimeoutUs, NETWORK_TIMEOUT_US);
  assert.deepEqual(
    { ...remote.options, protocolWhitelist: '', formatWhitelist: '', rwTimeoutUs: 0 },
    {
      streamIndex: 3,
      channels: 6,
      sampleRate: 44100,
      protocolWhitelist: '',
      formatWhitelist: '',
      rwTimeoutUs: 0,
    },
  );
  assert.equal(chooseDecoder('cli'), undefined);
});

// ---- the same PCM as the CLI

/** The CLI's PCM for the whole track: `decodeArgs(source, 0, undefined)`, as the service runs it. */
async function cliPcm(source: AudioSource): Promise<Buffer> {
  const { stdout } = await execFileP(FFMPEG, decodeArgs(source, 0, undefined).args, {
    encoding: 'buffer',
    maxBuffer: 1 << 30,
  });
  return stdout;
}

/** The addon's PCM for the whole track, through the wrapper. */
async function nativePcm(source: AudioSource): Promise<{ pcm: Buffer; frames: number }> {
  const parts: Buffer[] = [];
  const frames = await decodeTrackNative(addon(), {}, source, (samples) => {
    // A copy: the samples are valid only until this returns (the next read writes over them).
    parts.push(Buffer.from(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength)));
  });
  return { pcm: Buffer.concat(parts), frames };
}

async function assertSamePcm(source: AudioSource): Promise<Buffer> {
  const [cli, native] = await Promise.all([cliPcm(source), nativePcm(source)]);
  assert.ok(cli.length > 0, 'the CLI decoded something');
  assert.equal(native.frames, cli.length / (2 * source.channels), 'frames');
  if (!native.pcm.equals(cli)) {
    let i = 0;
    while (i < cli.length && native.pcm[i] === cli[i]) i++;
    assert.fail(`PCM differs from byte ${i} of ${cli.length} (native ${native.pcm.length} bytes)`);
  }
  return cli;
}

const source = (path: string, channels: number, sampleRate: number, map = '0:a:0'): AudioSource => ({
  ...fileSource(path, channels, 10, sampleRate),
  map,
});

test('stereo 48 kHz AAC in .m4a: byte-identical, encoder priming trimmed alike', { skip }, async () => {
  const wav = await makeAudio(join(dir, 'master.wav'), varyingStereo(10));
  const path = join(dir, 'stereo.m4a');
  await ffmpeg(['-i', wav, '-c:a', 'aac', '-b:a', '192k', path]);
  const pcm = await assertSamePcm(source(path, 2, 48000));
  // The first sample is the master's first: the encoder's 1024 frames of priming are gone. The
  // lag at which the decoded start best matches the master's is 0 (not 1024).
  const master = await cliPcm(source(wav, 2, 48000));
  const left = (b: Buffer, i: number) => b.readInt16LE(i * 4);
  const match = (lag: number) => {
    let sum = 0;
    for (let i = 2048; i < 2048 + 24000; i++) sum += left(pcm, i + lag) * left(master, i);
    return sum;
  };
  const lags = Array.from({ length: 2049 }, (_, k) => k - 1024);
  const best = lags.reduce((a, b) => (match(b) > match(a) ? b : a));
  assert.equal(best, 0);
  // Its length: the master's, rounded up to whole AAC frames (FFmpeg 5.1 keeps the last frame's
  // padding, the CLI and the addon alike).
  assert.equal(pcm.length / 4, Math.ceil(480_000 / 1024) * 1024);
});

test('16-bit WAV: byte-identical', { skip }, async () => {
  const path = await makeAudio(join(dir, 'stereo.wav'), varyingStereo(10, 44100));
  await assertSamePcm(source(path, 2, 44100));
});

test(
  'a .mov with two audio tracks: the second by 0:a:1 and by its index, and the mono first as mono',
  { skip },
  async () => {
    const path = join(dir, 'two-tracks.mov');
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc=d=6:s=64x64:r=25'],
      ...['-f', 'lavfi', '-i', 'sine=f=440:r=44100:d=6'],
      ...['-f', 'lavfi', '-i', varyingStereo(6)],
      ...['-map', '0:v', '-map', '1:a', '-map', '2:a', '-c:v', 'mpeg4', '-c:a', 'aac', path],
    ]);
    const second = await assertSamePcm(source(path, 2, 48000, '0:a:1'));
    const byIndex = await assertSamePcm(source(path, 2, 48000, '0:2'));
    assert.ok(second.equals(byIndex));
    const mono = await assertSamePcm(source(path, 1, 44100, '0:a:0'));
    assert.notEqual(mono.length, second.length);
    // Stream 0 is the video: not an audio stream, so no audio (the service's 422).
    await assert.rejects(
      decodeTrackNative(addon(), {}, source(path, 2, 48000, '0:0'), () => undefined),
      (err: unknown) => err instanceof HttpError && err.statusCode === 422,
    );
  },
);

test('5.1 AAC asked for as 6 channels: byte-identical, in the 5.1 order', { skip }, async () => {
  const exprs = [1, 2, 3, 4, 5, 6].map((k) => `0.${k}*sin(2*PI*${100 * k}*t)`).join('|');
  const path = await makeAudio(join(dir, 'surround.m4a'), `aevalsrc=exprs='${exprs}':s=48000:d=5:c=5.1`, [
    '-c:a',
    'aac',
  ]);
  await assertSamePcm(source(path, 6, 48000));
});

test(
  "reads into the caller's buffer, smaller than a frame or not a multiple of one: the same PCM",
  { skip },
  async () => {
    const path = await makeAudio(join(dir, 'frames.m4a'), varyingStereo(3), ['-c:a', 'aac']);
    const track = source(path, 2, 48000);
    const cli = await cliPcm(track);
    const { url, options } = nativeOpenArgs(track);
    // 100 frames: every AAC frame (1024) is larger, so each comes in a Buffer of its own; 3000
    // frames: two frames fit, the third starts the next read.
    for (const frames of [100, 3000]) {
      const into = Buffer.allocUnsafeSlow(frames * 4);
      const handle = await addon().open(url, options);
      const parts: Buffer[] = [];
      let views = 0;
      for (let block = await addon().read(handle, into); block; block = await addon().read(handle, into)) {
        if (block.buffer === into.buffer) views++;
        parts.push(Buffer.from(new Uint8Array(block.buffer, block.byteOffset, block.length)));
      }
      addon().close(handle);
      assert.ok(Buffer.concat(parts).equals(cli), `${frames} frames`);
      assert.equal(views > 0, frames === 3000, `${frames} frames: written into the caller's buffer`);
    }
    await assert.rejects(
      async () => addon().read(await addon().open(url, options), Buffer.alloc(3)),
      /whole frames/,
    );
  },
);

// ---- errors

async function rejection(url: string, source: Pick<AudioSource, 'map' | 'channels' | 'sampleRate'>) {
  const { options } = nativeOpenArgs({ ...source, input: url });
  try {
    const handle = await addon().open(`file:${url}`, options);
    addon().close(handle);
  } catch (err) {
    return (err as Error).message;
  }
  return assert.fail(`${url} opened`);
}

const stereo = { map: '0:a:0', channels: 2, sampleRate: 48000 };

test('an input is named without its query string or fragment', () => {
  assert.equal(
    inputName('https://b.s3.amazonaws.com/a/o.m4a?X-Amz-Signature=abc&x=1'),
    'https://b.s3.amazonaws.com/a/o.m4a',
  );
  assert.equal(inputName('https://h/o.m4a#t=1'), 'https://h/o.m4a');
  assert.equal(inputName('file:/data/o.m4a'), 'file:/data/o.m4a');
});

test(
  'a signed URL that does not open: the error names the object, never its signature',
  { skip },
  async () => {
    // Nothing listens on port 9 of this host: the connection is refused at once.
    const input = 'http://127.0.0.1:9/media/a.m4a?X-Amz-Credential=key&X-Amz-Signature=secret1234';
    const signed: AudioSource = { ...source(input, 2, 48000), input };
    const err = await decodeTrackNative(addon(), {}, signed, () => undefined).then(
      () => assert.fail('opened'),
      (e: unknown) => e as Error,
    );
    assert.ok(err.message.includes('http://127.0.0.1:9/media/a.m4a'), err.message);
    assert.ok(!/secret1234|X-Amz-Credential/.test(err.message), err.message);
  },
);

/** RSS after `n` rounds of `round`, less the RSS before, in MB (after a warm-up). */
async function rssGrowthMb(n: number, round: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 100; i++) await round();
  const before = await collected();
  for (let i = 0; i < n; i++) await round();
  return ((await collected()) - before) / 2 ** 20;
}

test(
  'errors name the input and what libav says, and leak nothing over 1000 tries each',
  { skip },
  async () => {
    const missing = join(dir, 'nowhere.wav');
    const video = join(dir, 'video.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=d=1:s=64x64:r=5',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'mpeg4',
      video,
    ]);
    // Sun AU: a demuxer ffmpeg has, but not one of the allowed ones.
    const au = await makeAudio(join(dir, 'tone.au'), 'sine=d=1:r=8000');
    const garbage = join(dir, 'garbage.wav');
    await writeFile(garbage, Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919 + 13) % 251)));
    const cases: [string, RegExp][] = [
      [missing, /No such file or directory/],
      [video, /no such audio stream/],
      [au, /Invalid argument \(Format not on whitelist 'mov,/],
      [garbage, /Invalid data found/],
    ];
    for (const [path, says] of cases) {
      const message = await rejection(path, stereo);
      assert.match(message, says, message);
      assert.ok(message.includes(path), `names the input: ${message}`);
      const growth = await rssGrowthMb(1000, () => rejection(path, stereo));
      assert.ok(growth < 8, `${path}: RSS grew ${growth.toFixed(1)} MB over 1000 failed opens`);
    }
  },
);

test(
  'open, read and close 1000 times leaks nothing; close is safe twice and during a read',
  { skip },
  async () => {
    const path = await makeAudio(join(dir, 'short.m4a'), varyingStereo(2), ['-c:a', 'aac']);
    const { url, options } = nativeOpenArgs({ input: path, ...stereo });
    const growth = await rssGrowthMb(1000, async () => {
      const handle = await addon().open(url, options);
      const block = await addon().read(handle);
      assert.ok(block && block.length > 0);
      addon().close(handle);
      addon().close(handle);
    });
    assert.ok(growth < 8, `RSS grew ${growth.toFixed(1)} MB over 1000 decodes`);

    const handle = await addon().open(url, options);
    const reading = addon().read(handle);
    await assert.rejects(addon().read(handle), /already in flight/);
    addon().close(handle); // during the read: freed when it completes
    await assert.rejects(reading, /closed during the read/);
    await assert.rejects(addon().read(handle), /closed/);
    addon().close(handle);
    if (process.platform === 'linux') assert.equal(await threadsEnd(), 0, 'no decoding thread left');
  },
);

/**
 * The nice value of each of this process's threads named fp-decode (the addon's decoding
 * threads), from Linux's /proc: the 19th field of a task's stat, counted after its command.
 */
function decodingThreads(): number[] {
  const nice: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== 'fp-decode') continue;
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      nice.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return nice;
}

/** Waits (up to 5 s) until no decoding thread is left, and says how many there still were. */
async function threadsEnd(): Promise<number> {
  for (let i = 0; i < 100 && decodingThreads().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  return decodingThreads().length;
}

test(
  "each open input decodes on a thread of its own, 10 nicer than the service's, that ends with it",
  { skip: skip || (process.platform !== 'linux' && 'threads are named and niced on Linux only') },
  async () => {
    const path = await makeAudio(join(dir, 'threads.m4a'), varyingStereo(2), ['-c:a', 'aac']);
    const { url, options } = nativeOpenArgs({ input: path, ...stereo });
    const nicer = Math.min(19, getPriority() + 10);
    assert.deepEqual(decodingThreads(), [], 'none before');
    const first = await addon().open(url, options);
    const second = await addon().open(url, options);
    assert.deepEqual(decodingThreads(), [nicer, nicer]);
    assert.ok(await addon().read(first), 'a block');
    addon().close(first);
    addon().close(second);
    assert.equal(await threadsEnd(), 0, 'each thread ends once its input is closed');
    // An input that does not open leaves no thread behind.
    await rejection(join(dir, 'nowhere.m4a'), stereo);
    assert.equal(await threadsEnd(), 0, 'after a failed open');
    // Nor does a handle that is dropped without a close, once it is collected.
    await addon().open(url, options);
    await collected();
    assert.equal(await threadsEnd(), 0, 'after a handle is collected');
  },
);

/** A Node process that loads the addon, runs `body` (with `addon`, `url`, `options`) and exits. */
async function child(
  body: string,
  url: string,
  options: object,
): Promise<{ code: number | null; signal: string | null }> {
  const addonPath = nativeAddonPath();
  assert.ok(addonPath, 'the addon is built');
  const script = `const addon = require(${JSON.stringify(addonPath)});
const url = ${JSON.stringify(url)}, options = ${JSON.stringify(options)};
(async () => { ${body} })();`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], { timeout: 30_000 }, (err) => {
      const failed = err as (Error & { code?: number; signal?: string }) | null;
      resolve({ code: failed ? (failed.code ?? null) : 0, signal: failed?.signal ?? null });
    });
  });
}

test('a process exits cleanly with inputs still open, idle or mid-read', { skip }, async () => {
  const path = await makeAudio(join(dir, 'exits.m4a'), varyingStereo(30), ['-c:a', 'aac']);
  const { url, options } = nativeOpenArgs({ input: path, ...stereo });
  const cases = {
    // The event loop ends with a thread waiting for work: the environment goes away under it.
    'idle, never closed': 'globalThis.kept = await addon.open(url, options);',
    'exit during a read': 'const h = await addon.open(url, options); addon.read(h); process.exit(0);',
    'closed during a read':
      'const h = await addon.open(url, options); addon.read(h).catch(() => {}); addon.close(h);',
  };
  for (const [name, body] of Object.entries(cases)) {
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await child(body, url, options), { code: 0, signal: null }, name);
    }
  }
});

// ---- abort and backpressure

/** The addon, its handles' calls recorded. */
function spied(): { decoder: NativeDecoder; calls: string[] } {
  const calls: string[] = [];
  const real = addon();
  return {
    calls,
    decoder: {
      open: (url, options) => real.open(url, options).finally(() => calls.push('open')),
      read: (handle: NativeHandle) => {
        calls.push('read');
        return real.read(handle).finally(() => calls.push('block'));
      },
      close: (handle: NativeHandle) => {
        calls.push('close');
        real.close(handle);
      },
    },
  };
}

test(
  'an abort mid-decode stops reading, closes the input and rejects with its reason',
  { skip },
  async () => {
    const path = await makeAudio(join(dir, 'long.wav'), varyingStereo(60));
    const { decoder, calls } = spied();
    const stop = new AbortController();
    const reason = new Error('shutting down');
    let blocks = 0;
    await assert.rejects(
      decodeTrackNative(decoder, { signal: stop.signal }, source(path, 2, 48000), async () => {
        if (++blocks === 3) stop.abort(reason);
        await new Promise((r) => setTimeout(r, 5));
      }),
      (err: unknown) => err === reason,
    );
    assert.equal(blocks, 3, 'no block after the abort');
    assert.ok(calls.includes('close'));
    assert.equal(calls.filter((c) => c === 'read').length, 3, 'no read after the abort');
    // An abort before the start opens nothing.
    const { decoder: idle, calls: none } = spied();
    await assert.rejects(
      decodeTrackNative(idle, { signal: stop.signal }, source(path, 2, 48000), () => undefined),
    );
    assert.deepEqual(none, []);
  },
);

test('backpressure: a slow consumer holds the decoder back, and memory stays flat', { skip }, async () => {
  // Ten minutes of stereo: 115 MB of PCM, handed over 256 KB at a time.
  const path = await makeAudio(join(dir, 'ten-minutes.m4a'), 'sine=f=440:r=48000:d=600', [
    '-ac',
    '2',
    '-c:a',
    'aac',
  ]);
  const { decoder, calls } = spied();
  let inConsumer = 0;
  let outstandingMax = 0;
  let peakRss = 0;
  let blocks = 0;
  const rss0 = await collected();
  const frames = await decodeTrackNative(decoder, {}, source(path, 2, 48000), async () => {
    inConsumer++;
    // Reads and blocks alternate: the next read starts only once this block is consumed.
    const reads = calls.filter((c) => c === 'read').length;
    const done = calls.filter((c) => c === 'block').length;
    outstandingMax = Math.max(outstandingMax, reads - done);
    await new Promise((r) => setTimeout(r, 1));
    if (++blocks % 20 === 0) peakRss = Math.max(peakRss, await collected());
    inConsumer--;
  });
  assert.equal(frames, 600 * 48000);
  assert.equal(outstandingMax, 0, 'no read runs ahead of the consumer');
  assert.equal(inConsumer, 0);
  const growth = (peakRss - rss0) / 2 ** 20;
  assert.ok(growth < 16, `RSS grew ${growth.toFixed(1)} MB while 115 MB passed through`);
});

// ---- the service

test(
  'the programme pass in process: no ffmpeg run, the same peak file and loudness as with the CLI',
  { skip },
  async () => {
    const path = await makeAudio(join(dir, 'programme.m4a'), varyingStereo(20), ['-c:a', 'aac']);
    const track = fileSource(path, 2, 20);
    const pass = async (decoder: 'native' | 'cli') => {
      const log = memoryLogger();
      const runs: string[] = [];
      const run: FfmpegStarter = (ffmpegPath, args, options) => {
        runs.push(args.join(' '));
        return runFfmpeg(ffmpegPath, args, options);
      };
      const common = {
        cache: await testCache(join(dir, `cache-${decoder}`), log),
        ffmpegPath: FFMPEG,
        log,
        run,
        decoder,
      };
      const waveforms = new WaveformService({ ...common, maxDecoders: 1 });
      const analysis = new AnalysisService({ ...common, programmePass: (s) => waveforms.programmePass(s) });
      const loudness = await analysis.analyse(track);
      const wave = await waveforms.waveform(track, {
        samplesPerPixel: 256,
        start: 0,
        end: undefined,
        channels: 'all',
      });
      // Other silence settings: a whole-track pass of its own, on the same decoder.
      const quiet = await analysis.analyse(track, { thresholdDb: -50, minSeconds: 1 });
      return { runs, loudness, quiet, wave: Array.from(wave.data), name: waveforms.decoder };
    };
    const native = await pass('native');
    const cli = await pass('cli');
    assert.equal(native.name, 'libav in-process');
    assert.equal(cli.name, 'ffmpeg CLI');
    assert.deepEqual(native.runs, [], 'no ffmpeg process');
    assert.equal(cli.runs.length, 2);
    assert.deepEqual(native.wave, cli.wave);
    assert.deepEqual(native.loudness, cli.loudness);
    assert.deepEqual(native.quiet, cli.quiet);
  },
);

test('the service says once at start which decoder the programme pass uses', { skip }, async () => {
  const started = async (decoder?: 'native' | 'cli') => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = await buildApp({
      resolver: { resolve: () => Promise.reject(new Error('no assets here')) },
      cacheDir: join(dir, `app-cache-${decoder ?? 'default'}`),
      cacheMaxBytes: 1 << 20,
      cacheMaxAgeMs: 60_000,
      ffmpegPath: FFMPEG,
      maxDecoders: 1,
      decoder,
      logger: { level: 'info', stream },
    });
    await app.close();
    return lines
      .map((line) => JSON.parse(line) as { msg: string; decoder?: string })
      .filter((l) => l.msg.startsWith('analyze: programme pass decoder'));
  };
  const byDefault = await started();
  assert.equal(byDefault.length, 1);
  assert.equal(byDefault[0]?.decoder, 'libav in-process');
  assert.equal((await started('cli'))[0]?.msg, 'analyze: programme pass decoder: ffmpeg CLI');
});
