import {
  assetKeys,
  type JobResult,
  type JobType,
  type StorageRef,
  type TechnicalMetadata,
} from '@frameproof/core';
import type { Changes } from '../changes.js';
import type { StepInput, StepServices } from './types.js';

/**
 * The one job of a step that works on the picture: none for an asset without video. It reads
 * the original, writes under the step's own outputs, and carries the step's `settings`.
 */
export function oneForVideo<T extends JobType, S extends object>(
  { assetId, source, technical }: StepInput,
  type: T,
  settings: S,
): ({
  assetId: string;
  source: Required<StorageRef>;
  technical: TechnicalMetadata;
  outputPrefix: string;
} & S)[] {
  return technical?.video.length
    ? [{ assetId, source, technical, outputPrefix: assetKeys(assetId).outputs(type), ...settings }]
    : [];
}

/** Stores the shapes a step made, replacing those an earlier attempt stored. */
export async function storeShapes(
  changes: Changes,
  { assets }: StepServices,
  { assetId }: { assetId: string },
  result: JobResult,
): Promise<void> {
  for (const shape of result.shapes ?? []) await assets.putShape(changes, assetId, shape);
}
