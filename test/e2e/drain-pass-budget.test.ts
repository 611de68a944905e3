// drain-instance's reconcile pass within its ECS budget (PASS_API_BUDGET_PERCENT), on the local
// endpoint with ECS's throttling on: the full steps past the budget wait for the next pass, counted
// (PassWorkDeferred), and the next pass takes them first. None is dropped.
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DrainSummary } from '../../functions/drain-instance/handle';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import { DRAIN_ENV, simulatedLambdaContext as lambdaContext, DRAIN_TICK as TICK } from './support/drain';

const sim = vi.hoisted(() => ({ advance: (_ms: number) => {} }));

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: async (ms: number) => sim.advance(ms) };
});

type Handler = (event: unknown, context: Context) => Promise<unknown>;

let aws: LocalAws;
let metrics: { name: string; value: number }[];

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, DRAIN_ENV);
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
});

afterAll(() => aws.close());

beforeEach(async () => {
  await aws.reset('sample');
  metrics = [];
  vi.spyOn(Metrics.prototype, 'addMetric').mockImplementation(function (
    this: Metrics,
    name: string,
    _unit: unknown,
    value: number,
  ) {
    metrics.push({ name, value });
    return this;
  } as Metrics['addMetric']);
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function loadHandler(percent: string): Promise<Handler> {
  Object.assign(process.env, DRAIN_ENV, { PASS_API_BUDGET_PERCENT: percent });
  vi.resetModules();
  return (await import('../../functions/drain-instance/index')).handler as Handler;
}

const stepped = (summary: DrainSummary) =>
  summary.instances
    .filter((instance) => ['completed', 'waiting', 'failed'].includes(instance.outcome))
    .map((instance) => instance.instanceId);

describe('the reconcile pass within its API budget', () => {
  it('leaves the steps past its budget to the next pass, which takes them first; none is dropped', async () => {
    aws.world.setDesiredCapacity(SAMPLE.group, 7);
    aws.world.advance(120_000);
    const leaving = aws.world
      .groupInstances(SAMPLE.group)
      .map((instance) => instance.instanceId)
      .slice(0, 4);
    expect(leaving).toHaveLength(4);
    for (const id of leaving) aws.world.terminateInstanceInGroup(id, true);
    aws.world.takeEvents(); // every lifecycle event lost: the pass is all there is
    aws.throttling.enable({ share: 0.5 });
    // 0.5 % of what the cluster resource reads' bucket gives in a minute (100 + 20 × 60): 6 calls, the
    // safety calls and one step.
    const handler = await loadHandler('0.5');

    aws.world.advance(60_000);
    const first = (await handler(TICK, lambdaContext(55_000))) as DrainSummary;
    expect(stepped(first)).toHaveLength(1);
    expect(first.deferred).toBe(3);
    expect(metrics).toContainEqual({ name: 'PassWorkDeferred', value: 3 });

    aws.world.advance(60_000);
    const second = (await handler(TICK, lambdaContext(55_000))) as DrainSummary;
    // Deferred work first: the step goes to an instance the first pass left.
    expect(stepped(second)).toHaveLength(1);
    expect(stepped(first)).not.toContain(stepped(second)[0]);

    const reached = new Set([...stepped(first), ...stepped(second)]);
    for (let pass = 0; pass < 4 && reached.size < leaving.length; pass++) {
      aws.world.advance(60_000);
      for (const id of stepped((await handler(TICK, lambdaContext(55_000))) as DrainSummary)) reached.add(id);
    }
    expect([...reached].sort()).toEqual([...leaving].sort());
    const throttled = aws.throttling.counts().reduce((sum, bucket) => sum + bucket.throttled, 0);
    expect(throttled).toBe(0);
  });

  it('still moves one drain on when the heartbeats and DRAINING alone spent the budget', async () => {
    aws.world.setDesiredCapacity(SAMPLE.group, 5);
    aws.world.advance(120_000);
    const leaving = aws.world
      .groupInstances(SAMPLE.group)
      .map((instance) => instance.instanceId)
      .slice(0, 2);
    for (const id of leaving) aws.world.terminateInstanceInGroup(id, true);
    aws.world.takeEvents();
    // 0.1 %: one read, fewer than DRAINING's own look takes.
    const handler = await loadHandler('0.1');

    aws.world.advance(60_000);
    const first = (await handler(TICK, lambdaContext(55_000))) as DrainSummary;
    aws.world.advance(60_000);
    const second = (await handler(TICK, lambdaContext(55_000))) as DrainSummary;

    expect(stepped(first)).toHaveLength(1);
    expect(first.deferred).toBe(1);
    expect(stepped(second)).toHaveLength(1);
    expect(new Set([...stepped(first), ...stepped(second)]).size).toBe(2);
  });
});
