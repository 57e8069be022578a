import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { referencedId, resources, synthesize, type Resource } from './support.js';

// Given the launch app, synthesized once
const template = synthesize().vpcTemplate;
const byId = Object.fromEntries(resources(template));
const get = (value: unknown): Resource => {
  const resource = byId[referencedId(value) ?? ''];
  assert.ok(resource, `no resource ${JSON.stringify(value)}`);
  return resource;
};

/** Zone of a subnet: the index into Fn::GetAZs. */
const zone = (subnet: Resource): number =>
  (subnet.Properties?.AvailabilityZone as { 'Fn::Select': [number, unknown] })['Fn::Select'][0];

const subnets = resources(template, 'AWS::EC2::Subnet').map(([id, s]) => ({
  id,
  cidr: s.Properties?.CidrBlock,
  zone: zone(s),
  subnet: s,
}));
const subnetByCidr = (cidr: string): { id: string; subnet: Resource; zone: number } => {
  const found = subnets.find((s) => s.cidr === cidr);
  assert.ok(found, `no subnet ${cidr}`);
  return found;
};
const routesOf = (subnetId: string): Resource[] => {
  const association = resources(template, 'AWS::EC2::SubnetRouteTableAssociation').find(
    ([, a]) => referencedId(a.Properties?.SubnetId) === subnetId,
  )?.[1];
  const table = referencedId(association?.Properties?.RouteTableId);
  return resources(template, 'AWS::EC2::Route')
    .filter(([, r]) => referencedId(r.Properties?.RouteTableId) === table)
    .map(([, r]) => r);
};

describe('VPC template', () => {
  it('is 10.0.0.0/16', () => {
    template.hasResourceProperties('AWS::EC2::VPC', {
      CidrBlock: '10.0.0.0/16',
      EnableDnsHostnames: true,
      EnableDnsSupport: true,
    });
  });

  it('has public 10.0.0.0/24 (A) and 10.0.1.0/24 (B), private 10.0.2.0/24 (A) and 10.0.3.0/24 (B)', () => {
    assert.deepEqual(
      subnets
        .map((s) => `${s.cidr} ${s.zone} ${s.subnet.Properties?.MapPublicIpOnLaunch ? 'public' : 'private'}`)
        .sort(),
      ['10.0.0.0/24 0 public', '10.0.1.0/24 1 public', '10.0.2.0/24 0 private', '10.0.3.0/24 1 private'],
    );
  });

  it('routes the public subnets to the internet gateway', () => {
    for (const cidr of ['10.0.0.0/24', '10.0.1.0/24']) {
      const routes = routesOf(subnetByCidr(cidr).id);
      assert.deepEqual(
        routes.map((r) => [
          r.Properties?.DestinationCidrBlock,
          byId[referencedId(r.Properties?.GatewayId) ?? '']?.Type,
        ]),
        [['0.0.0.0/0', 'AWS::EC2::InternetGateway']],
      );
    }
  });

  it('has a NAT gateway with an Elastic IP in each public subnet', () => {
    const nats = resources(template, 'AWS::EC2::NatGateway').map(([, n]) => n);
    assert.equal(nats.length, 2);
    assert.deepEqual(nats.map((n) => get(n.Properties?.SubnetId).Properties?.CidrBlock).sort(), [
      '10.0.0.0/24',
      '10.0.1.0/24',
    ]);
    for (const nat of nats) assert.equal(get(nat.Properties?.AllocationId).Type, 'AWS::EC2::EIP');
  });

  it('routes each private subnet to the NAT gateway of its own zone', () => {
    for (const cidr of ['10.0.2.0/24', '10.0.3.0/24']) {
      const { id, zone: privateZone } = subnetByCidr(cidr);
      const [route, ...more] = routesOf(id);
      assert.equal(more.length, 0);
      assert.equal(route?.Properties?.DestinationCidrBlock, '0.0.0.0/0');
      const nat = get(route?.Properties?.NatGatewayId);
      assert.equal(zone(get(nat.Properties?.SubnetId)), privateZone);
    }
  });

  it('keeps S3 traffic of the private subnets on the AWS network', () => {
    const [[, endpoint] = []] = resources(template, 'AWS::EC2::VPCEndpoint');
    assert.equal(endpoint?.Properties?.VpcEndpointType, 'Gateway');
    assert.match(JSON.stringify(endpoint?.Properties?.ServiceName), /\.s3"/);
    const tables = (endpoint?.Properties?.RouteTableIds as unknown[]).map(referencedId).sort();
    const privateTables = ['10.0.2.0/24', '10.0.3.0/24']
      .map((cidr) =>
        referencedId(
          resources(template, 'AWS::EC2::SubnetRouteTableAssociation').find(
            ([, a]) => referencedId(a.Properties?.SubnetId) === subnetByCidr(cidr).id,
          )?.[1].Properties?.RouteTableId,
        ),
      )
      .sort();
    assert.deepEqual(tables, privateTables);
  });

  it('logs rejected traffic', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'REJECT',
      LogDestinationType: 'cloud-watch-logs',
    });
  });

  it('outputs the VPC and subnets for the main template, exported', () => {
    for (const name of ['VpcId', 'PrivateSubnetIds', 'PublicSubnetIds']) {
      template.hasOutput(name, { Export: { Name: { 'Fn::Sub': `\${AWS::StackName}-${name}` } } });
    }
  });

  it('tags everything with the application tag', () => {
    template.hasParameter('ApplicationTag', { Default: 'frameproof' });
    template.hasResourceProperties('AWS::EC2::VPC', {
      Tags: [
        { Key: 'Application', Value: { Ref: 'ApplicationTag' } },
        { Key: 'Name', Value: 'FrameproofVpc/Vpc' },
      ],
    });
  });
});
