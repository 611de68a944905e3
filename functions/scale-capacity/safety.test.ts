// What a scale-capacity pass removes, and from which base it raises (#23, #15): a partial view is
// never a fact, every removal counts against MAX_SCALE_IN and honours scale-in protection, an unknown
// launch time is never a reason to terminate, and the desired capacity is raised from reality.
import {
  type Activity,
  type InstanceRefresh,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  type Task,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  apiService,
  asgMock,
  ciArn,
  ddbMock,
  ecsMock,
  logRouter,
  mockWorld,
  NOW,
  runPass,
  taskArn,
  tdArn,
  tools,
  type World,
  type WorldInstance,
  ZONES,
} from '../../test/support/capacity/mock-world';

afterEach(() => {
  vi.restoreAllMocks();
});

const full = (id: string, zone: string, protectedFromScaleIn = true): WorldInstance => ({
  id,
  zone,
  cpuFree: 0,
  memFree: 0,
  running: 4,
  protected: protectedFromScaleIn,
});
const threeFull = [
  full('i-01', ZONES[0] as string),
  full('i-02', ZONES[1] as string),
  full('i-03', ZONES[2] as string),
];
/** In the group, InService, never registered with the cluster. */
const unregistered = (id: string, protectedFromScaleIn = false): WorldInstance => ({
  id,
  zone: 'us-east-1a',
  cpuFree: 0,
  memFree: 0,
  running: 0,
  registered: false,
  protected: protectedFromScaleIn,
});
const launched = (id: string, secondsAgo: number): Activity => ({
  ActivityId: `a-${id}`,
  AutoScalingGroupName: 'web-asg',
  Cause:
    'At 2025-01-15T02:40:00Z a user request explicitly set group desired capacity changing the desired capacity from 3 to 6.',
  Description: `Launching a new EC2 instance: ${id}`,
  StartTime: new Date(NOW - secondsAgo * 1000),
  StatusCode: 'Successful',
  Progress: 100,
});

/** Metrics the pass emitted: name, value and Reason dimension. */
function captureMetrics() {
  const added: { name: string; value: number; reason?: string }[] = [];
  const single = tools.metrics.singleMetric.bind(tools.metrics);
  vi.spyOn(tools.metrics, 'singleMetric').mockImplementation(() => {
    const metrics = single();
    const add = metrics.addMetric.bind(metrics);
    const dimension = metrics.addDimension.bind(metrics);
    let reason: string | undefined;
    vi.spyOn(metrics, 'addDimension').mockImplementation((name, value) => {
      if (name === 'Reason') reason = value;
      return dimension(name, value);
    });
    vi.spyOn(metrics, 'addMetric').mockImplementation((name, unit, value) => {
      added.push({ name, value, ...(reason ? { reason } : {}) });
      return add(name, unit, value);
    });
    return metrics;
  });
  return added;
}

const terminated = () =>
  asgMock
    .commandCalls(TerminateInstanceInAutoScalingGroupCommand)
    .map((call) => call.args[0].input.InstanceId as string);

describe('never-registered instances are removals like any other', () => {
  const stuck = ['i-0a1b2c3d4e5f60011', 'i-0a1b2c3d4e5f60012', 'i-0a1b2c3d4e5f60013'];
  const world = (protectedIds: string[] = []) =>
    mockWorld({
      instances: [...threeFull, ...stuck.map((id) => unregistered(id, protectedIds.includes(id)))],
      services: [apiService(12, 12), logRouter],
      activities: stuck.map((id) => launched(id, 20 * 60)),
    });

  it('count against MAX_SCALE_IN: one per pass with MAX_SCALE_IN=1', async () => {
    world();
    const summary = await runPass(undefined, { MAX_SCALE_IN: '1' });
    // The planner already plans one removal under the limit (shared/capacity/limits.ts); the guard
    // holds whatever would still exceed it, so either way one goes per pass.
    expect(terminated()).toHaveLength(1);
    expect(summary.providers[0]?.held ?? []).toEqual([]);
  });

  it('honour scale-in protection: a protected one is not terminated, its protection is released', async () => {
    world(['i-0a1b2c3d4e5f60012']);
    await runPass(undefined, { MAX_SCALE_IN: '100%' });
    expect(terminated().sort()).toEqual(['i-0a1b2c3d4e5f60011', 'i-0a1b2c3d4e5f60013']);
    expect(asgMock).toHaveReceivedCommandWith(SetInstanceProtectionCommand, {
      InstanceIds: ['i-0a1b2c3d4e5f60012'],
      ProtectedFromScaleIn: false,
    });
  });
});

describe('a partial view is never a fact', () => {
  it('an instance DescribeContainerInstances answers MISSING is not taken for never registered', async () => {
    mockWorld({ instances: threeFull, services: [apiService(12, 12), logRouter], activities: [] });
    // i-02 registered long ago, busy, protected: ECS answers MISSING for it this time.
    ecsMock.on(DescribeContainerInstancesCommand).callsFake((input: { containerInstances: string[] }) => ({
      containerInstances: [],
      failures: input.containerInstances.map((arn) => ({ arn, reason: 'MISSING' })),
    }));
    const warn = vi.spyOn(tools.logger, 'warn');
    const metrics = captureMetrics();
    // Twenty minutes of passes: still no removal, though none of the three looks registered.
    for (let minute = 0; minute <= 20; minute++) {
      const summary = await runPass(undefined, {}, { now: NOW + minute * 60_000 });
      expect(summary.providers[0]?.partial?.[0]).toMatch(
        /^ecs:DescribeContainerInstances answered 3 of 3 container instance\(s\) with failures \(MISSING: arn:aws:ecs:us-east-1:123456789012:container-instance\/web\/i-01/,
      );
    }
    expect(terminated()).toEqual([]);
    expect(warn).toHaveBeenCalledWith('Partial view', expect.objectContaining({ group: 'web-asg' }));
    expect(metrics).toContainEqual({ name: 'PartialView', value: 1 });
    expect(asgMock).not.toHaveReceivedCommandWith(SetInstanceProtectionCommand, {
      ProtectedFromScaleIn: false,
    });
  });

  it('a partial pass still adds capacity', async () => {
    mockWorld({ instances: threeFull, services: [apiService(15, 12), logRouter] });
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [apiService(15, 12), logRouter],
      failures: [{ arn: 'arn:aws:ecs:us-east-1:123456789012:service/web/batch', reason: 'MISSING' }],
    });
    const summary = await runPass();
    expect(summary.providers[0]?.partial).toEqual([
      'ecs:DescribeServices answered 1 of 3 service(s) with failures (MISSING: arn:aws:ecs:us-east-1:123456789012:service/web/batch)',
    ]);
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 4 });
  });
});

describe('an unknown launch time is never a reason to terminate (#15)', () => {
  const world = (seenSince?: string) => {
    mockWorld({
      instances: [...threeFull, unregistered('i-21')],
      services: [apiService(12, 12), logRouter],
      activities: [], // Auto Scaling gave no launch activity for i-21
    });
    if (seenSince) {
      ddbMock
        .on(QueryCommand, {
          ExpressionAttributeValues: { ':pk': 'capacity#web#seen', ':prefix': 'web-asg-cp#' },
        })
        .resolves({
          Items: [
            { pk: 'capacity#web#seen', sk: 'web-asg-cp#i-21', since: seenSince, ttl: NOW / 1000 + 3600 },
          ],
        });
    }
  };

  it('first seen now: counted from now, not removed, remembered', async () => {
    world();
    const info = vi.spyOn(tools.logger, 'info');
    await runPass();
    expect(terminated()).toEqual([]);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        pk: 'capacity#web#seen',
        sk: 'web-asg-cp#i-21',
        since: new Date(NOW).toISOString(),
      }),
    });
    expect(info).toHaveBeenCalledWith(
      'Observation note',
      expect.objectContaining({
        note: expect.stringMatching(
          /^i-21: not registered and no launch activity from Auto Scaling, launch time unknown/,
        ),
      }),
    );
  });

  it('seen 5 minutes ago (boot timeout 10): still waits', async () => {
    world(new Date(NOW - 5 * 60_000).toISOString());
    await runPass();
    expect(terminated()).toEqual([]);
  });

  it('seen unregistered for longer than the boot timeout: removed as never registered', async () => {
    world(new Date(NOW - 11 * 60_000).toISOString());
    const summary = await runPass();
    expect(terminated()).toEqual(['i-21']);
    expect(summary.providers[0]?.reasons?.join('\n')).toMatch(/remove i-21 \(never-registered\)/);
  });
});

describe('the desired capacity is raised from reality (#23)', () => {
  it('three protected instances, desired 2: one more instance sets 4, not 3', async () => {
    mockWorld({
      instances: threeFull,
      services: [apiService(12 + 3, 12), logRouter],
      group: { DesiredCapacity: 2 },
    });
    const metrics = captureMetrics();
    const summary = await runPass();
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 4 });
    expect(summary.providers[0]).toMatchObject({ desiredCapacity: 4, scaleOut: 1 });
    expect(summary.providers[0]?.reasons?.join('\n')).toMatch(
      /runs 3 instance\(s\) InService or Pending, above its desired capacity of 2: the scale-out starts from 3/,
    );
    expect(metrics).toContainEqual({ name: 'ScaleOutRequested', value: 1, reason: 'pending-tasks' });
    expect(metrics).toContainEqual({ name: 'ScaleOut', value: 1, reason: 'pending-tasks' });
  });

  it('ScaleOut reports what happened: 0 when the raise failed, beside ScaleOutRequested', async () => {
    mockWorld({ instances: threeFull, services: [apiService(12 + 3, 12), logRouter] });
    asgMock
      .on(SetDesiredCapacityCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const metrics = captureMetrics();
    await runPass().catch(() => undefined);
    expect(metrics).toContainEqual({ name: 'ScaleOutRequested', value: 1 });
    expect(metrics).toContainEqual({ name: 'ScaleOut', value: 0 });
  });

  it('ScaleIn carries its reason', async () => {
    mockWorld({
      instances: [...threeFull, unregistered('i-0a1b2c3d4e5f60011')],
      services: [apiService(12, 12), logRouter],
      activities: [launched('i-0a1b2c3d4e5f60011', 20 * 60)],
    });
    const metrics = captureMetrics();
    await runPass(undefined, { MAX_SCALE_IN: '100%' });
    expect(metrics).toContainEqual({ name: 'ScaleIn', value: 1, reason: 'never-registered' });
    expect(metrics).toContainEqual({ name: 'ScaleIn', value: 1 });
  });
});

describe('an idle instance is set DRAINING and confirmed empty just before its removal (#15)', () => {
  const daemonTask = (instance: string): Task => ({
    taskArn: taskArn(`lr-${instance}`),
    containerInstanceArn: ciArn(instance),
    group: 'service:log-router',
    taskDefinitionArn: tdArn('log-router:2'),
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
  });
  const job: Task = {
    taskArn: taskArn('report-1'),
    containerInstanceArn: ciArn('i-02'),
    group: 'family:report',
    taskDefinitionArn: tdArn('report:7'),
    lastStatus: 'PENDING',
    desiredStatus: 'RUNNING',
  };
  const idleInstance = (id: string, zone: string): WorldInstance => ({
    id,
    zone,
    cpuFree: 1920,
    memFree: 7424,
    running: 1,
    tasks: [daemonTask(id)],
  });
  /** i-01 busy; i-02 idle for 30 minutes. */
  const world = () =>
    mockWorld({
      instances: [full('i-01', 'us-east-1a'), idleInstance('i-02', 'us-east-1b')],
      services: [apiService(4, 4), logRouter],
      idleSince: { 'i-02': '2025-01-15T02:35:00Z' },
    });
  /** Answers the n-th ListTasks of i-02 (1: observe's confirmation, 2: the re-check) with `tasks`. */
  function onInstance(answers: Record<number, Task[]>) {
    let calls = 0;
    ecsMock.on(ListTasksCommand, { containerInstance: ciArn('i-02') }).callsFake(() => {
      calls++;
      return { taskArns: (answers[calls] ?? [daemonTask('i-02')]).map((task) => task.taskArn as string) };
    });
    // As ECS does, an ARN it cannot describe comes back in failures[] (MISSING).
    const known = [daemonTask('i-02'), job];
    ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: known.filter((task) => input.tasks.includes(task.taskArn as string)),
      failures: input.tasks
        .filter((arn) => !known.some((task) => task.taskArn === arn))
        .map((arn) => ({ arn, reason: 'MISSING' })),
    }));
  }
  it('DRAINING, tasks listed again, then terminated; the removal is remembered before DRAINING', async () => {
    world();
    const sequence: string[] = [];
    ddbMock.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => {
      if (input.Item.removingAt) sequence.push('remember');
      return {};
    });
    ecsMock.on(UpdateContainerInstancesStateCommand).callsFake((input: { status: string }) => {
      sequence.push(input.status);
      return { containerInstances: [], failures: [] };
    });
    let lists = 0;
    ecsMock.on(ListTasksCommand, { containerInstance: ciArn('i-02') }).callsFake(() => {
      sequence.push(`list ${++lists}`);
      return { taskArns: [daemonTask('i-02').taskArn as string] };
    });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [daemonTask('i-02')] });
    asgMock.on(TerminateInstanceInAutoScalingGroupCommand).callsFake(() => {
      sequence.push('terminate');
      return {};
    });
    const summary = await runPass();
    expect(summary.providers[0]?.removed).toEqual(['i-02']);
    expect(sequence).toEqual(['list 1', 'remember', 'DRAINING', 'list 2', 'terminate']);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        pk: 'capacity#web#idle',
        sk: 'web-asg-cp#i-02',
        since: '2025-01-15T02:35:00Z',
      }),
    });
  });

  it('a task placed on it since it was seen idle: not terminated, set ACTIVE again, idle marker cleared', async () => {
    world();
    onInstance({ 2: [daemonTask('i-02'), job] });
    const summary = await runPass();
    expect(terminated()).toEqual([]);
    expect(summary.providers[0]?.removed).toEqual([]);
    const statuses = ecsMock
      .commandCalls(UpdateContainerInstancesStateCommand)
      .map((call) => call.args[0].input.status);
    expect(statuses).toEqual(['DRAINING', 'ACTIVE']);
    expect(ddbMock).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: 'capacity#web#idle', sk: 'web-asg-cp#i-02' },
    });
  });

  it('a task ECS lists but does not describe holds it too', async () => {
    world();
    onInstance({ 2: [daemonTask('i-02'), { ...job, taskArn: taskArn('gone') }] });
    await runPass();
    expect(terminated()).toEqual([]);
  });

  it('Auto Scaling refuses the termination (group at its minimum since): set ACTIVE again', async () => {
    world();
    onInstance({});
    asgMock.on(TerminateInstanceInAutoScalingGroupCommand).rejects(
      Object.assign(new Error('Currently, desiredCapacity (1) is less than or equal to minSize (1).'), {
        name: 'ValidationError',
      }),
    );
    await runPass();
    const statuses = ecsMock
      .commandCalls(UpdateContainerInstancesStateCommand)
      .map((call) => call.args[0].input.status);
    expect(statuses).toEqual(['DRAINING', 'ACTIVE']);
  });

  it('past the pass deadline: no removal started (the next pass decides again)', async () => {
    world();
    onInstance({});
    // The pass starts at NOW; its reads take 61 s (throttling, a slow group).
    let calls = 0;
    const clock = () => (calls++ === 0 ? NOW : NOW + 61_000);
    const summary = await runPass(undefined, {}, { clock });
    expect(ecsMock).not.toHaveReceivedCommand(UpdateContainerInstancesStateCommand);
    expect(terminated()).toEqual([]);
    expect(summary.providers[0]?.removed).toEqual([]);
  });

  it('a pass cut short after DRAINING is finished by the next one', async () => {
    mockWorld({
      instances: [full('i-01', 'us-east-1a'), { ...idleInstance('i-02', 'us-east-1b'), status: 'DRAINING' }],
      services: [apiService(4, 4), logRouter],
    });
    ddbMock
      .on(QueryCommand, {
        ExpressionAttributeValues: { ':pk': 'capacity#web#idle', ':prefix': 'web-asg-cp#' },
      })
      .resolves({
        Items: [
          {
            pk: 'capacity#web#idle',
            sk: 'web-asg-cp#i-02',
            since: '2025-01-15T02:35:00Z',
            removingAt: '2025-01-15T03:04:00Z',
            ttl: NOW / 1000 + 3600,
          },
        ],
      });
    onInstance({});
    const summary = await runPass();
    expect(terminated()).toEqual(['i-02']);
    expect(summary.providers[0]?.removed).toEqual(['i-02']);
  });

  it('an instance an operator set DRAINING (no removal started by scale-capacity) is left alone', async () => {
    mockWorld({
      instances: [full('i-01', 'us-east-1a'), { ...idleInstance('i-02', 'us-east-1b'), status: 'DRAINING' }],
      services: [apiService(4, 4), logRouter],
      idleSince: { 'i-02': '2025-01-15T02:35:00Z' },
    });
    await runPass();
    expect(terminated()).toEqual([]);
    expect(ecsMock).not.toHaveReceivedCommand(UpdateContainerInstancesStateCommand);
  });
});

describe('instances ECS or Auto Scaling cannot use (#23)', () => {
  const empty = (id: string, zone: string, extra: Partial<WorldInstance> = {}): WorldInstance => ({
    id,
    zone,
    cpuFree: 1920,
    memFree: 7424,
    running: 1,
    ...extra,
  });

  it('an Unhealthy InService instance is not planned on: 3 pending api tasks buy an instance', async () => {
    mockWorld({
      instances: [full('i-01', 'us-east-1a'), empty('i-02', 'us-east-1b', { health: 'Unhealthy' })],
      services: [apiService(4 + 3, 4), logRouter],
    });
    const info = vi.spyOn(tools.logger, 'info');
    const summary = await runPass();
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 3 });
    expect(summary.providers[0]?.removed).toEqual([]);
    expect(info).toHaveBeenCalledWith(
      'Observation note',
      expect.objectContaining({
        note: 'i-02: Auto Scaling marks it Unhealthy; not planned on (Auto Scaling replaces it)',
      }),
    );
  });

  it('a disconnected agent is remembered when first seen, and reported once disconnected 5 minutes', async () => {
    const world = () =>
      mockWorld({
        instances: [full('i-01', 'us-east-1a'), empty('i-02', 'us-east-1b', { agentConnected: false })],
        services: [apiService(4, 4), logRouter],
      });
    world();
    const warn = vi.spyOn(tools.logger, 'warn');
    const first = await runPass();
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: 'capacity#web#agent', sk: 'web-asg-cp#i-02' }),
    });
    expect(first.providers[0]?.disconnectedAgents).toBeUndefined();
    expect(warn).not.toHaveBeenCalledWith('Agents disconnected', expect.anything());

    world();
    ddbMock
      .on(QueryCommand, {
        ExpressionAttributeValues: { ':pk': 'capacity#web#agent', ':prefix': 'web-asg-cp#' },
      })
      .resolves({
        Items: [
          {
            pk: 'capacity#web#agent',
            sk: 'web-asg-cp#i-02',
            since: '2025-01-15T02:58:00Z',
            ttl: NOW / 1000 + 3600,
          },
        ],
      });
    const metrics = captureMetrics();
    const later = await runPass();
    expect(later.providers[0]?.disconnectedAgents).toEqual([
      { instanceId: 'i-02', since: '2025-01-15T02:58:00Z' },
    ]);
    expect(warn).toHaveBeenCalledWith(
      'Agents disconnected',
      expect.objectContaining({ instances: [{ instanceId: 'i-02', since: '2025-01-15T02:58:00Z' }] }),
    );
    expect(metrics).toContainEqual({ name: 'DisconnectedAgents', value: 1 });
  });
});

describe('instance refresh and maximum instance lifetime are not stalled by protection (#23, #15)', () => {
  // i-01, i-02 registered 01:00 and busy (protected); i-03 registered 02:50, idle for 30 minutes.
  const world = (extra: Partial<World> = {}) =>
    mockWorld({
      instances: [
        full('i-01', 'us-east-1a'),
        full('i-02', 'us-east-1b'),
        {
          id: 'i-03',
          zone: 'us-east-1c',
          cpuFree: 1920,
          memFree: 7424,
          running: 1,
          registeredAt: new Date('2025-01-15T02:50:00Z'),
        },
      ],
      services: [apiService(8, 8), logRouter],
      idleSince: { 'i-03': '2025-01-15T02:35:00Z' },
      ...extra,
    });
  const refresh = (Status: InstanceRefresh['Status']): InstanceRefresh => ({
    InstanceRefreshId: 'ir-1',
    AutoScalingGroupName: 'web-asg',
    Status,
    StartTime: new Date('2025-01-15T02:45:00Z'),
    PercentageComplete: 33,
  });

  it('a refresh in progress: protection given back on the instances it replaces, its replacement not removed as idle', async () => {
    world({ refreshes: [refresh('InProgress')] });
    const summary = await runPass(undefined, { MAX_SCALE_IN: '100%' });
    expect(asgMock).toHaveReceivedCommandWith(SetInstanceProtectionCommand, {
      InstanceIds: ['i-01', 'i-02'],
      ProtectedFromScaleIn: false,
    });
    expect(asgMock).not.toHaveReceivedCommandWith(SetInstanceProtectionCommand, {
      ProtectedFromScaleIn: true,
    });
    expect(terminated()).toEqual([]);
    expect(summary.providers[0]?.held).toEqual([
      { instanceId: 'i-03', reason: 'idle', heldBecause: 'instance-refresh' },
    ]);
  });

  it('a finished refresh changes nothing: the idle instance goes, busy ones stay protected', async () => {
    world({ refreshes: [refresh('Successful')] });
    await runPass(undefined, { MAX_SCALE_IN: '100%' });
    expect(terminated()).toEqual(['i-03']);
    expect(asgMock).not.toHaveReceivedCommand(SetInstanceProtectionCommand);
  });

  it('past MaxInstanceLifetime: protection given back (and not set again) so Auto Scaling replaces them', async () => {
    // 01:00 -> 03:05 is 7,500 s; the group's lifetime is 7,200 s (two hours).
    world({ group: { MaxInstanceLifetime: 7_200 } });
    const info = vi.spyOn(tools.logger, 'info');
    await runPass();
    expect(asgMock).toHaveReceivedCommandWith(SetInstanceProtectionCommand, {
      InstanceIds: ['i-01', 'i-02'],
      ProtectedFromScaleIn: false,
    });
    expect(info).toHaveBeenCalledWith(
      'Observation note',
      expect.objectContaining({
        note: "2 instance(s) past the group's maximum instance lifetime (7200 s): scale-in protection given back so Auto Scaling replaces them: i-01, i-02",
      }),
    );
  });
});

describe('RELEASE_PROTECTION: protection is given back when scale-capacity stops driving a group (#15)', () => {
  it('releases the protection of every protected instance, and changes nothing else', async () => {
    mockWorld({
      instances: [...threeFull, { id: 'i-04', zone: 'us-east-1a', cpuFree: 1920, memFree: 7424, running: 1 }],
      services: [apiService(12 + 9, 12), logRouter],
      idleSince: { 'i-04': '2025-01-15T02:00:00Z' },
    });
    const summary = await runPass(undefined, { RELEASE_PROTECTION: 'web-asg-cp', MAX_SCALE_IN: '100%' });
    expect(summary.providers[0]).toMatchObject({ status: 'released' });
    expect(asgMock).toHaveReceivedCommandWith(SetInstanceProtectionCommand, {
      InstanceIds: ['i-01', 'i-02', 'i-03'],
      ProtectedFromScaleIn: false,
    });
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(terminated()).toEqual([]);
  });

  it('in dry run, says what it would release and releases nothing', async () => {
    mockWorld({ instances: threeFull, services: [apiService(12, 12), logRouter] });
    const summary = await runPass(undefined, { RELEASE_PROTECTION: '*', DRY_RUN: 'true' });
    expect(summary.providers[0]?.reasons).toEqual([
      'RELEASE_PROTECTION: scale-in protection given back on i-01, i-02, i-03',
    ]);
    expect(asgMock).not.toHaveReceivedCommand(SetInstanceProtectionCommand);
  });
});
