import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { App, NestedStack, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { isAlias, parse, parseDocument, visit } from 'yaml';
import { LaunchTemplateSynthesizer } from '../lib/launch-synthesizer.js';
import {
  fromYaml,
  launchTemplates,
  launchUrl,
  MAIN_TEMPLATE,
  normalizePrefix,
  templateUrl,
  toYaml,
  VPC_TEMPLATE,
  withTemplateLocation,
  writeLaunchTemplates,
  type CfnTemplate,
} from '../lib/launch-templates.js';
import { synthesize } from './support.js';

// Given the launch templates, synthesized once as `npm run synth` does: with CDK's CloudFormation
// validation (schemas, intrinsics, references across the nested templates), whose errors throw
const synthesized = synthesize({ validateTemplates: true });
const templates = launchTemplates(synthesized);
const outDir = mkdtempSync(join(tmpdir(), 'frameproof-templates-'));
const written = writeLaunchTemplates(templates, outDir);
after(() => rmSync(outDir, { recursive: true, force: true }));
const files = Object.fromEntries(templates.map((t, i) => [t.key, readFileSync(written[i] ?? '', 'utf8')]));
const parsed = Object.fromEntries(
  Object.entries(files).map(([key, text]) => [key, fromYaml(text)]),
) as Record<string, CfnTemplate>;

const PSEUDO = [
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
];

/** Every reference in a template to a parameter, resource, mapping or condition that is not there. */
function danglingReferences(template: CfnTemplate): string[] {
  const resources = new Set(Object.keys(template.Resources));
  const names = new Set([...PSEUDO, ...Object.keys(template.Parameters ?? {}), ...resources]);
  const conditions = new Set(Object.keys((template.Conditions as object | undefined) ?? {}));
  const mappings = new Set(Object.keys((template.Mappings as object | undefined) ?? {}));
  const problems: string[] = [];
  const walk = (value: unknown, where: string): void => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${where}[${i}]`));
    if (!value || typeof value !== 'object') return;
    const o = value as Record<string, unknown>;
    if (typeof o.Ref === 'string' && !names.has(o.Ref)) problems.push(`${where}: Ref ${o.Ref}`);
    const getAtt = o['Fn::GetAtt'];
    const getAttTarget = Array.isArray(getAtt)
      ? getAtt[0]
      : typeof getAtt === 'string'
        ? getAtt.split('.')[0]
        : undefined;
    if (getAttTarget !== undefined && !resources.has(getAttTarget as string))
      problems.push(`${where}: GetAtt ${String(getAttTarget)}`);
    const sub = o['Fn::Sub'];
    if (sub !== undefined) {
      const [text, variables] = (Array.isArray(sub) ? sub : [sub, {}]) as [string, Record<string, unknown>];
      for (const [, name] of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const target = name?.includes('::') ? name : name?.split('.')[0];
        if (target && !(target in variables) && !names.has(target))
          problems.push(`${where}: Sub \${${name}}`);
      }
    }
    const map = o['Fn::FindInMap'];
    if (Array.isArray(map) && typeof map[0] === 'string' && !mappings.has(map[0]))
      problems.push(`${where}: FindInMap ${map[0]}`);
    const condition =
      (o['Fn::If'] as unknown[] | undefined)?.[0] ?? (where.includes('Conditions') ? o.Condition : undefined);
    if (typeof condition === 'string' && !conditions.has(condition))
      problems.push(`${where}: condition ${condition}`);
    for (const [key, v] of Object.entries(o)) walk(v, `${where}.${key}`);
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    walk(resource.Properties, `Resources.${id}`);
    for (const dependency of [resource.DependsOn ?? []].flat() as string[]) {
      if (!resources.has(dependency)) problems.push(`Resources.${id}: DependsOn ${dependency}`);
    }
    if (typeof resource.Condition === 'string' && !conditions.has(resource.Condition))
      problems.push(`Resources.${id}: Condition`);
  }
  walk(template.Outputs, 'Outputs');
  walk(template.Conditions, 'Conditions');
  return problems;
}

describe('launch templates', () => {
  it('pass CDK’s CloudFormation validation without a warning', () => {
    // An error would have thrown above; warnings and acknowledged findings would be in the report.
    const report = JSON.parse(
      readFileSync(join(synthesized.app.outdir, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: unknown[];
    };
    assert.deepEqual(report.pluginReports, []);
  });

  it('are vpc.yaml, main.yaml and one nested template per nested stack', () => {
    assert.deepEqual(Object.keys(files).sort(), [
      MAIN_TEMPLATE,
      'nested/adapter.yaml',
      'nested/analyze.yaml',
      'nested/frontend.yaml',
      'nested/infrastructure.yaml',
      'nested/jobs.yaml',
      'nested/keycloak.yaml',
      'nested/settings.yaml',
      VPC_TEMPLATE,
    ]);
    assert.deepEqual(readdirSync(outDir).sort(), [MAIN_TEMPLATE, 'nested', VPC_TEMPLATE]);
  });

  it('parse back to what was synthesized, with a YAML 1.1 or 1.2 reader, without aliases', () => {
    for (const { key, template } of templates) {
      assert.deepEqual(parsed[key], template, key);
      assert.deepEqual(parse(files[key] ?? ''), template, `${key} (YAML 1.2)`);
      visit(parseDocument(files[key] ?? ''), (_, node) => assert.ok(!isAlias(node), `${key}: alias`));
      assert.equal(parsed[key]?.AWSTemplateFormatVersion, '2010-09-09');
    }
  });

  it('stay under the CloudFormation limits', () => {
    for (const [key, text] of Object.entries(files)) {
      const template = parsed[key] as CfnTemplate;
      assert.ok(
        Buffer.byteLength(text) < 1_000_000,
        `${key}: ${Buffer.byteLength(text)} bytes (S3 limit 1 MB)`,
      );
      assert.ok(Object.keys(template.Resources).length <= 500, `${key}: resources`);
      assert.ok(Object.keys(template.Parameters ?? {}).length <= 200, `${key}: parameters`);
      assert.ok(Object.keys(template.Outputs ?? {}).length <= 200, `${key}: outputs`);
    }
    assert.ok(Buffer.byteLength(files[VPC_TEMPLATE] ?? '') < 51_200, 'vpc.yaml also fits --template-body');
  });

  it('reference only parameters, resources, mappings and conditions that exist', () => {
    for (const [key, template] of Object.entries(parsed))
      assert.deepEqual(danglingReferences(template), [], key);
  });

  it('(that check finds what is missing)', () => {
    const broken: CfnTemplate = {
      Parameters: { Here: { Type: 'String' } },
      Resources: {
        A: {
          Type: 'AWS::SNS::Topic',
          DependsOn: ['C'],
          Properties: {
            P: { Ref: 'Nope' },
            Q: { 'Fn::GetAtt': ['B', 'Arn'] },
            S: { 'Fn::Sub': '${Gone}-${Here}-${AWS::Region}-${!Literal}' },
            T: { 'Fn::If': ['NoSuchCondition', 1, 2] },
          },
        },
      },
    };
    assert.deepEqual(danglingReferences(broken).sort(), [
      'Resources.A.P: Ref Nope',
      'Resources.A.Q: GetAtt B',
      'Resources.A.S: Sub ${Gone}',
      'Resources.A.T: condition NoSuchCondition',
      'Resources.A: DependsOn C',
    ]);
  });

  it('pass every nested stack the parameters it declares, and read only outputs it has', () => {
    const main = parsed[MAIN_TEMPLATE] as CfnTemplate;
    const nestedByResource = new Map<string, CfnTemplate>();
    for (const [id, resource] of Object.entries(main.Resources)) {
      if (resource.Type !== 'AWS::CloudFormation::Stack') continue;
      const url = JSON.stringify(resource.Properties?.TemplateURL);
      const key = /"(nested\/[a-z]+\.yaml)"/.exec(url)?.[1] ?? '';
      const nested = parsed[key];
      assert.ok(nested, `${id}: ${url}`);
      nestedByResource.set(id, nested);
      const passed = Object.keys((resource.Properties?.Parameters as object | undefined) ?? {}).sort();
      const declared = Object.entries(nested.Parameters ?? {});
      assert.deepEqual(
        passed.filter((p) => !nested.Parameters?.[p]),
        [],
        `${key}: passed but not declared`,
      );
      const required = declared.filter(([, p]) => p.Default === undefined).map(([name]) => name);
      assert.deepEqual(
        required.filter((p) => !passed.includes(p)),
        [],
        `${key}: declared but not passed`,
      );
    }
    assert.equal(nestedByResource.size, 7);
    for (const [, target, attribute] of JSON.stringify(main).matchAll(
      /"Fn::GetAtt":\["(\w+)","Outputs\.(\w+)"\]/g,
    )) {
      assert.ok(
        nestedByResource.get(target ?? '')?.Outputs?.[attribute ?? ''],
        `${target}.Outputs.${attribute}`,
      );
    }
  });

  it('find the nested templates through the templates-bucket parameters', () => {
    const main = parsed[MAIN_TEMPLATE] as CfnTemplate;
    const stacks = Object.values(main.Resources).filter((r) => r.Type === 'AWS::CloudFormation::Stack');
    for (const stack of stacks) {
      const [, parts] = (stack.Properties?.TemplateURL as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      assert.deepEqual(parts.slice(0, 8), [
        'https://',
        { Ref: 'TemplatesBucketName' },
        '.s3.',
        { Ref: 'TemplatesBucketRegion' },
        '.',
        { Ref: 'AWS::URLSuffix' },
        '/',
        { Ref: 'TemplatesKeyPrefix' },
      ]);
    }
  });

  it('carry no assets and need no CDK bootstrap', () => {
    for (const [key, text] of Object.entries(files)) {
      assert.doesNotMatch(
        text,
        /cdk-hnb659fds|aws:asset:|AssetParameters|BootstrapVersion|CDKMetadata|aws:cdk:path/,
        key,
      );
      const template = parsed[key] as CfnTemplate;
      assert.equal(
        (template.Rules as Record<string, unknown> | undefined)?.CheckBootstrapVersion,
        undefined,
        `${key}: no bootstrap version rule`,
      );
      for (const [id, resource] of Object.entries(template.Resources)) {
        if (resource.Type === 'AWS::Lambda::Function') {
          assert.equal(
            typeof (resource.Properties?.Code as { ZipFile?: unknown }).ZipFile,
            'string',
            `${key} ${id}: inline code`,
          );
        }
      }
    }
  });
});

describe('the launch-template synthesizer', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'frameproof-asset-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  writeFileSync(join(scratch, 'index.js'), 'exports.handler = async () => {};');
  writeFileSync(join(scratch, 'Dockerfile'), 'FROM scratch');
  const stack = (): Stack => new Stack(new App(), 'Launch', { synthesizer: new LaunchTemplateSynthesizer() });

  it('refuses code from a folder', () => {
    assert.throws(
      () =>
        new lambda.Function(stack(), 'Fn', {
          runtime: lambda.Runtime.NODEJS_24_X,
          handler: 'index.handler',
          code: lambda.Code.fromAsset(scratch),
        }),
      /cannot carry file assets/,
    );
  });

  it('refuses images built from a Dockerfile', () => {
    const task = new ecs.FargateTaskDefinition(stack(), 'Task');
    assert.throws(
      () => task.addContainer('c', { image: ecs.ContainerImage.fromAsset(scratch) }),
      /cannot build Docker images/,
    );
  });

  it('refuses nested stacks when it does not know where their templates go', () => {
    const parent = stack();
    new NestedStack(parent, 'Nested');
    assert.throws(
      () => parent.node.root instanceof App && parent.node.root.synth(),
      /no templates-bucket parameters/,
    );
  });
});

describe('publishing', () => {
  const target = { bucket: 'frameproof-templates', prefix: 'v0.1.0/', region: 'eu-north-1' };

  it('points the published main template at the uploaded nested templates', () => {
    const main = withTemplateLocation(parsed[MAIN_TEMPLATE] as CfnTemplate, target);
    assert.equal(main.Parameters?.TemplatesBucketName?.Default, 'frameproof-templates');
    assert.equal(main.Parameters?.TemplatesKeyPrefix?.Default, 'v0.1.0/');
    assert.equal(main.Parameters?.TemplatesBucketRegion?.Default, 'eu-north-1');
    assert.equal(fromYaml(toYaml(main)).Parameters?.TemplatesKeyPrefix?.Default, 'v0.1.0/');
    assert.equal(
      (parsed[MAIN_TEMPLATE] as CfnTemplate).Parameters?.TemplatesBucketName?.Default,
      undefined,
      'unchanged',
    );
  });

  it('makes launch links for the console', () => {
    assert.equal(
      templateUrl(target, 'main.yaml'),
      'https://frameproof-templates.s3.eu-north-1.amazonaws.com/v0.1.0/main.yaml',
    );
    assert.equal(
      launchUrl(target, 'vpc.yaml', 'FrameproofVpc'),
      'https://console.aws.amazon.com/cloudformation/home#/stacks/quickcreate?templateURL=' +
        encodeURIComponent('https://frameproof-templates.s3.eu-north-1.amazonaws.com/v0.1.0/vpc.yaml') +
        '&stackName=FrameproofVpc',
    );
  });

  it('normalizes key prefixes', () => {
    assert.equal(normalizePrefix(undefined), '');
    assert.equal(normalizePrefix(''), '');
    assert.equal(normalizePrefix('/releases/v1/'), 'releases/v1/');
    assert.equal(normalizePrefix('latest'), 'latest/');
  });
});
