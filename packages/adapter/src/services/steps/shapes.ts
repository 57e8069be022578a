import {
  assetKeys,
  OUTPUT_FILES,
  outputKey,
  type JobResult,
  type JobType,
  type StorageRef,
  type TechnicalMetadata,
} from '@frameproof/core';
import type { Changes } from '../changes.js';
import type { StepInput, StepServices } from './types.js';

/**
 * The one job of a step that works on the picture: none for an asset without video. It reads
 * `source` (the original, or what `pictureSource` chose), writes under the step's own outputs,
 * and carries the step's `settings`.
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

/** The video proxy's file, as the video-proxy step writes it. */
export function videoProxySource(assetId: string): Required<StorageRef> {
  return {
    key: outputKey(assetKeys(assetId).outputs('video-proxy'), OUTPUT_FILES.videoProxy),
    mimeType: 'video/mp4',
  };
}

/** Whether a step that reads the picture (thumbnails, Auto QC) reads the video proxy for this asset. */
const readsProxy = ({ technical, options }: StepInput): boolean =>
  options.thumbnailsQcSource === 'proxy' && (technical?.video.length ?? 0) > 0;

/** When a step that reads the picture runs: after the video proxy when it reads it, else after the probe. */
export const afterPictureSource = (input: StepInput): JobType =>
  readsProxy(input) ? 'video-proxy' : 'probe';

/**
 * What a step that reads the picture reads: the original, or (THUMBNAILS_QC_SOURCE=proxy) the
 * video proxy with its streams as the video-proxy step probed them; the original when that
 * result did not say (a worker that does not report it).
 */
export function pictureSource(input: StepInput): StepInput {
  const proxy = input.result?.technical;
  if (!readsProxy(input) || !proxy?.video.length) return input;
  return { ...input, source: videoProxySource(input.assetId), technical: proxy };
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
