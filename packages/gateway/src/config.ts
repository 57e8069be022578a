import { envNumber, type Env } from '@frameproof/core';

/** The gateway's own settings, from the environment (`main.ts` and `start.ts` read the same). */
export interface GatewaySettings {
  /** Where it listens (8080; 0: any free port). */
  port: number;
  /** How often each target's health is checked: the ALB's `HealthCheckIntervalSeconds`. */
  healthIntervalMs: number;
}

/** Reads the gateway's settings; a value set but wrong is a `ConfigError` naming it. */
export function readGatewaySettings(env: Env): GatewaySettings {
  // The ALB takes 5 to 300 s; shorter is allowed here, for a machine (or a test) that wants a
  // target out sooner than an ALB would take it out.
  const seconds = envNumber(env, 'HEALTH_CHECK_INTERVAL_SECONDS', 1, { min: 0.1, max: 300 });
  return {
    port: envNumber(env, 'PORT', 8080, { min: 0, max: 65535, integer: true }),
    healthIntervalMs: Math.round(seconds * 1000),
  };
}
