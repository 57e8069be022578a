/**
 * The timeline view: draws the model (timeline-model.ts) on a canvas, only what is visible,
 * once per animation frame when something changed; turns pointer input into seeks and marker
 * events.
 */
import { frameToSeconds, nominalFps, secondsToFrame } from '@frameproof/core';
import WaveformData from 'waveform-data';
import { el } from './dom.js';
import { timecodeOf } from './frames.js';
import {
  parseLoudness,
  parseSpriteVtt,
  sheetResolver,
  tileAt,
  type LoudnessSeries,
  type SpriteTile,
} from './media-data.js';
import type { SubtitleTrack } from './subtitles.js';
import {
  clampViewport,
  dragMarker,
  fitViewport,
  frameToX,
  hitTest,
  LANE_HEIGHT,
  layoutMarkers,
  layoutRows,
  markerColor,
  markerSpan,
  MAX_VISIBLE_LANES,
  type MarkerRow,
  revealFrame,
  type RowBox,
  rulerTicks,
  scrollBy,
  tickFrames,
  type Viewport,
  visibleFrames,
  visibleInLane,
  waveformSamplesPerPixel,
  xToFrame,
  zoomAt,
} from './timeline-model.js';
import type { PlayerEvents, PlayerMarker, PlayerMedia } from './types.js';

const LABEL_W = 96;

interface TimelineHost {
  media: PlayerMedia;
  fetchData: (url: string) => Promise<Response>;
  onSeek: (frame: number) => void;
  onScrubEnd: () => void;
  emit: <K extends keyof PlayerEvents>(type: K, event: PlayerEvents[K]) => void;
  onError: (message: string) => void;
}

interface Drag {
  marker: PlayerMarker;
  part: 'body' | 'start' | 'end';
  fromFrame: number;
  moved: boolean;
  preview: { start: number; end: number };
}

interface WaveWindow {
  key: string;
  start: number;
  end: number;
  data: WaveformData;
}

export class Timeline {
  readonly element: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tip: HTMLDivElement;
  private viewport: Viewport;
  private markers = new Map<string, PlayerMarker>();
  private markerRows: MarkerRow[] = [];
  private rows: RowBox[] = [];
  private playhead = 0;
  private following = false;
  private range: { in: number | null; out: number | null } = { in: null, out: null };
  private subtitles: SubtitleTrack | null = null;
  private selected: string | null = null;
  private drag: Drag | null = null;
  private scrubbing = false;
  private dirty = true;
  private raf = 0;
  private tiles: SpriteTile[] = [];
  private images = new Map<string, HTMLImageElement>();
  private waves = new Map<number, WaveWindow>();
  private waveTimer: ReturnType<typeof setTimeout> | null = null;
  private loudness = new Map<number, LoudnessSeries>();
  private destroyed = false;
  /** Draw times in milliseconds (the benchmark reads them). */
  readonly drawTimes: number[] = [];

  constructor(private readonly host: TimelineHost) {
    this.canvas = el('canvas', { class: 'fp-timeline', 'aria-label': 'Timeline', role: 'img' });
    this.tip = el('div', { class: 'fp-tip fp-hidden', role: 'tooltip' });
    this.element = el('div', { class: 'fp-timeline-wrap' }, [this.canvas, this.tip]);
    this.viewport = fitViewport(600, host.media.durationFrames);
    this.relayout();
    this.canvas.addEventListener('pointerdown', (e) => this.onDown(e));
    this.canvas.addEventListener('pointermove', (e) => this.onMove(e));
    this.canvas.addEventListener('pointerup', (e) => this.onUp(e));
    this.canvas.addEventListener('pointerleave', () => this.tip.classList.add('fp-hidden'));
    this.canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    void this.loadSprites();
    void this.loadLoudness();
    this.schedule();
  }

  // ---- model updates -----------------------------------------------------------------------

  setMarkers(markers: PlayerMarker[]): void {
    this.markers = new Map(markers.map((m) => [m.id, m]));
    this.relayout();
  }

  upsertMarker(marker: PlayerMarker): void {
    this.markers.set(marker.id, marker);
    this.relayout();
  }

  removeMarker(id: string): void {
    this.markers.delete(id);
    if (this.selected === id) this.selected = null;
    this.relayout();
  }

  setSubtitles(track: SubtitleTrack | null): void {
    this.subtitles = track;
    this.relayout();
  }

  setRange(inFrame: number | null, outFrame: number | null): void {
    this.range = { in: inFrame, out: outFrame };
    this.invalidate();
  }

  setPlayhead(frame: number, follow: boolean): void {
    this.playhead = frame;
    this.following = follow;
    if (follow) this.viewport = revealFrame(this.viewport, frame, this.host.media.durationFrames);
    this.invalidate();
  }

  zoom(factor: number, anchorX?: number): void {
    const x = anchorX ?? Math.max(0, Math.min(this.viewport.width, frameToX(this.playhead, this.viewport)));
    this.viewport = zoomAt(this.viewport, factor, x, this.host.media.durationFrames);
    this.viewChanged();
  }

  scroll(pixels: number): void {
    this.viewport = scrollBy(this.viewport, pixels, this.host.media.durationFrames);
    this.viewChanged();
  }

  deleteSelected(): void {
    const m = this.selected ? this.markers.get(this.selected) : undefined;
    if (m && m.editable !== false) this.host.emit('markerdelete', { id: m.id });
  }

  /** The current viewport (for tests and the benchmark). */
  get view(): Viewport {
    return this.viewport;
  }

  private relayout(): void {
    this.markerRows = layoutMarkers([...this.markers.values()]);
    this.rows = layoutRows({
      thumbnails: Boolean(this.host.media.spritesVttUrl),
      audioTracks: this.host.media.audioTracks.map((t) => ({
        track: t.track,
        label: t.label,
        loudness: Boolean(t.loudnessUrl),
      })),
      markerRows: this.markerRows.length ? this.markerRows : [{ group: 'Markers', lanes: 1, byLane: [] }],
      subtitles: this.subtitles !== null,
    });
    this.resize();
  }

  resize(): void {
    const width = Math.max(50, (this.canvas.clientWidth || 600) - LABEL_W);
    const wasWhole =
      this.viewport.pixelsPerFrame <=
      this.viewport.width / Math.max(1, this.host.media.durationFrames) + 1e-9;
    this.viewport = wasWhole
      ? fitViewport(width, this.host.media.durationFrames)
      : clampViewport({ ...this.viewport, width }, this.host.media.durationFrames);
    const last = this.rows[this.rows.length - 1];
    const height = last ? last.y + last.height : 24;
    const dpr = globalThis.devicePixelRatio || 1;
    this.canvas.style.height = `${height}px`;
    this.canvas.width = Math.round((width + LABEL_W) * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.viewChanged();
  }

  private viewChanged(): void {
    this.invalidate();
    if (this.waveTimer) clearTimeout(this.waveTimer);
    this.waveTimer = setTimeout(() => void this.loadWaveforms(), 120);
  }

  private invalidate(): void {
    this.dirty = true;
  }

  private schedule(): void {
    this.raf = requestAnimationFrame(() => {
      if (this.destroyed) return;
      if (this.dirty) {
        const t0 = performance.now();
        this.draw();
        this.drawTimes.push(performance.now() - t0);
        if (this.drawTimes.length > 2000) this.drawTimes.splice(0, 1000);
        this.dirty = false;
      }
      this.schedule();
    });
  }

  // ---- data for rows -------------------------------------------------------------------------

  private async loadSprites(): Promise<void> {
    const url = this.host.media.spritesVttUrl;
    if (!url) return;
    try {
      const res = await this.host.fetchData(url);
      if (!res.ok) throw new Error(`sprite index: HTTP ${res.status}`);
      const index = new URL(url, location.href).toString();
      this.tiles = parseSpriteVtt(await res.text(), sheetResolver(index, this.host.media.spriteSheetUrls));
      this.invalidate();
    } catch (err) {
      this.host.onError(err instanceof Error ? err.message : String(err));
    }
  }

  private image(url: string): HTMLImageElement | null {
    let img = this.images.get(url);
    if (!img) {
      img = new Image();
      img.onload = () => this.invalidate();
      img.src = url;
      this.images.set(url, img);
    }
    return img.complete && img.naturalWidth ? img : null;
  }

  private async loadLoudness(): Promise<void> {
    for (const t of this.host.media.audioTracks) {
      if (!t.loudnessUrl) continue;
      try {
        const res = await this.host.fetchData(t.loudnessUrl);
        if (!res.ok) throw new Error(`loudness of track ${t.track}: HTTP ${res.status}`);
        this.loudness.set(t.track, parseLoudness(await res.json()));
        this.invalidate();
      } catch (err) {
        this.host.onError(err instanceof Error ? err.message : String(err));
      }
    }
  }

  /** Fetches each track's waveform for the visible window only, at the resolution of the zoom. */
  private async loadWaveforms(): Promise<void> {
    const { frameRate, durationFrames } = this.host.media;
    const { first, last } = visibleFrames(this.viewport, durationFrames);
    const start = frameToSeconds(first, frameRate);
    const end = frameToSeconds(last + 1, frameRate);
    const spp = waveformSamplesPerPixel(this.viewport.pixelsPerFrame, 48000, frameRate);
    for (const t of this.host.media.audioTracks) {
      if (!t.waveformUrl) continue;
      const url = t.waveformUrl({ start, end, samplesPerPixel: spp });
      if (this.waves.get(t.track)?.key === url) continue;
      try {
        const res = await this.host.fetchData(url);
        if (!res.ok) throw new Error(`waveform of track ${t.track}: HTTP ${res.status}`);
        const data = WaveformData.create(await res.arrayBuffer());
        this.waves.set(t.track, { key: url, start, end, data });
        this.invalidate();
      } catch (err) {
        this.host.onError(err instanceof Error ? err.message : String(err));
      }
    }
  }

  // ---- drawing -------------------------------------------------------------------------------

  private draw(): void {
    const g = this.canvas.getContext('2d');
    if (!g) return;
    const dpr = globalThis.devicePixelRatio || 1;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const v = this.viewport;
    const W = v.width + LABEL_W;
    const H = this.canvas.height / dpr;
    g.fillStyle = '#181818';
    g.fillRect(0, 0, W, H);
    const dur = this.host.media.durationFrames;
    const vis = visibleFrames(v, dur);
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    for (const row of this.rows) {
      g.fillStyle = '#aaa';
      g.fillText(row.label, 4, row.y + row.height / 2, LABEL_W - 8);
      g.save();
      g.translate(LABEL_W, 0);
      g.beginPath();
      g.rect(0, row.y, v.width, row.height);
      g.clip();
      g.fillStyle = row.kind === 'ruler' ? '#222' : '#1d1d1d';
      g.fillRect(0, row.y, v.width, row.height - 1);
      if (row.kind === 'ruler') this.drawRuler(g, row, vis.first, vis.last);
      else if (row.kind === 'thumbnails') this.drawThumbnails(g, row);
      else if (row.kind === 'waveform') this.drawWaveform(g, row);
      else if (row.kind === 'loudness') this.drawLoudness(g, row);
      else if (row.kind === 'markers') this.drawMarkers(g, row, vis.first, vis.last);
      else if (row.kind === 'subtitles') this.drawSubtitles(g, row, vis.first, vis.last);
      g.restore();
    }
    g.save();
    g.translate(LABEL_W, 0);
    // In-out range.
    if (this.range.in !== null || this.range.out !== null) {
      const a = frameToX(this.range.in ?? 0, v);
      const b = frameToX((this.range.out ?? dur - 1) + 1, v);
      g.fillStyle = 'rgba(76,141,255,0.15)';
      g.fillRect(Math.max(0, a), 0, Math.min(v.width, b) - Math.max(0, a), H);
    }
    // Playhead: the whole cell of the current frame at deep zooms, a line otherwise.
    const px = frameToX(this.playhead, v);
    g.fillStyle = 'rgba(255,80,80,0.35)';
    if (v.pixelsPerFrame >= 4) g.fillRect(px, 0, v.pixelsPerFrame, H);
    g.fillStyle = '#ff5050';
    g.fillRect(Math.round(px) - 0.5, 0, 1.5, H);
    g.restore();
  }

  private drawRuler(g: CanvasRenderingContext2D, row: RowBox, first: number, last: number): void {
    const v = this.viewport;
    const ticks = rulerTicks(v.pixelsPerFrame, nominalFps(this.host.media.frameRate));
    g.fillStyle = '#555';
    if (ticks.frameTicks) {
      for (let f = first; f <= last; f++) g.fillRect(frameToX(f, v), row.y + row.height - 5, 1, 5);
    }
    if (ticks.minor) {
      for (const f of tickFrames(first, last, ticks.minor))
        g.fillRect(frameToX(f, v), row.y + row.height - 8, 1, 8);
    }
    g.fillStyle = '#ddd';
    const start = Math.max(0, first - ticks.major);
    for (const f of tickFrames(start, last, ticks.major)) {
      const x = frameToX(f, v);
      g.fillRect(x, row.y, 1, row.height);
      g.fillText(timecodeOf(f, this.host.media), x + 3, row.y + 8);
    }
  }

  private drawThumbnails(g: CanvasRenderingContext2D, row: RowBox): void {
    if (!this.tiles.length) return;
    const v = this.viewport;
    const first = this.tiles[0] as SpriteTile;
    const h = row.height - 2;
    const w = Math.max(8, (first.w / first.h) * h);
    const rate = this.host.media.frameRate;
    for (let x = 0; x < v.width; x += w) {
      const frame = xToFrame(x, v, this.host.media.durationFrames);
      const tile = tileAt(this.tiles, frameToSeconds(frame, rate));
      const img = tile ? this.image(tile.url) : null;
      if (tile && img) g.drawImage(img, tile.x, tile.y, tile.w, tile.h, x, row.y + 1, w - 1, h);
    }
  }

  private drawWaveform(g: CanvasRenderingContext2D, row: RowBox): void {
    const wave = this.waves.get(Number(row.key));
    if (!wave) return;
    const v = this.viewport;
    const rate = this.host.media.frameRate;
    const data = wave.data;
    const channel = data.channel(0);
    const mid = row.y + row.height / 2;
    const scale = (row.height - 4) / 2 / (data.bits === 8 ? 128 : 32768);
    g.fillStyle = '#3ccf91';
    const secondsPerPoint = data.scale / data.sample_rate;
    for (let i = 0; i < data.length; i++) {
      const t = wave.start + i * secondsPerPoint;
      const x = (t * rate.num) / rate.den;
      const px = (x - v.start) * v.pixelsPerFrame;
      if (px < -1 || px > v.width) continue;
      const hi = channel.max_sample(i) * scale;
      const lo = channel.min_sample(i) * scale;
      g.fillRect(
        px,
        mid - hi,
        Math.max(1, (secondsPerPoint * rate.num * v.pixelsPerFrame) / rate.den),
        Math.max(1, hi - lo),
      );
    }
  }

  private drawLoudness(g: CanvasRenderingContext2D, row: RowBox): void {
    const series = this.loudness.get(Number(row.key));
    if (!series) return;
    const v = this.viewport;
    const rate = this.host.media.frameRate;
    const y = (lufs: number): number =>
      row.y + row.height - 2 - Math.max(0, Math.min(1, (lufs + 60) / 60)) * (row.height - 4);
    const line = (values: number[], color: string): void => {
      g.strokeStyle = color;
      g.beginPath();
      let pen = false;
      const { first, last } = visibleFrames(v, this.host.media.durationFrames);
      const i0 = Math.max(0, Math.floor(frameToSeconds(first, rate) / series.interval) - 1);
      const i1 = Math.min(values.length - 1, Math.ceil(frameToSeconds(last + 1, rate) / series.interval));
      for (let i = i0; i <= i1; i++) {
        const val = values[i] as number;
        const x = frameToX(secondsToFrame((i + 1) * series.interval, rate), v);
        if (!Number.isFinite(val)) {
          pen = false;
          continue;
        }
        if (pen) g.lineTo(x, y(val));
        else g.moveTo(x, y(val));
        pen = true;
      }
      g.stroke();
    };
    line(series.momentary, '#7aa2f7');
    line(series.shortTerm, '#f7c87a');
    if (series.target !== null) {
      g.fillStyle = '#e5484d';
      g.fillRect(0, y(series.target), v.width, 1);
    }
  }

  private markerDisplay(m: PlayerMarker): { start: number; end: number } {
    return this.drag && this.drag.marker.id === m.id ? this.drag.preview : m;
  }

  private drawMarkers(g: CanvasRenderingContext2D, row: RowBox, first: number, last: number): void {
    const mr = this.markerRows.find((r) => r.group === row.key);
    if (!mr) return;
    const v = this.viewport;
    const pad = Math.ceil(10 / v.pixelsPerFrame);
    const shownLanes = Math.min(MAX_VISIBLE_LANES, mr.byLane.length);
    if (mr.byLane.length > shownLanes) {
      // Deeper lanes: one tick per pixel column that holds any of their markers.
      const columns = new Uint8Array(Math.ceil(v.width) + 1);
      for (let i = shownLanes; i < mr.byLane.length; i++) {
        for (const m of visibleInLane(mr.byLane[i] as PlayerMarker[], first, last)) {
          const a = Math.max(0, Math.floor(frameToX(m.start, v)));
          const b = Math.min(columns.length - 1, Math.max(a, Math.ceil(frameToX(m.end + 1, v)) - 1));
          columns.fill(1, a, b + 1);
        }
      }
      g.fillStyle = '#8da4ef';
      const y = row.y + row.height - 4;
      for (let x = 0; x < columns.length; x++) if (columns[x]) g.fillRect(x, y, 1, 3);
    }
    mr.byLane.slice(0, shownLanes).forEach((lane, i) => {
      const y = row.y + 3 + i * LANE_HEIGHT;
      let lastX = -Infinity;
      for (const m of visibleInLane(lane, first - pad, last + pad)) {
        const shown = this.markerDisplay(m);
        const { x0, x1 } = markerSpan(shown, v);
        // At the widest zooms thousands of markers share pixels: one rectangle per pixel column.
        if (x1 < lastX + 1 && m.id !== this.selected) continue;
        lastX = x1;
        g.fillStyle = markerColor(m);
        if (shown.end === shown.start) {
          g.beginPath();
          const cx = (x0 + x1) / 2;
          g.moveTo(cx, y + LANE_HEIGHT - 3);
          g.lineTo(cx - 4.5, y + 1);
          g.lineTo(cx + 4.5, y + 1);
          g.fill();
        } else {
          g.fillRect(x0, y + 1, Math.max(1, x1 - x0 - 1), LANE_HEIGHT - 3);
          if (x1 - x0 > 40) {
            g.fillStyle = '#000';
            g.fillText(m.title, Math.max(x0, 0) + 3, y + LANE_HEIGHT / 2, x1 - Math.max(x0, 0) - 6);
          }
        }
        if (m.id === this.selected) {
          g.strokeStyle = '#fff';
          g.strokeRect(x0 + 0.5, y + 0.5, x1 - x0 - 1, LANE_HEIGHT - 2);
        }
      }
    });
  }

  private drawSubtitles(g: CanvasRenderingContext2D, row: RowBox, first: number, last: number): void {
    if (!this.subtitles) return;
    const v = this.viewport;
    for (const c of this.subtitles.cues) {
      if (c.end < first) continue;
      if (c.start > last) break;
      const x0 = frameToX(c.start, v);
      const x1 = frameToX(c.end + 1, v);
      g.fillStyle = '#6e56cf';
      g.fillRect(x0, row.y + 2, Math.max(1, x1 - x0 - 1), row.height - 5);
      if (x1 - x0 > 30) {
        g.fillStyle = '#fff';
        g.fillText(
          c.text.replace(/\n/g, ' '),
          Math.max(0, x0) + 3,
          row.y + row.height / 2,
          x1 - Math.max(0, x0) - 6,
        );
      }
    }
  }

  // ---- pointer -------------------------------------------------------------------------------

  private local(e: PointerEvent | WheelEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left - LABEL_W, y: e.clientY - r.top };
  }

  private hit(e: PointerEvent): ReturnType<typeof hitTest> & { x: number } {
    const { x, y } = this.local(e);
    const rows = this.rows;
    return { ...hitTest(x, y, this.viewport, rows, this.markerRows, this.host.media.durationFrames), x };
  }

  private onDown(e: PointerEvent): void {
    const h = this.hit(e);
    if (h.kind === 'none') return;
    this.canvas.setPointerCapture(e.pointerId);
    const frame = xToFrame(h.x, this.viewport, this.host.media.durationFrames);
    if (h.kind === 'marker') {
      this.selected = h.marker.id;
      this.drag = {
        marker: h.marker,
        part: h.marker.editable === false ? 'body' : h.part,
        fromFrame: frame,
        moved: false,
        preview: { start: h.marker.start, end: h.marker.end },
      };
      this.host.emit('markerselect', { id: h.marker.id });
      this.invalidate();
      return;
    }
    this.scrubbing = true;
    this.host.onSeek(frame);
  }

  private onMove(e: PointerEvent): void {
    const { x } = this.local(e);
    const dur = this.host.media.durationFrames;
    const frame = xToFrame(x, this.viewport, dur);
    if (this.scrubbing) {
      if (frame !== this.playhead) this.host.onSeek(frame);
      return;
    }
    if (this.drag) {
      if (this.drag.marker.editable === false) return;
      const delta = frame - this.drag.fromFrame;
      if (delta !== 0) this.drag.moved = true;
      this.drag.preview = dragMarker(this.drag.marker, this.drag.part, delta, dur);
      this.invalidate();
      return;
    }
    const h = this.hit(e);
    if (h.kind === 'marker') {
      this.tip.textContent = `${h.marker.title} · ${timecodeOf(h.marker.start, this.host.media)}`;
      this.tip.style.left = `${LABEL_W + Math.max(0, h.x)}px`;
      this.tip.style.top = `${(this.rows.find((r) => r.kind === 'markers' && r.key === h.marker.group)?.y ?? 0) - 22}px`;
      this.tip.classList.remove('fp-hidden');
      this.canvas.style.cursor =
        h.marker.editable === false ? 'pointer' : h.part === 'body' ? 'grab' : 'ew-resize';
    } else {
      this.tip.classList.add('fp-hidden');
      this.canvas.style.cursor = 'default';
    }
  }

  private onUp(e: PointerEvent): void {
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    if (this.scrubbing) {
      this.scrubbing = false;
      this.host.onScrubEnd();
      return;
    }
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    const p = d.preview;
    if (d.moved && (p.start !== d.marker.start || p.end !== d.marker.end)) {
      // The host owns markers: it saves the change and calls upsertMarker. Until then the
      // marker shows where it lands.
      this.markers.set(d.marker.id, { ...d.marker, ...p });
      this.relayout();
      this.host.emit(d.part === 'body' ? 'markermove' : 'markertrim', { id: d.marker.id, ...p });
    } else {
      this.host.onSeek(d.marker.start);
    }
    this.invalidate();
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const { x } = this.local(e);
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) this.scroll(e.deltaX || e.deltaY);
    else this.zoom(Math.pow(2, -e.deltaY / 200), Math.max(0, x));
  }

  destroy(): void {
    this.destroyed = true;
    cancelAnimationFrame(this.raf);
    if (this.waveTimer) clearTimeout(this.waveTimer);
  }
}
