import type { JobType } from './api/jobs.js';
import { spriteFileName } from './ffmpeg/thumbnails.js';

/**
 * The storage key layout of an asset, in one place. Everything Frameproof writes for an asset
 * sits under `assets/<id>/`: the original under `original/`, each job's outputs under a
 * folder named after the job (`audio-proxy/<track>/` per track), with fixed file names, so a
 * retried job overwrites what an earlier attempt wrote. Finished tus uploads may sit elsewhere
 * (under `uploads/`); the asset's file rows name them.
 */
export function assetKeys(assetId: string) {
  const prefix = `assets/${assetId}`;
  return {
    /** Every key of the asset starts with this (no trailing slash). */
    prefix,
    /** Whether `key` is one of this asset's keys. */
    owns: (key: string) => key.startsWith(`${prefix}/`),
    /** Where an uploaded original is stored; `fileName` must already be safe (no path). */
    original: (fileName: string) => `${prefix}/original/${fileName}`,
    /** Where an attached subtitle file (WebVTT) of shape `shapeId` is stored. */
    subtitle: (shapeId: string) => `${prefix}/subtitles/${shapeId}.vtt`,
    /**
     * Where the analyze service keeps what it computed from a track (peak file, loudness and
     * levels), per version of the decoded file: `version` names it (a hash of the file's
     * identity, so a new proxy starts afresh) and must be one path segment of `[A-Za-z0-9_-]`.
     */
    analysis: (track: number, version: string) => {
      if (!Number.isInteger(track) || track < 1) throw new RangeError(`bad audio track ${track}`);
      if (!/^[A-Za-z0-9_-]+$/.test(version)) throw new RangeError(`bad analysis version "${version}"`);
      return `${prefix}/analysis/${track}/${version}`;
    },
    /** Where a job of `type` writes its outputs (the job's `outputPrefix`). */
    outputs: (type: JobType, track?: number) =>
      track === undefined ? `${prefix}/${type}` : `${prefix}/${type}/${track}`,
  };
}

/** The names of the files jobs write under their output prefix. */
export const OUTPUT_FILES = {
  videoProxy: 'video.mp4',
  audioProxy: 'audio.m4a',
  poster: 'poster.jpg',
  spriteIndex: 'sprites.vtt',
  /** Sprite sheet `n`, from 1 (the name ffmpeg's pattern gives it). */
  spriteSheet: spriteFileName,
} as const;

/** A file's key under an output prefix (a trailing slash on the prefix is ignored). */
export const outputKey = (outputPrefix: string, name: string) =>
  `${outputPrefix.replace(/\/+$/, '')}/${name}`;
