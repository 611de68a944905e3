// The request recording of the local endpoint and scripts/check-requests.py, which .ci/run runs on the
// requests of the end-to-end tests: a request AWS's model refuses, or an operation a template does not
// grant, fails the check.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { ListTasksCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallLog, type CallRecord } from './calls';
import { localClients } from './clients';
import { type LocalAws, startLocalAws } from './index';

const dir = mkdtempSync(join(tmpdir(), 'check-requests-'));

function check(lines: readonly object[], args: string[] = ['--sam', 'template.yaml']) {
  const file = join(dir, `requests-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
  const run = spawnSync('python3', ['scripts/check-requests.py', file, ...args], { encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('recording', () => {
  let aws: LocalAws;
  const file = join(dir, 'recorded.jsonl');
  beforeAll(async () => {
    aws = await startLocalAws({ seed: 'sample' });
  });
  afterAll(() => aws.close());

  it('appends every answered request as one JSON line when given a file', async () => {
    const log = new CallLog(file);
    const record: CallRecord = {
      service: 'ecs',
      operation: 'ListTasks',
      name: 'ecs:ListTasks',
      input: { cluster: 'web' },
      at: 0,
      status: 200,
    };
    log.add(record);
    log.answered(record);
    expect(
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([{ service: 'ecs', operation: 'ListTasks', input: { cluster: 'web' }, status: 200 }]);
  });

  it('records what the SDK sent, as the service reads it, through the endpoint', async () => {
    const recorded = join(dir, 'endpoint.jsonl');
    aws.calls.recordInto(recorded);
    const clients = localClients(aws.endpoint);
    await clients.ecs.send(new ListTasksCommand({ cluster: 'web', maxResults: 100 }));
    await clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-asg'] }),
    );
    const lines = readFileSync(recorded, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { service: 'ecs', operation: 'ListTasks', input: { cluster: 'web', maxResults: 100 }, status: 200 },
      {
        service: 'autoscaling',
        operation: 'DescribeAutoScalingGroups',
        input: { AutoScalingGroupNames: ['web-asg'] },
        status: 200,
      },
    ]);
    expect(check(lines).status).toBe(0);
  });
});

describe('scripts/check-requests.py', () => {
  it('passes requests that fit their models and operations both templates grant', () => {
    const run = check([
      { service: 'ecs', operation: 'ListTasks', input: { cluster: 'web', maxResults: 100 }, status: 200 },
      {
        service: 'autoscaling',
        operation: 'SetInstanceProtection',
        input: {
          AutoScalingGroupName: 'web-asg',
          InstanceIds: ['i-0a1b2c3d4e5f60001'],
          ProtectedFromScaleIn: 'true',
        },
        status: 200,
      },
    ]);
    expect(run.output).toContain('every request fits its model');
    expect(run.status).toBe(0);
  });

  it('reads Query maps as the model names their entries (SNS MessageAttributes: Name, Value)', () => {
    const publish = (value: object) => ({
      service: 'sns',
      operation: 'Publish',
      input: {
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:ecs-autopilot-alerts',
        Message: 'm',
        MessageAttributes: [{ Name: 'cluster', Value: value }],
      },
      status: 200,
    });
    expect(check([publish({ DataType: 'String', StringValue: 'web' })]).status).toBe(0);
    const missing = check([publish({ StringValue: 'web' })]);
    expect(missing.output).toMatch(/MessageAttributes\[cluster\]\.DataType: required member missing/);
    expect(missing.status).toBe(1);
  });

  it('checks a request against the role of the function running as it arrived, not the union of roles', () => {
    // SetInstanceProtection: scale-capacity's grant, not drain-instance's.
    const protect = (...callers: string[]) => ({
      service: 'autoscaling',
      operation: 'SetInstanceProtection',
      input: {
        AutoScalingGroupName: 'web-asg',
        InstanceIds: ['i-0a1b2c3d4e5f60001'],
        ProtectedFromScaleIn: 'true',
      },
      status: 200,
      ...(callers.length > 0 ? { callers } : {}),
    });
    const byScaler = check([protect('scale-capacity')]);
    expect(byScaler.status).toBe(0);
    expect(byScaler.output).toContain('1 request(s) checked against the role of the one function running');
    const byDrainer = check([protect('drain-instance')]);
    expect(byDrainer.output).toMatch(
      /autoscaling:SetInstanceProtection: not allowed by drain-instance's role in template\.yaml/,
    );
    expect(byDrainer.status).toBe(1);
    // Two functions running together (one run from the other's sleep): either role may grant it.
    expect(check([protect('drain-instance', 'scale-capacity')]).status).toBe(0);
    expect(check([protect('drain-instance', 'detect-failed-start')]).output).toMatch(
      /not allowed by detect-failed-start's or drain-instance's role/,
    );
    // Without a sender, any role of the template may grant it (as before).
    expect(check([protect()]).status).toBe(0);
    // A sender the template does not deploy is a violation, not a pass.
    expect(check([protect('resize-everything')]).output).toMatch(/sent by resize-everything, a function/);
  });

  it('reads grants from the per-cluster and per-group policies of each role (Fn::ForEach fragments)', () => {
    // drain-instance's ListContainerInstances and CompleteLifecycleAction live in Fn::ForEach policies.
    const run = check([
      {
        service: 'ecs',
        operation: 'ListContainerInstances',
        input: { cluster: 'web' },
        status: 200,
        callers: ['drain-instance'],
      },
      {
        service: 'autoscaling',
        operation: 'CompleteLifecycleAction',
        input: { AutoScalingGroupName: 'web-asg', LifecycleHookName: 'h', LifecycleActionResult: 'CONTINUE' },
        status: 200,
        callers: ['drain-instance'],
      },
    ]);
    expect(run.output).toContain('every request fits its model');
    expect(run.status).toBe(0);
  });

  it.each([
    [
      'a limit only the API reference gives',
      { service: 'ecs', operation: 'ListTasks', input: { maxResults: 101 } },
      /maxResults: 101 outside 1\.\.100/,
    ],
    [
      'a RunTask clientToken past 64 characters',
      {
        service: 'ecs',
        operation: 'RunTask',
        input: { taskDefinition: 'report:7', clientToken: 'x'.repeat(65) },
      },
      /clientToken: 65 characters/,
    ],
    [
      'a missing required member',
      { service: 'ecs', operation: 'DescribeTasks', input: { cluster: 'web' } },
      /tasks: required member missing/,
    ],
    [
      'a member the model lacks',
      { service: 'ecs', operation: 'ListTasks', input: { clusterName: 'web' } },
      /clusterName: not a member/,
    ],
    [
      'a value outside an enum',
      { service: 'ecs', operation: 'ListTasks', input: { desiredStatus: 'DONE' } },
      /'DONE' is not one of/,
    ],
    [
      'a Query number that is not one',
      {
        service: 'autoscaling',
        operation: 'SetDesiredCapacity',
        input: { AutoScalingGroupName: 'g', DesiredCapacity: 'two' },
      },
      /expected a number/,
    ],
    [
      'a string over its model length',
      {
        service: 'autoscaling',
        operation: 'RecordLifecycleActionHeartbeat',
        input: { AutoScalingGroupName: 'g', LifecycleHookName: 'h', LifecycleActionToken: 'x'.repeat(37) },
      },
      /more than the maximum 36/,
    ],
    [
      'an SNS subject of 100 characters',
      {
        service: 'sns',
        operation: 'Publish',
        input: { TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: 'm', Subject: 's'.repeat(100) },
      },
      /Subject: 100 characters/,
    ],
    [
      'an operation no template grants',
      { service: 'ecs', operation: 'DeleteCluster', input: { cluster: 'web' } },
      /ecs:DeleteCluster: not allowed by template\.yaml/,
    ],
    [
      'an operation the service does not have',
      { service: 'ecs', operation: 'ListEverything', input: {} },
      /not an operation of ecs/,
    ],
  ])('fails on %s', (_label, request, message) => {
    const run = check([{ ...request, status: 200 }]);
    expect(run.output).toMatch(message);
    expect(run.status).toBe(1);
  });
});
