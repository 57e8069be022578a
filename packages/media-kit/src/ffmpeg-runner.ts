import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import {
  type FfmpegProgress,
  ProgressParser,
  classifyFfmpegFailure,
  unfinishedOutput,
} from '@frameproof/core';

/** A run of ffmpeg or ffprobe that ended badly; `retryable` is false when the input is at fault. */
export class FfmpegError extends Error {
  override readonly name = 'FfmpegError';
  /** Whether running it again may succeed (a resource ran out) or would fail the same way. */
  readonly retryable: boolean;
  /** The exit code; null when it never ran or was killed. */
  readonly exitCode: number | null;
  /** The end of what it wrote to stderr. */
  readonly stderr: string;
  constructor(
    message: string,
    {
      retryable,
      exitCode = null,
      stderr = '',
    }: { retryable: boolean; exitCode?: number | null; stderr?: string },
  ) {
    super(message);
    this.retryable = retryable;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export interface RunOptions {
  /** Aborting kills the process (SIGKILL) and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** With `onProgress`: the media duration the run covers, for percent and time left. */
  durationSeconds?: number;
  /** Progress blocks from `-progress pipe:1` (stdout is then not collected). */
  onProgress?: (progress: FfmpegProgress) => void;
  /** Every stderr line, as it comes (for parsers of analysis output). */
  onStderrLine?: (line: string) => void;
  /** How much of the end of stderr is kept for the result and error messages. */
  stderrLimit?: number;
  /** How much stdout is collected (ffprobe's JSON); more fails the run. */
  stdoutLimit?: number;
}

export interface RunResult {
  stdout: string;
  /** The end of stderr (at most `stderrLimit` characters). */
  stderr: string;
  /** The last progress block, when progress was asked for. */
  progress?: FfmpegProgress;
}

/** A run whose stdout is raw output (decoded PCM), read as a stream by the caller. */
export interface FfmpegStream {
  stdout: Readable;
  /**
   * Settles when the process has exited: resolved on exit 0 or after `stop()`; rejected with
   * FfmpegError otherwise, or with the abort signal's reason.
   */
  done: Promise<RunResult>;
  /** Ends the run early (SIGKILL); `done` then resolves. */
  stop(): void;
}

export interface FfmpegPaths {
  ffmpeg: string;
  ffprobe: string;
}

const CRASH_SIGNALS = new Set<NodeJS.Signals>(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGABRT']);

/** Why an abort happened, when the caller gave no reason. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/**
 * The only place that starts ffmpeg and ffprobe: with an argument array (never a shell), no
 * stdin, stderr kept to a cap, progress parsed as it comes, killed on abort.
 */
export class FfmpegRunner {
  constructor(
    readonly paths: FfmpegPaths,
    /** Told every command before it runs (logged at debug level; the ingest benchmark replays them). */
    private readonly onCommand?: (command: string, args: readonly string[]) => void,
  ) {}

  ffmpeg(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return this.run(this.paths.ffmpeg, args, options);
  }

  ffprobe(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return this.run(this.paths.ffprobe, args, options);
  }

  /**
   * ffmpeg with its stdout handed over as a stream (PCM on `pipe:1`), for output too large to
   * collect; stderr is handled as in `ffmpeg()` (lines to `onStderrLine`, the end kept).
   */
  ffmpegStream(
    args: readonly string[],
    options: Omit<RunOptions, 'onProgress' | 'stdoutLimit'> = {},
  ): FfmpegStream {
    const { signal, onStderrLine } = options;
    const command = this.paths.ffmpeg;
    const stderrLimit = options.stderrLimit ?? 64 * 1024;
    this.onCommand?.(command, args);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stderr = '';
    let partialLine = '';
    let stopped = false;
    const stop = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopped = true;
      child.kill('SIGKILL');
    };
    const onAbort = () => stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) stop();
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 2 * stderrLimit) stderr = stderr.slice(-stderrLimit);
      if (!onStderrLine) return;
      const lines = (partialLine + chunk).split(/\r\n|\r|\n/);
      partialLine = lines.pop() ?? '';
      for (const line of lines) onStderrLine(line);
    });
    const done = new Promise<RunResult>((resolve, reject) => {
      child.once('error', (err) =>
        reject(new FfmpegError(`cannot run ${command}: ${err.message}`, { retryable: true })),
      );
      child.once('close', (code, killedBy) => {
        signal?.removeEventListener('abort', onAbort);
        if (partialLine && onStderrLine) onStderrLine(partialLine);
        partialLine = '';
        const tail = stderr.slice(-stderrLimit);
        if (signal?.aborted) reject(abortReason(signal));
        else if (stopped) resolve({ stdout: '', stderr: tail });
        else if (code === 0 && !unfinishedOutput(tail)) resolve({ stdout: '', stderr: tail });
        else reject(failure(command, code, killedBy, tail));
      });
    });
    // A consumer that stops reading must not leave an unhandled error behind; `done` still
    // rejects for whoever awaits it.
    child.stdout.on('error', () => undefined);
    done.catch(() => undefined);
    return { stdout: child.stdout, done, stop };
  }

  private run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    const { signal, onProgress, onStderrLine } = options;
    const stderrLimit = options.stderrLimit ?? 64 * 1024;
    const stdoutLimit = options.stdoutLimit ?? 32 * 1024 * 1024;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    this.onCommand?.(command, args);
    return new Promise<RunResult>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
      const progress = onProgress ? new ProgressParser(options.durationSeconds ?? 0) : undefined;
      let last: FfmpegProgress | undefined;
      let stdout = '';
      let stderr = '';
      let partialLine = '';
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => {
        child.kill('SIGKILL');
        settle(() => reject(abortReason(signal as AbortSignal)));
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        if (progress) {
          for (const p of progress.push(chunk)) {
            last = p;
            onProgress?.(p);
          }
          return;
        }
        stdout += chunk;
        if (stdout.length > stdoutLimit) {
          child.kill('SIGKILL');
          settle(() =>
            reject(new FfmpegError(`${command} wrote more than ${stdoutLimit} bytes`, { retryable: false })),
          );
        }
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.length > 2 * stderrLimit) stderr = stderr.slice(-stderrLimit);
        if (!onStderrLine) return;
        const lines = (partialLine + chunk).split(/\r?\n/);
        partialLine = lines.pop() ?? '';
        for (const line of lines) onStderrLine(line);
      });
      child.on('error', (err) =>
        settle(() => reject(new FfmpegError(`cannot run ${command}: ${err.message}`, { retryable: true }))),
      );
      child.on('close', (code, killedBy) => {
        if (partialLine && onStderrLine) onStderrLine(partialLine);
        const tail = stderr.slice(-stderrLimit);
        if (code === 0 && !unfinishedOutput(tail)) {
          settle(() => resolve({ stdout, stderr: tail, progress: last }));
          return;
        }
        settle(() => reject(failure(command, code, killedBy, tail)));
      });
    });
  }
}

/**
 * The error of a run that exited badly, classified from the end of its stderr. Exit code 0 with
 * an output left unfinished (a full disk: ffmpeg 5.1 exits 0 then) is a failure too.
 */
function failure(
  command: string,
  code: number | null,
  killedBy: NodeJS.Signals | null,
  tail: string,
): FfmpegError {
  const classified = classifyFfmpegFailure(tail);
  // A crash on a file is the file's doing (a decoder bug it triggers) and would repeat.
  const crashed = killedBy !== null && CRASH_SIGNALS.has(killedBy);
  const retryable = classified.retryable && !crashed;
  const how = crashed
    ? `crashed (${killedBy})`
    : killedBy
      ? `was killed by ${killedBy}`
      : code === 0
        ? 'left its output unfinished'
        : `exited with code ${code}`;
  const name = command.split('/').pop() ?? command;
  return new FfmpegError(`${name} ${how}: ${classified.summary}`, {
    retryable,
    exitCode: code,
    stderr: tail,
  });
}
