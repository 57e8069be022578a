import { CfnResource, Validations, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks, rules } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag, the way this app uses it: the AWS Solutions rules run on every stack when the app is
 * synthesized, and a finding fails the synthesis unless the construct (or one of its parents)
 * acknowledges it with a reason.
 */

/** Acknowledges one AWS Solutions finding on a construct and everything under it. */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${rule}`, reason });
}

/**
 * An allowed wildcard in an IAM policy (rule IAM5). The finding's text names resources by their
 * logical ids or nested-stack parameters, which are only known once the app is prepared, so the
 * allowance is a pattern and it is matched against the findings just before the checks run.
 */
export interface WildcardAllowance {
  /** Matched against the finding, e.g. `Resource::<MediaBucketArn>/media/*` or `Action::s3:Get*`. */
  readonly finding: RegExp;
  readonly reason: string;
}

const allowances = new WeakMap<IConstruct, WildcardAllowance[]>();

/** Allows IAM wildcards matching `allowed` in the policies of `scope` and everything under it. */
export function allowWildcards(scope: IConstruct, ...allowed: WildcardAllowance[]): void {
  allowances.set(scope, [...(allowances.get(scope) ?? []), ...allowed]);
}

const findWildcards = rules.iam.IAMNoWildcardPermissions;

function allowanceFor(node: IConstruct, finding: string): WildcardAllowance | undefined {
  for (let scope: IConstruct | undefined = node; scope; scope = scope.node.scope) {
    const match = allowances.get(scope)?.find((a) => a.finding.test(finding));
    if (match) return match;
  }
  return undefined;
}

/** Turns the wildcard allowances into acknowledgements, now that every policy is final. */
function acknowledgeAllowedWildcards(root: IConstruct): void {
  for (const node of root.node.findAll()) {
    if (!CfnResource.isCfnResource(node)) continue;
    const findings = findWildcards(node);
    if (!Array.isArray(findings)) continue;
    for (const finding of findings) {
      const allowance = allowanceFor(node, finding);
      if (allowance) acknowledge(node, `IAM5[${finding}]`, allowance.reason);
    }
  }
}

/** The AWS Solutions pack, acknowledging allowed IAM wildcards first. */
export class FrameproofChecks extends AwsSolutionsChecks {
  override validateScope(scope: IConstruct): PolicyValidationPluginReport {
    acknowledgeAllowedWildcards(scope);
    return super.validateScope(scope);
  }
}

/** Registers the checks on the app; they run when it is synthesized. */
export function addChecks(app: IConstruct): FrameproofChecks {
  const checks = new FrameproofChecks(app);
  Validations.of(app).addPlugins(checks);
  return checks;
}
