import { assetKeys, DEFAULT_LOUDNESS_TARGET } from '@frameproof/core';
import { afterPictureSource, pictureSource } from './shapes.js';
import type { StepHandler } from './types.js';

/** The timeline row automatic QC writes its markers to. */
export const AUTO_QC_GROUP = 'Auto QC';

/**
 * Black, freeze, silence and loudness: markers on the Auto QC row, a summary in `analysis`. Reads
 * the original, or the video proxy (THUMBNAILS_QC_SOURCE=proxy) for an asset with video.
 */
export const autoQcStep: StepHandler<'auto-qc'> = {
  after: afterPictureSource,
  priority: 0,
  plan: (input) => {
    const { assetId, source, technical } = pictureSource(input);
    return technical && (technical.video.length || technical.audio.length)
      ? [
          {
            assetId,
            source,
            technical,
            outputPrefix: assetKeys(assetId).outputs('auto-qc'),
            loudnessTarget: DEFAULT_LOUDNESS_TARGET,
          },
        ]
      : [];
  },
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
