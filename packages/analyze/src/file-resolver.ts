import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseProbe, probeArgs } from '@frameproof/core';
import { FfmpegRunner } from '@frameproof/media-kit';
import type { AssetResolver, AudioSource } from './resolver.js';
import { HttpError, noAudio, notFound } from './errors.js';

/** ffprobe beside the ffmpeg in use (FFPROBE_PATH wins). */
export function ffprobeFor(ffmpegPath: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.FFPROBE_PATH) return env.FFPROBE_PATH;
  const name = basename(ffmpegPath).replace(/ffmpeg/, 'ffprobe');
  return dirname(ffmpegPath) === '.' ? name : join(dirname(ffmpegPath), name);
}

interface ProbedAudio {
  index: number;
  channels: number;
  sampleRate: number;
  duration: number;
}

/**
 * Assets that are files on this machine: for tests, benchmarks and local tools. Tracks are the
 * file's audio streams in order, from 1. An optional `authorize` stands in for the adapter's check.
 */
export class FileAssetResolver implements AssetResolver {
  private readonly probes = new Map<string, Promise<ProbedAudio[]>>();

  constructor(
    private readonly files: Record<string, string>,
    private readonly ffprobePath = 'ffprobe',
    private readonly authorize?: (authorization: string | undefined, assetId: string) => void,
  ) {}

  async resolve(assetId: string, track: number, authorization: string | undefined): Promise<AudioSource> {
    this.authorize?.(authorization, assetId);
    const path = this.files[assetId];
    if (!path) throw notFound('asset not found');
    const info = await stat(path).catch(() => {
      throw notFound('asset not found');
    });
    const key = `${path}:${info.size}:${info.mtimeMs}`;
    let probe = this.probes.get(key);
    if (!probe) {
      probe = this.probe(path);
      this.probes.set(key, probe);
      probe.catch(() => this.probes.delete(key));
    }
    const audio = await probe;
    if (audio.length === 0) throw noAudio('the asset has no audio tracks');
    const stream = audio[track - 1];
    if (!stream)
      throw notFound(`audio track ${track} not found; the asset has ${audio.length} audio track(s)`);
    return {
      input: path,
      map: `0:${stream.index}`,
      cacheKey: `${assetId}/${track}/${info.size}-${Math.round(info.mtimeMs)}`,
      channels: stream.channels,
      sampleRate: stream.sampleRate,
      durationSeconds: stream.duration,
      kind: 'file',
    };
  }

  private async probe(path: string): Promise<ProbedAudio[]> {
    // core's ffprobe arguments and parser, media-kit's runner: as the jobs service probes.
    const runner = new FfmpegRunner({ ffmpeg: 'ffmpeg', ffprobe: this.ffprobePath });
    let technical;
    try {
      const { stdout } = await runner.ffprobe(probeArgs(path, { countPackets: false }));
      technical = parseProbe(stdout);
    } catch (err) {
      throw new HttpError(
        422,
        `the file could not be read as media: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    return technical.audio.map((a) => ({
      index: a.index,
      channels: a.channels || 2,
      sampleRate: a.sampleRate || 48000,
      duration: technical.durationSeconds,
    }));
  }
}
