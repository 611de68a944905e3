// scale-capacity end to end: the real handler and SDK clients against the local endpoint's simulated
// cluster (sample universe: web-asg of m5.large, api 512 CPU / 1024 MiB bridge tasks, a log-router
// daemon of 128 CPU / 256 MiB on every instance).
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CapacitySummary } from '../../functions/scale-capacity/reconcile';
import { type LocalAws, SAMPLE, scheduledEvent, startLocalAws } from '../local-aws/index';
import { lambdaContext } from '../local-aws/lambda';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const ENV = {
  CAPACITY_PROVIDERS: SAMPLE.capacityProvider,
  SCALE_IN_AFTER_SECONDS: '300',
  MAX_SCALE_IN: '100%',
  MAX_STEP: '10',
  BOOT_TIMEOUT_SECONDS: '600',
  HEADROOM: '',
  CONSOLIDATION: 'false',
  DRY_RUN: 'false',
};
const API = { cpu: 512, memoryMiB: 1024 };
/** A new m5.large: 2048 CPU units, 7680 MiB, less the log-router daemon. */
const NEW_INSTANCE = { cpu: 2048 - 128, memoryMiB: 7680 - 256 };

const tick = () => scheduledEvent('ecs-autopilot-scale-capacity-tick', aws.world.now());

let aws: LocalAws;
let handler: Handler;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, ENV);
  useWorldClock(aws);
});

afterAll(() => aws.close());

beforeEach(async () => {
  await aws.reset('sample');
  await loadHandler();
});

async function loadHandler(env: Record<string, string> = {}) {
  Object.assign(process.env, ENV, env);
  vi.resetModules();
  handler = (await import('../../functions/scale-capacity/index')).handler as Handler;
}

const invoke = async (event: unknown) =>
  (await handler(event, lambdaContext({ functionName: 'scale-capacity' }))) as CapacitySummary;

/** Tasks of `shape` the instances' free room holds right now. */
function room(shape: { cpu: number; memoryMiB: number }): number {
  return aws.world
    .instances(SAMPLE.cluster)
    .filter((instance) => instance.status === 'ACTIVE')
    .reduce((sum, instance) => {
      const free = aws.world.remaining(instance);
      return sum + Math.min(Math.floor(free.cpu / shape.cpu), Math.floor(free.memory / shape.memoryMiB));
    }, 0);
}

const perNewInstance = Math.min(
  Math.floor(NEW_INSTANCE.cpu / API.cpu),
  Math.floor(NEW_INSTANCE.memoryMiB / API.memoryMiB),
);
const desired = () => aws.world.group(SAMPLE.group)?.desiredCapacity;
const running = (service: string) =>
  aws.world.tasks({ cluster: SAMPLE.cluster, service, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })
    .length;

/** The service's next SERVICE_TASK_PLACEMENT_FAILURE event (ECS retries placement about once a minute). */
function placementFailure() {
  const found: unknown[] = [];
  aws.world.advanceUntil(
    () => {
      found.push(...aws.world.takeEvents({ detailType: 'ECS Service Action' }));
      return found.length > 0;
    },
    { maxMs: 120_000, stepMs: 1_000 },
  );
  if (found.length === 0) throw new Error('no SERVICE_TASK_PLACEMENT_FAILURE event');
  return found[0];
}

describe('scale-capacity on the local endpoint', () => {
  it('answers a burst of pending service tasks with exactly enough instances, which then run them', async () => {
    const free = room(API);
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 4 + free + 7);
    const event = placementFailure();
    const expected = Math.ceil(7 / perNewInstance);

    const summary = await invoke(event);

    expect(summary.providers[0]).toMatchObject({
      status: 'applied',
      scaleOut: expected,
      desiredCapacity: 3 + expected,
    });
    expect(desired()).toBe(3 + expected);
    expect(aws.calls.count('autoscaling:SetDesiredCapacity')).toBe(1);

    // The next tick, while the instances boot, counts them and asks for nothing more.
    aws.world.advance(30_000);
    await invoke(tick());
    expect(desired()).toBe(3 + expected);
    expect(aws.calls.count('autoscaling:SetDesiredCapacity')).toBe(1);

    aws.world.advanceUntil(() => running('api') === 4 + free + 7, { maxMs: 5 * 60_000 });
    expect(running('api')).toBe(4 + free + 7);
    expect(aws.world.groupInstances(SAMPLE.group)).toHaveLength(3 + expected);
  });

  it('removes instances idle for SCALE_IN_AFTER_SECONDS through the drain hook, and protects busy ones', async () => {
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 4 + room(API) + 6);
    await invoke(placementFailure());
    aws.world.advance(180_000);
    const grown = desired() as number;
    // The burst ends: the new instances are left with only the daemon.
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 4);
    aws.world.advance(60_000);

    const first = await invoke(tick());
    expect(first.providers[0]?.removed).toEqual([]);
    expect(aws.calls.list('autoscaling:SetInstanceProtection').length).toBeGreaterThan(0);

    aws.world.advance(301_000);
    const second = await invoke(tick());
    const removed = second.providers[0]?.removed ?? [];
    // ECS stops a service's extra tasks zone by zone (keeping its tasks balanced), not the newest ones:
    // of the two new instances one keeps an api task, so one instance is left empty, not two.
    expect(removed).toHaveLength(1);
    for (const id of removed) {
      const live = aws.world.tasks({ instance: id }).filter((task) => task.desiredStatus === 'RUNNING');
      expect(live.filter((task) => task.family === 'api')).toEqual([]);
    }
    const terminations = aws.calls.list('autoscaling:TerminateInstanceInAutoScalingGroup');
    expect(terminations).toHaveLength(removed.length);
    expect(
      terminations.every(
        (call) =>
          (call.input as { ShouldDecrementDesiredCapacity?: unknown }).ShouldDecrementDesiredCapacity ===
            true ||
          (call.input as { ShouldDecrementDesiredCapacity?: unknown }).ShouldDecrementDesiredCapacity ===
            'true',
      ),
    ).toBe(true);
    expect(desired()).toBe(grown - removed.length);
    // The terminate hook holds each one for drain-instance (here: until its heartbeat timeout).
    expect(
      aws.world
        .lifecycleActions({ active: true })
        .map((action) => action.instanceId)
        .sort(),
    ).toEqual([...removed].sort());
    aws.world.advance(400_000);
    const left = aws.world.groupInstances(SAMPLE.group).map((instance) => instance.instanceId);
    for (const id of removed) expect(left).not.toContain(id);
    // The api service kept its tasks: only instances without them went.
    expect(running('api')).toBe(4);
  });

  it('scales to zero, then from zero with one instance when one is enough', async () => {
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 0);
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'worker', 0);
    aws.world.advance(60_000);
    await invoke(tick());
    aws.world.advance(301_000);
    const down = await invoke(tick());
    expect(down.providers[0]?.removed).toHaveLength(3);
    expect(desired()).toBe(0);
    aws.world.advance(400_000);
    expect(aws.world.groupInstances(SAMPLE.group)).toHaveLength(0);

    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 2);
    aws.world.advance(61_000);
    const up = await invoke(tick());
    expect(up.providers[0]).toMatchObject({ scaleOut: 1, desiredCapacity: 1 });
    aws.world.advanceUntil(() => running('api') === 2, { maxMs: 5 * 60_000 });
    expect(running('api')).toBe(2);
    expect(aws.world.groupInstances(SAMPLE.group)).toHaveLength(1);
  });

  it('reports a constraint no instance of the group can meet, and does not scale for it', async () => {
    aws.world.createService({
      cluster: SAMPLE.cluster,
      name: 'trainer',
      taskDefinition: SAMPLE.taskDefinitions.report,
      desiredCount: 1,
      capacityProviderStrategy: [{ capacityProvider: SAMPLE.capacityProvider, weight: 1, base: 0 }],
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == p3.2xlarge' }],
    });
    aws.world.advance(61_000);

    const summary = await invoke(tick());

    expect(summary.providers[0]).toMatchObject({ unplaceable: 1, scaleOut: 0 });
    expect(summary.providers[0]?.reasons?.join('\n')).toMatch(
      /cannot place 1 task\(s\) of service:trainer: memberOf\(attribute:ecs.instance-type == p3.2xlarge\) matches no/,
    );
    expect(desired()).toBe(3);
  });

  it('decides the same scale-out with ECS and Auto Scaling throttling', async () => {
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 4 + room(API) + 4);
    const event = placementFailure();
    // Each throttle costs the SDK's real backoff; its adaptive rate limiter refills by Date.now(), so
    // the faked clock keeps moving in real time meanwhile.
    for (const operation of [
      'ecs:DescribeContainerInstances',
      'ecs:DescribeServices',
      'autoscaling:SetDesiredCapacity',
    ]) {
      aws.faults.set({ operation, throttleRate: 1, times: 1 });
    }
    const ticker = setInterval(() => aws.world.advance(20), 20);
    try {
      const summary = await invoke(event);
      expect(summary.providers[0]).toMatchObject({
        status: 'applied',
        scaleOut: Math.ceil(4 / perNewInstance),
      });
    } finally {
      clearInterval(ticker);
    }
    expect(desired()).toBe(3 + Math.ceil(4 / perNewInstance));
    expect(aws.calls.list().filter((call) => call.injected === 'throttle')).toHaveLength(3);
    expect(aws.calls.count('autoscaling:SetDesiredCapacity')).toBe(2);
  }, 60_000);

  it('refuses a capacity provider whose managed scaling is on, and still sizes the others', async () => {
    aws.world.createAutoScalingGroup({
      name: 'batch-asg',
      instanceType: 'm5.large',
      cluster: SAMPLE.cluster,
    });
    aws.world.createCapacityProvider({
      name: 'batch-cp',
      autoScalingGroup: 'batch-asg',
      managedScaling: 'ENABLED',
      cluster: SAMPLE.cluster,
    });
    await loadHandler({ CAPACITY_PROVIDERS: `${SAMPLE.capacityProvider},batch-cp` });

    const summary = await invoke(tick());

    expect(summary.providers.map((provider) => provider.status)).toEqual(['applied', 'refused']);
    expect(summary.providers[1]?.error).toMatch(
      /batch-cp has managed scaling ENABLED, so ECS already sizes batch-asg/,
    );
    expect(
      aws.calls
        .list('autoscaling:SetDesiredCapacity')
        .filter((call) => JSON.stringify(call.input).includes('batch-asg')),
    ).toEqual([]);
  });

  it('in dry run returns the plan and changes nothing', async () => {
    await loadHandler({ DRY_RUN: 'true' });
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 4 + room(API) + 3);

    const summary = await invoke(placementFailure());

    expect(summary.status).toBe('dry-run');
    expect(summary.providers[0]?.plan?.scaleOut).toBe(1);
    expect(desired()).toBe(3);
    expect(
      aws.calls
        .list()
        .filter((call) => !/^(ecs|autoscaling):(Describe|List)|dynamodb:Query/.test(call.name ?? '')),
    ).toEqual([]);
  });

  it('scale-in racing a placement: no task is placed on an instance being removed', async () => {
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 0);
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'worker', 0);
    aws.world.advance(60_000);
    await invoke(tick());
    aws.world.advance(301_000);
    // While the pass acts on its plan (just before its removals), a job lands on an idle instance.
    const target = SAMPLE.instances[0] as string;
    let groupReads = 0;
    let placed: string | undefined;
    aws.calls.onCall((call) => {
      if (call.name !== 'autoscaling:DescribeAutoScalingGroups' || ++groupReads !== 2) return;
      const { tasks } = aws.world.runStandaloneTask({
        cluster: SAMPLE.cluster,
        taskDefinition: SAMPLE.taskDefinitions.report,
        placementConstraints: [{ type: 'memberOf', expression: `ec2InstanceId == ${target}` }],
      });
      placed = tasks[0]?.arn;
    });

    const summary = await invoke(tick());

    expect(placed).toBeDefined();
    const removed = summary.providers[0]?.removed ?? [];
    expect(removed).not.toContain(target);
    expect(removed.length).toBeGreaterThan(0);
    aws.world.advance(400_000);
    // The job ran to its end on its instance, which is back in service (ACTIVE) and still in the group.
    const job = aws.world.task(placed as string);
    expect(job?.stoppedReason ?? '').not.toMatch(/terminated/);
    expect(aws.world.findContainerInstance(target)?.status).toBe('ACTIVE');
    expect(aws.world.groupInstances(SAMPLE.group).map((instance) => instance.instanceId)).toContain(target);
    // Every instance removed was DRAINING before its termination, so nothing could be placed there.
    const drained = aws.calls
      .list('ecs:UpdateContainerInstancesState')
      .filter((call) => call.input.status === 'DRAINING');
    expect(drained.length).toBeGreaterThanOrEqual(removed.length);
    for (const id of removed)
      expect(aws.world.tasks({ instance: id }).filter((t) => t.family === 'report')).toEqual([]);
  });
});
