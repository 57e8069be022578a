import {
  type Asset,
  type AssetWithShapes,
  formatTimecode,
  type FrameRate,
  type Marker,
  parseTimecode,
} from '@frameproof/core';
import { spriteFilesOf } from './sprites.js';

/** The first frame's timecode as a frame count (the offset every shown timecode carries). */
export function startOffset(asset: Pick<Asset, 'startTimecode' | 'frameRate'>): number {
  if (!asset.startTimecode || !asset.frameRate) return 0;
  try {
    return parseTimecode(asset.startTimecode, asset.frameRate).frames;
  } catch {
    return 0;
  }
}

/** Frame `frame` of the asset as SMPTE timecode, offset by its start timecode. */
export function timecodeOf(
  asset: Pick<Asset, 'startTimecode' | 'frameRate' | 'dropFrame'>,
  frame: number,
): string {
  if (!asset.frameRate) return `#${frame}`;
  return formatTimecode(frame + startOffset(asset), asset.frameRate, asset.dropFrame);
}

/** Reads a frame or a timecode the person typed (or a deep link's `?tc=`); throws a clear error. */
export function frameOf(
  asset: Pick<Asset, 'startTimecode' | 'frameRate' | 'durationFrames'>,
  text: string,
): number {
  const t = text.trim();
  let frame: number;
  if (/^\d+$/.test(t)) frame = Number(t);
  else {
    if (!asset.frameRate) throw new Error('the frame rate is not known yet');
    frame = parseTimecode(t, asset.frameRate as FrameRate).frames - startOffset(asset);
  }
  if (frame < 0 || (asset.durationFrames !== null && frame >= asset.durationFrames))
    throw new Error(`"${t}" is outside the asset (frames 0 to ${(asset.durationFrames ?? 1) - 1})`);
  return frame;
}

/** `?frame=N` or `?tc=…` → the frame (null when absent); throws on a bad value. */
export function frameFromSearch(
  asset: Pick<Asset, 'startTimecode' | 'frameRate' | 'durationFrames'>,
  search: URLSearchParams,
): number | null {
  const f = search.get('frame');
  if (f !== null) {
    if (!/^\d+$/.test(f)) throw new Error(`frame "${f}" is not a whole number`);
    return frameOf(asset, f);
  }
  const tc = search.get('tc');
  return tc === null ? null : frameOf(asset, tc);
}

/** A marker as the player's timeline takes it (PlayerMarker in the player's API). */
export function toPlayerMarker(m: Marker, editable: boolean) {
  return {
    id: m.id,
    start: m.start.frame,
    end: m.end.frame,
    title: m.title,
    group: m.group,
    category: m.category,
    severity: m.severity,
    color: m.color,
    editable: editable && m.group !== 'Auto QC',
  };
}

/** What the player needs of an asset: its proxy, rate, timecode and audio tracks (PlayerMedia). */
export function playerMediaOf(asset: AssetWithShapes, apiBase: string) {
  if (!asset.frameRate || asset.durationFrames === null) return null;
  const shape = (type: string) => asset.shapes.find((s) => s.type === type);
  const video = shape('video-proxy')?.files[0]?.url ?? null;
  const tracks = asset.shapes.filter((s) => s.type === 'audio-proxy' && s.track !== null && s.files[0]);
  if (!video && tracks.length === 0) return null;
  const analyze = `${apiBase}/api/analyze/assets/${asset.id}/audio`;
  const v = asset.technical?.video[0];
  const sprites = spriteFilesOf(asset);
  return {
    videoUrl: video,
    posterUrl: shape('poster')?.files[0]?.url,
    frameRate: asset.frameRate,
    durationFrames: asset.durationFrames,
    startTimecode: asset.startTimecode,
    dropFrame: asset.dropFrame,
    width: v?.width,
    height: v?.height,
    spritesVttUrl: sprites?.index.url,
    spriteSheetUrls: sprites?.sheetUrls,
    audioTracks: tracks.map((s) => {
      const track = s.track as number;
      const stream = asset.technical?.audio.find((a) => a.track === track);
      return {
        track,
        label: s.label ?? `Track ${track}`,
        url: (s.files[0] as { url: string }).url,
        channels: stream?.channels ?? 2,
        loudnessUrl: `${analyze}/${track}/loudness`,
        waveformUrl: (w: { start: number; end: number; samplesPerPixel: number }) =>
          `${analyze}/${track}/waveform?format=dat&start=${w.start}&end=${w.end}&samplesPerPixel=${w.samplesPerPixel}`,
      };
    }),
  };
}
