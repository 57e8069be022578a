import { CfnParameter, Lazy, type CfnParameterProps, type Stack } from 'aws-cdk-lib';

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
    const parameter = new CfnParameter(this.stack, id, props);
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
