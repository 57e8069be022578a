import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CDK_APP_MODE_CONTEXT } from 'aws-cdk-lib/cx-api';
import { addChecks, allowWildcards } from '../lib/nag.js';
import { synthesize } from './support.js';

// Given the launch app, synthesized once (which runs the checks: a finding would have thrown)
const { app, checks } = synthesize();

function acknowledgements(): { path: string; id: string; reason: string }[] {
  return app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^[a-z]+::/i, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag AWS Solutions checks', () => {
  it('leave no unacknowledged finding, error or warning, on any stack', () => {
    const report = checks.validateScope(app);
    assert.deepEqual(
      report.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
      [],
    );
    assert.equal(report.success, true);
  });

  it('every acknowledgement gives its reason', () => {
    const all = acknowledgements();
    assert.ok(all.length > 0);
    for (const { path, id, reason } of all)
      assert.ok(reason.trim().length >= 30, `${path} ${id}: "${reason}"`);
  });

  it('acknowledge only the rules we have reasons for', () => {
    const rules = new Set(
      acknowledgements()
        .map((a) => a.id)
        .filter((id) => id.startsWith('AwsSolutions-'))
        .map((id) => id.replace(/\[.*$/, '')),
    );
    assert.deepEqual([...rules].sort(), [
      'AwsSolutions-EC23',
      'AwsSolutions-ECS2',
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM5',
      'AwsSolutions-RDS11',
      'AwsSolutions-S1',
      'AwsSolutions-SMG4',
    ]);
    const managed = acknowledgements().filter((a) => a.id.startsWith('AwsSolutions-IAM4'));
    assert.ok(
      managed.every((a) => /BucketNotificationsHandler/.test(a.path)),
      'managed policies only on CDK’s handler',
    );
  });
});

describe('the checks themselves', () => {
  function checkedStack(): { app: App; stack: Stack } {
    // In memory: the error carries the whole report.
    const app = new App({ context: { [CDK_APP_MODE_CONTEXT]: 'inmemory' } });
    addChecks(app);
    return { app, stack: new Stack(app, 'Checked') };
  }

  it('fail the synthesis on a finding', () => {
    const { app, stack } = checkedStack();
    new s3.Bucket(stack, 'Unlogged', { enforceSSL: true });
    assert.throws(() => app.synth(), /AwsSolutions-S1/);
  });

  it('accept a wildcard that is allowed with a reason, and only that one', () => {
    const { app, stack } = checkedStack();
    const role = new iam.Role(stack, 'Role', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/media/*'] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: ['arn:aws:s3:::bucket/other/*'] }),
    );
    allowWildcards(role, { finding: /\/media\/\*$/, reason: 'objects of the media prefix of one bucket' });
    assert.throws(
      () => app.synth(),
      (e: Error) =>
        /AwsSolutions-IAM5\[Resource::arn:aws:s3:::bucket\/other\/\*\]/.test(e.message) &&
        !/media/.test(e.message),
    );
  });
});
