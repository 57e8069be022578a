/**
 * One decode of a whole track yields everything the timeline and the loudness panel need: one
 * ffmpeg process, one filter graph. The decoded audio is split (`asplit`) into
 *
 * - the PCM output (interleaved s16le on stdout), from which the service computes the peak file's
 *   waveform levels, and
 * - a measuring branch, `astats` (sample peak and RMS per channel), `silencedetect` and `ebur128`
 *   (EBU R128 / ITU-R BS.1770: integrated loudness, range, sample and true peak per channel, the
 *   10 Hz momentary and short-term series), whose figures ffmpeg prints on stderr and
 *   `AnalysisLogParser` reads line by line. The branch ends in `anullsink`.
 *
 * The measuring branch has its own resampler (ebur128 works at 48 kHz in doubles), so the PCM
 * output keeps the track's own rate and samples. Building the arguments is pure.
 */
import { ffmpegGlobalArgs, ffmpegInputArgs } from '@frameproof/core';
import { entryName } from '../cache.js';
import type { AudioSource } from '../resolver.js';
import { type DecodePlan, pcmOutputArgs, trackArgs } from './decode.js';

export interface SilenceSettings {
  /** dBFS below which audio counts as silent. */
  thresholdDb: number;
  /** Shortest silence reported, in seconds. */
  minSeconds: number;
}

export const DEFAULT_SILENCE: SilenceSettings = { thresholdDb: -60, minSeconds: 2 };

/**
 * The measuring filters, in order: levels and silence on the decoded samples themselves, then
 * loudness (whose input ffmpeg converts to 48 kHz doubles).
 */
export function measurementFilters(silence: SilenceSettings): string[] {
  if (
    !Number.isFinite(silence.thresholdDb) ||
    !Number.isFinite(silence.minSeconds) ||
    silence.minSeconds < 0
  ) {
    throw new RangeError(`bad silence settings: ${JSON.stringify(silence)}`);
  }
  return [
    'astats=measure_perchannel=Peak_level+RMS_level:measure_overall=Peak_level+RMS_level',
    `silencedetect=noise=${silence.thresholdDb}dB:duration=${silence.minSeconds}`,
    // framelog=info: one line per 100 ms (momentary, short-term, running true peak per channel).
    'ebur128=peak=true+sample:framelog=info',
  ];
}

/** A stream specifier as a filter graph input label: `0:a:0` → `[0:a:0]`. */
export function inputLabel(map: string): string {
  if (!/^\d+:(?:[avs]:)?\d+$/.test(map)) throw new RangeError(`unsupported stream map "${map}"`);
  return `[${map}]`;
}

/** The filter graph: the track split into the PCM output `[pcm]` and the measuring branch. */
export function onePassGraph(source: Pick<AudioSource, 'map'>, silence: SilenceSettings): string {
  return (
    `${inputLabel(source.map)}asplit=2[pcm][measure];` +
    `[measure]${measurementFilters(silence).join(',')},anullsink`
  );
}

/**
 * ffmpeg arguments that decode the whole track once, writing interleaved s16le at the track's rate
 * and channel count to stdout while printing the measurements at `info` level on stderr.
 */
export function onePassArgs(source: AudioSource, silence: SilenceSettings = DEFAULT_SILENCE): DecodePlan {
  return {
    skipFrames: 0,
    args: [
      // `info`: the measuring filters print their figures at that level.
      ...ffmpegGlobalArgs({ logLevel: 'info' }),
      ...ffmpegInputArgs(source.input),
      '-filter_complex',
      onePassGraph(source, silence),
      '-map',
      '[pcm]',
      ...pcmOutputArgs(source),
    ],
  };
}

/** Measuring only (other silence settings than the one pass used): no PCM output. */
export function measureOnlyArgs(source: AudioSource, silence: SilenceSettings): string[] {
  return [
    ...ffmpegGlobalArgs({ logLevel: 'info' }),
    ...ffmpegInputArgs(source.input),
    ...trackArgs(source),
    '-af',
    measurementFilters(silence).join(','),
    '-f',
    'null',
    '-',
  ];
}

/** The cache entry of a track's analysis with given silence settings. */
export function analysisEntryName(source: Pick<AudioSource, 'cacheKey'>, silence: SilenceSettings): string {
  return entryName(source.cacheKey, `analysis-${silence.thresholdDb}-${silence.minSeconds}.json`);
}
