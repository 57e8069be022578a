// npm run images [-- --registry REGISTRY] [--tag TAG] [--push] [--only adapter,jobs]
// Builds the container image of each service that has a Dockerfile, from the repository root, and
// pushes them with --push (after `docker login`; for ECR see the README). Needs Docker.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_IMAGE_REGISTRY, FRAMEPROOF_VERSION } from '../lib/services.js';
import { imageBuilds, REPOSITORY_ROOT } from '../lib/images.js';

const { values } = parseArgs({
  options: {
    registry: { type: 'string', default: DEFAULT_IMAGE_REGISTRY },
    tag: { type: 'string', default: FRAMEPROOF_VERSION },
    push: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});

function docker(args: string[]): void {
  console.log(`$ docker ${args.join(' ')}`);
  const result = spawnSync('docker', args, { cwd: REPOSITORY_ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) {
  console.error('npm run images: Docker is not available here (`docker info` failed).');
  process.exit(1);
}

const only = values.only?.split(',').map((s) => s.trim());
const builds = imageBuilds({ registry: values.registry, tag: values.tag, exists: existsSync }).filter(
  (b) => !only || only.includes(b.service),
);
for (const build of builds) {
  docker(['build', '-f', build.dockerfile, '-t', build.image, '.']);
  if (values.push) docker(['push', build.image]);
}
