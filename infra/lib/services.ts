/** The services, their ports and sizes, and the names they find each other by. */

/** Keep in step with infra/package.json; a test checks it. */
export const FRAMEPROOF_VERSION = '0.1.0';

export const SERVICE_NAMES = ['adapter', 'jobs', 'analyze', 'frontend', 'keycloak'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** `adapter` -> `Adapter`, for construct ids and labels. */
export function title(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Services that scale out on their own (see the service stacks). */
export const AUTOSCALED_SERVICES = ['adapter', 'jobs', 'analyze'] as const satisfies readonly ServiceName[];

export const PORTS = {
  /** adapter, analyze and Keycloak serve HTTP here. */
  http: 8080,
  frontend: 80,
  /** The adapter-jobs event bus listens here; `busAlternate` and the range are kept open as in the reference. */
  bus: 5701,
  busAlternate: 5699,
  busRange: { from: 5699, to: 5702 },
  postgres: 5432,
  /** Keycloak's management interface (health), reached only from inside its task. */
  keycloakManagement: 9000,
} as const;

/** Fargate size of each service: vCPU units, MiB, and task counts (the reference's sizes). */
export interface ServiceSize {
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly desiredCount: number;
  /** Upper bound for autoscaling. */
  readonly maxCount?: number;
}

export const SERVICE_SIZES: Record<ServiceName, ServiceSize> = {
  adapter: { cpu: 512, memoryMiB: 1024, desiredCount: 1, maxCount: 4 },
  jobs: { cpu: 512, memoryMiB: 1024, desiredCount: 1, maxCount: 8 },
  analyze: { cpu: 512, memoryMiB: 1024, desiredCount: 1, maxCount: 4 },
  frontend: { cpu: 256, memoryMiB: 512, desiredCount: 1 },
  keycloak: { cpu: 512, memoryMiB: 1024, desiredCount: 1 },
};

/** Keycloak's official image: the template's default, and what `npm run images` copies into a registry. */
export const KEYCLOAK_IMAGE = { repository: 'quay.io/keycloak/keycloak', tag: '26.4' } as const;

export const SERVICE_DISCOVERY = {
  adapter: 'av-adapter',
  jobs: 'av-jobs',
  analyze: 'av-analyze',
  ttlSeconds: 60,
} as const;

/**
 * The private DNS namespace of one deployment, named after its application tag, so that two
 * deployments (tags unique in the account and region) can share a VPC.
 */
export function discoveryNamespace(applicationTag: string): string {
  return `${applicationTag}.local`;
}

/** How jobs and analyze (and only they: see the security groups) reach the adapter inside the VPC. */
export function adapterPrivateUrl(applicationTag: string): string {
  return `http://${SERVICE_DISCOVERY.adapter}.${discoveryNamespace(applicationTag)}:${PORTS.http}`;
}

/** How jobs (Auto QC reads each audio track's loudness and silence) reach analyze inside the VPC. */
export function analyzePrivateUrl(applicationTag: string): string {
  return `http://${SERVICE_DISCOVERY.analyze}.${discoveryNamespace(applicationTag)}:${PORTS.http}`;
}

/**
 * The metrics the adapter publishes (per application tag) and jobs scale on: jobs waiting for a
 * worker, and jobs a worker runs (the adapter's QUEUE_METRIC_NAMES).
 */
export const QUEUE_METRICS = {
  namespace: 'Frameproof',
  queued: 'QueuedJobs',
  running: 'RunningJobs',
} as const;

/** Media objects live under this prefix of the media bucket; policies are scoped to it. */
export const MEDIA_PREFIX = 'media';
/** Frontend settings in the configuration bucket, and the file whose changes redeploy the frontend. */
export const FRONTEND_CONFIG_PREFIX = 'frontend';
export const FRONTEND_SETTINGS_KEY = `${FRONTEND_CONFIG_PREFIX}/settings.js`;
/** Backend settings in the configuration bucket (`backend/settings.json`, read by the adapter at start). */
export const BACKEND_CONFIG_PREFIX = 'backend';

export const DATABASES = {
  adapter: { databaseName: 'accurate_video', username: 'frameproof' },
  keycloak: { databaseName: 'keycloak', username: 'keycloak' },
} as const;

/** The jobs service account ("auth runner") the adapter accepts. */
export const RUNNER_USERNAME = 'runner';
