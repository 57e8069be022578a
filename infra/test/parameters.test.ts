import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { imagePlan } from '../lib/images.js';
import { FRAMEPROOF_VERSION, KEYCLOAK_IMAGE, SERVICE_NAMES } from '../lib/services.js';
import { MainParameters } from '../lib/stacks/main-parameters.js';
import { synthesize } from './support.js';

// Given the launch app, synthesized once
const { mainTemplate, vpcTemplate } = synthesize();
const main = mainTemplate.toJSON();

const SERVICE_PARAMETERS = ['ImageRepository', 'ImageTag', 'Cpu', 'Memory', 'DesiredCount'];
const EXPECTED = {
  Network: ['VpcId', 'PrivateSubnetIds', 'PublicSubnetIds'],
  'Domain name and certificate': ['HostedZoneId', 'DomainName', 'CertificateArn'],
  Databases: [
    'DatabaseInstanceClass',
    'DatabaseAllocatedStorage',
    'KeycloakDatabaseInstanceClass',
    'KeycloakDatabaseAllocatedStorage',
  ],
  Application: ['ApplicationTag', 'LogRetentionDays', 'LocalSignIn'],
  'Adapter service': [...SERVICE_PARAMETERS, 'MaxCount'].map((p) => `Adapter${p}`),
  'Jobs service': [...[...SERVICE_PARAMETERS, 'MaxCount'].map((p) => `Jobs${p}`), 'JobsConcurrency'],
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

  it('default to the reference sizes', () => {
    const sizes = {
      Adapter: [512, 1024],
      Jobs: [512, 1024],
      Analyze: [512, 1024],
      Keycloak: [512, 1024],
      Frontend: [256, 512],
    };
    for (const [service, [cpu, memory]] of Object.entries(sizes)) {
      mainTemplate.hasParameter(`${service}Cpu`, { Type: 'Number', Default: cpu });
      mainTemplate.hasParameter(`${service}Memory`, { Type: 'Number', Default: memory });
      mainTemplate.hasParameter(`${service}DesiredCount`, { Type: 'Number', Default: 1 });
    }
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

describe('VPC template parameters', () => {
  it('need nothing but have defaults', () => {
    const vpc = vpcTemplate.toJSON();
    assert.deepEqual(Object.keys(vpc.Parameters).sort(), ['ApplicationTag', 'FlowLogRetentionDays']);
    for (const parameter of Object.values(vpc.Parameters as Record<string, { Default?: unknown }>))
      assert.notEqual(parameter.Default, undefined);
  });
});
