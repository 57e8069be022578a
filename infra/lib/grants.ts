import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { allowWildcards } from './nag.js';

/**
 * Least-privilege S3 grants: named actions only (no `s3:*`, no `Get*`), on one key prefix of one
 * bucket. The only wildcard left is the one that names the objects under the prefix.
 */
export type ObjectAccess = 'read' | 'read-write';

const READ = ['s3:GetObject'];
const WRITE = ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];

export function grantObjects(
  role: iam.IRole,
  bucket: s3.IBucket,
  prefix: string,
  access: ObjectAccess,
): void {
  const writes = access === 'read-write';
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: writes ? [...READ, ...WRITE] : READ,
      resources: [bucket.arnForObjects(`${prefix}/*`)],
    }),
  );
  // Unconditional: without s3:ListBucket, S3 answers 403 instead of 404 for a missing object, and
  // a HeadObject request carries no s3:prefix a condition could test.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: writes ? ['s3:ListBucket', 's3:ListBucketMultipartUploads'] : ['s3:ListBucket'],
      resources: [bucket.bucketArn],
    }),
  );
  allowWildcards(role, {
    finding: new RegExp(`^Resource::.*/${prefix}/\\*$`),
    reason: `Objects under ${prefix}/ of one bucket; object keys are not known in advance.`,
  });
}

/** Lets `role` hand `passed` to one AWS service, and to nothing else. */
export function grantPassRole(role: iam.IRole, passed: iam.IRole, service: string): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [passed.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': service } },
    }),
  );
}
