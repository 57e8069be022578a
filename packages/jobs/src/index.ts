export * from './bus.js';
export * from './config.js';
export * from './processors/index.js';
export * from './runner.js';
export * from './transcoder.js';
