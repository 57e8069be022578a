import { Duration, NestedStack, RemovalPolicy } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { InfrastructureStack } from './infrastructure-stack.js';
import type { MainParameters } from './main-parameters.js';

/**
 * Forces a new deployment of the frontend service; ECS starts new tasks, which read the new
 * settings, and stops the old ones once the new are healthy. Inline, so the template needs no
 * asset; the Node.js runtime ships the AWS SDK v3.
 */
export const REDEPLOY_FRONTEND_CODE = `
const { ECSClient, UpdateServiceCommand } = require('@aws-sdk/client-ecs');
const ecs = new ECSClient({});
exports.handler = async (event) => {
  const keys = (event.Records || []).flatMap((record) => {
    try {
      return (JSON.parse(record.Sns.Message).Records || []).map((r) => r.s3.object.key);
    } catch {
      return [];
    }
  });
  if (keys.length === 0) return { redeployed: false };
  const { service } = await ecs.send(new UpdateServiceCommand({
    cluster: process.env.CLUSTER_ARN,
    service: process.env.SERVICE_ARN,
    forceNewDeployment: true,
  }));
  console.log(JSON.stringify({ message: 'frontend settings changed: new deployment', keys, deployment: service?.deployments?.[0]?.id }));
  return { redeployed: true };
};
`.trim();

export interface SettingsStackProps {
  readonly parameters: MainParameters;
  readonly infrastructure: InfrastructureStack;
  readonly frontend: ecs.IBaseService;
}

/** Settings auto-deployment: configuration bucket -> SNS -> this Lambda -> new frontend deployment. */
export class SettingsStack extends NestedStack {
  readonly redeployFrontend: lambda.Function;

  constructor(scope: Construct, id: string, { parameters, infrastructure, frontend }: SettingsStackProps) {
    super(scope, id, {
      description: 'Frameproof settings auto-deployment: redeploys the frontend when its settings change',
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: parameters.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Redeploys the frontend service',
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ecs:UpdateService'], resources: [frontend.serviceArn] }),
    );
    logGroup.grantWrite(role);

    this.redeployFrontend = new lambda.Function(this, 'RedeployFrontend', {
      description: 'Forces a new deployment of the frontend when frontend/settings.js changes',
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(REDEPLOY_FRONTEND_CODE),
      timeout: Duration.seconds(30),
      memorySize: 128,
      role,
      logGroup,
      environment: {
        CLUSTER_ARN: infrastructure.cluster.clusterArn,
        SERVICE_ARN: frontend.serviceArn,
      },
    });
    infrastructure.buckets.settingsChanged.addSubscription(
      new subscriptions.LambdaSubscription(this.redeployFrontend),
    );
  }
}
