import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FfmpegProgress } from '@frameproof/core';
import { FfmpegError, FfmpegRunner } from '../src/ffmpeg-runner.js';
/** The machine's ffmpeg (Debian's here). */
const SYSTEM = { ffmpeg: '/usr/bin/ffmpeg', ffprobe: '/usr/bin/ffprobe' };

const runner = new FfmpegRunner(SYSTEM);
const lavfi = (seconds: number, ...extra: string[]) => [
  '-hide_banner',
  '-nostdin',
  ...extra,
  '-f',
  'lavfi',
  '-i',
  `testsrc2=s=64x36:r=25:d=${seconds}`,
  '-progress',
  'pipe:1',
  '-nostats',
  '-f',
  'null',
  '-',
];

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'frameproof-runner-bin-'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('FfmpegRunner', () => {
  it('streams raw output (PCM) and hands stderr over line by line', async () => {
    const lines: string[] = [];
    const stream = runner.ffmpegStream(
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'info',
        '-f',
        'lavfi',
        '-i',
        'sine=f=1000:r=8000:d=3',
        '-af',
        'ebur128=framelog=info',
        '-ac',
        '2',
        '-ar',
        '8000',
        '-f',
        's16le',
        'pipe:1',
      ],
      { onStderrLine: (line) => lines.push(line) },
    );
    let bytes = 0;
    for await (const chunk of stream.stdout as AsyncIterable<Buffer>) bytes += chunk.length;
    await stream.done;
    // 3 s of stereo s16 at 8 kHz, every byte.
    assert.equal(bytes, 3 * 8000 * 2 * 2);
    assert.ok(lines.filter((l) => / M:/.test(l)).length >= 29, 'every ebur128 frame line');
    assert.ok(lines.some((l) => l.includes('Summary:')));
  });

  it('a streamed run stopped early resolves; a failing one rejects with FfmpegError', async () => {
    const stream = runner.ffmpegStream([
      '-nostdin',
      '-f',
      'lavfi',
      '-i',
      'sine=d=600',
      '-f',
      's16le',
      'pipe:1',
    ]);
    for await (const _chunk of stream.stdout) break;
    stream.stop();
    await stream.done;
    const bad = runner.ffmpegStream(['-nostdin', '-i', join(dir, 'missing.wav'), '-f', 's16le', 'pipe:1']);
    bad.stdout.resume();
    await assert.rejects(bad.done, (err: unknown) => err instanceof FfmpegError && err.exitCode !== 0);
  });

  it('reports progress as it goes and ends at 100 %', async () => {
    const seen: FfmpegProgress[] = [];
    const result = await runner.ffmpeg(lavfi(4), { durationSeconds: 4, onProgress: (p) => seen.push(p) });
    assert.ok(seen.length >= 1);
    assert.deepEqual([seen.at(-1)?.percent, seen.at(-1)?.done, seen.at(-1)?.frame], [100, true, 100]);
    assert.equal(result.progress?.frame, 100);
    assert.equal(result.stdout, '', 'progress output is parsed, not collected');
  });

  it('hands every stderr line over and keeps only the end of it', async () => {
    const lines: string[] = [];
    const result = await runner.ffmpeg(lavfi(2, '-loglevel', 'info'), {
      onStderrLine: (line) => lines.push(line),
      stderrLimit: 500,
    });
    assert.ok(lines.length > 5, String(lines.length));
    assert.ok(result.stderr.length <= 500);
    assert.ok(lines.join('\n').endsWith(result.stderr.trimEnd().split('\n').at(-1) ?? ''));
  });

  it('kills the process on abort and rejects with the reason', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('cancelled by test')), 200);
    await assert.rejects(
      runner.ffmpeg(lavfi(600, '-re'), { signal: controller.signal }),
      /cancelled by test/,
    );
    assert.ok(Date.now() - started < 2000);
    await assert.rejects(runner.ffmpeg(['-version'], { signal: controller.signal }), /cancelled by test/);
  });

  it('collects ffprobe output and fails clearly on input that is not there', async () => {
    const { stdout } = await runner.ffprobe([
      '-v',
      'error',
      '-of',
      'json',
      '-show_format',
      '-f',
      'lavfi',
      'color=s=8x8:d=1',
    ]);
    assert.equal((JSON.parse(stdout) as { format: { format_name: string } }).format.format_name, 'lavfi');
    await assert.rejects(runner.ffprobe(['-v', 'error', 'file:/no/such/file.mov']), (err: unknown) => {
      assert.ok(err instanceof FfmpegError);
      assert.equal(err.retryable, false);
      assert.equal(err.exitCode, 1);
      assert.match(err.message, /^ffprobe exited with code 1: .*No such file or directory/);
      return true;
    });
  });

  it('fails a run that exits 0 but could not finish its output (a full disk), as worth another try', async () => {
    // What ffmpeg 5.1 does when the disk fills up as it writes an MP4's index: it says so, exits 0.
    const full = join(dir, 'full');
    await writeFile(
      full,
      [
        '#!/bin/sh',
        'echo "Error writing trailer of file:/tmp/job/video.mp4: No space left on device" >&2',
        'echo "Error closing file file:/tmp/job/video.mp4: No space left on device" >&2',
        'exit 0',
        '',
      ].join('\n'),
    );
    await chmod(full, 0o755);
    const partial = new FfmpegRunner({ ffmpeg: full, ffprobe: '' });
    const check = (err: unknown) => {
      assert.ok(err instanceof FfmpegError);
      assert.equal(err.retryable, true);
      assert.equal(err.exitCode, 0);
      assert.match(err.message, /^full left its output unfinished: .*No space left on device/);
      return true;
    };
    await assert.rejects(partial.ffmpeg([]), check);
    const streamed = partial.ffmpegStream([]);
    streamed.stdout.resume();
    await assert.rejects(streamed.done, check);
  });

  it('fails when the binary cannot run, and treats a crash as the input’s doing', async () => {
    await assert.rejects(
      new FfmpegRunner({ ffmpeg: join(dir, 'nope'), ffprobe: '' }).ffmpeg([]),
      (err: unknown) => {
        assert.ok(err instanceof FfmpegError && err.retryable);
        assert.match(err.message, /cannot run .*nope: spawn .* ENOENT/);
        return true;
      },
    );
    const crash = join(dir, 'crash');
    await writeFile(crash, '#!/bin/sh\necho "decoding..." >&2\nkill -SEGV $$\n');
    await chmod(crash, 0o755);
    await assert.rejects(new FfmpegRunner({ ffmpeg: crash, ffprobe: '' }).ffmpeg([]), (err: unknown) => {
      assert.ok(err instanceof FfmpegError);
      assert.equal(err.retryable, false);
      assert.match(err.message, /^crash crashed \(SIGSEGV\): decoding\.\.\./);
      return true;
    });
  });
});
