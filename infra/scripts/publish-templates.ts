// npm run publish-templates -- --bucket NAME [--prefix PREFIX] [--dir dist/cloudformation]
// Uploads the launch templates written by `npm run synth` and prints the launch links. Uses the
// usual AWS credentials (profile, environment or role). For launch buttons that other accounts
// can use, the bucket must let everyone read the objects under the prefix (s3:GetObject).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { GetBucketLocationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { STACK_NAMES } from '../lib/app.js';
import {
  fromYaml,
  launchUrl,
  MAIN_TEMPLATE,
  normalizePrefix,
  toYaml,
  VPC_TEMPLATE,
  withTemplateLocation,
  type PublishTarget,
} from '../lib/launch-templates.js';

const { values } = parseArgs({
  options: {
    bucket: { type: 'string' },
    prefix: { type: 'string', default: '' },
    dir: { type: 'string', default: 'dist/cloudformation' },
  },
});
if (!values.bucket) {
  console.error('usage: npm run publish-templates -- --bucket NAME [--prefix PREFIX] [--dir DIR]');
  process.exit(2);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => join(dir, name));
}

const files = yamlFiles(values.dir);
if (!files.some((f) => relative(values.dir, f) === MAIN_TEMPLATE)) {
  console.error(`no ${MAIN_TEMPLATE} in ${values.dir}: run \`npm run synth\` first`);
  process.exit(1);
}

const s3 = new S3Client({});
const location = await s3.send(new GetBucketLocationCommand({ Bucket: values.bucket }));
// S3 reports us-east-1 as no constraint, and eu-west-1 as "EU" for old buckets.
const constraint = location.LocationConstraint as string | undefined;
const region = !constraint ? 'us-east-1' : constraint === 'EU' ? 'eu-west-1' : constraint;
const target: PublishTarget = { bucket: values.bucket, prefix: normalizePrefix(values.prefix), region };
const client = new S3Client({ region });

for (const file of files) {
  const key = relative(values.dir, file).split('\\').join('/');
  const body =
    key === MAIN_TEMPLATE
      ? toYaml(withTemplateLocation(fromYaml(readFileSync(file, 'utf8')), target))
      : readFileSync(file, 'utf8');
  await client.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: `${target.prefix}${key}`,
      Body: body,
      ContentType: 'application/x-yaml',
    }),
  );
  console.log(`uploaded s3://${target.bucket}/${target.prefix}${key}`);
}

console.log('\nLaunch the optional network:');
console.log(`  ${launchUrl(target, VPC_TEMPLATE, STACK_NAMES.vpc)}`);
console.log('Launch Frameproof:');
console.log(`  ${launchUrl(target, MAIN_TEMPLATE, STACK_NAMES.main)}`);
