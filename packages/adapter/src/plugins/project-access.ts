import { can, forbidden, isProjectPermission, notFound, type Role } from '@frameproof/core';
import type { FastifyInstance } from 'fastify';
import type { ProjectService } from '../services/projects.js';
import type { RouteRole } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's role on the asset the route is about (`/api/assets/:id/...`, `/api/jobs/:id/...`). */
    assetRole: Role | null;
  }
}

/** For the auth plugin: project permissions are checked against a person's roles in their projects. */
export const projectRouteRole =
  (projects: ProjectService): RouteRole =>
  (principal, permission) =>
    isProjectPermission(permission) ? projects.routeRole(principal) : Promise.resolve(principal.role);

/**
 * The asset a route is about decides what the caller may do: their role in the asset's project.
 * To someone who is not a member the asset (and its jobs, media, markers) does not exist: 404.
 * Runs once the path is validated, for every route under `/api/assets/:id` and `/api/jobs/:id`.
 */
export function installProjectAccess(app: FastifyInstance, projects: ProjectService) {
  app.decorateRequest('assetRole', null);
  app.addHook('preHandler', async (request) => {
    const { principal } = request;
    const permission = request.routeOptions.config.permission;
    if (!principal || !permission) return;
    const url = request.routeOptions.url ?? '';
    const id = (request.params as { id?: string } | undefined)?.id;
    if (!id) return;
    let role: Role | undefined;
    if (url.startsWith('/api/assets/:id')) {
      role = await projects.roleOnAsset(principal, id);
      if (!role) throw notFound('asset');
    } else if (url.startsWith('/api/jobs/:id')) {
      role = await projects.roleOnJob(principal, id);
      if (!role) throw notFound('job');
    } else return;
    if (!can(role, permission))
      throw forbidden(`the ${role} role may not ${permission.replace(':', ' ')} in this project`);
    request.assetRole = role;
  });
}
