/** The services behind the load balancer, in the order the ALB's listener rules try them. */
export type Upstream = 'analyze' | 'adapter' | 'auth' | 'frontend';

/**
 * The ALB's path rules (FACTS.md): `/api/analyze/*` (priority 1) to analyze, `/api/*` (2) to
 * the adapter, `/auth*` (3) to the identity provider, everything else (4) to the frontend.
 */
export const ALB_RULES: readonly {
  upstream: Exclude<Upstream, 'frontend'>;
  priority: number;
  matches: (path: string) => boolean;
}[] = [
  { upstream: 'analyze', priority: 1, matches: (p) => p.startsWith('/api/analyze/') },
  { upstream: 'adapter', priority: 2, matches: (p) => p.startsWith('/api/') },
  { upstream: 'auth', priority: 3, matches: (p) => p.startsWith('/auth') },
];

export function routeFor(path: string): Upstream {
  return ALB_RULES.find((rule) => rule.matches(path))?.upstream ?? 'frontend';
}
