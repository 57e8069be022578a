/**
 * A streaming loudness meter: everything the loudness panel and Auto QC need from one pass over
 * interleaved PCM, at the track's own sample rate. Pure (no I/O), typed arrays only, nothing
 * allocated per sample; memory is fixed except for the 10 Hz series.
 *
 * - ITU-R BS.1770-4 / EBU R128: K-weighting (the two biquads, derived for the actual rate), the
 *   momentary (400 ms) and short-term (3 s) loudness every 100 ms, integrated loudness gated at
 *   -70 LUFS and -10 LU on 400 ms blocks with 75 % overlap, loudness range per EBU Tech 3342
 *   (short-term values, -20 LU relative gate, 10th to 95th percentile).
 * - True peak per channel, 4× oversampled with the BS.1770-4 Annex 2 polyphase FIR (48 taps). A
 *   stretch whose samples cannot interpolate above the channel's true peak so far (its largest
 *   sample times the filter's largest sum of |taps|) is not oversampled, and within the rest the
 *   SIMD kernel skips the outputs whose two middle inputs are too low given the stretch's
 *   curvature (`interpolationBound`): a steady tone is oversampled only beside its crests. The
 *   result is the same.
 * - Sample peak and RMS per channel and overall, and silence spans (every channel under a level
 *   for at least a duration).
 *
 * The gating follows ffmpeg's `ebur128` filter (histograms of 0.01 LU) so the figures agree with
 * it; the series report null where ffmpeg prints -inf (a window not yet full, or digital silence).
 */

/** dBFS under which audio counts as silent, and the shortest silence reported (seconds). */
export interface SilenceSettings {
  thresholdDb: number;
  minSeconds: number;
}

export interface ChannelLevels {
  /** From 1. */
  channel: number;
  /** dBFS; null for digital silence. */
  peak: number | null;
  rms: number | null;
}

export interface SilenceSpan {
  start: number;
  end: number;
  duration: number;
}

export interface LoudnessSummary {
  /** LUFS. */
  integrated: number | null;
  integratedThreshold: number | null;
  /** LU. */
  range: number | null;
  rangeThreshold: number | null;
  rangeLow: number | null;
  rangeHigh: number | null;
  /** dBFS, the highest of all channels. */
  samplePeak: number | null;
  /** dBTP, the highest of all channels. */
  truePeak: number | null;
}

/** What one pass over a track measures. */
export interface LoudnessAnalysis {
  loudness: LoudnessSummary;
  /** One value per 100 ms (LUFS); the first is for t = 0.1 s. Null: no number (-inf). */
  momentary: (number | null)[];
  shortTerm: (number | null)[];
  /** Per-channel true peaks (dBTP). */
  truePeakPerChannel: (number | null)[];
  levels: { channels: ChannelLevels[]; overall: { peak: number | null; rms: number | null } };
  silence: SilenceSpan[];
  /** Seconds of audio in whole 100 ms blocks (the last series time). */
  durationSeconds: number;
}

export interface LoudnessMeterOptions {
  sampleRate: number;
  channels: number;
  silence: SilenceSettings;
  /**
   * Weight of each channel's power (BS.1770: 1, surrounds 1.41, LFE 0). By default 1 each, and
   * for six channels the 5.1 order L R C LFE Ls Rs.
   */
  channelWeights?: readonly number[];
  /** Oversample every sample, skipping nothing (tests compare both). Default true. */
  skipTruePeak?: boolean;
  /** Oversample with WebAssembly SIMD where available (default), or in JavaScript. */
  simd?: boolean;
}

/** BS.1770-4 Annex 2: the 48-tap interpolator as 4 phases of 12 taps. */
export const TRUE_PEAK_PHASES: readonly (readonly number[])[] = [
  [
    0.001708984375, 0.010986328125, -0.0196533203125, 0.033203125, -0.0594482421875, 0.1373291015625,
    0.97216796875, -0.102294921875, 0.047607421875, -0.026611328125, 0.014892578125, -0.00830078125,
  ],
  [
    -0.0291748046875, 0.029296875, -0.0517578125, 0.089111328125, -0.16650390625, 0.465087890625,
    0.77978515625, -0.2003173828125, 0.1015625, -0.0582275390625, 0.0330810546875, -0.0189208984375,
  ],
  [
    -0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625, -0.2003173828125, 0.77978515625,
    0.465087890625, -0.16650390625, 0.089111328125, -0.0517578125, 0.029296875, -0.0291748046875,
  ],
  [
    -0.00830078125, 0.014892578125, -0.026611328125, 0.047607421875, -0.102294921875, 0.97216796875,
    0.1373291015625, -0.0594482421875, 0.033203125, -0.0196533203125, 0.010986328125, 0.001708984375,
  ],
];
const TAPS = 12;
const HISTORY = TAPS - 1;
/** Taps interleaved by phase: TAP[k * 4 + p] multiplies x[n - k] for phase p. */
const TAP = new Float64Array(TAPS * 4);
TRUE_PEAK_PHASES.forEach((phase, p) => phase.forEach((h, k) => (TAP[k * 4 + p] = h)));
/** The largest gain of any phase on any signal: max over phases of the sum of |taps|. */
export const TRUE_PEAK_GAIN_BOUND = Math.max(
  ...TRUE_PEAK_PHASES.map((phase) => phase.reduce((s, h) => s + Math.abs(h), 0)),
);

/**
 * Stretch of samples judged at once for the true-peak skip (frames): weigh's block, whose peaks it
 * uses; at least HISTORY, so that a block's history lies within the block before.
 */
const TP_BLOCK = WEIGH_BLOCK;
if (HISTORY > TP_BLOCK) throw new Error('the true-peak block must hold the filter history');
/** Samples processed per channel at a time. */
const SEGMENT = 4096;

// ffmpeg's ebur128 histograms: 0.01 LU bins from -70 to +10 LUFS.
const ABS_THRESHOLD = -70;
const HIST_GRAIN = 100;
const HIST_SIZE = (10 - ABS_THRESHOLD) * HIST_GRAIN + 1;
const HIST_ENERGY = new Float64Array(HIST_SIZE);
for (let i = 0; i < HIST_SIZE; i++) HIST_ENERGY[i] = energy(ABS_THRESHOLD + i / HIST_GRAIN);

function loudness(power: number): number {
  return -0.691 + 10 * Math.log10(power);
}
function energy(lufs: number): number {
  return 10 ** ((lufs + 0.691) / 10);
}
function histPos(lufs: number): number {
  return Math.min(HIST_SIZE - 1, Math.max(0, Math.trunc((lufs - ABS_THRESHOLD) * HIST_GRAIN)));
}

import {
  createTruePeakKernel,
  type TruePeakKernel,
  type Weighing,
  WEIGH_BLOCK,
  WEIGH_STATE,
} from './true-peak-simd.js';

/** BS.1770 K-weighting for a sample rate: [b0, b1, b2, a1, a2] of the shelf, then of the high pass. */
export function kWeighting(sampleRate: number): { shelf: number[]; highPass: number[] } {
  // The analogue prototypes behind BS.1770's 48 kHz table, so that any rate gets its own filter.
  let f0 = 1681.974450955533;
  const g = 3.999843853973347;
  let q = 0.7071752369554196;
  let k = Math.tan((Math.PI * f0) / sampleRate);
  const vh = 10 ** (g / 20);
  const vb = vh ** 0.4996667741545416;
  let a0 = 1 + k / q + k * k;
  const shelf = [
    (vh + (vb * k) / q + k * k) / a0,
    (2 * (k * k - vh)) / a0,
    (vh - (vb * k) / q + k * k) / a0,
    (2 * (k * k - 1)) / a0,
    (1 - k / q + k * k) / a0,
  ];
  f0 = 38.13547087602444;
  q = 0.5003270373238773;
  k = Math.tan((Math.PI * f0) / sampleRate);
  a0 = 1 + k / q + k * k;
  // The numerator is BS.1770's 1, -2, 1 (not normalised), as in its table and in ffmpeg.
  const highPass = [1, -2, 1, (2 * (k * k - 1)) / a0, (1 - k / q + k * k) / a0];
  return { shelf, highPass };
}

function defaultWeights(channels: number): number[] {
  if (channels === 6) return [1, 1, 1, 0, 1.41, 1.41];
  return Array.from({ length: channels }, () => 1);
}

/** A growing series of numbers (NaN for none), amortised: no allocation per value. */
class Series {
  private data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
  toArray(): (number | null)[] {
    const out: (number | null)[] = new Array<number | null>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = level(this.data[i] as number, 10);
    return out;
  }
}

/** A dB figure rounded to 1/scale, or null when it is not finite. */
function level(v: number, scale: number): number | null {
  return Number.isFinite(v) ? Math.round(v * scale) / scale : null;
}

function db(amplitude: number): number {
  return 20 * Math.log10(amplitude);
}

class Histogram {
  readonly counts = new Float64Array(HIST_SIZE);
  sumPower = 0;
  kept = 0;
  add(power: number, lufs: number): void {
    const k = histPos(lufs);
    this.counts[k] = (this.counts[k] as number) + 1;
    this.sumPower += power;
    this.kept++;
  }
  /** The relative gate (LUFS) `offset` LU under the mean of the kept powers. */
  gate(offset: number): number {
    return loudness(this.sumPower / this.kept || 1e-12) + offset;
  }
}

export class LoudnessMeter {
  readonly sampleRate: number;
  readonly channels: number;
  private readonly weights: Float64Array;
  private readonly skip: boolean;
  private readonly shelf: number[];
  private readonly highPass: number[];
  /** Per channel: shelf z1, z2, high-pass z1, z2. */
  private readonly state: Float64Array;
  /** Per channel: the last HISTORY samples, then the segment being measured. */
  private readonly buffers: Float32Array[];
  private readonly kernel: TruePeakKernel | undefined;
  /** 16-bit input's per-frame work in WebAssembly (`weigh`), where available. */
  private readonly weighing: Weighing | undefined;
  private readonly blockFrames: number;
  private blockFill = 0;
  /** Per channel: K-weighted energy of the 100 ms block under way. */
  private readonly blockEnergy: Float64Array;
  /** Weighted energies of the last 30 blocks (a ring). */
  private readonly ring = new Float64Array(30);
  private blocks = 0;
  private readonly momentary = new Series();
  private readonly shortTerm = new Series();
  private readonly integrated = new Histogram();
  private readonly range = new Histogram();
  private readonly samplePeak: Float64Array;
  private readonly truePeak: Float64Array;
  private readonly squares: Float64Array;
  private frames = 0;
  /** Frames with some channel at or over the silence threshold, as 1s. */
  private readonly loud: Uint8Array;
  private readonly silenceAmplitude: number;
  private readonly silenceFrames: number;
  private silentRun = 0;
  private readonly silence: SilenceSpan[] = [];
  /** Frames the JavaScript interpolator oversampled. */
  private jsOversampled = 0;

  constructor(o: LoudnessMeterOptions) {
    if (
      !Number.isInteger(o.sampleRate) ||
      o.sampleRate < 10 ||
      !Number.isInteger(o.channels) ||
      o.channels < 1
    ) {
      throw new RangeError(`bad meter format: ${o.channels} channels at ${o.sampleRate} Hz`);
    }
    if (
      !Number.isFinite(o.silence.thresholdDb) ||
      !Number.isFinite(o.silence.minSeconds) ||
      o.silence.minSeconds < 0
    ) {
      throw new RangeError(`bad silence settings: ${JSON.stringify(o.silence)}`);
    }
    const weights = o.channelWeights ?? defaultWeights(o.channels);
    if (weights.length !== o.channels) throw new RangeError('one weight per channel');
    this.sampleRate = o.sampleRate;
    this.channels = o.channels;
    this.weights = Float64Array.from(weights);
    this.skip = o.skipTruePeak ?? true;
    ({ shelf: this.shelf, highPass: this.highPass } = kWeighting(o.sampleRate));
    this.state = new Float64Array(o.channels * 4);
    this.kernel =
      o.simd === false
        ? undefined
        : createTruePeakKernel(TRUE_PEAK_PHASES, o.channels, HISTORY + SEGMENT, SEGMENT);
    this.weighing = this.kernel?.weigh;
    this.buffers =
      this.kernel?.buffers ?? Array.from({ length: o.channels }, () => new Float32Array(HISTORY + SEGMENT));
    this.blockFrames = Math.floor(o.sampleRate / 10);
    this.blockEnergy = new Float64Array(o.channels);
    this.samplePeak = new Float64Array(o.channels);
    this.truePeak = new Float64Array(o.channels);
    this.squares = new Float64Array(o.channels);
    this.loud = this.weighing?.loud ?? new Uint8Array(SEGMENT);
    this.silenceAmplitude = 10 ** (o.silence.thresholdDb / 20);
    if (this.weighing) {
      const [b0, , , a1, a2] = this.shelf as [number, number, number, number, number];
      const [, , , c1, c2] = this.highPass as [number, number, number, number, number];
      const settings = {
        ...{ b0, a1, a2, c1, c2, ...recurrence(this.shelf, this.highPass) },
        // A 16-bit sample s is loud when |s| / 32768 ≥ the threshold: when |s| reaches it rounded up.
        threshold: Math.ceil(this.silenceAmplitude * 32768) / 32768,
        scale: 1 / 32768,
      };
      for (const state of this.weighing.states) {
        for (const [slot, v] of Object.entries(settings) as [keyof typeof settings, number][])
          state.fill(v, WEIGH_STATE[slot] * 2, WEIGH_STATE[slot] * 2 + 2);
      }
      // A channel alone in its pair: lane 1 reads the next sample over, and must mark nothing loud.
      if (o.channels % 2)
        this.weighing.states
          .at(-1)
          ?.fill(Infinity, WEIGH_STATE.threshold * 2 + 1, WEIGH_STATE.threshold * 2 + 2);
    }
    this.silenceFrames = Math.round(o.silence.minSeconds * o.sampleRate);
  }

  /** Frames oversampled for the true peak (the rest were skipped); for tests and benchmarks. */
  get oversampledFrames(): number {
    return this.kernel ? this.kernel.oversampled() : this.jsOversampled;
  }

  /** Interleaved float samples (full scale ±1), whole frames. */
  pushFloat(samples: Float32Array | Float64Array): void {
    this.push(samples, 1);
  }

  /** Interleaved signed 16-bit samples, whole frames. */
  pushInt16(samples: Int16Array): void {
    this.push(samples, 1 / 32768);
  }

  private push(samples: Float32Array | Float64Array | Int16Array, scale: number): void {
    const ch = this.channels;
    if (samples.length % ch !== 0) throw new RangeError('samples must be whole frames');
    const total = samples.length / ch;
    // 16-bit: copying, peaks, squares, silence flags and K-weighting in WebAssembly, two channels
    // at a time.
    const weigh = this.weighing && samples instanceof Int16Array ? this.weighing : undefined;
    let done = 0;
    while (done < total) {
      const n = Math.min(SEGMENT, this.blockFrames - this.blockFill, total - done);
      let louds = -1;
      if (weigh) louds = this.weighPairs(weigh, samples as Int16Array, done, n);
      else for (let c = 0; c < ch; c++) this.deinterleave(samples, scale, done * ch + c, c, n);
      if (louds === n) this.allLoud();
      else this.silenceScan(n);
      for (let c = 0; c < ch; c++) {
        if (!weigh) this.filter(c, n);
        this.oversample(c, n, weigh?.blockPeaks[c >> 1]);
        // The last samples are the next segment's history.
        const x = this.buffers[c] as Float32Array;
        x.copyWithin(0, n, n + HISTORY);
      }
      done += n;
      this.frames += n;
      this.blockFill += n;
      if (this.blockFill === this.blockFrames) this.endBlock();
    }
  }

  /** Copies one channel into its buffer, tracking its peak, power and which frames are loud. */
  private deinterleave(
    src: Float32Array | Float64Array | Int16Array,
    scale: number,
    first: number,
    c: number,
    n: number,
  ): void {
    const x = this.buffers[c] as Float32Array;
    const loud = this.loud;
    const threshold = this.silenceAmplitude;
    const ch = this.channels;
    let peak = this.samplePeak[c] as number;
    let squares = 0;
    for (let i = 0, j = first; i < n; i++, j += ch) {
      const v = (src[j] as number) * scale;
      x[HISTORY + i] = v;
      const a = v < 0 ? -v : v;
      if (a > peak) peak = a;
      squares += v * v;
      if (c === 0) loud[i] = a >= threshold ? 1 : 0;
      else if (a >= threshold) loud[i] = 1;
    }
    this.samplePeak[c] = peak;
    this.squares[c] = (this.squares[c] as number) + squares;
  }

  /**
   * What `deinterleave` and `filter` do for n frames from frame `first`, in WebAssembly, a pair of
   * channels a call: the same operations on doubles in the same order, so the same figures.
   * Answers how many of the frames are loud.
   */
  private weighPairs(weigh: Weighing, samples: Int16Array, first: number, n: number): number {
    const s = this.state;
    const { z1, z2, w1, w2, peak, squares, energy, louds } = WEIGH_STATE;
    weigh.load(samples, first, n);
    let st = weigh.states[0] as Float64Array;
    for (let p = 0; p < weigh.pairs; p++) {
      st = weigh.states[p] as Float64Array;
      const lanes = Math.min(2, this.channels - 2 * p);
      for (let lane = 0, c = 2 * p; lane < lanes; lane++, c++) {
        st[z1 * 2 + lane] = s[c * 4] as number;
        st[z2 * 2 + lane] = s[c * 4 + 1] as number;
        st[w1 * 2 + lane] = s[c * 4 + 2] as number;
        st[w2 * 2 + lane] = s[c * 4 + 3] as number;
        st[peak * 2 + lane] = this.samplePeak[c] as number;
      }
      weigh.run(p, n, HISTORY);
      for (let lane = 0, c = 2 * p; lane < lanes; lane++, c++) {
        s[c * 4] = flushTiny(st[z1 * 2 + lane] as number);
        s[c * 4 + 1] = flushTiny(st[z2 * 2 + lane] as number);
        s[c * 4 + 2] = flushTiny(st[w1 * 2 + lane] as number);
        s[c * 4 + 3] = flushTiny(st[w2 * 2 + lane] as number);
        this.samplePeak[c] = st[peak * 2 + lane] as number;
        this.squares[c] = (this.squares[c] as number) + (st[squares * 2 + lane] as number);
        this.blockEnergy[c] = (this.blockEnergy[c] as number) + (st[energy * 2 + lane] as number);
      }
    }
    // The last pair's count is of the frames every pair marked.
    return st[louds * 2] as number;
  }

  /** `silenceScan` of a segment whose every frame is loud: only a silence under way can end. */
  private allLoud(): void {
    const run = this.silentRun;
    if (run >= this.silenceFrames && run > 0) this.addSilence(this.frames - run, this.frames);
    this.silentRun = 0;
  }

  /** Silence: runs of frames with every channel under the threshold (ffmpeg's silencedetect). */
  private silenceScan(n: number): void {
    const loud = this.loud;
    let run = this.silentRun;
    const min = this.silenceFrames;
    const base = this.frames;
    for (let i = 0; i < n; i++) {
      if (loud[i] === 0) run++;
      else {
        if (run >= min && run > 0) this.addSilence(base + i - run, base + i);
        run = 0;
      }
    }
    this.silentRun = run;
  }

  private addSilence(startFrame: number, endFrame: number): void {
    const rate = this.sampleRate;
    const start = round6(startFrame / rate);
    const end = round6(endFrame / rate);
    this.silence.push({ start, end, duration: round6(end - start) });
  }

  /** K-weighting of channel c's segment; adds its energy to the block's. */
  private filter(c: number, n: number): void {
    const x = this.buffers[c] as Float32Array;
    const s = this.state;
    const o = c * 4;
    const [b0, , , a1, a2] = this.shelf as [number, number, number, number, number];
    const [, , , c1, c2] = this.highPass as [number, number, number, number, number];
    const { q1, q2, m1, n2 } = recurrence(this.shelf, this.highPass);
    let z1 = s[o] as number;
    let z2 = s[o + 1] as number;
    let w1 = s[o + 2] as number;
    let w2 = s[o + 3] as number;
    let sum = 0;
    for (let i = HISTORY, end = HISTORY + n; i < end; i++) {
      const v = x[i] as number;
      // Transposed direct form II, in doubles, with y and u substituted into the state updates so
      // that each state waits on its own last value through one multiply and one add.
      const y = b0 * v + z1;
      const t = z1;
      z1 = q1 * v + z2 - a1 * t;
      z2 = q2 * v - a2 * t;
      const u = y + w1;
      const r = w1;
      w1 = m1 * y + w2 - c1 * r;
      w2 = n2 * y - c2 * r;
      sum += u * u;
    }
    s[o] = flushTiny(z1);
    s[o + 1] = flushTiny(z2);
    s[o + 2] = flushTiny(w1);
    s[o + 3] = flushTiny(w2);
    this.blockEnergy[c] = (this.blockEnergy[c] as number) + sum;
  }

  /**
   * True peak of channel c's segment: 4× oversampled, where it could raise the maximum.
   * `blockPeaks`: the segment's per-block sample peaks from `weigh` (channel c's pair's), which
   * bound every block but the first without reading the samples again.
   */
  private oversample(c: number, n: number, blockPeaks?: Float64Array): void {
    const x = this.buffers[c] as Float32Array;
    let tp = this.truePeak[c] as number;
    // Blocks that cannot be skipped whole go to the interpolator in runs: [from, to), every |input|
    // of which is at most `bound`.
    let from = 0;
    let bound = 0;
    for (let b = 0; b < n; b += TP_BLOCK) {
      if (!this.skip) continue;
      const end = Math.min(n, b + TP_BLOCK) + HISTORY;
      // Every output of block [b, end) reads samples from b to end (with the history before): the
      // segment's frames from b - HISTORY to end - HISTORY, within this block and the one before,
      // whose peaks bound it (the first block's history is the segment before's).
      let m = 0;
      if (blockPeaks && b > 0) {
        const k = b / TP_BLOCK;
        const lane = c & 1;
        m = Math.max(blockPeaks[2 * k + lane] as number, blockPeaks[2 * k - 2 + lane] as number);
      } else {
        for (let i = b; i < end; i++) {
          const v = x[i] as number;
          const a = v < 0 ? -v : v;
          if (a > m) m = a;
        }
      }
      // The margin covers rounding in the kernel's single-precision sums. A run's peak can only
      // rise, so a block judged against the peak before its run is judged safely.
      if (m * TRUE_PEAK_GAIN_BOUND * (1 + 1e-5) <= tp) {
        if (b > from) tp = this.interpolate(c, from, b, tp, bound);
        from = end - HISTORY;
        bound = 0;
      } else if (m > bound) bound = m;
    }
    if (n > from) tp = this.interpolate(c, from, n, tp, this.skip ? bound : undefined);
    this.truePeak[c] = tp;
  }

  /** The true peak of channel c's segment frames [from, to), at least `peak`. */
  private interpolate(c: number, from: number, to: number, peak: number, bound: number | undefined): number {
    if (this.kernel) return this.kernel.peak(c, from + HISTORY, to + HISTORY, peak, bound);
    this.jsOversampled += to - from;
    return interpolatedPeak(this.buffers[c] as Float32Array, from + HISTORY, to + HISTORY, peak);
  }

  private endBlock(): void {
    const ch = this.channels;
    let power = 0;
    for (let c = 0; c < ch; c++) {
      power += (this.weights[c] as number) * (this.blockEnergy[c] as number);
      this.blockEnergy[c] = 0;
    }
    this.ring[this.blocks % 30] = power;
    this.blocks++;
    this.blockFill = 0;
    const m = this.windowLoudness(4);
    const s = this.windowLoudness(30);
    this.momentary.push(m.lufs);
    this.shortTerm.push(s.lufs);
    if (m.lufs >= ABS_THRESHOLD) this.integrated.add(m.power, m.lufs);
    if (s.lufs >= ABS_THRESHOLD) this.range.add(s.power, s.lufs);
  }

  /** Loudness of the last `count` blocks; -inf until that many have passed. */
  private windowLoudness(count: number): { power: number; lufs: number } {
    if (this.blocks < count) return { power: 0, lufs: -Infinity };
    let sum = 0;
    for (let i = 1; i <= count; i++) sum += this.ring[(this.blocks - i) % 30] as number;
    const power = sum / (count * this.blockFrames);
    return { power, lufs: loudness(power) };
  }

  /** Everything measured so far. */
  result(): LoudnessAnalysis {
    const silence = [...this.silence];
    if (this.silentRun >= this.silenceFrames && this.silentRun > 0) {
      const rate = this.sampleRate;
      const start = round6((this.frames - this.silentRun) / rate);
      const end = round6(this.frames / rate);
      silence.push({ start, end, duration: round6(end - start) });
    }
    const ch = this.channels;
    let squares = 0;
    const channels: ChannelLevels[] = [];
    const truePeaks: (number | null)[] = [];
    let sampleMax = 0;
    let trueMax = 0;
    for (let c = 0; c < ch; c++) {
      const peak = this.samplePeak[c] as number;
      const sq = this.squares[c] as number;
      squares += sq;
      sampleMax = Math.max(sampleMax, peak);
      trueMax = Math.max(trueMax, this.truePeak[c] as number);
      channels.push({
        channel: c + 1,
        peak: level(db(peak), 100),
        rms: level(10 * Math.log10(sq / this.frames), 100),
      });
      truePeaks.push(level(db(this.truePeak[c] as number), 10));
    }
    return {
      loudness: { ...this.gated(), samplePeak: level(db(sampleMax), 10), truePeak: level(db(trueMax), 10) },
      momentary: this.momentary.toArray(),
      shortTerm: this.shortTerm.toArray(),
      truePeakPerChannel: truePeaks,
      levels: {
        channels,
        overall: {
          peak: level(db(sampleMax), 100),
          rms: level(10 * Math.log10(squares / (this.frames * ch)), 100),
        },
      },
      silence,
      durationSeconds: Math.round((this.blocks * this.blockFrames * 10) / this.sampleRate) / 10,
    };
  }

  /** Integrated loudness and loudness range, gated as ffmpeg's ebur128 does. */
  private gated(): Omit<LoudnessSummary, 'samplePeak' | 'truePeak'> {
    const out: Omit<LoudnessSummary, 'samplePeak' | 'truePeak'> = {
      integrated: null,
      integratedThreshold: null,
      range: null,
      rangeThreshold: null,
      rangeLow: null,
      rangeHigh: null,
    };
    const i = this.integrated;
    if (i.kept > 0) {
      const gate = i.gate(-10);
      out.integratedThreshold = level(gate, 10);
      let n = 0;
      let sum = 0;
      for (let k = histPos(gate); k < HIST_SIZE; k++) {
        n += i.counts[k] as number;
        sum += (i.counts[k] as number) * (HIST_ENERGY[k] as number);
      }
      if (n > 0) out.integrated = level(loudness(sum / n), 10);
    }
    const r = this.range;
    if (r.kept > 0) {
      const gate = r.gate(-20);
      out.rangeThreshold = level(gate, 10);
      const from = histPos(gate);
      let n = 0;
      for (let k = from; k < HIST_SIZE; k++) n += r.counts[k] as number;
      if (n > 0) {
        let low = 0;
        let high = 0;
        const lowCount = Math.trunc(0.1 * n + 0.5);
        let seen = 0;
        for (let k = from; k < HIST_SIZE; k++) {
          seen += r.counts[k] as number;
          if (seen >= lowCount) {
            low = ABS_THRESHOLD + k / HIST_GRAIN;
            break;
          }
        }
        const highCount = Math.trunc(0.95 * n + 0.5);
        seen = n;
        for (let k = HIST_SIZE - 1; k >= 0; k--) {
          seen -= r.counts[k] as number;
          if (seen < highCount) {
            high = ABS_THRESHOLD + k / HIST_GRAIN;
            break;
          }
        }
        out.rangeLow = level(low, 10);
        out.rangeHigh = level(high, 10);
        out.range = level(high - low, 10);
      }
    }
    return out;
  }
}

/** The largest |value| of the 4× oversampled signal for inputs x[from, to), at least `peak`. */
function interpolatedPeak(x: Float32Array, from: number, to: number, peak: number): number {
  const h = TAP;
  let mx = peak;
  for (let n = from; n < to; n++) {
    let p0 = 0;
    let p1 = 0;
    let p2 = 0;
    let p3 = 0;
    for (let k = 0, t = 0; k < TAPS; k++, t += 4) {
      const v = x[n - k] as number;
      p0 += (h[t] as number) * v;
      p1 += (h[t + 1] as number) * v;
      p2 += (h[t + 2] as number) * v;
      p3 += (h[t + 3] as number) * v;
    }
    if (p0 < 0) p0 = -p0;
    if (p1 < 0) p1 = -p1;
    if (p2 < 0) p2 = -p2;
    if (p3 < 0) p3 = -p3;
    if (p0 > mx) mx = p0;
    if (p1 > mx) mx = p1;
    if (p2 > mx) mx = p2;
    if (p3 > mx) mx = p3;
  }
  return mx;
}

/**
 * The K-weighting's state updates with y = b0 v + z1 and u = y + w1 substituted:
 * z1' = b1 v - a1 y + z2 = q1 v + z2 - a1 z1, z2' = b2 v - a2 y = q2 v - a2 z1,
 * w1' = -2 y - c1 u + w2 = m1 y + w2 - c1 w1 and w2' = y - c2 u = n2 y - c2 w1.
 */
function recurrence(
  shelf: readonly number[],
  highPass: readonly number[],
): { q1: number; q2: number; m1: number; n2: number } {
  const [b0, b1, b2, a1, a2] = shelf as [number, number, number, number, number];
  const [, , , c1, c2] = highPass as [number, number, number, number, number];
  return { q1: b1 - a1 * b0, q2: b2 - a2 * b0, m1: -2 - c1, n2: 1 - c2 };
}

/** Keeps filter state out of the subnormal range during digital silence, where it is slow. */
function flushTiny(v: number): number {
  return Math.abs(v) < 1e-30 ? 0 : v;
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
