export * from './csv.js';
export * from './markers-export.js';
export * from './markers-import.js';
export * from './subtitles.js';
