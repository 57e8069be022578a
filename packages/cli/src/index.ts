export { Config, configDir, type Session } from './config.js';
export { CliError, explain } from './errors.js';
