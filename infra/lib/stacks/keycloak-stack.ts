import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { AppService } from '../constructs/app-service.js';
import { PostgresDatabase } from '../constructs/postgres-database.js';
import { frameproofRealm, REALM_PLACEHOLDERS } from '../keycloak-realm.js';
import { generatedSecret } from '../secrets.js';
import { DATABASES, PORTS } from '../services.js';
import { ServiceStack, type ServiceStackProps } from './service-stack.js';

/** Where the official image imports realms from. */
const IMPORT_DIR = '/opt/keycloak/data/import';

/**
 * The official image has no way to take a realm file but a mounted folder, so the task writes the
 * realm (from an environment variable) into the import folder, then starts Keycloak.
 */
export const KEYCLOAK_START = [
  `mkdir -p ${IMPORT_DIR}`,
  `printf '%s' "$FRAMEPROOF_REALM_JSON" > ${IMPORT_DIR}/frameproof-realm.json`,
  'exec /opt/keycloak/bin/kc.sh start --import-realm',
].join(' && ');

/** The image has bash but neither curl nor wget: an HTTP request on bash's /dev/tcp. */
export const KEYCLOAK_HEALTH_PROBE =
  `exec 3<>/dev/tcp/127.0.0.1/${PORTS.keycloakManagement} && ` +
  `printf 'GET /health/ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && grep -q 'HTTP/1.[01] 200' <&3`;

/** Keycloak (official image) under `/auth`, with its own PostgreSQL database and the Frameproof realm. */
export class KeycloakStack extends ServiceStack {
  readonly database: PostgresDatabase;
  readonly adminSecret: secretsmanager.Secret;
  readonly app: AppService;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, 'Frameproof Keycloak service and its database', props);
    const { mainParameters: p, infrastructure: infra } = this;

    this.database = new PostgresDatabase(this, 'Database', {
      vpc: this.vpc,
      securityGroup: infra.securityGroups.keycloakDatabase,
      ...DATABASES.keycloak,
      parameters: p.keycloakDatabase,
      instanceIdentifier: `${p.applicationTag}-keycloak`,
      logRetentionDays: p.logRetentionDays,
    });
    this.adminSecret = generatedSecret(this, 'AdminSecret', {
      description: 'Keycloak bootstrap administrator of the master realm',
      username: 'admin',
      length: 32,
      rotation:
        'Bootstrap administrator, used once to create real administrators; Keycloak reads it only at first start.',
    });

    const db = this.database.secret;
    const secret = ecs.Secret.fromSecretsManager;
    this.app = this.addService('keycloak', {
      ports: [PORTS.http],
      entryPoint: ['/bin/bash', '-c'],
      command: [KEYCLOAK_START],
      environment: {
        KC_DB: 'postgres',
        KC_DB_URL_PORT: this.database.instance.dbInstanceEndpointPort,
        KC_DB_URL_DATABASE: DATABASES.keycloak.databaseName,
        KC_HOSTNAME: `${this.publicUrl}/auth`,
        KC_HTTP_ENABLED: 'true',
        KC_HTTP_PORT: String(PORTS.http),
        KC_HTTP_RELATIVE_PATH: '/auth',
        KC_HTTP_MANAGEMENT_RELATIVE_PATH: '/',
        KC_PROXY_HEADERS: 'xforwarded',
        KC_HEALTH_ENABLED: 'true',
        // One task, no cluster: a second task would need port 7800 between tasks, which the
        // security groups do not open.
        KC_CACHE: 'local',
        [REALM_PLACEHOLDERS.publicUrl]: this.publicUrl,
        FRAMEPROOF_REALM_JSON: JSON.stringify(frameproofRealm()),
      },
      secrets: {
        KC_DB_URL_HOST: secret(db, 'host'),
        KC_DB_USERNAME: secret(db, 'username'),
        KC_DB_PASSWORD: secret(db, 'password'),
        KC_BOOTSTRAP_ADMIN_USERNAME: secret(this.adminSecret, 'username'),
        KC_BOOTSTRAP_ADMIN_PASSWORD: secret(this.adminSecret, 'password'),
        [REALM_PLACEHOLDERS.adapterClientSecret]: secret(infra.keycloakClientSecret),
      },
      healthCheck: {
        command: ['CMD', '/bin/bash', '-c', KEYCLOAK_HEALTH_PROBE],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(300),
      },
      // The first start builds Keycloak for PostgreSQL and creates its schema.
      healthCheckGracePeriod: Duration.seconds(600),
    });
  }
}
