import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { FRONTEND_SETTINGS_KEY } from '../services.js';

export interface BucketsProps {
  /** Browsers upload to and play from the media bucket from this origin. */
  readonly domainName: string;
}

/**
 * The buckets: media (sources and renditions), configuration (runtime settings) and access logs.
 * All of them block public access, encrypt, refuse plain HTTP, and outlive the stack.
 */
export class Buckets extends Construct {
  readonly accessLogs: s3.Bucket;
  readonly media: s3.Bucket;
  readonly config: s3.Bucket;
  /** S3 publishes here when `frontend/settings.js` is written. */
  readonly settingsChanged: sns.Topic;

  constructor(scope: Construct, id: string, props: BucketsProps) {
    super(scope, id);
    const secure: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    };

    // SSE-S3, because the load balancer cannot write its access logs to a KMS-encrypted bucket.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...secure,
      lifecycleRules: [{ id: 'expire', expiration: Duration.days(365) }],
    });
    acknowledge(
      this.accessLogs,
      'S1',
      'This bucket receives the access logs; logging it into itself would loop.',
    );

    const logged = (prefix: string): s3.BucketProps => ({
      ...secure,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: `s3/${prefix}/`,
    });

    this.media = new s3.Bucket(this, 'Media', {
      ...logged('media'),
      cors: [
        {
          allowedOrigins: [`https://${props.domainName}`],
          allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.HEAD, s3.HttpMethods.PUT, s3.HttpMethods.POST],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag', 'Content-Length', 'Content-Range', 'Accept-Ranges'],
          maxAge: 3000,
        },
      ],
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });

    this.config = new s3.Bucket(this, 'Config', { ...logged('config'), versioned: true });
    this.settingsChanged = new sns.Topic(this, 'SettingsChanged', {
      displayName: 'Frameproof frontend settings changed',
      enforceSSL: true,
    });
    this.config.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new s3n.SnsDestination(this.settingsChanged),
      {
        prefix: FRONTEND_SETTINGS_KEY,
        suffix: 'settings.js',
      },
    );
    acknowledgeNotificationsHandler(Stack.of(this));
  }
}

/**
 * CDK configures bucket notifications through a Lambda-backed custom resource of its own (inline
 * code), one per stack; its findings are CDK's, not ours.
 */
function acknowledgeNotificationsHandler(stack: Stack): void {
  const handler = stack.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
  if (!handler)
    throw new Error('CDK no longer adds a BucketNotificationsHandler: review the acknowledgements.');
  const why = 'CDK-provided custom resource that writes the bucket notification configuration';
  acknowledge(
    handler,
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    `${why}; the managed policy only lets it write its own logs.`,
  );
  acknowledge(
    handler,
    'IAM5[Resource::*]',
    `${why}; s3:PutBucketNotification has to name the bucket at run time.`,
  );
}
