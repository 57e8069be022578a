export * from './bus.js';
export * from './config.js';
export * from './ffmpeg-binary.js';
export * from './ffmpeg-runner.js';
export * from './logger.js';
export * from './processors/index.js';
export * from './runner.js';
export * from './transcoder.js';
