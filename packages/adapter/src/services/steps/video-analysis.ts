import {
  assetKeys,
  badRequest,
  VIDEO_ANALYSES,
  VIDEO_ANALYSIS_GROUPS,
  type VideoAnalysis,
} from '@frameproof/core';
import { videoProxySource } from './shapes.js';
import type { StepHandler } from './types.js';

/** Which analyses a result covers: those it names (their rows are replaced, even when empty). */
function analysesOf(metadata: Record<string, unknown> | undefined): VideoAnalysis[] {
  const list = metadata?.analyses;
  const known: readonly string[] = VIDEO_ANALYSES;
  if (!Array.isArray(list) || !list.every((a) => typeof a === 'string' && known.includes(a)))
    throw badRequest(
      `a video analysis result names its analyses (${VIDEO_ANALYSES.join(', ')})`,
      'result.metadata.analyses',
    );
  return list as VideoAnalysis[];
}

/**
 * Labels, celebrities, faces, text, moderation and segments found in the video proxy (on AWS,
 * by Rekognition Video), as markers: one row per analysis, each replaced when it runs again.
 * Runs after the video proxy, when the deployment asks for analyses (VIDEO_ANALYSES).
 */
export const videoAnalysisStep: StepHandler<'video-analysis'> = {
  after: 'video-proxy',
  priority: 0,
  plan: ({ assetId, technical, options }) =>
    technical?.video.length && options.videoAnalyses.length
      ? [
          {
            assetId,
            source: videoProxySource(assetId),
            technical,
            outputPrefix: assetKeys(assetId).outputs('video-analysis'),
            analyses: options.videoAnalyses,
          },
        ]
      : [],
  async store(changes, { assets, markers }, { assetId }, result) {
    const rows = analysesOf(result.metadata).map((analysis) => {
      const group = VIDEO_ANALYSIS_GROUPS[analysis];
      return {
        origin: `video-analysis:${analysis}`,
        group,
        markers: (result.markers ?? []).filter((m) => m.group === group).map(({ group: _, ...m }) => m),
      };
    });
    await markers.replaceAutomaticRows(changes, assetId, rows);
    if (result.metadata) await assets.setAnalysis(changes, assetId, 'video-analysis', result.metadata);
  },
  essential: () => false,
};
