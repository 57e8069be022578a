import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FRAMEPROOF_VERSION, KEYCLOAK_IMAGE, SERVICE_NAMES, type ServiceName } from './services.js';

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

/** The services whose images we build (Keycloak runs the official image, copied into the registry). */
export const BUILT_SERVICES = SERVICE_NAMES.filter((s) => s !== 'keycloak');

/** The tasks run on X86_64 (see AppService): images built on an ARM machine must still be amd64. */
export const IMAGE_PLATFORM = 'linux/amd64';

/** Where `npm run images` and `npm run synth` take the registry from when `--registry` is not given. */
export const IMAGE_REGISTRY_ENV = 'FRAMEPROOF_IMAGE_REGISTRY';

/** What the templates' image repository and tag parameters accept. */
export const IMAGE_REPOSITORY_PATTERN = '^[a-z0-9][a-z0-9._/:-]*$';
export const IMAGE_TAG_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';

export function dockerfilePath(service: ServiceName): string {
  return `packages/${service}/Dockerfile`;
}

/**
 * The registry (with any path, e.g. `123456789012.dkr.ecr.eu-north-1.amazonaws.com/frameproof`)
 * from the option, else the environment; undefined when neither says. A trailing slash is dropped;
 * anything an image name cannot hold is refused.
 */
export function imageRegistry(option: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const value = (option ?? env[IMAGE_REGISTRY_ENV] ?? '').trim().replace(/\/+$/, '');
  if (value === '') return undefined;
  if (!new RegExp(IMAGE_REPOSITORY_PATTERN).test(value))
    throw new Error(`"${value}" is not an image registry (lower-case host and path, e.g. ghcr.io/acme)`);
  return value;
}

/** The images of one deployment, by service: ours under the registry, Keycloak's copy beside them. */
export function registryImages(
  registry: string,
  tag: string,
): Record<ServiceName, { repository: string; tag: string }> {
  return Object.fromEntries(
    SERVICE_NAMES.map((service) => [
      service,
      { repository: `${registry}/${service}`, tag: service === 'keycloak' ? KEYCLOAK_IMAGE.tag : tag },
    ]),
  ) as Record<ServiceName, { repository: string; tag: string }>;
}

export interface ImageStep {
  readonly service: ServiceName;
  /** `registry/service:tag`, as the templates' image parameters expect when synthesized with that registry. */
  readonly image: string;
  /** The `docker` commands (arguments after `docker`), run from the repository root in this order. */
  readonly commands: string[][];
}

export interface ImagePlanOptions {
  readonly registry: string;
  readonly tag?: string;
  readonly push?: boolean;
  /** Only these services (default: all five). */
  readonly only?: readonly string[];
  /** Whether a Dockerfile exists (relative to the repository root); a missing one is an error. */
  readonly exists?: (path: string) => boolean;
}

/**
 * What `npm run images` does, without doing it: for each of the five services, build ours from
 * its Dockerfile (Keycloak: pull the official image and tag it), for amd64, then push with `push`.
 */
export function imagePlan(options: ImagePlanOptions): ImageStep[] {
  const tag = options.tag ?? FRAMEPROOF_VERSION;
  if (!new RegExp(IMAGE_TAG_PATTERN).test(tag)) throw new Error(`"${tag}" is not an image tag`);
  const unknown = (options.only ?? []).filter((s) => !(SERVICE_NAMES as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new Error(`--only: no service ${unknown.join(', ')} (services: ${SERVICE_NAMES.join(', ')})`);
  const images = registryImages(options.registry, tag);
  const exists = options.exists ?? ((path: string) => existsSync(join(REPOSITORY_ROOT, path)));
  return SERVICE_NAMES.filter((s) => !options.only || options.only.includes(s)).map((service) => {
    const image = `${images[service].repository}:${images[service].tag}`;
    let commands: string[][];
    if (service === 'keycloak') {
      const official = `${KEYCLOAK_IMAGE.repository}:${KEYCLOAK_IMAGE.tag}`;
      commands = [
        ['pull', '--platform', IMAGE_PLATFORM, official],
        ['tag', official, image],
      ];
    } else {
      const dockerfile = dockerfilePath(service);
      if (!exists(dockerfile)) throw new Error(`${dockerfile} does not exist`);
      commands = [['build', '--platform', IMAGE_PLATFORM, '-f', dockerfile, '-t', image, '.']];
    }
    if (options.push) commands.push(['push', image]);
    return { service, image, commands };
  });
}
