import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { PORTS } from '../services.js';

/**
 * Every security group and every inbound rule of the deployment, and nothing else: the table
 * "Security groups" in the reference. The service stacks use these groups as immutable imports,
 * so no construct there can add a rule of its own.
 */
export class SecurityGroups extends Construct {
  readonly loadBalancer: ec2.SecurityGroup;
  readonly frontend: ec2.SecurityGroup;
  readonly analyze: ec2.SecurityGroup;
  readonly keycloak: ec2.SecurityGroup;
  readonly adapter: ec2.SecurityGroup;
  readonly jobs: ec2.SecurityGroup;
  readonly adapterDatabase: ec2.SecurityGroup;
  readonly keycloakDatabase: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, { vpc }: { vpc: ec2.IVpc }) {
    super(scope, id);
    const group = (name: string, description: string, allowAllOutbound = true): ec2.SecurityGroup =>
      new ec2.SecurityGroup(this, name, { vpc, description, allowAllOutbound });

    this.loadBalancer = group('LoadBalancer', 'Public load balancer');
    this.frontend = group('Frontend', 'Frontend service');
    this.analyze = group('Analyze', 'Analyze service');
    this.keycloak = group('Keycloak', 'Keycloak service');
    this.adapter = group('Adapter', 'Adapter service');
    this.jobs = group('Jobs', 'Jobs service');
    this.adapterDatabase = group('AdapterDatabase', 'Adapter PostgreSQL database', false);
    this.keycloakDatabase = group('KeycloakDatabase', 'Keycloak PostgreSQL database', false);

    const http = ec2.Port.tcp(PORTS.http);
    const bus = ec2.Port.tcpRange(PORTS.busRange.from, PORTS.busRange.to);
    const postgres = ec2.Port.tcp(PORTS.postgres);

    this.loadBalancer.addIngressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(80),
      'HTTP from anywhere, redirected to HTTPS',
    );
    this.loadBalancer.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from anywhere');
    acknowledge(
      this.loadBalancer,
      'EC23',
      'The public load balancer serves users on the internet on 80 and 443.',
    );

    this.frontend.addIngressRule(this.loadBalancer, ec2.Port.tcp(PORTS.frontend), 'From the load balancer');
    this.analyze.addIngressRule(this.loadBalancer, http, 'From the load balancer');
    this.analyze.addIngressRule(this.jobs, http, 'Jobs ask analyze for loudness and silence (Auto QC)');
    this.keycloak.addIngressRule(this.loadBalancer, http, 'From the load balancer');
    this.adapter.addIngressRule(this.loadBalancer, http, 'From the load balancer');
    this.adapter.addIngressRule(this.jobs, http, 'Jobs call the adapter API');
    this.adapter.addIngressRule(this.analyze, http, 'Analyze calls the adapter API');
    this.adapter.addIngressRule(this.jobs, bus, 'Event bus from jobs');
    this.adapter.addIngressRule(this.adapter, bus, 'Event bus between adapter tasks');
    this.jobs.addIngressRule(this.adapter, bus, 'Event bus from the adapter');
    this.jobs.addIngressRule(this.jobs, bus, 'Event bus between jobs tasks');
    this.adapterDatabase.addIngressRule(this.adapter, postgres, 'PostgreSQL from the adapter only');
    this.keycloakDatabase.addIngressRule(this.keycloak, postgres, 'PostgreSQL from Keycloak only');
  }
}

/** A group from another stack, which this stack may use but not change. */
export function useSecurityGroup(
  scope: Construct,
  id: string,
  group: ec2.ISecurityGroup,
): ec2.ISecurityGroup {
  return ec2.SecurityGroup.fromSecurityGroupId(scope, id, group.securityGroupId, { mutable: false });
}
