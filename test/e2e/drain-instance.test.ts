// drain-instance end to end: the real handler, real SDK clients, the local AWS endpoint's simulated
// cluster. The handler's sleep moves the simulated clock, so a 10-minute drain runs in moments and
// Lambda's remaining time (counted on the same clock) runs out as it would.

import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DrainSummary } from '../../functions/drain-instance/handle';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import {
  DRAIN_ENV as BASE_ENV,
  LIFECYCLE,
  simulatedLambdaContext as lambdaContext,
  DRAIN_TICK as TICK,
} from './support/drain';

const sim = vi.hoisted(() => ({
  advance: (_ms: number) => {},
  onSleep: undefined as undefined | (() => unknown),
}));

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return {
    ...original,
    sleep: async (ms: number) => {
      sim.advance(ms);
      await sim.onSleep?.();
    },
  };
});

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const [I1] = SAMPLE.instances;

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, BASE_ENV);
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
});

afterAll(() => aws.close());

beforeEach(async () => {
  await aws.reset('sample');
  sim.onSleep = undefined;
});

async function loadHandler(env: Partial<typeof BASE_ENV> = {}): Promise<Handler> {
  Object.assign(process.env, BASE_ENV, env);
  vi.resetModules();
  return (await import('../../functions/drain-instance/index')).handler as Handler;
}

const invoke = async (handler: Handler, event: unknown, timeoutMs = 300_000, requestId?: string) =>
  (await handler(event, lambdaContext(timeoutMs, requestId))) as DrainSummary;

/** A fourth instance joins (room for replacements), then `instanceId` is scaled in: its lifecycle event. */
function scaleIn(instanceId = I1 as string) {
  aws.world.setDesiredCapacity(SAMPLE.group, 4);
  aws.world.advance(120_000);
  aws.world.takeEvents();
  aws.world.terminateInstanceInGroup(instanceId, true);
  const [event] = aws.world.takeEvents({ detailType: LIFECYCLE });
  if (!event) throw new Error('no lifecycle event');
  return event;
}

const instanceArn = (ec2InstanceId: string) => aws.world.findContainerInstance(ec2InstanceId)?.arn as string;
const action = (instanceId: string) => aws.world.lifecycleActions({ instanceId }).at(-1);
const completeCalls = () => aws.calls.list('autoscaling:CompleteLifecycleAction');

describe('drain-instance on the local endpoint', () => {
  it('scale-in: service tasks are replaced elsewhere, then the termination continues', async () => {
    const event = scaleIn();
    const before = aws.world.tasks({ instance: I1, service: 'api', desiredStatus: 'RUNNING' });
    expect(before.length).toBeGreaterThan(0);
    const handler = await loadHandler();

    const summary = await invoke(handler, event);

    expect(summary.instances[0]).toMatchObject({ instanceId: I1, outcome: 'completed', verdict: 'drained' });
    expect(action(I1)).toMatchObject({ result: 'CONTINUE', completedBy: 'api' });
    // The api service kept its 4 tasks, none of them on the leaving instance.
    const api = aws.world.tasks({ service: 'api', desiredStatus: 'RUNNING' });
    expect(api).toHaveLength(4);
    expect(api.every((task) => task.ec2InstanceId !== I1)).toBe(true);
    expect(aws.calls.count('ecs:UpdateContainerInstancesState')).toBe(1);
    expect(completeCalls()).toHaveLength(1);
  });

  it('keeps the action open while tasks are STOPPING: completes only after each reports STOPPED', async () => {
    const event = scaleIn();
    const handler = await loadHandler();

    await invoke(handler, event);

    const [complete] = completeCalls();
    const drained = aws.world
      .tasks({ instance: I1 })
      .filter((task) => task.serviceName !== 'log-router' && task.stoppingAt !== undefined);
    expect(drained.length).toBeGreaterThan(0);
    for (const task of drained) {
      expect(task.stoppedAt).toBeDefined();
      expect(task.stoppedAt as number).toBeLessThanOrEqual(complete?.at as number);
    }
    // There was a look while the tasks were STOPPING (desired STOPPED), through ListTasks desiredStatus=STOPPED.
    const stoppingSeen = aws.calls
      .list('ecs:ListTasks')
      .filter(
        (call) => call.input.desiredStatus === 'STOPPED' && (call.at as number) < (complete?.at as number),
      );
    expect(stoppingSeen.length).toBeGreaterThan(1);
    expect(Math.min(...drained.map((task) => task.stoppedAt as number))).toBeGreaterThan(
      Math.min(...drained.map((task) => task.stoppingAt as number)) + 20_000,
    );
  });

  it('standalone tasks, policy wait: the drain waits for the job to exit, with heartbeats', async () => {
    const event = scaleIn();
    aws.world.runStandaloneTask({
      cluster: 'web',
      taskDefinition: 'report:7',
      onInstances: [instanceArn(I1)],
    });
    const handler = await loadHandler();

    const summary = await invoke(handler, event, 900_000);

    expect(summary.instances[0]).toMatchObject({
      outcome: 'completed',
      verdict: 'drained',
      standaloneTasksStopped: 0,
    });
    const [report] = aws.world.tasks({ family: 'report' });
    expect(report?.stopCode).toBe('EssentialContainerExited');
    expect(completeCalls()[0]?.at).toBeGreaterThanOrEqual(report?.stoppedAt as number);
    // Ten minutes past a 300 s heartbeat timeout: heartbeats kept the action alive.
    expect(action(I1)).toMatchObject({ completedBy: 'api', result: 'CONTINUE' });
    expect(action(I1)?.heartbeats).toBeGreaterThanOrEqual(4);
  });

  it('standalone tasks, policy stop-after: the job is stopped with a reason naming ecs-autopilot and the instance', async () => {
    const event = scaleIn();
    aws.world.runStandaloneTask({
      cluster: 'web',
      taskDefinition: 'report:7',
      onInstances: [instanceArn(I1)],
    });
    const handler = await loadHandler({ STANDALONE_TASK_POLICY: '{"web-asg":"stop-after:60"}' });
    const start = aws.world.now();

    const summary = await invoke(handler, event, 900_000);

    expect(summary.instances[0]).toMatchObject({ outcome: 'completed', standaloneTasksStopped: 1 });
    const [report] = aws.world.tasks({ family: 'report' });
    expect(report?.stoppedReason).toBe(
      `Stopped by ecs-autopilot: draining EC2 instance ${I1} (Auto Scaling group web-asg) before Auto Scaling terminates it`,
    );
    const [stop] = aws.calls.list('ecs:StopTask');
    expect((stop?.at as number) - start).toBeGreaterThanOrEqual(60_000);
    expect((stop?.at as number) - start).toBeLessThan(80_000);
    expect((completeCalls()[0]?.at as number) - start).toBeLessThan(5 * 60_000);
  });

  it('a lost event: the reconcile pass drains and completes the instance', async () => {
    scaleIn(); // the event is dropped
    const handler = await loadHandler();
    let summary: DrainSummary | undefined;
    let ticks = 0;
    while (ticks < 10 && summary?.instances[0]?.outcome !== 'completed') {
      aws.world.advance(60_000);
      summary = await invoke(handler, TICK, 55_000);
      ticks++;
    }
    expect(summary?.instances[0]).toMatchObject({ instanceId: I1, outcome: 'completed', verdict: 'drained' });
    expect(ticks).toBeLessThanOrEqual(3);
    expect(action(I1)).toMatchObject({ completedBy: 'api' });
  });

  it('an invocation cut short by its timeout is finished by the next pass', async () => {
    const event = scaleIn();
    const handler = await loadHandler();

    const cut = await invoke(handler, event, 12_000);
    expect(cut.instances[0]).toMatchObject({ outcome: 'waiting', passes: 1 });
    expect(action(I1)?.completedAt).toBeUndefined();

    aws.world.advance(60_000);
    const next = await invoke(handler, TICK, 55_000);
    aws.world.advance(60_000);
    const last = next.instances[0]?.outcome === 'completed' ? next : await invoke(handler, TICK, 55_000);
    expect(last.instances[0]).toMatchObject({ outcome: 'completed' });
    expect(completeCalls()).toHaveLength(1);
  });

  it('duplicate delivery: one drain, one completion', async () => {
    const event = scaleIn();
    const handler = await loadHandler();

    const outcomes = (
      await Promise.all([invoke(handler, event, 300_000, 'req-1'), invoke(handler, event, 300_000, 'req-2')])
    ).map((summary) => summary.instances[0]?.outcome);
    const late = await invoke(handler, event, 300_000, 'req-3');

    expect(outcomes).toContain('completed');
    expect(late.instances[0]).toMatchObject({ outcome: 'already-completed' });
    // DRAINING goes first in each concurrent invocation, before the record tells them apart (idempotent).
    expect(aws.calls.count('ecs:UpdateContainerInstancesState')).toBeLessThanOrEqual(2);
    expect(completeCalls()).toHaveLength(1);
  });

  it('throttling: retried with backoff, the drain still completes once', async () => {
    const event = scaleIn();
    // One throttle on a read, a write and the completion of each service the drain uses. (Each costs
    // seconds of real time: the SDK's adaptive retry slows the whole client down after a throttle.)
    for (const operation of [
      'ecs:ListTasks',
      'ecs:UpdateContainerInstancesState',
      'autoscaling:CompleteLifecycleAction',
      'dynamodb:*',
    ]) {
      aws.faults.set({ operation, throttleRate: 1, times: 1 });
    }
    const handler = await loadHandler();
    // The SDK's adaptive rate limiter refills its bucket by Date.now(): keep the faked clock moving in
    // real time while it backs off, or it would wait forever on a frozen clock.
    const ticker = setInterval(() => aws.world.advance(20), 20);

    const summary = await invoke(handler, event).finally(() => clearInterval(ticker));

    expect(summary.instances[0]).toMatchObject({ outcome: 'completed' });
    expect(aws.calls.list().filter((call) => call.injected === 'throttle').length).toBe(4);
    expect(action(I1)).toMatchObject({ completedBy: 'api', result: 'CONTINUE' });
    expect(aws.calls.count('ecs:UpdateContainerInstancesState')).toBe(2); // throttled, then applied
    expect(completeCalls().map((call) => call.error)).toEqual(['Throttling', undefined]);
  }, 60_000);

  it('an instance unknown to ECS (still booting) is let go at once', async () => {
    const [booting] = aws.world.launchInstances(SAMPLE.group, 1);
    aws.world.advance(10_000);
    aws.world.takeEvents();
    aws.world.terminateInstanceInGroup(booting?.instanceId as string, true);
    const [event] = aws.world.takeEvents({ detailType: LIFECYCLE });
    const handler = await loadHandler();

    const summary = await invoke(handler, event);

    expect(summary.instances[0]).toMatchObject({
      outcome: 'completed',
      verdict: 'not-registered',
      passes: 1,
    });
    expect(aws.calls.count('ecs:UpdateContainerInstancesState')).toBe(0);
    expect(action(booting?.instanceId as string)).toMatchObject({ completedBy: 'api' });
  });

  it('150 tasks on one instance: pages, batches, and completion only once all 150 stopped', async () => {
    aws.world.registerTaskDefinition({
      family: 'tiny',
      containerDefinitions: [
        {
          name: 'tiny',
          image: 'public.ecr.aws/docker/library/busybox:1',
          cpu: 2,
          memory: 32,
          essential: true,
        },
      ],
    });
    const event = scaleIn();
    for (let batch = 0; batch < 15; batch++) {
      const { tasks } = aws.world.runStandaloneTask({
        cluster: 'web',
        taskDefinition: 'tiny:1',
        count: 10,
        onInstances: [instanceArn(I1)],
        runForMs: 3_600_000,
      });
      expect(tasks).toHaveLength(10);
    }
    aws.world.advance(20_000);
    expect(aws.world.tasks({ family: 'tiny', lastStatus: 'RUNNING' })).toHaveLength(150);
    const handler = await loadHandler({ STANDALONE_TASK_POLICY: '{"*":"stop-after:0"}' });

    const summary = await invoke(handler, event);

    expect(summary.instances[0]).toMatchObject({
      outcome: 'completed',
      verdict: 'drained',
      standaloneTasksStopped: 150,
    });
    expect(aws.calls.count('ecs:StopTask')).toBe(150);
    const complete = completeCalls()[0]?.at as number;
    const tiny = aws.world.tasks({ family: 'tiny' });
    expect(
      tiny.every((task) => task.lastStatus === 'STOPPED' && (task.stoppedAt as number) <= complete),
    ).toBe(true);
    // No call over the API limits: DescribeTasks ≤ 100 ARNs, and the listing really paged.
    expect(
      aws.calls.list('ecs:DescribeTasks').every((call) => (call.input.tasks as string[]).length <= 100),
    ).toBe(true);
    expect(aws.calls.list('ecs:ListTasks').some((call) => call.input.nextToken !== undefined)).toBe(true);
  });

  it('a Spot warning drains at once; the terminate action that follows completes the drain', async () => {
    aws.world.setDesiredCapacity(SAMPLE.group, 4);
    aws.world.advance(120_000);
    aws.world.takeEvents();
    aws.world.interruptSpot(I1 as string);
    const events = aws.world.takeEvents();
    const warning = events.find((event) => event['detail-type'] === 'EC2 Spot Instance Interruption Warning');
    const terminate = events.find((event) => event['detail-type'] === LIFECYCLE);
    const handler = await loadHandler();

    const first = await invoke(handler, warning);
    expect(first.instances[0]).toMatchObject({ outcome: 'spot-drain-started' });
    expect(aws.world.findContainerInstance(I1 as string)?.status).toBe('DRAINING');

    const second = await invoke(handler, terminate);
    expect(second.instances[0]).toMatchObject({ outcome: 'completed' });
    expect(aws.calls.count('ecs:UpdateContainerInstancesState')).toBe(1);
  });
});

describe('a stale registration of the same EC2 instance (#15)', () => {
  it('is not taken for the instance: the live registration is drained before the action completes', async () => {
    const event = scaleIn();
    // Listed first by ListContainerInstances (no status: every status but INACTIVE), without tasks.
    aws.world.addStaleRegistration(I1 as string, 'DEREGISTERING');
    const live = aws.world
      .instances(SAMPLE.cluster)
      .find((i) => i.ec2InstanceId === I1 && i.status === 'ACTIVE');
    const handler = await loadHandler();

    const summary = await invoke(handler, event);

    expect(summary.instances[0]).toMatchObject({ outcome: 'completed', verdict: 'drained' });
    expect(aws.world.findContainerInstance(live?.arn as string)?.status).toBe('DRAINING');
    const [complete] = completeCalls();
    const services = aws.world.tasks({ instance: I1 }).filter((task) => task.serviceName === 'api');
    expect(services.length).toBeGreaterThan(0);
    for (const task of services) expect(task.stoppedAt as number).toBeLessThanOrEqual(complete?.at as number);
  });
});

describe('daemons last, but waited for (#24)', () => {
  it('the action completes only after the daemon tasks (the log router) reached STOPPED', async () => {
    const event = scaleIn();
    const daemons = aws.world.tasks({ instance: I1, service: 'log-router', desiredStatus: 'RUNNING' });
    expect(daemons.length).toBeGreaterThan(0);
    const handler = await loadHandler();

    const summary = await invoke(handler, event);

    expect(summary.instances[0]).toMatchObject({ outcome: 'completed', verdict: 'drained' });
    const [complete] = completeCalls();
    for (const daemon of daemons) {
      const now = aws.world.task(daemon.arn);
      expect(now?.lastStatus).toBe('STOPPED');
      expect(now?.stoppedAt as number).toBeLessThanOrEqual(complete?.at as number);
    }
  });
});
