/**
 * createPlayer: the video, its frame model, the controls and keyboard, the audio tracks, the
 * subtitles and the timeline, wired together. The position is always an integer frame.
 */
import { frameToSeconds, nominalFps } from '@frameproof/core';
import { AudioTracks } from './audio.js';
import { el, Emitter } from './dom.js';
import { clampFrame, frameOfInput, frameOfTimecode, seekTimeOf, startFrameOf, timecodeOf } from './frames.js';
import { reverseStepPlan, shuttlePress, type ShuttleSpeed } from './shuttle.js';
import { adoptPlayerStyles } from './styles.js';
import { cuesAt, parseSubtitles, type SubtitleTrack } from './subtitles.js';
import { Timeline } from './timeline.js';
import type { FrameDecoder } from './frame-source.js';
import type {
  FramePresenter,
  Player,
  PlayerEvents,
  PlayerMarker,
  PlayerMedia,
  PlayerOptions,
  SubtitleInput,
} from './types.js';
import { nextAnimationFrame, VideoFrames } from './video-frames.js';

const RATES = [0.25, 0.5, 1, 1.5, 2];

/** Seek offsets inside the target frame, tried in turn until a presentation confirms it. */
const CONFIRM_OFFSETS = [0.5, 0.5, 0.25, 0.75];

class FramePlayer implements Player {
  private readonly events = new Emitter<PlayerEvents>();
  private readonly media: PlayerMedia;
  private readonly start: number;
  private readonly root: HTMLDivElement;
  private readonly video: HTMLVideoElement;
  /** The WebCodecs frame source's picture, over the video; hidden unless it shows the frame. */
  private readonly decoded: HTMLCanvasElement;
  private decoder: Promise<FrameDecoder> | null = null;
  private readonly poster: HTMLImageElement | null;
  private readonly frames: VideoFrames | null;
  private readonly audio: AudioTracks;
  private readonly timeline: Timeline;
  private readonly fetchData: (url: string) => Promise<Response>;
  private readonly ui: {
    play: HTMLButtonElement;
    frame: HTMLOutputElement;
    timecode: HTMLOutputElement;
    goto: HTMLInputElement;
    range: HTMLSpanElement;
    loop: HTMLButtonElement;
    rate: HTMLSelectElement;
    volume: HTMLInputElement;
    mute: HTMLButtonElement;
    safe: HTMLButtonElement;
    cut: HTMLButtonElement;
    subtitleSelect: HTMLSelectElement;
    subtitle: HTMLDivElement;
    message: HTMLSpanElement;
    safeAreas: HTMLDivElement[];
    cut43: HTMLDivElement;
    meters: Map<number, HTMLCanvasElement>;
  };
  private current = 0;
  private isPlaying = false;
  private seekToken = 0;
  private inFrame: number | null = null;
  private outFrame: number | null = null;
  private loop = false;
  private playingRange = false;
  private rate = 1;
  private shuttle: ShuttleSpeed = 0;
  private reverseTimer: ReturnType<typeof setInterval> | null = null;
  private subtitles: SubtitleTrack[] = [];
  private subtitleId: string | null = null;
  private meterRaf = 0;
  private destroyed = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly container: HTMLElement,
    options: PlayerOptions,
  ) {
    this.media = options.media;
    this.start = startFrameOf(this.media);
    this.fetchData = options.fetchData ?? ((url) => fetch(url));
    adoptPlayerStyles(
      container.getRootNode() instanceof ShadowRoot ? (container.getRootNode() as ShadowRoot) : document,
    );

    this.root = el('div', { class: 'fp-player', tabindex: '0', role: 'region', 'aria-label': 'Player' });
    const stage = el('div', { class: 'fp-stage' });
    this.video = el('video', { class: 'fp-video', playsinline: '', preload: 'auto' });
    this.video.disablePictureInPicture = true;
    if (this.media.videoUrl) this.video.src = this.media.videoUrl;
    else this.video.classList.add('fp-hidden');
    // The proxy's own sound is track 1 again: the per-track elements are what is heard.
    this.video.muted = this.media.audioTracks.length > 0;
    this.decoded = el('canvas', { class: 'fp-decoded fp-hidden', 'aria-hidden': 'true' });
    stage.append(this.video, this.decoded);
    this.poster = null;
    if (this.media.posterUrl) {
      this.poster = el('img', { class: 'fp-poster', alt: '', src: this.media.posterUrl });
      stage.append(this.poster);
    }
    const safeAreas = [
      el('div', { class: 'fp-overlay fp-action-safe fp-hidden' }),
      el('div', { class: 'fp-overlay fp-title-safe fp-hidden' }),
    ];
    const cut43 = el('div', { class: 'fp-overlay fp-cut43 fp-hidden' });
    const subtitle = el('div', { class: 'fp-subtitle', 'aria-live': 'off' });
    stage.append(...safeAreas, cut43, subtitle);

    const button = (
      label: string,
      text: string,
      onClick: () => void,
      pressed?: boolean,
    ): HTMLButtonElement => {
      const b = el('button', { type: 'button', 'aria-label': label, title: label, text });
      if (pressed !== undefined) b.setAttribute('aria-pressed', String(pressed));
      b.addEventListener('click', onClick);
      return b;
    };
    const play = button('Play (Space, K)', '▶', () => void this.toggle());
    const frame = el('output', { class: 'fp-readout', 'aria-label': 'Frame', text: '0' });
    const timecode = el('output', {
      class: 'fp-readout',
      'aria-label': 'Timecode',
      text: this.timecodeOf(0),
    });
    const goto = el('input', {
      class: 'fp-goto',
      type: 'text',
      'aria-label': 'Go to timecode or frame',
      placeholder: 'Go to…',
      spellcheck: 'false',
    });
    goto.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        void this.goTo(goto.value);
      } else if (e.key === 'Escape') this.root.focus();
      e.stopPropagation();
    });
    const range = el('span', { class: 'fp-readout', 'aria-label': 'In and out' });
    const loop = button('Loop in to out', '⟲', () => this.setLoop(!this.loop), false);
    const rate = el('select', { 'aria-label': 'Playback rate' });
    for (const r of RATES) rate.append(el('option', { value: String(r), text: `${r}x` }));
    rate.value = '1';
    rate.addEventListener('change', () => this.setRate(Number(rate.value)));
    const volume = el('input', {
      type: 'range',
      min: '0',
      max: '1',
      step: '0.05',
      value: '1',
      'aria-label': 'Volume',
    });
    volume.addEventListener('input', () => this.applyVolume());
    // Words, not emoji: a broadcast workstation need not have an emoji font.
    const mute = button('Mute', 'Mute', () => this.toggleMute(), false);
    const safe = button('Safe areas (S)', 'Safe', () => this.toggleSafe(), false);
    const cut = button('4:3 centre cut (C)', '4:3', () => this.toggleCut(), false);
    const full = button('Full screen (F)', 'Full', () => void this.toggleFullscreen());
    const subtitleSelect = el('select', { 'aria-label': 'Subtitles' }, [
      el('option', { value: '', text: 'No subtitles' }),
    ]);
    subtitleSelect.addEventListener('change', () => this.selectSubtitles(subtitleSelect.value || null));
    const message = el('span', { class: 'fp-error', role: 'alert' });
    const bar = el('div', { class: 'fp-bar' }, [
      play,
      el('span', { class: 'fp-label', text: 'Frame' }),
      frame,
      el('span', { class: 'fp-label', text: 'TC' }),
      timecode,
      goto,
      range,
      loop,
      rate,
      mute,
      volume,
      safe,
      cut,
      subtitleSelect,
      full,
      message,
    ]);

    this.audio = new AudioTracks(this.media.audioTracks, this.video, this.media.frameRate);
    const meters = new Map<number, HTMLCanvasElement>();
    const audioBar = el('div', { class: 'fp-audio', role: 'group', 'aria-label': 'Audio tracks' });
    for (const t of this.audio.tracks) {
      const m = button(
        `Mute ${t.info.label}`,
        'M',
        () => {
          this.audio.setMuted(t.info.track, !t.muted);
          m.setAttribute('aria-pressed', String(t.muted));
        },
        t.muted,
      );
      const s = button(
        `Solo ${t.info.label}`,
        'S',
        () => {
          this.audio.setSolo(t.info.track, !t.solo);
          s.setAttribute('aria-pressed', String(t.solo));
        },
        false,
      );
      const meter = el('canvas', {
        class: 'fp-meter',
        width: '80',
        height: '14',
        'aria-label': `Level ${t.info.label}`,
      });
      meters.set(t.info.track, meter);
      audioBar.append(el('span', { class: 'fp-track' }, [el('span', { text: t.info.label }), m, s, meter]));
    }

    this.timeline = new Timeline({
      media: this.media,
      fetchData: this.fetchData,
      onSeek: (f) => void this.seek(f),
      onScrubEnd: () => undefined,
      emit: (type, e) => this.events.emit(type, e),
      onError: (message) => this.fail(message),
    });
    this.root.append(stage, bar, audioBar, this.timeline.element);
    container.append(this.root);
    this.ui = {
      play,
      frame,
      timecode,
      goto,
      range,
      loop,
      rate,
      volume,
      mute,
      safe,
      cut,
      subtitleSelect,
      subtitle,
      message,
      safeAreas,
      cut43,
      meters,
    };

    this.frames = this.media.videoUrl ? new VideoFrames(this.video, this.media.frameRate) : null;
    if (this.frames) this.frames.onPresent = (p) => this.onPresent(p.frame);
    // Without the callback every paused frame is decoded: start loading the decoder now.
    if (this.frames && !this.frames.supported) this.frameDecoder().catch(() => undefined);
    this.video.addEventListener('loadedmetadata', () => this.layoutOverlays());
    this.video.addEventListener('ended', () => void this.pause());
    const resize = new ResizeObserver(() => {
      this.layoutOverlays();
      this.timeline.resize();
    });
    resize.observe(this.root);
    this.cleanups.push(() => resize.disconnect());
    if (options.keyboard !== false) {
      const onKey = (e: KeyboardEvent): void => this.onKey(e);
      this.root.addEventListener('keydown', onKey);
      this.cleanups.push(() => this.root.removeEventListener('keydown', onKey));
    }
    this.applyPixelAspect();
    this.setMarkers(options.markers ?? []);
    for (const s of options.subtitles ?? []) this.addSubtitles(s).catch(() => undefined);
    this.renderRange();
    void this.seek(clampFrame(options.initialFrame ?? 0, this.media));
  }

  get frame(): number {
    return this.current;
  }

  get playing(): boolean {
    return this.isPlaying;
  }

  timecodeOf(frame: number): string {
    return timecodeOf(frame, this.media, this.start);
  }

  on<K extends keyof PlayerEvents>(type: K, listener: (event: PlayerEvents[K]) => void): () => void {
    return this.events.on(type, listener);
  }

  // ---- frame model -------------------------------------------------------------------------

  /** `data-state` on the root: seeking, paused or playing (hosts and tests wait on it). */
  private setState(state: 'seeking' | 'paused' | 'playing'): void {
    this.root.dataset.state = state;
  }

  /** Names `frame` as the one on screen; `data-presented-by` on the root says what put it there. */
  private show(frame: number, presentedBy: FramePresenter): void {
    this.current = frame;
    this.ui.frame.textContent = String(frame);
    this.ui.timecode.textContent = this.timecodeOf(frame);
    this.root.dataset.frame = String(frame);
    this.root.dataset.presentedBy = presentedBy;
    this.timeline.setPlayhead(frame, this.isPlaying);
    this.renderSubtitle();
    this.events.emit('frame', {
      frame,
      timecode: this.timecodeOf(frame),
      playing: this.isPlaying,
      presentedBy,
    });
  }

  /** During playback the counter follows the frames the browser reports presenting. */
  private onPresent(frame: number): void {
    if (this.poster) this.poster.classList.add('fp-hidden');
    if (!this.isPlaying) return;
    if (frame !== this.current) this.show(clampFrame(frame, this.media), 'playback');
    this.audio.sync(this.rate);
    if (this.playingRange && this.outFrame !== null && frame >= this.outFrame) {
      if (this.loop && this.inFrame !== null) void this.loopToIn();
      else void this.pause(this.outFrame);
    }
  }

  private async loopToIn(): Promise<void> {
    const inFrame = this.inFrame ?? 0;
    this.video.currentTime = seekTimeOf(inFrame, this.media.frameRate);
    this.audio.pauseAt(frameToSeconds(inFrame, this.media.frameRate));
    await this.audio.play(this.rate);
  }

  async seek(frame: number): Promise<number> {
    if (this.destroyed) return this.current;
    const target = clampFrame(frame, this.media);
    const token = ++this.seekToken;
    if (this.isPlaying) this.stopPlayback();
    this.setState('seeking');
    this.root.dataset.seeks = String(token);
    this.audio.pauseAt(frameToSeconds(target, this.media.frameRate));
    if (!this.frames) return this.settle(target, 'unconfirmed');
    if (this.video.readyState < 1) {
      await new Promise((r) => this.video.addEventListener('loadedmetadata', r, { once: true }));
      if (token !== this.seekToken) return this.current;
    }
    if (!this.frames.supported) {
      // No callback to confirm the video's frame: the canvas shows the decoded one, and the
      // video waits at the same frame for playback to start from.
      this.video.currentTime = seekTimeOf(target, this.media.frameRate);
      return this.presentDecoded(target, token, target, 'this browser has no requestVideoFrameCallback');
    }
    let shown: number | null = null;
    for (const offset of CONFIRM_OFFSETS) {
      shown = await this.frames.seekAndConfirm(target, offset);
      if (token !== this.seekToken) return this.current;
      if (shown === target) {
        this.ui.message.textContent = '';
        this.decoded.classList.add('fp-hidden');
        return this.settle(target, 'video');
      }
    }
    // The browser never reported the target: decode it instead; failing that, say what is on
    // screen, not what was asked for.
    const onScreen = shown ?? this.frames.frame ?? this.current;
    return this.presentDecoded(target, token, onScreen, 'requestVideoFrameCallback did not confirm it');
  }

  private settle(frame: number, presentedBy: FramePresenter): number {
    this.show(frame, presentedBy);
    this.setState('paused');
    return frame;
  }

  /** The WebCodecs frame source, loaded (a separate chunk, with mediabunny) on first use. */
  private frameDecoder(): Promise<FrameDecoder> {
    const url = this.media.videoUrl;
    if (!url) return Promise.reject(new Error('no video'));
    this.decoder ??= import('./frame-source.js').then((m) => m.FrameDecoder.open(url, this.media.frameRate));
    // A failure (no VideoDecoder, unreadable proxy) is kept: each seek reports it again.
    return this.decoder;
  }

  /**
   * Decodes `target` with WebCodecs and paints it on the canvas over the video. Where that
   * fails, the video's own frame stays in view, unconfirmed: the player names `onScreen` (the
   * frame the browser last reported, or the target where it reports none) and says why.
   */
  private async presentDecoded(
    target: number,
    token: number,
    onScreen: number,
    why: string,
  ): Promise<number> {
    const stale = (): boolean => token !== this.seekToken || this.destroyed;
    let painted;
    try {
      const decoder = await this.frameDecoder();
      if (stale()) return this.current;
      painted = await decoder.paint(target, this.decoded, stale);
    } catch (err) {
      if (stale()) return this.current;
      this.decoded.classList.add('fp-hidden');
      const reason = err instanceof Error ? err.message : String(err);
      this.fail(
        `frame ${target} could not be confirmed on screen: ${why}, and WebCodecs failed (${reason}); showing frame ${onScreen}`,
      );
      return this.settle(onScreen, 'unconfirmed');
    }
    if (!painted || stale()) return this.current;
    this.layoutOverlays();
    this.decoded.classList.remove('fp-hidden');
    this.poster?.classList.add('fp-hidden');
    // What is painted reaches the screen with the next rendering updates.
    await nextAnimationFrame();
    await nextAnimationFrame();
    if (stale()) return this.current;
    if (painted.exact) this.ui.message.textContent = '';
    else this.fail(`frame ${target} is not in the proxy; showing frame ${painted.frame}, the picture there`);
    return this.settle(painted.frame, 'webcodecs');
  }

  seekTimecode(timecode: string): Promise<number> {
    return this.seek(frameOfTimecode(timecode, this.media));
  }

  step(frames: number): Promise<number> {
    return this.seek(this.current + Math.trunc(frames));
  }

  private async goTo(text: string): Promise<void> {
    try {
      const frame = frameOfInput(text, this.media);
      this.ui.message.textContent = '';
      await this.seek(frame);
      this.ui.goto.value = '';
      this.root.focus();
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
    }
  }

  async play(): Promise<void> {
    if (this.isPlaying || !this.media.videoUrl) return;
    this.seekToken++;
    this.stopReverse();
    if (this.current >= this.media.durationFrames - 1) await this.seek(0);
    this.isPlaying = true;
    this.setState('playing');
    this.decoded.classList.add('fp-hidden');
    this.ui.play.textContent = '❚❚';
    this.ui.play.setAttribute('aria-label', 'Pause (Space, K)');
    this.video.playbackRate = this.rate;
    this.timeline.setPlayhead(this.current, true);
    await Promise.all([this.video.play(), this.audio.play(this.rate)]).catch((err: unknown) => {
      // A pause or seek before playback began interrupts play(): not an error.
      if (err instanceof DOMException && err.name === 'AbortError') return;
      this.isPlaying = false;
      this.setState('paused');
      this.fail(`cannot play: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  private stopPlayback(): void {
    this.isPlaying = false;
    this.playingRange = false;
    this.shuttle = 0;
    this.video.pause();
    this.ui.play.textContent = '▶';
    this.ui.play.setAttribute('aria-label', 'Play (Space, K)');
  }

  /**
   * Stops and settles on `at`, or else on the last frame presented when playback stopped (the
   * one the reviewer saw): seeking to its middle and confirming it, which also corrects Firefox,
   * whose mediaTime during playback may name a neighbour of the frame drawn. Settling on the
   * frame already on screen matters in Chromium too: a paused seek to another frame is reported
   * presented at once, but its picture can reach the screen up to a second later.
   */
  async pause(at?: number): Promise<number> {
    this.stopReverse();
    const wasPlaying = this.isPlaying;
    this.stopPlayback();
    this.setState('seeking');
    // Let presentations already in flight arrive, so none is taken for the seek.
    if (wasPlaying) await nextAnimationFrame();
    const last = wasPlaying ? this.frames?.frame : null;
    return this.seek(at ?? (last == null ? this.current : clampFrame(last, this.media)));
  }

  private toggle(): Promise<unknown> {
    return this.isPlaying || this.reverseTimer ? this.pause() : this.play();
  }

  /** Plays from in to out (or the whole programme), looping if loop is on. */
  async playRange(): Promise<void> {
    const from = this.inFrame ?? 0;
    await this.seek(from);
    this.playingRange = this.outFrame !== null;
    const wasRange = this.playingRange;
    await this.play();
    this.playingRange = wasRange;
  }

  private setLoop(on: boolean): void {
    this.loop = on;
    this.ui.loop.setAttribute('aria-pressed', String(on));
  }

  private setRate(rate: number): void {
    this.rate = rate;
    this.ui.rate.value = String(rate);
    this.video.playbackRate = rate;
    this.audio.setRate(rate);
  }

  private async shuttleKey(key: 'j' | 'k' | 'l'): Promise<void> {
    const next = shuttlePress(this.shuttle, key);
    if (next === 0) {
      this.shuttle = 0;
      this.setRate(1);
      await this.pause();
      return;
    }
    if (next > 0) {
      this.stopReverse();
      this.setRate(next);
      // Set before playback starts: a second press while play() is pending speeds up further.
      this.shuttle = next;
      if (!this.isPlaying) await this.play();
      return;
    }
    if (this.isPlaying) await this.pause();
    this.shuttle = next;
    this.stopReverse();
    const plan = reverseStepPlan(next, nominalFps(this.media.frameRate));
    let busy = false;
    this.reverseTimer = setInterval(() => {
      if (busy) return;
      if (this.current <= 0) {
        this.stopReverse();
        return;
      }
      busy = true;
      void this.seek(this.current - plan.frames).finally(() => (busy = false));
    }, plan.intervalMs);
  }

  private stopReverse(): void {
    if (this.reverseTimer) clearInterval(this.reverseTimer);
    this.reverseTimer = null;
    if (this.shuttle < 0) this.shuttle = 0;
  }

  // ---- in/out, markers, subtitles ---------------------------------------------------------

  setInOut(inFrame: number | null, outFrame: number | null): void {
    this.inFrame = inFrame === null ? null : clampFrame(inFrame, this.media);
    this.outFrame = outFrame === null ? null : clampFrame(outFrame, this.media);
    if (this.inFrame !== null && this.outFrame !== null && this.outFrame < this.inFrame) {
      [this.inFrame, this.outFrame] = [this.outFrame, this.inFrame];
    }
    this.renderRange();
    this.events.emit('rangeselect', { in: this.inFrame, out: this.outFrame });
  }

  private renderRange(): void {
    const f = (n: number | null): string => (n === null ? '--' : this.timecodeOf(n));
    this.ui.range.textContent = `I ${f(this.inFrame)} O ${f(this.outFrame)}`;
    this.timeline.setRange(this.inFrame, this.outFrame);
  }

  setMarkers(markers: PlayerMarker[]): void {
    this.timeline.setMarkers(markers);
  }

  upsertMarker(marker: PlayerMarker): void {
    this.timeline.upsertMarker(marker);
  }

  removeMarker(id: string): void {
    this.timeline.removeMarker(id);
  }

  private createMarker(): void {
    if (this.inFrame !== null && this.outFrame !== null) {
      this.events.emit('markercreate', { start: this.inFrame, end: this.outFrame });
    } else {
      this.events.emit('markercreate', { start: this.current, end: this.current });
    }
  }

  async addSubtitles(input: SubtitleInput): Promise<void> {
    try {
      const track = await parseSubtitles(input, this.media.frameRate);
      this.subtitles = [...this.subtitles.filter((t) => t.id !== track.id), track];
      if (![...this.ui.subtitleSelect.options].some((o) => o.value === track.id)) {
        this.ui.subtitleSelect.append(el('option', { value: track.id, text: track.label }));
      }
      if (this.subtitleId === null) this.selectSubtitles(track.id);
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  selectSubtitles(id: string | null): void {
    this.subtitleId = id && this.subtitles.some((t) => t.id === id) ? id : null;
    this.ui.subtitleSelect.value = this.subtitleId ?? '';
    this.timeline.setSubtitles(this.subtitles.find((t) => t.id === this.subtitleId) ?? null);
    this.renderSubtitle();
  }

  private renderSubtitle(): void {
    const track = this.subtitles.find((t) => t.id === this.subtitleId);
    this.ui.subtitle.textContent = track
      ? cuesAt(track, this.current)
          .map((c) => c.text)
          .join('\n')
      : '';
  }

  // ---- picture overlays, volume, full screen ----------------------------------------------

  private applyPixelAspect(): void {
    const par = this.media.pixelAspectRatio;
    const w = this.media.width;
    const h = this.media.height;
    if (par && w && h && par.num !== par.den) {
      // The proxy is square-pixel already when made by our proxy builder; a source-sized
      // picture with non-square pixels is stretched to its display shape.
      this.video.style.aspectRatio = `${w * par.num} / ${h * par.den}`;
      this.video.style.objectFit = 'fill';
    }
  }

  private layoutOverlays(): void {
    const vw = this.video.clientWidth;
    const vh = this.video.clientHeight;
    if (!vw || !vh) return;
    const ox = this.video.offsetLeft;
    const oy = this.video.offsetTop;
    // The decoded picture covers the video's box exactly, stretched as the video is.
    this.decoded.style.left = `${ox}px`;
    this.decoded.style.top = `${oy}px`;
    this.decoded.style.width = `${vw}px`;
    this.decoded.style.height = `${vh}px`;
    const place = (node: HTMLElement, fraction: number): void => {
      node.style.left = `${ox + (vw * (1 - fraction)) / 2}px`;
      node.style.top = `${oy + (vh * (1 - fraction)) / 2}px`;
      node.style.width = `${vw * fraction}px`;
      node.style.height = `${vh * fraction}px`;
    };
    // SMPTE ST 2046-1: action safe 93 %, title safe 90 %.
    place(this.ui.safeAreas[0] as HTMLDivElement, 0.93);
    place(this.ui.safeAreas[1] as HTMLDivElement, 0.9);
    const cutWidth = (vh * 4) / 3;
    this.ui.cut43.style.left = `${ox + (vw - cutWidth) / 2}px`;
    this.ui.cut43.style.width = `${cutWidth}px`;
    this.ui.cut43.style.top = `${oy}px`;
    this.ui.cut43.style.height = `${vh}px`;
  }

  private toggleSafe(): void {
    const on = this.ui.safe.getAttribute('aria-pressed') !== 'true';
    this.ui.safe.setAttribute('aria-pressed', String(on));
    for (const a of this.ui.safeAreas) a.classList.toggle('fp-hidden', !on);
    this.layoutOverlays();
  }

  private toggleCut(): void {
    const on = this.ui.cut.getAttribute('aria-pressed') !== 'true';
    this.ui.cut.setAttribute('aria-pressed', String(on));
    this.ui.cut43.classList.toggle('fp-hidden', !on);
    this.layoutOverlays();
  }

  private applyVolume(): void {
    const muted = this.ui.mute.getAttribute('aria-pressed') === 'true';
    const volume = Number(this.ui.volume.value);
    this.audio.setVolume(volume, muted);
    if (this.media.audioTracks.length === 0) {
      this.video.volume = volume;
      this.video.muted = muted;
    }
  }

  private toggleMute(): void {
    const muted = this.ui.mute.getAttribute('aria-pressed') !== 'true';
    this.ui.mute.setAttribute('aria-pressed', String(muted));
    this.applyVolume();
  }

  private async toggleFullscreen(): Promise<void> {
    if (document.fullscreenElement) await document.exitFullscreen();
    else await this.root.requestFullscreen().catch((err: unknown) => this.fail(String(err)));
  }

  private startMeters(): void {
    const draw = (): void => {
      if (this.destroyed) return;
      const now = performance.now();
      for (const [track, canvas] of this.ui.meters) {
        const g = canvas.getContext('2d');
        if (!g) continue;
        const levels = this.audio.levels(track, now);
        g.fillStyle = '#000';
        g.fillRect(0, 0, canvas.width, canvas.height);
        const h = canvas.height / Math.max(1, levels.length);
        levels.forEach((l, i) => {
          const x = (db: number): number => Math.max(0, Math.min(1, (db + 60) / 60)) * canvas.width;
          g.fillStyle = l.db > -6 ? '#e5484d' : l.db > -18 ? '#ffc53d' : '#30a46c';
          g.fillRect(0, i * h + 1, x(l.db), h - 2);
          g.fillStyle = '#fff';
          g.fillRect(x(l.hold) - 1, i * h + 1, 2, h - 2);
        });
      }
      this.meterRaf = requestAnimationFrame(draw);
    };
    this.meterRaf = requestAnimationFrame(draw);
  }

  // ---- keyboard ------------------------------------------------------------------------------

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    if (
      target &&
      (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA')
    )
      return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    const lower = k.length === 1 ? k.toLowerCase() : k;
    const actions: Record<string, () => unknown> = {
      ' ': () => this.toggle(),
      k: () => (this.shuttle !== 0 ? this.shuttleKey('k') : this.toggle()),
      j: () => this.shuttleKey('j'),
      l: () => this.shuttleKey('l'),
      ArrowLeft: () => this.step(e.shiftKey ? -10 : -1),
      ArrowRight: () => this.step(e.shiftKey ? 10 : 1),
      Home: () => this.seek(0),
      End: () => this.seek(this.media.durationFrames - 1),
      i: () => (e.shiftKey ? this.setInOut(null, this.outFrame) : this.setInOut(this.current, this.outFrame)),
      o: () => (e.shiftKey ? this.setInOut(this.inFrame, null) : this.setInOut(this.inFrame, this.current)),
      p: () => (e.shiftKey ? this.setLoop(!this.loop) : this.playRange()),
      g: () => this.ui.goto.focus(),
      m: () => (e.shiftKey ? this.toggleMute() : this.createMarker()),
      f: () => this.toggleFullscreen(),
      s: () => this.toggleSafe(),
      c: () => this.toggleCut(),
      '[': () => this.setRate(RATES[Math.max(0, RATES.indexOf(this.rate) - 1)] ?? 1),
      ']': () => this.setRate(RATES[Math.min(RATES.length - 1, RATES.indexOf(this.rate) + 1)] ?? 1),
      ArrowUp: () => this.nudgeVolume(0.1),
      ArrowDown: () => this.nudgeVolume(-0.1),
      '=': () => this.timeline.zoom(2),
      '+': () => this.timeline.zoom(2),
      '-': () => this.timeline.zoom(0.5),
      Delete: () => this.timeline.deleteSelected(),
      Backspace: () => this.timeline.deleteSelected(),
    };
    const action = actions[lower];
    if (!action) return;
    e.preventDefault();
    void Promise.resolve(action()).catch((err: unknown) =>
      this.fail(err instanceof Error ? err.message : String(err)),
    );
  }

  private nudgeVolume(delta: number): void {
    this.ui.volume.value = String(Math.min(1, Math.max(0, Number(this.ui.volume.value) + delta)));
    this.applyVolume();
  }

  private fail(message: string): void {
    this.ui.message.textContent = message;
    this.events.emit('error', { message });
  }

  /** Starts the level meters (on first play they begin to move). */
  init(): this {
    if (this.audio.tracks.length) this.startMeters();
    return this;
  }

  /** For benchmarks and tests: the measured audio drift per track (audio - video, seconds). */
  audioDrift(): Map<number, number> {
    return this.audio.drift;
  }

  /** For benchmarks: how long each timeline draw took (milliseconds). */
  timelineDrawTimes(): number[] {
    return this.timeline.drawTimes;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.seekToken++;
    this.stopReverse();
    cancelAnimationFrame(this.meterRaf);
    for (const c of this.cleanups) c();
    this.frames?.destroy();
    this.decoder?.then((d) => d.destroy()).catch(() => undefined);
    this.audio.destroy();
    this.timeline.destroy();
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
    this.root.remove();
    this.events.clear();
  }
}

/** What the player offers beyond the Player contract, for tests and benchmarks. */
export interface PlayerInternals {
  /** The measured audio drift per track (audio - video, seconds). */
  audioDrift(): Map<number, number>;
  /** Plays from in to out (the P key). */
  playRange(): Promise<void>;
  /** How long each timeline draw took (milliseconds). */
  timelineDrawTimes(): number[];
}

/** Builds the player inside `container`. */
export function createPlayer(container: HTMLElement, options: PlayerOptions): Player & PlayerInternals {
  return new FramePlayer(container, options).init();
}
