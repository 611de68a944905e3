// The reconcile pass at scale: many open drains, instances waiting on other hooks, hooks lost anyway.
// (From the review of drain-instance: the pass used to spend its RECONCILE_MAX_INSTANCES slots on
// instances that were not ours and on visits with no heartbeat, so open drains' hooks expired.)
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { RecordLifecycleActionHeartbeatCommand } from '@aws-sdk/client-auto-scaling';
import { ECSServiceException, ListContainerInstancesCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  asgMock,
  BASE_ENV,
  ecsMock,
  FakeCluster,
  fixture,
  HOOK,
  I1,
  I2,
  lambdaContext,
  noActiveAction,
  startStateTable,
} from '../../test/support/drain-handler';
import type { DrainSummary } from './handle';

const EVENT_TIME = Date.parse('2026-11-21T03:00:00Z');
const HOOK_TIMEOUT_MS = 300_000; // the fixture hook's heartbeat timeout
const terminate = fixture('terminate-lifecycle-action.json');
const tick = fixture('reconcile-tick.json');

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

let cluster: FakeCluster;
let table: { close: () => Promise<void> };
let metricNames: string[];

async function loadHandler(env: Partial<typeof BASE_ENV> = {}) {
  Object.assign(process.env, BASE_ENV, env);
  vi.resetModules();
  const { handler } = await import('./index');
  return handler as Handler;
}

async function invoke(handler: Handler, event: unknown, timeoutMs = 300_000) {
  return (await handler(event, lambdaContext(timeoutMs))) as DrainSummary;
}

async function storedDrain(instanceId: string) {
  const { getDrain } = await import('../../shared/state/drain');
  return getDrain(BASE_ENV.STATE_TABLE, instanceId);
}

const instanceId = (n: number) => `i-0c${n.toString(16).padStart(15, '0')}`;

/** The terminate fixture for another instance, with its own token. */
function terminateFor(id: string, index: number) {
  const suffix = index.toString(16).padStart(12, '0');
  return {
    ...terminate,
    detail: {
      ...terminate.detail,
      EC2InstanceId: id,
      LifecycleActionToken: `87654321-4321-4321-4321-${suffix}`,
    },
  };
}

/** Answers heartbeats like the FakeCluster does, and records when each was sent, per instance. */
function recordHeartbeats() {
  const log = new Map<string, number[]>();
  asgMock
    .on(RecordLifecycleActionHeartbeatCommand)
    .callsFake((input: { InstanceId: string; LifecycleHookName: string }) => {
      if (input.LifecycleHookName !== HOOK || !cluster.openActions.has(input.InstanceId)) {
        throw noActiveAction(input.InstanceId);
      }
      log.set(input.InstanceId, [...(log.get(input.InstanceId) ?? []), Date.now()]);
      return {};
    });
  return log;
}

/** Longest time each hook went without its timer restarted (the event, then each heartbeat), to `end`. */
const longestGap = (times: readonly number[], end: number) =>
  [EVENT_TIME, ...times, end].reduce(
    (gap, at, i, points) => (i === 0 ? gap : Math.max(gap, at - (points[i - 1] as number))),
    0,
  );

const probesOf = (ids: readonly string[]) =>
  asgMock
    .commandCalls(RecordLifecycleActionHeartbeatCommand)
    .filter((call) => ids.includes(call.args[0].input.InstanceId as string)).length;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(EVENT_TIME + 5_000);
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

/** I1 drains slowly; its event invocation runs out of time (5 min in production, 12 s here). */
async function slowDrainLeftToThePass(handler: Handler) {
  const cut = await invoke(handler, terminate, 12_000);
  expect(cut.instances[0]).toMatchObject({ outcome: 'waiting' });
}

describe('reconcile pass with instances waiting on other hooks', () => {
  beforeEach(() => {
    cluster.register(I1);
    cluster.addTasks(I1, 2); // service tasks that take long to stop (no spare capacity, long stopTimeout...)
    cluster.waitOnHook(I1);
  });

  it('keeps an open drain alive while 25 warm-pool launches wait on their launch hook', async () => {
    const heartbeats = recordHeartbeats();
    const handler = await loadHandler();
    await slowDrainLeftToThePass(handler);
    // A warm pool being filled: 25 instances in Warmed:Pending:Wait on a *launch* hook (not ours).
    const launches = Array.from({ length: 25 }, (_, n) => instanceId(n + 1));
    for (const id of launches) cluster.lifecycle.set(id, 'Warmed:Pending:Wait');

    const seen: string[] = [];
    for (let minute = 1; minute <= 6; minute++) {
      vi.setSystemTime(EVENT_TIME + minute * 60_000);
      const summary = await invoke(handler, tick, 55_000);
      seen.push(...summary.instances.filter((o) => o.instanceId === I1).map((o) => o.outcome));
    }

    // The hook timer of I1 started at the event; a heartbeat must reach it within 300 s.
    const firstAfterEvent =
      (heartbeats.get(I1) ?? []).find((at) => at > EVENT_TIME) ?? Number.POSITIVE_INFINITY;
    expect(seen, 'I1 was never looked at by any reconcile pass').not.toEqual([]);
    expect(firstAfterEvent - EVENT_TIME).toBeLessThan(HOOK_TIMEOUT_MS);
    expect(longestGap(heartbeats.get(I1) ?? [], EVENT_TIME + 6 * 60_000)).toBeLessThanOrEqual(60_000 + 5_000);
    // Each launch is asked every pass (one Auto Scaling call, before and without the state table).
    expect(probesOf(launches)).toBe(25 * 6);
  });

  it("keeps an open drain alive while 25 finished drains wait on another team's (slower) terminate hook", async () => {
    const heartbeats = recordHeartbeats();
    const handler = await loadHandler();
    await slowDrainLeftToThePass(handler);
    // 25 instances whose drain we completed, still held in Terminating:Wait by e.g. a log-flush hook or
    // ECS's managed draining hook (which waits for the daemon tasks ours does not wait for).
    for (let n = 1; n <= 25; n++) cluster.lifecycle.set(instanceId(n), 'Terminating:Wait');

    for (let minute = 1; minute <= 6; minute++) {
      vi.setSystemTime(EVENT_TIME + minute * 60_000);
      await invoke(handler, tick, 55_000);
    }
    const firstAfterEvent =
      (heartbeats.get(I1) ?? []).find((at) => at > EVENT_TIME) ?? Number.POSITIVE_INFINITY;
    expect(firstAfterEvent - EVENT_TIME).toBeLessThan(HOOK_TIMEOUT_MS);
  });

  it('with 24 such instances the drain is carried forward too', async () => {
    const heartbeats = recordHeartbeats();
    const handler = await loadHandler();
    await slowDrainLeftToThePass(handler);
    for (let n = 1; n <= 24; n++) cluster.lifecycle.set(instanceId(n), 'Warmed:Pending:Wait');
    for (let minute = 1; minute <= 6; minute++) {
      vi.setSystemTime(EVENT_TIME + minute * 60_000);
      await invoke(handler, tick, 55_000);
    }
    const times = heartbeats.get(I1) ?? [];
    expect((times.find((at) => at > EVENT_TIME) ?? Number.POSITIVE_INFINITY) - EVENT_TIME).toBeLessThan(
      HOOK_TIMEOUT_MS,
    );
  });

  it('an instance found not ours takes no step slot from an open drain', async () => {
    recordHeartbeats();
    const handler = await loadHandler({ RECONCILE_MAX_INSTANCES: '1' });
    await slowDrainLeftToThePass(handler);
    const others = Array.from({ length: 5 }, (_, n) => instanceId(n + 1));
    for (const id of others) cluster.lifecycle.set(id, 'Terminating:Wait');

    vi.setSystemTime(EVENT_TIME + 60_000);
    const first = await invoke(handler, tick, 55_000);
    expect(probesOf(others)).toBe(5);
    // The one step of this pass went to the open drain.
    expect(first.instances.find((o) => o.instanceId === I1)).toMatchObject({ outcome: 'waiting' });
    expect(first.instances.filter((o) => others.includes(o.instanceId)).map((o) => o.outcome)).toEqual(
      others.map(() => 'not-ours'),
    );
    expect(first).toMatchObject({ deferred: 0 });
  });
});

describe('many long drains at once (instance refresh of a large group)', () => {
  it('keeps all 150 hooks alive while their tasks take 10 minutes to stop', {
    timeout: 120_000,
  }, async () => {
    const ids = Array.from({ length: 150 }, (_, n) => instanceId(n + 1));
    for (const id of ids) {
      cluster.register(id);
      cluster.addTasks(id, 1); // e.g. an ALB target in its 300 s deregistration delay, then stopTimeout
      cluster.waitOnHook(id);
    }
    const heartbeats = recordHeartbeats();
    // Production defaults for the heartbeat interval (120 s, capped to a third of 300 s) and the bound.
    // No cap on instances DRAINING at once: this is about heartbeats, every drain runs.
    const handler = await loadHandler({
      HEARTBEAT_INTERVAL_SECONDS: '120',
      RECONCILE_MAX_INSTANCES: '25',
      MAX_DRAINING_PER_CLUSTER: '0',
    });
    // Every event invocation gets its first pass, then its time runs out (the 5-minute timeout, shortened).
    for (const [n, id] of ids.entries()) await invoke(handler, terminateFor(id, n + 1), 12_000);

    const passes: DrainSummary[] = [];
    for (let minute = 1; minute <= 10; minute++) {
      vi.setSystemTime(EVENT_TIME + minute * 60_000);
      passes.push(await invoke(handler, tick, 55_000));
    }

    const end = EVENT_TIME + 10 * 60_000;
    const expired = ids.filter((id) => longestGap(heartbeats.get(id) ?? [], end) >= HOOK_TIMEOUT_MS);
    expect(expired.length, `${expired.length} of 150 hooks expired mid-drain`).toBe(0);
    // Heartbeats are not bound by RECONCILE_MAX_INSTANCES; full steps (the ECS calls) still are.
    expect(Math.max(...passes.map((pass) => pass.heartbeats ?? 0))).toBe(150);
    // Lookups by EC2 id (the disruption budget's list of DRAINING instances, from minute 5, aside).
    const steps = ecsMock
      .commandCalls(ListContainerInstancesCommand)
      .filter((call) => call.args[0].input.filter !== undefined).length;
    // Plus DRAINING first for the instances each pass heartbeated: one lookup per 50 instances.
    expect(steps).toBe(150 /* event passes */ + 10 * 25 + 10 * 3);
    expect(metricNames).not.toContain('DrainHookLost');
  });
});

describe('a hook lost anyway', () => {
  it('is logged as an error and counted once when its heartbeat is refused mid-drain', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 2);
    cluster.waitOnHook(I1);
    const error = vi.spyOn(Logger.prototype, 'error');
    const handler = await loadHandler();
    await slowDrainLeftToThePass(handler);
    // The action expired (or someone completed it); another hook still holds the instance in its wait.
    cluster.openActions.delete(I1);

    vi.setSystemTime(EVENT_TIME + 60_000);
    const summary = await invoke(handler, tick, 55_000);
    expect(summary.instances).toEqual([
      expect.objectContaining({ instanceId: I1, outcome: 'action-ended', remainingTasks: 2 }),
    ]);
    expect(metricNames.filter((name) => name === 'DrainHookLost')).toHaveLength(1);
    expect(error).toHaveBeenCalledWith(
      expect.stringMatching(/^Lifecycle hook lost/),
      expect.objectContaining({
        instanceId: I1,
        lifecycleHook: HOOK,
        heartbeatTimeoutSeconds: 300,
        remainingTasks: 2,
      }),
    );
    expect(await storedDrain(I1)).toMatchObject({ outcome: 'lifecycle-action-ended' });

    // The next pass finds the drain closed: the loss is not reported again, the instance left alone.
    vi.setSystemTime(EVENT_TIME + 120_000);
    await invoke(handler, tick, 55_000);
    expect(metricNames.filter((name) => name === 'DrainHookLost')).toHaveLength(1);
  });

  it('is reported when Auto Scaling let the instance go while its drain was still open', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 2);
    cluster.register(I2);
    cluster.waitOnHook(I2);
    cluster.waitOnHook(I1);
    const handler = await loadHandler();
    await slowDrainLeftToThePass(handler);
    // I2 completes normally (nothing on it); I1's hook expires between two passes (say they failed).
    expect((await invoke(handler, terminateFor(I2, 2))).instances[0]).toMatchObject({ outcome: 'completed' });
    cluster.openActions.delete(I1);
    cluster.lifecycle.set(I1, 'Terminating:Proceed');

    vi.setSystemTime(EVENT_TIME + 360_000);
    const summary = await invoke(handler, tick, 55_000);
    expect(summary.instances).toEqual([
      expect.objectContaining({ instanceId: I1, outcome: 'action-ended', remainingTasks: 2 }),
    ]);
    expect(metricNames.filter((name) => name === 'DrainHookLost')).toHaveLength(1);
    vi.setSystemTime(EVENT_TIME + 420_000);
    expect((await invoke(handler, tick, 55_000)).instances).toEqual([]);
    expect(metricNames.filter((name) => name === 'DrainHookLost')).toHaveLength(1);
  });

  it('names the tasks left behind when an event invocation’s heartbeat is refused', async () => {
    cluster.register(I1, 'DRAINING');
    cluster.addTasks(I1, 3, { desiredStatus: 'STOPPED', lastStatus: 'STOPPING' });
    cluster.waitOnHook(I1);
    const handler = await loadHandler();
    cluster.openActions.delete(I1);
    vi.setSystemTime(EVENT_TIME + 90_000); // the event came late: a heartbeat is due at once
    const summary = await invoke(handler, terminate);
    expect(summary.instances[0]).toMatchObject({ outcome: 'action-ended' });
    expect(metricNames).toContain('DrainHookLost');
  });

  it('a drain completed by us is not a lost hook, even when the instance lingers in its wait', async () => {
    cluster.register(I1);
    cluster.waitOnHook(I1);
    const handler = await loadHandler();
    expect((await invoke(handler, terminate)).instances[0]).toMatchObject({ outcome: 'completed' });
    cluster.lifecycle.set(I1, 'Terminating:Wait'); // another hook still holds it
    vi.setSystemTime(EVENT_TIME + 60_000);
    const summary = await invoke(handler, tick, 55_000);
    expect(summary.instances[0]).toMatchObject({ outcome: 'not-ours' });
    expect(metricNames).not.toContain('DrainHookLost');
  });
});

describe('a step that keeps failing', () => {
  it('does not cost the hook its heartbeat', async () => {
    cluster.register(I1);
    cluster.addTasks(I1, 1, { group: 'family:report', startedBy: 'ecs-autopilot/nightly-report' });
    cluster.waitOnHook(I1);
    ecsMock.on(StopTaskCommand).rejects(
      new ECSServiceException({
        name: 'ServerException',
        $fault: 'server',
        message: 'Internal error',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    const handler = await loadHandler({ STANDALONE_TASK_POLICY: '{"*":"stop-after:0"}' });
    vi.setSystemTime(EVENT_TIME + 90_000); // heartbeat due (every 60 s here)
    await expect(invoke(handler, terminate)).rejects.toThrow();
    expect(asgMock).toHaveReceivedCommandWith(RecordLifecycleActionHeartbeatCommand, { InstanceId: I1 });
    expect((await storedDrain(I1))?.lastHeartbeatAt).toBe(EVENT_TIME + 90_000);
  });
});
