import { Token, type Stack } from 'aws-cdk-lib';
import type { TemplateLocation } from '../launch-synthesizer.js';
import { IMAGE_REPOSITORY_PATTERN, IMAGE_TAG_PATTERN, registryImages } from '../images.js';
import {
  APPLICATION_TAG,
  FARGATE_TASK_SIZES,
  LOG_RETENTION_DAYS,
  ParameterGroups,
  requireAtLeast,
  taskSizeParts,
} from '../parameters.js';
import {
  AUTOSCALED_SERVICES,
  KEYCLOAK_IMAGE,
  SERVICE_NAMES,
  SERVICE_SIZES,
  title,
  type ServiceName,
} from '../services.js';

/** Per-service parameters, as tokens. */
export interface ServiceParameters {
  readonly imageRepository: string;
  readonly imageTag: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly desiredCount: number;
  /** Only for services that autoscale. */
  readonly maxCount?: number;
  /** FARGATE or FARGATE_SPOT; only for the services that offer the choice (jobs). */
  readonly capacityProvider?: string;
}

export interface DatabaseParameters {
  readonly instanceClass: string;
  readonly allocatedStorageGiB: number;
}

export interface MainParametersOptions {
  /** Registry `npm run images` pushed the five images to; none: our image repositories are required. */
  readonly imageRegistry?: string;
  /** Default tag of our images. */
  readonly imageTag: string;
  /** Templates for the launch button also ask where their nested templates are. */
  readonly withTemplateLocation: boolean;
}

/** The analyses `VIDEO_ANALYSES` in @frameproof/core names (infra does not import the packages; a test compares). */
export const VIDEO_ANALYSES = ['labels', 'celebrities', 'faces', 'text', 'moderation', 'segments'] as const;
/** Empty, or analyses separated by commas (the adapter reads a repeated name once). */
const VIDEO_ANALYSES_PATTERN = `^$|^(${VIDEO_ANALYSES.join('|')})(,(${VIDEO_ANALYSES.join('|')}))*$`;

/** Task counts: at most this many of a service, and at most this many as an autoscaled minimum. */
const MAX_TASKS = 100;
const MAX_MINIMUM_TASKS = 20;

/** The CPU units and MiB of a task-size parameter, as the task definition takes them. */
function taskSize(value: string): { cpu: number; memoryMiB: number } {
  const { cpu, memoryMiB } = taskSizeParts(value);
  return { cpu: Token.asNumber(cpu), memoryMiB: Token.asNumber(memoryMiB) };
}
const DATABASE_CLASSES = [
  'db.t3.small',
  'db.t3.medium',
  'db.t3.large',
  'db.t3.xlarge',
  'db.t3.2xlarge',
  'db.m5.large',
];

/**
 * Every parameter of the main template, in one place, grouped and labelled for the console.
 * The stacks below read the values from here, never from CfnParameters of their own.
 */
export class MainParameters {
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  readonly publicSubnetIds: string[];
  readonly hostedZoneId: string;
  readonly domainName: string;
  /** Empty: the stack creates a DNS-validated certificate in the hosted zone. */
  readonly certificateArn: string;
  readonly adapterDatabase: DatabaseParameters;
  readonly keycloakDatabase: DatabaseParameters;
  readonly applicationTag: string;
  readonly logRetentionDays: number;
  /** `on` or `off`: the adapter's AUTH_LOCAL. */
  readonly localSignIn: string;
  /** Comma-separated Rekognition Video analyses ingest runs on each video proxy (VIDEO_ANALYSES); empty: none. */
  readonly videoAnalyses: string;
  readonly jobsConcurrency: number;
  readonly services: Record<ServiceName, ServiceParameters>;
  readonly templateLocation?: TemplateLocation;

  constructor(stack: Stack, options: MainParametersOptions) {
    const params = new ParameterGroups(stack);

    const network = 'Network';
    this.vpcId = params.add(network, 'VpcId', {
      label: 'VPC',
      type: 'AWS::EC2::VPC::Id',
      description: 'The VPC to deploy into (the VPC template makes one).',
    }).valueAsString;
    this.privateSubnetIds = params.add(network, 'PrivateSubnetIds', {
      label: 'Private subnets',
      type: 'List<AWS::EC2::Subnet::Id>',
      description:
        'Two or more private subnets with a route to a NAT gateway, in different availability zones.',
    }).valueAsList;
    this.publicSubnetIds = params.add(network, 'PublicSubnetIds', {
      label: 'Public subnets',
      type: 'List<AWS::EC2::Subnet::Id>',
      description: 'Two or more public subnets for the load balancer, in the same zones as the private ones.',
    }).valueAsList;

    const domain = 'Domain name and certificate';
    this.hostedZoneId = params.add(domain, 'HostedZoneId', {
      label: 'Hosted zone',
      type: 'AWS::Route53::HostedZone::Id',
      description: 'The Route 53 hosted zone in which the domain name is created.',
    }).valueAsString;
    this.domainName = params.add(domain, 'DomainName', {
      label: 'Domain name',
      type: 'String',
      description: 'The name users open Frameproof at, in the hosted zone, e.g. frameproof.example.com.',
      allowedPattern: '^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)+$',
      constraintDescription: 'a fully qualified domain name without a trailing dot',
    }).valueAsString;
    this.certificateArn = params.add(domain, 'CertificateArn', {
      label: 'Certificate ARN',
      type: 'String',
      default: '',
      description:
        'An ACM certificate in this region that covers the domain name. Leave empty to have one created ' +
        'and validated through DNS in the hosted zone.',
      allowedPattern: '^$|^arn:aws[a-zA-Z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[a-zA-Z0-9-]+$',
      constraintDescription: 'empty, or the ARN of an ACM certificate',
    }).valueAsString;

    const databases = 'Databases';
    const database = (id: string, what: string): DatabaseParameters => ({
      instanceClass: params.add(databases, `${id}InstanceClass`, {
        label: `${what} database instance class`,
        type: 'String',
        default: DATABASE_CLASSES[0],
        allowedValues: DATABASE_CLASSES,
        description: `Instance class of the ${what} PostgreSQL database (Multi-AZ).`,
      }).valueAsString,
      allocatedStorageGiB: params.add(databases, `${id}AllocatedStorage`, {
        label: `${what} database storage (GiB)`,
        type: 'Number',
        default: 20,
        minValue: 20,
        maxValue: 65536,
        description: `Storage of the ${what} database in GiB (gp3; 20 is the smallest RDS allows).`,
      }).valueAsNumber,
    });
    this.adapterDatabase = database('Database', 'Frameproof');
    this.keycloakDatabase = database('KeycloakDatabase', 'Keycloak');

    const application = 'Application';
    this.applicationTag = params.add(application, 'ApplicationTag', {
      label: 'Application tag',
      type: 'String',
      default: 'frameproof',
      allowedPattern: APPLICATION_TAG.pattern,
      maxLength: APPLICATION_TAG.maxLength,
      constraintDescription: APPLICATION_TAG.constraint,
      description:
        'Tags every resource (key "Application"); also names the ECS cluster, the databases, the Cloud Map ' +
        'namespace and the MediaConvert presets, so it must be unique in the account and region.',
    }).valueAsString;
    this.logRetentionDays = params.add(application, 'LogRetentionDays', {
      label: 'Log retention (days)',
      type: 'Number',
      default: 14,
      allowedValues: LOG_RETENTION_DAYS.map(String),
      description: 'How long CloudWatch Logs keeps the logs of the services.',
    }).valueAsNumber;

    this.localSignIn = params.add(application, 'LocalSignIn', {
      label: 'Local sign-in',
      type: 'String',
      default: 'off',
      allowedValues: ['off', 'on'],
      description:
        'off: people sign in through Keycloak only. on: the local "admin" account signs in too, with the ' +
        'password in the secret the AdminSecretArn output names.',
    }).valueAsString;

    this.videoAnalyses = params.add(application, 'VideoAnalyses', {
      label: 'Video analyses',
      type: 'String',
      default: '',
      allowedPattern: VIDEO_ANALYSES_PATTERN,
      constraintDescription: `empty, or some of ${VIDEO_ANALYSES.join(', ')}, separated by commas without spaces`,
      description:
        'Rekognition Video analyses run on every video (comma-separated; empty: none). Each upload or import may ' +
        'choose some of these, and each can be run again from the API.',
    }).valueAsString;

    const services = {} as Record<ServiceName, ServiceParameters>;
    for (const name of SERVICE_NAMES) {
      const prefix = title(name);
      const group = `${prefix} service`;
      const defaults = SERVICE_SIZES[name];
      const image = options.imageRegistry
        ? registryImages(options.imageRegistry, options.imageTag)[name]
        : name === 'keycloak'
          ? KEYCLOAK_IMAGE
          : { repository: undefined, tag: options.imageTag };
      const autoscaled = (AUTOSCALED_SERVICES as readonly ServiceName[]).includes(name);
      const imageRepository = params.add(group, `${prefix}ImageRepository`, {
        label: `${prefix} image repository`,
        type: 'String',
        default: image.repository,
        allowedPattern: IMAGE_REPOSITORY_PATTERN,
        constraintDescription:
          'an image repository without the tag, e.g. 123456789012.dkr.ecr.eu-north-1.amazonaws.com/frameproof/adapter',
        description:
          name === 'keycloak'
            ? 'Container image repository of Keycloak, without the tag (the official image, or the copy `npm run images` pushed).'
            : `Container image repository of the ${name} service, without the tag, as \`npm run images\` pushed it (REGISTRY/${name}).`,
      }).valueAsString;
      const imageTag = params.add(group, `${prefix}ImageTag`, {
        label: `${prefix} image tag`,
        type: 'String',
        default: image.tag,
        allowedPattern: IMAGE_TAG_PATTERN,
        description: `Tag of the ${name} image.`,
      }).valueAsString;
      const size = taskSize(
        params.add(group, `${prefix}TaskSize`, {
          label: `${prefix} task size (CPU units/MiB)`,
          type: 'String',
          default: `${defaults.cpu}/${defaults.memoryMiB}`,
          allowedValues: FARGATE_TASK_SIZES,
          description:
            'Fargate CPU units (1024 = 1 vCPU) and memory in MiB of one task; only the pairs Fargate accepts.',
        }).valueAsString,
      );
      const desired = params.add(group, `${prefix}DesiredCount`, {
        label: autoscaled ? `${prefix} tasks (minimum)` : `${prefix} tasks`,
        type: 'Number',
        default: defaults.desiredCount,
        minValue: 1,
        // Keycloak keeps its caches in the task (KC_CACHE=local): one task.
        maxValue: name === 'keycloak' ? 1 : autoscaled ? MAX_MINIMUM_TASKS : MAX_TASKS,
        description: autoscaled
          ? 'Tasks to run; autoscaling never goes below this.'
          : name === 'keycloak'
            ? 'Tasks to run (Keycloak runs as one task).'
            : 'Tasks to run.',
      });
      const maximum = autoscaled
        ? params.add(group, `${prefix}MaxCount`, {
            label: `${prefix} tasks (maximum)`,
            type: 'Number',
            default: defaults.maxCount,
            minValue: 1,
            maxValue: MAX_TASKS,
            description: 'Upper bound for autoscaling, at least the minimum.',
          })
        : undefined;
      if (maximum)
        requireAtLeast(stack, `${prefix}TaskCounts`, {
          upper: maximum,
          lower: desired,
          lowerMax: MAX_MINIMUM_TASKS,
          description: `${prefix} tasks (maximum) must be at least ${prefix} tasks (minimum).`,
        });
      services[name] = {
        imageRepository,
        imageTag,
        ...size,
        desiredCount: desired.valueAsNumber,
        ...(maximum && { maxCount: maximum.valueAsNumber }),
        ...(name === 'jobs' && {
          capacityProvider: params.add(group, 'JobsCapacityProvider', {
            label: 'Jobs capacity provider',
            type: 'String',
            default: 'FARGATE',
            allowedValues: ['FARGATE', 'FARGATE_SPOT'],
            description:
              'FARGATE_SPOT costs less but may stop a task with two minutes notice; its jobs are then handed back and run again.',
          }).valueAsString,
        }),
      };
    }
    this.services = services;
    this.jobsConcurrency = params.add('Jobs service', 'JobsConcurrency', {
      label: 'Jobs per task',
      type: 'Number',
      default: 2,
      minValue: 1,
      maxValue: 32,
      description: 'How many jobs one jobs task runs at once (JOBS_CONCURRENCY).',
    }).valueAsNumber;

    if (options.withTemplateLocation) {
      const templates = 'Nested templates (publish-templates sets these)';
      this.templateLocation = {
        bucketName: params.add(templates, 'TemplatesBucketName', {
          label: 'Templates bucket',
          type: 'String',
          allowedPattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
          description: 'S3 bucket that holds the nested templates.',
        }).valueAsString,
        keyPrefix: params.add(templates, 'TemplatesKeyPrefix', {
          label: 'Templates key prefix',
          type: 'String',
          default: '',
          allowedPattern: "^$|^[A-Za-z0-9!_.*'()/-]*/$",
          constraintDescription: 'empty, or a key prefix ending with a slash',
          description: 'Key prefix of the templates in that bucket, ending with a slash.',
        }).valueAsString,
        bucketRegion: params.add(templates, 'TemplatesBucketRegion', {
          label: 'Templates bucket region',
          type: 'String',
          allowedPattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$',
          description: 'Region of the templates bucket.',
        }).valueAsString,
      };
    }
  }
}
