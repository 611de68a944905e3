// scale-capacity end to end on the local endpoint: a partial read is never a fact (#23). ECS answers
// an ARN it cannot find at that moment in `failures[]` (reason MISSING) instead of failing the call;
// the instance behind it is busy all the same, and must never be taken for "never registered".
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CapacitySummary } from '../../functions/scale-capacity/pass';
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

const tick = () => scheduledEvent('ecs-autopilot-scale-capacity-tick', aws.world.now());
const invoke = async (event: unknown) =>
  (await handler(event, lambdaContext({ functionName: 'scale-capacity' }))) as CapacitySummary;
const groupIds = () => aws.world.groupInstances(SAMPLE.group).map((instance) => instance.instanceId);
const terminations = () => aws.calls.list('autoscaling:TerminateInstanceInAutoScalingGroup');

/** Ticks every minute for `minutes`, as the schedule does. */
async function tickFor(minutes: number): Promise<CapacitySummary[]> {
  const summaries: CapacitySummary[] = [];
  for (let minute = 0; minute < minutes; minute++) {
    summaries.push(await invoke(tick()));
    aws.world.advance(60_000);
  }
  return summaries;
}

describe('scale-capacity never acts on a partial view', () => {
  it('an instance whose ARN comes back MISSING is never removed, and the pass says it is partial', async () => {
    const [first] = SAMPLE.instances;
    aws.faults.set({ operation: 'ecs:DescribeContainerInstances', missing: [first as string] });

    const summaries = await tickFor(15); // past the 600 s boot timeout

    expect(terminations()).toEqual([]);
    expect(groupIds()).toContain(first);
    const last = summaries.at(-1)?.providers[0];
    expect(last?.partial?.join('\n')).toMatch(/DescribeContainerInstances.*MISSING/);
  });

  it('every ARN MISSING: nothing is removed (the group keeps its three busy instances)', async () => {
    aws.faults.set({ operation: 'ecs:DescribeContainerInstances', missing: true });

    await tickFor(15);

    expect(terminations()).toEqual([]);
    expect(groupIds()).toHaveLength(3);
    expect(aws.world.group(SAMPLE.group)?.desiredCapacity).toBe(3);
  });

  it('DescribeTasks failures while confirming an idle instance: it is not removed on that pass', async () => {
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 0);
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'worker', 0);
    aws.world.advance(60_000);
    await invoke(tick());
    aws.world.advance(301_000);
    aws.faults.set({ operation: 'ecs:DescribeTasks', missing: true });

    const summary = await invoke(tick());

    expect(summary.providers[0]?.removed).toEqual([]);
    expect(terminations()).toEqual([]);
    expect(summary.providers[0]?.partial?.join('\n')).toMatch(/DescribeTasks/);
  });
});
