import type { AssetWithShapes } from '@frameproof/core';
import { api } from './api.js';

/**
 * The library's pages list assets without their shapes; cards fetch the details (poster,
 * sprites) of the assets on screen only, a few at a time, once each.
 */
const cache = new Map<string, Promise<AssetWithShapes>>();
const queue: (() => void)[] = [];
let running = 0;

export function assetDetails(id: string): Promise<AssetWithShapes> {
  let found = cache.get(id);
  if (!found) {
    found = new Promise<AssetWithShapes>((resolve, reject) => {
      queue.push(() => {
        running++;
        api
          .getAsset(id)
          .then(resolve, reject)
          .finally(() => {
            running--;
            queue.shift()?.();
          });
      });
      if (running < 4) queue.shift()?.();
    });
    found.catch(() => cache.delete(id));
    cache.set(id, found);
  }
  return found;
}

export function forgetDetails(id: string): void {
  cache.delete(id);
}
