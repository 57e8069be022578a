import {
  CfnParameter,
  CfnRule,
  Fn,
  Lazy,
  type CfnParameterProps,
  type ICfnRuleConditionExpression,
  type Stack,
} from 'aws-cdk-lib';

export interface LabelledParameterProps extends CfnParameterProps {
  /** What the CloudFormation console shows instead of the logical id. */
  readonly label: string;
}

/**
 * The parameters of a launch template, in groups with labels, as the CloudFormation console shows
 * them (`AWS::CloudFormation::Interface`). Groups and parameters keep the order they are added in.
 */
export class ParameterGroups {
  private readonly groups = new Map<string, string[]>();
  private readonly labels = new Map<string, string>();

  constructor(private readonly stack: Stack) {
    stack.templateOptions.metadata = {
      ...stack.templateOptions.metadata,
      'AWS::CloudFormation::Interface': Lazy.any({ produce: () => this.renderInterface() }),
    };
  }

  /** Adds a parameter; a parameter directly under its stack has its id as logical id. */
  add(group: string, id: string, { label, ...props }: LabelledParameterProps): CfnParameter {
    // Defaults are strings, as CloudFormation reads them and as AllowedValues lists them.
    const parameter = new CfnParameter(this.stack, id, {
      ...props,
      ...(typeof props.default === 'number' && { default: String(props.default) }),
    });
    this.groups.set(group, [...(this.groups.get(group) ?? []), id]);
    this.labels.set(id, label);
    return parameter;
  }

  private renderInterface(): unknown {
    return {
      ParameterGroups: [...this.groups].map(([label, parameters]) => ({
        Label: { default: label },
        Parameters: parameters,
      })),
      ParameterLabels: Object.fromEntries([...this.labels].map(([id, label]) => [id, { default: label }])),
    };
  }
}

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** What an application tag may be: it also names DB instances, so no trailing or double dash. */
export const APPLICATION_TAG = {
  pattern: '^[a-z](-?[a-z0-9])*$',
  maxLength: 40,
  constraint:
    'lower-case letters, digits and single dashes, starting with a letter and not ending with a dash, at most 40',
} as const;

/**
 * The task sizes Fargate accepts, as `CPU units/MiB` (1024 units = 1 vCPU): for each CPU size,
 * its memory range and step (AWS Fargate task definition parameters, Linux).
 */
export const FARGATE_TASK_SIZES: string[] = (
  [
    [256, [512, 1024, 2048]],
    [512, range(1024, 4096, 1024)],
    [1024, range(2048, 8192, 1024)],
    [2048, range(4096, 16384, 1024)],
    [4096, range(8192, 30720, 1024)],
    [8192, range(16384, 61440, 4096)],
    [16384, range(32768, 122880, 8192)],
  ] as const
).flatMap(([cpu, memories]) => memories.map((memory) => `${cpu}/${memory}`));

function range(from: number, to: number, step: number): number[] {
  return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

/** CPU units and MiB of a `CPU units/MiB` task size parameter, as CloudFormation strings. */
export function taskSizeParts(taskSize: string): { cpu: string; memoryMiB: string } {
  const parts = Fn.split('/', taskSize);
  return { cpu: Fn.select(0, parts), memoryMiB: Fn.select(1, parts) };
}

/**
 * A template rule that refuses to launch when `upper` is below `lower`. Rules cannot compare
 * numbers, so it lists, for each value `lower` may take (1 to `lowerMax`), the values of `upper`
 * that are too small.
 */
export function requireAtLeast(
  stack: Stack,
  id: string,
  options: { upper: CfnParameter; lower: CfnParameter; lowerMax: number; description: string },
): CfnRule {
  const tooSmall: ICfnRuleConditionExpression[] = [];
  for (let lower = 2; lower <= options.lowerMax; lower++) {
    tooSmall.push(
      Fn.conditionAnd(
        Fn.conditionEquals(options.lower.valueAsString, String(lower)),
        Fn.conditionContains(range(1, lower - 1, 1).map(String), options.upper.valueAsString),
      ),
    );
  }
  return new CfnRule(stack, id, {
    assertions: [{ assert: Fn.conditionNot(anyOf(tooSmall)), assertDescription: options.description }],
  });
}

/** Fn::Or of any number of conditions (CloudFormation takes 2 to 10 at a time). */
function anyOf(conditions: ICfnRuleConditionExpression[]): ICfnRuleConditionExpression {
  if (conditions.length === 0) throw new Error('anyOf: no conditions');
  if (conditions.length === 1) return conditions[0] as ICfnRuleConditionExpression;
  if (conditions.length <= 10) return Fn.conditionOr(...conditions);
  const groups = Array.from({ length: Math.ceil(conditions.length / 10) }, (_, i) =>
    conditions.slice(i * 10, i * 10 + 10),
  );
  return anyOf(groups.map(anyOf));
}
