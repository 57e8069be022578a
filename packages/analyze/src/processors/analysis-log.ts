/**
 * The analysis result's types (made by core's `LoudnessMeter`), the pass/fail check against a
 * target, and a reader of what ffmpeg's `ebur128` (EBU R128 / ITU-R BS.1770), `astats` and
 * `silencedetect` filters print, one line at a time. The service no longer runs those filters;
 * the reader gives ffmpeg's own figures, against which the meter is tested. Pure.
 */
import {
  judgeLoudness,
  type ChannelLevels,
  type LoudnessAnalysis,
  type LoudnessSummary,
  type LoudnessTarget,
  type SilenceSpan,
} from '@frameproof/core';

export type { ChannelLevels, LoudnessSummary, SilenceSpan } from '@frameproof/core';
/** What one pass over a track measures (core's `LoudnessMeter` makes it). */
export type AnalysisResult = LoudnessAnalysis;

/** ffmpeg prints "-inf" for the level of digital silence; JSON has no infinities, so: null. */
export function parseLevel(text: string): number | null {
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

const NUM = '(-?(?:\\d+(?:\\.\\d*)?|inf|nan))';
const FRAME = new RegExp(`\\bt:\\s*${NUM}.*?\\bM:\\s*${NUM}\\s+S:\\s*${NUM}`);
const TPK = /\bTPK:\s*((?:-?(?:[\d.]+|inf)\s+)+)dBFS/;
const SECTION = /^\s*(Integrated loudness|Loudness range|Sample peak|True peak):\s*$/;
const FIELD = new RegExp(`^\\s*(I|LRA|Threshold|LRA low|LRA high|Peak):\\s*${NUM}\\s*(LUFS|LU|dBFS)?\\s*$`);
const ASTATS_CHANNEL = /\] Channel: (\d+)\s*$/;
const ASTATS_OVERALL = /\] Overall\s*$/;
const ASTATS_VALUE = new RegExp(`\\] (Peak level dB|RMS level dB): ${NUM}\\s*$`);
const SILENCE_START = new RegExp(`silence_start: ${NUM}`);
const SILENCE_END = new RegExp(`silence_end: ${NUM}`);

export class AnalysisLogParser {
  private readonly momentary: (number | null)[] = [];
  private readonly shortTerm: (number | null)[] = [];
  private truePeaks: (number | null)[] = [];
  private lastTime = 0;
  private section = '';
  private readonly summary: LoudnessSummary = {
    integrated: null,
    integratedThreshold: null,
    range: null,
    rangeThreshold: null,
    rangeLow: null,
    rangeHigh: null,
    samplePeak: null,
    truePeak: null,
  };
  private summarySeen = false;
  private astatsTarget: ChannelLevels | { peak: number | null; rms: number | null } | undefined;
  private readonly channels: ChannelLevels[] = [];
  private readonly overall = { peak: null as number | null, rms: null as number | null };
  private readonly silence: SilenceSpan[] = [];
  private silenceStart: number | undefined;

  line(text: string): void {
    const frame = FRAME.exec(text);
    if (frame) {
      this.lastTime = Number(frame[1]);
      this.momentary.push(parseLevel(frame[2] as string));
      this.shortTerm.push(parseLevel(frame[3] as string));
      const tpk = TPK.exec(text);
      if (tpk?.[1]) this.truePeaks = tpk[1].trim().split(/\s+/).map(parseLevel);
      return;
    }
    if (text.includes('Summary:') && text.includes('ebur128')) {
      // A filter graph configured twice (ffmpeg does so with -filter_complex) prints an empty
      // summary first, from the instance it threw away: the last summary is the measurement.
      this.summarySeen = true;
      this.section = '';
      for (const key of Object.keys(this.summary) as (keyof LoudnessSummary)[]) this.summary[key] = null;
      return;
    }
    const section = SECTION.exec(text);
    if (section && this.summarySeen) {
      this.section = section[1] as string;
      return;
    }
    const field = FIELD.exec(text);
    if (field && this.summarySeen) {
      this.summaryField(field[1] as string, parseLevel(field[2] as string));
      return;
    }
    if (this.astats(text)) return;
    const start = SILENCE_START.exec(text);
    if (start) {
      this.silenceStart = Math.max(0, Number(start[1]));
      return;
    }
    const end = SILENCE_END.exec(text);
    if (end && this.silenceStart !== undefined) {
      const e = Number(end[1]);
      this.silence.push({ start: this.silenceStart, end: e, duration: round6(e - this.silenceStart) });
      this.silenceStart = undefined;
    }
  }

  private summaryField(name: string, value: number | null): void {
    const s = this.summary;
    switch (`${this.section}/${name}`) {
      case 'Integrated loudness/I':
        s.integrated = value;
        break;
      case 'Integrated loudness/Threshold':
        s.integratedThreshold = value;
        break;
      case 'Loudness range/LRA':
        s.range = value;
        break;
      case 'Loudness range/Threshold':
        s.rangeThreshold = value;
        break;
      case 'Loudness range/LRA low':
        s.rangeLow = value;
        break;
      case 'Loudness range/LRA high':
        s.rangeHigh = value;
        break;
      case 'Sample peak/Peak':
        s.samplePeak = value;
        break;
      case 'True peak/Peak':
        s.truePeak = value;
        break;
    }
  }

  private astats(text: string): boolean {
    if (!text.includes('astats')) return false;
    const channel = ASTATS_CHANNEL.exec(text);
    if (channel) {
      const levels: ChannelLevels = { channel: Number(channel[1]), peak: null, rms: null };
      // Channel 1 starts a report; an earlier one came from a discarded instance of the filter.
      if (levels.channel === 1) this.channels.length = 0;
      this.channels.push(levels);
      this.astatsTarget = levels;
      return true;
    }
    if (ASTATS_OVERALL.test(text)) {
      this.astatsTarget = this.overall;
      return true;
    }
    const value = ASTATS_VALUE.exec(text);
    if (value && this.astatsTarget) {
      const v = parseLevel(value[2] as string);
      if (value[1] === 'Peak level dB') this.astatsTarget.peak = v;
      else this.astatsTarget.rms = v;
    }
    return true;
  }

  /** Everything read so far; call after ffmpeg has exited. */
  result(): AnalysisResult {
    const silence = [...this.silence];
    if (this.silenceStart !== undefined && this.lastTime > this.silenceStart) {
      silence.push({
        start: this.silenceStart,
        end: this.lastTime,
        duration: round6(this.lastTime - this.silenceStart),
      });
    }
    return {
      loudness: { ...this.summary },
      momentary: [...this.momentary],
      shortTerm: [...this.shortTerm],
      truePeakPerChannel: [...this.truePeaks],
      levels: { channels: this.channels.map((c) => ({ ...c })), overall: { ...this.overall } },
      silence,
      durationSeconds: this.lastTime,
    };
  }
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

export interface LoudnessCheck {
  pass: boolean;
  integrated: { pass: boolean; deviationLu: number | null };
  truePeak: { pass: boolean };
}

/**
 * Pass or fail against a target, by the same rule as the jobs' automatic QC (core's
 * `judgeLoudness`): integrated loudness within ±tolerance, true peak at or under the ceiling.
 * No measured loudness fails; no true peak (digital silence) is under any ceiling.
 */
export function checkLoudness(summary: LoudnessSummary, target: LoudnessTarget): LoudnessCheck {
  const verdict = judgeLoudness(
    {
      integrated: summary.integrated ?? NaN,
      range: summary.range ?? NaN,
      truePeak: summary.truePeak ?? -Infinity,
    },
    target,
  );
  const deviation =
    summary.integrated === null ? null : Math.round((summary.integrated - target.integratedLufs) * 10) / 10;
  return {
    pass: verdict.integratedOk && verdict.truePeakOk,
    integrated: { pass: verdict.integratedOk, deviationLu: deviation },
    truePeak: { pass: verdict.truePeakOk },
  };
}

/**
 * Reduces a 10 Hz series to one value per `factor` values: the loudest, so that a coarse graph
 * still shows every peak.
 */
export function reduceSeries(values: readonly (number | null)[], factor: number): (number | null)[] {
  if (factor <= 1) return [...values];
  const out: (number | null)[] = [];
  for (let i = 0; i < values.length; i += factor) out.push(maxOf(values.slice(i, i + factor)));
  return out;
}

/** The largest number, ignoring nulls; null when there is none. */
export function maxOf(values: readonly (number | null)[]): number | null {
  let mx: number | null = null;
  for (const v of values) if (v !== null && (mx === null || v > mx)) mx = v;
  return mx;
}
