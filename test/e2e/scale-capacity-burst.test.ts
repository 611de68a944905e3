// A storm of wake-ups on the local endpoint with ECS's throttling on: scale-capacity runs one pass at
// a time (reserved concurrency 1), so the events queue; those a later pass has answered cost nothing.
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CapacitySummary } from '../../functions/scale-capacity/reconcile';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
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
/** What one pass takes in production (reads of a large cluster, the plan, the act step). */
const PASS_MS = 2_000;

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
  Object.assign(process.env, ENV);
  vi.resetModules();
  handler = (await import('../../functions/scale-capacity/index')).handler as Handler;
});

const envelope = (id: string, time: number, rest: Record<string, unknown>) => ({
  version: '0',
  id,
  account: '123456789012',
  region: 'us-east-1',
  time: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  resources: [],
  ...rest,
});

const request = (n: number, time: number) =>
  envelope(`request-${n}`, time, {
    source: 'ecs-autopilot',
    'detail-type': 'Capacity Request',
    detail: { cluster: SAMPLE.cluster, capacityProvider: SAMPLE.capacityProvider },
  });

const placementFailure = (n: number, time: number) =>
  envelope(`failure-${n}`, time, {
    source: 'aws.ecs',
    'detail-type': 'ECS Service Action',
    resources: [`arn:aws:ecs:us-east-1:123456789012:service/${SAMPLE.cluster}/api`],
    detail: {
      clusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/${SAMPLE.cluster}`,
      eventType: 'WARN',
      eventName: 'SERVICE_TASK_PLACEMENT_FAILURE',
      capacityProviderArns: [
        `arn:aws:ecs:us-east-1:123456789012:capacity-provider/${SAMPLE.capacityProvider}`,
      ],
      reason: 'RESOURCE:MEMORY',
    },
  });

describe('a burst of 500 wake-ups, ECS throttled as documented', () => {
  it('is answered by a handful of passes, each within the buckets, none throttled', async () => {
    aws.throttling.enable({ share: 0.5 });
    const start = aws.world.now();
    // 500 capacity requests over ten seconds (a fan-out of scheduled runs at midnight), and the
    // placement failures ECS sent for api over the last few minutes, delivered late in one batch.
    const events = [
      ...Array.from({ length: 100 }, (_, n) => placementFailure(n, start - 240_000 + n * 1_000)),
      ...Array.from({ length: 400 }, (_, n) => request(n, start + n * 25)),
    ];
    aws.world.advance(1_000);

    let passes = 0;
    for (const event of events) {
      const summary = (await handler(
        event,
        lambdaContext({ functionName: 'scale-capacity' }),
      )) as CapacitySummary;
      expect(summary.status).not.toBe('failed');
      if (summary.status !== 'ignored') {
        passes += 1;
        aws.world.advance(PASS_MS);
      } else aws.world.advance(5);
    }

    expect(passes).toBeGreaterThan(0);
    expect(passes).toBeLessThanOrEqual(12);
    const throttled = aws.throttling.counts().reduce((sum, bucket) => sum + bucket.throttled, 0);
    expect(throttled).toBe(0);
    // Each pass reads the cluster once: a handful of passes is a handful of reads.
    expect(aws.calls.count('ecs:DescribeClusters')).toBe(passes);
  });
});
