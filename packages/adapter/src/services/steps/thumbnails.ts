import { afterPictureSource, oneForVideo, pictureSource, storeShapes } from './shapes.js';
import type { StepHandler } from './types.js';

/** The poster and the sprite sheets the timeline shows; video only (from the original or the proxy). */
export const thumbnailsStep: StepHandler<'thumbnails'> = {
  after: afterPictureSource,
  priority: 0,
  plan: (input) =>
    oneForVideo(pictureSource(input), 'thumbnails', {
      spriteIntervalSeconds: input.options.spriteIntervalSeconds,
    }),
  store: storeShapes,
  essential: () => false,
};
