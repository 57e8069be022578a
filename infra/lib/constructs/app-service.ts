import { Aws, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { acknowledge, allowWildcards } from '../nag.js';
import type { ServiceName } from '../services.js';
import type { ServiceParameters } from '../stacks/main-parameters.js';
import { useSecurityGroup } from './security-groups.js';

/**
 * Node.js one-liners for container health checks (our images have Node but no curl); the
 * Dockerfiles' HEALTHCHECK runs the same ones. An HTTP probe wants a 2xx answer; the liveness
 * probe, for a service that serves nothing, only asks whether the main process still runs.
 */
export function httpProbe(port: number, path: string): string {
  return `fetch('http://127.0.0.1:${port}${path}').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))`;
}
export const LIVENESS_PROBE = 'process.kill(1,0)';

/** The container health check of a Node.js service. */
export function nodeHealthCheck(probe: string): ecs.HealthCheck {
  return {
    command: ['CMD', 'node', '-e', probe],
    interval: Duration.seconds(30),
    timeout: Duration.seconds(5),
    retries: 3,
    startPeriod: Duration.seconds(60),
  };
}

/** The cluster and where the services log, from the infrastructure stack. */
export interface ServiceHost {
  readonly cluster: ecs.ICluster;
  readonly logGroup: logs.ILogGroup;
}

export interface AppServiceProps {
  readonly name: ServiceName;
  readonly vpc: ec2.IVpc;
  readonly host: ServiceHost;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly parameters: ServiceParameters;
  /** The first port is the one the load balancer and Cloud Map use. */
  readonly ports: number[];
  readonly environment: Record<string, string>;
  readonly secrets?: Record<string, ecs.Secret>;
  readonly healthCheck: ecs.HealthCheck;
  readonly entryPoint?: string[];
  readonly command?: string[];
  /** Registers the tasks with this target group of the load balancer. */
  readonly targetGroup?: elbv2.IApplicationTargetGroup;
  /** How long the load balancer's first health checks are ignored. */
  readonly healthCheckGracePeriod?: Duration;
  /** Registers the tasks in Cloud Map (A and SRV records). */
  readonly discovery?: servicediscovery.IService;
  /** How long ECS waits after SIGTERM before SIGKILL (Fargate allows up to 120 s). */
  readonly stopTimeout?: Duration;
}

/**
 * One Fargate service of the deployment, with the settings every service shares: private subnets,
 * image from a registry by repository and tag, one log stream prefix per service in the shared log
 * group, container health check, rolling deployment 75-200 % with the circuit breaker rolling back.
 */
export class AppService extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly service: ecs.FargateService;
  private readonly parameters: ServiceParameters;

  constructor(scope: Construct, id: string, props: AppServiceProps) {
    super(scope, id);
    const { name, parameters } = props;
    this.parameters = parameters;

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: parameters.cpu,
      memoryLimitMiB: parameters.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    acknowledge(
      this.taskDefinition,
      'ECS2',
      'Environment variables hold configuration only; passwords and keys come from Secrets Manager as ECS secrets.',
    );

    this.container = this.taskDefinition.addContainer(name, {
      image: ecs.ContainerImage.fromRegistry(`${parameters.imageRepository}:${parameters.imageTag}`),
      essential: true,
      portMappings: props.ports.map((containerPort) => ({ containerPort })),
      environment: props.environment,
      secrets: props.secrets,
      healthCheck: props.healthCheck,
      entryPoint: props.entryPoint,
      command: props.command,
      stopTimeout: props.stopTimeout,
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.host.logGroup, streamPrefix: name }),
    });
    allowPullFromEcr(this.taskDefinition.obtainExecutionRole());

    const cluster = props.host.cluster;
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: ecs.Cluster.fromClusterAttributes(this, 'Cluster', {
        clusterName: cluster.clusterName,
        clusterArn: cluster.clusterArn,
        vpc: props.vpc,
      }),
      taskDefinition: this.taskDefinition,
      desiredCount: parameters.desiredCount,
      ...(parameters.capacityProvider && {
        capacityProviderStrategies: [{ capacityProvider: parameters.capacityProvider, weight: 1 }],
      }),
      securityGroups: [useSecurityGroup(this, 'SecurityGroup', props.securityGroup)],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      minHealthyPercent: 75,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
      healthCheckGracePeriod: props.targetGroup
        ? (props.healthCheckGracePeriod ?? Duration.seconds(60))
        : undefined,
    });
    if (props.targetGroup) this.service.attachToApplicationTargetGroup(props.targetGroup);
    if (props.discovery)
      this.service.associateCloudMapService({ service: props.discovery, containerPort: props.ports[0] });
  }

  /** Keeps between the desired count (the minimum) and `maxCount` tasks. */
  autoscale(): ecs.ScalableTaskCount {
    const { desiredCount, maxCount } = this.parameters;
    if (maxCount === undefined) throw new Error(`${this.node.path}: no maximum task count to scale to`);
    return this.service.autoScaleTaskCount({ minCapacity: desiredCount, maxCapacity: maxCount });
  }
}

/**
 * Lets the task pull its image from ECR in this account and region; other registries (GitHub,
 * Quay, Docker Hub) are public and need nothing.
 */
function allowPullFromEcr(executionRole: iam.IRole): void {
  executionRole.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
  );
  executionRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      resources: [`arn:${Aws.PARTITION}:ecr:${Aws.REGION}:${Aws.ACCOUNT_ID}:repository/*`],
    }),
  );
  allowWildcards(
    executionRole,
    {
      finding: /^Resource::\*$/,
      reason: 'ecr:GetAuthorizationToken supports no resource-level permissions.',
    },
    {
      finding: /^Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository\/\*$/,
      reason:
        'The image repository is a template parameter; pulls are limited to ECR repositories of this account and region.',
    },
  );
}
