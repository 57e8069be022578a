/**
 * One decode of a whole track yields everything the timeline and the loudness panel need: the
 * decoder (in this process, or the ffmpeg CLI: `decodeWholeTrack`) only decodes (interleaved s16le
 * at the track's own rate and channels, no filters), and the service's PCM loop hands each block of samples both to the peak accumulator (the peak file's
 * waveform levels) and to core's `LoudnessMeter` (EBU R128 / ITU-R BS.1770 loudness, range, true
 * and sample peaks per channel, the 10 Hz momentary and short-term series, levels and silence).
 *
 * The meter replaces ffmpeg's `ebur128`/`astats`/`silencedetect` branch, whose true peak alone
 * cost several times the decode; its figures are tested against ffmpeg's own.
 */
import { LoudnessMeter, type SilenceSettings } from '@frameproof/core';
import { entryName } from '../cache.js';
import type { AudioSource } from '../resolver.js';

export type { SilenceSettings } from '@frameproof/core';

export const DEFAULT_SILENCE: SilenceSettings = { thresholdDb: -60, minSeconds: 2 };

/** A meter for the track's format; throws RangeError on bad silence settings. */
export function meterFor(
  source: Pick<AudioSource, 'channels' | 'sampleRate'>,
  silence: SilenceSettings,
): LoudnessMeter {
  return new LoudnessMeter({ sampleRate: source.sampleRate, channels: source.channels, silence });
}

/** The cache entry of a track's analysis with given silence settings. */
export function analysisEntryName(source: Pick<AudioSource, 'cacheKey'>, silence: SilenceSettings): string {
  return entryName(source.cacheKey, `analysis-${silence.thresholdDb}-${silence.minSeconds}.json`);
}
