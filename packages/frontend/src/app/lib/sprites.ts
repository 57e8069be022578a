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

/** Tiles per asset, with the index URL they came from: new details (fresh URLs) fetch again. */
const cache = new Map<string, { indexUrl: string; tiles: Promise<SpriteTile[]> }>();

/** The sprite tiles of an asset (fetched once per signed index URL), or [] when it has none. */
export function spritesOf(asset: AssetWithShapes): Promise<SpriteTile[]> {
  const files = spriteFilesOf(asset);
  if (!files) return Promise.resolve([]);
  const found = cache.get(asset.id);
  if (found && found.indexUrl === files.index.url) return found.tiles.catch(() => []);
  const resolve = sheetResolver(new URL(files.index.url, location.href).toString(), files.sheetUrls);
  const tiles = fetch(files.index.url)
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`sprite index: HTTP ${r.status}`))))
    .then((text) => parseSpriteVtt(text, resolve));
  const entry = { indexUrl: files.index.url, tiles };
  // A failed index (an expired URL: 403) is not kept: the next hover asks again.
  tiles.catch(() => cache.get(asset.id) === entry && cache.delete(asset.id));
  cache.set(asset.id, entry);
  return tiles.catch(() => []);
}

/** Drops an asset's tiles (their sheet URLs stopped working). */
export function forgetSprites(id: string): void {
  cache.delete(id);
}

export const posterOf = (asset: AssetWithShapes) =>
  asset.shapes.find((s) => s.type === 'poster')?.files[0]?.url ??
  asset.shapes.find((s) => s.type === 'thumbnails')?.files[0]?.url;
