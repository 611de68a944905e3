import { readFileSync } from 'node:fs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { EcsAutopilot } from '../../infra/ecs-autopilot';
import { JOB_TAG, runTags } from '../../shared/schedule/identity';
import { capacityMarkerPk, capacityRequestsPk, jobPk } from '../../shared/state/keys';
import { resolveTemplate } from './cfn-resolve';
import { loadCfnYaml, parseCfnYaml } from './cfn-yaml';
import { cdkModel, cdkName, type DeploymentModel, samModel } from './deployment-model';
import { ROOT_ID, synthExample, templateOf } from './fixture';

/**
 * Issue 15's narrowed grants, in the construct and template.yaml alike: run-scheduled-task stops only
 * its own runs and writes only capacity requests, drain-instance stops tasks only under a stop-after
 * policy, and the undelivered-events queue accepts only this deployment's rules.
 */

const samText = readFileSync('template.yaml', 'utf8');
const models: [string, DeploymentModel][] = [
  ['CDK', cdkModel(templateOf(synthExample().stack).json, ROOT_ID)],
  ['SAM', samModel(parseCfnYaml(samText))],
];

/** A reference as the resolver writes it: `${Name}`. */
const ref = (name: string) => `\${${name}}`;

/** IAM's StringLike: `*` any run of characters, `?` one character. */
const stringLike = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  ).test(value);

const grants = (model: DeploymentModel, fn: string, action: string) =>
  model.functions[fn].permissions.filter((line) => line.startsWith(`Allow ${action} `));

describe.each(models)('%s', (_, model) => {
  it('run-scheduled-task stops only tasks tagged with a job, the tag RunTask puts on every run', () => {
    const stop = grants(model, 'RunScheduledTask', 'ecs:StopTask');
    expect(stop.length).toBeGreaterThan(0);
    for (const line of stop) {
      expect(JSON.parse(line.slice(line.indexOf('{"')))).toEqual({
        Null: { [`aws:ResourceTag/${JOB_TAG}`]: ['false'] },
      });
    }
    expect(runTags('nightly-report', '2026-01-01T02:00:00Z').map((tag) => tag.key)).toContain(JOB_TAG);
  });

  it("run-scheduled-task's table keys cover its capacity requests, not scale-capacity's markers", () => {
    const table = grants(model, 'RunScheduledTask', 'dynamodb:PutItem');
    expect(table).toHaveLength(1);
    const condition = JSON.parse(table[0].slice(table[0].indexOf('{"'))) as Record<
      string,
      Record<string, string[]>
    >;
    const patterns = condition['ForAllValues:StringLike']['dynamodb:LeadingKeys'];
    const allowed = (key: string) => patterns.some((pattern) => stringLike(pattern, key));
    expect(allowed(capacityRequestsPk('web'))).toBe(true);
    expect(allowed(jobPk('nightly-report'))).toBe(true);
    for (const kind of ['idle', 'stall', 'types', 'launch', 'seen', 'agent'] as const) {
      expect(allowed(capacityMarkerPk('web', kind)), kind).toBe(false);
    }
    expect(allowed(capacityRequestsPk('other-cluster'))).toBe(false);
  });

  it('drain-instance may not stop tasks without a stop-after policy', () => {
    expect(grants(model, 'DrainInstance', 'ecs:StopTask')).toEqual([]);
    expect(grants(model, 'DrainInstance', 'ecs:DescribeTasks')).toHaveLength(1);
  });
});

describe('with a stop-after policy', () => {
  it('drain-instance may stop tasks of its clusters (construct and template.yaml)', () => {
    const app = new App({
      builtinCloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new Stack(app, 'Test');
    new EcsAutopilot(stack, ROOT_ID, {
      clusters: ['web'],
      autoScalingGroups: [
        {
          autoScalingGroupName: 'web-asg',
          cluster: 'web',
          standaloneTasks: { stopAfter: Duration.minutes(10) },
        },
      ],
      capacityProviders: [{ name: 'web-asg-cp', cluster: 'web', autoScalingGroupName: 'web-asg' }],
    });
    const cdk = cdkModel(Template.fromStack(stack).toJSON() as Parameters<typeof cdkModel>[0], ROOT_ID);
    const sam = samModel(parseCfnYaml(samText), { StandaloneTaskPolicy: '{"web-asg":"stop-after:600"}' });
    for (const model of [cdk, sam]) {
      expect(grants(model, 'DrainInstance', 'ecs:StopTask')).toEqual([
        `Allow ecs:StopTask arn:${ref('AWS::Partition')}:ecs:${ref('AWS::Region')}:${ref('AWS::AccountId')}:task/web/*`,
      ]);
    }
  });
});

describe('the undelivered-events queue', () => {
  type Statement = { Principal?: { Service?: string }; Condition?: Record<string, Record<string, unknown>> };
  const sourcesOf = (statements: Statement[]) =>
    statements
      .filter((statement) => statement.Principal?.Service === 'events.amazonaws.com')
      .flatMap((statement) => {
        expect(Object.keys(statement.Condition ?? {})).toEqual(['ArnEquals']);
        const arns = statement.Condition?.ArnEquals['aws:SourceArn'];
        return Array.isArray(arns) ? arns : [arns];
      })
      .map(String)
      .sort();

  it("accepts only this deployment's rules, in both templates", () => {
    const cdk = resolveTemplate(templateOf(synthExample().stack).json, { rename: cdkName(ROOT_ID) });
    const sam = resolveTemplate(loadCfnYaml('template.yaml'));
    const policyOf = (resolved: typeof cdk) =>
      Object.values(resolved.resources)
        .filter(
          (resource) =>
            resource.Type === 'AWS::SQS::QueuePolicy' &&
            JSON.stringify(resource.Properties.Queues) === JSON.stringify([ref('UndeliveredEvents')]),
        )
        .flatMap(
          (resource) =>
            (resource.Properties.PolicyDocument as unknown as { Statement: Statement[] }).Statement,
        );
    const rulesOf = (resolved: typeof cdk) =>
      Object.entries(resolved.resources)
        .filter(([, resource]) => resource.Type === 'AWS::Events::Rule')
        .map(([name]) => `\${${name}.Arn}`)
        .sort();
    expect(sourcesOf(policyOf(cdk))).toEqual(rulesOf(cdk));
    // SAM generates the rules: the policy names one per EventBridgeRule/Schedule event of a function.
    const samSources = sourcesOf(policyOf(sam));
    const events = Object.entries(sam.resources)
      .filter(([, resource]) => resource.Type === 'AWS::Serverless::Function')
      .flatMap(([fn, resource]) =>
        Object.keys(resource.Properties.Events as Record<string, unknown>).map(
          (event) => `\${${fn}${event}.Arn}`,
        ),
      )
      .sort();
    expect(samSources).toEqual(events);
    expect(samSources.length).toBe(rulesOf(cdk).length);
  });
});

describe("an existing alert topic's key (AlertTopicKeyArn)", () => {
  it('lets the publishing functions encrypt with it, in both templates', () => {
    const topic = 'arn:aws:sns:us-east-1:123456789012:alerts';
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const sam = samModel(parseCfnYaml(samText), { AlertTopicArn: topic, AlertTopicKeyArn: key });
    const app = new App({
      builtinCloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new Stack(app, 'Test');
    new EcsAutopilot(stack, ROOT_ID, {
      clusters: ['web'],
      autoScalingGroups: [{ autoScalingGroupName: 'web-asg', cluster: 'web' }],
      capacityProviders: [{ name: 'web-asg-cp', cluster: 'web', autoScalingGroupName: 'web-asg' }],
      alerts: {
        topic: sns.Topic.fromTopicArn(stack, 'Topic', topic),
        topicKey: kms.Key.fromKeyArn(stack, 'Key', key),
      },
    });
    const cdk = cdkModel(Template.fromStack(stack).toJSON() as Parameters<typeof cdkModel>[0], ROOT_ID);
    for (const model of [sam, cdk]) {
      for (const fn of ['RunScheduledTask', 'DetectFailedStart']) {
        expect(grants(model, fn, 'kms:GenerateDataKey')).toEqual([`Allow kms:GenerateDataKey ${key}`]);
        expect(grants(model, fn, 'sns:Publish')).toEqual([`Allow sns:Publish ${topic}`]);
      }
      expect(grants(model, 'DrainInstance', 'kms:GenerateDataKey')).toEqual([]);
    }
    // Without a key, no KMS grant.
    const plain = samModel(parseCfnYaml(samText), { AlertTopicArn: topic });
    expect(grants(plain, 'RunScheduledTask', 'kms:GenerateDataKey')).toEqual([]);
  });
});
