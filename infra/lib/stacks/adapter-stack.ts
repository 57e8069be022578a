import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { httpProbe, nodeHealthCheck, type AppService } from '../constructs/app-service.js';
import { PostgresDatabase } from '../constructs/postgres-database.js';
import { grantObjects } from '../grants.js';
import { ADAPTER_CLIENT_ID, FRONTEND_CLIENT_ID, REALM, ROLES_CLAIM } from '../keycloak-realm.js';
import { allowWildcards } from '../nag.js';
import { generatedSecret } from '../secrets.js';
import { BACKEND_CONFIG_PREFIX, DATABASES, MEDIA_PREFIX, QUEUE_METRICS, PORTS } from '../services.js';
import { ServiceStack, type ServiceStackProps } from './service-stack.js';

/** The adapter (REST API, uploads, auth, event bus) and its PostgreSQL database. */
export class AdapterStack extends ServiceStack {
  readonly database: PostgresDatabase;
  readonly app: AppService;
  readonly adminSecret: secretsmanager.Secret;
  readonly signingSecrets: { auth: secretsmanager.Secret; mediaUrls: secretsmanager.Secret };

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, 'Frameproof adapter service and its database', props);
    const { mainParameters: p, infrastructure: infra } = this;

    this.database = new PostgresDatabase(this, 'Database', {
      vpc: this.vpc,
      securityGroup: infra.securityGroups.adapterDatabase,
      ...DATABASES.adapter,
      parameters: p.adapterDatabase,
      instanceIdentifier: `${p.applicationTag}-adapter`,
      logRetentionDays: p.logRetentionDays,
    });
    // The local `admin` account's password: generated, handed to the task as a secret, never in
    // an output or a log (the stack outputs the secret's ARN). Used only with local sign-in on.
    this.adminSecret = generatedSecret(this, 'AdminSecret', {
      description: 'Frameproof local administrator ("admin"), for local sign-in',
      username: 'admin',
      length: 32,
      rotation:
        'The adapter resets the admin password to this value when it starts; rotate by changing it and forcing a new deployment.',
    });
    // The keys that sign access tokens and media URLs, outside the database (a backup cannot mint
    // tokens), the same for every adapter task. One key each; to rotate, put the new key first
    // and the old after a comma, and deploy.
    const rotation =
      'A rotation must keep the old key listed after the new one until what it signed expires; rotate by hand and redeploy.';
    this.signingSecrets = {
      auth: generatedSecret(this, 'AuthSigningSecrets', {
        description: 'Frameproof adapter: keys that sign access tokens, newest first',
        length: 64,
        rotation,
      }),
      mediaUrls: generatedSecret(this, 'MediaUrlSecrets', {
        description: 'Frameproof adapter: keys that sign media URLs, newest first',
        length: 64,
        rotation,
      }),
    };
    const db = this.database.secret;
    const secret = ecs.Secret.fromSecretsManager;

    this.app = this.addService('adapter', {
      ports: [PORTS.http, PORTS.bus, PORTS.busAlternate],
      environment: {
        PORT: String(PORTS.http),
        BUS_PORT: String(PORTS.bus),
        DB_PORT: this.database.instance.dbInstanceEndpointPort,
        DB_NAME: DATABASES.adapter.databaseName,
        ...this.mediaEnvironment,
        OIDC_ISSUER_URL: `${this.publicUrl}/auth/realms/${REALM}`,
        OIDC_AUDIENCE: ADAPTER_CLIENT_ID,
        // Tokens come from the web app's sign-in (azp); the adapter client is only their audience.
        OIDC_CLIENT_IDS: FRONTEND_CLIENT_ID,
        OIDC_ROLES_CLAIM: ROLES_CLAIM,
        // The adapter appends /auth/realms/frameproof (OIDC_ISSUER_URL says it outright).
        KEYCLOAK_HOST: this.publicUrl,
        PUBLIC_URL: this.publicUrl,
        // The ALB is the one hop in front; its address is not known in advance.
        TRUST_PROXY: '1',
        METRICS_NAMESPACE: QUEUE_METRICS.namespace,
        APPLICATION_TAG: p.applicationTag,
        // backend/settings.json fills in what this environment does not set.
        CONFIG_BUCKET: infra.buckets.config.bucketName,
        AUTH_LOCAL: p.localSignIn,
        VIDEO_ANALYSES: p.videoAnalyses,
        // The jobs make proxies with MediaConvert: thumbnails, sprites and Auto QC read the proxy
        // (a 1080p original is too much for ffmpeg in a small task).
        THUMBNAILS_QC_SOURCE: 'proxy',
      },
      secrets: {
        DB_HOST: secret(db, 'host'),
        DB_USER: secret(db, 'username'),
        DB_PASS: secret(db, 'password'),
        AUTH_RUNNER_USERNAME: secret(infra.runnerSecret, 'username'),
        AUTH_RUNNER_PASSWORD: secret(infra.runnerSecret, 'password'),
        FRAMEPROOF_ADMIN_PASSWORD: secret(this.adminSecret, 'password'),
        AUTH_SIGNING_SECRETS: secret(this.signingSecrets.auth),
        MEDIA_URL_SECRETS: secret(this.signingSecrets.mediaUrls),
      },
      healthCheck: nodeHealthCheck(httpProbe(PORTS.http, '/api/health')),
      discovery: infra.adapterDiscovery,
    });

    const taskRole = this.app.taskDefinition.taskRole;
    grantObjects(taskRole, infra.buckets.media, MEDIA_PREFIX, 'read-write');
    grantObjects(taskRole, infra.buckets.config, BACKEND_CONFIG_PREFIX, 'read');
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': QUEUE_METRICS.namespace } },
      }),
    );
    allowWildcards(taskRole, {
      finding: /^Resource::\*$/,
      reason:
        'cloudwatch:PutMetricData supports no resources; the condition limits it to the Frameproof namespace.',
    });

    this.app.autoscale().scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
  }
}
