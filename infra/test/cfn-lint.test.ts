// cfn-lint (AWS's CloudFormation linter, a Python tool: `pip install cfn-lint`) on every template
// `npm run synth` writes and on the main template as `publish-templates` uploads it. Where it is
// not installed the test is skipped, saying so; CI sets FRAMEPROOF_REQUIRE_CFN_LINT=1 and fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  launchTemplates,
  MAIN_TEMPLATE,
  toYaml,
  withTemplateLocation,
  writeLaunchTemplates,
  type CfnTemplate,
} from '../lib/launch-templates.js';
import { synthesize } from './support.js';

/** Each rule the templates do not pass, and why that is right. Nothing else may be reported. */
const IGNORED_RULES: Record<string, string> = {
  W3005:
    'Redundant DependsOn: CDK adds explicit dependencies where a Ref or GetAtt already orders the ' +
    'resources (the service stacks on the infrastructure stack, whose outputs they take; a Lambda ' +
    'function on its role; the bucket notifications on their topic). Harmless, and not ours to remove.',
  W3691:
    'EngineVersion "17" asks RDS for the current minor version of PostgreSQL 17 when the database is ' +
    'created, so the template never names a minor version that RDS later withdraws; cfn-lint lists a ' +
    'bare major version among the deprecated ones.',
};

interface Finding {
  Rule: { Id: string };
  Filename: string;
  Message: string;
  Location: { Start: { LineNumber: number } };
}

const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const installed = cfnLint.status === 0;
const required = process.env.FRAMEPROOF_REQUIRE_CFN_LINT === '1';
const skip = installed || required ? false : 'cfn-lint is not installed here (pip install cfn-lint)';

describe(`cfn-lint ${installed ? cfnLint.stdout.trim() : '(absent)'}`, { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'frameproof-cfn-lint-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let findings: Finding[] = [];
  let files: string[] = [];

  it('runs here', () => {
    assert.ok(installed, 'FRAMEPROOF_REQUIRE_CFN_LINT=1 but cfn-lint is not installed');
    const templates = launchTemplates(synthesize());
    files = writeLaunchTemplates(templates, join(dir, 'synth'));
    const main = templates.find((t) => t.key === MAIN_TEMPLATE)?.template as CfnTemplate;
    const published = join(dir, 'published-main.yaml');
    writeFileSync(
      published,
      toYaml(
        withTemplateLocation(main, { bucket: 'frameproof-templates', prefix: 'v1/', region: 'eu-north-1' }),
      ),
    );
    // A template with a mistake, so a silent linter cannot pass for a clean one.
    const broken = join(dir, 'broken.yaml');
    writeFileSync(
      broken,
      toYaml({
        Parameters: { Size: { Type: 'String', Default: 'large', AllowedValues: ['small', 'medium'] } },
        Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
      }),
    );
    files.push(published, broken);
    const result = spawnSync('cfn-lint', ['--format', 'json', '--', ...files], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.ok(result.stdout.trim().startsWith('['), `cfn-lint said: ${result.stdout}${result.stderr}`);
    findings = JSON.parse(result.stdout) as Finding[];
    assert.equal(files.length, 11, 'vpc, main, seven nested, the published main and the broken one');
  });

  it('finds the mistake in a broken template', () => {
    const broken = findings.filter((f) => f.Filename.endsWith('broken.yaml')).map((f) => f.Rule.Id);
    assert.deepEqual(broken.sort(), ['E2015', 'W2001'], 'default not allowed; parameter not used');
  });

  it('passes every template, but for the rules ignored with a reason', () => {
    const ours = findings.filter((f) => !f.Filename.endsWith('broken.yaml'));
    const unexplained = ours
      .filter((f) => !(f.Rule.Id in IGNORED_RULES))
      .map((f) => `${relative(dir, f.Filename)}:${f.Location.Start.LineNumber} ${f.Rule.Id} ${f.Message}`);
    assert.deepEqual(unexplained, []);
  });

  it('ignores only rules the templates still break', () => {
    const reported = new Set(findings.map((f) => f.Rule.Id));
    for (const [rule, reason] of Object.entries(IGNORED_RULES)) {
      assert.ok(reported.has(rule), `${rule} no longer fires: take it off the list`);
      assert.ok(reason.length > 80, `${rule}: say why`);
    }
  });
});
