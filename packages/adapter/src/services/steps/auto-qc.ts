import { assetKeys, DEFAULT_LOUDNESS_TARGET } from '@frameproof/core';
import type { StepHandler } from './types.js';

/** The timeline row automatic QC writes its markers to. */
export const AUTO_QC_GROUP = 'Auto QC';

/** Black, freeze, silence and loudness: markers on the Auto QC row, a summary in `analysis`. */
export const autoQcStep: StepHandler<'auto-qc'> = {
  after: 'probe',
  priority: 0,
  plan: ({ assetId, source, technical }) =>
    technical && (technical.video.length || technical.audio.length)
      ? [
          {
            assetId,
            source,
            technical,
            outputPrefix: assetKeys(assetId).outputs('auto-qc'),
            loudnessTarget: DEFAULT_LOUDNESS_TARGET,
          },
        ]
      : [],
  async store(changes, { assets, markers }, { assetId }, result) {
    if (result.markers)
      await markers.replaceAutomatic(
        changes,
        assetId,
        { origin: 'auto-qc', group: AUTO_QC_GROUP },
        result.markers,
      );
    if (result.metadata) await assets.setAnalysis(changes, assetId, 'auto-qc', result.metadata);
  },
  essential: () => false,
};
