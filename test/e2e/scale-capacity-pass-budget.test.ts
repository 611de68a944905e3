// scale-capacity's tick within its ECS budget (PASS_API_BUDGET_PERCENT), on the local endpoint with
// ECS's throttling on: the providers past the budget are left for the next tick, counted
// (PassWorkDeferred) and named in the summary, and the next tick takes them first, so the providers
// late in the list are not always the ones left.
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CapacitySummary } from '../../functions/scale-capacity/pass';
import { type LocalAws, SAMPLE, scheduledEvent, startLocalAws } from '../local-aws/index';
import { lambdaContext } from '../local-aws/lambda';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const EXTRA = ['batch-1', 'batch-2', 'batch-3', 'batch-4'];
const PROVIDERS = [SAMPLE.capacityProvider, ...EXTRA.map((name) => `${name}-cp`)];
const ENV = {
  CAPACITY_PROVIDERS: PROVIDERS.join(','),
  SCALE_IN_AFTER_SECONDS: '300',
  MAX_SCALE_IN: '100%',
  MAX_STEP: '10',
  BOOT_TIMEOUT_SECONDS: '600',
  HEADROOM: '',
  CONSOLIDATION: 'false',
  DRY_RUN: 'false',
};

let aws: LocalAws;
let metrics: { name: string; value: number }[];

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, ENV);
  useWorldClock(aws);
});

afterAll(() => aws.close());

beforeEach(async () => {
  await aws.reset('sample');
  for (const name of EXTRA) {
    aws.world.createAutoScalingGroup({
      name: `${name}-asg`,
      instanceType: 'm5.large',
      cluster: SAMPLE.cluster,
    });
    aws.world.createCapacityProvider({
      name: `${name}-cp`,
      autoScalingGroup: `${name}-asg`,
      cluster: SAMPLE.cluster,
    });
  }
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
  Object.assign(process.env, ENV, { PASS_API_BUDGET_PERCENT: percent });
  vi.resetModules();
  return (await import('../../functions/scale-capacity/index')).handler as Handler;
}

const tick = () => scheduledEvent('ecs-autopilot-scale-capacity-tick', aws.world.now());
const passed = (summary: CapacitySummary) => summary.providers.map((provider) => provider.capacityProvider);
const key = (provider: string) => `${SAMPLE.cluster}/${provider}`;

describe('a tick within its API budget', () => {
  it('leaves the providers past its budget to the next tick, which takes them first', async () => {
    aws.throttling.enable({ share: 0.5 });
    // 0.1 %: one call of each bucket a tick; the first provider's reads spend it, so each tick sizes one.
    const handler = await loadHandler('0.1');
    const invoke = async () =>
      (await handler(tick(), lambdaContext({ functionName: 'scale-capacity' }))) as CapacitySummary;

    const first = await invoke();
    expect(first.status).toBe('done');
    expect(passed(first)).toEqual([PROVIDERS[0]]);
    expect(first.deferred).toEqual(PROVIDERS.slice(1).map(key));
    expect(metrics).toContainEqual({ name: 'PassWorkDeferred', value: 4 });

    aws.world.advance(60_000);
    const second = await invoke();
    expect(passed(second)).toEqual([PROVIDERS[1]]);
    expect(second.deferred).toEqual([...PROVIDERS.slice(2), PROVIDERS[0]].map(key));

    const sized = new Set([...passed(first), ...passed(second)]);
    for (let n = 0; n < 3; n++) {
      aws.world.advance(60_000);
      for (const provider of passed(await invoke())) sized.add(provider);
    }
    expect([...sized].sort()).toEqual([...PROVIDERS].sort());
    const throttled = aws.throttling.counts().reduce((sum, bucket) => sum + bucket.throttled, 0);
    expect(throttled).toBe(0);
  });

  it('sizes every provider in one tick when the budget holds them', async () => {
    const handler = await loadHandler('100');
    const summary = (await handler(
      tick(),
      lambdaContext({ functionName: 'scale-capacity' }),
    )) as CapacitySummary;
    expect(passed(summary)).toEqual(PROVIDERS);
    expect(summary.deferred).toBeUndefined();
    expect(metrics).toContainEqual({ name: 'PassWorkDeferred', value: 0 });
  });
});
