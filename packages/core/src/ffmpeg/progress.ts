/** Where a run is, from one block of `-progress pipe:1` output. */
export interface FfmpegProgress {
  /** Output time reached, seconds. */
  outTimeSeconds: number;
  /** 0-100, against the expected duration. */
  percent: number;
  /** Seconds left at the current speed; absent until ffmpeg reports a speed. */
  etaSeconds?: number;
  /** Times real time (2 = twice as fast as playback). */
  speed?: number;
  /** Frames written so far (the first video output). */
  frame?: number;
  dupFrames?: number;
  dropFrames?: number;
  /** The last block (`progress=end`). */
  done: boolean;
}

/**
 * Reads `-progress pipe:1` output (key=value lines, each block ending with `progress=...`) in
 * chunks as they arrive, and turns each block into percent done and time left for a run
 * expected to cover `durationSeconds` of media.
 */
export class ProgressParser {
  private buffer = '';
  private block = new Map<string, string>();

  constructor(private readonly durationSeconds: number) {}

  /** Feeds a chunk of stdout; returns the blocks it completed. */
  push(chunk: string): FfmpegProgress[] {
    this.buffer += chunk;
    const lines = this.buffer.split(/\r?\n/);
    this.buffer = lines.pop() ?? '';
    const out: FfmpegProgress[] = [];
    for (const line of lines) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      if (key !== 'progress') {
        this.block.set(key, value);
        continue;
      }
      out.push(this.finish(value === 'end'));
      this.block = new Map();
    }
    return out;
  }

  private finish(done: boolean): FfmpegProgress {
    const b = this.block;
    const int = (key: string) => {
      const n = Number.parseInt(b.get(key) ?? '', 10);
      return Number.isFinite(n) ? n : undefined;
    };
    // out_time_ms is in microseconds too (an old ffmpeg mistake kept for compatibility).
    const micros = int('out_time_us') ?? int('out_time_ms');
    const outTimeSeconds = micros !== undefined && micros > 0 ? micros / 1e6 : parseClock(b.get('out_time'));
    const speed = Number.parseFloat(b.get('speed') ?? '');
    const duration = this.durationSeconds;
    const percent = done
      ? 100
      : duration > 0
        ? Math.min(100, Math.max(0, (outTimeSeconds / duration) * 100))
        : 0;
    const progress: FfmpegProgress = { outTimeSeconds, percent, done };
    if (Number.isFinite(speed) && speed > 0) {
      progress.speed = speed;
      progress.etaSeconds = done ? 0 : Math.max(0, (duration - outTimeSeconds) / speed);
    }
    const frame = int('frame');
    if (frame !== undefined) progress.frame = frame;
    const dup = int('dup_frames');
    if (dup !== undefined) progress.dupFrames = dup;
    const drop = int('drop_frames');
    if (drop !== undefined) progress.dropFrames = drop;
    return progress;
  }
}

/** "00:01:02.500000" → 62.5; anything else (N/A, negative) → 0. */
function parseClock(text: string | undefined): number {
  const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(text ?? '');
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : 0;
}
