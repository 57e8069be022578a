import type { Construct } from 'constructs';
import { httpProbe, nodeHealthCheck, type AppService } from '../constructs/app-service.js';
import { grantObjects } from '../grants.js';
import { adapterPrivateUrl, MEDIA_PREFIX, PORTS } from '../services.js';
import { ServiceStack, type ServiceStackProps } from './service-stack.js';

/** The analyze service (waveforms, loudness), behind `/api/analyze/*`. */
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
    });
    grantObjects(this.app.taskDefinition.taskRole, infra.buckets.media, MEDIA_PREFIX, 'read');
    this.app.autoscale().scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
  }
}
