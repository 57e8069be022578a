import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { logicalId, only, referencedId, render, resources, synthesize } from './support.js';

// Given the launch app, synthesized once
const synthesized = synthesize();
const { main, nested, vpcTemplate, mainTemplate } = synthesized;
const infra = main.infrastructure;
const everyTemplate: [string, Template][] = [
  ['vpc', vpcTemplate],
  ['main', mainTemplate],
  ...Object.entries(nested),
];

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
  Principal?: unknown;
}

const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** The identity-policy statements of every role, inline or attached, per template. */
function identityStatements(template: Template): Statement[] {
  return [
    ...resources(template, 'AWS::IAM::Policy').flatMap(
      ([, p]) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement,
    ),
    ...resources(template, 'AWS::IAM::Role').flatMap(([, r]) =>
      list(r.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
        (p) => p.PolicyDocument.Statement,
      ),
    ),
  ];
}

/** Statements of the policies attached to one role, rendered readably, one line each. */
function roleStatements(stack: Stack, template: Template, role: IConstruct): string[] {
  const id = logicalId(role);
  return resources(template, 'AWS::IAM::Policy')
    .filter(([, p]) => list(p.Properties?.Roles as unknown[]).some((r) => referencedId(r) === id))
    .flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement)
    .map((s) => {
      // Sorted: CDK merges and orders statements itself (minimizePolicies).
      const actions = list(s.Action).sort().join(',');
      const targets = list(s.Resource as unknown[])
        .map((r) => render(synthesized, stack, r))
        .sort()
        .join(',');
      const condition = s.Condition ? ` if ${render(synthesized, stack, s.Condition)}` : '';
      return `${s.Effect} ${actions} on ${targets}${condition}`;
    })
    .sort();
}

const media = `<infra:${logicalId(infra.buckets.media)}.Arn>`;
const MEDIA_READ = [`Allow s3:GetObject on ${media}/media/*`, `Allow s3:ListBucket on ${media}`];
const MEDIA_READ_WRITE = [
  `Allow s3:AbortMultipartUpload,s3:DeleteObject,s3:GetObject,s3:ListMultipartUploadParts,s3:PutObject on ${media}/media/*`,
  `Allow s3:ListBucket,s3:ListBucketMultipartUploads on ${media}`,
];

describe('IAM', () => {
  it('grants nothing on "*" but the actions that support no resource', () => {
    const allowedOnAnything = new Set([
      'ecr:GetAuthorizationToken',
      'cloudwatch:PutMetricData',
      'mediaconvert:DescribeEndpoints',
      ...[
        'LabelDetection',
        'CelebrityRecognition',
        'FaceDetection',
        'TextDetection',
        'ContentModeration',
        'SegmentDetection',
      ].flatMap((a) => [`rekognition:Start${a}`, `rekognition:Get${a}`]),
      // CDK's own bucket-notifications handler.
      's3:PutBucketNotification',
    ]);
    for (const [name, template] of everyTemplate) {
      for (const statement of identityStatements(template)) {
        const onAnything = list(statement.Resource as unknown[]).includes('*');
        for (const action of list(statement.Action)) {
          assert.ok(!action.endsWith('*'), `${name}: wildcard action ${action}`);
          if (onAnything) assert.ok(allowedOnAnything.has(action), `${name}: ${action} on "*"`);
        }
      }
    }
  });

  it('scopes every S3 permission to a named bucket', () => {
    for (const [name, template] of everyTemplate) {
      for (const statement of identityStatements(template)) {
        if (!list(statement.Action).some((a) => a.startsWith('s3:') && a !== 's3:PutBucketNotification'))
          continue;
        for (const resource of list(statement.Resource as unknown[])) {
          assert.notEqual(resource, '*', `${name}: S3 on "*"`);
          assert.doesNotMatch(JSON.stringify(resource), /arn:aws:s3:::\*/, `${name}: S3 on every bucket`);
        }
      }
    }
  });

  it('attaches no AWS managed policy but to CDK’s own notification handler', () => {
    for (const [name, template] of everyTemplate) {
      for (const [id, role] of resources(template, 'AWS::IAM::Role')) {
        if (role.Properties?.ManagedPolicyArns === undefined) continue;
        assert.equal(name, 'infrastructure');
        assert.match(id, /^BucketNotificationsHandler/);
      }
    }
  });

  it('lets the adapter use media, read its backend settings and publish its metric', () => {
    const config = `<infra:${logicalId(infra.buckets.config)}.Arn>`;
    assert.deepEqual(
      roleStatements(main.adapter, nested.adapter, main.adapter.app.taskDefinition.taskRole),
      [
        ...MEDIA_READ_WRITE,
        `Allow s3:GetObject on ${config}/backend/*`,
        `Allow s3:ListBucket on ${config}`,
        'Allow cloudwatch:PutMetricData on * if {"StringEquals":{"cloudwatch:namespace":"Frameproof"}}',
      ].sort(),
    );
  });

  it('lets jobs use media, MediaConvert with its presets and Rekognition Video', () => {
    const mp = infra.mediaProcessing;
    const arn = (c: IConstruct): string => `<infra:${logicalId(c)}.Arn>`;
    const mediaconvert = 'arn:${AWS::Partition}:mediaconvert:${AWS::Region}:${AWS::AccountId}';
    const onAnything = [
      'mediaconvert:DescribeEndpoints',
      ...[
        'LabelDetection',
        'CelebrityRecognition',
        'FaceDetection',
        'TextDetection',
        'ContentModeration',
        'SegmentDetection',
      ].flatMap((a) => [`rekognition:Get${a}`, `rekognition:Start${a}`]),
    ].sort();
    const presets = [arn(mp.proxyPreset), arn(mp.videoOnlyProxyPreset), arn(mp.audioPreset)].sort();
    assert.deepEqual(
      roleStatements(main.jobs, nested.jobs, main.jobs.app.taskDefinition.taskRole),
      [
        ...MEDIA_READ_WRITE,
        `Allow mediaconvert:CreateJob on ${[...presets, `${mediaconvert}:queues/Default`].sort().join(',')}`,
        `Allow mediaconvert:CancelJob,mediaconvert:GetJob on ${mediaconvert}:jobs/*`,
        `Allow iam:PassRole on ${arn(mp.mediaConvertRole)} if {"StringEquals":{"iam:PassedToService":"mediaconvert.amazonaws.com"}}`,
        `Allow ${onAnything.join(',')} on *`,
        `Allow iam:PassRole on ${arn(mp.rekognitionRole)} if {"StringEquals":{"iam:PassedToService":"rekognition.amazonaws.com"}}`,
      ].sort(),
    );
  });

  it('lets analyze read media and write its results next to the asset, and nothing else', () => {
    assert.deepEqual(
      roleStatements(main.analyze, nested.analyze, main.analyze.app.taskDefinition.taskRole),
      [
        `Allow s3:AbortMultipartUpload,s3:PutObject on ${media}/media/assets/*/analysis/*`,
        ...MEDIA_READ,
      ].sort(),
    );
  });

  it('lets the frontend read its settings, and nothing else', () => {
    const config = `<infra:${logicalId(infra.buckets.config)}.Arn>`;
    assert.deepEqual(
      roleStatements(main.frontend, nested.frontend, main.frontend.app.taskDefinition.taskRole),
      [`Allow s3:GetObject on ${config}/frontend/*`, `Allow s3:ListBucket on ${config}`],
    );
  });

  it('gives Keycloak no AWS permissions', () => {
    assert.deepEqual(
      roleStatements(main.keycloak, nested.keycloak, main.keycloak.app.taskDefinition.taskRole),
      [],
    );
  });

  const secretsOf = {
    adapter: [
      /^<DatabaseInstanceSecretAttachment\w+>$/,
      `<infra:${logicalId(infra.runnerSecret)}>`,
      `<${logicalId(main.adapter.adminSecret)}>`,
      `<${logicalId(main.adapter.signingSecrets.auth)}>`,
      `<${logicalId(main.adapter.signingSecrets.mediaUrls)}>`,
    ],
    jobs: [`<infra:${logicalId(infra.runnerSecret)}>`],
    analyze: [],
    frontend: [],
    keycloak: [
      /^<DatabaseInstanceSecretAttachment\w+>$/,
      `<${logicalId(main.keycloak.adminSecret)}>`,
      `<infra:${logicalId(infra.keycloakClientSecret)}>`,
    ],
  } as const;
  for (const [name, expected] of Object.entries(secretsOf) as [
    keyof typeof secretsOf,
    readonly (string | RegExp)[],
  ][]) {
    it(`lets ECS read only the secrets of ${name}`, () => {
      const execution = main[name].app.taskDefinition.obtainExecutionRole();
      const lines = roleStatements(main[name], nested[name], execution);
      const secrets = lines.filter((l) => l.includes('secretsmanager:'));
      if (expected.length === 0) return assert.deepEqual(secrets, []);
      assert.equal(secrets.length, 1);
      const [line = ''] = secrets;
      assert.match(line, /^Allow secretsmanager:DescribeSecret,secretsmanager:GetSecretValue on /);
      const targets = line.replace(/^.* on /, '').split(',');
      assert.equal(targets.length, expected.length);
      for (const want of expected) {
        assert.ok(
          targets.some((t) => (want instanceof RegExp ? want.test(t) : t === want)),
          `${name}: ${String(want)} in ${targets.join(' ')}`,
        );
      }
      assert.ok(
        lines.includes(
          `Allow logs:CreateLogStream,logs:PutLogEvents on <infra:${logicalId(infra.logGroup)}.Arn>`,
        ),
      );
    });
  }
});

describe('databases', () => {
  for (const [name, database, dbName, user, param] of [
    ['adapter', main.adapter.database, 'accurate_video', 'frameproof', 'Database'],
    ['keycloak', main.keycloak.database, 'keycloak', 'keycloak', 'KeycloakDatabase'],
  ] as const) {
    it(`${name}: PostgreSQL, Multi-AZ, encrypted, protected, snapshot on delete or replace`, () => {
      const template = nested[name];
      const db = template.toJSON().Resources[logicalId(database.instance)];
      assert.equal(db.DeletionPolicy, 'Snapshot');
      assert.equal(db.UpdateReplacePolicy, 'Snapshot');
      const p = db.Properties;
      assert.equal(p.Engine, 'postgres');
      assert.equal(p.DBName, dbName);
      assert.equal(p.MultiAZ, true);
      assert.equal(p.StorageEncrypted, true);
      assert.equal(p.DeletionProtection, true);
      assert.equal(p.PubliclyAccessible, false);
      assert.equal(p.MasterUsername, user);
      assert.equal(render(synthesized, main[name], p.DBInstanceClass), `\${${param}InstanceClass}`);
      assert.equal(render(synthesized, main[name], p.AllocatedStorage), `\${${param}AllocatedStorage}`);
      template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: { Ref: 'PrivateSubnetIds' } });
    });

    it(`${name}: named after the application, its PostgreSQL log kept as long as the stack says`, () => {
      const template = nested[name].toJSON();
      const db = template.Resources[logicalId(database.instance)];
      assert.equal(
        render(synthesized, main[name], db.Properties.DBInstanceIdentifier),
        `\${ApplicationTag}-${name}`,
      );
      assert.deepEqual(db.Properties.EnableCloudwatchLogsExports, ['postgresql']);
      const logs = template.Resources[logicalId(database.logGroup)];
      assert.equal(
        render(synthesized, main[name], logs.Properties.LogGroupName),
        `/aws/rds/instance/\${ApplicationTag}-${name}/postgresql`,
      );
      assert.equal(render(synthesized, main[name], logs.Properties.RetentionInDays), '${LogRetentionDays}');
      assert.equal(logs.DeletionPolicy, 'Retain');
      // Made before the instance, or RDS would make it first, without a retention.
      assert.ok([db.DependsOn ?? []].flat().includes(logicalId(database.logGroup)));
    });

    it(`${name}: credentials generated in Secrets Manager`, () => {
      nested[name].hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: Match.objectLike({
          SecretStringTemplate: JSON.stringify({ username: user }),
          GenerateStringKey: 'password',
        }),
      });
      nested[name].hasResourceProperties('AWS::SecretsManager::SecretTargetAttachment', {
        TargetId: { Ref: logicalId(database.instance) },
        TargetType: 'AWS::RDS::DBInstance',
      });
    });
  }

  it('offers the reference classes, 20 GiB by default', () => {
    for (const prefix of ['Database', 'KeycloakDatabase']) {
      mainTemplate.hasParameter(`${prefix}InstanceClass`, {
        Default: 'db.t3.small',
        AllowedValues: Match.arrayWith(['db.t3.small', 'db.t3.medium', 'db.t3.large', 'db.m5.large']),
      });
      mainTemplate.hasParameter(`${prefix}AllocatedStorage`, { Type: 'Number', Default: '20', MinValue: 20 });
    }
  });

  it('generates the runner account and the Keycloak client secret', () => {
    nested.infrastructure.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: '{"username":"runner"}',
        GenerateStringKey: 'password',
      }),
    });
    const client = nested.infrastructure.toJSON().Resources[logicalId(infra.keycloakClientSecret)];
    assert.equal(client.Properties.GenerateSecretString.ExcludePunctuation, true);
  });
});

describe('buckets', () => {
  const buckets = {
    media: infra.buckets.media,
    config: infra.buckets.config,
    accessLogs: infra.buckets.accessLogs,
  };
  const template = nested.infrastructure;

  for (const [name, bucket] of Object.entries(buckets)) {
    it(`${name}: blocks public access, encrypts, refuses plain HTTP, outlives the stack`, () => {
      const resource = template.toJSON().Resources[logicalId(bucket)];
      assert.equal(resource.DeletionPolicy, 'Retain');
      assert.deepEqual(resource.Properties.PublicAccessBlockConfiguration, {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      assert.deepEqual(resource.Properties.BucketEncryption, {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });
  }

  for (const [name, bucket] of [
    ['media', buckets.media],
    ['config', buckets.config],
  ] as const) {
    it(`${name}: logs access to the access-logs bucket`, () => {
      const logging = template.toJSON().Resources[logicalId(bucket)].Properties.LoggingConfiguration;
      assert.deepEqual(logging, {
        DestinationBucketName: { Ref: logicalId(buckets.accessLogs) },
        LogFilePrefix: `s3/${name}/`,
      });
    });
  }

  it('media: lets browsers upload and play from the application origin', () => {
    const cors = template.toJSON().Resources[logicalId(buckets.media)].Properties.CorsConfiguration.CorsRules;
    assert.equal(cors.length, 1);
    assert.equal(cors[0].AllowedOrigins.length, 1);
    assert.equal(
      render(synthesized, main.infrastructure, cors[0].AllowedOrigins[0]),
      'https://${DomainName}',
    );
    assert.deepEqual([...cors[0].AllowedMethods].sort(), ['GET', 'HEAD', 'POST', 'PUT']);
    assert.ok(cors[0].ExposedHeaders.includes('ETag'), 'multipart uploads need the ETag');
  });

  it('config: keeps versions of the settings', () => {
    assert.deepEqual(
      template.toJSON().Resources[logicalId(buckets.config)].Properties.VersioningConfiguration,
      {
        Status: 'Enabled',
      },
    );
  });
});

describe('media processing', () => {
  const mp = infra.mediaProcessing;
  const template = nested.infrastructure;

  it('has the proxy preset: 1080p H.264 High CBR 2 Mb/s, GOP 90, source rate, deinterlaced, AAC-LC 128k stereo 48 kHz, MP4', () => {
    const preset = template.toJSON().Resources[logicalId(mp.proxyPreset)].Properties;
    assert.equal(render(synthesized, main.infrastructure, preset.Name), '${ApplicationTag}-proxy-1080p');
    const video = preset.SettingsJson.VideoDescription;
    assert.equal(video.Width, 1920);
    assert.equal(video.Height, 1080);
    const h264 = video.CodecSettings.H264Settings;
    assert.equal(video.CodecSettings.Codec, 'H_264');
    assert.deepEqual(
      [
        h264.CodecProfile,
        h264.RateControlMode,
        h264.Bitrate,
        h264.GopSize,
        h264.GopSizeUnits,
        h264.FramerateControl,
      ],
      ['HIGH', 'CBR', 2_000_000, 90, 'FRAMES', 'INITIALIZE_FROM_SOURCE'],
    );
    assert.equal(video.VideoPreprocessors.Deinterlacer.Mode, 'DEINTERLACE');
    const [audio] = preset.SettingsJson.AudioDescriptions;
    assert.equal(audio.CodecSettings.Codec, 'AAC');
    assert.deepEqual(audio.CodecSettings.AacSettings, {
      CodecProfile: 'LC',
      RateControlMode: 'CBR',
      Bitrate: 128_000,
      CodingMode: 'CODING_MODE_2_0',
      SampleRate: 48_000,
    });
    assert.deepEqual(preset.SettingsJson.ContainerSettings, {
      Container: 'MP4',
      Mp4Settings: { MoovPlacement: 'PROGRESSIVE_DOWNLOAD' },
    });
  });

  it('has a video-only proxy preset for sources without audio: the same picture and container, no audio', () => {
    const resources = template.toJSON().Resources;
    const proxy = resources[logicalId(mp.proxyPreset)].Properties;
    const videoOnly = resources[logicalId(mp.videoOnlyProxyPreset)].Properties;
    assert.equal(
      render(synthesized, main.infrastructure, videoOnly.Name),
      '${ApplicationTag}-proxy-1080p-video-only',
    );
    assert.deepEqual(videoOnly.SettingsJson, {
      VideoDescription: proxy.SettingsJson.VideoDescription,
      ContainerSettings: proxy.SettingsJson.ContainerSettings,
    });
  });

  it('has the audio preset the jobs accept: AAC stereo 48 kHz in MP4', () => {
    const preset = template.toJSON().Resources[logicalId(mp.audioPreset)].Properties;
    assert.equal(render(synthesized, main.infrastructure, preset.Name), '${ApplicationTag}-audio-aac');
    assert.deepEqual(preset.SettingsJson.AudioDescriptions, [
      {
        CodecSettings: {
          Codec: 'AAC',
          AacSettings: {
            CodecProfile: 'LC',
            RateControlMode: 'CBR',
            Bitrate: 128_000,
            CodingMode: 'CODING_MODE_2_0',
            SampleRate: 48_000,
          },
        },
      },
    ]);
    assert.deepEqual(preset.SettingsJson.ContainerSettings, {
      Container: 'MP4',
      Mp4Settings: { MoovPlacement: 'PROGRESSIVE_DOWNLOAD' },
    });
  });

  it('runs MediaConvert under its own role, limited to media', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'mediaconvert.amazonaws.com' } })],
      },
    });
    assert.deepEqual(roleStatements(main.infrastructure, template, mp.mediaConvertRole), [
      `Allow s3:AbortMultipartUpload,s3:DeleteObject,s3:GetObject,s3:ListMultipartUploadParts,s3:PutObject on <${logicalId(infra.buckets.media)}.Arn>/media/*`,
      `Allow s3:ListBucket,s3:ListBucketMultipartUploads on <${logicalId(infra.buckets.media)}.Arn>`,
    ]);
  });

  it('lets Rekognition Video report to its topic, over TLS only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'rekognition.amazonaws.com' } })],
      },
    });
    assert.deepEqual(roleStatements(main.infrastructure, template, mp.rekognitionRole), [
      `Allow sns:Publish on <${logicalId(mp.rekognitionTopic)}>`,
    ]);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(mp.rekognitionTopic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('makes one role per AWS service it hands work to', () => {
    const trusted = resources(template, 'AWS::IAM::Role').map(
      ([, r]) =>
        (
          (r.Properties?.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement[0]?.Principal as {
            Service: string;
          }
        ).Service,
    );
    assert.deepEqual(trusted.sort(), [
      'lambda.amazonaws.com',
      'mediaconvert.amazonaws.com',
      'rekognition.amazonaws.com',
    ]);
    assert.equal(only(template, 'AWS::ECS::Cluster').Type, 'AWS::ECS::Cluster');
  });
});
