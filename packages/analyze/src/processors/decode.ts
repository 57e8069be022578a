/**
 * Decoding to raw PCM with ffmpeg, streamed: any stretch of a programme, and the whole programme
 * split into segments decoded side by side (one ffmpeg each) when there are cores to spare.
 * Memory stays flat: samples are handed on as they arrive and never gathered.
 */
import { ffmpegGlobalArgs, ffmpegInputArgs, ffmpegSeconds } from '@frameproof/core';
import { runFfmpeg, type FfmpegOptions, type FfmpegRun } from '../ffmpeg.js';
import { createFifo } from '../fifo.js';
import { decodeTrackNative, type NativeDecoder } from '../native-decode.js';
import type { AudioSource } from '../resolver.js';
import { PeakAccumulator, type SeriesSpec } from './peaks.js';

/** Starts one ffmpeg process; `runFfmpeg` unless a test counts or replaces the runs. */
export type FfmpegStarter = (
  ffmpegPath: string,
  args: readonly string[],
  options?: FfmpegOptions,
) => FfmpegRun;

export interface DecodeContext {
  ffmpegPath: string;
  signal?: AbortSignal;
  /** Defaults to `runFfmpeg`. */
  run?: FfmpegStarter;
  /** Whole-track decodes run in this process with it when set (see native-decode.ts); else the CLI. */
  native?: NativeDecoder;
}

/**
 * Decoding from a seek point starts this far before it, and the extra samples are dropped: lossy
 * decoders (AAC's overlap, MP3's bit reservoir) need a run-up to settle.
 */
export const PREROLL_SECONDS = 1;

export interface DecodePlan {
  args: string[];
  /** Frames to drop from the start of ffmpeg's output. */
  skipFrames: number;
}

/** The one audio track of `source`, and nothing of the other streams. */
export function trackArgs(source: Pick<AudioSource, 'map'>): string[] {
  return ['-map', source.map, '-vn', '-sn', '-dn'];
}

/** The PCM output every decode writes: interleaved s16le at the track's channels and rate, on stdout. */
export function pcmOutputArgs(source: Pick<AudioSource, 'channels' | 'sampleRate'>): string[] {
  return [
    '-ac',
    String(source.channels),
    '-ar',
    String(source.sampleRate),
    '-c:a',
    'pcm_s16le',
    '-flush_packets',
    '0',
    '-f',
    's16le',
    'pipe:1',
  ];
}

/** ffmpeg arguments that write frames [start, start + count) as interleaved s16le to stdout. */
export function decodeArgs(source: AudioSource, start: number, count: number | undefined): DecodePlan {
  const { sampleRate } = source;
  const seekFrame = start > 0 ? Math.max(0, start - PREROLL_SECONDS * sampleRate) : 0;
  const skipFrames = start - seekFrame;
  return {
    skipFrames,
    args: [
      ...ffmpegGlobalArgs(),
      ...(seekFrame > 0 ? ['-ss', ffmpegSeconds(seekFrame / sampleRate)] : []),
      ...ffmpegInputArgs(source.input),
      ...trackArgs(source),
      // A little more than needed; the reader stops at the exact frame.
      ...(count !== undefined
        ? ['-t', ffmpegSeconds((skipFrames + count + Math.ceil(sampleRate / 10)) / sampleRate)]
        : []),
      ...pcmOutputArgs(source),
    ],
  };
}

/** Receives whole interleaved frames; `frame` is the index of the first. May apply backpressure. */
export type SampleConsumer = (samples: Int16Array, frame: number) => void | Promise<void>;

/** Decodes at least this long (frames at 48 kHz: a minute) read ffmpeg's output through a FIFO. */
const FIFO_MIN_SECONDS = 60;

/**
 * Decodes frames [start, end) of `source` (to the end of the audio when `end` is undefined) and
 * hands them to `consume` in order. Resolves with the number of frames delivered, which is less
 * than asked when the audio ends first. The samples handed over are valid until `consume` returns
 * or, when it returns a promise, until that settles. Long decodes read ffmpeg's output through a
 * FIFO into one reused buffer (see fifo.ts), short ones from its stdout.
 */
export async function decodeRange(
  ctx: DecodeContext,
  source: AudioSource,
  start: number,
  end: number | undefined,
  consume: SampleConsumer,
  plan: DecodePlan = decodeArgs(source, start, end === undefined ? undefined : end - start),
  onStderrLine?: (line: string) => void,
): Promise<number> {
  const frameBytes = source.channels * 2;
  let skip = plan.skipFrames * frameBytes;
  let remaining = end === undefined ? Infinity : (end - start) * frameBytes;
  let carry: Buffer | undefined;
  let delivered = 0;
  let finished = false;
  /** One read of ffmpeg's output: whole frames go to `consume`, a partial one waits for the next. */
  const take = (chunk: Buffer): Promise<void> | undefined => {
    if (finished) return undefined;
    let buf = chunk;
    if (skip > 0) {
      const s = Math.min(skip, buf.length);
      skip -= s;
      buf = buf.subarray(s);
    }
    if (carry) {
      buf = Buffer.concat([carry, buf]);
      carry = undefined;
    }
    const usable = Math.min(buf.length - (buf.length % frameBytes), remaining);
    if (usable < buf.length && remaining > usable) carry = Buffer.from(buf.subarray(usable));
    if (usable <= 0) return undefined;
    // Int16Array needs an even byte offset; the decoder's chunks nearly always have one.
    const bytes = buf.byteOffset % 2 === 0 ? buf.subarray(0, usable) : Buffer.from(buf.subarray(0, usable));
    remaining -= usable;
    const frame = start + delivered;
    delivered += usable / frameBytes;
    if (remaining <= 0) finished = true;
    const out = consume(new Int16Array(bytes.buffer, bytes.byteOffset, usable / 2), frame);
    return out instanceof Promise ? out : undefined;
  };
  const long = end === undefined || end - start >= FIFO_MIN_SECONDS * source.sampleRate;
  const fifo = long && plan.args.at(-1) === 'pipe:1' ? await createFifo() : undefined;
  const args = fifo ? [...plan.args.slice(0, -1), fifo.path] : plan.args;
  const run = (ctx.run ?? runFfmpeg)(ctx.ffmpegPath, args, { signal: ctx.signal, onStderrLine });
  try {
    if (fifo) {
      const stop = () => {
        run.stop();
        fifo.stop();
      };
      await fifo.read((bytes) => {
        const pending = take(bytes);
        if (pending) return pending.then(() => (finished ? stop() : undefined));
        if (finished) stop();
        return undefined;
      }, run.done);
    } else {
      for await (const chunk of run.stdout as AsyncIterable<Buffer>) {
        await take(chunk);
        if (finished) {
          run.stop();
          break;
        }
      }
    }
  } catch (err) {
    run.stop();
    await run.done.catch(() => undefined);
    throw err;
  } finally {
    fifo?.stop();
    await fifo?.remove();
  }
  await run.done;
  return delivered;
}

/**
 * Decodes the whole track from its first sample, as `decodeRange(ctx, source, 0, undefined,
 * consume)`: in this process when `ctx.native` is set, else with the ffmpeg CLI. The same PCM
 * either way (tested); resolves with the number of frames.
 */
export function decodeWholeTrack(
  ctx: DecodeContext,
  source: AudioSource,
  consume: SampleConsumer,
): Promise<number> {
  return ctx.native
    ? decodeTrackNative(ctx.native, ctx, source, consume)
    : decodeRange(ctx, source, 0, undefined, consume, decodeArgs(source, 0, undefined));
}

export interface Segment {
  start: number;
  /** Undefined: to the end of the audio. */
  end: number | undefined;
}

/**
 * Splits [start, end) into at most `maxSegments` pieces of at least `minFrames` frames, cut at
 * multiples of `unit` frames from `start` (so that no peak bin straddles two pieces). `estimatedEnd`
 * sizes the pieces when `end` is open; the last piece always runs to `end`.
 */
export function planSegments(
  start: number,
  end: number | undefined,
  estimatedEnd: number,
  unit: number,
  maxSegments: number,
  minFrames: number,
): Segment[] {
  const total = (end ?? estimatedEnd) - start;
  const n = Math.max(1, Math.min(maxSegments, Math.floor(total / minFrames)));
  const cuts = [start];
  for (let k = 1; k < n; k++) {
    const cut = start + Math.round((total * k) / n / unit) * unit;
    if (cut > (cuts.at(-1) as number)) cuts.push(cut);
  }
  return cuts.map((s, i) => ({ start: s, end: i + 1 < cuts.length ? cuts[i + 1] : end }));
}

export class SegmentMismatchError extends Error {}

/**
 * Decodes segments side by side. When a segment before the last comes back short (the metadata
 * overstated the duration), every later one must be empty; otherwise the pieces would not join up
 * and SegmentMismatchError is thrown (callers then decode in one piece).
 */
export async function decodeSegments(
  ctx: DecodeContext,
  source: AudioSource,
  segments: readonly Segment[],
  consumerFor: (segment: Segment, index: number) => SampleConsumer,
): Promise<number[]> {
  const inner = new AbortController();
  const onAbort = () => inner.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const frames = await Promise.all(
      segments.map((seg, i) =>
        decodeRange({ ...ctx, signal: inner.signal }, source, seg.start, seg.end, consumerFor(seg, i)).catch(
          (err: unknown) => {
            inner.abort(err);
            throw err;
          },
        ),
      ),
    );
    let short = false;
    segments.forEach((seg, i) => {
      const got = frames[i] as number;
      if (short && got > 0) throw new SegmentMismatchError('decoded segments do not join up');
      if (seg.end !== undefined && got < seg.end - seg.start) short = true;
    });
    return frames;
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Takes `bins` bins starting at bin index `first` (counted from the scan's start). `data` is reused
 * once the call returns: copy what must outlive it. A returned promise holds back that segment's
 * decoding until it settles.
 */
export type PositionedBinSink = (first: number, data: Int16Array, bins: number) => void | Promise<void>;

export interface ScanOptions {
  /** How many ffmpeg processes may decode one scan side by side. */
  maxSegments: number;
  /** Segments are no shorter than this (seconds), so short stretches use one process. */
  minSegmentSeconds?: number;
}

/**
 * Peaks at `samplesPerPixel` for frames [start, end) (start a multiple of samplesPerPixel; end
 * undefined for "to the end"), in segments decoded side by side. Resolves with the frames decoded.
 */
export async function scanPeaks(
  ctx: DecodeContext,
  source: AudioSource,
  range: { start: number; end: number | undefined },
  samplesPerPixel: number,
  spec: SeriesSpec,
  sink: PositionedBinSink,
  options: ScanOptions,
): Promise<number> {
  const estimatedEnd = Math.ceil(source.durationSeconds * source.sampleRate);
  const minFrames = (options.minSegmentSeconds ?? 300) * source.sampleRate;
  const run = async (segments: readonly Segment[]) => {
    const pending: Promise<void>[] = segments.map(() => Promise.resolve());
    const accumulators = segments.map((seg, i) => {
      let next = (seg.start - range.start) / samplesPerPixel;
      return new PeakAccumulator(spec, samplesPerPixel, (data, bins) => {
        const written = sink(next, data, bins);
        next += bins;
        if (written) pending[i] = (pending[i] as Promise<void>).then(() => written);
      });
    });
    const frames = await decodeSegments(ctx, source, segments, (_seg, i) => async (samples) => {
      (accumulators[i] as PeakAccumulator).push(samples);
      await pending[i];
    });
    accumulators.forEach((acc) => acc.end());
    await Promise.all(pending);
    return frames.reduce((a, b) => a + b, 0);
  };
  const plan = planSegments(
    range.start,
    range.end,
    estimatedEnd,
    samplesPerPixel,
    options.maxSegments,
    minFrames,
  );
  try {
    return await run(plan);
  } catch (err) {
    if (!(err instanceof SegmentMismatchError) || plan.length === 1) throw err;
    return run([{ start: range.start, end: range.end }]);
  }
}
