/**
 * Loudness (EBU R128 / ITU-R BS.1770), per-channel levels and silence, in one decoding pass of
 * ffmpeg's `ebur128`, `astats` and `silencedetect` filters, read from its log as it runs. Results
 * are cached as JSON per asset track and silence settings.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { CacheLogger, DiskCache } from '../cache.js';
import { entryName, SingleFlight } from '../cache.js';
import { ffmpegGlobalArgs, ffmpegInputArgs } from '@frameproof/core';
import { runFfmpeg } from '../ffmpeg.js';
import type { AudioSource } from '../resolver.js';
import { AnalysisLogParser, type AnalysisResult } from './analysis-log.js';

export interface SilenceSettings {
  /** dBFS below which audio counts as silent. */
  thresholdDb: number;
  /** Shortest silence reported, in seconds. */
  minSeconds: number;
}

export const DEFAULT_SILENCE: SilenceSettings = { thresholdDb: -60, minSeconds: 2 };

export function analysisArgs(source: AudioSource, silence: SilenceSettings): string[] {
  const filters = [
    'ebur128=peak=true+sample:framelog=info',
    'astats=measure_perchannel=Peak_level+RMS_level:measure_overall=Peak_level+RMS_level',
    `silencedetect=noise=${silence.thresholdDb}dB:duration=${silence.minSeconds}`,
  ];
  return [
    // `info`: the filters print their measurements at that level.
    ...ffmpegGlobalArgs({ logLevel: 'info' }),
    ...ffmpegInputArgs(source.input),
    '-map',
    source.map,
    '-vn',
    '-sn',
    '-dn',
    '-af',
    filters.join(','),
    '-f',
    'null',
    '-',
  ];
}

export interface AnalysisServiceOptions {
  cache: DiskCache;
  ffmpegPath: string;
  log: CacheLogger;
  signal?: AbortSignal;
}

export class AnalysisService {
  private readonly flights = new SingleFlight();

  constructor(private readonly o: AnalysisServiceOptions) {}

  async analyse(source: AudioSource, silence: SilenceSettings = DEFAULT_SILENCE): Promise<AnalysisResult> {
    const name = entryName(source.cacheKey, `analysis-${silence.thresholdDb}-${silence.minSeconds}.json`);
    const cached = await this.o.cache.get(name);
    if (cached) {
      try {
        return JSON.parse(await readFile(cached, 'utf8')) as AnalysisResult;
      } catch {
        this.o.cache.forget(name);
      }
    }
    return this.flights.run(name, async () => {
      const parser = new AnalysisLogParser();
      const run = runFfmpeg(this.o.ffmpegPath, analysisArgs(source, silence), {
        signal: this.o.signal,
        onStderrLine: (line) => parser.line(line),
      });
      run.stdout.resume();
      await run.done;
      const result = parser.result();
      const json = JSON.stringify(result);
      await this.o.cache.put(name, (tmp) => writeFile(tmp, json), json.length);
      return result;
    });
  }
}
