import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  ClusterNotFoundException,
  ECSServiceException,
  ListContainerInstancesCommand,
  ListTasksCommand,
  StopTaskCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  asgMock,
  BASE_ENV,
  ecsMock,
  FakeCluster,
  fixture,
  GROUP,
  HOOK,
  I1,
  I2,
  I3,
  lambdaContext,
  startStateTable,
} from '../../test/support/drain-handler';
import type { DrainSummary } from './handle';

const clock = vi.hoisted(() => ({ onSleep: undefined as undefined | (() => unknown), sleeps: 0 }));

// Sleeping moves the faked clock instead of waiting, so a 10-minute drain runs in milliseconds.
vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return {
    ...original,
    sleep: async (ms: number) => {
      vi.setSystemTime(Date.now() + ms);
      clock.sleeps++;
      await clock.onSleep?.();
    },
  };
});

const EVENT_TIME = Date.parse('2026-11-21T03:00:00Z');
const terminate = fixture('terminate-lifecycle-action.json');
const warmPool = fixture('warm-pool-move.json');
const spot = fixture('spot-interruption-warning.json');
const tick = fixture('reconcile-tick.json');

let cluster: FakeCluster;
let table: { close: () => Promise<void> };
let metricNames: string[];

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

async function loadHandler(env: Partial<typeof BASE_ENV> = {}) {
  Object.assign(process.env, BASE_ENV, env);
  vi.resetModules();
  const { handler } = await import('./index');
  return handler as Handler;
}

async function invoke(handler: Handler, event: unknown, timeoutMs = 300_000, requestId?: string) {
  return (await handler(event, lambdaContext(timeoutMs, requestId))) as DrainSummary;
}

async function storedDrain(instanceId: string) {
  const { getDrain } = await import('../../shared/state/drain');
  return getDrain(BASE_ENV.STATE_TABLE, instanceId);
}

const stopReasons = () => ecsMock.commandCalls(StopTaskCommand).map((call) => call.args[0].input.reason);
const mutatingCalls = () =>
  ecsMock.commandCalls(UpdateContainerInstancesStateCommand).length +
  ecsMock.commandCalls(StopTaskCommand).length +
  asgMock.commandCalls(CompleteLifecycleActionCommand).length +
  asgMock.commandCalls(RecordLifecycleActionHeartbeatCommand).length;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(EVENT_TIME + 5_000);
  clock.onSleep = undefined;
  clock.sleeps = 0;
  table = await startStateTable();
  cluster = new FakeCluster();
  cluster.install();
  metricNames = [];
  vi.spyOn(Metrics.prototype, 'addMetric').mockImplementation(function (this: Metrics, name: string) {
    metricNames.push(name);
    return this;
  } as Metrics['addMetric']);
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  await table.close();
});

describe('terminate lifecycle action', () => {
  it('sets the instance DRAINING, waits until its service tasks have stopped, then completes CONTINUE', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 3);
    cluster.addTasks(I1, 1, { group: 'service:log-router' }); // DAEMON: stopped last, waited for
    cluster.waitOnHook(I1);
    clock.onSleep = () => cluster.progressServiceTasks();
    const handler = await loadHandler();

    const summary = await invoke(handler, terminate);

    expect(summary.instances).toEqual([
      expect.objectContaining({
        instanceId: I1,
        cluster: 'web',
        outcome: 'completed',
        verdict: 'drained',
        passes: 4, // 3 for the service tasks, one more for the daemon stopped last
      }),
    ]);
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateContainerInstancesStateCommand, 1);
    expect(ecsMock).toHaveReceivedCommandWith(UpdateContainerInstancesStateCommand, {
      cluster: 'web',
      status: 'DRAINING',
    });
    expect(asgMock).toHaveReceivedCommandTimes(CompleteLifecycleActionCommand, 1);
    expect(asgMock).toHaveReceivedCommandWith(CompleteLifecycleActionCommand, {
      AutoScalingGroupName: GROUP,
      LifecycleHookName: HOOK,
      InstanceId: I1,
      LifecycleActionToken: '87654321-4321-4321-4321-210987654321',
      LifecycleActionResult: 'CONTINUE',
    });
    // Completed only after every api task reported STOPPED, with the daemon task still running.
    expect(
      cluster.tasks.filter((task) => task.group === 'service:api').map((task) => task.lastStatus),
    ).toEqual(['STOPPED', 'STOPPED', 'STOPPED']);
    expect(metricNames.sort()).toEqual(['DrainDuration', 'DrainsCompleted', 'DrainsStarted']);
    expect(await storedDrain(I1)).toMatchObject({ outcome: 'drained', startedAt: EVENT_TIME + 5_000 });
  });

  it('keeps the action open while tasks are STOPPING (desired STOPPED, not yet stopped)', async () => {
    cluster.register(I1, 'DRAINING');
    cluster.addTasks(I1, 2, { desiredStatus: 'STOPPED', lastStatus: 'STOPPING' });
    cluster.waitOnHook(I1);
    const handler = await loadHandler();

    const summary = await invoke(handler, terminate, 60_000);

    expect(summary.instances[0]).toMatchObject({ outcome: 'waiting', verdict: 'waiting', remainingTasks: 2 });
    expect(asgMock).not.toHaveReceivedCommand(CompleteLifecycleActionCommand);
    // It returned before its own timeout, and gave its lease back for the next pass.
    expect(Date.now()).toBeLessThan(EVENT_TIME + 5_000 + 60_000);
    expect((await storedDrain(I1))?.leaseOwner).toBeUndefined();
  });

  it('completes at once when the instance is not registered in ECS', async () => {
    cluster.waitOnHook(I1);
    const handler = await loadHandler();
    const summary = await invoke(handler, terminate);
    expect(summary.instances[0]).toMatchObject({
      outcome: 'completed',
      verdict: 'not-registered',
      passes: 1,
    });
    expect(ecsMock).not.toHaveReceivedCommand(UpdateContainerInstancesStateCommand);
    expect(asgMock).toHaveReceivedCommandTimes(CompleteLifecycleActionCommand, 1);
  });

  it('counts "No active Lifecycle Action found" as already done', async () => {
    const handler = await loadHandler(); // no open action: someone completed it, or it expired
    const summary = await invoke(handler, terminate);
    expect(summary.instances[0]).toMatchObject({ outcome: 'completed', verdict: 'not-registered' });
    expect(asgMock).toHaveReceivedCommandTimes(CompleteLifecycleActionCommand, 1);
  });

  it('records heartbeats while it waits, at most every interval and a third of the hook timeout', async () => {
    cluster.hooks[0] = { ...cluster.hooks[0], HeartbeatTimeout: 90 };
    cluster.register(I1, 'DRAINING');
    cluster.addTasks(I1, 1, { desiredStatus: 'STOPPED', lastStatus: 'STOPPING' });
    cluster.waitOnHook(I1);
    const handler = await loadHandler({ HEARTBEAT_INTERVAL_SECONDS: '60' });

    await invoke(handler, terminate, 125_000);

    const beats = asgMock.commandCalls(RecordLifecycleActionHeartbeatCommand);
    // A heartbeat first, at +5 s, before anything else; passes at +5 s, +15 s ... +115 s (then no time
    // for another sleep); a heartbeat is due every 30 s (a third of 90 s, under the 60 s configured):
    // +35, +65, +95.
    expect(beats.length).toBe(4);
    expect(beats[0]?.args[0].input).toMatchObject({ InstanceId: I1, LifecycleHookName: HOOK });
    expect((await storedDrain(I1))?.lastHeartbeatAt).toBe(EVENT_TIME + 95_000);
  });

  it('stops when the lifecycle action goes away under it', async () => {
    cluster.register(I1, 'DRAINING');
    cluster.addTasks(I1, 1, { desiredStatus: 'STOPPED', lastStatus: 'STOPPING' });
    cluster.waitOnHook(I1);
    clock.onSleep = () => {
      if (clock.sleeps === 3) cluster.openActions.delete(I1); // expired, or completed by a person
    };
    const handler = await loadHandler({ HEARTBEAT_INTERVAL_SECONDS: '10' });
    const summary = await invoke(handler, terminate);
    expect(summary.instances[0]).toMatchObject({ outcome: 'action-ended' });
    expect(asgMock).not.toHaveReceivedCommand(CompleteLifecycleActionCommand);
    expect(await storedDrain(I1)).toMatchObject({ outcome: 'lifecycle-action-ended' });
  });

  it('ends the wait at the deadline, naming the tasks still there, with a metric', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 1, { group: 'family:report', startedBy: 'ecs-autopilot/nightly-report' });
    cluster.waitOnHook(I1);
    clock.onSleep = () => cluster.progressServiceTasks();
    const handler = await loadHandler({ DRAIN_DEADLINE_SECONDS: '60' });

    const summary = await invoke(handler, terminate);

    expect(summary.instances[0]).toMatchObject({
      outcome: 'completed',
      verdict: 'deadline-expired',
      remainingTasks: 1,
    });
    expect(Date.now() - (EVENT_TIME + 5_000)).toBe(60_000);
    expect(ecsMock).not.toHaveReceivedCommand(StopTaskCommand);
    expect(metricNames).toContain('DrainDeadlineExpired');
  });
});

describe('standalone tasks', () => {
  it('waits for them under the default policy', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 1, { group: 'family:report', startedBy: 'ecs-autopilot/nightly-report' });
    cluster.waitOnHook(I1);
    const handler = await loadHandler();
    const summary = await invoke(handler, terminate, 120_000);
    expect(summary.instances[0]).toMatchObject({ outcome: 'waiting', remainingTasks: 1 });
    expect(ecsMock).not.toHaveReceivedCommand(StopTaskCommand);
  });

  it('stops them after the configured seconds with a reason naming ecs-autopilot and the instance', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 2);
    cluster.addTasks(I1, 2, { group: 'family:report', startedBy: 'ecs-autopilot/nightly-report' });
    cluster.waitOnHook(I1);
    clock.onSleep = () => {
      cluster.progressServiceTasks();
      cluster.stopStoppingTasks();
    };
    const handler = await loadHandler({ STANDALONE_TASK_POLICY: '{"web-asg":"stop-after:30"}' });

    const summary = await invoke(handler, terminate);

    expect(summary.instances[0]).toMatchObject({
      outcome: 'completed',
      verdict: 'drained',
      standaloneTasksStopped: 2,
    });
    expect(stopReasons()).toEqual([
      `Stopped by ecs-autopilot: draining EC2 instance ${I1} (Auto Scaling group web-asg) before Auto Scaling terminates it`,
      `Stopped by ecs-autopilot: draining EC2 instance ${I1} (Auto Scaling group web-asg) before Auto Scaling terminates it`,
    ]);
    expect(metricNames).toContain('StandaloneTasksStopped');
  });

  it('says "warm pool" when the instance goes back to the warm pool', async () => {
    cluster.register(I2);
    cluster.addTasks(I2, 1, { group: 'family:report', startedBy: 'x' });
    cluster.waitOnHook(I2, 'Warmed:Pending:Wait');
    clock.onSleep = () => cluster.stopStoppingTasks();
    const handler = await loadHandler({ STANDALONE_TASK_POLICY: '{"*":"stop-after:0"}' });
    const summary = await invoke(handler, warmPool);
    expect(summary.instances[0]).toMatchObject({ instanceId: I2, outcome: 'completed' });
    expect(stopReasons()[0]).toMatch(/before Auto Scaling returns it to the warm pool$/);
  });
});

describe('idempotence and concurrency', () => {
  it('does nothing for a duplicate of an event whose drain completed', async () => {
    cluster.register(I1);
    cluster.waitOnHook(I1);
    const handler = await loadHandler();
    await invoke(handler, terminate);
    ecsMock.resetHistory();
    asgMock.resetHistory();
    metricNames.length = 0;

    const again = await invoke(handler, terminate);

    expect(again.instances[0]).toMatchObject({ outcome: 'already-completed', reason: 'drained' });
    expect(ecsMock.calls()).toHaveLength(0);
    expect(asgMock).not.toHaveReceivedCommand(CompleteLifecycleActionCommand);
    expect(metricNames).toEqual([]);
  });

  it('lets one of two overlapping invocations drain; one start, one completion', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 2);
    cluster.waitOnHook(I1);
    clock.onSleep = () => {
      if (clock.sleeps % 3 === 0) cluster.progressServiceTasks();
    };
    const handler = await loadHandler();

    const outcomes = (
      await Promise.all([
        invoke(handler, terminate, 300_000, 'req-a'),
        invoke(handler, terminate, 300_000, 'req-b'),
      ])
    ).map((summary) => summary.instances[0]?.outcome);

    // The other one found the drain leased, or (if it came late) already completed.
    expect(outcomes.filter((outcome) => outcome === 'completed')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome !== 'completed')).toEqual([
      expect.stringMatching(/^(in-progress-elsewhere|already-completed)$/),
    ]);
    expect(asgMock).toHaveReceivedCommandTimes(CompleteLifecycleActionCommand, 1);
    expect(metricNames.filter((name) => name === 'DrainsStarted')).toHaveLength(1);
    expect(metricNames.filter((name) => name === 'DrainsCompleted')).toHaveLength(1);
  });

  it('drains again when the same instance comes back with a new lifecycle action (warm pool reuse)', async () => {
    cluster.register(I1);
    cluster.waitOnHook(I1);
    const handler = await loadHandler();
    await invoke(handler, terminate);
    cluster.register(I1); // reactivated after leaving the warm pool
    cluster.waitOnHook(I1);
    vi.setSystemTime(Date.now() + 3_600_000);
    const next = {
      ...terminate,
      detail: { ...terminate.detail, LifecycleActionToken: 'aaaaaaaa-0000-4000-8000-00000000a2c7' },
    };

    const summary = await invoke(handler, next);

    expect(summary.instances[0]).toMatchObject({ outcome: 'completed' });
    expect(metricNames.filter((name) => name === 'DrainsStarted')).toHaveLength(2);
    expect(asgMock).toHaveReceivedCommandTimes(CompleteLifecycleActionCommand, 2);
  });
});

describe('cluster and foreign events', () => {
  it('takes the cluster from the group tag when the hook metadata names none', async () => {
    cluster.hooks[0] = { ...cluster.hooks[0], NotificationMetadata: undefined };
    cluster.groupTags = [
      { Key: 'ecs-autopilot:cluster', Value: 'arn:aws:ecs:us-east-1:123456789012:cluster/batch' },
    ];
    const handler = await loadHandler();
    const event = { ...terminate, detail: { ...terminate.detail, NotificationMetadata: 'drain me' } };
    const summary = await invoke(handler, event);
    expect(summary.instances[0]).toMatchObject({ cluster: 'batch' });
    expect(asgMock).toHaveReceivedCommand(DescribeAutoScalingGroupsCommand);
    expect(ecsMock).toHaveReceivedCommandWith(ListContainerInstancesCommand, { cluster: 'batch' });
  });

  it('falls back to DEFAULT_CLUSTER, and refuses to guess without one', async () => {
    cluster.hooks[0] = { ...cluster.hooks[0], NotificationMetadata: undefined };
    cluster.groupTags = [];
    const event = { ...terminate, detail: { ...terminate.detail, NotificationMetadata: undefined } };
    const withDefault = await invoke(await loadHandler({ DEFAULT_CLUSTER: 'web' }), event);
    expect(withDefault.instances[0]).toMatchObject({ cluster: 'web', outcome: 'completed' });

    ecsMock.resetHistory();
    const without = await invoke(await loadHandler({ DEFAULT_CLUSTER: '' }), event);
    expect(without.instances[0]).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/no cluster for group web-asg/),
    });
    expect(ecsMock.calls()).toHaveLength(0);
    expect(metricNames).toContain('DrainErrors');
  });

  it('ignores other groups, other hooks, other clusters and other transitions without a call', async () => {
    const cases: Array<[unknown, Partial<typeof BASE_ENV>, RegExp]> = [
      [
        { ...terminate, detail: { ...terminate.detail, AutoScalingGroupName: 'batch-asg' } },
        {},
        /group batch-asg is not one of/,
      ],
      [
        {
          ...terminate,
          detail: { ...terminate.detail, LifecycleHookName: 'ecs-managed-draining-termination-hook' },
        },
        {},
        /hook .* is not one of/,
      ],
      [terminate, { CLUSTERS: 'payments' }, /cluster web is not one of CLUSTERS/],
      [
        {
          ...terminate,
          detail: { ...terminate.detail, LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' },
        },
        {},
        /not a termination/,
      ],
    ];
    for (const [event, env, reason] of cases) {
      const summary = await invoke(await loadHandler(env), event);
      expect(summary.ignored).toMatch(reason);
    }
    expect(ecsMock.calls()).toHaveLength(0);
    expect(mutatingCalls()).toBe(0);
  });

  it('acknowledges the test notification and rejects a malformed event, changing nothing', async () => {
    const handler = await loadHandler();
    expect(await invoke(handler, fixture('test-notification.json'))).toMatchObject({
      trigger: 'test-notification',
      ignored: 'autoscaling:TEST_NOTIFICATION',
    });
    expect(await handler(fixture('malformed.json'), lambdaContext(1000))).toEqual({
      status: 'rejected',
      error: {
        name: 'BadEventError',
        source: 'lifecycle action event',
        issues: [
          {
            path: 'detail.EC2InstanceId',
            message: 'expected an EC2 instance id such as i-0a1b2c3d4e5f60001',
          },
        ],
      },
    });
    expect(ecsMock.calls()).toHaveLength(0);
    expect(asgMock.calls()).toHaveLength(0);
  });

  it('reports a missing cluster as a failure instead of retrying, and frees the instance for the next pass', async () => {
    ecsMock
      .on(ListContainerInstancesCommand)
      .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));
    const handler = await loadHandler();
    const summary = await invoke(handler, terminate);
    expect(summary.instances[0]).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/cluster web not found/),
    });
    expect((await storedDrain(I1))?.leaseOwner).toBeUndefined();
  });

  it('rethrows other AWS errors so Lambda retries the event', async () => {
    ecsMock.on(ListContainerInstancesCommand).rejects(
      new ECSServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'not allowed',
        $metadata: {},
      }),
    );
    const handler = await loadHandler();
    await expect(invoke(handler, terminate)).rejects.toThrow(
      /ecs:ListContainerInstances on web failed: AccessDeniedException/,
    );
  });
});

describe('Spot interruption warning', () => {
  it('drains at once and stops standalone tasks right away under stop-after; nothing to complete', async () => {
    cluster.register(I3);
    cluster.addTasks(I3, 2);
    cluster.addTasks(I3, 1, { group: 'family:report', startedBy: 'ecs-autopilot/nightly-report' });
    const handler = await loadHandler({ STANDALONE_TASK_POLICY: '{"web-asg":"stop-after:900"}' });

    const summary = await invoke(handler, spot);

    expect(summary.instances[0]).toMatchObject({
      instanceId: I3,
      outcome: 'spot-drain-started',
      standaloneTasksStopped: 1,
    });
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateContainerInstancesStateCommand, 1);
    expect(stopReasons()[0]).toMatch(/after a Spot interruption warning$/);
    expect(asgMock).not.toHaveReceivedCommand(CompleteLifecycleActionCommand);
    expect(asgMock).not.toHaveReceivedCommand(RecordLifecycleActionHeartbeatCommand);
    expect(clock.sleeps).toBe(0);
  });

  it('acts at once even while another invocation is draining the instance', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 1);
    cluster.addTasks(I1, 1, { group: 'family:report', startedBy: 'ecs-autopilot/nightly-report' });
    cluster.waitOnHook(I1);
    const handler = await loadHandler({ STANDALONE_TASK_POLICY: '{"web-asg":"stop-after:900"}' });
    let during: DrainSummary | undefined;
    clock.onSleep = async () => {
      if (clock.sleeps === 1) {
        during = await invoke(handler, {
          ...spot,
          detail: { 'instance-id': I1, 'instance-action': 'terminate' },
        });
      }
    };
    await invoke(handler, terminate, 30_000, 'req-event');
    expect(during?.instances[0]).toMatchObject({ outcome: 'spot-drain-started', standaloneTasksStopped: 1 });
    expect(stopReasons()).toEqual([expect.stringMatching(/after a Spot interruption warning$/)]);
  });

  it('ignores instances outside the configured groups', async () => {
    const handler = await loadHandler();
    const summary = await invoke(handler, spot); // I3 is in no group here
    expect(summary.ignored).toMatch(/not in an Auto Scaling group/);
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('is continued by the lifecycle action that follows, from the same start', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 1, { desiredStatus: 'STOPPED', lastStatus: 'STOPPING' });
    const handler = await loadHandler({ DRAIN_DEADLINE_SECONDS: '120' });
    await invoke(handler, { ...spot, detail: { 'instance-id': I1, 'instance-action': 'terminate' } });
    cluster.waitOnHook(I1);
    vi.setSystemTime(Date.now() + 90_000);

    const summary = await invoke(handler, terminate);

    // 120 s deadline counted from the Spot warning: reached 30 s into the lifecycle invocation.
    expect(summary.instances[0]).toMatchObject({ outcome: 'completed', verdict: 'deadline-expired' });
    expect(metricNames.filter((name) => name === 'DrainsStarted')).toHaveLength(1);
    expect((await storedDrain(I1))?.tokenHash).toBeDefined();
  });
});

describe('reconcile pass', () => {
  it('costs one call when no instance is waiting', async () => {
    cluster.register(I1);
    const handler = await loadHandler();
    const summary = await invoke(handler, tick);
    expect(summary).toMatchObject({ trigger: 'reconcile', waiting: 0, instances: [] });
    expect(asgMock.calls()).toHaveLength(1);
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('finishes a drain whose event was lost', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 2);
    cluster.waitOnHook(I1);
    const handler = await loadHandler();

    const first = await invoke(handler, tick, 55_000);
    expect(first.instances[0]).toMatchObject({ instanceId: I1, outcome: 'waiting' });
    // The probe heartbeat told it the instance waits on our hook; it counts as the first heartbeat.
    expect(asgMock).toHaveReceivedCommandTimes(RecordLifecycleActionHeartbeatCommand, 1);
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateContainerInstancesStateCommand, 1);

    let last = first;
    for (let minute = 1; minute <= 4 && last.instances[0]?.outcome !== 'completed'; minute++) {
      vi.setSystemTime(Date.now() + 60_000);
      cluster.progressServiceTasks();
      last = await invoke(handler, tick, 55_000);
    }
    expect(last.instances[0]).toMatchObject({ outcome: 'completed', verdict: 'drained' });
    expect(cluster.completed).toEqual([I1]);
    expect(metricNames.filter((name) => name === 'DrainsStarted')).toHaveLength(1);
  });

  it('finishes a drain whose invocation ran out of time', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 2);
    cluster.waitOnHook(I1);
    const handler = await loadHandler();

    const cut = await invoke(handler, terminate, 12_000);
    expect(cut.instances[0]).toMatchObject({ outcome: 'waiting', passes: 1 });
    cluster.progressServiceTasks();
    cluster.progressServiceTasks();
    vi.setSystemTime(Date.now() + 60_000);

    const next = await invoke(handler, tick, 55_000);
    expect(next.instances[0]).toMatchObject({ outcome: 'completed' });
    expect(asgMock).toHaveReceivedCommandTimes(CompleteLifecycleActionCommand, 1);
    // The drain kept the start the event recorded: no second DrainsStarted; two heartbeats: the event's
    // first one, then the pass's (due before the next pass), sent ahead of the step.
    expect(metricNames.filter((name) => name === 'DrainsStarted')).toHaveLength(1);
    expect(asgMock).toHaveReceivedCommandTimes(RecordLifecycleActionHeartbeatCommand, 2);
  });

  it('defers to no time at all: with under a step of time left the event secures the instance, the pass drains it', async () => {
    cluster.register(I1);
    cluster.waitOnHook(I1);
    const handler = await loadHandler();
    const summary = await invoke(handler, terminate, 6_000);
    expect(summary.instances[0]).toMatchObject({ outcome: 'deferred' });
    // Safety needs no time budget: heartbeat and DRAINING went out; no task was looked at.
    expect(asgMock).toHaveReceivedCommandTimes(RecordLifecycleActionHeartbeatCommand, 1);
    expect(cluster.instances.get(I1)?.status).toBe('DRAINING');
    expect(ecsMock).not.toHaveReceivedCommand(ListTasksCommand);
  });

  it('leaves alone an instance an invocation is draining right now', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 1);
    cluster.waitOnHook(I1);
    const handler = await loadHandler();
    let during: DrainSummary | undefined;
    clock.onSleep = async () => {
      if (clock.sleeps === 1) during = await invoke(handler, tick, 55_000, 'req-reconcile');
      cluster.progressServiceTasks();
    };
    const summary = await invoke(handler, terminate, 300_000, 'req-event');
    expect(during?.instances).toEqual([
      expect.objectContaining({ instanceId: I1, outcome: 'in-progress-elsewhere' }),
    ]);
    expect(summary.instances[0]).toMatchObject({ outcome: 'completed' });
  });

  it('skips instances waiting on someone else’s hook, or launched into the warm pool', async () => {
    cluster.register(I1);
    cluster.register(I2);
    cluster.lifecycle.set(I1, 'Terminating:Wait'); // held by another hook; ours is done
    cluster.lifecycle.set(I2, 'Warmed:Pending:Wait'); // a launch into the warm pool
    const handler = await loadHandler();
    const summary = await invoke(handler, tick);
    expect(summary.instances.map((outcome) => outcome.outcome)).toEqual(['not-ours', 'not-ours']);
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('skips groups that have none of our hooks', async () => {
    cluster.hooks = [];
    cluster.waitOnHook(I1);
    const handler = await loadHandler();
    const summary = await invoke(handler, tick);
    expect(summary.instances[0]).toMatchObject({ outcome: 'not-ours' });
    expect(asgMock).not.toHaveReceivedCommand(RecordLifecycleActionHeartbeatCommand);
  });

  it('does bounded work, the most overdue first', async () => {
    cluster.register(I1);
    cluster.register(I2);
    cluster.addTasks(I1, 1);
    cluster.addTasks(I2, 1);
    cluster.waitOnHook(I1);
    const handler = await loadHandler({ RECONCILE_MAX_INSTANCES: '1' });
    await invoke(handler, terminate, 12_000); // I1 has a drain record now
    cluster.waitOnHook(I2); // I2's event was lost: its hook timer has run for who knows how long
    vi.setSystemTime(Date.now() + 60_000);

    const summary = await invoke(handler, tick);
    expect(summary).toMatchObject({ waiting: 2, deferred: 1 });
    expect(summary.instances.map((outcome) => outcome.instanceId)).toEqual([I2]);
  });
});

describe('dry run', () => {
  it('returns the plan and changes nothing', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 2);
    cluster.addTasks(I1, 1, { group: 'family:report', startedBy: 'x' });
    cluster.waitOnHook(I1);
    const handler = await loadHandler({ DRY_RUN: 'true', STANDALONE_TASK_POLICY: '{"*":"stop-after:0"}' });

    const summary = await invoke(handler, terminate);

    expect(summary).toMatchObject({ dryRun: true });
    expect(summary.instances[0]).toMatchObject({
      outcome: 'planned',
      remainingTasks: 3,
      plan: {
        verdict: 'waiting',
        instanceStatus: 'ACTIVE',
        tasksStillRunning: expect.arrayContaining([expect.stringMatching(/\(family:report, RUNNING\)$/)]),
        actions: [
          { type: 'set-draining', containerInstanceArn: expect.any(String) },
          {
            type: 'stop-standalone-tasks',
            tasks: [expect.any(String)],
            reason: expect.stringMatching(/^Stopped by ecs-autopilot/),
          },
          { type: 'wait', remaining: 3 },
        ],
      },
    });
    expect(mutatingCalls()).toBe(0);
    expect(await storedDrain(I1)).toBeUndefined();
    expect(metricNames).toEqual([]);

    cluster.lifecycle.set(I2, 'Terminating:Wait');
    const pass = await invoke(handler, tick);
    expect(pass.instances.map((outcome) => outcome.outcome)).toEqual(['planned', 'planned']);
    expect(mutatingCalls()).toBe(0);
  });
});

describe('configuration', () => {
  it('warns about hooks the drain cannot keep alive', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    cluster.hooks[0] = { ...cluster.hooks[0], HeartbeatTimeout: 30 };
    cluster.register(I1);
    cluster.addTasks(I1, 1);
    cluster.waitOnHook(I1);
    const handler = await loadHandler();
    await invoke(handler, terminate, 12_000);
    // 100 x 30 s = 3000 s: shorter than the 3600 s deadline.
    expect(warn).toHaveBeenCalledWith(
      'The drain deadline is longer than Auto Scaling lets this hook wait',
      expect.objectContaining({ hookLimitSeconds: 3000, deadlineSeconds: 3600 }),
    );
    vi.setSystemTime(Date.now() + 60_000);
    await invoke(handler, tick);
    expect(warn).toHaveBeenCalledWith(
      'Hook heartbeat timeout too short for the every-minute pass to keep it alive',
      expect.objectContaining({ heartbeatTimeoutSeconds: 30 }),
    );
  });

  it('fails at cold start naming the bad variable', async () => {
    await expect(loadHandler({ AUTO_SCALING_GROUPS: '' })).rejects.toThrow(
      /AUTO_SCALING_GROUPS: expected at least one group name/,
    );
    await expect(loadHandler({ STANDALONE_TASK_POLICY: '{"web-asg":"kill"}' })).rejects.toThrow(
      /STANDALONE_TASK_POLICY: .*expected "wait" or "stop-after:<seconds>", got "kill"/,
    );
    await expect(loadHandler({ POLL_INTERVAL_SECONDS: '0' })).rejects.toThrow(/POLL_INTERVAL_SECONDS/);
  });
});
