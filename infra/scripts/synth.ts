// npm run synth [-- --out DIR] [--registry REGISTRY] [--tag TAG]
// Writes the launch templates (vpc.yaml, main.yaml, nested/*.yaml) as plain CloudFormation YAML.
// With --registry (or FRAMEPROOF_IMAGE_REGISTRY), the image parameters default to the images
// `npm run images` pushed there; without, our services' image repositories are required parameters.
// Needs no AWS account: nothing is looked up, and cdk-nag fails the run on any unacknowledged finding.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createFrameproofApp } from '../lib/app.js';
import { imageRegistry } from '../lib/images.js';
import { launchTemplates, writeLaunchTemplates } from '../lib/launch-templates.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'dist/cloudformation' },
    registry: { type: 'string' },
    tag: { type: 'string' },
  },
});

const outDir = resolve(values.out);
const assembly = mkdtempSync(join(tmpdir(), 'frameproof-cdk-'));
try {
  const app = createFrameproofApp({
    outdir: assembly,
    imageRegistry: imageRegistry(values.registry, process.env),
    imageTag: values.tag,
  });
  rmSync(outDir, { recursive: true, force: true });
  for (const path of writeLaunchTemplates(launchTemplates(app), outDir)) {
    console.log(`wrote ${relative(process.cwd(), path)}`);
  }
} finally {
  rmSync(assembly, { recursive: true, force: true });
}
