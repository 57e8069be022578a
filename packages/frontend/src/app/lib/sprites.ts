import type { AssetWithShapes, MediaFile } from '@frameproof/core';
import { parseSpriteVtt, sheetResolver, type SpriteTile } from '@frameproof/player';

/** The sprite shape's index (WebVTT) and its sheets' signed URLs by file name, as the index names them. */
export function spriteFilesOf(
  asset: AssetWithShapes,
): { index: MediaFile; sheetUrls: Record<string, string> } | null {
  const shape = asset.shapes.find((s) => s.type === 'sprite');
  const index = shape?.files.find((f) => f.name.endsWith('.vtt') || f.mimeType === 'text/vtt');
  if (!shape || !index) return null;
  const sheetUrls = Object.fromEntries(shape.files.filter((f) => f !== index).map((f) => [f.name, f.url]));
  return { index, sheetUrls };
}

const cache = new Map<string, Promise<SpriteTile[]>>();

/** The sprite tiles of an asset (fetched once per asset), or [] when it has none. */
export function spritesOf(asset: AssetWithShapes): Promise<SpriteTile[]> {
  const files = spriteFilesOf(asset);
  if (!files) return Promise.resolve([]);
  let found = cache.get(asset.id);
  if (!found) {
    const resolve = sheetResolver(new URL(files.index.url, location.href).toString(), files.sheetUrls);
    found = fetch(files.index.url)
      .then((r) => (r.ok ? r.text() : ''))
      .then((text) => parseSpriteVtt(text, resolve))
      .catch(() => []);
    cache.set(asset.id, found);
  }
  return found;
}

export const posterOf = (asset: AssetWithShapes) =>
  asset.shapes.find((s) => s.type === 'poster')?.files[0]?.url ??
  asset.shapes.find((s) => s.type === 'thumbnails')?.files[0]?.url;
