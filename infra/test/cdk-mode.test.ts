import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { synthesize } from './support.js';

// Given the app as `cdk deploy` builds it (bin/app.ts), synthesized once
const { app, mainTemplate } = synthesize({ mode: 'cdk' });
const template = mainTemplate.toJSON();

describe('the app for `cdk deploy`', () => {
  it('passes the same checks', () => {
    assert.ok(app.synth().stacks.length >= 2);
  });

  it('uses the CDK bootstrap for its nested templates instead of a templates bucket', () => {
    assert.ok(template.Parameters.BootstrapVersion);
    for (const name of ['TemplatesBucketName', 'TemplatesKeyPrefix', 'TemplatesBucketRegion']) {
      assert.equal(template.Parameters[name], undefined);
    }
    const stacks = Object.values(
      template.Resources as Record<string, { Type: string; Properties: { TemplateURL: unknown } }>,
    ).filter((r) => r.Type === 'AWS::CloudFormation::Stack');
    assert.equal(stacks.length, 7);
    for (const stack of stacks)
      assert.match(JSON.stringify(stack.Properties.TemplateURL), /cdk-hnb659fds-assets-/);
  });

  it('asks for the same parameters otherwise', () => {
    for (const name of [
      'VpcId',
      'PrivateSubnetIds',
      'PublicSubnetIds',
      'HostedZoneId',
      'DomainName',
      'CertificateArn',
    ]) {
      assert.ok(template.Parameters[name], name);
    }
  });
});
