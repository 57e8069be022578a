// npm run images -- --registry REGISTRY [--tag TAG] [--push] [--only adapter,jobs] [--dry-run]
// Builds the images of adapter, jobs, analyze and frontend from the repository root, copies the
// official Keycloak image beside them, all for linux/amd64, and pushes the five with --push (after
// `docker login`; for ECR see the README). The registry may also come from FRAMEPROOF_IMAGE_REGISTRY.
// --dry-run prints the docker commands without running them (and needs no Docker).
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import {
  imagePlan,
  imageRegistry,
  IMAGE_REGISTRY_ENV,
  REPOSITORY_ROOT,
  type ImageStep,
} from '../lib/images.js';
import { FRAMEPROOF_VERSION } from '../lib/services.js';

const usage =
  'usage: npm run images -- --registry REGISTRY [--tag TAG] [--push] [--only SERVICES] [--dry-run]\n' +
  `  (or set ${IMAGE_REGISTRY_ENV}; e.g. 123456789012.dkr.ecr.eu-north-1.amazonaws.com/frameproof)`;

function fail(message: string, code = 2): never {
  console.error(`npm run images: ${message}`);
  process.exit(code);
}

let plan: { dryRun: boolean; steps: ImageStep[] };
try {
  const { values } = parseArgs({
    options: {
      registry: { type: 'string' },
      tag: { type: 'string', default: FRAMEPROOF_VERSION },
      push: { type: 'boolean', default: false },
      only: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const registry = imageRegistry(values.registry, process.env);
  if (!registry) fail(`no registry given\n${usage}`);
  plan = {
    dryRun: values['dry-run'],
    steps: imagePlan({
      registry,
      tag: values.tag,
      push: values.push,
      only: values.only?.split(',').map((s) => s.trim()),
    }),
  };
} catch (err) {
  fail(`${(err as Error).message}\n${usage}`);
}

if (!plan.dryRun && spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0)
  fail('Docker is not available here (`docker info` failed); --dry-run shows what would run.', 1);

for (const step of plan.steps) {
  for (const args of step.commands) {
    console.log(`$ docker ${args.join(' ')}`);
    if (plan.dryRun) continue;
    const result = spawnSync('docker', args, { cwd: REPOSITORY_ROOT, stdio: 'inherit' });
    if (result.status !== 0) fail(`docker ${args[0]} failed for ${step.service}`, result.status ?? 1);
  }
}
console.log(`\nimages: ${plan.steps.map((s) => s.image).join(' ')}`);
