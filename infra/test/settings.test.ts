import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { Match } from 'aws-cdk-lib/assertions';
import { REDEPLOY_FRONTEND_CODE } from '../lib/stacks/settings-stack.js';
import { logicalId, only, render, synthesize } from './support.js';

// Given the launch app, synthesized once
const synthesized = synthesize();
const { main, nested } = synthesized;
const buckets = main.infrastructure.buckets;
const topic = `<infra:${logicalId(buckets.settingsChanged)}>`;

describe('settings auto-deployment', () => {
  it('has S3 notify the topic when frontend/settings.js is written', () => {
    nested.infrastructure.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(buckets.config) },
      NotificationConfiguration: {
        TopicConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'suffix', Value: 'settings.js' },
                  { Name: 'prefix', Value: 'frontend/settings.js' },
                ],
              },
            },
            TopicArn: { Ref: logicalId(buckets.settingsChanged) },
          },
        ],
      },
    });
    nested.infrastructure.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(buckets.settingsChanged) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: 's3.amazonaws.com' },
            Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(buckets.config), 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it('subscribes an inline Node.js Lambda to the topic', () => {
    const fn = only(nested.settings, 'AWS::Lambda::Function').Properties ?? {};
    assert.equal(fn.Runtime, 'nodejs24.x');
    assert.equal(fn.Handler, 'index.handler');
    assert.deepEqual(fn.Code, { ZipFile: REDEPLOY_FRONTEND_CODE });
    const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    assert.equal(
      render(synthesized, main.settings, env.CLUSTER_ARN),
      `<infra:${logicalId(main.infrastructure.cluster)}.Arn>`,
    );
    assert.equal(
      render(synthesized, main.settings, env.SERVICE_ARN),
      `<frontend:${logicalId(main.frontend.app.service)}>`,
    );

    const subscription = only(nested.settings, 'AWS::SNS::Subscription').Properties ?? {};
    assert.equal(subscription.Protocol, 'lambda');
    assert.equal(render(synthesized, main.settings, subscription.TopicArn), topic);
    const permission = only(nested.settings, 'AWS::Lambda::Permission').Properties ?? {};
    assert.equal(permission.Principal, 'sns.amazonaws.com');
    assert.equal(render(synthesized, main.settings, permission.SourceArn), topic);
  });

  it('lets the Lambda redeploy the frontend service and nothing else', () => {
    const policy = only(nested.settings, 'AWS::IAM::Policy').Properties?.PolicyDocument as {
      Statement: { Action: string | string[]; Resource: unknown }[];
    };
    const lines = policy.Statement.map(
      (s) => `${[s.Action].flat().sort().join(',')} on ${render(synthesized, main.settings, s.Resource)}`,
    ).sort();
    assert.deepEqual(lines, [
      `ecs:UpdateService on <frontend:${logicalId(main.frontend.app.service)}>`,
      `logs:CreateLogStream,logs:PutLogEvents on <${logicalId(main.settings.node.findChild('Logs'))}.Arn>`,
    ]);
  });

  describe('the Lambda code', () => {
    // Runs the inline code against a stand-in for the AWS SDK.
    function load(): { handler: (event: unknown) => Promise<unknown>; sent: unknown[] } {
      const sent: unknown[] = [];
      class UpdateServiceCommand {
        constructor(readonly input: unknown) {}
      }
      class ECSClient {
        async send(command: UpdateServiceCommand): Promise<unknown> {
          sent.push(JSON.parse(JSON.stringify(command.input)));
          return { service: { deployments: [{ id: 'ecs-svc/1' }] } };
        }
      }
      const module = { exports: {} as { handler?: (event: unknown) => Promise<unknown> } };
      runInNewContext(REDEPLOY_FRONTEND_CODE, {
        require: (name: string) => {
          assert.equal(name, '@aws-sdk/client-ecs');
          return { ECSClient, UpdateServiceCommand };
        },
        exports: module.exports,
        process: { env: { CLUSTER_ARN: 'arn:cluster', SERVICE_ARN: 'arn:service' } },
        console: { log: () => undefined },
      });
      assert.ok(module.exports.handler);
      return { handler: module.exports.handler, sent };
    }
    const snsEvent = (message: unknown): unknown => ({
      Records: [{ Sns: { Message: JSON.stringify(message) } }],
    });

    it('forces a new deployment of the frontend when S3 reports the settings file', async () => {
      const { handler, sent } = load();
      const result = await handler(
        snsEvent({ Records: [{ s3: { object: { key: 'frontend/settings.js' } } }] }),
      );
      assert.deepEqual(JSON.parse(JSON.stringify(result)), { redeployed: true });
      assert.deepEqual(sent, [{ cluster: 'arn:cluster', service: 'arn:service', forceNewDeployment: true }]);
    });

    it('ignores the test event S3 sends when the notification is set up', async () => {
      const { handler, sent } = load();
      await handler(snsEvent({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'config' }));
      await handler(snsEvent('not json'));
      assert.deepEqual(sent, []);
    });
  });
});
