import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { generatedSecret } from '../secrets.js';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import type { Construct } from 'constructs';
import { Buckets } from '../constructs/buckets.js';
import { LoadBalancer } from '../constructs/load-balancer.js';
import { MediaProcessing } from '../constructs/media-processing.js';
import { SecurityGroups } from '../constructs/security-groups.js';
import { discoveryNamespace, RUNNER_USERNAME, SERVICE_DISCOVERY } from '../services.js';
import type { MainParameters } from './main-parameters.js';
import { FrameproofNestedStack } from './nested.js';

export interface InfrastructureStackProps {
  readonly parameters: MainParameters;
}

/**
 * What the services share: security groups, load balancer, cluster, Cloud Map namespace, log
 * group, buckets, shared secrets, and the MediaConvert and Rekognition resources.
 */
export class InfrastructureStack extends FrameproofNestedStack {
  readonly securityGroups: SecurityGroups;
  readonly loadBalancer: LoadBalancer;
  readonly buckets: Buckets;
  readonly mediaProcessing: MediaProcessing;
  readonly cluster: ecs.Cluster;
  readonly logGroup: logs.LogGroup;
  readonly namespace: servicediscovery.PrivateDnsNamespace;
  readonly adapterDiscovery: servicediscovery.Service;
  readonly jobsDiscovery: servicediscovery.Service;
  readonly analyzeDiscovery: servicediscovery.Service;
  /** The jobs service account the adapter accepts ("auth runner"): `username`, `password`. */
  readonly runnerSecret: secretsmanager.Secret;
  /** Secret of Keycloak's confidential client for the adapter. */
  readonly keycloakClientSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, { parameters: p }: InfrastructureStackProps) {
    super(scope, id, {
      description:
        'Frameproof shared infrastructure: load balancer, security groups, cluster, buckets, media services',
      network: { vpcId: p.vpcId, publicSubnetIds: p.publicSubnetIds },
    });
    const vpc = this.vpc;

    this.securityGroups = new SecurityGroups(this, 'SecurityGroups', { vpc });
    this.buckets = new Buckets(this, 'Buckets', { domainName: p.domainName });
    this.loadBalancer = new LoadBalancer(this, 'LoadBalancer', {
      vpc,
      securityGroup: this.securityGroups.loadBalancer,
      accessLogs: this.buckets.accessLogs,
      hostedZoneId: p.hostedZoneId,
      domainName: p.domainName,
      certificateArn: p.certificateArn,
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: p.logRetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      clusterName: p.applicationTag,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    // FARGATE_SPOT for the jobs service, if the JobsCapacityProvider parameter asks for it. Not
    // through enableFargateCapacityProviders, which makes every nested stack depend on this one
    // twice (they already do through the values they take from it).
    new ecs.CfnClusterCapacityProviderAssociations(this, 'CapacityProviders', {
      cluster: this.cluster.clusterName,
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [],
    });

    this.namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      name: discoveryNamespace(p.applicationTag),
      vpc,
      description:
        'Frameproof services: the adapter API, the adapter-jobs event bus and analyze (for jobs) inside the VPC',
    });
    const discovery = (id: string, name: string): servicediscovery.Service => {
      const service = this.namespace.createService(id, {
        name,
        // SRV here, so that ECS registers container and port; both A and SRV records below.
        dnsRecordType: servicediscovery.DnsRecordType.SRV,
        dnsTtl: Duration.seconds(SERVICE_DISCOVERY.ttlSeconds),
        routingPolicy: servicediscovery.RoutingPolicy.MULTIVALUE,
        customHealthCheck: { failureThreshold: 1 },
      });
      (service.node.defaultChild as servicediscovery.CfnService).addPropertyOverride('DnsConfig.DnsRecords', [
        { Type: 'A', TTL: SERVICE_DISCOVERY.ttlSeconds },
        { Type: 'SRV', TTL: SERVICE_DISCOVERY.ttlSeconds },
      ]);
      return service;
    };
    this.adapterDiscovery = discovery('AdapterDiscovery', SERVICE_DISCOVERY.adapter);
    this.jobsDiscovery = discovery('JobsDiscovery', SERVICE_DISCOVERY.jobs);
    this.analyzeDiscovery = discovery('AnalyzeDiscovery', SERVICE_DISCOVERY.analyze);

    const rotation =
      'Tasks read it once when they start; rotate by changing it and forcing a new deployment of the services that use it.';
    this.runnerSecret = generatedSecret(this, 'RunnerSecret', {
      description: 'Frameproof service account of the jobs service ("auth runner")',
      username: RUNNER_USERNAME,
      length: 40,
      rotation,
    });
    this.keycloakClientSecret = generatedSecret(this, 'KeycloakClientSecret', {
      description: "Secret of the adapter's confidential client in Keycloak",
      length: 40,
      rotation,
    });

    this.mediaProcessing = new MediaProcessing(this, 'MediaProcessing', {
      mediaBucket: this.buckets.media,
      applicationTag: p.applicationTag,
    });
  }
}
