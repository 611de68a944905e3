import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { ALARM_DOCS, alarmTable, CAPACITY_ALARMS, DRAIN_ALARMS } from '../../infra/alarms';
import { buildApp } from '../../infra/app';
import { EcsAutopilot } from '../../infra/ecs-autopilot';
import { FUNCTION_SPECS } from '../../infra/specs';
import { resolveTemplate } from './cfn-resolve';
import { type CfnTemplate, loadCfnYaml } from './cfn-yaml';
import { cdkName } from './deployment-model';
import { ROOT_ID, synthExample, templateOf } from './fixture';

/**
 * Both templates page on every signal that a task was killed, a drain or scaling stopped, an alert was
 * not delivered or a periodic pass stopped (issue 15), and infra/README.md explains each alarm.
 */

type Alarm = Record<string, unknown> & { Dimensions?: { Name: string; Value: string }[] };

/** `namespace metric dimension=value,...` of every alarm, with its actions. */
function alarmsOf(resolved: ReturnType<typeof resolveTemplate>): { key: string; alarm: Alarm }[] {
  return Object.values(resolved.resources)
    .filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm')
    .map((resource) => {
      const alarm = resource.Properties as Alarm;
      const dimensions = (alarm.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(',');
      return { key: `${alarm.Namespace} ${alarm.MetricName} ${dimensions}`, alarm };
    });
}

/** A reference as the resolver writes it: `${Name}` or `${Name.Attribute}`. */
const ref = (name: string) => `\${${name}}`;

const FUNCTIONS = ['DrainInstance', 'RunScheduledTask', 'DetectFailedStart', 'ScaleCapacity'];

/** What the sample universe must be alarmed on (cluster web, provider web-asg-cp). */
const EXPECTED = [
  ...FUNCTIONS.flatMap((fn) => [
    `AWS/Lambda Errors FunctionName=\${${fn}}`,
    `AWS/Lambda Throttles FunctionName=\${${fn}}`,
    `AWS/Lambda Invocations FunctionName=\${${fn}}`,
    `AWS/SQS ApproximateNumberOfMessagesVisible QueueName=\${${fn}Failures.QueueName}`,
  ]),
  `AWS/SQS ApproximateNumberOfMessagesVisible QueueName=${ref('UndeliveredEvents.QueueName')}`,
  ...DRAIN_ALARMS.map((metric) => `EcsAutopilot ${metric} service=drain-instance`),
  ...CAPACITY_ALARMS.map(
    (metric) => `EcsAutopilot ${metric} CapacityProvider=web-asg-cp,service=scale-capacity`,
  ),
].sort();

const cdkResolved = (json: CfnTemplate) => resolveTemplate(json, { rename: cdkName(ROOT_ID) });
const samTemplate = loadCfnYaml('template.yaml');

describe('alarms', () => {
  it('the synthesized template carries every alarm', () => {
    const { json } = templateOf(synthExample().stack);
    expect(
      alarmsOf(cdkResolved(json))
        .map((a) => a.key)
        .sort(),
    ).toEqual(EXPECTED);
  });

  it('template.yaml carries every alarm', () => {
    expect(
      alarmsOf(resolveTemplate(samTemplate))
        .map((a) => a.key)
        .sort(),
    ).toEqual(EXPECTED);
  });

  it('a silent periodic pass alarms: Invocations below 1, missing data breaching', () => {
    for (const resolved of [
      cdkResolved(templateOf(synthExample().stack).json),
      resolveTemplate(samTemplate),
    ]) {
      const silent = alarmsOf(resolved).filter((a) => a.alarm.MetricName === 'Invocations');
      expect(silent).toHaveLength(FUNCTIONS.length);
      for (const { alarm } of silent) {
        expect(alarm).toMatchObject({
          ComparisonOperator: 'LessThanThreshold',
          TreatMissingData: 'breaching',
        });
        // Longer than the slowest periodic pass (detect-failed-start, every 5 minutes) times two.
        expect(Number(alarm.Period) * Number(alarm.EvaluationPeriods)).toBeGreaterThanOrEqual(600);
      }
    }
  });

  it('undelivered alert emails alarm, in both templates', () => {
    const queue = `AWS/SQS ApproximateNumberOfMessagesVisible QueueName=${ref('UndeliveredAlerts.QueueName')}`;
    const { json } = templateOf(synthExample({ context: { alertEmails: 'oncall@example.com' } }).stack);
    expect(alarmsOf(cdkResolved(json)).map((a) => a.key)).toContain(queue);
    const sam = resolveTemplate(samTemplate, { parameters: { AlertEmail: 'oncall@example.com' } });
    expect(alarmsOf(sam).map((a) => a.key)).toContain(queue);
  });

  it('notify their own topic when given one, the alert topic otherwise', () => {
    const paging = 'arn:aws:sns:us-east-1:123456789012:paging';
    const sam = alarmsOf(resolveTemplate(samTemplate, { parameters: { AlarmTopicArn: paging } }));
    for (const { alarm } of sam) expect(alarm).toMatchObject({ AlarmActions: [paging], OKActions: [paging] });
    for (const { alarm } of alarmsOf(resolveTemplate(samTemplate))) {
      expect(alarm).toMatchObject({ AlarmActions: [ref('Alerts')], OKActions: [ref('Alerts')] });
    }

    const app = new App({
      builtinCloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const stack = buildApp(app, { nag: false });
    const base = stack.node.findChild(ROOT_ID) as EcsAutopilot;
    const other = new Stack(app, 'Paging');
    const topic = sns.Topic.fromTopicArn(other, 'Paging', paging);
    const withTopic = new EcsAutopilot(other, 'Autopilot', {
      clusters: ['web'],
      autoScalingGroups: [{ autoScalingGroupName: 'web-asg', cluster: 'web' }],
      capacityProviders: [{ name: 'web-asg-cp', cluster: 'web', autoScalingGroupName: 'web-asg' }],
      alerts: { alarmTopic: topic },
    });
    expect(withTopic.alarms.length).toBe(base.alarms.length);
    const alarms = Object.values(Template.fromStack(other).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(withTopic.alarms.length);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({ AlarmActions: [paging], OKActions: [paging] });
    }
  });

  it('one set of capacity alarms per capacity provider', () => {
    const { json } = templateOf(
      synthExample({
        context: {
          clusters: 'web,batch',
          autoScalingGroups: 'web-asg=web,batch-asg=batch',
          capacityProviders: 'web-asg-cp=web-asg,batch-cp=batch-asg',
        },
      }).stack,
    );
    const keys = alarmsOf(cdkResolved(json)).map((a) => a.key);
    for (const provider of ['web-asg-cp', 'batch-cp']) {
      for (const metric of CAPACITY_ALARMS) {
        expect(keys).toContain(`EcsAutopilot ${metric} CapacityProvider=${provider},service=scale-capacity`);
      }
    }
    const sam = resolveTemplate(samTemplate, {
      parameters: { CapacityProviderNames: 'web-asg-cp,batch-cp', CapacityProviderGroupNames: 'web-asg' },
    });
    expect(alarmsOf(sam).filter((a) => a.key.includes('CapacityProvider=batch-cp'))).toHaveLength(3);
  });

  it("alarm on metrics the functions emit, under the function's service name", () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir).flatMap((entry) => {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) return sources(path);
        return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [readFileSync(path, 'utf8')] : [];
      });
    const drain = sources('functions/drain-instance').join('\n');
    const capacity = sources('functions/scale-capacity').join('\n');
    for (const metric of DRAIN_ALARMS) {
      expect(drain, `${metric} is never emitted`).toContain(`'${metric}'`);
    }
    for (const metric of CAPACITY_ALARMS)
      expect(capacity, `${metric} is never emitted`).toContain(`'${metric}'`);
    expect(readFileSync('functions/drain-instance/index.ts', 'utf8')).toContain(
      "observability('drain-instance')",
    );
    expect(readFileSync('functions/scale-capacity/index.ts', 'utf8')).toContain(
      "observability('scale-capacity')",
    );
    expect(FUNCTION_SPECS.map((spec) => spec.name)).toEqual(expect.arrayContaining(['drain-instance']));
  });

  it('infra/README.md explains each alarm (regenerate: npx tsx infra/alarms.ts)', () => {
    const readme = readFileSync('infra/README.md', 'utf8');
    const start = readme.indexOf('<!-- alarm-table:start -->\n') + '<!-- alarm-table:start -->\n'.length;
    const end = readme.indexOf('\n<!-- alarm-table:end -->');
    expect(end).toBeGreaterThan(start);
    const cells = (table: string) =>
      table
        .trim()
        .split('\n')
        .map((row) => row.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/^:?-+:?$/, '---')));
    expect(cells(readme.slice(start, end))).toEqual(cells(alarmTable()));
    expect(Object.keys(ALARM_DOCS)).toHaveLength(14);
  });
});
