/**
 * Min/max peaks per block of samples, from interleaved signed 16-bit PCM. Pure: no I/O.
 *
 * A "series" is one line of peaks: a channel, or the mix of all channels. The mix is computed as
 * BBC audiowaveform does: the average of the channels' samples, truncated toward zero, so that our
 * merged output matches `audiowaveform` without `--split-channels`.
 *
 * Peaks are stored as an Int16Array laid out [bin][series][min, max], which is also the data layout
 * of the audiowaveform format, version 2.
 */

import { createStereoPeaks, type StereoPeaks } from './peaks-simd.js';

export type ChannelMode = 'merged' | 'all';

/** Which series a computation produces, for audio with `channels` channels. */
export interface SeriesSpec {
  channels: number;
  /** One series per channel. */
  perChannel: boolean;
  /** One series for the mix of all channels (after the per-channel ones). */
  merged: boolean;
}

export function seriesCount(spec: SeriesSpec): number {
  return (spec.perChannel ? spec.channels : 0) + (spec.merged ? 1 : 0);
}

/** What a request asks for. A mono mix is the channel itself, so it is computed as one. */
export function requestedSeries(channels: number, mode: ChannelMode): SeriesSpec {
  if (mode === 'all' || channels === 1) return { channels, perChannel: true, merged: false };
  return { channels, perChannel: false, merged: true };
}

/** What the multi-resolution file stores: every channel, and the mix when there are several. */
export function storedSeries(channels: number): SeriesSpec {
  return { channels, perChannel: true, merged: channels > 1 };
}

/** The indices, in the stored layout, of the series a request asks for. */
export function storedIndices(channels: number, mode: ChannelMode): number[] {
  if (mode === 'all' || channels === 1) return Array.from({ length: channels }, (_, i) => i);
  return [channels];
}

/** Receives finished bins: `bins` bins of `series` [min, max] pairs. The array is reused. */
export type BinSink = (data: Int16Array, bins: number) => void;

const BATCH_BINS = 4096;
/** The SIMD kernel, shared: calls are synchronous, so one instance serves the whole process. */
const simd = createStereoPeaks();
/** Frames handed to the SIMD kernel per call (its memory: 4 bytes a frame). */
const SIMD_FRAMES = 1 << 16;

/**
 * Streams interleaved PCM in, emits one [min, max] per series for every `samplesPerPixel` frames.
 * The last bin of a stream may be partial (as in audiowaveform); `end()` emits it.
 */
export class PeakAccumulator {
  readonly series: number;
  private readonly mins: Int32Array;
  private readonly maxs: Int32Array;
  /** Frames in the bin being filled. */
  private filled = 0;
  private readonly batch: Int16Array;
  private batchBins = 0;
  private carry = new Int16Array(0);

  constructor(
    readonly spec: SeriesSpec,
    readonly samplesPerPixel: number,
    private readonly sink: BinSink,
    /** `simd: false` keeps to the plain loop where the WebAssembly SIMD one applies (tests compare both). */
    private readonly options: { simd?: boolean } = {},
  ) {
    if (!Number.isInteger(samplesPerPixel) || samplesPerPixel < 1) {
      throw new RangeError(`samplesPerPixel must be a whole number >= 1, got ${samplesPerPixel}`);
    }
    if (!Number.isInteger(spec.channels) || spec.channels < 1)
      throw new RangeError(`channels must be >= 1, got ${spec.channels}`);
    this.series = seriesCount(spec);
    if (this.series === 0) throw new RangeError('nothing to compute: no series selected');
    // Accumulators for every channel and the mix, whatever is emitted.
    this.mins = new Int32Array(spec.channels + 1);
    this.maxs = new Int32Array(spec.channels + 1);
    this.reset();
    this.batch = new Int16Array(BATCH_BINS * this.series * 2);
  }

  private reset(): void {
    this.mins.fill(32767);
    this.maxs.fill(-32768);
    this.filled = 0;
  }

  /** Interleaved samples; a trailing partial frame is kept for the next call. */
  push(samples: Int16Array): void {
    const channels = this.spec.channels;
    let input = samples;
    if (this.carry.length) {
      input = new Int16Array(this.carry.length + samples.length);
      input.set(this.carry);
      input.set(samples, this.carry.length);
    }
    const whole = input.length - (input.length % channels);
    this.carry = whole < input.length ? input.slice(whole) : new Int16Array(0);
    const frames = whole / channels;
    let pos = 0; // in frames
    // A bin begun in an earlier call.
    if (this.filled > 0) {
      const take = Math.min(this.samplesPerPixel - this.filled, frames);
      this.scan(input, 0, take * channels);
      pos = take;
      this.filled += take;
      if (this.filled === this.samplesPerPixel) this.emit();
    }
    // Whole bins: the hot loop.
    const bins = Math.floor((frames - pos) / this.samplesPerPixel);
    if (bins > 0) {
      if (channels <= 2) this.wholeBins(input, pos, bins);
      else {
        for (let b = 0; b < bins; b++) {
          const from = (pos + b * this.samplesPerPixel) * channels;
          this.scan(input, from, from + this.samplesPerPixel * channels);
          this.emit();
        }
      }
      pos += bins * this.samplesPerPixel;
    }
    // The start of a bin that the next call completes.
    if (pos < frames) {
      this.scan(input, pos * channels, frames * channels);
      this.filled = frames - pos;
    }
  }

  /**
   * `bins` whole bins of mono or stereo from frame `pos`, written straight into the batch: no call
   * or reset per bin, which matters at one sample per pixel.
   */
  private wholeBins(a: Int16Array, pos: number, bins: number): void {
    const spp = this.samplesPerPixel;
    const { channels, perChannel, merged } = this.spec;
    if (channels === 2 && spp % 4 === 0 && simd && this.options.simd !== false)
      return this.wholeStereoSimd(a, pos, bins);
    if (spp === 1) return this.singleSampleBins(a, pos, bins);
    const stride = this.series * 2;
    const out = this.batch;
    let i = pos * channels;
    for (let done = 0; done < bins;) {
      const n = Math.min(bins - done, BATCH_BINS - this.batchBins);
      let o = this.batchBins * stride;
      for (let b = 0; b < n; b++) {
        const end = i + spp * channels;
        if (channels === 1) {
          let mn = 32767;
          let mx = -32768;
          for (; i < end; i++) {
            const v = a[i] as number;
            if (v < mn) mn = v;
            if (v > mx) mx = v;
          }
          out[o++] = mn;
          out[o++] = mx;
        } else {
          let mn0 = 32767,
            mx0 = -32768,
            mn1 = 32767,
            mx1 = -32768,
            mn2 = 32767,
            mx2 = -32768;
          for (; i < end; i += 2) {
            const l = a[i] as number;
            const r = a[i + 1] as number;
            const m = ((l + r) / 2) | 0;
            if (l < mn0) mn0 = l;
            if (l > mx0) mx0 = l;
            if (r < mn1) mn1 = r;
            if (r > mx1) mx1 = r;
            if (m < mn2) mn2 = m;
            if (m > mx2) mx2 = m;
          }
          if (perChannel) {
            out[o++] = mn0;
            out[o++] = mx0;
            out[o++] = mn1;
            out[o++] = mx1;
          }
          if (merged) {
            out[o++] = mn2;
            out[o++] = mx2;
          }
        }
      }
      done += n;
      this.batchBins += n;
      if (this.batchBins === BATCH_BINS) this.flushBatch();
    }
  }

  /**
   * One sample per pixel, mono or stereo: each bin's min and max are the sample (or the mix)
   * itself; one loop per layout, with nothing decided per sample (a 10 s window is 480 000 bins).
   */
  private singleSampleBins(a: Int16Array, pos: number, bins: number): void {
    const { channels, perChannel, merged } = this.spec;
    const out = this.batch;
    let i = pos * channels;
    for (let done = 0; done < bins;) {
      const n = Math.min(bins - done, BATCH_BINS - this.batchBins);
      let o = this.batchBins * this.series * 2;
      const stop = i + n * channels;
      if (channels === 1) {
        for (; i < stop; i++) {
          const v = a[i] as number;
          out[o++] = v;
          out[o++] = v;
        }
      } else if (!perChannel) {
        for (; i < stop; i += 2) {
          const m = (((a[i] as number) + (a[i + 1] as number)) / 2) | 0;
          out[o++] = m;
          out[o++] = m;
        }
      } else {
        for (; i < stop; i += 2) {
          const l = a[i] as number;
          const r = a[i + 1] as number;
          out[o++] = l;
          out[o++] = l;
          out[o++] = r;
          out[o++] = r;
          if (merged) {
            const m = ((l + r) / 2) | 0;
            out[o++] = m;
            out[o++] = m;
          }
        }
      }
      done += n;
      this.batchBins += n;
      if (this.batchBins === BATCH_BINS) this.flushBatch();
    }
  }

  /** Stereo whole bins through the SIMD kernel, which gives left, right and mix for each. */
  private wholeStereoSimd(a: Int16Array, pos: number, bins: number): void {
    const spp = this.samplesPerPixel;
    const { perChannel, merged } = this.spec;
    const out = this.batch;
    const perCall = Math.max(1, Math.floor(SIMD_FRAMES / spp));
    let i = pos * 2;
    for (let done = 0; done < bins;) {
      const n = Math.min(bins - done, BATCH_BINS - this.batchBins, perCall);
      const peaks = (simd as StereoPeaks).run(a, i, n, spp);
      let o = this.batchBins * this.series * 2;
      if (perChannel && merged) out.set(peaks, o);
      else {
        const first = perChannel ? 0 : 4;
        const count = perChannel ? 4 : 2;
        for (let b = 0; b < n; b++)
          for (let k = 0; k < count; k++) out[o++] = peaks[b * 6 + first + k] as number;
      }
      i += n * spp * 2;
      done += n;
      this.batchBins += n;
      if (this.batchBins === BATCH_BINS) this.flushBatch();
    }
  }

  /** Emits the partial bin, if any, and everything batched. */
  end(): void {
    if (this.filled > 0) this.emit();
    this.flushBatch();
  }

  /**
   * Folds samples [from, to) into the bin being filled. Any channel count; used for the edges of
   * each push (and for every bin beyond stereo), so it need not be fast.
   */
  private scan(a: Int16Array, from: number, to: number): void {
    const { mins, maxs } = this;
    const channels = this.spec.channels;
    for (let i = from; i < to; i += channels) {
      let sum = 0;
      for (let c = 0; c < channels; c++) {
        const v = a[i + c] as number;
        sum += v;
        if (v < (mins[c] as number)) mins[c] = v;
        if (v > (maxs[c] as number)) maxs[c] = v;
      }
      const m = (sum / channels) | 0;
      if (m < (mins[channels] as number)) mins[channels] = m;
      if (m > (maxs[channels] as number)) maxs[channels] = m;
    }
  }

  private emit(): void {
    const { channels, perChannel, merged } = this.spec;
    let o = this.batchBins * this.series * 2;
    const out = this.batch;
    if (perChannel) {
      for (let c = 0; c < channels; c++) {
        out[o++] = this.mins[c] as number;
        out[o++] = this.maxs[c] as number;
      }
    }
    if (merged) {
      out[o++] = this.mins[channels] as number;
      out[o++] = this.maxs[channels] as number;
    }
    this.reset();
    if (++this.batchBins === BATCH_BINS) this.flushBatch();
  }

  private flushBatch(): void {
    if (this.batchBins === 0) return;
    this.sink(this.batch, this.batchBins);
    this.batchBins = 0;
  }
}

/** Peaks of a whole buffer at once (tests, small windows). */
export function computePeaks(samples: Int16Array, spec: SeriesSpec, samplesPerPixel: number): Int16Array {
  const parts: Int16Array[] = [];
  const acc = new PeakAccumulator(spec, samplesPerPixel, (data, bins) =>
    parts.push(data.slice(0, bins * seriesCount(spec) * 2)),
  );
  acc.push(samples);
  acc.end();
  return concatInt16(parts);
}

export function concatInt16(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Combines every `factor` consecutive bins into one (min of mins, max of maxes); a trailing group
 * shorter than `factor` makes a last, partial bin. Exact: coarser peaks from finer ones. Written
 * into `out` when given (its length must be the result's).
 */
export function coarsen(
  bins: Int16Array,
  series: number,
  factor: number,
  out: Int16Array = new Int16Array(Math.ceil(bins.length / (series * 2) / factor) * series * 2),
): Int16Array {
  const stride = series * 2;
  const count = bins.length / stride;
  const outCount = Math.ceil(count / factor);
  if (out.length !== outCount * stride)
    throw new RangeError(`coarsen: out holds ${out.length} values, not ${outCount * stride}`);
  for (let ob = 0; ob < outCount; ob++) {
    const first = ob * factor;
    const last = Math.min(count, first + factor);
    const o = ob * stride;
    for (let s = 0; s < stride; s += 2) {
      let mn = 32767;
      let mx = -32768;
      for (let b = first; b < last; b++) {
        const i = b * stride + s;
        const lo = bins[i] as number;
        const hi = bins[i + 1] as number;
        if (lo < mn) mn = lo;
        if (hi > mx) mx = hi;
      }
      out[o + s] = mn;
      out[o + s + 1] = mx;
    }
  }
  return out;
}

/**
 * Keeps only the series at `indices` (in order) of bins holding `series` series; written into `out`
 * when given (its length must be the result's), else the bins themselves when all are kept.
 */
export function selectSeries(
  bins: Int16Array,
  series: number,
  indices: readonly number[],
  out?: Int16Array,
): Int16Array {
  const count = bins.length / (series * 2);
  if (out === undefined) {
    if (indices.length === series && indices.every((v, i) => v === i)) return bins;
    out = new Int16Array(count * indices.length * 2);
  } else if (out.length !== count * indices.length * 2) {
    throw new RangeError(`selectSeries: out holds ${out.length} values, not ${count * indices.length * 2}`);
  }
  let o = 0;
  for (let b = 0; b < count; b++) {
    const base = b * series * 2;
    for (const s of indices) {
      out[o++] = bins[base + s * 2] as number;
      out[o++] = bins[base + s * 2 + 1] as number;
    }
  }
  return out;
}
