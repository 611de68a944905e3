// One scale-capacity pass (observe -> plan -> act) against a mocked ECS + Auto Scaling + state-table
// world: the cases a capacity review found wrong, each kept as a test of the behaviour that fixed it.
import {
  type Activity,
  DescribeAutoScalingGroupsCommand,
  DescribeLifecycleHooksCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeServicesCommand, DescribeTasksCommand, type Service, type Task } from '@aws-sdk/client-ecs';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import {
  apiService,
  asgMock,
  BASE_DEFINITIONS,
  ciArn,
  DRAIN_HOOK,
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
  ZONES,
} from '../../test/support/capacity/mock-world';
import type { CapacitySummary, WaitingTasks } from './pass';

const full = (id: string, zone: string) => ({
  id,
  zone,
  cpuFree: 0,
  memFree: 0,
  running: 4,
  protected: true,
});
const threeFull = [full('i-01', 'us-east-1a'), full('i-02', 'us-east-1b'), full('i-03', 'us-east-1c')];

describe('desired capacity counted in units other than instances', () => {
  function expectRefused(summary: Awaited<ReturnType<typeof runPass>>, why: RegExp) {
    const outcome = summary.providers[0];
    expect(outcome?.status).toBe('refused');
    expect(outcome?.error).toMatch(/web-asg/);
    expect(outcome?.error).toMatch(why);
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(asgMock).not.toHaveReceivedCommand(TerminateInstanceInAutoScalingGroupCommand);
  }

  it('refuses a mixed instances policy with WeightedCapacity 2 (3 instances = desired 6 units)', async () => {
    mockWorld({
      instances: threeFull,
      services: [apiService(6 + 9, 9), logRouter],
      group: {
        DesiredCapacity: 6,
        MaxSize: 40,
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateName: 'web', Version: '$Latest' },
            Overrides: [
              { InstanceType: 'm5.large', WeightedCapacity: '2' },
              { InstanceType: 'm5a.large', WeightedCapacity: '2' },
            ],
          },
        },
      },
    });
    expectRefused(await runPass(), /WeightedCapacity 2 for m5\.large/);
  });

  it('refuses DesiredCapacityType vcpu (3 m5.large = desired 6 vCPUs)', async () => {
    mockWorld({
      instances: threeFull,
      services: [apiService(6 + 9, 9), logRouter],
      group: { DesiredCapacity: 6, MaxSize: 40, DesiredCapacityType: 'vcpu' },
    });
    expectRefused(await runPass(), /counts its desired capacity in vcpu \(DesiredCapacityType\)/);
  });

  it('accepts weights of 1 and DesiredCapacityType units: 6 missing api tasks buy 2 instances', async () => {
    mockWorld({
      instances: threeFull,
      services: [apiService(6 + 9, 9), logRouter],
      group: {
        DesiredCapacityType: 'units',
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateName: 'web', Version: '$Latest' },
            Overrides: [{ InstanceType: 'm5.large', WeightedCapacity: '1' }, { InstanceType: 'm5a.large' }],
          },
        },
      },
    });
    const summary = await runPass();
    expect(summary.providers[0]).toMatchObject({ status: 'applied', scaleOut: 2, desiredCapacity: 5 });
  });
});

describe('service tasks on DRAINING instances are demand (ECS starts their replacements first)', () => {
  const apiTask = (id: string, instance: string, group = 'service:api'): Task => ({
    taskArn: taskArn(id),
    containerInstanceArn: ciArn(instance),
    group,
    taskDefinitionArn: tdArn('api:3'),
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
  });
  const busy = (id: string, zone: string, status = 'ACTIVE', lifecycle = 'InService') => ({
    id,
    zone,
    cpuFree: 384,
    memFree: 4096,
    running: 4,
    protected: true,
    status,
    lifecycle,
    tasks: [apiTask(`${id}-a`, id), apiTask(`${id}-b`, id), apiTask(`${id}-c`, id)],
  });
  const api = (running = 9, pending = 0) =>
    apiService(9, running, {
      pendingCount: pending,
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
    });

  it('Spot interruption: i-03 DRAINING while still InService; its 3 api tasks need a new instance now', async () => {
    mockWorld({
      instances: [
        busy('i-01', 'us-east-1a'),
        busy('i-02', 'us-east-1b'),
        busy('i-03', 'us-east-1c', 'DRAINING'),
      ],
      services: [api(), logRouter],
    });
    const summary = await runPass();
    expect(asgMock).toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(summary.providers[0]).toMatchObject({ scaleOut: 1, desiredCapacity: 4 });
    expect(summary.providers[0]?.reasons?.[0]).toMatch(/^3 pending task\(s\).* 3 need new instances/);
  });

  it('operator terminated i-03 with decrement (desired 3 -> 2): the drain gets the room it waits for', async () => {
    mockWorld({
      instances: [
        busy('i-01', 'us-east-1a'),
        busy('i-02', 'us-east-1b'),
        busy('i-03', 'us-east-1c', 'DRAINING', 'Terminating:Wait'),
      ],
      services: [api(), logRouter],
      group: { DesiredCapacity: 2 },
    });
    const summary = await runPass();
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 3 });
    expect(summary.providers[0]).toMatchObject({ scaleOut: 1, desiredCapacity: 3 });
  });

  it('refresh without decrement: the replacement the group launches (requested) takes them', async () => {
    mockWorld({
      instances: [
        busy('i-01', 'us-east-1a'),
        busy('i-02', 'us-east-1b'),
        busy('i-03', 'us-east-1c', 'DRAINING', 'Terminating:Wait'),
      ],
      services: [api(), logRouter],
      group: { DesiredCapacity: 3 },
    });
    const summary = await runPass();
    expect(summary.providers[0]?.reasons).toContain(
      '0 instance(s) booting and 1 requested count as capacity on the way',
    );
    expect(summary.providers[0]?.reasons?.[0]).toMatch(/^3 pending task\(s\).* 3 on instances booting/);
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('replacements already started (running + pending above desired) are not bought again', async () => {
    mockWorld({
      instances: [
        busy('i-01', 'us-east-1a'),
        busy('i-02', 'us-east-1b'),
        busy('i-03', 'us-east-1c', 'DRAINING'),
      ],
      // 2 of the 3 replacements started: 10 running + 1 pending of 9 desired.
      services: [api(10, 1), logRouter],
    });
    const summary = await runPass(undefined, { DRY_RUN: 'true' });
    expect(summary.providers[0]?.plan?.demand.tasks).toBe(1);
  });

  it('standalone and daemon tasks on a draining instance are not demand', async () => {
    mockWorld({
      instances: [
        busy('i-01', 'us-east-1a'),
        busy('i-02', 'us-east-1b'),
        {
          ...busy('i-03', 'us-east-1c', 'DRAINING'),
          tasks: [apiTask('job', 'i-03', 'family:report'), apiTask('lr', 'i-03', 'service:log-router')],
        },
      ],
      services: [api(), logRouter],
    });
    const summary = await runPass();
    expect(summary.providers[0]?.reasons?.[0]).toBe('no pending demand');
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });
});

describe('a confirmed placement stall buys instances once, then reports', () => {
  // i-01 and i-02 have room the simulation believes in, where ECS failed twice.
  const suspect = (id: string, zone: string) => ({
    id,
    zone,
    cpuFree: 1024,
    memFree: 4096,
    running: 4,
    protected: true,
  });
  const confirmed = {
    source: 'service:api',
    since: new Date(NOW - 10 * 60_000).toISOString(),
    confirmedAt: new Date(NOW - 5 * 60_000).toISOString(),
    reason: 'RESOURCE:ENI',
    confirmed: true,
  };
  const placementFailure = {
    version: '0',
    id: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e62',
    'detail-type': 'ECS Service Action',
    source: 'aws.ecs',
    account: '123456789012',
    time: '2025-01-15T03:04:58Z',
    region: 'us-east-1',
    resources: ['arn:aws:ecs:us-east-1:123456789012:service/web/api'],
    detail: {
      eventType: 'ERROR',
      eventName: 'SERVICE_TASK_PLACEMENT_FAILURE',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/web',
      capacityProviderArns: ['arn:aws:ecs:us-east-1:123456789012:capacity-provider/web-asg-cp'],
      reason: 'RESOURCE:ENI',
    },
  };

  it('a minute later, the instance launched for it still booting: no second instance', async () => {
    mockWorld({
      instances: [
        suspect('i-01', 'us-east-1a'),
        suspect('i-02', 'us-east-1b'),
        {
          id: 'i-0a1b2c3d4e5f60003',
          zone: 'us-east-1c',
          cpuFree: 0,
          memFree: 0,
          running: 0,
          registered: false,
          lifecycle: 'Pending',
        },
      ],
      services: [apiService(11, 9), logRouter],
      activities: [
        {
          ActivityId: 'a-1',
          AutoScalingGroupName: 'web-asg',
          Cause: 'scale-capacity',
          Description: 'Launching a new EC2 instance: i-0a1b2c3d4e5f60003',
          StartTime: new Date(NOW - 60_000),
          StatusCode: 'InProgress',
        },
      ],
      stalls: [confirmed],
    });
    const summary = await runPass();
    expect(summary.providers[0]?.reasons?.[0]).toMatch(
      /^2 pending task\(s\): 0 fit on registered instances, 2 on instances booting/,
    );
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('ECS fails again once that instance registered (and retried): reported as unplaceable, not scaled for', async () => {
    mockWorld({
      instances: [
        suspect('i-01', 'us-east-1a'),
        suspect('i-02', 'us-east-1b'),
        {
          id: 'i-03',
          zone: 'us-east-1c',
          cpuFree: 1920,
          memFree: 7424,
          running: 1,
          registeredAt: new Date(NOW - 2 * 60_000),
        },
      ],
      services: [apiService(11, 9), logRouter],
      stalls: [confirmed],
    });
    const summary = await runPass(placementFailure);
    expect(summary.providers[0]).toMatchObject({ status: 'applied', scaleOut: 0, unplaceable: 2 });
    expect(summary.providers[0]?.reasons?.join('\n')).toMatch(
      /cannot place 2 task\(s\) of service:api: ECS keeps failing to place it \(RESOURCE:ENI\) even on instances launched for it/,
    );
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        sk: 'web-asg-cp#service:api',
        confirmed: true,
        unplaceableAt: new Date(NOW).toISOString(),
      }),
    });
  });

  it('while reported, ticks neither scale out nor forget it', async () => {
    mockWorld({
      instances: [suspect('i-01', 'us-east-1a'), suspect('i-02', 'us-east-1b')],
      services: [apiService(11, 9), logRouter],
      stalls: [{ ...confirmed, unplaceableAt: new Date(NOW - 60_000).toISOString() }],
    });
    const summary = await runPass();
    expect(summary.providers[0]).toMatchObject({ scaleOut: 0, unplaceable: 2 });
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(ddbMock).not.toHaveReceivedCommand(DeleteCommand);
  });
});

describe('consolidation (CONSOLIDATION=true)', () => {
  const task = (id: string, instance: string, group: string, definition: string): Task => ({
    taskArn: taskArn(id),
    containerInstanceArn: ciArn(instance),
    group,
    taskDefinitionArn: tdArn(definition),
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
  });
  const ha = (constraints: { type: 'distinctInstance' | 'memberOf'; expression?: string }[]) => ({
    serviceName: 'ha',
    status: 'ACTIVE',
    schedulingStrategy: 'REPLICA' as const,
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    taskDefinition: tdArn('ha:1'),
    capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1 }],
    placementConstraints: constraints,
  });
  const definitions = {
    'ha:1': {
      family: 'ha',
      revision: 1,
      networkMode: 'bridge' as const,
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'ha' }],
    },
  };
  // Two lightly used instances, one ha task each (plus the log-router daemon).
  const instances = (attributes: Record<string, string>[] = [{}, {}], protectedFromScaleIn = true) =>
    ['i-01', 'i-02'].map((id, index) => ({
      id,
      zone: ZONES[index] as string,
      cpuFree: 2048 - 128 - 256,
      memFree: 7680 - 256 - 512,
      running: 2,
      protected: protectedFromScaleIn,
      attributes: attributes[index] ?? {},
      tasks: [
        task(`ha${index}`, id, 'service:ha', 'ha:1'),
        task(`lr${index}`, id, 'service:log-router', 'log-router:2'),
      ],
    }));

  it('never removes an instance whose distinctInstance task can only go next to its sibling', async () => {
    mockWorld({
      instances: instances(),
      services: [ha([{ type: 'distinctInstance' }]), logRouter],
      definitions,
    });
    const summary = await runPass(undefined, { CONSOLIDATION: 'true' });
    expect(asgMock).toHaveReceivedCommand(DescribeLifecycleHooksCommand);
    expect(summary.providers[0]?.reasons?.join('\n')).not.toMatch(/consolidation/);
    expect(asgMock).not.toHaveReceivedCommand(TerminateInstanceInAutoScalingGroupCommand);
  });

  it('never moves a task onto an instance its memberOf excludes', async () => {
    mockWorld({
      instances: instances([{ tier: 'gold' }, { tier: 'silver' }]),
      services: [ha([{ type: 'memberOf', expression: 'attribute:tier == gold' }]), logRouter],
      definitions,
    });
    // i-02's task (tier silver) breaks the constraint already; i-01's can only stay on gold.
    const summary = await runPass(undefined, { CONSOLIDATION: 'true', DRY_RUN: 'true' });
    // i-02's task may go to i-01 (gold); i-01's has nowhere else to go. Protected: released first.
    expect(summary.providers[0]?.held).toEqual([
      { instanceId: 'i-02', reason: 'consolidation', heldBecause: 'protected' },
    ]);
    expect(summary.providers[0]?.plan?.unprotect).toEqual(['i-02']);
  });

  it('without constraints, one of the two goes (drained by the terminate hook)', async () => {
    mockWorld({ instances: instances([{}, {}], false), services: [ha([]), logRouter], definitions });
    const summary = await runPass(undefined, { CONSOLIDATION: 'true' });
    expect(summary.providers[0]?.reasons?.join('\n')).toMatch(/\(consolidation\): its 1 task\(s\) fit/);
    expect(asgMock).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 1);
  });

  it('a protected instance is not consolidated in the pass that finds it: its protection is released, and nothing else is protected in its place', async () => {
    mockWorld({ instances: instances(), services: [ha([]), logRouter], definitions });
    const summary = await runPass(undefined, { CONSOLIDATION: 'true' });
    expect(asgMock).not.toHaveReceivedCommand(TerminateInstanceInAutoScalingGroupCommand);
    const [held] = summary.providers[0]?.held ?? [];
    expect(held).toMatchObject({ reason: 'consolidation', heldBecause: 'protected' });
    expect(asgMock).toHaveReceivedCommandWith(SetInstanceProtectionCommand, {
      InstanceIds: [held?.instanceId as string],
      ProtectedFromScaleIn: false,
    });
  });

  it('is refused, with the reason logged, when the group has no terminate lifecycle hook', async () => {
    mockWorld({
      instances: instances(),
      services: [ha([]), logRouter],
      definitions,
      lifecycleHooks: [{ ...DRAIN_HOOK, LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' }],
    });
    const info = vi.spyOn(tools.logger, 'info');
    const summary = await runPass(undefined, { CONSOLIDATION: 'true', DRY_RUN: 'true' });
    expect(summary.providers[0]?.plan?.removals).toEqual([]);
    expect(info).toHaveBeenCalledWith(
      'Observation note',
      expect.objectContaining({
        note: expect.stringMatching(
          /consolidation refused for web-asg: it has no autoscaling:EC2_INSTANCE_TERMINATING lifecycle hook/,
        ),
      }),
    );
    expect(ecsMock).not.toHaveReceivedCommand(DescribeTasksCommand);
  });
});

/** A standalone task of `family` waiting in PROVISIONING (its definition is `<family>:1`). */
const provisioningTask = (id: string, family: string): Task => ({
  taskArn: taskArn(id),
  lastStatus: 'PROVISIONING',
  desiredStatus: 'RUNNING',
  capacityProviderName: 'web-asg-cp',
  group: `family:${family}`,
  taskDefinitionArn: tdArn(`${family}:1`),
});

/** The ECS Task State Change (PROVISIONING) for that task. */
const provisioningEvent = (id: string, time: number, family: string) => ({
  version: '0',
  id: `e-${id}`,
  'detail-type': 'ECS Task State Change',
  source: 'aws.ecs',
  account: '123456789012',
  time: new Date(time).toISOString().replace('.000', ''),
  region: 'us-east-1',
  resources: [taskArn(id)],
  detail: {
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/web',
    taskArn: taskArn(id),
    lastStatus: 'PROVISIONING',
    desiredStatus: 'RUNNING',
    capacityProviderName: 'web-asg-cp',
    group: `family:${family}`,
    version: 1,
  },
});

describe('a burst of PROVISIONING events for standalone tasks', () => {
  it('the second task, whose event waited behind the first pass, is still planned', async () => {
    const world = {
      instances: [{ id: 'i-01', zone: 'us-east-1a', cpuFree: 0, memFree: 0, running: 3, protected: true }],
      services: [logRouter],
      definitions: {
        // One per m5.large.
        'bigjob:1': {
          family: 'bigjob',
          revision: 1,
          networkMode: 'bridge' as const,
          cpu: '1536',
          memory: '6144',
          containerDefinitions: [{ name: 'job' }],
        },
      },
      extraTasks: [provisioningTask('aaaa', 'bigjob'), provisioningTask('bbbb', 'bigjob')],
    };
    // What the execution environment remembers between invocations.
    const passes = new Map<string, number>();
    const waiting: WaitingTasks = new Map();
    const at = NOW - 10_000; // both events at the same second
    mockWorld(world);
    const first = await runPass(
      provisioningEvent('aaaa', at, 'bigjob'),
      {},
      { now: at + 6_000, passes, waiting },
    );
    expect(first.providers[0]).toMatchObject({ scaleOut: 1, desiredCapacity: 2 });

    // The group now has desired 2 (one requested instance for task aaaa); bbbb still waits.
    mockWorld({ ...world, group: { DesiredCapacity: 2 } });
    const second = await runPass(
      provisioningEvent('bbbb', at, 'bigjob'),
      {},
      { now: at + 7_000, passes, waiting },
    );
    expect(second.status).not.toBe('ignored');
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 3 });
  });

  it('ticks look for the standalone tasks events named until they leave PROVISIONING', async () => {
    const world = {
      instances: [{ id: 'i-01', zone: 'us-east-1a', cpuFree: 2048, memFree: 7680, running: 1 }],
      services: [logRouter],
      extraTasks: [{ ...provisioningTask('aaaa', 'bigjob'), taskDefinitionArn: tdArn('api:3') }],
    };
    const passes = new Map<string, number>();
    const waiting: WaitingTasks = new Map();
    mockWorld(world);
    await runPass(
      provisioningEvent('aaaa', NOW - 10_000, 'bigjob'),
      {},
      { now: NOW - 5_000, passes, waiting },
    );
    expect([...waiting.keys()]).toEqual([taskArn('aaaa')]);

    mockWorld(world);
    const tick = await runPass(undefined, {}, { now: NOW, passes, waiting });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTasksCommand, { tasks: [taskArn('aaaa')] });
    expect(tick.providers[0]?.reasons?.[0]).toMatch(/^1 pending task\(s\): 1 fit on registered instances/);

    // Placed: described once more, then forgotten.
    mockWorld({
      ...world,
      extraTasks: [{ ...world.extraTasks[0], lastStatus: 'RUNNING', containerInstanceArn: ciArn('i-01') }],
    });
    await runPass(undefined, {}, { now: NOW + 60_000, passes, waiting });
    expect(waiting.size).toBe(0);
  });
});

describe('a burst of wake-ups is answered by a handful of passes', () => {
  const requestEvent = (n: number, time: number) => ({
    version: '0',
    id: `r-${n}`,
    'detail-type': 'Capacity Request',
    source: 'ecs-autopilot',
    account: '123456789012',
    time: new Date(time).toISOString().replace('.000', ''),
    region: 'us-east-1',
    resources: [],
    detail: { cluster: 'web', capacityProvider: 'web-asg-cp' },
  });
  const definitions = {
    'fanout:1': {
      family: 'fanout',
      revision: 1,
      networkMode: 'bridge' as const,
      cpu: '1024',
      memory: '2048',
      containerDefinitions: [{ name: 'job' }],
    },
  };
  const ids = Array.from({ length: 300 }, (_, n) => `f${String(n).padStart(3, '0')}`);
  /** Invokes each event in turn, as reserved concurrency 1 does; a pass takes `passMs`. */
  async function drain(events: unknown[], start: number, passMs: number) {
    const memory = {
      passes: new Map<string, number>(),
      waiting: new Map() as WaitingTasks,
      familyScans: new Map<string, number>(),
    };
    let clock = start;
    let passesRun = 0;
    const summaries: CapacitySummary[] = [];
    for (const event of events) {
      const summary = await runPass(event, {}, { ...memory, clock: () => clock });
      if (summary.status !== 'ignored') {
        passesRun += 1;
        summaries.push(summary);
        clock += passMs;
      } else clock += 5;
    }
    return { passesRun, memory, summaries };
  }

  it('a fan-out of 300 standalone tasks of one family: the first pass plans them all, the rest are answered', async () => {
    mockWorld({
      instances: threeFull,
      services: [logRouter],
      definitions,
      extraTasks: ids.map((id) => provisioningTask(id, 'fanout')),
    });
    const at = NOW - 20_000;
    // RunTask starts 10 tasks a call: the burst's events span a few seconds.
    const events = ids.map((id, n) => provisioningEvent(id, at + Math.floor(n / 10) * 100, 'fanout'));
    const { passesRun, memory, summaries } = await drain(events, at + 6_000, 1_500);
    expect(passesRun).toBeLessThanOrEqual(3);
    expect(memory.waiting.size).toBe(300);
    // The first pass already planned for all 300, not for the one task its event named.
    expect(summaries[0]?.providers[0]?.reasons?.[0]).toMatch(/^300 pending task\(s\)/);
  });

  it('500 capacity-request wake-ups in ten seconds: a handful of passes, not 500', async () => {
    mockWorld({ instances: threeFull, services: [logRouter], definitions });
    const at = NOW - 20_000;
    const events = Array.from({ length: 500 }, (_, n) => requestEvent(n, at + n * 20));
    const { passesRun } = await drain(events, at + 1_000, 1_500);
    expect(passesRun).toBeGreaterThan(0);
    expect(passesRun).toBeLessThanOrEqual(12);
  });

  it('a placement failure ECS has retried since a finished pass is answered; a fresh one gets its pass', async () => {
    mockWorld({ instances: threeFull, services: [apiService(20, 12), logRouter] });
    const failure = (time: number) => ({
      version: '0',
      id: `p-${time}`,
      'detail-type': 'ECS Service Action',
      source: 'aws.ecs',
      account: '123456789012',
      time: new Date(time).toISOString().replace('.000', ''),
      region: 'us-east-1',
      resources: ['arn:aws:ecs:us-east-1:123456789012:service/web/api'],
      detail: {
        clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/web',
        eventType: 'WARN',
        eventName: 'SERVICE_TASK_PLACEMENT_FAILURE',
        capacityProviderArns: ['arn:aws:ecs:us-east-1:123456789012:capacity-provider/web-asg-cp'],
        reason: 'RESOURCE:MEMORY',
      },
    });
    const passes = new Map<string, number>();
    await runPass(undefined, {}, { now: NOW, passes });
    const old = await runPass(failure(NOW - 70_000), {}, { now: NOW + 2_000, passes });
    expect(old.status).toBe('ignored');
    const fresh = await runPass(failure(NOW - 10_000), {}, { now: NOW + 3_000, passes });
    expect(fresh.status).not.toBe('ignored');
  });
});

describe('a daemon constrained to another group of the cluster', () => {
  const gpuExporter = {
    serviceName: 'gpu-exporter',
    status: 'ACTIVE',
    schedulingStrategy: 'DAEMON' as const,
    desiredCount: 2,
    runningCount: 2,
    taskDefinition: tdArn('gpu-exporter:1'),
    placementConstraints: [
      { type: 'memberOf' as const, expression: 'attribute:ecs.instance-type =~ g4dn.*' },
    ],
  };
  const definitions = {
    'gpu-exporter:1': {
      family: 'gpu-exporter',
      revision: 1,
      networkMode: 'bridge' as const,
      cpu: '512',
      memory: '4096',
      containerDefinitions: [{ name: 'exporter' }],
    },
    'big:1': {
      family: 'big',
      revision: 1,
      networkMode: 'bridge' as const,
      containerDefinitions: [{ name: 'big', cpu: 1024, memoryReservation: 6144 }],
    },
  };
  const big = { ...apiService(1, 0), serviceName: 'big', taskDefinition: tdArn('big:1') };

  it('is not charged to new instances: a 6 GiB task fits a new m5.large (7680 MiB - 256 for log-router)', async () => {
    mockWorld({
      instances: [{ id: 'i-01', zone: 'us-east-1a', cpuFree: 0, memFree: 0, running: 4, protected: true }],
      services: [logRouter, gpuExporter, big],
      definitions,
    });
    const summary = await runPass();
    expect(summary.providers[0]?.unplaceable).toBe(0);
    expect(summary.providers[0]?.scaleOut).toBe(1);
  });

  it('is still charged where it holds for a type the group may launch', async () => {
    mockWorld({
      instances: [{ id: 'i-01', zone: 'us-east-1a', cpuFree: 0, memFree: 0, running: 4, protected: true }],
      services: [logRouter, { ...gpuExporter, placementConstraints: [] }, big],
      definitions,
    });
    const summary = await runPass(undefined, { DRY_RUN: 'true' });
    expect(summary.providers[0]?.unplaceable).toBe(1);
    expect(summary.providers[0]?.plan?.unplaceable[0]?.reason).toMatch(/after 4352 reserved by daemon tasks/);
  });

  it('is not counted on an instance it does not run on: log-router + one api task is busy and protected', async () => {
    mockWorld({
      instances: [
        { id: 'i-01', zone: 'us-east-1a', cpuFree: 1408, memFree: 6400, running: 2, protected: false },
      ],
      services: [logRouter, gpuExporter, apiService(1, 1)],
      definitions,
    });
    const summary = await runPass(undefined, { DRY_RUN: 'true' });
    expect(ecsMock).not.toHaveReceivedCommand(DescribeTasksCommand);
    expect(summary.providers[0]?.plan?.protect).toEqual(['i-01']);
  });
});

describe('two passes at once (reserved concurrency 1 missing, a second stack, a manual invoke)', () => {
  it('the older pass does not lower the desired capacity the newer one set', async () => {
    const instances = ['i-01', 'i-02', 'i-03'].map((id, index) => ({
      id,
      zone: ZONES[index],
      cpuFree: 0,
      memFree: 0,
      running: 4,
      protected: index !== 0, // i-01 busy but unprotected: each pass protects it before scaling
    }));
    mockWorld({ instances, services: [apiService(15, 9), logRouter] });

    let desired = 3;
    asgMock.on(DescribeAutoScalingGroupsCommand).callsFake(() => ({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'web-asg',
          MinSize: 0,
          MaxSize: 20,
          DesiredCapacity: desired,
          DefaultCooldown: 300,
          AvailabilityZones: ZONES,
          HealthCheckType: 'EC2',
          CreatedTime: new Date('2025-01-01T00:00:00Z'),
          Instances: instances.map((instance) => ({
            InstanceId: instance.id,
            InstanceType: 'm5.large',
            AvailabilityZone: instance.zone,
            LifecycleState: 'InService',
            HealthStatus: 'Healthy',
            ProtectedFromScaleIn: instance.protected,
          })),
        },
      ],
    }));
    const set: number[] = [];
    asgMock.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
      set.push(input.DesiredCapacity);
      desired = input.DesiredCapacity;
      return {};
    });
    // Pass A sees 6 missing api tasks; pass B, a moment later, 12.
    let describeCalls = 0;
    ecsMock.on(DescribeServicesCommand).callsFake(() => {
      describeCalls++;
      return { services: [apiService(describeCalls === 1 ? 15 : 21, 9), logRouter] };
    });
    // Pass A is slow between its observation and its SetDesiredCapacity (throttled SetInstanceProtection).
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let protectCalls = 0;
    let reachedGate: () => void = () => {};
    const atGate = new Promise<void>((resolve) => {
      reachedGate = resolve;
    });
    asgMock.on(SetInstanceProtectionCommand).callsFake(async () => {
      if (++protectCalls === 1) {
        reachedGate();
        await gate;
      }
      return {};
    });

    const passA = runPass();
    await atGate;
    await runPass(); // pass B runs to completion: 3 -> 7
    release();
    const summaryA = await passA; // pass A, observed at 3, would set 3 + 2 = 5
    expect(set).toEqual([7]);
    expect(set[0]).toBe(7);
    expect(desired).toBeGreaterThanOrEqual(7);
    expect(summaryA.providers[0]?.status).toBe('applied');
  });

  it('raises the desired capacity when it is still below the target', async () => {
    mockWorld({ instances: threeFull, services: [apiService(6 + 9, 9), logRouter] });
    await runPass();
    // Observed, then re-read just before setting it.
    expect(asgMock).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 2);
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 5 });
  });
});

describe('suspended Auto Scaling processes: an operator who freezes the group at 3 a.m. is obeyed', () => {
  const suspended = (...names: string[]) => ({
    SuspendedProcesses: names.map((name) => ({
      ProcessName: name,
      SuspensionReason: 'User suspended at 2025-01-15T03:00:00Z',
    })),
  });
  const idle = (id: string, zone: string) => ({ id, zone, cpuFree: 1920, memFree: 7424, running: 1 });
  /** i-01 busy, i-02 and i-03 idle for 30 minutes: one goes per pass (MAX_SCALE_IN 10 %, at least 1). */
  const idleWorld = (group: Record<string, unknown> = {}) =>
    mockWorld({
      instances: [full('i-01', 'us-east-1a'), idle('i-02', 'us-east-1b'), idle('i-03', 'us-east-1c')],
      services: [apiService(4, 4), logRouter],
      idleSince: { 'i-02': '2025-01-15T02:35:00Z', 'i-03': '2025-01-15T02:35:00Z' },
      group,
    });
  const OTHERS = ['AZRebalance', 'HealthCheck', 'ReplaceUnhealthy', 'ScheduledActions', 'AlarmNotification'];

  it('Launch suspended: no scale-out; the demand stays reported, the reason is logged', async () => {
    mockWorld({
      instances: threeFull,
      services: [apiService(6 + 9, 9), logRouter],
      group: suspended('Launch'),
    });
    const warn = vi.spyOn(tools.logger, 'warn');
    const info = vi.spyOn(tools.logger, 'info');
    const summary = await runPass();
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    const outcome = summary.providers[0];
    expect(outcome).toMatchObject({
      status: 'applied',
      scaleOut: 0,
      desiredCapacity: 3,
      suspendedProcesses: ['Launch'],
    });
    expect(outcome?.reasons?.[0]).toMatch(
      /^6 pending task\(s\): 0 fit on registered instances, .* 6 need new/,
    );
    expect(outcome?.reasons).toContain(
      'no scale-out: Launch is suspended on web-asg; the 2 new instance(s) needed are not requested (the demand stays pending until Launch is resumed)',
    );
    expect(warn).toHaveBeenCalledWith(
      'Held by suspended Auto Scaling processes',
      expect.objectContaining({ suspendedProcesses: ['Launch'], scaleOutHeld: 2, pendingTasks: 6 }),
    );
    expect(info).toHaveBeenCalledWith(
      'Observation note',
      expect.objectContaining({
        note: 'web-asg has suspended processes: Launch (User suspended at 2025-01-15T03:00:00Z)',
      }),
    );
  });

  it('Launch suspended, in dry run: the plan shows what is held', async () => {
    mockWorld({
      instances: threeFull,
      services: [apiService(6 + 9, 9), logRouter],
      group: suspended('Launch'),
    });
    const summary = await runPass(undefined, { DRY_RUN: 'true' });
    expect(summary.providers[0]?.plan).toMatchObject({
      newInstances: 2,
      scaleOut: 0,
      limitedBy: 'launch-suspended',
      suspended: { processes: ['Launch'], scaleOut: 2, removals: [] },
    });
  });

  it('Terminate suspended: no instance removed; idle ones stay marked for when it is resumed', async () => {
    idleWorld(suspended('Terminate'));
    const warn = vi.spyOn(tools.logger, 'warn');
    const summary = await runPass();
    expect(asgMock).not.toHaveReceivedCommand(TerminateInstanceInAutoScalingGroupCommand);
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(summary.providers[0]).toMatchObject({ status: 'applied', removed: [], desiredCapacity: 3 });
    expect(summary.providers[0]?.reasons).toContain(
      'no removal: Terminate is suspended on web-asg; kept i-02 (idle)',
    );
    expect(warn).toHaveBeenCalledWith(
      'Held by suspended Auto Scaling processes',
      expect.objectContaining({ removalsHeld: ['i-02'], scaleOutHeld: 0 }),
    );
    expect(ddbMock).not.toHaveReceivedCommand(DeleteCommand);
  });

  it('Launch and Terminate suspended (a freeze): no change to the group at all', async () => {
    idleWorld({ ...suspended('Launch', 'Terminate'), DesiredCapacity: 3 });
    await runPass();
    mockWorld({
      instances: threeFull,
      services: [apiService(6 + 9, 9), logRouter],
      group: suspended('Terminate', 'Launch'),
    });
    await runPass();
    expect(asgMock).not.toHaveReceivedCommand(TerminateInstanceInAutoScalingGroupCommand);
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it(`${OTHERS.join(', ')} suspended: scale-out and removal go on as usual`, async () => {
    mockWorld({
      instances: threeFull,
      services: [apiService(6 + 9, 9), logRouter],
      group: suspended(...OTHERS),
    });
    const out = await runPass();
    expect(out.providers[0]).toMatchObject({ scaleOut: 2, desiredCapacity: 5 });
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 5 });
    idleWorld(suspended(...OTHERS));
    const summary = await runPass();
    expect(asgMock).toHaveReceivedCommandWith(TerminateInstanceInAutoScalingGroupCommand, {
      InstanceId: 'i-02',
      ShouldDecrementDesiredCapacity: true,
    });
    expect(summary.providers[0]).toMatchObject({ removed: ['i-02'], desiredCapacity: 2 });
  });

  it('suspended between observe and act: the re-read group wins (no scale-out, no removal)', async () => {
    const answers = (withSuspension: Record<string, unknown>) => {
      let calls = 0;
      const group = (suspendedNow: boolean) => ({
        AutoScalingGroupName: 'web-asg',
        MinSize: 0,
        MaxSize: 20,
        DesiredCapacity: 3,
        DefaultCooldown: 300,
        AvailabilityZones: ZONES,
        HealthCheckType: 'EC2',
        CreatedTime: new Date('2025-01-01T00:00:00Z'),
        Instances: ['i-01', 'i-02', 'i-03'].map((id, index) => ({
          InstanceId: id,
          InstanceType: 'm5.large',
          AvailabilityZone: ZONES[index],
          LifecycleState: 'InService' as const,
          HealthStatus: 'Healthy',
          ProtectedFromScaleIn: index === 0,
        })),
        ...(suspendedNow ? withSuspension : {}),
      });
      // The pass observes the group unsuspended; the operator suspends before the pass acts.
      asgMock
        .on(DescribeAutoScalingGroupsCommand)
        .callsFake(() => ({ AutoScalingGroups: [group(++calls > 1)] }));
    };

    mockWorld({ instances: threeFull, services: [apiService(6 + 9, 9), logRouter] });
    answers(suspended('Launch'));
    const scaleOut = await runPass();
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(scaleOut.providers[0]?.status).toBe('applied');

    idleWorld();
    answers(suspended('Terminate'));
    const scaleIn = await runPass();
    expect(asgMock).not.toHaveReceivedCommand(TerminateInstanceInAutoScalingGroupCommand);
    expect(scaleIn.providers[0]).toMatchObject({ status: 'applied', removed: [] });
  });
});

describe('rolling deployments start at most maximumPercent of the service at once', () => {
  const definitions = { 'api:4': { ...BASE_DEFINITIONS['api:3'], revision: 4 } };
  /** api desired 9, all 9 old tasks running on the three full instances, the new deployment at 0. */
  const deploying = (maximumPercent: number | undefined) =>
    apiService(9, 9, {
      taskDefinition: tdArn('api:4'),
      ...(maximumPercent === undefined
        ? {}
        : { deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent } }),
      deployments: [
        {
          id: 'ecs-svc/2',
          status: 'PRIMARY',
          taskDefinition: tdArn('api:4'),
          desiredCount: 9,
          runningCount: 0,
          pendingCount: 0,
        },
        {
          id: 'ecs-svc/1',
          status: 'ACTIVE',
          taskDefinition: tdArn('api:3'),
          desiredCount: 9,
          runningCount: 9,
          pendingCount: 0,
        },
      ],
    });

  it('maximumPercent 100 (replace in place): no instance bought, none removed as idle afterwards', async () => {
    mockWorld({ instances: threeFull, services: [deploying(100), logRouter], definitions });
    const summary = await runPass();
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(summary.providers[0]?.reasons?.[0]).toBe('no pending demand');
  });

  it('maximumPercent 150: room for 4 of the 9 new tasks (floor(9 x 1.5) - 9 running): 2 instances', async () => {
    mockWorld({ instances: threeFull, services: [deploying(150), logRouter], definitions });
    const summary = await runPass();
    expect(summary.providers[0]?.reasons?.[0]).toMatch(/^4 pending task\(s\)/);
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 5 });
  });

  it('default maximumPercent 200: the whole new deployment (9 tasks, 3 instances)', async () => {
    mockWorld({ instances: threeFull, services: [deploying(undefined), logRouter], definitions });
    const summary = await runPass();
    expect(summary.providers[0]?.reasons?.[0]).toMatch(/^9 pending task\(s\)/);
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 6 });
  });

  it('a draining instance under maximumPercent 100: ECS stops its tasks before replacing them, nothing bought yet', async () => {
    const apiTask = (id: string, instance: string): Task => ({
      taskArn: taskArn(id),
      containerInstanceArn: ciArn(instance),
      group: 'service:api',
      taskDefinitionArn: tdArn('api:3'),
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
    });
    const drainingI03 = {
      ...full('i-03', 'us-east-1c'),
      status: 'DRAINING',
      tasks: ['a', 'b', 'c'].map((suffix) => apiTask(`i-03-${suffix}`, 'i-03')),
    };
    mockWorld({
      instances: [full('i-01', 'us-east-1a'), full('i-02', 'us-east-1b'), drainingI03],
      services: [
        apiService(9, 9, { deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 } }),
        logRouter,
      ],
    });
    const info = vi.spyOn(tools.logger, 'info');
    await runPass();
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(info).toHaveBeenCalledWith(
      'Observation note',
      expect.objectContaining({
        note: 'service api: 3 task(s) on draining instances need replacements elsewhere; 0 can start now under its maximumPercent',
      }),
    );
  });
});

describe('desired capacity Auto Scaling fails to launch is not capacity on the way', () => {
  const ICE =
    'We currently do not have sufficient m5.large capacity in the Availability Zone you requested (us-east-1a). Our system will be working on provisioning additional capacity. Launching EC2 instance failed.';
  const failedLaunch = (id: string, secondsAgo: number, StatusMessage = ICE): Activity => ({
    ActivityId: id,
    AutoScalingGroupName: 'web-asg',
    Cause:
      'At 2025-01-15T03:00:00Z a user request explicitly set group desired capacity changing the desired capacity from 3 to 5.',
    Description: `Launching a new EC2 instance.  Status Reason: ${StatusMessage}`,
    StartTime: new Date(NOW - secondsAgo * 1000),
    StatusCode: 'Failed',
    StatusMessage,
    Progress: 100,
  });
  /** Three full instances, desired 5 (2 not launched), api missing `missing` tasks (3 per new m5.large). */
  const world = (missing: number, extra: Partial<World> = {}) =>
    mockWorld({
      instances: threeFull,
      services: [apiService(9 + missing, 9), logRouter],
      group: { DesiredCapacity: 5 },
      ...extra,
    });

  it('launches not failing: the 2 requested instances take the 6 pending tasks (no scale-out)', async () => {
    world(6);
    const summary = await runPass();
    expect(summary.providers[0]?.reasons?.[0]).toMatch(/6 on instances booting or requested, 0 need new/);
    expect(summary.providers[0]?.launchFailures).toBeUndefined();
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('launches failing: the requested instances stop counting, the failure is reported in Auto Scaling words; desired already covers the demand, so it stays', async () => {
    world(6, { activities: [failedLaunch('a-2', 20), failedLaunch('a-1', 80)] });
    const warn = vi.spyOn(tools.logger, 'warn');
    const added: [string, number][] = [];
    const single = tools.metrics.singleMetric.bind(tools.metrics);
    vi.spyOn(tools.metrics, 'singleMetric').mockImplementation(() => {
      const metrics = single();
      const add = metrics.addMetric.bind(metrics);
      vi.spyOn(metrics, 'addMetric').mockImplementation((name, unit, value) => {
        added.push([name, value]);
        return add(name, unit, value);
      });
      return metrics;
    });
    const summary = await runPass();
    const outcome = summary.providers[0];
    expect(outcome?.reasons).toEqual(
      expect.arrayContaining([
        '6 pending task(s): 0 fit on registered instances, 0 on instances booting or requested, 6 need new instances',
        `launches failing on web-asg: 2 failed launch(es) since 2025-01-15T03:03:40.000Z, the latest (Failed at 2025-01-15T03:04:40.000Z): ${ICE}`,
        '0 instance(s) booting count as capacity on the way; 2 requested do not (Auto Scaling fails to launch them)',
        'desired capacity 5 -> 5',
      ]),
    );
    expect(outcome?.launchFailures).toEqual({ count: 2, latest: ICE });
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(warn).toHaveBeenCalledWith(
      'Launches failing',
      expect.objectContaining({
        group: 'web-asg',
        failures: 2,
        statusCode: 'Failed',
        statusMessage: ICE,
        requestedNotLaunched: 2,
      }),
    );
    expect(added).toContainEqual(['LaunchFailures', 2]);
  });

  it('more demand while launches fail: raised once (5 -> 7 for 12 tasks), and the raise is recorded', async () => {
    world(12, {
      activities: [
        failedLaunch(
          'a-1',
          30,
          'The subnet ID subnet-0a1b has no available IP addresses. Launching EC2 instance failed.',
        ),
      ],
    });
    const summary = await runPass();
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 7 });
    expect(summary.providers[0]?.reasons).toContain(
      'launches are failing: desired capacity raised once more for the demand, not again for 600 s while they keep failing',
    );
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        pk: 'capacity#web#launch',
        sk: 'web-asg-cp',
        raisedAt: new Date(NOW).toISOString(),
      }),
    });
  });

  it('still failing a minute after that raise: no second raise for the same demand', async () => {
    world(12, {
      group: { DesiredCapacity: 7 },
      activities: [failedLaunch('a-2', 10), failedLaunch('a-1', 70)],
      failingRaiseAt: new Date(NOW - 60_000).toISOString(),
    });
    const summary = await runPass(undefined, { DRY_RUN: 'true' });
    expect(summary.providers[0]?.plan).toMatchObject({ scaleOut: 0, desiredCapacity: 7 });
    mockWorld({
      instances: threeFull,
      services: [apiService(9 + 15, 9), logRouter],
      group: { DesiredCapacity: 7 },
      activities: [failedLaunch('a-2', 10), failedLaunch('a-1', 70)],
      failingRaiseAt: new Date(NOW - 60_000).toISOString(),
    });
    const more = await runPass();
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(more.providers[0]?.reasons).toContain(
      'no scale-out: launches are failing on web-asg and its desired capacity was raised for them at 2025-01-15T03:04:00.000Z, less than the boot timeout (600 s) ago; the 1 more instance(s) needed are not requested before 2025-01-15T03:14:00.000Z',
    );
    expect(ddbMock).not.toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: 'capacity#web#launch' }),
    });
  });

  it('a boot timeout after that raise, still failing and the demand grown: raised once more', async () => {
    mockWorld({
      instances: threeFull,
      services: [apiService(9 + 15, 9), logRouter],
      group: { DesiredCapacity: 7 },
      activities: [failedLaunch('a-2', 10)],
      failingRaiseAt: new Date(NOW - 601_000).toISOString(),
    });
    await runPass();
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 8 });
  });

  it('a launch under way after the failures (capacity came back): the requested instances count again', async () => {
    world(6, {
      activities: [
        {
          ActivityId: 'a-3',
          AutoScalingGroupName: 'web-asg',
          Cause: 'scale-capacity',
          Description: 'Launching a new EC2 instance: i-0a1b2c3d4e5f60009',
          StartTime: new Date(NOW - 5_000),
          StatusCode: 'InProgress',
        },
        failedLaunch('a-2', 20),
      ],
    });
    const summary = await runPass();
    expect(summary.providers[0]?.launchFailures).toBeUndefined();
    expect(summary.providers[0]?.reasons?.[0]).toMatch(/6 on instances booting or requested/);
  });

  it('failures older than the boot timeout are not current', async () => {
    world(6, { activities: [failedLaunch('a-1', 700)] });
    const summary = await runPass();
    expect(summary.providers[0]?.launchFailures).toBeUndefined();
  });
});

describe('blue/green (CODE_DEPLOY) and EXTERNAL services: the task sets hold the counts', () => {
  const definitions = {
    'api:4': {
      ...BASE_DEFINITIONS['api:3'],
      revision: 4,
      containerDefinitions: [{ name: 'api', cpu: 1024, memoryReservation: 1024 }],
    },
  };
  /** api desired 6: blue (api:3) runs 6 on the three full instances, green (api:4) starts 6. */
  const blueGreen = (green: Record<string, unknown> = {}, extra: Partial<Service> = {}) =>
    apiService(6, 6, {
      deploymentController: { type: 'CODE_DEPLOY' },
      taskDefinition: tdArn('api:3'),
      taskSets: [
        {
          id: 'ecs-svc/blue',
          status: 'PRIMARY',
          taskDefinition: tdArn('api:3'),
          computedDesiredCount: 6,
          runningCount: 6,
          pendingCount: 0,
        },
        {
          id: 'ecs-svc/green',
          status: 'ACTIVE',
          taskDefinition: tdArn('api:4'),
          computedDesiredCount: 6,
          runningCount: 0,
          pendingCount: 0,
          ...green,
        },
      ],
      ...extra,
    });

  it('the green task set gets capacity of its own shape (6 tasks of 1024 CPU: 1 per m5.large after the daemon, 6 instances)', async () => {
    mockWorld({ instances: threeFull, services: [blueGreen(), logRouter], definitions });
    const summary = await runPass();
    expect(summary.providers[0]?.reasons?.[0]).toBe(
      '6 pending task(s): 0 fit on registered instances, 0 on instances booting or requested, 6 need new instances',
    );
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 9 });
  });

  it('a task set on another provider (its own strategy) buys nothing here', async () => {
    mockWorld({
      instances: threeFull,
      services: [
        blueGreen({ capacityProviderStrategy: [{ capacityProvider: 'spot-cp', weight: 1 }] }),
        logRouter,
      ],
      definitions,
    });
    const summary = await runPass();
    expect(summary.providers[0]?.reasons?.[0]).toBe('no pending demand');
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('the service constraints apply to the task set: distinctInstance puts one green task per new instance', async () => {
    mockWorld({
      instances: threeFull,
      services: [
        blueGreen(
          { taskDefinition: tdArn('api:3'), computedDesiredCount: 4 },
          { placementConstraints: [{ type: 'distinctInstance' }] },
        ),
        logRouter,
      ],
      definitions,
    });
    const summary = await runPass(undefined, { DRY_RUN: 'true' });
    expect(summary.providers[0]?.plan).toMatchObject({ newInstances: 4, demand: { tasks: 4 } });
  });
});

describe('awsvpc tasks on trunked instances (ENI trunking, awsvpcTrunking)', () => {
  const TRUNK = 'eni-0123456789abcdef0';
  const trunked = { 'ecs.awsvpc-trunk-id': TRUNK };
  const awsvpcWorker = (desired: number, cpu = 256, memory = 512): World => ({
    instances: [],
    services: [
      logRouter,
      {
        serviceName: 'worker',
        status: 'ACTIVE',
        schedulingStrategy: 'REPLICA',
        desiredCount: desired,
        runningCount: 0,
        pendingCount: 0,
        taskDefinition: tdArn('small-worker:1'),
        capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1 }],
      },
    ],
    definitions: {
      'small-worker:1': {
        family: 'small-worker',
        revision: 1,
        networkMode: 'awsvpc',
        cpu: String(cpu),
        memory: String(memory),
        containerDefinitions: [{ name: 'worker' }],
      },
    },
  });
  const empty = (id: string, attributes: Record<string, string> = {}, type = 'm5.large') => ({
    id,
    type,
    zone: 'us-east-1a',
    cpuFree: 1920,
    memFree: 7424,
    running: 1,
    protected: false,
    attributes,
  });
  const eni = (id: string, networkInterfaceId: string) => ({
    id,
    type: 'ElasticNetworkInterface',
    status: 'ATTACHED',
    details: [{ name: 'networkInterfaceId', value: networkInterfaceId }],
  });

  it('6 small awsvpc tasks fit one empty trunked m5.large (10 task ENIs): no scale-out', async () => {
    mockWorld({ ...awsvpcWorker(6), instances: [empty('i-01', trunked)] });
    const summary = await runPass();
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    const reasons = summary.providers[0]?.reasons ?? [];
    expect(reasons).toContain(
      '6 pending task(s): 6 fit on registered instances, 0 on instances booting or requested, 0 need new instances',
    );
    expect(
      reasons.some((reason) =>
        reason.includes('new ones count as trunked (awsvpc tasks per instance: m5.large 10)'),
      ),
    ).toBe(true);
  });

  it('control: without the trunk attribute an m5.large takes 2 awsvpc tasks, so 4 need 2 new instances', async () => {
    mockWorld({ ...awsvpcWorker(6), instances: [empty('i-01')] });
    const summary = await runPass();
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 3 });
    const reasons = summary.providers[0]?.reasons ?? [];
    expect(reasons).toContain(
      '6 pending task(s): 2 fit on registered instances, 0 on instances booting or requested, 4 need new instances',
    );
    expect(reasons.some((reason) => reason.startsWith('ENI trunking'))).toBe(false);
  });

  it('task ENIs already on a trunked instance are taken off its 10 (the trunk itself is not); new instances are trunked', async () => {
    const attachments = [
      eni('a-trunk', TRUNK),
      ...Array.from({ length: 8 }, (_, i) => eni(`a-${i}`, `eni-${i}`)),
    ];
    mockWorld({ ...awsvpcWorker(12, 128, 256), instances: [{ ...empty('i-01', trunked), attachments }] });
    const summary = await runPass();
    // 2 on i-01 (10 - 8), the other 10 on one new trunked m5.large (not 5 untrunked ones).
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 2 });
    expect(summary.providers[0]?.reasons).toContain(
      '12 pending task(s): 2 fit on registered instances, 0 on instances booting or requested, 10 need new instances',
    );
  });

  it('new instances count as untrunked unless every registered instance is trunked', async () => {
    mockWorld({ ...awsvpcWorker(16, 128, 256), instances: [empty('i-01', trunked), empty('i-02')] });
    const summary = await runPass();
    // i-01 takes 10, i-02 2; the 4 left need 2 new instances at 2 task ENIs each.
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 4 });
    const reasons = summary.providers[0]?.reasons ?? [];
    expect(reasons).toContain(
      '16 pending task(s): 12 fit on registered instances, 0 on instances booting or requested, 4 need new instances',
    );
    expect(reasons).toContain(
      'ENI trunking: 1 of 2 registered instance(s) of web-asg are trunked; new ones count as not trunked',
    );
  });

  it('a trunked type the ECS table lacks keeps its ENIs without trunking, and the plan says so', async () => {
    mockWorld({ ...awsvpcWorker(6), instances: [empty('i-01', trunked, 'm7i.large')] });
    const summary = await runPass();
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 3 });
    expect(summary.providers[0]?.reasons).toContain(
      'ENI trunking: m7i.large is not in the ECS trunking table; its trunked instances count its ENIs without trunking (2): set its enis in INSTANCE_TYPES',
    );
  });

  it('INSTANCE_TYPES enis wins over the trunking table, for registered and new instances', async () => {
    mockWorld({ ...awsvpcWorker(6), instances: [empty('i-01', trunked)] });
    await runPass(undefined, { INSTANCE_TYPES: '{"m5.large":{"cpu":2048,"memoryMiB":7680,"enis":4}}' });
    // 4 on i-01, the other 2 on one new instance of 4.
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 2 });
  });
});
