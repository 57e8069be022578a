/**
 * Audio tracks played alongside the video: one media element per track (Chromium has no
 * video.audioTracks), kept on the video's clock; gain per track for mute and solo, and
 * per-channel peak meters from Web Audio where the media is same-origin (Web Audio hears only
 * silence from cross-origin media without CORS).
 */
import { frameToSeconds, type FrameRate } from '@frameproof/core';
import { audibleTracks, holdPeak, peakDbfs, syncDecision } from './audio-sync.js';
import type { PlayerAudioTrack } from './types.js';

export interface TrackState {
  info: PlayerAudioTrack;
  element: HTMLAudioElement;
  muted: boolean;
  solo: boolean;
  gain: GainNode | null;
  analysers: AnalyserNode[];
  held: { db: number; at: number }[];
}

export class AudioTracks {
  readonly tracks: TrackState[];
  private ctx: AudioContext | null = null;
  private volume = 1;
  private allMuted = false;
  private readonly frameSeconds: number;
  /** Last measured drift (audio - video, seconds) per track, for meters and benchmarks. */
  readonly drift = new Map<number, number>();

  constructor(
    infos: readonly PlayerAudioTrack[],
    private readonly video: HTMLVideoElement,
    rate: FrameRate,
  ) {
    this.frameSeconds = frameToSeconds(1, rate);
    this.tracks = infos.map((info, i) => {
      const element = new Audio();
      element.preload = 'auto';
      element.src = info.url;
      return { info, element, muted: i !== 0, solo: false, gain: null, analysers: [], held: [] };
    });
    this.apply();
  }

  /** Web Audio starts on a user gesture (or on play): the graph is built then. */
  private ensureGraph(): void {
    if (this.ctx || typeof AudioContext === 'undefined') return;
    const ctx = new AudioContext();
    this.ctx = ctx;
    for (const t of this.tracks) {
      if (new URL(t.info.url, location.href).origin !== location.origin) continue;
      const source = ctx.createMediaElementSource(t.element);
      const gain = ctx.createGain();
      source.connect(gain).connect(ctx.destination);
      const channels = Math.max(1, Math.min(8, t.info.channels));
      const splitter = ctx.createChannelSplitter(channels);
      source.connect(splitter);
      t.analysers = Array.from({ length: channels }, (_, c) => {
        const a = ctx.createAnalyser();
        a.fftSize = 1024;
        splitter.connect(a, c);
        return a;
      });
      t.held = t.analysers.map(() => ({ db: Number.NEGATIVE_INFINITY, at: 0 }));
      t.gain = gain;
    }
    this.apply();
  }

  setMuted(track: number, muted: boolean): void {
    const t = this.tracks.find((x) => x.info.track === track);
    if (t) t.muted = muted;
    this.apply();
  }

  setSolo(track: number, solo: boolean): void {
    const t = this.tracks.find((x) => x.info.track === track);
    if (t) t.solo = solo;
    this.apply();
  }

  setVolume(volume: number, muted: boolean): void {
    this.volume = Math.min(1, Math.max(0, volume));
    this.allMuted = muted;
    this.apply();
  }

  private apply(): void {
    const audible = audibleTracks(
      this.tracks.map((t) => ({ track: t.info.track, muted: t.muted, solo: t.solo })),
    );
    for (const t of this.tracks) {
      const level = audible.has(t.info.track) && !this.allMuted ? this.volume : 0;
      if (t.gain) {
        t.gain.gain.value = level;
        t.element.volume = 1;
        t.element.muted = false;
      } else {
        t.element.volume = level;
        t.element.muted = level === 0;
      }
    }
  }

  async play(rate: number): Promise<void> {
    this.ensureGraph();
    // Not awaited: Firefox leaves resume() pending while it has no audio output (headless, no
    // sound server), and the tracks must keep the video's clock all the same.
    this.ctx?.resume().catch(() => undefined);
    for (const t of this.tracks) {
      t.element.playbackRate = rate;
      t.element.currentTime = this.video.currentTime;
    }
    await Promise.all(this.tracks.map((t) => t.element.play().catch(() => undefined)));
  }

  /** Paused at a frame: every track at that frame's start. */
  pauseAt(seconds: number): void {
    for (const t of this.tracks) {
      t.element.pause();
      t.element.currentTime = seconds;
    }
  }

  setRate(rate: number): void {
    for (const t of this.tracks) t.element.playbackRate = rate;
  }

  /** Called on every presented video frame while playing: measures and corrects drift. */
  sync(rate: number): void {
    const videoTime = this.video.currentTime;
    for (const t of this.tracks) {
      const e = t.element;
      if (e.paused || e.seeking || e.readyState < 2) continue;
      const drift = e.currentTime - videoTime;
      this.drift.set(t.info.track, drift);
      const d = syncDecision(drift, this.frameSeconds);
      if (d.action === 'seek') {
        e.currentTime = videoTime;
        e.playbackRate = rate;
      } else {
        e.playbackRate = rate * d.rateFactor;
      }
    }
  }

  /** Peak dBFS and held peak per channel of a track (empty without Web Audio). */
  levels(track: number, now: number): { db: number; hold: number }[] {
    const t = this.tracks.find((x) => x.info.track === track);
    if (!t) return [];
    const buf = new Float32Array(1024);
    return t.analysers.map((a, i) => {
      a.getFloatTimeDomainData(buf);
      const db = peakDbfs(buf);
      const held = holdPeak(t.held[i] ?? { db, at: now }, db, now);
      t.held[i] = held;
      return { db, hold: held.db };
    });
  }

  destroy(): void {
    for (const t of this.tracks) {
      t.element.pause();
      t.element.removeAttribute('src');
      t.element.load();
    }
    void this.ctx?.close();
  }
}
