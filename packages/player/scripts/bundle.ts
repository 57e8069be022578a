/**
 * Bundles the player (or a page that embeds it) for browsers with esbuild: ES modules,
 * minified, core's TypeScript read from source. esbuild because it is one fast binary with no
 * configuration to keep, and already in the tree through tsx. Code the player loads with a
 * dynamic import (the WebCodecs frame source and mediabunny) goes to chunks of its own beside
 * the entry file, fetched only when used.
 */
import { build, type Metafile } from 'esbuild';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PLAYER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface BundleFiles {
  /** The entry file and the chunks it imports statically: what a page loads first. */
  initial: string[];
  /** Chunks loaded with a dynamic import, when the player needs them. */
  lazy: string[];
}

/** Writes `outfile` (and its chunks beside it); returns which files load first and which later. */
export async function bundle(entry: string, outfile: string, minify = true): Promise<BundleFiles> {
  const result = await build({
    entryPoints: [entry],
    outdir: dirname(outfile),
    entryNames: basename(outfile, '.js'),
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox128'],
    conditions: ['source'],
    minify,
    sourcemap: true,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return loadOrder(result.metafile, resolve(outfile));
}

/** Splits a bundle's JavaScript outputs into those `entry` imports statically and the rest. */
export function loadOrder(metafile: Metafile, entry: string): BundleFiles {
  const outputs = new Map(Object.entries(metafile.outputs).map(([path, out]) => [resolve(path), out]));
  const initial: string[] = [];
  const visit = (path: string): void => {
    if (initial.includes(path)) return;
    const out = outputs.get(path);
    if (!out) throw new Error(`esbuild wrote no ${path}`);
    initial.push(path);
    for (const i of out.imports) if (i.kind === 'import-statement' && !i.external) visit(resolve(i.path));
  };
  visit(entry);
  const lazy = [...outputs.keys()].filter((p) => p.endsWith('.js') && !initial.includes(p));
  return { initial, lazy };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await bundle(join(PLAYER_DIR, 'src/index.ts'), join(PLAYER_DIR, 'dist/player.js'));
  for (const f of [...files.initial, ...files.lazy]) console.log(basename(f));
}
