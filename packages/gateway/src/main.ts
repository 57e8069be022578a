import { readGatewaySettings } from './config.js';
import { buildGateway, type Upstreams } from './server.js';

/**
 * The gateway alone, in front of services running elsewhere (several adapters, say): PORT and
 * HOST as every service; ADAPTER_URLS (comma-separated), ANALYZE_URL, FRONTEND_URL and
 * OIDC_ISSUER_ORIGIN name the targets; HEALTH_CHECK_INTERVAL_SECONDS how often their health is
 * checked. SIGTERM: no new connections, in-flight requests finish,
 * exit 0.
 */
const env = process.env;
const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
let settings: ReturnType<typeof readGatewaySettings>;
try {
  settings = readGatewaySettings(env);
} catch (err) {
  console.error(`gateway: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
const adapters = list(env.ADAPTER_URLS);
if (adapters.length === 0) {
  console.error('gateway: set ADAPTER_URLS to the adapters to balance over (comma-separated)');
  process.exit(2);
}
const upstreams: Upstreams = {
  adapter: adapters,
  ...(env.ANALYZE_URL ? { analyze: list(env.ANALYZE_URL) } : {}),
  ...(env.FRONTEND_URL ? { frontend: list(env.FRONTEND_URL) } : {}),
  ...(env.OIDC_ISSUER_ORIGIN ? { auth: env.OIDC_ISSUER_ORIGIN } : {}),
};
const gateway = await buildGateway(upstreams, { healthIntervalMs: settings.healthIntervalMs });
await gateway.listen({ port: settings.port, host: env.HOST ?? '127.0.0.1' });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void gateway.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
