// The kit of the services that run media tools (jobs, analyze): one way to find ffmpeg, one
// way to run it, one log shape.
export * from './ffmpeg-binary.js';
export * from './ffmpeg-runner.js';
export * from './logger.js';
