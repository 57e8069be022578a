import { assetKeys } from '@frameproof/core';
import { storeShapes } from './shapes.js';
import type { StepHandler } from './types.js';

/** The poster and the sprite sheets the timeline shows; video only. */
export const thumbnailsStep: StepHandler<'thumbnails'> = {
  after: 'probe',
  priority: 0,
  plan: ({ assetId, source, technical, options }) =>
    technical?.video.length
      ? [
          {
            assetId,
            source,
            technical,
            outputPrefix: assetKeys(assetId).outputs('thumbnails'),
            spriteIntervalSeconds: options.spriteIntervalSeconds,
          },
        ]
      : [],
  store: storeShapes,
  essential: () => false,
};
