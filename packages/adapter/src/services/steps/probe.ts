import { assetKeys } from '@frameproof/core';
import { badRequest } from '@frameproof/core';
import { storeShapes } from './shapes.js';
import type { StepHandler } from './types.js';

/** Reads the original's streams and time axis (and its text subtitles); every other step follows it. */
export const probeStep: StepHandler<'probe'> = {
  after: null,
  priority: 10,
  plan: ({ assetId, source }) => [{ assetId, source, outputPrefix: assetKeys(assetId).outputs('probe') }],
  async store(changes, services, job, result) {
    if (!result.technical) throw badRequest('a probe result needs `technical`', 'result.technical');
    await services.assets.setTechnical(changes, job.assetId, result.technical);
    await storeShapes(changes, services, job, result);
  },
  essential: () => true,
};
