import { Aws } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AppService, type AppServiceProps } from '../constructs/app-service.js';
import { MEDIA_PREFIX, type ServiceName } from '../services.js';
import type { InfrastructureStack } from './infrastructure-stack.js';
import type { MainParameters } from './main-parameters.js';
import { FrameproofNestedStack } from './nested.js';

export interface ServiceStackProps {
  readonly parameters: MainParameters;
  readonly infrastructure: InfrastructureStack;
}

/** A nested stack that holds one service (and its database, if it has one), in the private subnets. */
export abstract class ServiceStack extends FrameproofNestedStack {
  protected readonly mainParameters: MainParameters;
  protected readonly infrastructure: InfrastructureStack;

  constructor(
    scope: Construct,
    id: string,
    description: string,
    { parameters, infrastructure }: ServiceStackProps,
  ) {
    super(scope, id, {
      description,
      // The tasks and databases go into the private subnets; nothing here needs the VPC id.
      network: { privateSubnetIds: parameters.privateSubnetIds },
    });
    this.mainParameters = parameters;
    this.infrastructure = infrastructure;
  }

  /**
   * The stack's service, in its security group and, if it is public, its target group; with its
   * image, size and count from the main template's parameters.
   */
  protected addService(
    name: ServiceName,
    props: Omit<AppServiceProps, 'name' | 'vpc' | 'host' | 'securityGroup' | 'parameters' | 'targetGroup'>,
  ): AppService {
    const infra = this.infrastructure;
    return new AppService(this, 'Service', {
      name,
      vpc: this.vpc,
      host: infra,
      securityGroup: infra.securityGroups[name],
      parameters: this.mainParameters.services[name],
      targetGroup: name === 'jobs' ? undefined : infra.loadBalancer.targetGroups[name],
      ...props,
    });
  }

  /** Where users open Frameproof. */
  protected get publicUrl(): string {
    return `https://${this.mainParameters.domainName}`;
  }

  /** Environment every service that touches media shares. */
  protected get mediaEnvironment(): Record<string, string> {
    return {
      STORAGE_URL: `s3://${this.infrastructure.buckets.media.bucketName}/${MEDIA_PREFIX}`,
      AWS_REGION: Aws.REGION,
    };
  }
}
