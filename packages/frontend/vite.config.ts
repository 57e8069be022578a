import { defineConfig } from 'vite';

// Preact's JSX through the bundler's own transform: no Babel plugin needed.
export default defineConfig({
  root: import.meta.dirname,
  resolve: { conditions: ['source', 'browser', 'module', 'import', 'default'] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    // Under dist/src with the compiled server, so the image copies one folder of built code.
    outDir: 'dist/src/public',
    emptyOutDir: true,
    assetsDir: 'static',
    target: 'es2022',
    // Maps for whoever holds the build (to read a stack trace), referenced by no file: the
    // server does not serve them (FRONTEND_SOURCE_MAPS) and the image carries none.
    sourcemap: 'hidden',
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } } },
});
