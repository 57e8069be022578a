import type { Readable } from 'node:stream';
import { FfmpegError, FfmpegRunner } from '@frameproof/media-kit';
import { noAudio } from './errors.js';

export { FfmpegError } from '@frameproof/media-kit';

/** Messages by which ffmpeg says the input has no audio to map. */
const NO_AUDIO = /matches no streams|does not contain any stream/i;

export interface FfmpegRun {
  /** Raw output (`pipe:1`). */
  stdout: Readable;
  /** Resolves when ffmpeg exits 0 (or was stopped by `stop()`); rejects with FfmpegError otherwise. */
  done: Promise<void>;
  /** Stops ffmpeg early; `done` then resolves. */
  stop(): void;
}

export interface FfmpegOptions {
  signal?: AbortSignal;
  /** Every stderr line, as it comes (for parsers). */
  onStderrLine?: (line: string) => void;
}

/**
 * Runs ffmpeg with `args` through media-kit's runner (the one place that spawns it), its output
 * streamed; an input without the audio asked for becomes a 422.
 */
export function runFfmpeg(
  ffmpegPath: string,
  args: readonly string[],
  options: FfmpegOptions = {},
): FfmpegRun {
  const run = new FfmpegRunner({ ffmpeg: ffmpegPath, ffprobe: '' }).ffmpegStream(args, {
    signal: options.signal,
    onStderrLine: options.onStderrLine,
    stderrLimit: 8 * 1024,
  });
  const done = run.done.then(
    () => undefined,
    (err: unknown) => {
      if (err instanceof FfmpegError && NO_AUDIO.test(err.stderr)) throw noAudio();
      throw err;
    },
  );
  done.catch(() => undefined);
  return { stdout: run.stdout, done, stop: run.stop };
}
