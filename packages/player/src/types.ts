import type { FrameRate } from '@frameproof/core';

export interface PlayerAudioTrack {
  /** 1-based audio track number. */
  track: number;
  /** "Track 1 (stereo)". */
  label: string;
  /** Audio proxy (AAC in MP4), signed, Range-capable. */
  url: string;
  channels: number;
  /** Builds analyze's waveform URL for a window: format=dat, start/end in seconds. */
  waveformUrl?: (window: { start: number; end: number; samplesPerPixel: number }) => string;
  /** Analyze's loudness JSON for this track. */
  loudnessUrl?: string;
}

export interface PlayerMedia {
  /** Frame-exact H.264 proxy; null for audio-only assets. */
  videoUrl: string | null;
  posterUrl?: string;
  frameRate: FrameRate;
  durationFrames: number;
  /** "10:00:00:00"; null = 00:00:00:00. */
  startTimecode: string | null;
  dropFrame: boolean;
  width?: number;
  height?: number;
  pixelAspectRatio?: { num: number; den: number };
  audioTracks: PlayerAudioTrack[];
  /** WebVTT index of sprite sheets (#xywh=). */
  spritesVttUrl?: string;
  /**
   * The URL of each sheet the index names, by file name (`sprite-001.jpg`), where the sheets
   * are not readable at a URL relative to the index: signed or presigned URLs carry their
   * signature per file. A name missing here is resolved against `spritesVttUrl`.
   */
  spriteSheetUrls?: Record<string, string>;
}

export interface PlayerMarker {
  id: string;
  /** Frames, inclusive. */
  start: number;
  /** Frames, inclusive (end === start: a point marker). */
  end: number;
  title: string;
  /** The timeline row ("Manual", "Auto QC", ...). */
  group: string;
  category?: string | null;
  severity?: 'info' | 'minor' | 'major' | 'critical' | (string & {}) | null;
  /** "#rrggbb". */
  color?: string | null;
  /** false: cannot be dragged or trimmed. */
  editable?: boolean;
}

export interface SubtitleInput {
  id: string;
  label: string;
  language?: string;
  /** File contents. */
  text: string;
  format: 'srt' | 'vtt';
}

export interface PlayerOptions {
  media: PlayerMedia;
  markers?: PlayerMarker[];
  subtitles?: SubtitleInput[];
  /** Shown paused and confirmed on screen. */
  initialFrame?: number;
  /** Default true: shortcuts while focus is inside the player. */
  keyboard?: boolean;
  /** Default fetch. */
  fetchData?: (url: string) => Promise<Response>;
}

/**
 * What put the frame on screen: `video`, the video element, its frame confirmed by
 * requestVideoFrameCallback; `webcodecs`, the frame decoded with WebCodecs and painted on the
 * canvas over the video (no callback in this browser, or the callback did not confirm the
 * frame); `playback`, playing (the counter follows the presentations); `unconfirmed`, nothing
 * could confirm it (or there is no picture: an audio-only asset).
 */
export type FramePresenter = 'video' | 'webcodecs' | 'playback' | 'unconfirmed';

export interface PlayerEvents {
  frame: { frame: number; timecode: string; playing: boolean; presentedBy: FramePresenter };
  rangeselect: { in: number | null; out: number | null };
  /** The host creates it, then calls upsertMarker(). */
  markercreate: { start: number; end: number };
  markermove: { id: string; start: number; end: number };
  markertrim: { id: string; start: number; end: number };
  markerdelete: { id: string };
  markerselect: { id: string };
  error: { message: string };
}

export interface Player {
  readonly frame: number;
  readonly playing: boolean;
  /** Resolves with the frame confirmed on screen. */
  seek(frame: number): Promise<number>;
  /** Throws a clear error for a bad timecode. */
  seekTimecode(timecode: string): Promise<number>;
  step(frames: number): Promise<number>;
  play(): Promise<void>;
  /** Resolves with the confirmed frame. */
  pause(): Promise<number>;
  setInOut(inFrame: number | null, outFrame: number | null): void;
  setMarkers(markers: PlayerMarker[]): void;
  upsertMarker(marker: PlayerMarker): void;
  removeMarker(id: string): void;
  /**
   * Parses and adds a subtitle file. media-captions parses asynchronously, so a malformed file
   * rejects (naming the line) rather than throwing; the rejection is also emitted as `error`.
   */
  addSubtitles(subtitles: SubtitleInput): Promise<void>;
  selectSubtitles(id: string | null): void;
  timecodeOf(frame: number): string;
  on<K extends keyof PlayerEvents>(type: K, listener: (event: PlayerEvents[K]) => void): () => void;
  destroy(): void;
}
