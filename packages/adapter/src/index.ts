export { buildApp } from './app.js';
export { createContext, type AppContext } from './context.js';
export { readConfig, type AdapterConfig } from './config.js';
export { BusServer } from './bus-server.js';
export { openPglite, openPostgres, type Database } from './db/database.js';
