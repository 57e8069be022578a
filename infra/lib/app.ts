import { App, DefaultStackSynthesizer, Stack, type IStackSynthesizer } from 'aws-cdk-lib';
import recommendedFlags from 'aws-cdk-lib/recommended-feature-flags.json' with { type: 'json' };
import { LaunchTemplateSynthesizer } from './launch-synthesizer.js';
import { addChecks, type FrameproofChecks } from './nag.js';
import { FRAMEPROOF_VERSION } from './services.js';
import { MainStack } from './stacks/main-stack.js';
import { VpcStack } from './stacks/vpc-stack.js';

export interface FrameproofAppOptions {
  /**
   * `launch` (default): templates for the "Launch stack" button, which need no CDK bootstrap.
   * `cdk`: for `cdk deploy` into a bootstrapped account (nested templates go to the CDK asset bucket).
   */
  readonly mode?: 'launch' | 'cdk';
  /** Cloud assembly folder. */
  readonly outdir?: string;
  /**
   * The registry `npm run images` pushed to: the image parameters default to the five images
   * there. Without it, the image repositories of our services are required parameters (there is
   * no public image to fall back on) and Keycloak defaults to its official image.
   */
  readonly imageRegistry?: string;
  readonly imageTag?: string;
  /**
   * Run CDK's built-in CloudFormation validation (schemas, intrinsic functions, references across
   * the nested templates) when synthesizing; its errors fail the synthesis. Default true; it takes
   * most of the synthesis time, so most tests leave it to the one that checks the templates.
   */
  readonly validateTemplates?: boolean;
}

export interface FrameproofApp {
  readonly app: App;
  readonly vpc: VpcStack;
  readonly main: MainStack;
  readonly checks: FrameproofChecks;
}

/** Stack names, which are also the names of the launch templates' stacks by default. */
export const STACK_NAMES = { vpc: 'FrameproofVpc', main: 'Frameproof' } as const;

/**
 * The CDK app: the optional VPC stack and the main stack, checked by cdk-nag when synthesized.
 * CDK's recommended feature flags apply, as in a project made with `cdk init`.
 */
export function createFrameproofApp(options: FrameproofAppOptions = {}): FrameproofApp {
  const launch = (options.mode ?? 'launch') === 'launch';
  const app = new App({
    outdir: options.outdir,
    context: {
      ...recommendedFlags,
      // Launch templates are read by people: no construct paths, no CDK metadata resource.
      ...(launch && { 'aws:cdk:enable-path-metadata': false, 'aws:cdk:version-reporting': false }),
    },
    analyticsReporting: !launch,
    builtinCloudFormationValidation: options.validateTemplates ?? true,
  });
  const checks = addChecks(app);
  const synthesizer = (): IStackSynthesizer =>
    launch ? new LaunchTemplateSynthesizer() : new DefaultStackSynthesizer();
  const vpc = new VpcStack(app, STACK_NAMES.vpc, { synthesizer: synthesizer() });
  const main = new MainStack(app, STACK_NAMES.main, {
    synthesizer: synthesizer(),
    imageRegistry: options.imageRegistry,
    imageTag: options.imageTag ?? FRAMEPROOF_VERSION,
  });
  for (const stack of app.node.findAll().filter(Stack.isStack)) {
    stack.templateOptions.templateFormatVersion = '2010-09-09';
  }
  return { app, vpc, main, checks };
}
