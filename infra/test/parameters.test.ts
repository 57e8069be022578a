import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { imagePlan, REPOSITORY_ROOT } from '../lib/images.js';
import { FARGATE_TASK_SIZES } from '../lib/parameters.js';
import { FRAMEPROOF_VERSION, KEYCLOAK_IMAGE, SERVICE_NAMES } from '../lib/services.js';
import { MainParameters, VIDEO_ANALYSES } from '../lib/stacks/main-parameters.js';
import { synthesize } from './support.js';

// Given the launch app, synthesized once
const { mainTemplate, vpcTemplate } = synthesize();
const main = mainTemplate.toJSON();

const SERVICE_PARAMETERS = ['ImageRepository', 'ImageTag', 'TaskSize', 'DesiredCount'];
const EXPECTED = {
  Network: ['VpcId', 'PrivateSubnetIds', 'PublicSubnetIds'],
  'Domain name and certificate': ['HostedZoneId', 'DomainName', 'CertificateArn'],
  Databases: [
    'DatabaseInstanceClass',
    'DatabaseAllocatedStorage',
    'KeycloakDatabaseInstanceClass',
    'KeycloakDatabaseAllocatedStorage',
  ],
  Application: ['ApplicationTag', 'LogRetentionDays', 'LocalSignIn', 'VideoAnalyses'],
  'Adapter service': [...SERVICE_PARAMETERS, 'MaxCount'].map((p) => `Adapter${p}`),
  'Jobs service': [
    ...[...SERVICE_PARAMETERS, 'MaxCount', 'CapacityProvider'].map((p) => `Jobs${p}`),
    'JobsConcurrency',
  ],
  'Analyze service': [...SERVICE_PARAMETERS, 'MaxCount'].map((p) => `Analyze${p}`),
  'Frontend service': SERVICE_PARAMETERS.map((p) => `Frontend${p}`),
  'Keycloak service': SERVICE_PARAMETERS.map((p) => `Keycloak${p}`),
  'Nested templates (publish-templates sets these)': [
    'TemplatesBucketName',
    'TemplatesKeyPrefix',
    'TemplatesBucketRegion',
  ],
};

describe('main template parameters', () => {
  it('are grouped and labelled for the console, each exactly once', () => {
    const ui = main.Metadata['AWS::CloudFormation::Interface'];
    const groups = Object.fromEntries(
      (ui.ParameterGroups as { Label: { default: string }; Parameters: string[] }[]).map((g) => [
        g.Label.default,
        g.Parameters,
      ]),
    );
    assert.deepEqual(groups, EXPECTED);
    const all = Object.values(EXPECTED).flat();
    assert.deepEqual(Object.keys(main.Parameters).sort(), [...all].sort());
    assert.deepEqual(Object.keys(ui.ParameterLabels).sort(), [...all].sort());
    for (const label of Object.values(ui.ParameterLabels as Record<string, { default: string }>))
      assert.ok(label.default.length > 0);
  });

  it('ask for the network with AWS-specific types, so the console offers choices', () => {
    mainTemplate.hasParameter('VpcId', { Type: 'AWS::EC2::VPC::Id' });
    mainTemplate.hasParameter('PrivateSubnetIds', { Type: 'List<AWS::EC2::Subnet::Id>' });
    mainTemplate.hasParameter('PublicSubnetIds', { Type: 'List<AWS::EC2::Subnet::Id>' });
    mainTemplate.hasParameter('HostedZoneId', { Type: 'AWS::Route53::HostedZone::Id' });
  });

  it('take an empty certificate ARN to mean "create one"', () => {
    mainTemplate.hasParameter('CertificateArn', { Type: 'String', Default: '' });
    assert.match('', new RegExp(main.Parameters.CertificateArn.AllowedPattern));
    assert.match(
      'arn:aws:acm:eu-north-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab',
      new RegExp(main.Parameters.CertificateArn.AllowedPattern),
    );
    assert.doesNotMatch('not-an-arn', new RegExp(main.Parameters.CertificateArn.AllowedPattern));
  });

  it('default to the reference sizes, offering only task sizes Fargate accepts', () => {
    const sizes = {
      Adapter: '512/1024',
      Jobs: '512/1024',
      Analyze: '512/1024',
      Keycloak: '512/1024',
      Frontend: '256/512',
    };
    for (const [service, size] of Object.entries(sizes)) {
      mainTemplate.hasParameter(`${service}TaskSize`, {
        Type: 'String',
        Default: size,
        AllowedValues: FARGATE_TASK_SIZES,
      });
      mainTemplate.hasParameter(`${service}DesiredCount`, { Type: 'Number', Default: '1' });
    }
    assert.equal(FARGATE_TASK_SIZES.length, 74);
    for (const size of [
      '256/512',
      '256/2048',
      '512/4096',
      '1024/8192',
      '2048/16384',
      '4096/30720',
      '8192/61440',
      '16384/122880',
    ])
      assert.ok(FARGATE_TASK_SIZES.includes(size), size);
    for (const size of ['256/4096', '512/512', '1024/1024', '4096/31744', '8192/17408', '16384/36864'])
      assert.ok(!FARGATE_TASK_SIZES.includes(size), size);
  });

  it('quote every default, as CloudFormation reads them', () => {
    for (const template of [main, vpcTemplate.toJSON()])
      for (const [name, parameter] of Object.entries(
        template.Parameters as Record<string, { Default?: unknown }>,
      ))
        assert.ok(parameter.Default === undefined || typeof parameter.Default === 'string', name);
  });

  it('offer Fargate Spot for jobs', () => {
    mainTemplate.hasParameter('JobsCapacityProvider', {
      Default: 'FARGATE',
      AllowedValues: ['FARGATE', 'FARGATE_SPOT'],
    });
  });

  it('refuse an application tag that cannot name a database', () => {
    const pattern = new RegExp(main.Parameters.ApplicationTag.AllowedPattern);
    for (const good of ['frameproof', 'fp-prod-2', 'a']) assert.match(good, pattern);
    for (const bad of ['Frameproof', 'fp-', 'fp--prod', '2fp', '']) assert.doesNotMatch(bad, pattern);
    assert.equal(main.Parameters.ApplicationTag.MaxLength, 40);
  });

  it('require the image repositories of our services (no image to fall back on), Keycloak the official', () => {
    for (const service of ['adapter', 'jobs', 'analyze', 'frontend']) {
      const title = service.charAt(0).toUpperCase() + service.slice(1);
      assert.equal(main.Parameters[`${title}ImageRepository`].Default, undefined, service);
      mainTemplate.hasParameter(`${title}ImageTag`, { Default: FRAMEPROOF_VERSION });
    }
    mainTemplate.hasParameter('KeycloakImageRepository', { Default: KEYCLOAK_IMAGE.repository });
    mainTemplate.hasParameter('KeycloakImageTag', { Default: KEYCLOAK_IMAGE.tag });
  });

  it('synthesized with a registry, default to the five images `npm run images` pushed there', () => {
    const registry = '123456789012.dkr.ecr.eu-north-1.amazonaws.com/frameproof';
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Parameters');
    new MainParameters(stack, { imageRegistry: registry, imageTag: '1.2.3', withTemplateLocation: false });
    const parameters = Template.fromStack(stack).toJSON().Parameters as Record<string, { Default?: unknown }>;
    const images = Object.fromEntries(
      imagePlan({ registry, tag: '1.2.3', push: true }).map((step) => [step.service, step.image]),
    );
    for (const service of SERVICE_NAMES) {
      const title = service.charAt(0).toUpperCase() + service.slice(1);
      const image = `${String(parameters[`${title}ImageRepository`]?.Default)}:${String(parameters[`${title}ImageTag`]?.Default)}`;
      assert.equal(image, images[service], service);
    }
  });

  it('tag every resource with the application tag', () => {
    mainTemplate.hasParameter('ApplicationTag', { Default: 'frameproof' });
    const tagged = Object.values(main.Resources as Record<string, { Properties: { Tags?: unknown } }>);
    for (const resource of tagged)
      assert.deepEqual(resource.Properties.Tags, [{ Key: 'Application', Value: { Ref: 'ApplicationTag' } }]);
  });

  it('version matches the package', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    assert.equal(FRAMEPROOF_VERSION, pkg.version);
  });
});

describe('main template outputs', () => {
  it('tell the operator where things are', () => {
    assert.deepEqual(Object.keys(main.Outputs).sort(), [
      'AccessLogsBucketName',
      'AdminSecretArn',
      'ApplicationUrl',
      'ClusterName',
      'ConfigBucketName',
      'KeycloakAdminSecretArn',
      'KeycloakAdminUrl',
      'LoadBalancerDnsName',
      'LogGroupName',
      'MediaBucketName',
    ]);
    mainTemplate.hasOutput('ApplicationUrl', {
      Value: { 'Fn::Join': ['', ['https://', { Ref: 'DomainName' }]] },
    });
    mainTemplate.hasOutput('KeycloakAdminUrl', {
      Value: { 'Fn::Join': ['', ['https://', { Ref: 'DomainName' }, '/auth/admin/']] },
    });
  });
});

/** Evaluates a rule assertion as CloudFormation does, for the given parameter values. */
function evaluate(expression: unknown, values: Record<string, string>): unknown {
  if (typeof expression === 'string') return expression;
  if (Array.isArray(expression)) return expression.map((e) => evaluate(e, values));
  const [[fn, args]] = Object.entries(expression as Record<string, unknown>) as [[string, unknown]];
  if (fn === 'Ref') return values[args as string] ?? assert.fail(`no value for ${String(args)}`);
  const list = (args as unknown[]).map((a) => evaluate(a, values));
  switch (fn) {
    case 'Fn::Not':
      return !list[0];
    case 'Fn::Or':
      return list.some(Boolean);
    case 'Fn::And':
      return list.every(Boolean);
    case 'Fn::Equals':
      return list[0] === list[1];
    case 'Fn::Contains':
      return (list[0] as string[]).includes(list[1] as string);
    default:
      return assert.fail(`unexpected ${fn}`);
  }
}

describe('task count rules', () => {
  const rules = main.Rules as Record<
    string,
    { Assertions: { Assert: unknown; AssertDescription: string }[] }
  >;

  for (const service of ['Adapter', 'Jobs', 'Analyze']) {
    it(`${service}: refuse a maximum below the minimum`, () => {
      const [assertion, ...more] = rules[`${service}TaskCounts`]?.Assertions ?? [];
      assert.equal(more.length, 0);
      assert.match(assertion?.AssertDescription ?? '', /maximum\) must be at least/);
      const holds = (minimum: number, maximum: number): unknown =>
        evaluate(assertion?.Assert, {
          [`${service}DesiredCount`]: String(minimum),
          [`${service}MaxCount`]: String(maximum),
        });
      for (const [minimum, maximum] of [
        [1, 1],
        [1, 100],
        [3, 3],
        [3, 4],
        [20, 20],
        [20, 100],
      ] as [number, number][])
        assert.equal(holds(minimum, maximum), true, `${minimum}..${maximum}`);
      for (const [minimum, maximum] of [
        [2, 1],
        [3, 2],
        [10, 9],
        [20, 1],
        [20, 19],
      ] as [number, number][])
        assert.equal(holds(minimum, maximum), false, `${minimum}..${maximum}`);
    });
  }

  it('cover every minimum the parameters allow', () => {
    for (const service of ['Adapter', 'Jobs', 'Analyze'])
      assert.equal(main.Parameters[`${service}DesiredCount`].MaxValue, 20);
    assert.deepEqual(Object.keys(rules).sort(), ['AdapterTaskCounts', 'AnalyzeTaskCounts', 'JobsTaskCounts']);
  });
});

describe('local sign-in', () => {
  it('is off by default, on or off', () => {
    mainTemplate.hasParameter('LocalSignIn', {
      Type: 'String',
      Default: 'off',
      AllowedValues: ['off', 'on'],
    });
  });

  it('outputs where the admin password is, never the password', () => {
    const value = JSON.stringify(main.Outputs.AdminSecretArn.Value);
    assert.match(value, /Outputs\.\w*AdminSecret\w*Ref/);
    for (const output of Object.values(main.Outputs as Record<string, { Value: unknown }>))
      assert.doesNotMatch(JSON.stringify(output.Value), /SecretString|resolve:secretsmanager|password/i);
  });
});

describe('video analyses', () => {
  const pattern = new RegExp(main.Parameters.VideoAnalyses.AllowedPattern);

  it('are none by default', () => {
    mainTemplate.hasParameter('VideoAnalyses', { Type: 'String', Default: '' });
  });

  it('take the analyses @frameproof/core knows, separated by commas, and nothing else', () => {
    const source = readFileSync(join(REPOSITORY_ROOT, 'packages/core/src/video-analysis.ts'), 'utf8');
    const core = /VIDEO_ANALYSES = \[([^\]]*)\]/
      .exec(source)?.[1]
      ?.match(/'[a-z]+'/g)
      ?.map((a) => a.slice(1, -1));
    assert.deepEqual(core, [...VIDEO_ANALYSES]);
    for (const good of ['', 'labels', 'labels,segments', VIDEO_ANALYSES.join(',')])
      assert.match(good, pattern);
    for (const bad of ['none', 'labels,', ',labels', 'labels, segments', 'Labels', 'labels;faces', 'shots'])
      assert.doesNotMatch(bad, pattern);
  });
});

describe('VPC template parameters', () => {
  it('need nothing but have defaults', () => {
    const vpc = vpcTemplate.toJSON();
    assert.deepEqual(Object.keys(vpc.Parameters).sort(), ['ApplicationTag', 'FlowLogRetentionDays']);
    for (const parameter of Object.values(vpc.Parameters as Record<string, { Default?: unknown }>))
      assert.notEqual(parameter.Default, undefined);
  });
});
