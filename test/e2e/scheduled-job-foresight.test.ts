// Scheduled jobs foreseen, end to end on the local endpoint: scale-capacity reads run-scheduled-task's job
// registry, buys the instance a nightly job needs one boot before its due time (its minute ticks only, no
// capacity request), the run starts on it at once; a run skipped after the instance was bought leaves it
// idle, and the normal scale-in rules release it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import type { CapacitySummary } from '../../functions/scale-capacity/reconcile';
import { DEFAULT_BOOT_SECONDS, DEFAULT_MARGIN_SECONDS } from '../../shared/capacity/foresight';
import { nextDueAfter, parseSchedule } from '../../shared/schedule/expression';
import { dueFromMs } from '../../shared/schedule/identity';
import { JobSchema } from '../../shared/schedule/job';
import { type LocalAws, SAMPLE, scheduledEvent, startLocalAws } from '../local-aws/index';
import { lambdaContext as realTimeContext } from '../local-aws/lambda';
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
const SCHEDULE = 'cron(0 3 * * ? *)';
const LEAD_MS = (DEFAULT_BOOT_SECONDS + DEFAULT_MARGIN_SECONDS) * 1000;

let aws: LocalAws;
let scaleCapacity: Handler;
let runScheduledTask: Handler;

/** Lambda's remaining time on the simulated clock. */
function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 300_000;
  return {
    ...realTimeContext({ functionName, timeoutMs: 300_000 }),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

const tick = async () =>
  (await scaleCapacity(
    scheduledEvent('ecs-autopilot-scale-capacity-tick', aws.world.now()),
    lambdaContext('scale-capacity'),
  )) as CapacitySummary;
const desired = () => aws.world.group(SAMPLE.group)?.desiredCapacity ?? 0;

function nightlyJob(extra: Record<string, unknown> = {}) {
  const job = JSON.parse(
    readFileSync(
      join(import.meta.dirname, '../../events/run-scheduled-task/scheduler-invocation.json'),
      'utf8',
    ),
  ).job as Record<string, unknown>;
  return JobSchema.parse({ ...job, schedule: SCHEDULE, ...extra });
}

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
  scaleCapacity = (await import('../../functions/scale-capacity/index')).handler as Handler;
  runScheduledTask = (await import('../../functions/run-scheduled-task/index')).handler as Handler;
  // The group empties: its services go to zero and scale-capacity removes the idle instances.
  aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 0);
  aws.world.setServiceDesiredCount(SAMPLE.cluster, 'worker', 0);
  aws.world.advance(60_000);
  await tick();
  aws.world.advance(301_000);
  await tick();
  aws.world.advance(400_000);
  expect(aws.world.groupInstances(SAMPLE.group)).toHaveLength(0);
  // Last night's run made the job known to the registry, as run-scheduled-task records it.
  const { ScheduleStore } = await import('../../shared/state/jobs/store');
  const now = aws.world.now();
  await new ScheduleStore(SAMPLE.table).registerJob(
    nightlyJob(),
    SAMPLE.cluster,
    dueFromMs(now - 86_400_000),
    now,
  );
});

/** Minute ticks up to the job's due time; when the desired capacity first rose. */
async function ticksUntilDue(): Promise<{ due: number; raisedAt: number | undefined; reasons: string[] }> {
  const parsed = parseSchedule(SCHEDULE);
  if (!parsed.ok) throw new Error(parsed.message);
  const due = nextDueAfter(parsed.schedule, aws.world.now()) as number;
  aws.world.advance(due - 10 * 60_000 - aws.world.now());
  let raisedAt: number | undefined;
  const reasons: string[] = [];
  while (aws.world.now() < due) {
    const summary = await tick();
    if (raisedAt === undefined && desired() > 0) {
      raisedAt = aws.world.now();
      reasons.push(...(summary.providers[0]?.reasons ?? []));
    }
    aws.world.advance(Math.min(60_000, due - aws.world.now()));
  }
  return { due, raisedAt, reasons };
}

it('a nightly job on an empty group starts at its due time on the instance bought one boot ahead', async () => {
  const { due, raisedAt, reasons } = await ticksUntilDue();
  expect(raisedAt).toBeDefined();
  // Bought within the lead (boot + margin) before the due time, not earlier.
  expect(due - (raisedAt as number)).toBeLessThanOrEqual(LEAD_MS);
  expect(desired()).toBe(1);
  expect(reasons.join('\n')).toContain(`for job nightly-report due at ${dueFromMs(due)}`);
  // Registered and empty at the due time.
  expect(aws.world.instances(SAMPLE.cluster).filter((instance) => instance.status === 'ACTIVE')).toHaveLength(
    1,
  );

  const result = (await runScheduledTask(
    { job: nightlyJob(), scheduledTime: dueFromMs(due) },
    lambdaContext('run-scheduled-task'),
  )) as Record<string, unknown>;
  // Placed on the first attempt, seconds after its due time: no wait for capacity.
  expect(result).toMatchObject({ status: 'started' });
  expect(Number(result.attempts)).toBe(1);
  expect(aws.world.now() - due).toBeLessThan(10_000);
  expect(aws.world.tasks({ cluster: SAMPLE.cluster, family: 'report' })).toHaveLength(1);
  expect(aws.calls.count('events:PutEvents')).toBe(0);

  // The launch was measured (activity StartTime → registeredAt): the next nights plan with the group's
  // own boot, 90 s on the local endpoint, rather than the default.
  await tick();
  const { dynamodb } = await import('../../shared/aws/dynamodb');
  const { QueryCommand } = await import('@aws-sdk/lib-dynamodb');
  const { Items = [] } = await dynamodb.send(
    new QueryCommand({
      TableName: SAMPLE.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `capacity#${SAMPLE.cluster}#boot` },
    }),
  );
  expect(Items[0]?.samples).toEqual([
    expect.objectContaining({
      instanceId: aws.world.groupInstances(SAMPLE.group)[0]?.instanceId,
      seconds: 90,
    }),
  ]);
});

it('a run skipped after its instance was bought leaves it idle, and scale-in releases it', async () => {
  const { due, raisedAt } = await ticksUntilDue();
  expect(raisedAt).toBeDefined();
  const bought = aws.world.groupInstances(SAMPLE.group).map((instance) => instance.instanceId);
  expect(bought).toHaveLength(1);
  // The job was suspended meanwhile: run-scheduled-task records the run as skipped and starts nothing.
  const result = (await runScheduledTask(
    { job: nightlyJob({ suspend: true }), scheduledTime: dueFromMs(due) },
    lambdaContext('run-scheduled-task'),
  )) as Record<string, unknown>;
  expect(result).toMatchObject({ status: 'skipped' });
  const removed: string[] = [];
  for (let minute = 0; minute < 8 && removed.length === 0; minute++) {
    aws.world.advance(60_000);
    removed.push(...((await tick()).providers[0]?.removed ?? []));
  }
  expect(removed).toEqual(bought);
  expect(desired()).toBe(0);
});
