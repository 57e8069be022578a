/**
 * The timeline as a model, without the DOM: a viewport (first visible frame and pixels per
 * frame), pixel↔frame mapping, ruler ticks, marker lanes, culling and hit testing. The canvas
 * view draws what these functions say; the tests check them without a browser.
 */
import type { FrameRate } from '@frameproof/core';
import type { PlayerMarker } from './types.js';

export interface Viewport {
  /** The frame at the left edge; fractional while scrolling smoothly. */
  start: number;
  /** Pixels per frame: width / durationFrames when the whole programme shows. */
  pixelsPerFrame: number;
  /** Width of the drawing area in CSS pixels. */
  width: number;
}

/** At the deepest zoom one frame is this wide, so that each frame has its own tick and cell. */
export const MAX_PIXELS_PER_FRAME = 64;

export function minPixelsPerFrame(width: number, durationFrames: number): number {
  return Math.min(MAX_PIXELS_PER_FRAME, width / Math.max(1, durationFrames));
}

/** The whole programme in the width. */
export function fitViewport(width: number, durationFrames: number): Viewport {
  return { start: 0, pixelsPerFrame: minPixelsPerFrame(width, durationFrames), width };
}

/** Left edge of a frame's cell. */
export function frameToX(frame: number, v: Viewport): number {
  return (frame - v.start) * v.pixelsPerFrame;
}

/** The frame whose cell holds pixel x, inside the programme. */
export function xToFrame(x: number, v: Viewport, durationFrames: number): number {
  const frame = Math.floor(v.start + x / v.pixelsPerFrame + 1e-9);
  return Math.min(Math.max(0, durationFrames - 1), Math.max(0, frame));
}

/** Keeps the viewport inside the programme and the zoom inside its limits. */
export function clampViewport(v: Viewport, durationFrames: number): Viewport {
  const ppf = Math.min(
    MAX_PIXELS_PER_FRAME,
    Math.max(minPixelsPerFrame(v.width, durationFrames), v.pixelsPerFrame),
  );
  const visible = v.width / ppf;
  const start = Math.min(Math.max(0, durationFrames - visible), Math.max(0, v.start));
  return { start, pixelsPerFrame: ppf, width: v.width };
}

/** Zooms by `factor` (>1 in) keeping the frame under `anchorX` where it is. */
export function zoomAt(v: Viewport, factor: number, anchorX: number, durationFrames: number): Viewport {
  const anchorFrame = v.start + anchorX / v.pixelsPerFrame;
  const ppf = Math.min(
    MAX_PIXELS_PER_FRAME,
    Math.max(minPixelsPerFrame(v.width, durationFrames), v.pixelsPerFrame * factor),
  );
  return clampViewport(
    { start: anchorFrame - anchorX / ppf, pixelsPerFrame: ppf, width: v.width },
    durationFrames,
  );
}

export function scrollBy(v: Viewport, pixels: number, durationFrames: number): Viewport {
  return clampViewport({ ...v, start: v.start + pixels / v.pixelsPerFrame }, durationFrames);
}

/** Scrolls just enough to show a frame (the playhead during playback). */
export function revealFrame(v: Viewport, frame: number, durationFrames: number): Viewport {
  const visible = v.width / v.pixelsPerFrame;
  if (frame >= v.start && frame + 1 <= v.start + visible) return v;
  return clampViewport({ ...v, start: frame - visible * 0.1 }, durationFrames);
}

/** First and last frame with any pixel in view (inclusive). */
export function visibleFrames(v: Viewport, durationFrames: number): { first: number; last: number } {
  const first = Math.max(0, Math.floor(v.start));
  const last = Math.min(durationFrames - 1, Math.ceil(v.start + v.width / v.pixelsPerFrame) - 1);
  return { first, last: Math.max(first, last) };
}

export interface RulerTicks {
  /** Labelled ticks, every `major` frames. */
  major: number;
  /** Unlabelled ticks in between (0: none). */
  minor: number;
  /** True when every frame has its own tick. */
  frameTicks: boolean;
}

/**
 * Chooses tick spacings so that labels stay at least `minLabelPx` apart: frame multiples at
 * the deep zooms, then whole seconds, minutes and hours of the nominal rate.
 */
export function rulerTicks(pixelsPerFrame: number, nominalFps: number, minLabelPx = 96): RulerTicks {
  const s = nominalFps;
  const steps = [
    1,
    2,
    5,
    10,
    s / 2,
    s,
    2 * s,
    5 * s,
    10 * s,
    15 * s,
    30 * s,
    60 * s,
    120 * s,
    300 * s,
    600 * s,
    900 * s,
    1800 * s,
    3600 * s,
  ]
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
  const major = steps.find((n) => n * pixelsPerFrame >= minLabelPx) ?? (steps[steps.length - 1] as number);
  const candidates = [major / 10, major / 5, major / 4, major / 2].filter(
    (n) => Number.isInteger(n) && n >= 1,
  );
  const minor = candidates.find((n) => n * pixelsPerFrame >= 8) ?? 0;
  return { major, minor: minor === major ? 0 : minor, frameTicks: pixelsPerFrame >= 4 };
}

/** Frames carrying a tick of `step` between first and last (inclusive). */
export function tickFrames(first: number, last: number, step: number): number[] {
  const out: number[] = [];
  for (let f = Math.ceil(first / step) * step; f <= last; f += step) out.push(f);
  return out;
}

export interface MarkerLayout {
  marker: PlayerMarker;
  lane: number;
}

export interface MarkerRow {
  group: string;
  lanes: number;
  /** Per lane, markers sorted by start; within a lane they never overlap, so ends are sorted too. */
  byLane: PlayerMarker[][];
}

/**
 * One row per marker group (in the order groups first appear), overlapping ranges stacked in
 * lanes: each marker goes to the first lane whose last marker ends before it starts.
 */
export function layoutMarkers(markers: readonly PlayerMarker[]): MarkerRow[] {
  const groups = new Map<string, PlayerMarker[]>();
  for (const m of markers) {
    const list = groups.get(m.group);
    if (list) list.push(m);
    else groups.set(m.group, [m]);
  }
  const rows: MarkerRow[] = [];
  for (const [group, list] of groups) {
    const sorted = [...list].sort((a, b) => a.start - b.start || b.end - a.end || (a.id < b.id ? -1 : 1));
    const laneEnds: number[] = [];
    const byLane: PlayerMarker[][] = [];
    for (const m of sorted) {
      let lane = laneEnds.findIndex((end) => end < m.start);
      if (lane === -1) {
        lane = laneEnds.length;
        laneEnds.push(m.end);
        byLane.push([m]);
      } else {
        laneEnds[lane] = m.end;
        (byLane[lane] as PlayerMarker[]).push(m);
      }
    }
    rows.push({ group, lanes: byLane.length, byLane });
  }
  return rows;
}

/** Markers of one lane that touch frames first..last: two binary searches, no scan. */
export function visibleInLane(lane: readonly PlayerMarker[], first: number, last: number): PlayerMarker[] {
  let lo = 0;
  let hi = lane.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((lane[mid] as PlayerMarker).end < first) lo = mid + 1;
    else hi = mid;
  }
  const from = lo;
  hi = lane.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((lane[mid] as PlayerMarker).start <= last) lo = mid + 1;
    else hi = mid;
  }
  return lane.slice(from, lo);
}

/** A point marker is drawn at least this wide so it can be seen and grabbed. */
export const POINT_MARKER_PX = 9;
/** Grabbing this close to a range's edge trims instead of moving. */
export const TRIM_HANDLE_PX = 5;

/** The pixels a marker covers: its frames' cells, widened to POINT_MARKER_PX around narrow ones. */
export function markerSpan(m: Pick<PlayerMarker, 'start' | 'end'>, v: Viewport): { x0: number; x1: number } {
  let x0 = frameToX(m.start, v);
  let x1 = frameToX(m.end + 1, v);
  if (x1 - x0 < POINT_MARKER_PX) {
    const mid = (x0 + x1) / 2;
    x0 = mid - POINT_MARKER_PX / 2;
    x1 = mid + POINT_MARKER_PX / 2;
  }
  return { x0, x1 };
}

export interface RowBox {
  kind: 'ruler' | 'thumbnails' | 'waveform' | 'loudness' | 'markers' | 'subtitles';
  /** Audio track number (waveform, loudness) or group name (markers). */
  key: string;
  label: string;
  y: number;
  height: number;
}

export const LANE_HEIGHT = 14;
/**
 * A marker row shows at most this many lanes; markers laid out in deeper lanes are drawn as
 * ticks along the bottom of the row (zoom in, or filter the group, to reach them one by one).
 */
export const MAX_VISIBLE_LANES = 6;
export const ROW_HEIGHTS = { ruler: 24, thumbnails: 40, waveform: 44, loudness: 36, subtitles: 20 } as const;

/** Stacks the rows top to bottom. */
export function layoutRows(input: {
  thumbnails: boolean;
  audioTracks: readonly { track: number; label: string; loudness: boolean }[];
  markerRows: readonly MarkerRow[];
  subtitles: boolean;
}): RowBox[] {
  const rows: RowBox[] = [];
  let y = 0;
  const push = (kind: RowBox['kind'], key: string, label: string, height: number): void => {
    rows.push({ kind, key, label, y, height });
    y += height;
  };
  push('ruler', '', 'Timecode', ROW_HEIGHTS.ruler);
  if (input.thumbnails) push('thumbnails', '', 'Pictures', ROW_HEIGHTS.thumbnails);
  for (const t of input.audioTracks) push('waveform', String(t.track), t.label, ROW_HEIGHTS.waveform);
  for (const t of input.audioTracks) {
    if (t.loudness) push('loudness', String(t.track), `Loudness ${t.track}`, ROW_HEIGHTS.loudness);
  }
  for (const r of input.markerRows) {
    const overflow = r.lanes > MAX_VISIBLE_LANES ? 4 : 0;
    push(
      'markers',
      r.group,
      r.group,
      Math.max(1, Math.min(MAX_VISIBLE_LANES, r.lanes)) * LANE_HEIGHT + 6 + overflow,
    );
  }
  if (input.subtitles) push('subtitles', '', 'Subtitles', ROW_HEIGHTS.subtitles);
  return rows;
}

export type Hit =
  | { kind: 'marker'; marker: PlayerMarker; part: 'body' | 'start' | 'end' }
  | { kind: 'ruler'; frame: number }
  | { kind: 'row'; row: RowBox; frame: number }
  | { kind: 'none' };

/** What is under (x, y): a marker (and which part of it), the ruler, or a row at a frame. */
export function hitTest(
  x: number,
  y: number,
  v: Viewport,
  rows: readonly RowBox[],
  markerRows: readonly MarkerRow[],
  durationFrames: number,
): Hit {
  const row = rows.find((r) => y >= r.y && y < r.y + r.height);
  if (!row || x < 0 || x >= v.width) return { kind: 'none' };
  const frame = xToFrame(x, v, durationFrames);
  if (row.kind === 'ruler') return { kind: 'ruler', frame };
  if (row.kind === 'markers') {
    const mr = markerRows.find((r) => r.group === row.key);
    const lane = Math.floor((y - row.y - 3) / LANE_HEIGHT);
    const list = lane < MAX_VISIBLE_LANES ? mr?.byLane[lane] : undefined;
    if (list) {
      // Candidates: markers whose widened span could reach x.
      const pad = POINT_MARKER_PX / v.pixelsPerFrame;
      const around = visibleInLane(list, Math.floor(frame - pad - 1), Math.ceil(frame + pad + 1));
      // The nearest first: a point marker sits on top of a range it overlaps visually.
      let best: Hit = { kind: 'none' };
      let bestWidth = Infinity;
      for (const m of around) {
        const { x0, x1 } = markerSpan(m, v);
        if (x < x0 || x >= x1) continue;
        let part: 'body' | 'start' | 'end' = 'body';
        if (m.end > m.start && x1 - x0 > 3 * TRIM_HANDLE_PX) {
          if (x - x0 < TRIM_HANDLE_PX) part = 'start';
          else if (x1 - x < TRIM_HANDLE_PX) part = 'end';
        }
        if (x1 - x0 < bestWidth) {
          best = { kind: 'marker', marker: m, part };
          bestWidth = x1 - x0;
        }
      }
      if (best.kind === 'marker') return best;
    }
  }
  return { kind: 'row', row, frame };
}

/** Where a dragged marker lands: whole frames, inside the programme, never inside out. */
export function dragMarker(
  m: Pick<PlayerMarker, 'start' | 'end'>,
  part: 'body' | 'start' | 'end',
  deltaFrames: number,
  durationFrames: number,
): { start: number; end: number } {
  const d = Math.round(deltaFrames);
  const last = durationFrames - 1;
  if (part === 'body') {
    const len = m.end - m.start;
    const start = Math.min(last - len, Math.max(0, m.start + d));
    return { start, end: start + len };
  }
  if (part === 'start') return { start: Math.min(m.end, Math.max(0, m.start + d)), end: m.end };
  return { start: m.start, end: Math.max(m.start, Math.min(last, m.end + d)) };
}

/** Marker colour: its own, else by severity, else by category (a stable hue), else grey-blue. */
export function markerColor(m: Pick<PlayerMarker, 'color' | 'severity' | 'category'>): string {
  if (m.color && /^#[0-9a-f]{6}$/i.test(m.color)) return m.color;
  const bySeverity: Record<string, string> = {
    critical: '#e5484d',
    major: '#f76b15',
    minor: '#ffc53d',
    info: '#0090ff',
  };
  if (m.severity && bySeverity[m.severity]) return bySeverity[m.severity] as string;
  if (m.category) {
    let h = 0;
    for (const ch of m.category) h = (h * 31 + ch.charCodeAt(0)) % 360;
    return `hsl(${h} 70% 55%)`;
  }
  return '#8da4ef';
}

/** samplesPerPixel that makes one waveform point per pixel at this zoom. */
export function waveformSamplesPerPixel(pixelsPerFrame: number, sampleRate: number, rate: FrameRate): number {
  return Math.max(1, Math.round((sampleRate * rate.den) / rate.num / pixelsPerFrame));
}
