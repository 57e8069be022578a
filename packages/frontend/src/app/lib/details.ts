import type { AssetWithShapes } from '@frameproof/core';
import { api } from './api.js';
import { earliestExpiry, stillValid } from './expiry.js';

/**
 * The library's pages list assets without their shapes; cards fetch the details (poster,
 * sprites) of the assets on screen only, a few at a time. Details hold signed URLs, so they are
 * kept while the asset is unchanged (its `updatedAt`) and its URLs have not (nearly) expired;
 * then they are fetched again, with fresh URLs.
 */
interface Entry {
  details: Promise<AssetWithShapes>;
  /** Known once fetched. */
  updatedAt?: string;
  expiresAt: number | null;
}
const cache = new Map<string, Entry>();
const queue: (() => void)[] = [];
let running = 0;

/** When the earliest of an asset's signed file URLs expires (ms), or null when none says. */
export function urlsExpireAt(asset: AssetWithShapes): number | null {
  return earliestExpiry(asset.shapes.flatMap((s) => s.files.map((f) => f.url)));
}

export function assetDetails(id: string, updatedAt?: string): Promise<AssetWithShapes> {
  const found = cache.get(id);
  const current =
    found &&
    (updatedAt === undefined || found.updatedAt === undefined || found.updatedAt === updatedAt) &&
    stillValid(found.expiresAt, Date.now());
  if (found && current) return found.details;
  const entry: Entry = {
    expiresAt: null,
    details: new Promise<AssetWithShapes>((resolve, reject) => {
      queue.push(() => {
        running++;
        api
          .getAsset(id)
          .then((a) => {
            entry.updatedAt = a.updatedAt;
            entry.expiresAt = urlsExpireAt(a);
            resolve(a);
          }, reject)
          .finally(() => {
            running--;
            queue.shift()?.();
          });
      });
      if (running < 4) queue.shift()?.();
    }),
  };
  entry.details.catch(() => cache.get(id) === entry && cache.delete(id));
  cache.set(id, entry);
  return entry.details;
}

export function forgetDetails(id: string): void {
  cache.delete(id);
}
