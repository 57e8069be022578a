import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import type { DatabaseParameters } from '../stacks/main-parameters.js';
import { useSecurityGroup } from './security-groups.js';

const POSTGRES_LOG = 'postgresql';

export interface PostgresDatabaseProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly databaseName: string;
  readonly username: string;
  readonly parameters: DatabaseParameters;
  /** The DB instance identifier, unique in the account and region; it also names the log group. */
  readonly instanceIdentifier: string;
  readonly logRetentionDays: number;
}

/**
 * A PostgreSQL database as the reference ran them: Multi-AZ, encrypted, deletion protection on, a
 * snapshot when deleted or replaced, in the private subnets, reachable only through its security
 * group. The generated credentials are in Secrets Manager, with `host` and `port` filled in.
 */
export class PostgresDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly secret: secretsmanager.ISecret;
  /** Where RDS exports the PostgreSQL log: made here first, so it keeps the stack's retention. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    // RDS would create this group itself, keeping the logs forever; made first, it is ours.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/${POSTGRES_LOG}`,
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      instanceIdentifier: props.instanceIdentifier,
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      // The class is a template parameter, set below.
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.SMALL),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [useSecurityGroup(this, 'SecurityGroup', props.securityGroup)],
      databaseName: props.databaseName,
      credentials: rds.Credentials.fromGeneratedSecret(props.username),
      multiAz: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: props.parameters.allocatedStorageGiB,
      storageEncrypted: true,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      backupRetention: Duration.days(7),
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
      cloudwatchLogsExports: [POSTGRES_LOG],
    });
    this.instance.node.addDependency(this.logGroup);
    (this.instance.node.defaultChild as rds.CfnDBInstance).dbInstanceClass = props.parameters.instanceClass;
    if (!this.instance.secret) throw new Error('RDS made no secret for generated credentials');
    this.secret = this.instance.secret;

    acknowledge(
      this.instance,
      'RDS11',
      'PostgreSQL keeps its standard port 5432; the security group admits only the one service that uses it.',
    );
    acknowledge(
      this.instance,
      'SMG4',
      'Tasks read the credentials once when they start, so a rotation would break running tasks; rotate by ' +
        'changing the password and forcing a new deployment.',
    );
  }
}
