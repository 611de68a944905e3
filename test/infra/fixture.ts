import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../infra/app';
import { EcsAutopilot } from '../../infra/ecs-autopilot';
import type { CfnTemplate } from './cfn-yaml';

/** The construct's id in the example app; CDK logical ids start with it. */
export const ROOT_ID = 'EcsAutopilot';

/**
 * The example app (the sample universe: cluster web, group web-asg, provider web-asg-cp, job
 * nightly-report) synthesized without bundling: tests read the template, not the code assets.
 */
export function synthExample({
  nag = false,
  context = {},
}: {
  nag?: boolean;
  context?: Record<string, unknown>;
} = {}) {
  // No bundling, and no built-in CloudFormation schema validation (npm run synth runs it): seconds saved.
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:bundling-stacks': [], ...context },
  });
  const stack = buildApp(app, { nag });
  const autopilot = stack.node.findChild(ROOT_ID) as EcsAutopilot;
  if (!(autopilot instanceof EcsAutopilot)) throw new Error('The example app has no EcsAutopilot construct');
  return { app, stack, autopilot };
}

export function templateOf(stack: Stack): { template: Template; json: CfnTemplate } {
  const template = Template.fromStack(stack);
  return { template, json: template.toJSON() as CfnTemplate };
}

/** The logical id of a construct's CloudFormation resource (a function, a queue, a role). */
export function logicalIdOf(construct: IConstruct | undefined): string {
  const resource = construct?.node.defaultChild;
  if (!resource || !CfnElement.isCfnElement(resource))
    throw new Error(`${construct?.node.path} has no resource`);
  return Stack.of(resource).getLogicalId(resource);
}
