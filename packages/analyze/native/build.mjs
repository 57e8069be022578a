// Builds the in-process decoder (decode.c) with node-gyp against the headers of the Node that runs
// this script: node-gyp cannot download headers here, so --nodedir is Node's own install prefix
// (`/usr` for Debian's Node, the folder above bin/ for any other).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const nodedir = dirname(dirname(process.execPath));
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(`build:native: no Node headers under ${nodedir}/include/node (install Node's headers)`);
  process.exit(1);
}
const gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
try {
  execFileSync(
    process.execPath,
    [gyp, 'rebuild', '--directory', here, `--nodedir=${nodedir}`, '--loglevel=warn'],
    {
      stdio: 'inherit',
    },
  );
} catch {
  console.error(
    'build:native: failed; it needs pkg-config, a C compiler, make, python3 and the FFmpeg headers ' +
      '(Debian: apt-get install libavformat-dev libavcodec-dev libavutil-dev libswresample-dev pkg-config)',
  );
  process.exit(1);
}
