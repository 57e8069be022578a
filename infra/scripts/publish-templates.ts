// npm run publish-templates -- --bucket NAME [--prefix PREFIX] [--dir dist/cloudformation]
//                              [--out DIR --region REGION]
// Uploads the launch templates written by `npm run synth` and prints the launch links. Uses the
// usual AWS credentials (profile, environment or role). For launch buttons that other accounts
// can use, the bucket must let everyone read the objects under the prefix (s3:GetObject).
// With --out, writes what it would upload into that folder instead (keys as in the bucket), for
// the bucket in --region, and needs no AWS account.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { GetBucketLocationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { STACK_NAMES } from '../lib/app.js';
import {
  launchUrl,
  MAIN_TEMPLATE,
  normalizePrefix,
  publishedFiles,
  VPC_TEMPLATE,
  type PublishTarget,
} from '../lib/launch-templates.js';

const usage =
  'usage: npm run publish-templates -- --bucket NAME [--prefix PREFIX] [--dir DIR] [--out DIR --region REGION]';
const { values } = parseArgs({
  options: {
    bucket: { type: 'string' },
    prefix: { type: 'string', default: '' },
    dir: { type: 'string', default: 'dist/cloudformation' },
    out: { type: 'string' },
    region: { type: 'string' },
  },
});
if (!values.bucket || (values.out && !values.region)) {
  console.error(usage);
  process.exit(2);
}
const bucket = values.bucket;

const files = readdirSync(values.dir, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.yaml'))
  .map((name) => ({
    key: name.split('\\').join('/'),
    text: readFileSync(join(values.dir, name), 'utf8'),
  }));
if (!files.some((f) => f.key === MAIN_TEMPLATE)) {
  console.error(`no ${MAIN_TEMPLATE} in ${values.dir}: run \`npm run synth\` first`);
  process.exit(1);
}

async function bucketRegion(s3: S3Client): Promise<string> {
  const location = await s3.send(new GetBucketLocationCommand({ Bucket: bucket }));
  // S3 reports us-east-1 as no constraint, and eu-west-1 as "EU" for old buckets.
  const constraint = location.LocationConstraint as string | undefined;
  return !constraint ? 'us-east-1' : constraint === 'EU' ? 'eu-west-1' : constraint;
}

const region = values.region ?? (await bucketRegion(new S3Client({})));
const target: PublishTarget = { bucket, prefix: normalizePrefix(values.prefix), region };
const client = values.out ? undefined : new S3Client({ region });

for (const { key, body } of publishedFiles(files, target)) {
  if (values.out) {
    const path = join(values.out, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
    console.log(`wrote ${relative(process.cwd(), path)} (for s3://${bucket}/${key})`);
  } else {
    await client?.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/x-yaml' }),
    );
    console.log(`uploaded s3://${bucket}/${key}`);
  }
}

console.log('\nLaunch the optional network:');
console.log(`  ${launchUrl(target, VPC_TEMPLATE, STACK_NAMES.vpc)}`);
console.log('Launch Frameproof:');
console.log(`  ${launchUrl(target, MAIN_TEMPLATE, STACK_NAMES.main)}`);
