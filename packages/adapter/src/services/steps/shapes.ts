import type { JobResult } from '@frameproof/core';
import type { Changes } from '../changes.js';
import type { StepServices } from './types.js';

/** Stores the shapes a step made, replacing those an earlier attempt stored. */
export async function storeShapes(
  changes: Changes,
  { assets }: StepServices,
  { assetId }: { assetId: string },
  result: JobResult,
): Promise<void> {
  for (const shape of result.shapes ?? []) await assets.putShape(changes, assetId, shape);
}
