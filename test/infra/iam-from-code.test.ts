import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { FUNCTION_SPECS } from '../../infra/specs';
import { logicalIdOf, synthExample, templateOf } from './fixture';

/**
 * The IAM actions granted to each function are exactly those its code can call. The adapters in
 * shared/aws name each call by its IAM action (`call('ecs:ListTasks', ...)`), so the tree-shaken
 * bundle of a function lists what it calls. A new adapter call without its permission, or a permission
 * nothing calls any more, fails here.
 */

/** Services whose actions the functions' code calls; others are granted for the platform (below). */
const CODE_SERVICES = ['ecs', 'autoscaling', 'dynamodb', 'sns', 'events'];
const ACTION = new RegExp(`["'\`]((?:${CODE_SERVICES.join('|')}):[A-Z][A-Za-z]+)["'\`]`, 'g');

/** Granted because of how a called action is authorized, not called themselves. */
const IMPLIED: Record<string, string[]> = {
  // Tags on RunTask are authorized as ecs:TagResource with ecs:CreateAction = RunTask.
  'ecs:RunTask': ['ecs:TagResource'],
};

/**
 * Called only under a setting the example app leaves off, and granted only with it (construct.test.ts
 * checks the grant follows the setting): drain-instance stops tasks only under a stop-after policy.
 */
const GRANTED_ONLY_WHEN_CONFIGURED: Record<string, string[]> = { 'drain-instance': ['ecs:StopTask'] };

async function actionsCalledBy(name: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join('functions', name, 'index.ts')],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    treeShaking: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  return [...new Set([...code.matchAll(ACTION)].map((match) => match[1]))].sort();
}

type Statement = { Action: string | string[] };
type Resource = { Type: string; Properties: Record<string, unknown> };

const { stack, autopilot } = synthExample();
const resources = templateOf(stack).json.Resources as Record<string, Resource>;

function actionsGranted(roleLogicalId: string): string[] {
  const actions = Object.values(resources)
    .filter(
      (resource) =>
        resource.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(resource.Properties.Roles) === JSON.stringify([{ Ref: roleLogicalId }]),
    )
    .flatMap((resource) => (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
  return [...new Set(actions)].sort();
}

describe.each(FUNCTION_SPECS.map((spec) => spec.name))('IAM of %s', (name) => {
  const fn = autopilot.functions[name];
  if (!fn) throw new Error(`${name} is not deployed by the example app`);
  const granted = actionsGranted(logicalIdOf(fn.role));

  it('grants exactly the actions its code calls', async () => {
    const called = await actionsCalledBy(name);
    const optional = GRANTED_ONLY_WHEN_CONFIGURED[name] ?? [];
    const expected = [...new Set([...called, ...called.flatMap((action) => IMPLIED[action] ?? [])])]
      .filter((action) => !optional.includes(action))
      .sort();
    const grantedForCode = granted.filter((action) => CODE_SERVICES.includes(action.split(':')[0]));
    expect(grantedForCode).toEqual(expected);
  });

  it('grants nothing else but its logs, its failure queue, role passing and the alert key', () => {
    const platform = granted.filter((action) => !CODE_SERVICES.includes(action.split(':')[0]));
    const allowed = [
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:SendMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'iam:PassRole',
      'kms:Decrypt',
      'kms:GenerateDataKey',
    ];
    expect(platform.filter((action) => !allowed.includes(action))).toEqual([]);
  });
});
