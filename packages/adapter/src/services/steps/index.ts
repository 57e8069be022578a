import { autoQcStep } from './auto-qc.js';
import { probeStep } from './probe.js';
import { audioProxyStep, videoProxyStep } from './proxies.js';
import { thumbnailsStep } from './thumbnails.js';
import type { StepHandlers } from './types.js';
import { videoAnalysisStep } from './video-analysis.js';

export { AUTO_QC_GROUP } from './auto-qc.js';
export type { IngestOptions, StepHandler, StepHandlers, StepInput, StepServices } from './types.js';

/** Ingest's steps, one per job type. */
export const STEPS: StepHandlers = {
  probe: probeStep,
  'video-proxy': videoProxyStep,
  'audio-proxy': audioProxyStep,
  thumbnails: thumbnailsStep,
  'auto-qc': autoQcStep,
  'video-analysis': videoAnalysisStep,
};
