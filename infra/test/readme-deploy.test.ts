// The README's "Deploy to AWS" commands of this package, run as written (from infra/), with only
// what keeps them off AWS and Docker appended: --dry-run for the images, a scratch folder for the
// templates, and --out/--region for publishing. The aws CLI lines need an account: not run here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fromYaml } from '../lib/launch-templates.js';
import { KEYCLOAK_IMAGE } from '../lib/services.js';
import { REPOSITORY_ROOT } from '../lib/images.js';

const readme = readFileSync(join(REPOSITORY_ROOT, 'README.md'), 'utf8');
const section = readme.slice(
  readme.indexOf('## Deploy to AWS'),
  readme.indexOf('\n## ', readme.indexOf('## Deploy to AWS') + 1),
);
const shown = [...section.matchAll(/^\s*(npm run (images|synth|publish-templates)\b.*)$/gm)].map((m) => ({
  script: m[2] as string,
  line: (m[1] as string).trim(),
}));

const REGISTRY = '123456789012.dkr.ecr.eu-north-1.amazonaws.com/frameproof';
const scratch = mkdtempSync(join(tmpdir(), 'frameproof-readme-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const appended: Record<string, string> = {
  images: '--dry-run',
  synth: `--out ${join(scratch, 'synth')}`,
  'publish-templates': `--dir ${join(scratch, 'synth')} --out ${join(scratch, 'bucket')} --region eu-north-1`,
};

function run(line: string): string {
  const result = spawnSync('bash', ['-c', line], {
    cwd: join(REPOSITORY_ROOT, 'infra'),
    env: { ...process.env, FRAMEPROOF_IMAGE_REGISTRY: REGISTRY, AWS_REGION: 'eu-north-1' },
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, `${line}\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

describe('README: Deploy to AWS', () => {
  it('shows the images, synth and publish-templates commands, in that order', () => {
    assert.deepEqual(
      shown.map((c) => c.script),
      ['images', 'synth', 'publish-templates'],
    );
  });

  const outputs: Record<string, string> = {};
  for (const { script, line } of shown) {
    it(`runs: ${line}`, () => {
      outputs[script] = run(`${line} ${appended[script] ?? ''}`);
    });
  }

  it('pushed the five images the synthesized template defaults to', () => {
    const pushed = [...(outputs.images ?? '').matchAll(/^\$ docker push (\S+)$/gm)].map((m) => m[1]);
    assert.equal(pushed.length, 5);
    const main = fromYaml(readFileSync(join(scratch, 'bucket', 'v0.1.0', 'main.yaml'), 'utf8'));
    for (const service of ['Adapter', 'Jobs', 'Analyze', 'Frontend', 'Keycloak']) {
      const image = `${String(main.Parameters?.[`${service}ImageRepository`]?.Default)}:${String(main.Parameters?.[`${service}ImageTag`]?.Default)}`;
      assert.ok(pushed.includes(image), `${service}: ${image} in ${pushed.join(' ')}`);
    }
    assert.ok(pushed.includes(`${REGISTRY}/keycloak:${KEYCLOAK_IMAGE.tag}`));
  });

  it('published templates that find their nested templates, and printed the launch links', () => {
    const main = fromYaml(readFileSync(join(scratch, 'bucket', 'v0.1.0', 'main.yaml'), 'utf8'));
    assert.equal(main.Parameters?.TemplatesBucketName?.Default, 'BUCKET');
    assert.equal(main.Parameters?.TemplatesKeyPrefix?.Default, 'v0.1.0/');
    assert.equal(main.Parameters?.TemplatesBucketRegion?.Default, 'eu-north-1');
    assert.ok(readFileSync(join(scratch, 'bucket', 'v0.1.0', 'nested', 'jobs.yaml'), 'utf8').length > 0);
    assert.match(
      outputs['publish-templates'] ?? '',
      /quickcreate\?templateURL=https%3A%2F%2FBUCKET\.s3\.eu-north-1\.amazonaws\.com%2Fv0\.1\.0%2Fmain\.yaml&stackName=Frameproof/,
    );
  });

  it('names the outputs and parameters the steps after the launch use', () => {
    for (const name of [
      'KeycloakAdminSecretArn',
      'AdminSecretArn',
      'VpcId',
      'PrivateSubnetIds',
      'PublicSubnetIds',
    ])
      assert.match(section, new RegExp(`\\b${name}\\b`));
    const main = fromYaml(readFileSync(join(scratch, 'bucket', 'v0.1.0', 'main.yaml'), 'utf8'));
    assert.ok(main.Outputs?.KeycloakAdminSecretArn && main.Outputs.AdminSecretArn);
    assert.equal(main.Parameters?.LocalSignIn?.Default, 'off');
  });
});
