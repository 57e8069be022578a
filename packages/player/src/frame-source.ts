/**
 * The WebCodecs frame source: decodes the exact frame of the proxy and paints it on a canvas,
 * for where the video element's frame cannot be confirmed. mediabunny demuxes the MP4 (edit
 * lists included, so its timestamps are the video element's) and decodes from the key frame
 * before the frame asked for. The player loads this module with a dynamic import, only when it
 * is needed, so mediabunny stays out of the player's initial JavaScript.
 */
import type { FrameRate } from '@frameproof/core';
import { Input, MP4, UrlSource, VideoSampleSink } from 'mediabunny';
import { decodeTimeOf, sampleFrame } from './frames.js';

export interface PaintedFrame {
  /** The frame the decoded sample names (what the canvas now shows). */
  frame: number;
  /** Whether that is the picture of the frame asked for. */
  exact: boolean;
}

export class FrameDecoder {
  private constructor(
    private readonly input: Input,
    private readonly sink: VideoSampleSink,
    private readonly rate: FrameRate,
  ) {}

  /** Opens the proxy; rejects with the reason where this browser cannot decode it. */
  static async open(url: string, rate: FrameRate): Promise<FrameDecoder> {
    if (typeof VideoDecoder === 'undefined') throw new Error('this browser has no WebCodecs VideoDecoder');
    const source = new UrlSource(new URL(url, document.baseURI), {
      // Two retries, then the reason reaches the player (mediabunny's default retries forever,
      // and an expired signed URL would leave the seek hanging).
      getRetryDelay: (attempts) => (attempts < 3 ? 0.25 * attempts : null),
    });
    const input = new Input({ source, formats: [MP4] });
    try {
      const track = await input.getPrimaryVideoTrack();
      if (!track) throw new Error('the proxy has no video track');
      if (!(await track.canDecode())) {
        throw new Error(`this browser's VideoDecoder cannot decode ${track.codec ?? 'the proxy'}`);
      }
      return new FrameDecoder(input, new VideoSampleSink(track), rate);
    } catch (err) {
      input.dispose();
      throw err;
    }
  }

  /**
   * Decodes `frame` and paints it on `canvas` (sized to the picture), unless `stale()` says a
   * newer request has replaced this one by the time it is decoded: then nothing is painted and
   * the result is null.
   */
  async paint(frame: number, canvas: HTMLCanvasElement, stale: () => boolean): Promise<PaintedFrame | null> {
    const sample = await this.sink.getSample(decodeTimeOf(frame, this.rate));
    if (!sample) throw new Error(`the proxy has no picture at frame ${frame}`);
    try {
      if (stale()) return null;
      const g = canvas.getContext('2d');
      if (!g) throw new Error('no 2D canvas context');
      if (canvas.width !== sample.displayWidth) canvas.width = sample.displayWidth;
      if (canvas.height !== sample.displayHeight) canvas.height = sample.displayHeight;
      sample.draw(g, 0, 0, canvas.width, canvas.height);
      return sampleFrame(sample, frame, this.rate);
    } finally {
      sample.close();
    }
  }

  destroy(): void {
    this.input.dispose();
  }
}
