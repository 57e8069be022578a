import { oneForVideo, storeShapes } from './shapes.js';
import type { StepHandler } from './types.js';

/** The poster and the sprite sheets the timeline shows; video only. */
export const thumbnailsStep: StepHandler<'thumbnails'> = {
  after: 'probe',
  priority: 0,
  plan: (input) =>
    oneForVideo(input, 'thumbnails', { spriteIntervalSeconds: input.options.spriteIntervalSeconds }),
  store: storeShapes,
  essential: () => false,
};
