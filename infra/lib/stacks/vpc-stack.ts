import { CfnOutput, Fn, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { APPLICATION_TAG, LOG_RETENTION_DAYS, ParameterGroups } from '../parameters.js';

/**
 * The optional network, for accounts without a VPC: 10.0.0.0/16 over two zones, a public and a
 * private /24 in each, a NAT gateway with an Elastic IP in each public subnet, each private subnet
 * routed to the NAT gateway of its own zone, and an S3 gateway endpoint for the private subnets.
 */
export class VpcStack extends Stack {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'Frameproof network (optional): VPC, subnets, NAT gateways, S3 endpoint',
      ...props,
    });
    const params = new ParameterGroups(this);
    const group = 'Application';
    const tag = params.add(group, 'ApplicationTag', {
      label: 'Application tag',
      type: 'String',
      default: 'frameproof',
      allowedPattern: APPLICATION_TAG.pattern,
      maxLength: APPLICATION_TAG.maxLength,
      constraintDescription: APPLICATION_TAG.constraint,
      description: 'Tags every resource (key "Application").',
    }).valueAsString;
    const retention = params.add(group, 'FlowLogRetentionDays', {
      label: 'Flow log retention (days)',
      type: 'Number',
      default: 14,
      allowedValues: LOG_RETENTION_DAYS.map(String),
      description: 'How long CloudWatch Logs keeps the VPC flow log (rejected traffic).',
    }).valueAsNumber;
    Tags.of(this).add('Application', tag);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
      maxAzs: 2,
      natGateways: 2,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
      gatewayEndpoints: {
        S3: {
          service: ec2.GatewayVpcEndpointAwsService.S3,
          subnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
        },
      },
      // Restricting the default group takes a custom resource with bundled code, which a launch
      // template cannot carry; nothing here uses the default group.
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        Rejected: {
          trafficType: ec2.FlowLogTrafficType.REJECT,
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', { retention, removalPolicy: RemovalPolicy.DESTROY }),
          ),
        },
      },
    });

    const output = (id: string, value: string, description: string): CfnOutput =>
      new CfnOutput(this, id, { value, description, exportName: Fn.sub(`\${AWS::StackName}-${id}`) });
    output('VpcId', this.vpc.vpcId, 'VPC for the main template');
    output(
      'PrivateSubnetIds',
      Fn.join(
        ',',
        this.vpc.privateSubnets.map((s) => s.subnetId),
      ),
      'Private subnets for the main template',
    );
    output(
      'PublicSubnetIds',
      Fn.join(
        ',',
        this.vpc.publicSubnets.map((s) => s.subnetId),
      ),
      'Public subnets for the main template',
    );
  }
}
