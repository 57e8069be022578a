/**
 * Loudness (EBU R128 / ITU-R BS.1770), per-channel levels and silence, measured by core's
 * `LoudnessMeter` on the decoded PCM. With the default silence settings they come from the track's
 * one decode (`WaveformService.programmePass`), which also makes the peak file; other silence
 * settings measure in a decode of their own. Results are cached as JSON per asset track and
 * silence settings.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { CacheLogger, DiskCache } from '../cache.js';
import { SingleFlight } from '../cache.js';
import type { ResultStore } from '../result-store.js';
import type { AudioSource } from '../resolver.js';
import type { AnalysisResult } from './analysis-log.js';
import { chooseDecoder, type DecoderChoice } from '../native-decode.js';
import { decodeWholeTrack, type DecodeContext, type FfmpegStarter } from './decode.js';
import { analysisEntryName, DEFAULT_SILENCE, meterFor, type SilenceSettings } from './one-pass.js';

export { DEFAULT_SILENCE, type SilenceSettings } from './one-pass.js';

export interface AnalysisServiceOptions {
  cache: DiskCache;
  ffmpegPath: string;
  log: CacheLogger;
  signal?: AbortSignal;
  /** Starts ffmpeg; tests count the decodes with it. */
  run?: FfmpegStarter;
  /** What decodes whole tracks: see WaveformServiceOptions.decoder. */
  decoder?: DecoderChoice;
  /** Where results are shared with every task (storage); the disk is a hot copy. */
  results?: ResultStore;
  /**
   * The track's one decode, which measures with the default silence settings while making the
   * peak file (and caches both). Without it, every analysis is a pass of its own.
   */
  programmePass?: (source: AudioSource) => Promise<{ analysis: AnalysisResult }>;
}

export class AnalysisService {
  private readonly flights = new SingleFlight();
  private readonly ctx: DecodeContext;

  constructor(private readonly o: AnalysisServiceOptions) {
    this.ctx = { ffmpegPath: o.ffmpegPath, signal: o.signal, run: o.run, native: chooseDecoder(o.decoder) };
  }

  async analyse(source: AudioSource, silence: SilenceSettings = DEFAULT_SILENCE): Promise<AnalysisResult> {
    const name = analysisEntryName(source, silence);
    const cached = (await this.o.cache.get(name)) ?? (await this.o.results?.fetch(source, name));
    if (cached) {
      try {
        return JSON.parse(await readFile(cached, 'utf8')) as AnalysisResult;
      } catch {
        this.o.cache.forget(name);
      }
    }
    const pass = this.o.programmePass;
    if (pass && sameSilence(silence, DEFAULT_SILENCE)) return (await pass(source)).analysis;
    const meter = meterFor(source, silence);
    return this.flights.run(name, async () => {
      await decodeWholeTrack(this.ctx, source, (samples) => meter.pushInt16(samples));
      const result = meter.result();
      const json = JSON.stringify(result);
      await this.o.cache.put(name, (tmp) => writeFile(tmp, json), json.length);
      await this.o.results?.publish(source, name, { bytes: Buffer.from(json) });
      return result;
    });
  }
}

function sameSilence(a: SilenceSettings, b: SilenceSettings): boolean {
  return a.thresholdDb === b.thresholdDb && a.minSeconds === b.minSeconds;
}
