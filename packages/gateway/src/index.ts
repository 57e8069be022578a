export { buildGateway, type Upstreams } from './server.js';
export { ALB_RULES, routeFor, type Upstream } from './routes.js';
export { readGatewaySettings, type GatewaySettings } from './config.js';
