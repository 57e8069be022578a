import { badRequest, chooseVideoAnalyses, type VideoAnalysis } from '@frameproof/core';

/**
 * The video analyses an upload or import asks for, checked against the deployment's
 * (VIDEO_ANALYSES): a 400 naming `field` for any other; undefined when it asks for nothing.
 */
export function chosenVideoAnalyses(
  requested: readonly string[] | string | undefined,
  allowed: readonly VideoAnalysis[],
  field: string,
): VideoAnalysis[] | undefined {
  if (requested === undefined) return undefined;
  try {
    return chooseVideoAnalyses(requested, allowed);
  } catch (err) {
    if (err instanceof RangeError) throw badRequest(`${field}: ${err.message}`, field);
    throw err;
  }
}
