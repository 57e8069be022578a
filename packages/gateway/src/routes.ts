/** The services behind the load balancer. */
export type Upstream = 'analyze' | 'adapter' | 'auth' | 'frontend';

/**
 * The ALB's path rules (`ROUTES` in infra/lib/constructs/load-balancer.ts), in priority order:
 * `/api/analyze` and below (1) to analyze, `/api` and below (2) to the adapter, `/auth` and below
 * (3) to the identity provider, everything else (4) to the frontend. A prefix takes itself and
 * the paths under it, never `/authors` for `/auth`. The gateway registers its proxies from this
 * table and `routeFor` reads it, so the two cannot drift apart.
 */
export const ALB_RULES: readonly {
  upstream: Exclude<Upstream, 'frontend'>;
  priority: number;
  prefix: string;
}[] = [
  { upstream: 'analyze', priority: 1, prefix: '/api/analyze' },
  { upstream: 'adapter', priority: 2, prefix: '/api' },
  { upstream: 'auth', priority: 3, prefix: '/auth' },
];

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

export function routeFor(path: string): Upstream {
  return ALB_RULES.find((rule) => under(path, rule.prefix))?.upstream ?? 'frontend';
}
