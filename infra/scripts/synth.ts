// npm run synth [-- --out DIR] [--registry REGISTRY] [--tag TAG]
// Writes the launch templates (vpc.yaml, main.yaml, nested/*.yaml) as plain CloudFormation YAML.
// Needs no AWS account: nothing is looked up, and cdk-nag fails the run on any unacknowledged finding.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createFrameproofApp } from '../lib/app.js';
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
  const app = createFrameproofApp({ outdir: assembly, imageRegistry: values.registry, imageTag: values.tag });
  rmSync(outDir, { recursive: true, force: true });
  for (const path of writeLaunchTemplates(launchTemplates(app), outDir)) {
    console.log(`wrote ${relative(process.cwd(), path)}`);
  }
} finally {
  rmSync(assembly, { recursive: true, force: true });
}
