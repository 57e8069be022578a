// ffmpeg and ffprobe without running them: argument builders and output parsers. The jobs
// service runs the commands; everything here is pure and unit-tested with exact arrays.
export * from './capabilities.js';
export * from './errors.js';
export * from './input.js';
export * from './limits.js';
export * from './probe.js';
export * from './progress.js';
export * from './proxy.js';
export * from './qc.js';
export * from './thumbnails.js';
export * from './subtitles.js';
export * from './sniff.js';
