import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { httpProbe, nodeHealthCheck, type AppService } from '../constructs/app-service.js';
import { grantObjects } from '../grants.js';
import { allowWildcards } from '../nag.js';
import { adapterPrivateUrl, MEDIA_PREFIX, PORTS } from '../services.js';
import { ServiceStack, type ServiceStackProps } from './service-stack.js';

/** Where analysis results sit below the media prefix (`assets/<id>/analysis/<track>/<version>/<name>`). */
const ANALYSIS_KEYS = 'assets/*/analysis/*';

/** The analyze service (waveforms, loudness), behind `/api/analyze` and `/api/analyze/*`. */
export class AnalyzeStack extends ServiceStack {
  readonly app: AppService;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, 'Frameproof analyze service', props);
    const infra = this.infrastructure;

    this.app = this.addService('analyze', {
      ports: [PORTS.http],
      environment: {
        PORT: String(PORTS.http),
        // Inside the VPC, through Cloud Map: not out to the internet and back in through the load balancer.
        AP_ADAPTER_HOST: adapterPrivateUrl(this.mainParameters.applicationTag),
        ...this.mediaEnvironment,
        AP_ANALYZE_CACHE_DIR: '/tmp/wav',
        AP_ANALYZE_CACHE_DAYS: '5',
      },
      healthCheck: nodeHealthCheck(httpProbe(PORTS.http, '/api/health')),
      // Jobs ask analyze for each audio track's loudness and silence (Auto QC), inside the VPC.
      discovery: infra.analyzeDiscovery,
    });
    const taskRole = this.app.taskDefinition.taskRole;
    grantObjects(taskRole, infra.buckets.media, MEDIA_PREFIX, 'read');
    // Results are kept next to the asset, under core's assetKeys(id).analysis(track, version):
    // analyze writes there and nowhere else (a large PCM file goes up in parts).
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [infra.buckets.media.arnForObjects(`${MEDIA_PREFIX}/${ANALYSIS_KEYS}`)],
      }),
    );
    allowWildcards(taskRole, {
      finding: /^Resource::.*\/assets\/\*\/analysis\/\*$/,
      reason: 'Analysis results of any asset, and only those; asset ids are not known in advance.',
    });
    this.app.autoscale().scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
  }
}
