import { can, forbidden, isProjectPermission, isUuid, notFound, type Role } from '@frameproof/core';
import type { FastifyInstance } from 'fastify';
import { holdsAll, type ProjectService } from '../services/projects.js';
import type { RouteRole } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's role on the asset the route is about (`/api/assets/:id/...`, `/api/jobs/:id/...`). */
    assetRole: Role | null;
  }
}

/** The routes about one asset (or one of its jobs): the asset's project decides, see below. */
const ASSET_ROUTE = /^\/api\/(assets|jobs)\/:id(\/|$)/;

/**
 * For the auth plugin: project permissions are checked against a person's strongest role in
 * their projects, or, on a route about one asset, against their role in its project (below).
 */
export const projectRouteRole =
  (projects: ProjectService): RouteRole =>
  async (principal, permission, request) => {
    if (!isProjectPermission(permission) || holdsAll(principal)) return principal.role;
    if (ASSET_ROUTE.test(request.routeOptions.url ?? '')) return null;
    return projects.routeRole(principal);
  };

/**
 * The asset a route is about decides what the caller may do: their role in the asset's project.
 * To someone who is not a member the asset (and its jobs, media, markers) does not exist: 404.
 * Runs for every route under `/api/assets/:id` and `/api/jobs/:id` before the request is
 * validated, so that an outsider gets 404 whatever they send (an id that is no UUID is left to
 * validation's 400).
 */
export function installProjectAccess(app: FastifyInstance, projects: ProjectService) {
  app.decorateRequest('assetRole', null);
  app.addHook('preValidation', async (request) => {
    const { principal } = request;
    const permission = request.routeOptions.config.permission;
    if (!principal || !permission) return;
    const url = request.routeOptions.url ?? '';
    if (!ASSET_ROUTE.test(url)) return;
    const id = (request.params as { id?: string } | undefined)?.id ?? '';
    const onJob = url.startsWith('/api/jobs/');
    // An id that is no UUID is left to validation's 400; the route-level check was deferred
    // to here, so the caller must hold the permission in some project to get that far.
    if (!isUuid(id)) {
      if (!can(await projects.routeRole(principal), permission)) throw notFound(onJob ? 'job' : 'asset');
      return;
    }
    const role = await (onJob ? projects.roleOnJob(principal, id) : projects.roleOnAsset(principal, id));
    if (!role) throw notFound(onJob ? 'job' : 'asset');
    if (!can(role, permission))
      throw forbidden(`the ${role} role may not ${permission.replace(':', ' ')} in this project`);
    request.assetRole = role;
  });
}
