/** Turns the API's asset (with its shapes' signed file URLs) into what the player plays. */
import type { AssetWithShapes } from '@frameproof/core';
import type { PlayerMedia } from '../src/index.js';

export function mediaFromAsset(asset: AssetWithShapes, apiBase = ''): PlayerMedia {
  if (!asset.frameRate || !asset.durationFrames)
    throw new Error(`asset "${asset.title}" has no frame rate yet (status ${asset.status})`);
  const file = (type: string, ext?: RegExp, track?: number): string | undefined =>
    asset.shapes
      .filter((s) => s.type === type && (track === undefined || s.track === track))
      .flatMap((s) => s.files)
      .find((f) => !ext || ext.test(f.name))?.url;
  const video = asset.technical?.video[0];
  const audioShapes = asset.shapes.filter((s) => s.type === 'audio-proxy' && s.track !== null);
  const media: PlayerMedia = {
    videoUrl: file('video-proxy') ?? null,
    frameRate: asset.frameRate,
    durationFrames: asset.durationFrames,
    startTimecode: asset.startTimecode,
    dropFrame: asset.dropFrame,
    audioTracks: audioShapes.map((s) => {
      const track = s.track as number;
      const base = `${apiBase}/api/analyze/assets/${asset.id}/audio/${track}`;
      const stream = asset.technical?.audio[track - 1];
      return {
        track,
        label: s.label ?? `Track ${track}`,
        url: s.files[0]?.url ?? '',
        channels: Math.min(2, stream?.channels ?? 2),
        waveformUrl: (w) =>
          `${base}/waveform?format=dat&bits=8&start=${w.start.toFixed(3)}&end=${w.end.toFixed(3)}&samplesPerPixel=${w.samplesPerPixel}`,
        loudnessUrl: `${base}/loudness`,
      };
    }),
  };
  const poster = file('poster');
  if (poster) media.posterUrl = poster;
  const sprites = file('sprite', /\.vtt$/) ?? file('thumbnails', /\.vtt$/);
  if (sprites) {
    media.spritesVttUrl = sprites;
    // Each sheet has its own signed URL: the index's folder does not reach them.
    media.spriteSheetUrls = Object.fromEntries(
      asset.shapes
        .filter((s) => s.type === 'sprite' || s.type === 'thumbnails')
        .flatMap((s) => s.files)
        .filter((f) => !f.name.endsWith('.vtt'))
        .map((f) => [f.name, f.url]),
    );
  }
  if (video) {
    media.width = video.width;
    media.height = video.height;
  }
  return media;
}
