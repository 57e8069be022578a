#!/usr/bin/env node
// `npx frameproof ...` from the repository: runs the TypeScript sources through tsx right after
// `npm ci` (no build needed), or the built files when they are there and the sources are not.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, '../src/main.ts');
const args = existsSync(source)
  ? ['--conditions=source', '--import', 'tsx', source]
  : [join(here, '../dist/src/main.js')];
const child = spawn(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
