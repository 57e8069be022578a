/**
 * Whole-track decoding in this process with ffmpeg's libraries (the addon in ../native), when it
 * is built: the same interleaved s16 the CLI writes for `decodeArgs(source, 0, undefined)`, without
 * moving every byte through a pipe (which alone cost 6-10% over a bare decode). Only whole tracks
 * (the programme pass) use it; windows and ranges stay on the CLI, which seeks.
 *
 * The input is opened with the CLI's own safety options, from core's builders: the protocols the
 * input's scheme needs, the allowed demuxers, and the network read timeout.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ALLOWED_DEMUXERS, ffmpegUrl, networkTimeoutUs, protocolWhitelist } from '@frameproof/core';
import { noAudio } from './errors.js';
import type { SampleConsumer } from './processors/decode.js';
import type { AudioSource } from './resolver.js';

/** The track to decode, from the source's ffmpeg map. */
export type StreamChoice = { streamIndex: number } | { audioIndex: number };

/** What the addon's `open` takes besides the URL. */
export type NativeOpenOptions = StreamChoice & {
  channels: number;
  sampleRate: number;
  protocolWhitelist: string;
  formatWhitelist: string;
  rwTimeoutUs?: number;
};

/** An open input; opaque to JavaScript. */
export type NativeHandle = object;

/** The addon (native/decode.c). */
export interface NativeDecoder {
  open(url: string, options: NativeOpenOptions): Promise<NativeHandle>;
  /**
   * About 64k frames of interleaved s16, null at the end; one read at a time per handle. With
   * `into` (whole frames), the samples are written there and the answer is a view of it (unless
   * one decoded frame is larger than it: then a new Buffer); without, a new Buffer each time.
   */
  read(handle: NativeHandle, into?: Buffer): Promise<Buffer | null>;
  /** Frees everything; safe twice, and during a read (then freed when it completes). */
  close(handle: NativeHandle): void;
}

/** Which decoder the programme pass uses, in the words of the logs and the benchmark. */
export type DecoderName = 'libav in-process' | 'ffmpeg CLI';

/**
 * The stream an ffmpeg map names: `0:a:N` is the Nth audio stream, `0:K` stream index K. Anything
 * else is refused (the CLI would understand more, the addon does not).
 */
export function streamChoice(map: string): StreamChoice {
  const audio = /^0:a:(\d+)$/.exec(map);
  if (audio) return { audioIndex: Number(audio[1]) };
  const index = /^0:(\d+)$/.exec(map);
  if (index) return { streamIndex: Number(index[1]) };
  throw new Error(`stream map "${map}": the in-process decoder takes 0:a:N or 0:K only`);
}

/** What the addon is given to open a source: the CLI's input options, as `ffmpegInputArgs` gives them. */
export function nativeOpenArgs(source: Pick<AudioSource, 'input' | 'map' | 'channels' | 'sampleRate'>): {
  url: string;
  options: NativeOpenOptions;
} {
  return {
    url: ffmpegUrl(source.input),
    options: {
      ...streamChoice(source.map),
      channels: source.channels,
      sampleRate: source.sampleRate,
      protocolWhitelist: protocolWhitelist(source.input),
      formatWhitelist: ALLOWED_DEMUXERS.join(','),
      ...(networkTimeoutUs(source.input) ? { rwTimeoutUs: networkTimeoutUs(source.input) } : {}),
    },
  };
}

/**
 * An input as errors name it: without its query string or fragment, which for a signed storage URL
 * is the signature, and errors reach logs and answers.
 */
export function inputName(url: string): string {
  return url.replace(/[?#].*$/s, '');
}

/** Where the built addon may be: beside the sources (src/) or the compiled code (dist/src/). */
const CANDIDATES = ['../native/build/Release/decode.node', '../../native/build/Release/decode.node'];

/** The built addon's path, or undefined when it is not built. */
export function nativeAddonPath(): string | undefined {
  return CANDIDATES.map((c) => fileURLToPath(new URL(c, import.meta.url))).find((p) => existsSync(p));
}

let loaded: { decoder: NativeDecoder | undefined; why: string } | undefined;

/** Loads the addon once; `why` says why not when it is not there. */
export function loadNativeDecoder(): { decoder: NativeDecoder | undefined; why: string } {
  if (loaded) return loaded;
  const path = nativeAddonPath();
  if (!path) {
    loaded = { decoder: undefined, why: 'not built (npm run build:native -w @frameproof/analyze)' };
    return loaded;
  }
  try {
    loaded = { decoder: createRequire(import.meta.url)(path) as NativeDecoder, why: `loaded from ${path}` };
  } catch (err) {
    loaded = { decoder: undefined, why: `${path} does not load: ${(err as Error).message}` };
  }
  return loaded;
}

/** The addon, or undefined when it is not built or does not load. */
export function nativeDecoder(): NativeDecoder | undefined {
  return loadNativeDecoder().decoder;
}

/** Which decoder whole-track decodes use: in-process when built (the default), or the CLI. */
export type DecoderChoice = 'native' | 'cli';

/**
 * The addon for a choice: none for 'cli'; for 'native' the addon or an error saying why it is not
 * there; by default the addon when it loads.
 */
export function chooseDecoder(choice: DecoderChoice | undefined): NativeDecoder | undefined {
  if (choice === 'cli') return undefined;
  const { decoder, why } = loadNativeDecoder();
  if (!decoder && choice === 'native') throw new Error(`the in-process decoder is ${why}`);
  return decoder;
}

export function decoderName(decoder: NativeDecoder | undefined): DecoderName {
  return decoder ? 'libav in-process' : 'ffmpeg CLI';
}

/**
 * `work`, or the signal's reason as soon as it aborts. Each wait listens for the abort only while it
 * lasts: racing every block against one promise that lives as long as the decode would keep every
 * block reachable from it (that promise's reactions hold each race's result) until the end.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) {
      work.catch(() => undefined); // its outcome no longer matters
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Frames a read asks for (the addon's own default). */
const READ_FRAMES = 65536;

/** The addon's messages for a track that is not there: the service's 422, as with the CLI. */
const NO_STREAM = /no such audio stream/;

/**
 * Decodes the whole of `source`'s track in this process and hands it to `consume` in blocks, as
 * `decodeRange(ctx, source, 0, undefined, consume)` does with the CLI: each block is awaited
 * before the next is decoded (backpressure), and `signal` stops the decode, closes the input and
 * rejects with the signal's reason. Resolves with the number of frames.
 */
export async function decodeTrackNative(
  decoder: NativeDecoder,
  ctx: { signal?: AbortSignal },
  source: AudioSource,
  consume: SampleConsumer,
): Promise<number> {
  const { signal } = ctx;
  const aborted = () => signal?.reason ?? new Error('aborted');
  if (signal?.aborted) throw aborted();
  const { url, options } = nativeOpenArgs(source);
  try {
    return await decodeOpened(decoder, signal, url, options, source.channels, consume);
  } catch (err) {
    // The addon's messages name the input: never with its signature.
    if (err instanceof Error && err.message.includes(url))
      err.message = err.message.split(url).join(inputName(url));
    throw err;
  }
}

async function decodeOpened(
  decoder: NativeDecoder,
  signal: AbortSignal | undefined,
  url: string,
  options: NativeOpenOptions,
  channels: number,
  consume: SampleConsumer,
): Promise<number> {
  let handle: NativeHandle;
  try {
    handle = await decoder.open(url, options);
  } catch (err) {
    if (NO_STREAM.test((err as Error).message)) throw noAudio();
    throw err;
  }
  // An abort closes the input at once (a network read gives up) and ends the wait for a block.
  const onAbort = () => decoder.close(handle);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const frameBytes = channels * 2;
    // One buffer for every block: each is consumed before the next read writes over it (as the
    // CLI's FIFO is read into one reused buffer), so memory stays flat and nothing is copied.
    const into = Buffer.allocUnsafeSlow(READ_FRAMES * frameBytes);
    let frames = 0;
    for (;;) {
      const block = await untilAborted(decoder.read(handle, into), signal);
      if (block === null) break;
      if (block.length % frameBytes !== 0 || block.byteOffset % 2 !== 0)
        throw new Error(`${url}: the decoder gave ${block.length} bytes, not whole frames`);
      const samples = new Int16Array(block.buffer, block.byteOffset, block.length / 2);
      const start = frames;
      frames += block.length / frameBytes;
      const consumed = consume(samples, start);
      if (consumed instanceof Promise) await untilAborted(consumed, signal);
    }
    return frames;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    decoder.close(handle);
  }
}
