import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { LineSplitter } from './processors/analysis-log.js';
import { noAudio } from './errors.js';

export class FfmpegError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

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

/** Runs ffmpeg with `args`; the only place that spawns it. */
export function runFfmpeg(
  ffmpegPath: string,
  args: readonly string[],
  options: FfmpegOptions = {},
): FfmpegRun {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(ffmpegPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const lines = new LineSplitter((line) => {
    options.onStderrLine?.(line);
    tail.push(line);
    if (tail.length > 30) tail.shift();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => lines.push(chunk));
  let stopped = false;
  const stop = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    stopped = true;
    child.kill('SIGKILL');
  };
  const onAbort = () => stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop();
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (err) =>
      reject(new FfmpegError(`could not run ffmpeg (${ffmpegPath}): ${err.message}`, '')),
    );
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      lines.end();
      const stderr = tail.join('\n');
      if (options.signal?.aborted) reject(options.signal.reason ?? new Error('aborted'));
      else if (code === 0 || stopped) resolve();
      else if (NO_AUDIO.test(stderr)) reject(noAudio());
      else reject(new FfmpegError(`ffmpeg exited with ${code ?? signal}: ${tail.at(-1) ?? ''}`, stderr));
    });
  });
  // A consumer that stops reading must not leave an unhandled error behind; `done` is still
  // rejected for whoever awaits it.
  child.stdout.on('error', () => undefined);
  done.catch(() => undefined);
  return { stdout: child.stdout, done, stop };
}
