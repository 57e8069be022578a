import { assetKeys } from '@frameproof/core';
import type { StepHandler } from './types.js';
import { oneForVideo, storeShapes } from './shapes.js';

/** The frame-exact H.264 proxy the player shows; an asset with video needs it. */
export const videoProxyStep: StepHandler<'video-proxy'> = {
  after: 'probe',
  priority: 5,
  plan: (input) => oneForVideo(input, 'video-proxy', { maxHeight: input.options.proxyMaxHeight }),
  store: storeShapes,
  essential: (technical) => (technical?.video.length ?? 0) > 0,
};

/** One AAC proxy per audio stream, so the player can switch tracks. */
export const audioProxyStep: StepHandler<'audio-proxy'> = {
  after: 'probe',
  priority: 4,
  plan: ({ assetId, source, technical }) =>
    (technical?.audio ?? []).map((audio) => ({
      assetId,
      source,
      technical: technical as NonNullable<typeof technical>,
      outputPrefix: assetKeys(assetId).outputs('audio-proxy', audio.track),
      track: audio.track,
      streamIndex: audio.index,
    })),
  store: storeShapes,
  essential: () => false,
};
