import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_NAMES, type ServiceName } from './services.js';

/** The repository root (the folder with the lockfile above this one): the build context of every image. */
export const REPOSITORY_ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package-lock.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (package-lock.json)');
    dir = parent;
  }
  return dir;
})();

/** The services whose images we build (Keycloak runs the official image). */
export const BUILT_SERVICES = SERVICE_NAMES.filter((s) => s !== 'keycloak');

export function dockerfilePath(service: ServiceName): string {
  return `packages/${service}/Dockerfile`;
}

export interface ImageBuild {
  readonly service: ServiceName;
  /** Relative to the repository root. */
  readonly dockerfile: string;
  /** `registry/service:tag`, as the templates' image parameters expect by default. */
  readonly image: string;
}

/** One build per service that has a Dockerfile (the frontend gets one with its package). */
export function imageBuilds(options: {
  registry: string;
  tag: string;
  exists: (path: string) => boolean;
}): ImageBuild[] {
  return BUILT_SERVICES.filter((service) =>
    options.exists(join(REPOSITORY_ROOT, dockerfilePath(service))),
  ).map((service) => ({
    service,
    dockerfile: dockerfilePath(service),
    image: `${options.registry}/${service}:${options.tag}`,
  }));
}
