import type { AssetWithShapes, MediaFile } from '@frameproof/core';

/** One thumbnail of the sprite sheets: which sheet (a signed URL) and where in it. */
export interface SpriteCue {
  start: number;
  end: number;
  url: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

const TIME = /(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})/;
const seconds = (t: string) => {
  const m = TIME.exec(t);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000 : NaN;
};

/** Parses the sprite WebVTT (`sheet.jpg#xywh=x,y,w,h` cues); sheet names become their signed URLs. */
export function parseSpriteVtt(text: string, files: MediaFile[]): SpriteCue[] {
  const cues: SpriteCue[] = [];
  const blocks = text.replace(/\r/g, '').split(/\n\n+/);
  for (const block of blocks) {
    const lines = block.split('\n');
    const timing = lines.findIndex((l) => l.includes('-->'));
    const target = timing >= 0 ? lines[timing + 1] : undefined;
    if (timing < 0 || !target) continue;
    const [from, to] = (lines[timing] as string).split('-->').map((s) => seconds(s.trim()));
    const [name, hash] = target.trim().split('#xywh=');
    const file = files.find((f) => f.key.endsWith(`/${name}`) || f.key === name);
    const [x, y, w, h] = (hash ?? '').split(',').map(Number);
    if (!file || h === undefined || x === undefined || y === undefined || w === undefined) continue;
    if (from === undefined || to === undefined) continue;
    cues.push({ start: from, end: to, url: file.url, x, y, w, h });
  }
  return cues;
}

const cache = new Map<string, Promise<SpriteCue[]>>();

/** The sprite cues of an asset (fetched once per asset), or [] when it has none. */
export function spritesOf(asset: AssetWithShapes): Promise<SpriteCue[]> {
  const shape = asset.shapes.find((s) => s.type === 'sprite');
  const vtt = shape?.files.find((f) => f.key.endsWith('.vtt') || f.mimeType === 'text/vtt');
  if (!shape || !vtt) return Promise.resolve([]);
  let found = cache.get(asset.id);
  if (!found) {
    found = fetch(vtt.url)
      .then((r) => (r.ok ? r.text() : ''))
      .then((text) => parseSpriteVtt(text, shape.files))
      .catch(() => []);
    cache.set(asset.id, found);
  }
  return found;
}

export function cueAt(cues: SpriteCue[], time: number): SpriteCue | undefined {
  return cues.find((c) => time >= c.start && time < c.end) ?? cues[cues.length - 1];
}

export const posterOf = (asset: AssetWithShapes) =>
  asset.shapes.find((s) => s.type === 'poster')?.files[0]?.url ??
  asset.shapes.find((s) => s.type === 'thumbnails')?.files[0]?.url;
