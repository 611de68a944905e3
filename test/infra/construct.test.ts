import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { ScheduleExpression, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_PANELS } from '../../infra/dashboard';
import { EcsAutopilot } from '../../infra/ecs-autopilot';
import type { EcsAutopilotProps } from '../../infra/props';
import { FUNCTION_SPECS } from '../../infra/specs';
import { logicalIdOf, synthExample, templateOf } from './fixture';

/** CDK assertions on the construct: resources, their properties and the IAM it grants. */

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

const { stack, autopilot } = synthExample();
const { template, json } = templateOf(stack);
const resources = json.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

function roleStatements(): { policy: string; statement: Statement }[] {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy')
    .flatMap(([policy, resource]) =>
      (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement.map((statement) => ({
        policy,
        statement,
      })),
    );
}

/** Actions AWS authorizes only on `*` (or on `*` narrowed by a condition key), and why. */
const STAR_RESOURCE_ALLOWED: Record<string, string> = {
  'autoscaling:DescribeAutoScalingGroups': 'Describe* supports no resource-level permissions',
  'autoscaling:DescribeAutoScalingInstances': 'Describe* supports no resource-level permissions',
  'autoscaling:DescribeLifecycleHooks': 'Describe* supports no resource-level permissions',
  'autoscaling:DescribeInstanceRefreshes': 'Describe* supports no resource-level permissions',
  'autoscaling:DescribeScalingActivities': 'Describe* supports no resource-level permissions',
  'autoscaling:DescribeWarmPool': 'Describe* supports no resource-level permissions',
  'ecs:DescribeTaskDefinition': 'no resource-level permissions',
  'ecs:ListTasks': 'narrowed by ecs:cluster',
  'ecs:ListServices': 'narrowed by ecs:cluster',
};

const NEEDS_CLUSTER_CONDITION = ['ecs:ListTasks', 'ecs:ListServices'];

function synth(props: Partial<EcsAutopilotProps>, base: EcsAutopilotProps = sampleProps()) {
  const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const construct = new EcsAutopilot(stack, 'Autopilot', { ...base, ...props });
  return { construct, template: Template.fromStack(stack) };
}

function sampleProps(): EcsAutopilotProps {
  return {
    clusters: ['web'],
    autoScalingGroups: [{ autoScalingGroupName: 'web-asg', cluster: 'web' }],
    capacityProviders: [{ name: 'web-asg-cp', cluster: 'web', autoScalingGroupName: 'web-asg' }],
  };
}

describe('functions', () => {
  const functions = Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');

  it('one per function of the project, Node 22 on arm64, source maps on, sized and timed explicitly', () => {
    expect(functions).toHaveLength(FUNCTION_SPECS.length);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
      expect(fn.Properties.MemorySize).toBeGreaterThanOrEqual(256);
      expect(fn.Properties.Timeout).toBeGreaterThan(3);
    }
  });

  it('scale-capacity runs one pass at a time (reserved concurrency 1); the others are not limited', () => {
    const concurrency = Object.fromEntries(
      Object.entries(autopilot.functions).map(([name, fn]) => [
        name,
        resources[logicalIdOf(fn)].Properties.ReservedConcurrentExecutions,
      ]),
    );
    expect(concurrency).toEqual({
      'drain-instance': undefined,
      'run-scheduled-task': undefined,
      'detect-failed-start': undefined,
      'scale-capacity': 1,
    });
  });

  it('log to their own log group with a retention', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', FUNCTION_SPECS.length);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    for (const fn of functions) {
      expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: expect.stringMatching(/Logs/) } });
    }
  });

  it('send failed asynchronous invocations to their own queue, which an alarm watches', () => {
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', FUNCTION_SPECS.length);
    template.allResourcesProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('Failures'), 'Arn'] } },
      },
    });
    for (const name of FUNCTION_SPECS.map((spec) => spec.name)) {
      const queue = autopilot.failedInvocations[name];
      expect(queue).toBeDefined();
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [logicalIdOf(queue), 'QueueName'] },
          },
        ],
        AlarmActions: [{ Ref: Match.stringLikeRegexp('Alerts') }],
      });
    }
  });

  it('alarm on errors of every function', () => {
    for (const fn of Object.values(autopilot.functions)) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(fn) } }],
        Threshold: 1,
      });
    }
  });

  it('every EventBridge target has a dead-letter queue and a retry policy', () => {
    for (const rule of Object.values(resources).filter((resource) => resource.Type === 'AWS::Events::Rule')) {
      for (const target of rule.Properties.Targets as Record<string, unknown>[]) {
        expect(target.DeadLetterConfig).toEqual({
          Arn: { 'Fn::GetAtt': [expect.stringMatching(/UndeliveredEvents/), 'Arn'] },
        });
        expect(target.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 185 });
      }
    }
  });
});

describe('state table, alert topic, queues', () => {
  it('state table: pk/sk, TTL on ttl, point-in-time recovery, encrypted, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('alert topic: encrypted with a rotating key that CloudWatch alarms may use; TLS only', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
  });

  it('queues: encrypted, TLS only, 14 days', () => {
    template.allResourcesProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    const queues = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::SQS::Queue');
    for (const queue of queues) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });
});

describe('lifecycle hooks and schedules', () => {
  it('a terminate hook on each group: heartbeat, CONTINUE by default, metadata naming the cluster', () => {
    template.resourcePropertiesCountIs('AWS::AutoScaling::LifecycleHook', {}, 1);
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
      AutoScalingGroupName: 'web-asg',
      LifecycleHookName: 'ecs-autopilot-drain',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      HeartbeatTimeout: 5400,
      DefaultResult: 'CONTINUE',
      NotificationMetadata: '{"cluster":"web"}',
    });
  });

  it('no hook when the group has one already; custom name and heartbeat otherwise', () => {
    const { template: custom } = synth({
      autoScalingGroups: [
        { autoScalingGroupName: 'a', cluster: 'web', lifecycleHook: { create: false, name: 'theirs' } },
        {
          autoScalingGroupName: 'b',
          cluster: 'web',
          lifecycleHook: { name: 'drain', heartbeatTimeout: Duration.minutes(10) },
        },
      ],
      capacityProviders: [{ name: 'cp', cluster: 'web', autoScalingGroupName: 'b' }],
    });
    custom.resourceCountIs('AWS::AutoScaling::LifecycleHook', 1);
    custom.hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
      AutoScalingGroupName: 'b',
      LifecycleHookName: 'drain',
      HeartbeatTimeout: 600,
    });
    const env = Object.values(custom.findResources('AWS::Lambda::Function')).find((fn) =>
      fn.Properties.Description?.startsWith('Drains'),
    )?.Properties.Environment.Variables;
    expect(env).toMatchObject({ AUTO_SCALING_GROUPS: 'a,b', LIFECYCLE_HOOK_NAMES: 'theirs,drain' });
  });

  it('an EventBridge Scheduler schedule per job: cron, time zone, flexible window, the job as input', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 5 },
      Target: {
        Arn: {
          'Fn::GetAtt': [logicalIdOf(autopilot.functions['run-scheduled-task']), 'Arn'],
        },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('UndeliveredEvents'), 'Arn'] } },
        Input: Match.serializedJson({
          job: Match.objectLike({ name: 'nightly-report', taskDefinition: 'report:7' }),
          scheduledTime: '<aws.scheduler.scheduled-time>',
          executionId: '<aws.scheduler.execution-id>',
          attemptNumber: '<aws.scheduler.attempt-number>',
        }),
      },
    });
  });

  it('the scheduler role may invoke run-scheduled-task only (no versions) and park undelivered jobs', () => {
    const role = Object.entries(resources).find(
      ([id]) => id.includes('JobsSchedulerRole') && !id.includes('Policy'),
    );
    const statements = roleStatements().filter(({ policy }) => policy.includes('JobsSchedulerRole'));
    expect(role).toBeDefined();
    expect(statements.map(({ statement }) => statement.Action).sort()).toEqual([
      'lambda:InvokeFunction',
      'sqs:SendMessage',
    ]);
  });
});

describe('IAM', () => {
  const statements = roleStatements();

  it('no wildcard action anywhere', () => {
    for (const { policy, statement } of statements) {
      for (const action of list(statement.Action)) expect(action, policy).not.toContain('*');
    }
  });

  it('`*` resources only for the actions AWS authorizes on `*`, and listed ones need their condition', () => {
    for (const { policy, statement } of statements) {
      if (!list(statement.Resource).includes('*')) continue;
      for (const action of list(statement.Action)) {
        expect(STAR_RESOURCE_ALLOWED[action], `${action} on * in ${policy}`).toBeDefined();
        if (NEEDS_CLUSTER_CONDITION.includes(action)) {
          expect(
            statement.Condition?.ArnEquals?.['ecs:cluster'],
            `${action} needs ecs:cluster`,
          ).toBeDefined();
        }
      }
    }
  });

  it('every ECS statement names the cluster (ARN or ecs:cluster), unless it is listed above', () => {
    for (const { policy, statement } of statements) {
      for (const action of list(statement.Action).filter((a) => a.startsWith('ecs:'))) {
        const text = JSON.stringify([statement.Resource, statement.Condition ?? {}]);
        if (action === 'ecs:DescribeTaskDefinition' || action === 'ecs:DescribeCapacityProviders') continue;
        expect(text, `${action} in ${policy}`).toMatch(/(cluster|container-instance|task|service)\/web/);
      }
    }
  });

  it('Auto Scaling writes only on the configured groups', () => {
    for (const { statement } of statements) {
      const writes = list(statement.Action).filter(
        (a) => a.startsWith('autoscaling:') && !a.startsWith('autoscaling:Describe'),
      );
      if (writes.length === 0) continue;
      expect(JSON.stringify(statement.Resource)).toMatch(/autoScalingGroup:\*:autoScalingGroupName\/web-asg/);
    }
  });

  it('each function reads and writes only its own state table items (dynamodb:LeadingKeys)', () => {
    const dynamo = statements.filter(({ statement }) =>
      list(statement.Action).some((a) => a.startsWith('dynamodb:')),
    );
    // One per function, plus the read-only looks at the job registry (detect-failed-start's: a job's
    // failed run; scale-capacity's: a scheduled job's next run), drain-instance's requests for room
    // (capacity#<cluster>) and the put-only decision records of drain-instance and scale-capacity.
    expect(dynamo.length).toBe(FUNCTION_SPECS.length + 5);
    const registryRead = dynamo.filter(({ statement }) =>
      JSON.stringify(statement.Condition).includes('job#*'),
    );
    expect(registryRead.map(({ statement }) => list(statement.Action))).toContainEqual(['dynamodb:GetItem']);
    expect(registryRead.map(({ statement }) => list(statement.Action))).toContainEqual(['dynamodb:Query']);
    for (const { statement } of dynamo) {
      expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/StateTable/), 'Arn'] });
      expect(statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).toBeDefined();
      expect(list(statement.Action)).not.toContain('dynamodb:Scan');
    }
  });

  it("RunTask only on the jobs' task definition families, in the clusters; tags on creation only", () => {
    const runTask = statements.find(({ statement }) =>
      list(statement.Action).includes('ecs:RunTask'),
    )?.statement;
    expect(JSON.stringify(runTask?.Resource)).toContain(':task-definition/report:*');
    expect(runTask?.Condition?.ArnEquals?.['ecs:cluster']).toBeDefined();
    const tag = statements.find(({ statement }) =>
      list(statement.Action).includes('ecs:TagResource'),
    )?.statement;
    expect(tag?.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RunTask' } });
  });

  it('roles carry no AWS managed policy', () => {
    template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });
});

describe('dashboard', () => {
  const sources = (dir: string): string[] =>
    readdirSync(dir).flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return sources(path);
      return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [readFileSync(path, 'utf8')] : [];
    });
  const code = [...sources('functions'), ...sources('shared')].join('\n');

  it.each(FUNCTION_SPECS.map((spec) => spec.name))(
    '%s: every metric on its panel is emitted by the code',
    (name) => {
      const panel = DASHBOARD_PANELS[name];
      for (const { metric } of [...panel.left, ...(panel.right ?? [])]) {
        expect(code, `${metric} is never emitted`).toContain(`'${metric}'`);
      }
    },
  );

  it("shows each deployed function's panel", () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardBody: Match.anyValue(),
    });
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const spec of FUNCTION_SPECS) expect(body).toContain(DASHBOARD_PANELS[spec.name].title);
  });
});

describe('props', () => {
  it('dry run for all, or per function', () => {
    const { construct } = synth({ dryRun: true, detectFailedStart: { dryRun: false } });
    const env = (name: 'drain-instance' | 'detect-failed-start') =>
      Stack.of(construct).resolve(
        (construct.functions[name]?.node.defaultChild as CfnFunction | undefined)?.environment,
      );
    expect(JSON.stringify(env('drain-instance'))).toContain('"DRY_RUN":"true"');
    expect(JSON.stringify(env('detect-failed-start'))).toContain('"DRY_RUN":"false"');
  });

  it('a function switched off is absent, with its rules, queue and permissions', () => {
    const { construct, template: off } = synth({ detectFailedStart: { enabled: false } });
    expect(construct.functions['detect-failed-start']).toBeUndefined();
    off.resourceCountIs('AWS::Lambda::Function', FUNCTION_SPECS.length - 1);
    expect(JSON.stringify(off.toJSON())).not.toContain('failure#*');
  });

  it('several clusters: every ECS grant covers each', () => {
    const { template: two } = synth({ clusters: ['web', 'batch'] });
    const text = JSON.stringify(two.findResources('AWS::IAM::Policy'));
    expect(text).toContain('task/batch/*');
    expect(text).toContain('task/web/*');
  });

  it('an existing topic: no topic or key created; functions publish to it', () => {
    const app = new App({
      builtinCloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new Stack(app, 'Existing');
    const topic = sns.Topic.fromTopicArn(
      stack,
      'Topic',
      'arn:aws:sns:us-east-1:123456789012:ecs-autopilot-alerts',
    );
    new EcsAutopilot(stack, 'Autopilot', { ...sampleProps(), alerts: { topic } });
    const existing = Template.fromStack(stack);
    existing.resourceCountIs('AWS::SNS::Topic', 0);
    existing.resourceCountIs('AWS::KMS::Key', 0);
    expect(JSON.stringify(existing.findResources('AWS::IAM::Policy'))).toContain('ecs-autopilot-alerts');
  });

  it('email subscribers get a dead-letter queue', () => {
    const { template: mail } = synth({ alerts: { emails: ['oncall@example.com'] } });
    mail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('UndeliveredAlerts'), 'Arn'] },
      },
    });
  });

  it('refuses inconsistent settings with a message naming them', () => {
    expect(() => synth({ clusters: [] })).toThrow(/clusters/);
    expect(() => synth({ capacityProviders: [] })).toThrow(/scaleCapacity: \{ enabled: false \}/);
    expect(() =>
      synth({ capacityProviders: [{ name: 'cp', cluster: 'web', autoScalingGroupName: 'other' }] }),
    ).toThrow(/group other, which is not in autoScalingGroups/);
    expect(() => synth({ defaultCluster: 'other' })).toThrow(/defaultCluster other/);
    expect(() => synth({ autoScalingGroups: [] })).toThrow(/drainInstance: \{ enabled: false \}/);
    expect(() => synth({ autoScalingGroups: [{ autoScalingGroupName: 'g', cluster: 'other' }] })).toThrow(
      /cluster other/,
    );
    expect(() =>
      synth({
        autoScalingGroups: [
          {
            autoScalingGroupName: 'g',
            cluster: 'web',
            lifecycleHook: { heartbeatTimeout: Duration.hours(3) },
          },
        ],
      }),
    ).toThrow(/30-7200/);
  });

  it('refuses an invalid job at synth, saying what to fix', () => {
    // Jobs often come from JSON files: typos and out-of-range values reach the construct untyped.
    const job = (overrides: object) => ({
      jobs: [
        {
          job: Object.assign({ name: 'nightly-report', taskDefinition: 'report:7' }, overrides),
          schedule: ScheduleExpression.rate(Duration.hours(1)),
          timeWindow: TimeWindow.off(),
        },
      ],
    });
    expect(() => synth(job({ count: 11 }))).toThrow(/nightly-report is invalid: count/);
    expect(() => synth(job({ concurencyPolicy: 'Allow' }))).toThrow(/concurencyPolicy/);
    expect(() => synth(job({ cluster: 'batch' }))).toThrow(/cluster batch, not in clusters/);
  });
});
