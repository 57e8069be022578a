/**
 * Bundles the player (or a page that embeds it) for browsers with esbuild: one ES module,
 * minified, core's TypeScript read from source. esbuild because it is one fast binary with no
 * configuration to keep, and already in the tree through tsx.
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PLAYER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function bundle(entry: string, outfile: string, minify = true): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox128'],
    conditions: ['source'],
    minify,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle(join(PLAYER_DIR, 'src/index.ts'), join(PLAYER_DIR, 'dist/player.js'));
  console.log('dist/player.js');
}
