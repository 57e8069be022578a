import { badRequest, chooseVideoAnalyses, type VideoAnalysis } from '@frameproof/core';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { principalOf } from '../plugins/auth.js';

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

/**
 * What a direct upload or an import decides before anything is stored: who asks, the project
 * the assets go to (one the caller may add to) and the analyses (the deployment's, or a subset).
 */
export async function ingestChoices(
  ctx: AppContext,
  req: FastifyRequest,
  body: { projectId?: string; videoAnalyses?: readonly string[] },
) {
  const videoAnalyses = chosenVideoAnalyses(body.videoAnalyses, ctx.config.videoAnalyses, 'videoAnalyses');
  const principal = principalOf(req);
  const projectId = await ctx.projects.uploadTarget(principal, body.projectId);
  return { userId: principal.userId, projectId, videoAnalyses };
}
