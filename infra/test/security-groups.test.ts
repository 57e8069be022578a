import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import { logicalId, referencedId, resources, synthesize, traceParameter } from './support.js';

// Given the launch app, synthesized once
const synthesized = synthesize();
const { main, nested, mainTemplate, vpcTemplate } = synthesized;
const groups = main.infrastructure.securityGroups;
const groupNames = new Map<string, string>(
  (
    [
      ['alb', groups.loadBalancer],
      ['frontend', groups.frontend],
      ['analyze', groups.analyze],
      ['keycloak', groups.keycloak],
      ['adapter', groups.adapter],
      ['jobs', groups.jobs],
      ['adapter-db', groups.adapterDatabase],
      ['keycloak-db', groups.keycloakDatabase],
    ] as const
  ).map(([name, group]) => [logicalId(group), name]),
);

/** The reference's table, one line per rule: `group <- source tcp from-to`. */
const EXPECTED_INBOUND = [
  'alb <- 0.0.0.0/0 tcp 80-80',
  'alb <- 0.0.0.0/0 tcp 443-443',
  'frontend <- alb tcp 80-80',
  'analyze <- alb tcp 8080-8080',
  'analyze <- jobs tcp 8080-8080',
  'keycloak <- alb tcp 8080-8080',
  'adapter <- alb tcp 8080-8080',
  'adapter <- jobs tcp 8080-8080',
  'adapter <- analyze tcp 8080-8080',
  'adapter <- jobs tcp 5699-5702',
  'adapter <- adapter tcp 5699-5702',
  'jobs <- adapter tcp 5699-5702',
  'jobs <- jobs tcp 5699-5702',
  'adapter-db <- adapter tcp 5432-5432',
  'keycloak-db <- keycloak tcp 5432-5432',
].sort();

interface Rule {
  IpProtocol: string;
  FromPort: number;
  ToPort: number;
  CidrIp?: string;
  CidrIpv6?: string;
  SourceSecurityGroupId?: unknown;
  SourcePrefixListId?: unknown;
}

function describeRule(group: string, rule: Rule): string {
  const source =
    rule.CidrIp ??
    rule.CidrIpv6 ??
    (rule.SourceSecurityGroupId
      ? groupNames.get(referencedId(rule.SourceSecurityGroupId) ?? '')
      : undefined) ??
    JSON.stringify(rule.SourceSecurityGroupId ?? rule.SourcePrefixListId);
  return `${group} <- ${source} ${rule.IpProtocol} ${rule.FromPort}-${rule.ToPort}`;
}

/** Every inbound rule in a template, inline or as its own resource. */
function inboundRules(template: Template): string[] {
  const name = (id: string | undefined): string => groupNames.get(id ?? '') ?? `unknown group ${id}`;
  return [
    ...resources(template, 'AWS::EC2::SecurityGroup').flatMap(([id, group]) =>
      ((group.Properties?.SecurityGroupIngress ?? []) as Rule[]).map((rule) => describeRule(name(id), rule)),
    ),
    ...resources(template, 'AWS::EC2::SecurityGroupIngress').map(([, ingress]) =>
      describeRule(name(referencedId(ingress.Properties?.GroupId)), ingress.Properties as unknown as Rule),
    ),
  ];
}

const allTemplates = [vpcTemplate, mainTemplate, ...Object.values(nested)];

describe('security groups', () => {
  it('allow exactly the inbound rules of the reference table', () => {
    assert.deepEqual(inboundRules(nested.infrastructure).sort(), EXPECTED_INBOUND);
  });

  it('have no inbound rule anywhere beyond that table', () => {
    const everywhere = allTemplates.flatMap(inboundRules).sort();
    assert.deepEqual(everywhere, EXPECTED_INBOUND);
  });

  it('are all made in the infrastructure stack; the services only use them', () => {
    for (const template of [
      vpcTemplate,
      mainTemplate,
      ...Object.values(nested).filter((t) => t !== nested.infrastructure),
    ]) {
      assert.deepEqual(resources(template, 'AWS::EC2::SecurityGroup'), []);
      assert.deepEqual(resources(template, 'AWS::EC2::SecurityGroupIngress'), []);
    }
    assert.equal(resources(nested.infrastructure, 'AWS::EC2::SecurityGroup').length, 8);
  });

  it('keep the databases from reaching out', () => {
    for (const group of [groups.adapterDatabase, groups.keycloakDatabase]) {
      const egress =
        nested.infrastructure.toJSON().Resources[logicalId(group)].Properties.SecurityGroupEgress;
      assert.deepEqual(egress, [
        {
          CidrIp: '255.255.255.255/32',
          Description: 'Disallow all traffic',
          FromPort: 252,
          IpProtocol: 'icmp',
          ToPort: 86,
        },
      ]);
    }
  });

  const serviceGroups = [
    ['adapter', main.adapter, groups.adapter],
    ['jobs', main.jobs, groups.jobs],
    ['analyze', main.analyze, groups.analyze],
    ['frontend', main.frontend, groups.frontend],
    ['keycloak', main.keycloak, groups.keycloak],
  ] as const;
  for (const [name, stack, group] of serviceGroups) {
    it(`put the ${name} tasks in the ${name} group`, () => {
      const [[, service] = []] = resources(nested[name], 'AWS::ECS::Service');
      const config = (
        service?.Properties?.NetworkConfiguration as { AwsvpcConfiguration: { SecurityGroups: unknown[] } }
      ).AwsvpcConfiguration;
      assert.equal(config.SecurityGroups.length, 1);
      const source = traceParameter(synthesized, stack, config.SecurityGroups[0]);
      assert.equal(source.stack, 'infrastructure');
      assert.equal(referencedId(source.value), logicalId(group));
    });
  }

  for (const [name, stack, group] of [
    ['adapter', main.adapter, groups.adapterDatabase],
    ['keycloak', main.keycloak, groups.keycloakDatabase],
  ] as const) {
    it(`put the ${name} database in the ${name} database group`, () => {
      const [[, db] = []] = resources(nested[name], 'AWS::RDS::DBInstance');
      const [only, ...rest] = db?.Properties?.VPCSecurityGroups as unknown[];
      assert.equal(rest.length, 0);
      assert.equal(referencedId(traceParameter(synthesized, stack, only).value), logicalId(group));
    });
  }
});
