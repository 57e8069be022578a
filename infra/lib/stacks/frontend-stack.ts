import { Aws } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { httpProbe, nodeHealthCheck, type AppService } from '../constructs/app-service.js';
import { grantObjects } from '../grants.js';
import { FRONTEND_CONFIG_PREFIX, PORTS } from '../services.js';
import { ServiceStack, type ServiceStackProps } from './service-stack.js';

/** The web app and its static server, which serves `/settings.js` from the configuration bucket. */
export class FrontendStack extends ServiceStack {
  readonly app: AppService;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, 'Frameproof frontend service', props);
    const infra = this.infrastructure;
    const config = infra.buckets.config;

    this.app = this.addService('frontend', {
      ports: [PORTS.frontend],
      environment: {
        PORT: String(PORTS.frontend),
        CONFIG_BUCKET: config.bucketName,
        CONFIG_PREFIX: FRONTEND_CONFIG_PREFIX,
        AWS_REGION: Aws.REGION,
      },
      healthCheck: nodeHealthCheck(httpProbe(PORTS.frontend, '/')),
    });
    grantObjects(this.app.taskDefinition.taskRole, config, FRONTEND_CONFIG_PREFIX, 'read');
  }
}
