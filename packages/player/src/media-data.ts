/** Pure parsers for what the timeline rows read: the sprite index and the loudness series. */

export interface SpriteTile {
  /** Seconds, from the WebVTT cue. */
  start: number;
  end: number;
  /** Image URL, as `sheetUrl` resolves the name the index gives. */
  url: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

function vttSeconds(t: string): number {
  const m = /^(?:(\d+):)?(\d{2}):(\d{2})[.,](\d{3})$/.exec(t.trim());
  if (!m) throw new Error(`sprite index: "${t}" is not a WebVTT time`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000;
}

/**
 * A sprite index: WebVTT cues whose text is `sheet.jpg#xywh=x,y,w,h`; `sheetUrl` turns a sheet's
 * name into the URL to read it from.
 */
export function parseSpriteVtt(text: string, sheetUrl: (name: string) => string): SpriteTile[] {
  const tiles: SpriteTile[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const timing = /^\s*(\S+)\s+-->\s+(\S+)/.exec(line);
    if (!timing) continue;
    const ref = (lines[i + 1] ?? '').trim();
    const m = /^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(ref);
    if (!m) throw new Error(`sprite index line ${i + 2}: expected "image#xywh=x,y,w,h", got "${ref}"`);
    tiles.push({
      start: vttSeconds(timing[1] as string),
      end: vttSeconds(timing[2] as string),
      url: sheetUrl(m[1] as string),
      x: Number(m[2]),
      y: Number(m[3]),
      w: Number(m[4]),
      h: Number(m[5]),
    });
    i++;
  }
  return tiles.sort((a, b) => a.start - b.start);
}

/** Names sheets through `urls` (signed URLs by file name), else relative to the index's URL. */
export function sheetResolver(indexUrl: string, urls: Record<string, string> = {}): (name: string) => string {
  return (name) => urls[name] ?? new URL(name, indexUrl).toString();
}

/** The tile showing second `t` (the last that starts at or before it). */
export function tileAt(tiles: readonly SpriteTile[], t: number): SpriteTile | undefined {
  let lo = 0;
  let hi = tiles.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((tiles[mid] as SpriteTile).start <= t) lo = mid + 1;
    else hi = mid;
  }
  return tiles[lo - 1];
}

export interface LoudnessSeries {
  /** Seconds between points. */
  interval: number;
  momentary: number[];
  shortTerm: number[];
  /** Programme target in LUFS (e.g. -23 for EBU R128), if known. */
  target: number | null;
}

function numbers(v: unknown): number[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x : Number.NEGATIVE_INFINITY)) : [];
}

/**
 * Reads analyze's loudness answer: `series: {step, momentary, shortTerm}` (value i is the
 * loudest in the step ending at (i + 1) * step seconds; null for silence) and
 * `target.integrated`.
 */
export function parseLoudness(json: unknown): LoudnessSeries {
  if (!json || typeof json !== 'object') throw new Error('loudness: not a JSON object');
  const o = json as Record<string, unknown>;
  const series = (o.series && typeof o.series === 'object' ? o.series : o) as Record<string, unknown>;
  const interval = Number(series.step ?? o.step ?? 0.1);
  const t = o.target;
  const target = t && typeof t === 'object' ? (t as Record<string, unknown>).integrated : t;
  return {
    interval: interval > 0 ? interval : 0.1,
    momentary: numbers(series.momentary),
    shortTerm: numbers(series.shortTerm),
    target: typeof target === 'number' ? target : null,
  };
}
