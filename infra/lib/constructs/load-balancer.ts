import { Aws, CfnCondition, CfnMapping, Duration, Fn, type ICfnConditionExpression } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { PORTS, title, type ServiceName } from '../services.js';

/** A service behind the load balancer: its path rule and its target group's health check. */
export interface Route {
  readonly priority: number;
  readonly paths: string[];
  readonly port: number;
  readonly healthCheckPath: string;
  readonly healthyHttpCodes: string;
}

export type PublicService = Exclude<ServiceName, 'jobs'>;

/**
 * The listener rules, most specific first (jobs are not public). A path pattern's `*` takes any
 * characters, so each service names its prefix and the paths below it (`/auth` and `/auth/*`,
 * never `/auth*`, which would take `/authors` too): the rules are the gateway's prefixes.
 */
export const ROUTES: Record<PublicService, Route> = {
  analyze: {
    priority: 1,
    paths: ['/api/analyze', '/api/analyze/*'],
    port: PORTS.http,
    healthCheckPath: '/api/health',
    healthyHttpCodes: '200,400,401',
  },
  adapter: {
    priority: 2,
    paths: ['/api', '/api/*'],
    port: PORTS.http,
    healthCheckPath: '/api/health',
    healthyHttpCodes: '200,401',
  },
  keycloak: {
    priority: 3,
    paths: ['/auth', '/auth/*'],
    port: PORTS.http,
    healthCheckPath: '/auth/realms/master',
    healthyHttpCodes: '200',
  },
  frontend: {
    priority: 4,
    paths: ['/*'],
    port: PORTS.frontend,
    healthCheckPath: '/',
    healthyHttpCodes: '200',
  },
};

export interface LoadBalancerProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly accessLogs: s3.IBucket;
  readonly hostedZoneId: string;
  readonly domainName: string;
  /** Empty: a DNS-validated certificate is created in the hosted zone. */
  readonly certificateArn: string;
}

/**
 * The internet-facing load balancer: HTTPS on 443 with the path rules, 80 redirecting to 443,
 * one IP target group per public service, the certificate, and the alias record.
 */
export class LoadBalancer extends Construct {
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly https: elbv2.ApplicationListener;
  readonly targetGroups: Record<PublicService, elbv2.ApplicationTargetGroup>;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const { vpc, domainName, hostedZoneId } = props;

    const createCertificate = new CfnCondition(this, 'CreateCertificate', {
      expression: Fn.conditionEquals(props.certificateArn, ''),
    });
    const certificate = new acm.CfnCertificate(this, 'Certificate', {
      domainName,
      validationMethod: 'DNS',
      domainValidationOptions: [{ domainName, hostedZoneId }],
    });
    certificate.cfnOptions.condition = createCertificate;
    const certificateArn = Fn.conditionIf(
      createCertificate.logicalId,
      certificate.ref,
      props.certificateArn,
    ).toString();

    this.alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: props.securityGroup,
      idleTimeout: Duration.seconds(30),
      dropInvalidHeaderFields: true,
    });
    this.logAccessLogs(props.accessLogs, 'alb');

    this.alb.addListener('Http', {
      port: 80,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    this.https = this.alb.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      open: false,
      certificates: [elbv2.ListenerCertificate.fromArn(certificateArn)],
      sslPolicy: elbv2.SslPolicy.TLS13_12_PQ,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'text/plain',
        messageBody: 'Not found',
      }),
    });

    const targetGroups: Partial<Record<PublicService, elbv2.ApplicationTargetGroup>> = {};
    for (const [service, route] of Object.entries(ROUTES) as [PublicService, Route][]) {
      const name = title(service);
      const group = new elbv2.ApplicationTargetGroup(this, `${name}Targets`, {
        vpc,
        targetType: elbv2.TargetType.IP,
        protocol: elbv2.ApplicationProtocol.HTTP,
        port: route.port,
        deregistrationDelay: Duration.seconds(15),
        healthCheck: {
          path: route.healthCheckPath,
          healthyHttpCodes: route.healthyHttpCodes,
          interval: Duration.seconds(120),
          timeout: Duration.seconds(60),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 2,
        },
      });
      new elbv2.ApplicationListenerRule(this, `${name}Rule`, {
        listener: this.https,
        priority: route.priority,
        conditions: [elbv2.ListenerCondition.pathPatterns(route.paths)],
        action: elbv2.ListenerAction.forward([group]),
      });
      targetGroups[service] = group;
    }
    this.targetGroups = targetGroups as Record<PublicService, elbv2.ApplicationTargetGroup>;

    new route53.CfnRecordSet(this, 'AliasRecord', {
      hostedZoneId,
      name: domainName,
      type: 'A',
      aliasTarget: {
        dnsName: this.alb.loadBalancerDnsName,
        hostedZoneId: this.alb.loadBalancerCanonicalHostedZoneId,
        evaluateTargetHealth: false,
      },
    });
  }

  /**
   * What `alb.logAccessLogs()` does, for a template that works in any region (CDK's needs the region
   * at synthesis). Regions older than August 2022 deliver the logs from a regional ELB account,
   * newer ones through the `logdelivery.elasticloadbalancing.amazonaws.com` service principal.
   */
  private logAccessLogs(bucket: s3.IBucket, prefix: string): void {
    const legacy = RegionInfo.regions.flatMap((r) =>
      r.elbv2Account ? [{ name: r.name, account: r.elbv2Account }] : [],
    );
    const accounts = new CfnMapping(this, 'ElbAccounts', {
      mapping: Object.fromEntries(legacy.map((r) => [r.name, { Account: r.account }])),
    });
    const equalsRegion = (r: { name: string }): ICfnConditionExpression =>
      Fn.conditionEquals(Aws.REGION, r.name);
    const groups = Array.from({ length: Math.ceil(legacy.length / 10) }, (_, i) =>
      legacy.slice(i * 10, i * 10 + 10),
    );
    const legacyRegion = new CfnCondition(this, 'LegacyElbRegion', {
      // Fn::Or takes at most 10 conditions.
      expression: Fn.conditionOr(...groups.map((g) => Fn.conditionOr(...g.map(equalsRegion)))),
    });
    const logs = bucket.arnForObjects(`${prefix}/AWSLogs/${Aws.ACCOUNT_ID}/*`);
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [logs],
      }),
    );
    // In newer regions this names the account itself, which the bucket trusts anyway.
    const elbAccount = Fn.conditionIf(
      legacyRegion.logicalId,
      accounts.findInMap(Aws.REGION, 'Account'),
      Aws.ACCOUNT_ID,
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AccountPrincipal(elbAccount.toString())],
        actions: ['s3:PutObject'],
        resources: [logs],
      }),
    );
    this.alb.setAttribute('access_logs.s3.enabled', 'true');
    this.alb.setAttribute('access_logs.s3.bucket', bucket.bucketName);
    this.alb.setAttribute('access_logs.s3.prefix', prefix);
    // ELB checks that it may write before it turns logging on.
    if (bucket.policy) this.alb.node.addDependency(bucket.policy);
  }
}
