// drain-instance through an operator's bad day (issue #15): the state table down or throttled, the
// function not invoked at all. Safety (heartbeats, DRAINING) must never wait on the table, and the
// hook's default heartbeat timeout must outlast an hour without the function: in each case no task on
// the leaving instance ends stopped by its termination, and the drain completes once things recover.

import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DrainSummary } from '../../functions/drain-instance/handle';
import { DEFAULT_HEARTBEAT_TIMEOUT } from '../../infra/constants';
import { type FaultConfig, type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
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
const MINUTE = 60_000;

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, ENV);
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
});

afterAll(() => aws.close());

beforeEach(async () => {
  await aws.reset('sample');
});

async function loadHandler(): Promise<Handler> {
  Object.assign(process.env, ENV);
  vi.resetModules();
  const { handler } = await import('../../functions/drain-instance/index');
  // Retries happen as deployed (8 attempts); only the real-time wait between them is shortened.
  const quick = new ConfiguredRetryStrategy(8, (attempt) => 2 * attempt);
  const { dynamodb } = await import('../../shared/aws/dynamodb');
  dynamodb.config.retryStrategy = async () => quick;
  return handler as Handler;
}

const invoke = async (handler: Handler, event: unknown, timeoutMs: number) =>
  (await handler(event, lambdaContext(timeoutMs))) as DrainSummary;

interface Outage {
  /** How long, from the scale-in. */
  ms: number;
  /** The state table's fault meanwhile; without one, the function itself is not invoked at all. */
  fault?: FaultConfig;
  /** The hook's heartbeat timeout: the sample's 300 s, or the one the templates create. */
  heartbeatTimeoutSeconds?: number;
}

/**
 * A scale-in of I1 carrying a 10-minute standalone job (policy wait) and service tasks, through an
 * outage starting at the scale-in; the schedule ticks every minute whenever the function runs.
 */
async function scaleInThrough(outage: Outage) {
  if (outage.heartbeatTimeoutSeconds !== undefined) {
    aws.world.putLifecycleHook({
      group: SAMPLE.group,
      name: SAMPLE.hook,
      heartbeatTimeoutSeconds: outage.heartbeatTimeoutSeconds,
      defaultResult: 'CONTINUE',
      notificationMetadata: JSON.stringify({ cluster: SAMPLE.cluster }),
    });
  }
  const handler = await loadHandler();
  aws.world.setDesiredCapacity(SAMPLE.group, 4);
  aws.world.advance(120_000);
  aws.world.takeEvents();
  aws.world.runStandaloneTask({
    cluster: SAMPLE.cluster,
    taskDefinition: 'report:7',
    onInstances: [aws.world.findContainerInstance(I1)?.arn as string],
  });
  const tasksBefore = aws.world.tasks({ instance: I1, desiredStatus: 'RUNNING' }).map((task) => task.arn);
  aws.world.terminateInstanceInGroup(I1, true);
  const [event] = aws.world.takeEvents({ detailType: LIFECYCLE });
  const start = aws.world.now();
  const end = start + outage.ms;
  let recover = outage.fault ? aws.faults.set(outage.fault) : undefined;
  const functionRuns = () => outage.fault !== undefined || aws.world.now() >= end;
  const heal = () => {
    if (recover && aws.world.now() >= end) {
      recover();
      recover = undefined;
    }
  };
  const errors: string[] = [];
  const run = async (input: unknown, timeoutMs: number) => {
    try {
      await invoke(handler, input, timeoutMs);
    } catch (error) {
      errors.push(String(error)); // Lambda would retry or the next tick takes over: keep going
    }
  };
  if (functionRuns()) await run(event, 300_000);
  const done = () => aws.world.lifecycleActions({ instanceId: I1 }).at(-1)?.completedAt !== undefined;
  for (let minute = 0; minute < 200 && !done(); minute++) {
    aws.world.advance(MINUTE - ((aws.world.now() - start) % MINUTE));
    heal();
    if (functionRuns()) await run(TICK, 55_000);
  }
  heal();
  aws.world.advance(3 * MINUTE); // the termination that follows the completion
  return { start, tasksBefore, errors };
}

function expectNoTaskKilled(tasksBefore: readonly string[]) {
  const action = aws.world.lifecycleActions({ instanceId: I1 }).at(-1);
  expect(action).toMatchObject({ completedBy: 'api', result: 'CONTINUE' });
  const killed = aws.world
    .tasks({ instance: I1 })
    .filter((task) => /terminated/.test(task.stoppedReason ?? ''))
    .map((task) => `${task.arn} ${task.stoppedReason}`);
  expect(killed).toEqual([]);
  for (const arn of tasksBefore) expect(aws.world.task(arn)?.lastStatus).toBe('STOPPED');
  // The job finished on its own: the drain waited for it (policy wait).
  expect(aws.world.tasks({ family: 'report' })[0]?.stopCode).toBe('EssentialContainerExited');
}

const tableDown: FaultConfig = { operation: 'dynamodb:*', serverErrorRate: 1 };
const tableThrottled: FaultConfig = { operation: 'dynamodb:*', throttleRate: 1 };

describe('drain-instance outages: no task killed, drain completed after recovery', () => {
  it('the state table down for 6 minutes during a scale-in (hook heartbeat timeout 300 s)', {
    timeout: 120_000,
  }, async () => {
    const { tasksBefore } = await scaleInThrough({ ms: 6 * MINUTE, fault: tableDown });
    expectNoTaskKilled(tasksBefore);
    // DRAINING came at the scale-in, not after the table's recovery.
    const [draining] = aws.calls.list('ecs:UpdateContainerInstancesState');
    expect(draining?.at).toBeDefined();
  });

  it('the state table down for 60 minutes during a scale-in', { timeout: 240_000 }, async () => {
    const { tasksBefore, start } = await scaleInThrough({ ms: 60 * MINUTE, fault: tableDown });
    expectNoTaskKilled(tasksBefore);
    const [draining] = aws.calls.list('ecs:UpdateContainerInstancesState');
    expect((draining?.at as number) - start).toBeLessThan(MINUTE);
  });

  it('the state table throttled for 20 minutes during a scale-in', { timeout: 240_000 }, async () => {
    const { tasksBefore } = await scaleInThrough({ ms: 20 * MINUTE, fault: tableThrottled });
    expectNoTaskKilled(tasksBefore);
  });

  it('the function not invoked for 10 minutes (event lost, schedule stopped), default hook', {
    timeout: 120_000,
  }, async () => {
    const { tasksBefore, start } = await scaleInThrough({
      ms: 10 * MINUTE,
      heartbeatTimeoutSeconds: DEFAULT_HEARTBEAT_TIMEOUT.toSeconds(),
    });
    expectNoTaskKilled(tasksBefore);
    const completed = aws.world.lifecycleActions({ instanceId: I1 }).at(-1)?.completedAt as number;
    expect(completed - start).toBeGreaterThan(10 * MINUTE);
  });

  it('the function not invoked for 60 minutes, default hook', { timeout: 120_000 }, async () => {
    const { tasksBefore, start } = await scaleInThrough({
      ms: 60 * MINUTE,
      heartbeatTimeoutSeconds: DEFAULT_HEARTBEAT_TIMEOUT.toSeconds(),
    });
    expectNoTaskKilled(tasksBefore);
    const completed = aws.world.lifecycleActions({ instanceId: I1 }).at(-1)?.completedAt as number;
    expect(completed - start).toBeGreaterThan(60 * MINUTE);
  });
});
