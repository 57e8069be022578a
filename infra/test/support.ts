// Shared by the tests: one synthesis of the launch app per test file, and readers for its templates.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnSecurityGroup } from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';
import { createFrameproofApp, type FrameproofApp, type FrameproofAppOptions } from '../lib/app.js';
import type { CfnTemplate } from '../lib/launch-templates.js';

export interface Synthesized extends FrameproofApp {
  readonly vpcTemplate: Template;
  readonly mainTemplate: Template;
  readonly nested: {
    readonly infrastructure: Template;
    readonly adapter: Template;
    readonly jobs: Template;
    readonly analyze: Template;
    readonly frontend: Template;
    readonly keycloak: Template;
    readonly settings: Template;
  };
}

/**
 * Builds and synthesizes the app, launch mode by default; cdk-nag runs and must pass. CDK's own
 * template validation is off unless asked for (templates.test.ts does): it is most of the time.
 */
export function synthesize(options: FrameproofAppOptions = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'frameproof-test-'));
  after(() => rmSync(outdir, { recursive: true, force: true }));
  const app = createFrameproofApp({ validateTemplates: false, ...options, outdir });
  const { main } = app;
  const of = (stack: Stack): Template => Template.fromStack(stack);
  return {
    ...app,
    vpcTemplate: of(app.vpc),
    mainTemplate: of(main),
    nested: {
      infrastructure: of(main.infrastructure),
      adapter: of(main.adapter),
      jobs: of(main.jobs),
      analyze: of(main.analyze),
      frontend: of(main.frontend),
      keycloak: of(main.keycloak),
      settings: of(main.settings),
    },
  };
}

export type Resources = CfnTemplate['Resources'];
export type Resource = Resources[string];

export function resources(template: Template, type?: string): [string, Resource][] {
  const all = Object.entries((template.toJSON() as CfnTemplate).Resources);
  return type ? all.filter(([, r]) => r.Type === type) : all;
}

/** The one resource of a type in a template (fails if there are none or several). */
export function only(template: Template, type: string): Resource {
  const found = resources(template, type);
  const [first] = found;
  if (!first || found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return first[1];
}

/** Logical id of a construct's CloudFormation resource in its own stack. */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnSecurityGroup;
  return Stack.of(element).getLogicalId(element);
}

type NestedName = keyof Synthesized['nested'];

/**
 * Follows a value a nested stack received as a parameter back to its source in the parent:
 * `{ Ref: param }` in the nested stack becomes what the parent passes, and an output of a sibling
 * nested stack becomes that output's value there.
 */
export function traceParameter(
  synthesized: Synthesized,
  nested: Stack,
  value: unknown,
): { stack: 'main' | 'self' | NestedName; value: unknown } {
  const ref = (value as { Ref?: string } | undefined)?.Ref;
  const nestedTemplate = Template.fromStack(nested).toJSON() as CfnTemplate;
  if (!ref || !nestedTemplate.Parameters?.[ref]) return { stack: 'self', value };
  const main = synthesized.mainTemplate.toJSON() as CfnTemplate;
  const resource = main.Resources[logicalId(nested)];
  const passed = (resource?.Properties?.Parameters as Record<string, unknown> | undefined)?.[ref];
  const getAtt = (passed as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  const sibling = (Object.keys(synthesized.nested) as NestedName[]).find(
    (name) => getAtt && logicalId(synthesized.main[name]) === getAtt[0],
  );
  if (getAtt && sibling) {
    const output = getAtt[1].replace(/^Outputs\./, '');
    const template = synthesized.nested[sibling].toJSON() as CfnTemplate;
    return { stack: sibling, value: template.Outputs?.[output]?.Value };
  }
  return { stack: 'main', value: passed };
}

/** `{ Ref: id }` or `{ Fn::GetAtt: [id, ...] }` -> id. */
export function referencedId(value: unknown): string | undefined {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
}

/**
 * Renders a CloudFormation value of a nested stack as a readable string, following parameters to
 * their source: `${Param}` for a parameter of the main template, `${AWS::Region}` for a pseudo
 * parameter, `<Id>` / `<Id.Attr>` for a resource of this stack, `<infra:Id>` for one of the
 * infrastructure stack, `<frontend:Id>` for one of another nested stack.
 */
export function render(synthesized: Synthesized, stack: Stack, value: unknown): string {
  // In the main template every Ref this test meets names a parameter; elsewhere, a resource.
  const local = (v: unknown, prefix: string, parameters = false): string => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string') {
      return o.Ref.startsWith('AWS::') || parameters ? `\${${o.Ref}}` : `<${prefix}${o.Ref}>`;
    }
    const getAtt = o['Fn::GetAtt'] as [string, string] | undefined;
    if (getAtt) return `<${prefix}${getAtt[0]}.${getAtt[1]}>`;
    const select = o['Fn::Select'] as [number, unknown] | undefined;
    if (select) return `select(${select[0]},${local(select[1], prefix, parameters)})`;
    const split = o['Fn::Split'] as [string, unknown] | undefined;
    if (split) return `split(${split[0]},${local(split[1], prefix, parameters)})`;
    const join = o['Fn::Join'] as [string, unknown] | undefined;
    if (join) {
      const [separator, parts] = join;
      return Array.isArray(parts)
        ? parts.map((part) => local(part, prefix, parameters)).join(separator)
        : local(parts, prefix, parameters);
    }
    return JSON.stringify(v);
  };
  const walk = (v: unknown): string => {
    const o = v as Record<string, unknown> | undefined;
    if (o && typeof o === 'object' && typeof o.Ref === 'string' && !o.Ref.startsWith('AWS::')) {
      const source = traceParameter(synthesized, stack, v);
      if (source.stack === 'main') return local(source.value, 'main:', true);
      if (source.stack !== 'self')
        return local(source.value, `${source.stack === 'infrastructure' ? 'infra' : source.stack}:`);
    }
    if (o && typeof o === 'object' && Array.isArray(o['Fn::Select'])) {
      const [index, list] = o['Fn::Select'] as [number, unknown];
      return `select(${index},${walk(list)})`;
    }
    if (o && typeof o === 'object' && Array.isArray(o['Fn::Split'])) {
      const [separator, source] = o['Fn::Split'] as [string, unknown];
      return `split(${separator},${walk(source)})`;
    }
    if (o && typeof o === 'object' && Array.isArray(o['Fn::Join'])) {
      const [separator, parts] = o['Fn::Join'] as [string, unknown];
      return Array.isArray(parts) ? parts.map(walk).join(separator) : walk(parts);
    }
    return local(v, '');
  };
  return walk(value);
}
