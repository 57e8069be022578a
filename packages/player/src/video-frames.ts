/**
 * The frame on screen, as the browser reports it. A perpetual requestVideoFrameCallback loop
 * records every frame the compositor presents (its mediaTime, named as a frame through core's
 * rationals); a paused seek aims at the middle of the frame and is trusted only when a
 * presentation after the seek names the target. A browser without the callback gets only the
 * video's clock during playback (the frame at currentTime on each animation frame), and its
 * paused frames come from the WebCodecs frame source instead.
 */
import type { FrameRate } from '@frameproof/core';
import { frameOfMediaTime, seekTimeOf } from './frames.js';

export interface Presented {
  frame: number;
  mediaTime: number;
  /** Increases with every presentation. */
  count: number;
}

type Waiter = (p: Presented) => void;

/** How long a seek may take before the player gives up on it (and says what is on screen). */
const SEEK_LIMIT_MS = 20_000;

export class VideoFrames {
  /** The last frame the browser reported presenting, or null before the first. */
  presented: Presented | null = null;
  readonly supported: boolean;
  private count = 0;
  private handle = 0;
  private waiters = new Set<Waiter>();
  private stopped = false;
  onPresent: ((p: Presented) => void) | null = null;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly rate: FrameRate,
  ) {
    this.supported = typeof video.requestVideoFrameCallback === 'function';
    if (this.supported) this.loop();
    else this.clockLoop();
  }

  private record(mediaTime: number): void {
    const p = { frame: frameOfMediaTime(mediaTime, this.rate), mediaTime, count: ++this.count };
    this.presented = p;
    for (const w of [...this.waiters]) w(p);
    this.onPresent?.(p);
  }

  private loop(): void {
    if (this.stopped) return;
    this.handle = this.video.requestVideoFrameCallback((_now, meta) => {
      this.record(meta.mediaTime);
      this.loop();
    });
  }

  /** Without the callback: while the video plays, the frame its clock names, once per change. */
  private clockLoop(): void {
    if (this.stopped) return;
    this.handle = requestAnimationFrame(() => {
      const v = this.video;
      if (!v.paused && frameOfMediaTime(v.currentTime, this.rate) !== this.presented?.frame) {
        this.record(v.currentTime);
      }
      this.clockLoop();
    });
  }

  /** The next presentation after now, or null after `timeoutMs`. */
  nextPresentation(timeoutMs: number): Promise<Presented | null> {
    return new Promise((resolve) => {
      const waiter: Waiter = (p) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(p);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(null);
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /**
   * Seeks the paused video to `frame` and resolves with the frame a presentation confirms, or
   * null when none did. `offset` places the seek inside the frame (0.5: its middle).
   */
  async seekAndConfirm(frame: number, offset = 0.5): Promise<number | null> {
    const v = this.video;
    const before = this.presented;
    const t =
      offset === 0.5 ? seekTimeOf(frame, this.rate) : ((frame + offset) * this.rate.den) / this.rate.num;
    const seeked = new Promise<void>((resolve) => {
      const done = (): void => {
        v.removeEventListener('seeked', done);
        resolve();
      };
      v.addEventListener('seeked', done);
    });
    // No short timeout while the seek is in flight: a slow seek (data still arriving, a starved
    // decoder) abandoned and asked again is aborted and begun anew by the browser, each time.
    const presentation = this.nextPresentation(SEEK_LIMIT_MS);
    v.currentTime = t;
    const first = await Promise.race([presentation, seeked.then(() => 'seeked' as const)]);
    let candidate: number | null;
    if (first !== 'seeked') {
      // Presented before (or without) 'seeked': the seek's frame, if the seek has finished.
      await Promise.race([seeked, delay(SEEK_LIMIT_MS)]);
      candidate = first ? first.frame : null;
    } else {
      // Seeked: its frame is presented on one of the next compositor frames, unless the same
      // frame was already on screen (the browser need not present it again). While the element
      // has no picture at all yet, its first one is sure to come, however late; once it has one
      // (HAVE_CURRENT_DATA), a presentation that does not come soon is not coming (the callback
      // is missing or broken), and the player decodes the frame instead of waiting.
      const firstPicture = !this.presented && v.readyState < HTMLMediaElement.HAVE_CURRENT_DATA;
      const after = await this.nextPresentation(
        before && before.frame === frame ? 120 : firstPicture ? SEEK_LIMIT_MS : this.presented ? 600 : 1000,
      );
      const now = this.presented;
      candidate = after ? after.frame : now && now.frame === frame ? frame : null;
    }
    if (candidate !== frame) return candidate;
    // A frame reported is composited on the next rendering update; and a presentation still in
    // flight from before the seek (playback that just stopped) must not be taken for it. Two
    // animation frames later, the last presentation must still name the target.
    await nextAnimationFrame();
    await nextAnimationFrame();
    return this.presented?.frame ?? null;
  }

  /** The frame in the middle of playback: the last presented (or null before any). */
  get frame(): number | null {
    return this.presented?.frame ?? null;
  }

  destroy(): void {
    this.stopped = true;
    if (this.supported) this.video.cancelVideoFrameCallback(this.handle);
    else cancelAnimationFrame(this.handle);
    this.waiters.clear();
  }
}

export function nextAnimationFrame(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => r()));
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
