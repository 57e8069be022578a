import { Duration, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { LIVENESS_PROBE, nodeHealthCheck, type AppService } from '../constructs/app-service.js';
import { grantObjects } from '../grants.js';
import { adapterPrivateUrl, analyzePrivateUrl, MEDIA_PREFIX, QUEUE_METRICS, PORTS } from '../services.js';
import { ServiceStack, type ServiceStackProps } from './service-stack.js';

/**
 * The jobs workers: no HTTP, reached by the adapter over the event bus; they transcode with
 * MediaConvert, analyse with Rekognition Video, and scale on the adapter's queue metrics.
 */
/** How long a stopping worker lets running jobs finish before it releases them. */
const JOBS_STOP_TIMEOUT_SECONDS = 60;

export class JobsStack extends ServiceStack {
  readonly app: AppService;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, 'Frameproof jobs service', props);
    const { mainParameters: p, infrastructure: infra } = this;
    const media = infra.mediaProcessing;
    const secret = ecs.Secret.fromSecretsManager;

    this.app = this.addService('jobs', {
      ports: [PORTS.bus, PORTS.busAlternate],
      environment: {
        AP_ADAPTER_HOST: adapterPrivateUrl(p.applicationTag),
        // Auto QC reads each audio track's one measurement from analyze, as the loudness panel does.
        ANALYZE_URL: analyzePrivateUrl(p.applicationTag),
        ...this.mediaEnvironment,
        JOBS_CONCURRENCY: Token.asString(p.jobsConcurrency),
        JOBS_STOP_TIMEOUT_SECONDS: String(JOBS_STOP_TIMEOUT_SECONDS),
        BUS_PORT: String(PORTS.bus),
        TRANSCODER: 'mediaconvert',
        MEDIACONVERT_ROLE_ARN: media.mediaConvertRole.roleArn,
        MEDIACONVERT_PROXY_PRESET: media.proxyPreset.attrName,
        MEDIACONVERT_VIDEO_ONLY_PRESET: media.videoOnlyProxyPreset.attrName,
        MEDIACONVERT_AUDIO_PRESET: media.audioPreset.attrName,
        REKOGNITION_ROLE_ARN: media.rekognitionRole.roleArn,
        REKOGNITION_SNS_TOPIC_ARN: media.rekognitionTopic.topicArn,
      },
      secrets: {
        AP_ADAPTER_USERNAME: secret(infra.runnerSecret, 'username'),
        AP_ADAPTER_PASSWORD: secret(infra.runnerSecret, 'password'),
      },
      // Jobs connect out (to the adapter's API and bus) and serve nothing: liveness only.
      healthCheck: nodeHealthCheck(LIVENESS_PROBE),
      discovery: infra.jobsDiscovery,
      // On SIGTERM a worker finishes or hands back its jobs; ECS must wait longer than that.
      stopTimeout: Duration.seconds(JOBS_STOP_TIMEOUT_SECONDS + 30),
    });

    const taskRole = this.app.taskDefinition.taskRole;
    grantObjects(taskRole, infra.buckets.media, MEDIA_PREFIX, 'read-write');
    media.grantJobs(taskRole);

    // Out on the work waiting, not on the work under way: one task more while any job waits for a
    // worker, three more while ten do, every two minutes up to the maximum. In only when nothing
    // waits or runs for five minutes: ECS stops whichever task it likes, and a task stopped mid-job
    // hands its jobs back to start over, so tasks are not taken away while jobs still run.
    const metric = (metricName: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: QUEUE_METRICS.namespace,
        metricName,
        dimensionsMap: { Application: p.applicationTag },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      });
    const scaling = this.app.autoscale();
    scaling.scaleOnMetric('QueuedJobs', {
      metric: metric(QUEUE_METRICS.queued),
      scalingSteps: [
        { upper: 0, change: 0 },
        { lower: 1, change: +1 },
        { lower: 10, change: +3 },
      ],
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: Duration.minutes(2),
    });
    scaling.scaleOnMetric('Idle', {
      metric: new cloudwatch.MathExpression({
        expression: 'queued + running',
        usingMetrics: { queued: metric(QUEUE_METRICS.queued), running: metric(QUEUE_METRICS.running) },
        period: Duration.minutes(1),
        label: 'Jobs queued or running',
      }),
      scalingSteps: [
        { upper: 0, change: -1 },
        { lower: 1, change: 0 },
      ],
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      evaluationPeriods: 5,
      cooldown: Duration.minutes(2),
    });
  }
}
