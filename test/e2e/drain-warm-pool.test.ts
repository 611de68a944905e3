// drain-instance on the local endpoint: warm pools (#24). An instance drained on its way back into the
// warm pool keeps its container instance DRAINING while it is stopped there; when a scale-out brings it
// back into service, the every-minute pass sets it ACTIVE again so it takes tasks.

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
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
let metricNames: string[];

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, ENV);
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
});

afterAll(() => aws.close());

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

const status = () => aws.world.findContainerInstance(I1)?.status;

/** I1 scaled in back to the warm pool (drained by the handler), then brought back by a scale-out. */
async function roundTripThroughWarmPool(handler: Handler) {
  aws.world.putWarmPool(SAMPLE.group, { reuseOnScaleIn: true });
  aws.world.setDesiredCapacity(SAMPLE.group, 4);
  aws.world.advance(180_000);
  aws.world.takeEvents();
  aws.world.terminateInstanceInGroup(I1, true);
  const [event] = aws.world.takeEvents({ detailType: LIFECYCLE });
  expect(event?.detail).toMatchObject({ EC2InstanceId: I1, Destination: 'WarmPool' });
  await handler(event, lambdaContext(300_000));
  expect(aws.world.lifecycleActions({ instanceId: I1 }).at(-1)?.result).toBe('CONTINUE');
  aws.world.advance(120_000);
  expect(aws.world.ec2.get(I1)?.lifecycleState).toBe('Warmed:Stopped');
  expect(status()).toBe('DRAINING');
  // Scale-out: the pooled instance starts again, before any new launch.
  aws.world.setDesiredCapacity(SAMPLE.group, 4);
  aws.world.advance(180_000);
  expect(aws.world.ec2.get(I1)?.lifecycleState).toBe('InService');
}

describe('an instance on its way into the warm pool (#15)', () => {
  it('is found by the pass through DescribeWarmPool when its event was lost, drained and let go', async () => {
    const handler = await loadHandler();
    aws.world.putWarmPool(SAMPLE.group, { reuseOnScaleIn: true });
    aws.world.setDesiredCapacity(SAMPLE.group, 4);
    aws.world.advance(180_000);
    aws.world.takeEvents();
    aws.world.terminateInstanceInGroup(I1, true);
    aws.world.takeEvents(); // the lifecycle event is lost
    expect(aws.world.ec2.get(I1)?.lifecycleState).toBe('Warmed:Pending:Wait');

    for (let minute = 0; minute < 10 && status() !== undefined; minute++) {
      await handler(TICK, lambdaContext(60_000));
      if (aws.world.lifecycleActions({ instanceId: I1 }).at(-1)?.result) break;
      aws.world.advance(60_000);
    }

    expect(aws.calls.count('autoscaling:DescribeWarmPool')).toBeGreaterThan(0);
    expect(aws.world.lifecycleActions({ instanceId: I1 }).at(-1)).toMatchObject({ result: 'CONTINUE' });
    expect(status()).toBe('DRAINING');
  });
});

describe('warm pool return (#24)', () => {
  it('an instance back from the warm pool is set ACTIVE again by the pass and takes tasks', async () => {
    const handler = await loadHandler();
    await roundTripThroughWarmPool(handler);

    await handler(TICK, lambdaContext(60_000));

    expect(status()).toBe('ACTIVE');
    // It takes tasks again: more api tasks are spread onto it.
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 8);
    aws.world.advance(120_000);
    const onI1 = aws.world.tasks({ instance: I1, service: 'api', desiredStatus: 'RUNNING' });
    expect(onI1.length).toBeGreaterThan(0);
    // Set once: the next pass leaves it alone.
    await handler(TICK, lambdaContext(60_000));
    expect(
      aws.calls.list('ecs:UpdateContainerInstancesState').filter((c) => c.input.status === 'ACTIVE'),
    ).toHaveLength(1);
    expect(metricNames).not.toContain('WarmPoolCapacityStranded');
  });

  it('DRAINING set by someone else after the return is not undone', async () => {
    const handler = await loadHandler();
    await roundTripThroughWarmPool(handler);
    await handler(TICK, lambdaContext(60_000));
    expect(status()).toBe('ACTIVE');
    // An operator (or scale-capacity, before removing it) drains it now.
    const record = aws.world.findContainerInstance(I1);
    if (!record) throw new Error('I1 not registered');
    aws.world.setContainerInstanceStatus(record, 'DRAINING');

    await handler(TICK, lambdaContext(60_000));

    expect(status()).toBe('DRAINING');
  });

  it('a return whose drain record cannot be read is reported as stranded capacity', async () => {
    const error = vi.spyOn(Logger.prototype, 'error');
    const handler = await loadHandler();
    await roundTripThroughWarmPool(handler);
    aws.faults.set({ operation: 'dynamodb:*', serverErrorRate: 1 });

    await handler(TICK, lambdaContext(60_000));

    expect(status()).toBe('DRAINING');
    expect(metricNames).toContain('WarmPoolCapacityStranded');
    expect(error).toHaveBeenCalledWith(
      expect.stringMatching(/^Capacity stranded/),
      expect.objectContaining({ instanceId: I1 }),
    );
  });
});
