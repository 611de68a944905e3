// run-scheduled-task and scale-capacity together on the local endpoint: a job that finds no room asks for
// capacity and announces it on the bus; scale-capacity, woken by that event rather than its next tick,
// adds the instance; the job's retry starts the run on it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { capacityRequestPattern } from '../../functions/scale-capacity/rules';
import { dueFromMs } from '../../shared/schedule/identity';
import { matchesPattern } from '../infra/event-pattern';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { lambdaContext as realTimeContext } from '../local-aws/lambda';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';

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

type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;

let aws: LocalAws;
let runScheduledTask: Handler;
let scaleCapacity: Handler;

/** Lambda's remaining time on the simulated clock. */
function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 300_000;
  return {
    ...realTimeContext({ functionName, timeoutMs: 300_000 }),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, {
    DRY_RUN: 'false',
    CAPACITY_PROVIDERS: SAMPLE.capacityProvider,
    SCALE_IN_AFTER_SECONDS: '300',
    MAX_STEP: '10',
    BOOT_TIMEOUT_SECONDS: '600',
    HEADROOM: '',
    CONSOLIDATION: 'false',
  });
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
  runScheduledTask = (await import('../../functions/run-scheduled-task/index')).handler as unknown as Handler;
  scaleCapacity = (await import('../../functions/scale-capacity/index')).handler as unknown as Handler;
});

afterAll(() => aws.close());

it('a job without room: its capacity request wakes scale-capacity, one instance is added, the run starts', async () => {
  const job = JSON.parse(
    readFileSync(
      join(import.meta.dirname, '../../events/run-scheduled-task/scheduler-invocation.json'),
      'utf8',
    ),
  ).job as Record<string, unknown>;
  const desiredBefore = aws.world.group(SAMPLE.group)?.desiredCapacity ?? 0;
  const announced: unknown[] = [];
  // Between RunTask attempts, EventBridge delivers what was put on the bus (no minute tick is ever sent).
  sim.onSleep = async () => {
    const routed = aws.world.takeEvents().filter((event) => matchesPattern(capacityRequestPattern, event));
    for (const event of routed) {
      announced.push(event);
      await scaleCapacity(event, lambdaContext('scale-capacity'));
    }
  };
  const event = {
    // More memory than any sample instance has free, less than an empty m5.large.
    job: { ...job, overrides: { memory: '7000' } },
    scheduledTime: dueFromMs(aws.world.now()),
  };
  const result = await runScheduledTask(event, lambdaContext('run-scheduled-task'));

  expect(result).toMatchObject({ status: 'started' });
  expect(Number(result.attempts)).toBeGreaterThan(1);
  // Announced once per run, however many attempts failed before the instance registered.
  expect(announced).toHaveLength(1);
  expect(announced[0]).toMatchObject({
    source: 'ecs-autopilot',
    'detail-type': 'Capacity Request',
    detail: { cluster: 'web', capacityProvider: SAMPLE.capacityProvider, memoryMiB: 7000, count: 1 },
  });
  expect(aws.world.group(SAMPLE.group)?.desiredCapacity).toBe(desiredBefore + 1);
  expect(aws.calls.count('events:PutEvents')).toBe(1);
  expect(aws.world.tasks({ cluster: SAMPLE.cluster, family: 'report' })).toHaveLength(1);
});
