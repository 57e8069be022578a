import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { httpProbe, LIVENESS_PROBE } from '../lib/constructs/app-service.js';
import { frameproofRealm } from '../lib/keycloak-realm.js';
import { KEYCLOAK_HEALTH_PROBE, KEYCLOAK_START } from '../lib/stacks/keycloak-stack.js';
import { logicalId, only, render, resources, synthesize } from './support.js';

// Given the launch app, synthesized once
const synthesized = synthesize();
const { main, nested } = synthesized;
const infra = main.infrastructure;
const id = {
  media: `<infra:${logicalId(infra.buckets.media)}>`,
  config: `<infra:${logicalId(infra.buckets.config)}>`,
  runner: `<infra:${logicalId(infra.runnerSecret)}>`,
  keycloakClient: `<infra:${logicalId(infra.keycloakClientSecret)}>`,
  logs: `<infra:${logicalId(infra.logGroup)}>`,
  cluster: `<infra:${logicalId(infra.cluster)}>`,
};

interface Container {
  Name: string;
  Image: unknown;
  PortMappings: { ContainerPort: number }[];
  Environment: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
  HealthCheck: { Command: string[]; Interval: number; Timeout: number; Retries: number; StartPeriod: number };
  LogConfiguration: { LogDriver: string; Options: Record<string, unknown> };
  EntryPoint?: string[];
  Command?: string[];
}

type Name = 'adapter' | 'jobs' | 'analyze' | 'frontend' | 'keycloak';
const stacks: Record<Name, Stack> = main;

function container(name: Name): Container {
  const task = only(nested[name], 'AWS::ECS::TaskDefinition');
  const [first, ...more] = task.Properties?.ContainerDefinitions as Container[];
  assert.equal(more.length, 0, 'one container per task');
  return first as Container;
}

function environment(name: Name): Record<string, string> {
  return Object.fromEntries(
    container(name).Environment.map((e) => [e.Name, render(synthesized, stacks[name], e.Value)]),
  );
}

function secrets(name: Name): Record<string, string> {
  return Object.fromEntries(
    (container(name).Secrets ?? []).map((s) => [s.Name, render(synthesized, stacks[name], s.ValueFrom)]),
  );
}

/** Like deepEqual, but expected values may be patterns. */
function assertMatches(actual: Record<string, string>, expected: Record<string, string | RegExp>): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [key, value] of Object.entries(expected)) {
    if (value instanceof RegExp) assert.match(actual[key] ?? '', value, key);
    else assert.equal(actual[key], value, key);
  }
}

const dbSecret = (field: string): RegExp => new RegExp(`^<DatabaseInstanceSecretAttachment\\w+>:${field}::$`);

describe('adapter', () => {
  it('reads its configuration from the environment', () => {
    assertMatches(environment('adapter'), {
      PORT: '8080',
      BUS_PORT: '5701',
      DB_PORT: /^<DatabaseInstance\w+\.Endpoint\.Port>$/,
      DB_NAME: 'accurate_video',
      STORAGE_URL: `s3://${id.media}/media`,
      AWS_REGION: '${AWS::Region}',
      OIDC_ISSUER_URL: 'https://${DomainName}/auth/realms/frameproof',
      OIDC_AUDIENCE: 'frameproof-adapter',
      OIDC_CLIENT_IDS: 'frameproof-frontend',
      OIDC_ROLES_CLAIM: 'realm_access.roles',
      KEYCLOAK_HOST: 'https://${DomainName}',
      PUBLIC_URL: 'https://${DomainName}',
      TRUST_PROXY: '1',
      METRICS_NAMESPACE: 'Frameproof',
      APPLICATION_TAG: '${ApplicationTag}',
      CONFIG_BUCKET: id.config,
      AUTH_LOCAL: '${LocalSignIn}',
      VIDEO_ANALYSES: '${VideoAnalyses}',
      THUMBNAILS_QC_SOURCE: 'proxy',
    });
  });

  it('gets the database, runner and admin credentials and its signing keys as ECS secrets, not the Keycloak client secret it never reads', () => {
    assertMatches(secrets('adapter'), {
      FRAMEPROOF_ADMIN_PASSWORD: `<${logicalId(main.adapter.adminSecret)}>:password::`,
      AUTH_SIGNING_SECRETS: `<${logicalId(main.adapter.signingSecrets.auth)}>`,
      MEDIA_URL_SECRETS: `<${logicalId(main.adapter.signingSecrets.mediaUrls)}>`,
      DB_HOST: dbSecret('host'),
      DB_USER: dbSecret('username'),
      DB_PASS: dbSecret('password'),
      AUTH_RUNNER_USERNAME: `${id.runner}:username::`,
      AUTH_RUNNER_PASSWORD: `${id.runner}:password::`,
    });
  });

  it('has its admin password generated, never a plain environment variable', () => {
    nested.adapter.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{"username":"admin"}',
        GenerateStringKey: 'password',
        ExcludePunctuation: true,
        PasswordLength: 32,
      },
    });
    for (const name of ['adapter', 'jobs', 'analyze', 'frontend', 'keycloak'] as const)
      assert.ok(
        container(name).Environment.every((e) => !/PASSWORD|PASS$|SECRET/.test(e.Name)),
        `${name}: no password in the environment`,
      );
  });

  it('listens on 8080 and on the bus ports 5701 and 5699', () => {
    assert.deepEqual(
      container('adapter').PortMappings.map((p) => p.ContainerPort),
      [8080, 5701, 5699],
    );
  });
});

describe('jobs', () => {
  it('reads its configuration from the environment', () => {
    const mediaProcessing = (c: { node: { defaultChild?: unknown } } | object): string =>
      `<infra:${logicalId(c as Parameters<typeof logicalId>[0])}`;
    assertMatches(environment('jobs'), {
      AP_ADAPTER_HOST: 'http://av-adapter.${ApplicationTag}.local:8080',
      ANALYZE_URL: 'http://av-analyze.${ApplicationTag}.local:8080',
      STORAGE_URL: `s3://${id.media}/media`,
      AWS_REGION: '${AWS::Region}',
      JOBS_CONCURRENCY: '${JobsConcurrency}',
      JOBS_STOP_TIMEOUT_SECONDS: '60',
      BUS_PORT: '5701',
      TRANSCODER: 'mediaconvert',
      MEDIACONVERT_ROLE_ARN: `${mediaProcessing(infra.mediaProcessing.mediaConvertRole)}.Arn>`,
      MEDIACONVERT_PROXY_PRESET: `${mediaProcessing(infra.mediaProcessing.proxyPreset)}.Name>`,
      MEDIACONVERT_VIDEO_ONLY_PRESET: `${mediaProcessing(infra.mediaProcessing.videoOnlyProxyPreset)}.Name>`,
      MEDIACONVERT_AUDIO_PRESET: `${mediaProcessing(infra.mediaProcessing.audioPreset)}.Name>`,
      REKOGNITION_ROLE_ARN: `${mediaProcessing(infra.mediaProcessing.rekognitionRole)}.Arn>`,
      REKOGNITION_SNS_TOPIC_ARN: `${mediaProcessing(infra.mediaProcessing.rekognitionTopic)}>`,
    });
  });

  it('logs in to the adapter with the runner account', () => {
    assertMatches(secrets('jobs'), {
      AP_ADAPTER_USERNAME: `${id.runner}:username::`,
      AP_ADAPTER_PASSWORD: `${id.runner}:password::`,
    });
  });

  it('gives a stopping worker longer than its own stop timeout before SIGKILL', () => {
    assert.equal((container('jobs') as { StopTimeout?: number }).StopTimeout, 90);
  });

  it('has no HTTP port: only the bus ports 5701 and 5699', () => {
    assert.deepEqual(
      container('jobs').PortMappings.map((p) => p.ContainerPort),
      [5701, 5699],
    );
  });
});

describe('analyze', () => {
  it('reads its configuration from the environment', () => {
    assertMatches(environment('analyze'), {
      PORT: '8080',
      AP_ADAPTER_HOST: 'http://av-adapter.${ApplicationTag}.local:8080',
      STORAGE_URL: `s3://${id.media}/media`,
      AWS_REGION: '${AWS::Region}',
      AP_ANALYZE_CACHE_DIR: '/tmp/wav',
      AP_ANALYZE_CACHE_DAYS: '5',
    });
    assert.deepEqual(secrets('analyze'), {});
  });
});

describe('frontend', () => {
  it('reads its settings from the configuration bucket', () => {
    assertMatches(environment('frontend'), {
      PORT: '80',
      CONFIG_BUCKET: id.config,
      CONFIG_PREFIX: 'frontend',
      AWS_REGION: '${AWS::Region}',
    });
    assert.deepEqual(secrets('frontend'), {});
  });
});

describe('keycloak', () => {
  it('runs the official image, tag as a parameter', () => {
    assert.equal(
      render(synthesized, main.keycloak, container('keycloak').Image),
      '${KeycloakImageRepository}:${KeycloakImageTag}',
    );
    synthesized.mainTemplate.hasParameter('KeycloakImageRepository', {
      Default: 'quay.io/keycloak/keycloak',
    });
  });

  it('serves under /auth behind the load balancer, with its own database', () => {
    assertMatches(environment('keycloak'), {
      KC_DB: 'postgres',
      KC_DB_URL_PORT: /^<DatabaseInstance\w+\.Endpoint\.Port>$/,
      KC_DB_URL_DATABASE: 'keycloak',
      KC_HOSTNAME: 'https://${DomainName}/auth',
      KC_HTTP_ENABLED: 'true',
      KC_HTTP_PORT: '8080',
      KC_HTTP_RELATIVE_PATH: '/auth',
      KC_HTTP_MANAGEMENT_RELATIVE_PATH: '/',
      KC_PROXY_HEADERS: 'xforwarded',
      KC_HEALTH_ENABLED: 'true',
      KC_CACHE: 'local',
      PUBLIC_URL: 'https://${DomainName}',
      FRAMEPROOF_REALM_JSON: JSON.stringify(frameproofRealm()),
    });
    assertMatches(secrets('keycloak'), {
      KC_DB_URL_HOST: dbSecret('host'),
      KC_DB_USERNAME: dbSecret('username'),
      KC_DB_PASSWORD: dbSecret('password'),
      KC_BOOTSTRAP_ADMIN_USERNAME: new RegExp(`^<${logicalId(main.keycloak.adminSecret)}>:username::$`),
      KC_BOOTSTRAP_ADMIN_PASSWORD: new RegExp(`^<${logicalId(main.keycloak.adminSecret)}>:password::$`),
      KEYCLOAK_BACKEND_PASSWORD: id.keycloakClient,
    });
  });

  it('imports the Frameproof realm when it starts', () => {
    const { EntryPoint, Command } = container('keycloak');
    assert.deepEqual(EntryPoint, ['/bin/bash', '-c']);
    assert.deepEqual(Command, [KEYCLOAK_START]);
    assert.match(
      KEYCLOAK_START,
      /> \/opt\/keycloak\/data\/import\/frameproof-realm\.json && exec \/opt\/keycloak\/bin\/kc\.sh start --import-realm$/,
    );
  });

  it('runs one task (its caches are local)', () => {
    synthesized.mainTemplate.hasParameter('KeycloakDesiredCount', { Default: '1', MinValue: 1, MaxValue: 1 });
  });
});

describe('every service', () => {
  const names: Name[] = ['adapter', 'jobs', 'analyze', 'frontend', 'keycloak'];
  const title = (name: Name): string => name.charAt(0).toUpperCase() + name.slice(1);

  for (const name of names) {
    it(`${name}: image, size and count come from the parameters`, () => {
      assert.equal(
        render(synthesized, main[name], container(name).Image),
        `\${${title(name)}ImageRepository}:\${${title(name)}ImageTag}`,
      );
      const task = only(nested[name], 'AWS::ECS::TaskDefinition').Properties ?? {};
      assert.equal(
        render(synthesized, main[name], task.Cpu),
        `select(0,split(/,\${${title(name)}TaskSize}))`,
      );
      assert.equal(
        render(synthesized, main[name], task.Memory),
        `select(1,split(/,\${${title(name)}TaskSize}))`,
      );
      assert.deepEqual(task.RequiresCompatibilities, ['FARGATE']);
      const service = only(nested[name], 'AWS::ECS::Service').Properties ?? {};
      assert.equal(render(synthesized, main[name], service.DesiredCount), `\${${title(name)}DesiredCount}`);
    });

    it(`${name}: Fargate in the private subnets, rolling 75-200 % with rollback`, () => {
      nested[name].hasResourceProperties('AWS::ECS::Service', {
        ...(name === 'jobs' ? {} : { LaunchType: 'FARGATE' }),
        DeploymentConfiguration: {
          MinimumHealthyPercent: 75,
          MaximumPercent: 200,
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        },
        NetworkConfiguration: {
          AwsvpcConfiguration: { AssignPublicIp: 'DISABLED', Subnets: { Ref: 'PrivateSubnetIds' } },
        },
        PropagateTags: 'SERVICE',
      });
      const service = only(nested[name], 'AWS::ECS::Service').Properties ?? {};
      assert.equal(render(synthesized, main[name], service.Cluster), id.cluster);
      assert.equal(render(synthesized, main[name], { Ref: 'PrivateSubnetIds' }), '${PrivateSubnetIds}');
    });

    it(`${name}: logs to the shared log group under its own prefix`, () => {
      const { LogDriver, Options } = container(name).LogConfiguration;
      assert.equal(LogDriver, 'awslogs');
      assert.equal(render(synthesized, main[name], Options['awslogs-group']), id.logs);
      assert.equal(Options['awslogs-stream-prefix'], name);
    });
  }

  const probes: Record<Name, string[]> = {
    adapter: ['CMD', 'node', '-e', httpProbe(8080, '/api/health')],
    analyze: ['CMD', 'node', '-e', httpProbe(8080, '/api/health')],
    frontend: ['CMD', 'node', '-e', httpProbe(80, '/')],
    jobs: ['CMD', 'node', '-e', LIVENESS_PROBE],
    keycloak: ['CMD', '/bin/bash', '-c', KEYCLOAK_HEALTH_PROBE],
  };
  for (const name of names) {
    it(`${name}: has a container health check`, () => {
      assert.deepEqual(container(name).HealthCheck.Command, probes[name]);
    });
  }

  it('the probes ask the right things', () => {
    assert.equal(
      httpProbe(8080, '/api/health'),
      "fetch('http://127.0.0.1:8080/api/health').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))",
    );
    assert.equal(LIVENESS_PROBE, 'process.kill(1,0)');
    assert.match(KEYCLOAK_HEALTH_PROBE, /\/dev\/tcp\/127\.0\.0\.1\/9000 .*GET \/health\/ready /);
  });
});

describe('capacity providers', () => {
  it('runs jobs on Fargate or Fargate Spot, as the parameter says', () => {
    const service = only(nested.jobs, 'AWS::ECS::Service').Properties ?? {};
    assert.equal(service.LaunchType, undefined);
    const [strategy, ...more] = service.CapacityProviderStrategy as {
      CapacityProvider: unknown;
      Weight: number;
    }[];
    assert.equal(more.length, 0);
    assert.equal(render(synthesized, main.jobs, strategy?.CapacityProvider), '${JobsCapacityProvider}');
    assert.equal(strategy?.Weight, 1);
    const association = only(
      nested.infrastructure,
      'AWS::ECS::ClusterCapacityProviderAssociations',
    ).Properties;
    assert.deepEqual(association?.CapacityProviders, ['FARGATE', 'FARGATE_SPOT']);
    assert.deepEqual(association?.Cluster, { Ref: logicalId(infra.cluster) });
  });
});

describe('cluster, logs and service discovery', () => {
  const template = nested.infrastructure;

  it('names the cluster after the application, with Container Insights', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: { Ref: Match.stringLikeRegexp('ApplicationTag') },
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('keeps the logs for the retention the parameter says', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: { Ref: Match.stringLikeRegexp('LogRetentionDays') } },
      DeletionPolicy: 'Retain',
    });
    synthesized.mainTemplate.hasParameter('LogRetentionDays', { Type: 'Number', Default: '14' });
  });

  it('has a private namespace named after the application tag, so deployments can share a VPC', () => {
    const namespace = only(template, 'AWS::ServiceDiscovery::PrivateDnsNamespace').Properties ?? {};
    assert.equal(render(synthesized, infra, namespace.Name), '${ApplicationTag}.local');
    assert.deepEqual(namespace.Vpc, { Ref: 'VpcId' });
  });

  it('has av-adapter, av-jobs and av-analyze in it (A and SRV, TTL 60, multivalue)', () => {
    for (const name of ['av-adapter', 'av-jobs', 'av-analyze']) {
      template.hasResourceProperties('AWS::ServiceDiscovery::Service', {
        Name: name,
        DnsConfig: {
          RoutingPolicy: 'MULTIVALUE',
          DnsRecords: [
            { Type: 'A', TTL: 60 },
            { Type: 'SRV', TTL: 60 },
          ],
        },
        HealthCheckCustomConfig: { FailureThreshold: 1 },
      });
    }
  });

  for (const [name, discovery, port] of [
    ['adapter', infra.adapterDiscovery, 8080],
    ['jobs', infra.jobsDiscovery, 5701],
    ['analyze', infra.analyzeDiscovery, 8080],
  ] as const) {
    it(`registers the ${name} tasks in Cloud Map`, () => {
      const service = only(nested[name], 'AWS::ECS::Service').Properties ?? {};
      const [registry, ...more] = service.ServiceRegistries as {
        RegistryArn: unknown;
        ContainerName: string;
        ContainerPort: number;
      }[];
      assert.equal(more.length, 0);
      assert.equal(registry?.ContainerName, name);
      assert.equal(registry?.ContainerPort, port);
      assert.equal(
        render(synthesized, main[name], registry?.RegistryArn),
        `<infra:${logicalId(discovery)}.Arn>`,
      );
    });
  }

  it('registers nothing else in Cloud Map', () => {
    for (const name of ['frontend', 'keycloak'] as const) {
      assert.equal(only(nested[name], 'AWS::ECS::Service').Properties?.ServiceRegistries, undefined);
    }
  });
});

describe('autoscaling', () => {
  for (const name of ['adapter', 'analyze'] as const) {
    it(`scales ${name} on CPU between its minimum and maximum task counts`, () => {
      const target = only(nested[name], 'AWS::ApplicationAutoScaling::ScalableTarget').Properties ?? {};
      const title = name.charAt(0).toUpperCase() + name.slice(1);
      assert.equal(render(synthesized, main[name], target.MinCapacity), `\${${title}DesiredCount}`);
      assert.equal(render(synthesized, main[name], target.MaxCapacity), `\${${title}MaxCount}`);
      nested[name].hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          TargetValue: 60,
        },
      });
    });
  }

  it('scales jobs out on the jobs waiting, not on those running', () => {
    const target = only(nested.jobs, 'AWS::ApplicationAutoScaling::ScalableTarget').Properties ?? {};
    assert.equal(render(synthesized, main.jobs, target.MinCapacity), '${JobsDesiredCount}');
    assert.equal(render(synthesized, main.jobs, target.MaxCapacity), '${JobsMaxCount}');
    const alarms = resources(nested.jobs, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});
    assert.equal(alarms.length, 2, 'one alarm to scale out, one to scale in');
    const out = alarms.find((a) => a.MetricName === 'QueuedJobs') ?? {};
    assert.equal(out.Namespace, 'Frameproof');
    assert.equal(out.Statistic, 'Maximum');
    assert.equal(out.Period, 60);
    assert.equal(out.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
    assert.equal(out.Threshold, 1);
    const [dimension] = out.Dimensions as { Name: string; Value: unknown }[];
    assert.equal(dimension?.Name, 'Application');
    assert.equal(render(synthesized, main.jobs, dimension?.Value), '${ApplicationTag}');
    const policies = resources(nested.jobs, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(
      ([, p]) =>
        p.Properties?.StepScalingPolicyConfiguration as { StepAdjustments: { ScalingAdjustment: number }[] },
    );
    const adjustments = policies.map((p) => p.StepAdjustments.map((s) => s.ScalingAdjustment));
    assert.deepEqual(adjustments.sort(), [[-1], [1, 3]]);
    assert.equal(resources(nested.frontend, 'AWS::ApplicationAutoScaling::ScalableTarget').length, 0);
    assert.equal(resources(nested.keycloak, 'AWS::ApplicationAutoScaling::ScalableTarget').length, 0);
  });

  it('scales jobs in only when no job has waited or run for five minutes', () => {
    const alarms = resources(nested.jobs, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});
    const idle = alarms.find((a) => a.Metrics) ?? {};
    const metrics = idle.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Namespace: string }; Stat: string };
    }[];
    assert.equal(metrics.find((m) => m.Expression)?.Expression, 'queued + running');
    assert.deepEqual(
      metrics
        .filter((m) => m.MetricStat)
        .map((m) => [m.Id, m.MetricStat?.Metric.MetricName, m.MetricStat?.Stat]),
      [
        ['queued', 'QueuedJobs', 'Maximum'],
        ['running', 'RunningJobs', 'Maximum'],
      ],
    );
    assert.equal(idle.ComparisonOperator, 'LessThanOrEqualToThreshold');
    assert.equal(idle.Threshold, 0);
    assert.equal(idle.EvaluationPeriods, 5);
  });
});
