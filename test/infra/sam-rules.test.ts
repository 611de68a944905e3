import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ScheduleExpression, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { describe, expect, it } from 'vitest';
import { sampleJob } from '../../infra/app';
import { EcsAutopilot } from '../../infra/ecs-autopilot';
import type { EcsAutopilotProps } from '../../infra/props';
import { loadCfnYaml } from './cfn-yaml';

/**
 * template.yaml's Rules refuse, before anything is created, a scaled group that is not drained (as the
 * construct does at synth); the jobs it ships pass the construct's checks, window against deadline included.
 */

type Json = unknown;
const template = loadCfnYaml('template.yaml');
const rules = (
  template as { Rules?: Record<string, { RuleCondition?: Json; Assertions: { Assert: Json }[] }> }
).Rules;
const parameters = template.Parameters ?? {};

/** Evaluates a rule expression (the rule-specific functions this template uses) with parameter values. */
function evaluate(expression: Json, values: Record<string, string | string[]>): Json {
  if (Array.isArray(expression)) return expression.map((item) => evaluate(item, values));
  if (typeof expression !== 'object' || expression === null) return expression;
  const [[key, argument]] = Object.entries(expression);
  const args = () => evaluate(argument, values) as Json[];
  switch (key) {
    case 'Ref':
      return values[String(argument)];
    case 'Fn::Equals': {
      const [a, b] = args();
      return String(a) === String(b);
    }
    case 'Fn::Not':
      return !args()[0];
    case 'Fn::Contains': {
      const [list, value] = args() as [string[], string];
      return list.includes(String(value));
    }
    case 'Fn::EachMemberIn': {
      const [members, allowed] = args() as [string[], string[]];
      return members.every((member) => allowed.includes(member));
    }
    default:
      throw new Error(`Rule function ${key} is not evaluated by this test`);
  }
}

/** Parameter values as CloudFormation hands them to Rules: defaults, lists split, numbers as text. */
function valuesWith(overrides: Record<string, string>): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = {};
  for (const [name, definition] of Object.entries(parameters)) {
    const raw = overrides[name] ?? String(definition.Default ?? '');
    values[name] = definition.Type === 'CommaDelimitedList' ? raw.split(',').filter(Boolean) : raw;
  }
  return values;
}

function failedRules(overrides: Record<string, string>): string[] {
  const values = valuesWith(overrides);
  return Object.entries(rules ?? {})
    .filter(([, rule]) => rule.RuleCondition === undefined || evaluate(rule.RuleCondition, values) === true)
    .filter(([, rule]) => rule.Assertions.some((assertion) => evaluate(assertion.Assert, values) !== true))
    .map(([name]) => name);
}

describe('template.yaml Rules', () => {
  it('pass with the defaults', () => {
    expect(failedRules({})).toEqual([]);
  });

  it('refuse a scaled group that drain-instance does not drain', () => {
    expect(failedRules({ CapacityProviderGroupNames: 'web-asg,batch-asg' })).toEqual([
      'ScaledGroupsAreDrained',
    ]);
    expect(
      failedRules({
        CapacityProviderGroupNames: 'web-asg,batch-asg',
        AutoScalingGroupNames: 'web-asg,batch-asg',
      }),
    ).toEqual([]);
  });
});

describe('template.yaml Jobs mapping', () => {
  const jobs = Object.entries(template.Mappings?.Jobs ?? {}) as [string, Record<string, string | number>][];

  it('ships at least one example entry', () => {
    expect(jobs.length).toBeGreaterThan(0);
  });

  // CloudFormation cannot read inside the Definition JSON, so the entries shipped are checked here, as
  // the construct checks its jobs at synth (schema, window against the starting deadline).
  it.each(jobs.map(([key]) => key))('%s passes the construct’s job checks', (key) => {
    const entry = Object.fromEntries(jobs)[key];
    expect(
      () =>
        new EcsAutopilot(
          new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test'),
          'Autopilot',
          {
            clusters: ['web'],
            autoScalingGroups: [{ autoScalingGroupName: 'web-asg', cluster: 'web' }],
            capacityProviders: [{ name: 'web-asg-cp', cluster: 'web', autoScalingGroupName: 'web-asg' }],
            jobs: [
              {
                job: JSON.parse(String(entry.Definition)),
                schedule: ScheduleExpression.expression(String(entry.Schedule), {
                  timezoneName: String(entry.TimeZone),
                } as TimeZone),
                timeWindow: TimeWindow.flexible(Duration.minutes(Number(entry.FlexibleWindowMinutes))),
              },
            ],
          },
        ),
    ).not.toThrow();
  });
});

describe('the construct', () => {
  const base = (): EcsAutopilotProps => ({
    clusters: ['web'],
    autoScalingGroups: [{ autoScalingGroupName: 'web-asg', cluster: 'web' }],
    capacityProviders: [{ name: 'web-asg-cp', cluster: 'web', autoScalingGroupName: 'web-asg' }],
  });
  const synth = (props: EcsAutopilotProps) =>
    new EcsAutopilot(
      new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test'),
      'Autopilot',
      props,
    );
  const job = (minutes: number, startingDeadlineSeconds?: number) => ({
    job: { ...sampleJob('web'), startingDeadlineSeconds },
    schedule: ScheduleExpression.expression('cron(0 2 * * ? *)'),
    timeWindow: TimeWindow.flexible(Duration.minutes(minutes)),
  });

  it('refuses a flexible window its job’s starting deadline does not outlast', () => {
    expect(() => synth({ ...base(), jobs: [job(15, 900)] })).toThrow(
      /15-minute flexible window.*at least 1200/,
    );
    expect(() => synth({ ...base(), jobs: [job(15, 1200)] })).not.toThrow();
    // Without its own deadline a job takes the default (900 s), or runScheduledTask's.
    expect(() => synth({ ...base(), jobs: [job(15)] })).toThrow(/starting deadline of 900 s/);
    expect(() =>
      synth({
        ...base(),
        jobs: [job(15)],
        runScheduledTask: { defaultStartingDeadline: Duration.minutes(30) },
      }),
    ).not.toThrow();
  });

  it('passes each job its schedule, time zone and flexible window (the function judges time from them)', () => {
    const autopilot = synth({
      ...base(),
      jobs: [
        {
          job: { ...sampleJob('web'), startingDeadlineSeconds: 1200 },
          schedule: ScheduleExpression.expression('cron(30 2 * * ? *)', TimeZone.AMERICA_NEW_YORK),
          timeWindow: TimeWindow.flexible(Duration.minutes(15)),
        },
      ],
    });
    const schedules = Template.fromStack(Stack.of(autopilot)).findResources('AWS::Scheduler::Schedule');
    const [input] = Object.values(schedules).map(
      (resource) => JSON.parse(resource.Properties.Target.Input) as { job: Record<string, unknown> },
    );
    expect(input.job).toMatchObject({
      name: 'nightly-report',
      schedule: 'cron(30 2 * * ? *)',
      timeZone: 'America/New_York',
      flexibleTimeWindowMinutes: 15,
    });
  });

  it('refuses a job whose own schedule fields disagree with its schedule', () => {
    expect(() =>
      synth({ ...base(), jobs: [{ ...job(5), job: { ...job(5).job, schedule: 'rate(1 hour)' } }] }),
    ).toThrow(/schedule "rate\(1 hour\)" but its schedule says "cron\(0 2 \* \* \? \*\)"/);
    expect(() =>
      synth({ ...base(), jobs: [{ ...job(5), job: { ...job(5).job, schedule: 'cron(0 2 * * ? *)' } }] }),
    ).not.toThrow();
  });

  it('refuses a group wait outside 0-300 s (detect-failed-start refuses it at start)', () => {
    expect(() => synth({ ...base(), detectFailedStart: { groupWait: Duration.seconds(301) } })).toThrow(
      /groupWait must be 0-300 s/,
    );
    expect(() => synth({ ...base(), detectFailedStart: { groupWait: Duration.seconds(0) } })).not.toThrow();
  });

  it('refuses a scaled group that is not drained', () => {
    expect(() =>
      synth({
        ...base(),
        capacityProviders: [{ name: 'batch-cp', cluster: 'web', autoScalingGroupName: 'batch-asg' }],
      }),
    ).toThrow(/not in autoScalingGroups/);
  });
});
