// drain-instance on the local endpoint: drains that lose their instance, Spot's two minutes, daemons.

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DrainSummary } from '../../functions/drain-instance/handle';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import {
  DRAIN_ENV as ENV,
  LIFECYCLE,
  simulatedLambdaContext as lambdaContext,
  DRAIN_TICK as TICK,
} from './support/drain';

const sim = vi.hoisted(() => ({ advance: (_ms: number) => {} }));

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: async (ms: number) => sim.advance(ms) };
});

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const I1: string = SAMPLE.instances[0];

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, ENV);
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
});

afterAll(() => aws.close());

let metricNames: string[];

beforeEach(async () => {
  await aws.reset('sample');
  metricNames = [];
  vi.spyOn(Metrics.prototype, 'addMetric').mockImplementation(function (this: Metrics, name: string) {
    metricNames.push(name);
    return this;
  } as Metrics['addMetric']);
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function loadHandler(): Promise<Handler> {
  Object.assign(process.env, ENV);
  vi.resetModules();
  const { handler } = await import('../../functions/drain-instance/index');
  return handler as Handler;
}

const invoke = async (handler: Handler, event: unknown, timeoutMs: number) =>
  (await handler(event, lambdaContext(timeoutMs))) as DrainSummary;

/** A fourth instance joins (room for replacements); I1 gets a long job. */
function prepare(jobMs = 3_600_000) {
  aws.world.setDesiredCapacity(SAMPLE.group, 4);
  aws.world.advance(120_000);
  aws.world.takeEvents();
  aws.world.runStandaloneTask({
    cluster: SAMPLE.cluster,
    taskDefinition: 'report:7',
    runForMs: jobMs,
    onInstances: [aws.world.findContainerInstance(I1)?.arn as string],
  });
  aws.world.advance(20_000);
}

const storedDrain = async (instanceId: string) => {
  const { getDrain } = await import('../../shared/state/drain');
  return getDrain(process.env.STATE_TABLE as string, instanceId);
};

describe('an instance lost mid-drain is lost, not drained (#24)', () => {
  it('another hook answers ABANDON: the drain is closed instance-lost, counted in DrainHookLost, naming the tasks that died', async () => {
    prepare();
    // Another team's terminate hook that lapses with ABANDON after 2 minutes: the instance goes then.
    aws.world.putLifecycleHook({
      group: SAMPLE.group,
      name: 'other-team-hook',
      heartbeatTimeoutSeconds: 120,
      defaultResult: 'ABANDON',
    });
    const error = vi.spyOn(Logger.prototype, 'error');
    const handler = await loadHandler();
    aws.world.terminateInstanceInGroup(I1, true);
    const [event] = aws.world.takeEvents({ detailType: LIFECYCLE });

    const summary = await invoke(handler, event, 300_000);

    expect(summary.instances[0]).toMatchObject({ instanceId: I1, outcome: 'instance-lost' });
    expect(metricNames).toContain('DrainHookLost');
    expect(metricNames).not.toContain('DrainsCompleted');
    expect(await storedDrain(I1)).toMatchObject({ outcome: 'instance-lost' });
    const [report] = aws.world.tasks({ family: 'report' });
    expect(report?.stoppedReason).toMatch(/terminated/);
    expect(error).toHaveBeenCalledWith(
      expect.stringMatching(/^Instance lost mid-drain/),
      expect.objectContaining({
        instanceId: I1,
        tasksDied: [expect.stringContaining(report?.arn as string)],
      }),
    );
  });

  it('an open drain whose instance left the group between two passes is swept as instance-lost', async () => {
    prepare();
    aws.world.putLifecycleHook({
      group: SAMPLE.group,
      name: 'other-team-hook',
      heartbeatTimeoutSeconds: 120,
      defaultResult: 'ABANDON',
    });
    const handler = await loadHandler();
    aws.world.terminateInstanceInGroup(I1, true);
    const [event] = aws.world.takeEvents({ detailType: LIFECYCLE });
    // One pass, then the invocation is out of time; the passes stop for 10 minutes meanwhile.
    expect((await invoke(handler, event, 12_000)).instances[0]).toMatchObject({ outcome: 'waiting' });
    aws.world.advance(10 * 60_000);
    expect(aws.world.group(SAMPLE.group)?.instances.some((i) => i.instanceId === I1)).toBe(false);

    const pass = await invoke(handler, TICK, 55_000);

    expect(pass.instances).toEqual([expect.objectContaining({ instanceId: I1, outcome: 'instance-lost' })]);
    expect(metricNames.filter((name) => name === 'DrainHookLost')).toHaveLength(1);
    expect(await storedDrain(I1)).toMatchObject({ outcome: 'instance-lost' });
    await invoke(handler, TICK, 55_000);
    expect(metricNames.filter((name) => name === 'DrainHookLost')).toHaveLength(1);
  });
});

describe("Spot's two minutes (#24)", () => {
  it('under policy wait, a Spot warning stops standalone tasks at once, gracefully, before the host goes', async () => {
    prepare();
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const handler = await loadHandler(); // STANDALONE_TASK_POLICY empty: wait
    aws.world.interruptSpot(I1);
    const warning = aws.world
      .takeEvents()
      .find((event) => event['detail-type'] === 'EC2 Spot Instance Interruption Warning');

    const summary = await invoke(handler, warning, 60_000);

    expect(summary.instances[0]).toMatchObject({ outcome: 'spot-drain-started', standaloneTasksStopped: 1 });
    // DRAINING went before any state-table call.
    const calls = aws.calls.list().map((call) => call.name);
    expect(calls.indexOf('ecs:UpdateContainerInstancesState')).toBeGreaterThanOrEqual(0);
    expect(calls.findIndex((name) => name.startsWith('dynamodb:'))).toBeGreaterThan(
      calls.indexOf('ecs:UpdateContainerInstancesState'),
    );
    aws.world.advance(5 * 60_000);
    const [report] = aws.world.tasks({ family: 'report' });
    expect(report?.stoppedReason).toBe(
      `Stopped by ecs-autopilot: draining EC2 instance ${I1} (Auto Scaling group web-asg) after a Spot interruption warning`,
    );
    // Its stop timeout (30 s here) fits in the time left: no warning that it will be cut short.
    expect(warn).not.toHaveBeenCalledWith(expect.stringMatching(/stop timeout/), expect.anything());
  });
});
