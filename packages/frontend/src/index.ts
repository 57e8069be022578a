export { buildStaticServer, HASHED_DIR, type StaticServerOptions } from './server.js';
export {
  contentSecurityPolicy,
  issuerOf,
  loadConfig,
  parseSettingsJs,
  sourceMapsServed,
  type FrontendSettings,
  type LoadedConfig,
} from './settings.js';
