/**
 * `npm run bench -- <name>`: runs `bench/<name>.ts`'s `run()` and writes what it returns, with the
 * machine and the date, to `bench/results/<name>.json`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
if (!name || !/^[\w-]+$/.test(name)) {
  console.error('usage: npm run bench -- <name>   (runs bench/<name>.ts)');
  process.exit(2);
}
const mod = (await import(`./${name}.ts`)) as { run: () => Promise<Record<string, unknown>> };
const result = {
  name,
  date: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
  },
  ...(await mod.run()),
};
await mkdir(join(here, 'results'), { recursive: true });
await writeFile(join(here, 'results', `${name}.json`), JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
