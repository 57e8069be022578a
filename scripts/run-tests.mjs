// Runs every test file with Node's test runner. Node 20 neither expands globs nor fails on zero
// files, so the files are listed here and an empty list is an error.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['packages', 'infra', 'tests', 'bench'];
// `--built`: `npm test` has just built every package (tsc -b), so the processes the end-to-end
// tests start may run the built files (tests/e2e/stack.ts, entryArgs) instead of the sources.
const built = process.argv.includes('--built');
const filter = process.argv.slice(2).filter((arg) => arg !== '--built');

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'cdk.out') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), path));
  }
  return out;
}

const files = roots
  .flatMap((root) => walk(root, []))
  .filter((file) => filter.length === 0 || filter.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files found' + (filter.length ? ` matching ${filter.join(' ')}` : ''));
  process.exit(1);
}
console.log(`run-tests: ${files.length} files`);
const result = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/slowest-files.mjs',
    '--test-reporter-destination=stdout',
    '--conditions=source',
    '--import',
    'tsx',
    ...files,
  ],
  { stdio: 'inherit', env: built ? { ...process.env, FRAMEPROOF_TEST_BUILT: '1' } : process.env },
);
process.exit(result.status ?? 1);
