import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { exampleProps } from '../../infra/app';
import { EcsAutopilot } from '../../infra/ecs-autopilot';
import { synthExample } from './fixture';

/**
 * cdk-nag (v3, a CDK policy validation plugin) over the example app: no finding is left
 * unacknowledged, and every acknowledgement sits on one resource with a reason.
 */

const { app, stack } = synthExample({ context: { alertEmails: 'oncall@example.com' } });

function acknowledgements(
  root: IConstruct,
): { path: string; scope: IConstruct; id: string; reason: string }[] {
  return root.node.findAll().flatMap((scope) =>
    scope.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: scope.node.path,
          scope,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag', () => {
  it.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('%s: no unacknowledged finding', (_, pack) => {
    const report = pack.validateScope(app);
    const findings = report.violations.map(
      (violation) =>
        `${violation.ruleName} on ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('no unacknowledged finding with tracing on either', () => {
    const traced = new App({
      builtinCloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const tracedStack = new Stack(traced, 'Traced');
    new EcsAutopilot(tracedStack, 'Autopilot', { ...exampleProps(tracedStack), tracing: true });
    const findings = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
      pack.validateScope(traced).violations.map((violation) => violation.ruleName),
    );
    expect(findings).toEqual([]);
    Template.fromStack(tracedStack).allResourcesProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('every acknowledgement is on one resource (never a stack or the whole construct), with a reason', () => {
    const all = acknowledgements(app);
    expect(all.length).toBeGreaterThan(0);
    for (const { path, scope, id, reason } of all) {
      expect(scope instanceof Stack || scope instanceof EcsAutopilot, `${id} on ${path}`).toBe(false);
      expect(reason.length, `${id} on ${path} needs a reason`).toBeGreaterThan(40);
    }
  });

  it('acknowledges only these rules', () => {
    const ids = [
      ...new Set(acknowledgements(stack).map(({ id }) => id.replace(/\[.*$/, '').replace(/^.*::/, ''))),
    ];
    expect(ids.sort()).toEqual(
      [
        'AwsSolutions-IAM5', // wildcard resources AWS requires or run-time ids (each listed with its reason)
        'AwsSolutions-L1', // Node 22 on purpose
        'AwsSolutions-SQS3', // the dead-letter queues themselves
        'Serverless-LambdaDLQ', // on-failure destinations instead
        'Serverless-LambdaLatestVersion', // Node 22 on purpose
        'Serverless-LambdaTracing', // tracing opt-in
        'Serverless-SQSRedrivePolicy', // the dead-letter queues themselves
      ].sort(),
    );
  });
});
