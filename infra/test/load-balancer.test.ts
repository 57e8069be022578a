import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { logicalId, only, referencedId, resources, synthesize, traceParameter } from './support.js';

// Given the launch app, synthesized once
const synthesized = synthesize();
const { main, nested } = synthesized;
const infra = nested.infrastructure;
const lb = main.infrastructure.loadBalancer;

/** The reference's table: path rule, priority, port and health check per public service. */
const ROUTES = [
  {
    service: 'analyze',
    priority: 1,
    paths: ['/api/analyze', '/api/analyze/*'],
    port: 8080,
    check: '/api/health',
    codes: '200,400,401',
  },
  {
    service: 'adapter',
    priority: 2,
    paths: ['/api', '/api/*'],
    port: 8080,
    check: '/api/health',
    codes: '200,401',
  },
  {
    service: 'keycloak',
    priority: 3,
    paths: ['/auth', '/auth/*'],
    port: 8080,
    check: '/auth/realms/master',
    codes: '200',
  },
  { service: 'frontend', priority: 4, paths: ['/*'], port: 80, check: '/', codes: '200' },
] as const;

/**
 * Whether an ALB path pattern takes a path, as AWS documents it: `*` is any characters, `?` one,
 * the rest is compared literally and case-sensitively, with the path only (no query string).
 */
function takes(pattern: string, path: string): boolean {
  const source = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(path);
}

describe('load balancer', () => {
  it('is internet-facing in the public subnets, idle timeout 30 s, with access logs', () => {
    const alb = only(infra, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    assert.equal(alb.Properties?.Scheme, 'internet-facing');
    assert.deepEqual(alb.Properties?.Subnets, { Ref: 'PublicSubnetIds' });
    assert.deepEqual(alb.Properties?.SecurityGroups, [
      { 'Fn::GetAtt': [logicalId(main.infrastructure.securityGroups.loadBalancer), 'GroupId'] },
    ]);
    const attributes = Object.fromEntries(
      (alb.Properties?.LoadBalancerAttributes as { Key: string; Value: unknown }[]).map((a) => [
        a.Key,
        a.Value,
      ]),
    );
    assert.equal(attributes['idle_timeout.timeout_seconds'], '30');
    assert.equal(attributes['access_logs.s3.enabled'], 'true');
    assert.deepEqual(attributes['access_logs.s3.bucket'], {
      Ref: logicalId(main.infrastructure.buckets.accessLogs),
    });
    assert.equal(attributes['routing.http.drop_invalid_header_fields.enabled'], 'true');
  });

  it('lets the load balancer write its logs in every region', () => {
    const policy = resources(infra, 'AWS::S3::BucketPolicy').find(
      ([, p]) => referencedId(p.Properties?.Bucket) === logicalId(main.infrastructure.buckets.accessLogs),
    )?.[1];
    const statements = (policy?.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    const delivery = statements.find((s) => JSON.stringify(s.Resource).includes('/alb/AWSLogs/'));
    assert.equal(delivery?.Action, 's3:PutObject');
    const principal = delivery?.Principal as { Service: string; AWS: unknown };
    assert.equal(principal.Service, 'logdelivery.elasticloadbalancing.amazonaws.com');
    // Older regions: the regional ELB account, chosen by a condition over the known list.
    assert.match(
      JSON.stringify(principal.AWS),
      /"Fn::If":\["LoadBalancerLegacyElbRegion\w+",\{"Fn::FindInMap"/,
    );
    const mapping = Object.values(
      infra.toJSON().Mappings as Record<string, Record<string, { Account: string }>>,
    )[0];
    assert.equal(mapping?.['eu-north-1']?.Account, '897822967062');
    assert.equal(mapping?.['il-central-1'], undefined, 'newer regions use the service principal');
  });

  it('redirects HTTP on 80 to HTTPS with a 301, keeping host, path and query', () => {
    infra.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        {
          Type: 'redirect',
          RedirectConfig: {
            Protocol: 'HTTPS',
            Port: '443',
            StatusCode: 'HTTP_301',
            ...{ Host: Match.absent(), Path: Match.absent(), Query: Match.absent() },
          },
        },
      ],
    });
  });

  it('serves HTTPS on 443 with a current TLS policy and a given or created certificate', () => {
    const condition = Object.keys(infra.toJSON().Conditions).find((c) => c.includes('CreateCertificate'));
    assert.ok(condition);
    infra.hasCondition(condition, { 'Fn::Equals': [{ Ref: Match.stringLikeRegexp('CertificateArn') }, ''] });
    infra.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-PQ-2025-09',
      Certificates: [
        {
          CertificateArn: {
            'Fn::If': [
              condition,
              { Ref: Match.stringLikeRegexp('Certificate') },
              { Ref: Match.stringLikeRegexp('CertificateArn') },
            ],
          },
        },
      ],
      DefaultActions: [
        Match.objectLike({
          Type: 'fixed-response',
          FixedResponseConfig: Match.objectLike({ StatusCode: '404' }),
        }),
      ],
    });
    infra.hasResource('AWS::CertificateManager::Certificate', {
      Condition: condition,
      Properties: {
        DomainName: { Ref: Match.stringLikeRegexp('DomainName') },
        ValidationMethod: 'DNS',
        DomainValidationOptions: [
          {
            DomainName: { Ref: Match.stringLikeRegexp('DomainName') },
            HostedZoneId: { Ref: Match.stringLikeRegexp('HostedZoneId') },
          },
        ],
      },
    });
  });

  it('has exactly the four path rules, with their priorities', () => {
    const rules = resources(infra, 'AWS::ElasticLoadBalancingV2::ListenerRule').map(([, r]) => ({
      priority: r.Properties?.Priority,
      paths: (r.Properties?.Conditions as { Field: string; PathPatternConfig: { Values: string[] } }[]).map(
        (c) => `${c.Field}:${c.PathPatternConfig.Values.join(',')}`,
      ),
      listener: r.Properties?.ListenerArn,
    }));
    assert.deepEqual(
      rules
        .map(({ priority, paths }) => ({ priority, paths }))
        .sort((a, b) => Number(a.priority) - Number(b.priority)),
      ROUTES.map((r) => ({ priority: r.priority, paths: [`path-pattern:${r.paths.join(',')}`] })),
    );
    for (const rule of rules) assert.deepEqual(rule.listener, { Ref: logicalId(lb.https) });
  });

  it('sends each path where the local gateway sends it: a prefix and what is below it, nothing more', () => {
    // The synthesized rules, tried in priority order as the ALB does; the same literal paths are
    // in the gateway's routing test (packages/gateway/test/gateway.test.ts).
    const groups = Object.fromEntries(
      Object.entries(lb.targetGroups).map(([service, group]) => [logicalId(group), service]),
    );
    const rules = resources(infra, 'AWS::ElasticLoadBalancingV2::ListenerRule')
      .map(([, r]) => r.Properties as Record<string, unknown>)
      .sort((a, b) => Number(a.Priority) - Number(b.Priority))
      .map((r) => ({
        patterns: (r.Conditions as { PathPatternConfig: { Values: string[] } }[]).flatMap(
          (c) => c.PathPatternConfig.Values,
        ),
        service: groups[referencedId((r.Actions as { TargetGroupArn: unknown }[])[0]?.TargetGroupArn) ?? ''],
      }));
    const serviceFor = (path: string) =>
      rules.find((rule) => rule.patterns.some((pattern) => takes(pattern, path)))?.service;
    const expected: [string, string][] = [
      ['/api/analyze', 'analyze'],
      ['/api/analyze/', 'analyze'],
      ['/api/analyze/assets/x/audio/1/waveform', 'analyze'],
      ['/api/analyzer', 'adapter'],
      ['/api', 'adapter'],
      ['/api/assets', 'adapter'],
      ['/apiary', 'frontend'],
      ['/auth', 'keycloak'],
      ['/auth/realms/frameproof', 'keycloak'],
      ['/authors', 'frontend'],
      ['/Auth', 'frontend'],
      ['/', 'frontend'],
      ['/assets/123', 'frontend'],
    ];
    assert.deepEqual(
      expected.map(([path]) => [path, serviceFor(path)]),
      expected,
    );
  });

  for (const route of ROUTES) {
    it(`sends ${route.paths.join(' and ')} to the ${route.service} targets, which are checked on ${route.check}`, () => {
      const group = lb.targetGroups[route.service];
      infra.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
        Priority: route.priority,
        Actions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalId(group) } }],
      });
      const properties = infra.toJSON().Resources[logicalId(group)].Properties;
      assert.deepEqual(
        {
          TargetType: properties.TargetType,
          Protocol: properties.Protocol,
          Port: properties.Port,
          HealthCheckPath: properties.HealthCheckPath,
          Matcher: properties.Matcher,
          HealthCheckIntervalSeconds: properties.HealthCheckIntervalSeconds,
          HealthCheckTimeoutSeconds: properties.HealthCheckTimeoutSeconds,
          HealthyThresholdCount: properties.HealthyThresholdCount,
          UnhealthyThresholdCount: properties.UnhealthyThresholdCount,
          VpcId: properties.VpcId,
        },
        {
          TargetType: 'ip',
          Protocol: 'HTTP',
          Port: route.port,
          HealthCheckPath: route.check,
          Matcher: { HttpCode: route.codes },
          HealthCheckIntervalSeconds: 120,
          HealthCheckTimeoutSeconds: 60,
          HealthyThresholdCount: 2,
          UnhealthyThresholdCount: 2,
          VpcId: { Ref: 'VpcId' },
        },
      );
      assert.deepEqual(properties.TargetGroupAttributes, [
        { Key: 'deregistration_delay.timeout_seconds', Value: '15' },
        { Key: 'stickiness.enabled', Value: 'false' },
      ]);
    });

    it(`registers the ${route.service} tasks with the ${route.service} targets`, () => {
      const [[, service] = []] = resources(nested[route.service], 'AWS::ECS::Service');
      const [attachment, ...more] = service?.Properties?.LoadBalancers as {
        ContainerName: string;
        ContainerPort: number;
        TargetGroupArn: unknown;
      }[];
      assert.equal(more.length, 0);
      assert.equal(attachment?.ContainerName, route.service);
      assert.equal(attachment?.ContainerPort, route.port);
      const source = traceParameter(synthesized, main[route.service], attachment?.TargetGroupArn);
      assert.equal(referencedId(source.value), logicalId(lb.targetGroups[route.service]));
    });
  }

  it('keeps jobs off the load balancer', () => {
    assert.deepEqual(
      nested.jobs.toJSON().Resources[logicalId(main.jobs.app.service)].Properties.LoadBalancers ?? [],
      [],
    );
  });

  it('points an alias A record for the domain name at the load balancer', () => {
    const alb = logicalId(lb.alb);
    infra.hasResourceProperties('AWS::Route53::RecordSet', {
      Type: 'A',
      Name: { Ref: Match.stringLikeRegexp('DomainName') },
      HostedZoneId: { Ref: Match.stringLikeRegexp('HostedZoneId') },
      AliasTarget: {
        DNSName: { 'Fn::GetAtt': [alb, 'DNSName'] },
        HostedZoneId: { 'Fn::GetAtt': [alb, 'CanonicalHostedZoneID'] },
      },
    });
  });
});
