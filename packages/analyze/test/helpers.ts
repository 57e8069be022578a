import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DiskCache } from '../src/cache.js';
import type { AudioSource } from '../src/resolver.js';

const run = promisify(execFile);
export const FFMPEG = process.env.FFMPEG_PATH || 'ffmpeg';

export async function tempDir(
  prefix = 'fp-analyze-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function ffmpeg(args: string[]): Promise<void> {
  await run(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Writes `seconds` of audio from a lavfi source graph to `path` (codec from the extension). */
export async function makeAudio(path: string, lavfi: string, extra: string[] = []): Promise<string> {
  await ffmpeg(['-f', 'lavfi', '-i', lavfi, ...extra, path]);
  return path;
}

/** Noise that changes level over time in each channel, so peaks differ from bin to bin. */
export function varyingStereo(seconds: number, rate = 48000): string {
  return (
    `aevalsrc=exprs='0.8*sin(2*PI*(220+20*t)*t)*abs(sin(t*1.3))+0.1*(random(0)-0.5)|` +
    `0.5*sin(2*PI*330*t)*abs(cos(t*0.7))-0.3*(random(1)-0.5)':s=${rate}:d=${seconds}`
  );
}

/** Every sample of a file's first audio stream as interleaved s16, decoded by ffmpeg. */
export async function decodeAll(path: string, channels: number): Promise<Int16Array> {
  const { stdout } = await run(
    FFMPEG,
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-i',
      path,
      '-map',
      '0:a:0',
      '-ac',
      String(channels),
      '-f',
      's16le',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 },
  );
  const copy = Uint8Array.from(stdout);
  return new Int16Array(copy.buffer, 0, copy.length >> 1);
}

/**
 * Peaks the plain way, for checking: per pixel, per output channel, min and max of the samples (the
 * mix: average of the channels truncated toward zero, as audiowaveform does).
 */
export function referencePeaks(
  samples: Int16Array,
  channels: number,
  spp: number,
  mode: 'merged' | 'all',
  firstFrame = 0,
  endFrame = samples.length / channels,
): number[] {
  const out: number[] = [];
  const merged = mode === 'merged' && channels > 1;
  for (let p = firstFrame; p < endFrame; p += spp) {
    const last = Math.min(endFrame, p + spp);
    const series = merged ? 1 : channels;
    for (let c = 0; c < series; c++) {
      let mn = Infinity;
      let mx = -Infinity;
      for (let f = p; f < last; f++) {
        let v: number;
        if (merged) {
          let sum = 0;
          for (let k = 0; k < channels; k++) sum += samples[f * channels + k] as number;
          v = Math.trunc(sum / channels) + 0; // no -0
        } else v = samples[f * channels + c] as number;
        mn = Math.min(mn, v);
        mx = Math.max(mx, v);
      }
      out.push(mn, mx);
    }
  }
  return out;
}

export function fileSource(
  path: string,
  channels: number,
  durationSeconds: number,
  sampleRate = 48000,
): AudioSource {
  return {
    input: path,
    map: '0:a:0',
    cacheKey: `test:${path}`,
    channels,
    sampleRate,
    durationSeconds,
    kind: 'file',
  };
}

/** A logger that keeps what it is told. */
export function memoryLogger() {
  const lines: { level: string; msg: string; obj: object }[] = [];
  return {
    lines,
    info: (obj: object, msg: string) => void lines.push({ level: 'info', msg, obj }),
    warn: (obj: object, msg: string) => void lines.push({ level: 'warn', msg, obj }),
  };
}

/** A disk cache in `dir` as the services' tests want it: room for anything, a day long, no sweeps. */
export async function testCache(dir: string, log = memoryLogger()): Promise<DiskCache> {
  const cache = new DiskCache({ dir, maxBytes: 1 << 30, maxAgeMs: 86_400_000, log, sweepIntervalMs: 0 });
  await cache.init();
  return cache;
}

/** What `ffmpeg -af ebur128=peak=true+sample` itself says, read with plain regular expressions. */
export async function ffmpegSays(path: string) {
  const { stderr } = await run(FFMPEG, [
    '-hide_banner',
    '-nostats',
    '-i',
    path,
    '-af',
    'ebur128=peak=true+sample',
    '-f',
    'null',
    '-',
  ]);
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const grab = (re: RegExp) => Number(re.exec(summary)?.[1]);
  return {
    integrated: grab(/I:\s+(-?[\d.]+) LUFS/),
    range: grab(/LRA:\s+(-?[\d.]+) LU/),
    samplePeak: grab(/Sample peak:\s+Peak:\s+(-?[\d.]+)/),
    truePeak: grab(/True peak:\s+Peak:\s+(-?[\d.]+)/),
  };
}

/** An ffmpeg wrapper that counts its runs in `counter` (one line per run). */
export async function countingFfmpeg(dir: string): Promise<{ path: string; count: () => Promise<number> }> {
  const counter = join(dir, 'ffmpeg-runs');
  const path = join(dir, 'ffmpeg-counting');
  await writeFile(counter, '');
  await writeFile(path, `#!/bin/sh\necho run >> '${counter}'\nexec '${FFMPEG}' "$@"\n`);
  await chmod(path, 0o755);
  return {
    path,
    count: async () => (await readFile(counter, 'utf8')).split('\n').filter(Boolean).length,
  };
}
