// Builds the in-process decoder (decode.c) with node-gyp against the headers of the Node that runs
// this script: node-gyp cannot download headers here, so --nodedir is Node's own install prefix
// (`/usr` for Debian's Node, the folder above bin/ for any other).
//
// `--optional` (npm start): an addon newer than its sources is kept; a build that fails (no FFmpeg
// headers on a laptop) prints one line and exits 0, and the service decodes with the ffmpeg CLI.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const optional = process.argv.includes('--optional');
const addon = join(here, 'build', 'Release', 'decode.node');
const NEEDS =
  'pkg-config, a C compiler, make, python3 and the FFmpeg headers (Debian: apt-get install ' +
  'libavformat-dev libavcodec-dev libavutil-dev libswresample-dev pkg-config)';

function giveUp(why) {
  if (optional) {
    console.log(`analyze: in-process decoder not built (${why}); the programme pass uses the ffmpeg CLI`);
    process.exit(0);
  }
  console.error(`build:native: ${why}; it needs ${NEEDS}`);
  process.exit(1);
}

const mtime = (path) => statSync(path).mtimeMs;
if (
  optional &&
  existsSync(addon) &&
  ['decode.c', 'binding.gyp'].every((f) => mtime(join(here, f)) < mtime(addon))
) {
  process.exit(0);
}
const nodedir = dirname(dirname(process.execPath));
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h')))
  giveUp(`no Node headers under ${nodedir}/include/node`);
const gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
try {
  execFileSync(
    process.execPath,
    [gyp, 'rebuild', '--directory', here, `--nodedir=${nodedir}`, '--loglevel=warn'],
    // Quiet when optional: a failure is the one line below, not node-gyp's page.
    { stdio: optional ? 'pipe' : 'inherit' },
  );
} catch {
  giveUp(
    `node-gyp failed${optional ? `: run 'npm run build:native -w @frameproof/analyze' to see why` : ''}`,
  );
}
