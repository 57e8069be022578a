import { CfnParameter, Fn, Lazy, NestedStack, Validations, type NestedStackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';

/**
 * The parts of the network the main stack was given that a nested stack uses, as the main
 * stack's tokens; each becomes a parameter of the nested stack, so only what it uses is passed.
 */
export interface NetworkValues {
  /** Without it, anything that reads the VPC id fails the synthesis, naming the stack. */
  readonly vpcId?: string;
  readonly privateSubnetIds?: string[];
  /** Only the stack with the load balancer needs them. */
  readonly publicSubnetIds?: string[];
}

export interface FrameproofNestedStackProps extends NestedStackProps {
  readonly network: NetworkValues;
}

/**
 * A nested stack of the main template. It takes the VPC and subnets as parameters of its own:
 * CDK passes a parent's value into a nested stack as a String parameter, which a subnet list
 * cannot go through, so the list is joined here and declared as a list parameter there.
 */
export abstract class FrameproofNestedStack extends NestedStack {
  readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, { network, ...props }: FrameproofNestedStackProps) {
    super(scope, id, props);
    const parameter = (name: string, type: string, value: string): CfnParameter => {
      this.setParameter(name, value);
      return new CfnParameter(this, name, { type });
    };
    const subnets = (name: string, ids: string[]): string[] =>
      parameter(name, 'List<AWS::EC2::Subnet::Id>', Fn.join(',', ids)).valueAsList;

    const noVpcId = Lazy.string({
      produce: () => {
        throw new Error(`${this.node.path} uses the VPC id: pass network.vpcId to it`);
      },
    });
    this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: network.vpcId ? parameter('VpcId', 'AWS::EC2::VPC::Id', network.vpcId).valueAsString : noVpcId,
      availabilityZones: Fn.getAzs(),
      ...(network.privateSubnetIds && {
        privateSubnetIds: subnets('PrivateSubnetIds', network.privateSubnetIds),
      }),
      ...(network.publicSubnetIds && {
        publicSubnetIds: subnets('PublicSubnetIds', network.publicSubnetIds),
      }),
    });
    // CDK warns that subnets it cannot count at synthesis will not work everywhere; here they are
    // only ever handed whole to CloudFormation (Subnets: !Ref PrivateSubnetIds).
    const listToken = 'The subnets are template parameters, passed whole to the resources that use them.';
    for (const attribute of ['availabilityZones', 'privateSubnetIds', 'publicSubnetIds']) {
      Validations.of(this.vpc).acknowledge({
        id: `Annotation::@aws-cdk/aws-ec2:vpcAttributeIsListToken${attribute}`,
        reason: listToken,
      });
    }
    Validations.of(this.vpc).acknowledge({
      id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      reason: 'Nothing here reads the route tables of the given subnets.',
    });
  }
}
