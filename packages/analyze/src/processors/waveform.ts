/**
 * Waveforms for the timeline.
 *
 * - The first request that needs the whole programme decodes it once (segments side by side) into
 *   a multi-resolution peak file: every channel and the mix, at 256, 1024, 4096, 16384 and 65536
 *   samples per pixel. Any multiple of 256 samples per pixel, for the whole programme or any window,
 *   is then read from it exactly (min of mins, max of maxes) without decoding.
 * - Finer or other resolutions over short windows come from decoded PCM, cached in chunks of 2^20
 *   frames that are decoded on demand, so a zoomed-in view never decodes the whole file.
 * - Other resolutions over long stretches are computed in one streaming pass and cached.
 */
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import type { LoudnessMeter } from '@frameproof/core';
import type { DiskCache, CacheLogger } from '../cache.js';
import { entryName, SingleFlight } from '../cache.js';
import type { AudioSource } from '../resolver.js';
import { allocatePeaks, type WaveformData } from './audiowaveform.js';
import type { AnalysisResult } from './analysis-log.js';
import {
  decodeRange,
  decodeWholeTrack,
  scanPeaks,
  type DecodeContext,
  type FfmpegStarter,
  type PositionedBinSink,
  type ScanOptions,
} from './decode.js';
import { chooseDecoder, decoderName, type DecoderChoice, type DecoderName } from '../native-decode.js';
import { analysisEntryName, DEFAULT_SILENCE, meterFor } from './one-pass.js';
import type { ResultStore } from '../result-store.js';
import {
  type ChannelMode,
  coarsen,
  PeakAccumulator,
  requestedSeries,
  selectSeries,
  seriesCount,
  storedIndices,
  storedSeries,
} from './peaks.js';

export const LEVELS = [256, 1024, 4096, 16384, 65536] as const;
export const CHUNK_FRAMES = 1 << 20;
/** Windows up to this long are computed from cached PCM chunks. */
export const PCM_WINDOW_SECONDS = 600;
const LEVELS_HEADER_BYTES = 4096;
const LEVELS_MAGIC = 'FPLV';

export interface LevelsHeader {
  version: 1;
  sampleRate: number;
  channels: number;
  /** Frames decoded: the exact length of the audio. */
  frames: number;
  /** Series per bin: each channel, then the mix when there are several channels. */
  series: number;
  levels: { samplesPerPixel: number; length: number; offset: number }[];
}

export interface WaveformRequest {
  samplesPerPixel: number;
  /** First frame wanted; the answer starts at the pixel containing it. */
  start: number;
  /** Frame after the last one wanted; undefined: to the end. */
  end: number | undefined;
  channels: ChannelMode;
}

export interface WaveformResult extends WaveformData {
  /** The first frame of the first pixel. */
  firstFrame: number;
  /** Where it came from, for logs and tests. */
  from: 'levels' | 'pcm' | 'scan' | 'cached-scan';
}

export interface WaveformServiceOptions {
  cache: DiskCache;
  ffmpegPath: string;
  /** ffmpeg processes one whole-programme decode may use. */
  maxDecoders: number;
  /** Segments decoded side by side are at least this long (300 s). */
  minSegmentSeconds?: number;
  log: CacheLogger;
  /** Aborted when the service shuts down. */
  signal?: AbortSignal;
  /** Starts ffmpeg; tests count the decodes with it. */
  run?: FfmpegStarter;
  /**
   * What decodes whole tracks (the programme pass): 'native' (in this process, see
   * native-decode.ts; an error if it is not built) or 'cli'. Default: native when built.
   */
  decoder?: DecoderChoice;
  /** Where whole-programme results are shared with every task (storage); the disk is a hot copy. */
  results?: ResultStore;
  /** Bytes of the peak file read at a time for an answer that is not its byte range (1 MiB). */
  levelsReadBytes?: number;
}

/** What the one decode of a whole track produced: the peak file (unless uncacheable) and the analysis. */
export interface ProgrammePass {
  levels: { path: string; header: LevelsHeader } | undefined;
  analysis: AnalysisResult;
}

export class WaveformService {
  private readonly flights = new SingleFlight();
  private readonly headers = new Map<string, LevelsHeader>();
  /** Exact lengths learnt from decoding (by cache key). */
  private readonly lengths = new Map<string, number>();
  /** PCM chunks being decoded, by entry name, and how to settle them. */
  private readonly pendingChunks = new Map<string, Promise<ChunkState>>();
  private readonly settlers = new Map<string, (state: ChunkState | Error) => void>();
  private readonly ctx: DecodeContext;

  private readonly scanOptions: ScanOptions;

  constructor(private readonly o: WaveformServiceOptions) {
    this.ctx = { ffmpegPath: o.ffmpegPath, signal: o.signal, run: o.run, native: chooseDecoder(o.decoder) };
    this.scanOptions = { maxSegments: o.maxDecoders, minSegmentSeconds: o.minSegmentSeconds };
  }

  /** Exact frame count when known (decoded before), else the metadata's estimate. */
  async length(source: AudioSource): Promise<{ frames: number; exact: boolean }> {
    const known = this.lengths.get(source.cacheKey) ?? (await this.levels(source))?.header.frames;
    if (known !== undefined) return { frames: known, exact: true };
    return { frames: Math.round(source.durationSeconds * source.sampleRate), exact: false };
  }

  /** What decodes the programme pass. */
  get decoder(): DecoderName {
    return decoderName(this.ctx.native);
  }

  /** The resolutions served from the peak file without decoding. */
  get levelResolutions(): readonly number[] {
    return LEVELS;
  }

  async waveform(source: AudioSource, req: WaveformRequest): Promise<WaveformResult> {
    const spp = req.samplesPerPixel;
    const start = Math.floor(req.start / spp) * spp;
    const end = req.end === undefined ? undefined : Math.ceil(req.end / spp) * spp;
    const long = end === undefined || end - start > PCM_WINDOW_SECONDS * source.sampleRate;
    if (spp % (LEVELS[0] as number) === 0) {
      const levels = (await this.levels(source)) ?? (long ? await this.buildLevels(source) : undefined);
      if (levels) return this.fromLevels(levels.path, levels.header, spp, start, end, req.channels);
    }
    if (!long) return this.fromPcm(source, spp, start, end as number, req.channels);
    return this.fromScan(source, spp, start, end, req.channels);
  }

  // ---- the multi-resolution peak file

  private async levels(source: AudioSource): Promise<{ path: string; header: LevelsHeader } | undefined> {
    const name = entryName(source.cacheKey, 'levels.bin');
    const path = (await this.o.cache.get(name)) ?? (await this.o.results?.fetch(source, name));
    if (!path) return undefined;
    let header = this.headers.get(name);
    if (!header) {
      try {
        header = await readLevelsHeader(path);
      } catch {
        this.o.cache.forget(name);
        return undefined;
      }
      remember(this.headers, name, header);
    }
    remember(this.lengths, source.cacheKey, header.frames);
    return { path, header };
  }

  /** Decodes the whole programme into the peak file; undefined when it cannot be cached. */
  private async buildLevels(
    source: AudioSource,
  ): Promise<{ path: string; header: LevelsHeader } | undefined> {
    return (await this.programmePass(source)).levels;
  }

  /**
   * The one decode of a whole track (one ffmpeg, see one-pass.ts): writes the peak file and the
   * analysis with the default silence settings to the cache, and answers both. Concurrent callers
   * share one run.
   */
  programmePass(source: AudioSource): Promise<ProgrammePass> {
    const name = entryName(source.cacheKey, 'levels.bin');
    return this.flights.run(`levels:${name}`, async () => {
      let meter = meterFor(source, DEFAULT_SILENCE);
      const spec = storedSeries(source.channels);
      const stride = seriesCount(spec) * 4;
      // The finest level, plus the coarser ones at a quarter each (1 + 1/4 + 1/16 + ... < 4/3).
      const estimate = ((Math.ceil((source.durationSeconds * source.sampleRate) / 256) + 1) * stride * 4) / 3;
      let header: LevelsHeader | undefined;
      let failure: unknown;
      const path = await this.o.cache.put(
        name,
        async (tmp) => {
          const fh = await open(tmp, 'w+');
          try {
            header = await writeLevels(fh, source, (sink) => onePassScan(this.ctx, source, sink, meter));
          } catch (err) {
            failure = err;
            throw err;
          } finally {
            await fh.close();
          }
        },
        LEVELS_HEADER_BYTES + estimate,
      );
      // A failed decode is the request's failure; a failed write only means "not cached".
      if (failure && !isFsError(failure)) throw failure;
      if (!header) {
        // The cache could not take the peak file (full or unwritable): still one decode, without it.
        meter = meterFor(source, DEFAULT_SILENCE);
        const frames = await onePassScan(this.ctx, source, () => undefined, meter);
        remember(this.lengths, source.cacheKey, frames);
      }
      const analysis = meter.result();
      const json = JSON.stringify(analysis);
      const analysisName = analysisEntryName(source, DEFAULT_SILENCE);
      await this.o.cache.put(analysisName, (tmp) => writeFile(tmp, json), json.length);
      // Shared through storage, so that no other task decodes this programme again.
      await this.o.results?.publish(source, analysisName, { bytes: Buffer.from(json) });
      if (path && header) await this.o.results?.publish(source, name, { path });
      if (!path || !header) return { levels: undefined, analysis };
      remember(this.headers, name, header);
      remember(this.lengths, source.cacheKey, header.frames);
      return { levels: { path, header }, analysis };
    });
  }

  private async fromLevels(
    path: string,
    header: LevelsHeader,
    spp: number,
    start: number,
    end: number | undefined,
    mode: ChannelMode,
  ): Promise<WaveformResult> {
    const level = [...header.levels].reverse().find((l) => spp % l.samplesPerPixel === 0);
    if (!level) throw new Error(`no level divides ${spp}`);
    const stop = Math.min(end ?? header.frames, header.frames);
    const first = start / level.samplesPerPixel;
    const last = Math.min(level.length, Math.ceil(stop / level.samplesPerPixel));
    const stride = header.series * 4;
    const count = Math.max(0, last - first);
    const indices = storedIndices(header.channels, mode);
    const factor = spp / level.samplesPerPixel;
    // Every stored series at the level's own resolution (a mono track, or all channels of one
    // without a mix): the answer is the byte range itself, read once into the answer's memory.
    const whole = factor === 1 && indices.length === header.series && indices.every((v, i) => v === i);
    const outBins = Math.ceil(count / factor);
    const data = allocatePeaks(whole ? (count * stride) / 2 : outBins * indices.length * 2);
    if (count === 0) return this.levelsResult(header, spp, start, indices.length, data);
    const fh = await open(path, 'r');
    try {
      const at = level.offset + first * stride;
      if (whole)
        await fh.read(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 0, count * stride, at);
      else {
        // The rest in blocks of whole answer bins, so that the memory beyond the answer stays
        // small however long the programme (an overview of three hours reads 24 MB of bins).
        const readBytes = this.o.levelsReadBytes ?? LEVELS_READ_BYTES;
        const blockBins = factor * Math.max(1, Math.floor(readBytes / (factor * stride)));
        const buf = new Int16Array((Math.min(count, blockBins) * stride) / 2);
        for (let b = 0; b < count; b += blockBins) {
          const n = Math.min(blockBins, count - b);
          const bins = buf.subarray(0, (n * stride) / 2);
          await fh.read(
            new Uint8Array(bins.buffer, bins.byteOffset, bins.byteLength),
            0,
            n * stride,
            at + b * stride,
          );
          const o = (b / factor) * indices.length * 2;
          const target = data.subarray(o, o + Math.ceil(n / factor) * indices.length * 2);
          if (factor === 1) selectSeries(bins, header.series, indices, target);
          else coarsen(selectSeries(bins, header.series, indices), indices.length, factor, target);
        }
      }
    } finally {
      await fh.close();
    }
    return this.levelsResult(header, spp, start, indices.length, data);
  }

  private levelsResult(
    header: LevelsHeader,
    spp: number,
    start: number,
    channels: number,
    data: Int16Array,
  ): WaveformResult {
    return {
      sampleRate: header.sampleRate,
      samplesPerPixel: spp,
      channels,
      data,
      firstFrame: start,
      from: 'levels',
    };
  }

  // ---- decoded PCM, in chunks

  private chunkName(source: AudioSource, k: number): string {
    return entryName(source.cacheKey, `pcm-${CHUNK_FRAMES}-${k}.s16`);
  }

  /**
   * Makes sure chunks k0..k1 are cached, decoding the missing ones (each run of consecutive ones
   * in one ffmpeg). A chunk already being decoded for another request is waited for, not decoded
   * again. Answers each chunk's path, 'end' past the end of the audio, or undefined if it could not
   * be cached.
   */
  private async chunks(source: AudioSource, k0: number, k1: number): Promise<ChunkState[]> {
    const result: Promise<ChunkState>[] = [];
    let run: number[] = [];
    const decodeRun = () => {
      if (run.length) this.decodeChunks(source, run);
      run = [];
    };
    for (let k = k0; k <= k1; k++) {
      const known = this.lengths.get(source.cacheKey);
      const name = this.chunkName(source, k);
      let state: Promise<ChunkState> | undefined =
        known !== undefined && k * CHUNK_FRAMES >= known
          ? Promise.resolve('end')
          : this.pendingChunks.get(name);
      if (!state && this.o.cache.has(name)) {
        const path = await this.o.cache.get(name);
        // Another request may have started decoding it meanwhile.
        state = path ? Promise.resolve(path) : this.pendingChunks.get(name);
      }
      if (!state && this.o.results) {
        // Decoded by another task (or before a restart): a copy from storage.
        const path = await this.o.results.fetch(source, name);
        state = path ? Promise.resolve(path) : this.pendingChunks.get(name);
      }
      if (state) {
        result.push(state);
        decodeRun();
      } else {
        run.push(k);
        result.push(this.pendingChunk(name));
      }
    }
    decodeRun();
    return Promise.all(result);
  }

  /** A promise for a chunk that a decode under way will settle. */
  private pendingChunk(name: string): Promise<ChunkState> {
    let settle!: (state: ChunkState | Error) => void;
    const promise = new Promise<ChunkState>((resolve, reject) => {
      settle = (state) => (state instanceof Error ? reject(state) : resolve(state));
    });
    this.pendingChunks.set(name, promise);
    this.settlers.set(name, (state) => {
      this.pendingChunks.delete(name);
      this.settlers.delete(name);
      settle(state);
    });
    return promise;
  }

  private async decodeChunks(source: AudioSource, run: readonly number[]): Promise<void> {
    const frameBytes = source.channels * 2;
    const first = run[0] as number;
    const settle = (k: number, state: ChunkState | Error) =>
      this.settlers.get(this.chunkName(source, k))?.(state);
    let buf = Buffer.allocUnsafe(CHUNK_FRAMES * frameBytes);
    let filled = 0;
    let next = first;
    const flush = async () => {
      const data = buf.subarray(0, filled);
      const name = this.chunkName(source, next);
      const path = await this.o.cache.put(name, (tmp) => writeFile(tmp, data), data.length);
      settle(next++, path);
      // Shared, so that no other task decodes this stretch again.
      if (path) await this.o.results?.publish(source, name, { path });
      filled = 0;
      buf = Buffer.allocUnsafe(CHUNK_FRAMES * frameBytes);
    };
    try {
      const start = first * CHUNK_FRAMES;
      const frames = await decodeRange(
        this.ctx,
        source,
        start,
        (first + run.length) * CHUNK_FRAMES,
        async (samples) => {
          let bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
          while (bytes.length > 0) {
            const n = Math.min(bytes.length, buf.length - filled);
            bytes.copy(buf, filled, 0, n);
            filled += n;
            bytes = bytes.subarray(n);
            if (filled === buf.length) await flush();
          }
        },
      );
      if (filled > 0) await flush();
      if (frames < run.length * CHUNK_FRAMES) remember(this.lengths, source.cacheKey, start + frames);
      for (const k of run) settle(k, 'end'); // past the end of the audio
    } catch (err) {
      for (const k of run) settle(k, err as Error);
    }
  }

  private async fromPcm(
    source: AudioSource,
    spp: number,
    start: number,
    end: number,
    mode: ChannelMode,
  ): Promise<WaveformResult> {
    const spec = requestedSeries(source.channels, mode);
    const out = new BinCollector(seriesCount(spec), Math.ceil((end - start) / spp));
    const acc = new PeakAccumulator(spec, spp, (data, bins) => out.add(data, bins));
    const k0 = Math.floor(start / CHUNK_FRAMES);
    const k1 = Math.floor((end - 1) / CHUNK_FRAMES);
    const chunks = await this.chunks(source, k0, k1);
    const frameBytes = source.channels * 2;
    if (chunks.every((c) => c !== undefined)) {
      for (let k = k0; k <= k1; k++) {
        const chunk = chunks[k - k0] as string;
        if (chunk === 'end') break;
        const from = Math.max(start, k * CHUNK_FRAMES) - k * CHUNK_FRAMES;
        const to = Math.min(end, (k + 1) * CHUNK_FRAMES) - k * CHUNK_FRAMES;
        const passed = await passRange(
          chunk,
          from * frameBytes,
          (to - from) * frameBytes,
          frameBytes,
          (pcm) => acc.push(pcm),
        );
        if (passed === undefined) {
          this.o.cache.forget(this.chunkName(source, k));
          return this.fromPcm(source, spp, start, end, mode);
        }
        if (passed < (to - from) * frameBytes) break;
      }
    } else {
      // The cache could not take the chunks: decode just this window.
      await decodeRange(this.ctx, source, start, end, (samples) => acc.push(samples));
    }
    acc.end();
    return {
      sampleRate: source.sampleRate,
      samplesPerPixel: spp,
      channels: seriesCount(spec),
      data: out.result(),
      firstFrame: start,
      from: 'pcm',
    };
  }

  // ---- long stretches at other resolutions

  private async fromScan(
    source: AudioSource,
    spp: number,
    start: number,
    end: number | undefined,
    mode: ChannelMode,
  ): Promise<WaveformResult> {
    const spec = requestedSeries(source.channels, mode);
    const series = seriesCount(spec);
    const name = entryName(source.cacheKey, `scan-${spp}-${start}-${end ?? 'end'}-${mode}.peaks`);
    const base = {
      sampleRate: source.sampleRate,
      samplesPerPixel: spp,
      channels: series,
      firstFrame: start,
    };
    const cached = await this.o.cache.get(name);
    if (cached) {
      const bytes = await readRange(cached, 0, Infinity);
      if (bytes)
        return {
          ...base,
          data: new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2),
          from: 'cached-scan',
        };
      this.o.cache.forget(name);
    }
    return this.flights.run(`scan:${name}`, async () => {
      const estimate = Math.ceil(((end ?? source.durationSeconds * source.sampleRate) - start) / spp) + 1;
      const out = new BinCollector(series, estimate);
      const frames = await scanPeaks(
        this.ctx,
        source,
        { start, end },
        spp,
        spec,
        (first, data, bins) => out.put(first, data, bins),
        this.scanOptions,
      );
      if (end === undefined) remember(this.lengths, source.cacheKey, start + frames);
      const data = out.result(Math.ceil(frames / spp));
      await this.o.cache.put(name, (tmp) => writeFile(tmp, data), data.byteLength);
      return { ...base, data, from: 'scan' as const };
    });
  }
}

/** A PCM chunk: its cached file, past the end of the audio, or not cacheable (undefined). */
type ChunkState = string | 'end' | undefined;

/** Sets a key in a map used as a small memo, which is emptied when it grows large. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= 10_000) map.clear();
  map.set(key, value);
}

/** Whether an error comes from the file system (the cache), rather than from decoding. */
function isFsError(err: unknown): boolean {
  return typeof (err as { syscall?: unknown } | null)?.syscall === 'string';
}

/** Collects bins into one growing array, appended or at given positions. */
class BinCollector {
  private data: Int16Array;
  private count = 0;
  constructor(
    private readonly series: number,
    expectedBins: number,
  ) {
    // Room for a `.dat` header before the bins: the answer is sent from this memory.
    this.data = allocatePeaks(Math.max(1, expectedBins) * series * 2);
  }
  add(data: Int16Array, bins: number): void {
    this.put(this.count, data, bins);
  }
  put(first: number, data: Int16Array, bins: number): void {
    const stride = this.series * 2;
    const need = (first + bins) * stride;
    if (need > this.data.length) {
      const grown = allocatePeaks(Math.max(need, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(data.subarray(0, bins * stride), first * stride);
    this.count = Math.max(this.count, first + bins);
  }
  result(bins = this.count): Int16Array {
    const length = bins * this.series * 2;
    return length === this.data.length ? this.data : this.data.subarray(0, length);
  }
}

/** Bytes of PCM read at once for a window: a window's PCM only passes through, in these. */
const PCM_READ_BYTES = 256 * 1024;
/** Read buffers of PCM_READ_BYTES, reused from one window to the next. */
const readBuffers: Buffer[] = [];

/**
 * Hands bytes [offset, offset + length) of a PCM file to `take`, in whole frames, a read buffer at
 * a time (not a buffer the size of the window: at one sample per pixel that is 1.9 MB per request
 * for the collector to reclaim). Answers the bytes passed (fewer at the file's end), or undefined if
 * the file is gone. `take` must not keep the samples it is given.
 */
async function passRange(
  path: string,
  offset: number,
  length: number,
  frameBytes: number,
  take: (samples: Int16Array) => void,
): Promise<number | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  const buf = readBuffers.pop() ?? Buffer.allocUnsafe(PCM_READ_BYTES);
  const piece = PCM_READ_BYTES - (PCM_READ_BYTES % frameBytes);
  let passed = 0;
  try {
    while (passed < length) {
      const want = Math.min(piece, length - passed);
      const { bytesRead } = await fh.read(buf, 0, want, offset + passed);
      const whole = bytesRead - (bytesRead % frameBytes);
      if (whole > 0) take(new Int16Array(buf.buffer, buf.byteOffset, whole / 2));
      passed += whole;
      if (bytesRead < want) break;
    }
    return passed;
  } finally {
    if (readBuffers.length < 16) readBuffers.push(buf);
    await fh.close();
  }
}

/** Bytes [offset, offset + length) of a file, fewer at its end; undefined if the file is gone. */
async function readRange(path: string, offset: number, length: number): Promise<Buffer | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = Number.isFinite(length) ? length : (await fh.stat()).size - offset;
    const buf = Buffer.allocUnsafe(Math.max(0, size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function readLevelsHeader(path: string): Promise<LevelsHeader> {
  const buf = await readRange(path, 0, LEVELS_HEADER_BYTES);
  if (!buf || buf.toString('latin1', 0, 4) !== LEVELS_MAGIC) throw new Error('not a peak file');
  const length = buf.readUInt32LE(4);
  return JSON.parse(buf.toString('utf8', 8, 8 + length)) as LevelsHeader;
}

/** Bytes of the peak file read at a time for an answer that is not its byte range. */
const LEVELS_READ_BYTES = 1 << 20;

/**
 * Writes the peak file: decodes the programme into the finest level (segments side by side, each
 * writing its bins in place), then derives each coarser level from the one before, a block at a
 * time, and writes the header last.
 */
async function writeLevels(
  fh: FileHandle,
  source: AudioSource,
  scan: (sink: PositionedBinSink) => Promise<number>,
): Promise<LevelsHeader> {
  const spec = storedSeries(source.channels);
  const series = seriesCount(spec);
  const stride = series * 4;
  const base = LEVELS[0] as number;
  // The accumulator reuses `data` once the sink returns, so each write gets a copy: in a buffer
  // taken again once its write is done, not a new one per batch for the collector to find.
  let spare: Buffer | undefined;
  const frames = await scan((first, data, bins) => {
    const length = bins * stride;
    const copy = spare && spare.length >= length ? spare : Buffer.allocUnsafeSlow(length);
    spare = undefined;
    Buffer.from(data.buffer, data.byteOffset, length).copy(copy);
    return fh.write(copy, 0, length, LEVELS_HEADER_BYTES + first * stride).then(() => {
      spare = copy;
    });
  });
  const levels: LevelsHeader['levels'] = [];
  let offset = LEVELS_HEADER_BYTES;
  for (const spp of LEVELS) {
    const length = Math.ceil(frames / spp);
    levels.push({ samplesPerPixel: spp, length, offset });
    offset += length * stride;
  }
  // Coarser levels from the finest, in blocks that every level's bins divide.
  const top = LEVELS.at(-1) as number;
  const blockBins = (top / base) * 64;
  const written = levels.map(() => 0);
  const finest = levels[0] as LevelsHeader['levels'][number];
  // One buffer for every block read: a new one each would leave a programme's worth of garbage for
  // the collector (24 MB for three hours of stereo), all of it counted in the service's peak memory.
  const buf = Buffer.allocUnsafeSlow(Math.min(blockBins, finest.length) * stride);
  for (let b = 0; b < finest.length; b += blockBins) {
    const n = Math.min(blockBins, finest.length - b);
    await fh.read(buf, 0, n * stride, finest.offset + b * stride);
    let bins: Int16Array = new Int16Array(buf.buffer, buf.byteOffset, (n * stride) / 2);
    for (let li = 1; li < levels.length; li++) {
      const level = levels[li] as LevelsHeader['levels'][number];
      bins = coarsen(bins, series, level.samplesPerPixel / (levels[li - 1] as typeof level).samplesPerPixel);
      const out = Buffer.from(bins.buffer, bins.byteOffset, bins.byteLength);
      await fh.write(out, 0, out.length, level.offset + (written[li] as number) * stride);
      written[li] = (written[li] as number) + bins.length / (series * 2);
    }
  }
  const header: LevelsHeader = {
    version: 1,
    sampleRate: source.sampleRate,
    channels: source.channels,
    frames,
    series,
    levels,
  };
  const json = Buffer.from(JSON.stringify(header));
  if (json.length > LEVELS_HEADER_BYTES - 8) throw new Error('peak file header too large');
  const head = Buffer.alloc(8 + json.length);
  head.write(LEVELS_MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, 4);
  json.copy(head, 8);
  await fh.write(head, 0, head.length, 0);
  return header;
}

/**
 * Decodes the whole track once (in this process, or one ffmpeg): each block of PCM becomes peaks at the peak file's
 * finest level, handed to `sink` in order, and goes through `meter`. Resolves with the frames
 * decoded.
 */
async function onePassScan(
  ctx: DecodeContext,
  source: AudioSource,
  sink: PositionedBinSink,
  meter: LoudnessMeter,
): Promise<number> {
  let next = 0;
  let pending: Promise<void> = Promise.resolve();
  const acc = new PeakAccumulator(storedSeries(source.channels), LEVELS[0], (data, bins) => {
    const written = sink(next, data, bins);
    next += bins;
    if (written) pending = pending.then(() => written);
  });
  const frames = await decodeWholeTrack(ctx, source, async (samples) => {
    acc.push(samples);
    meter.pushInt16(samples);
    await pending;
  });
  acc.end();
  await pending;
  return frames;
}
