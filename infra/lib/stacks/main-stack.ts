import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LaunchTemplateSynthesizer } from '../launch-synthesizer.js';
import { AdapterStack } from './adapter-stack.js';
import { AnalyzeStack } from './analyze-stack.js';
import { FrontendStack } from './frontend-stack.js';
import { InfrastructureStack } from './infrastructure-stack.js';
import { JobsStack } from './jobs-stack.js';
import { KeycloakStack } from './keycloak-stack.js';
import { MainParameters } from './main-parameters.js';
import { SettingsStack } from './settings-stack.js';

/**
 * Resource types that get no Application tag: CloudFormation's schemas (as cfn-lint has them)
 * give them no Tags property, though CDK would add one; the tag on their owner (load balancer,
 * service) is what cost reports read.
 */
export const UNTAGGED_TYPES = [
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ApplicationAutoScaling::ScalableTarget',
];

export interface MainStackProps extends StackProps {
  /** Registry the image parameters default to (see FrameproofAppOptions); none: no defaults. */
  readonly imageRegistry?: string;
  /** Default tag of our images. */
  readonly imageTag: string;
}

/**
 * The main template: its parameters, and everything else as nested stacks. Each nested stack is a
 * property, so tests can look at its template alone.
 */
export class MainStack extends Stack {
  readonly parameters: MainParameters;
  readonly infrastructure: InfrastructureStack;
  readonly adapter: AdapterStack;
  readonly jobs: JobsStack;
  readonly analyze: AnalyzeStack;
  readonly frontend: FrontendStack;
  readonly keycloak: KeycloakStack;
  readonly settings: SettingsStack;

  constructor(scope: Construct, id: string, props: MainStackProps) {
    super(scope, id, {
      description: 'Frameproof: frame-accurate video review and QC on ECS Fargate (main stack)',
      ...props,
    });
    const launch = this.synthesizer instanceof LaunchTemplateSynthesizer ? this.synthesizer : undefined;
    const p = (this.parameters = new MainParameters(this, {
      imageRegistry: props.imageRegistry,
      imageTag: props.imageTag,
      withTemplateLocation: launch !== undefined,
    }));
    if (launch && p.templateLocation) launch.useTemplateLocation(p.templateLocation);
    Tags.of(this).add('Application', p.applicationTag, { excludeResourceTypes: UNTAGGED_TYPES });

    const infrastructure = (this.infrastructure = new InfrastructureStack(this, 'Infrastructure', {
      parameters: p,
    }));
    const services = { parameters: p, infrastructure };
    this.adapter = new AdapterStack(this, 'Adapter', services);
    this.jobs = new JobsStack(this, 'Jobs', services);
    this.analyze = new AnalyzeStack(this, 'Analyze', services);
    this.frontend = new FrontendStack(this, 'Frontend', services);
    this.keycloak = new KeycloakStack(this, 'Keycloak', services);
    this.settings = new SettingsStack(this, 'Settings', { ...services, frontend: this.frontend.app.service });

    const output = (id: string, value: string, description: string): CfnOutput =>
      new CfnOutput(this, id, { value, description });
    const url = `https://${p.domainName}`;
    output('ApplicationUrl', url, 'Where users open Frameproof');
    output('KeycloakAdminUrl', `${url}/auth/admin/`, 'Keycloak administration console');
    output(
      'AdminSecretArn',
      this.adapter.adminSecret.secretArn,
      'Secret with the password of the local "admin" account (with LocalSignIn on)',
    );
    output(
      'KeycloakAdminSecretArn',
      this.keycloak.adminSecret.secretArn,
      'Secret with the bootstrap Keycloak administrator',
    );
    output(
      'LoadBalancerDnsName',
      infrastructure.loadBalancer.alb.loadBalancerDnsName,
      'DNS name of the load balancer',
    );
    output('ClusterName', infrastructure.cluster.clusterName, 'ECS cluster of the services');
    output('LogGroupName', infrastructure.logGroup.logGroupName, 'CloudWatch log group of the services');
    output(
      'MediaBucketName',
      infrastructure.buckets.media.bucketName,
      'Bucket with the media (prefix media/)',
    );
    output(
      'ConfigBucketName',
      infrastructure.buckets.config.bucketName,
      'Bucket with the runtime settings (frontend/, backend/)',
    );
    output(
      'AccessLogsBucketName',
      infrastructure.buckets.accessLogs.bucketName,
      'Bucket with the access logs',
    );
  }
}
