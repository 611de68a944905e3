// run-scheduled-task end to end: a run resumed after its invocation crashed between RunTask and recording
// its tasks. A short task may have stopped by then, its events not yet seen: the resume finds it among the
// family's stopped tasks and records its outcome, rather than replaying the attempt's clientToken.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LocalAws, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import { type Handler, schedulerHarness, TICK } from './support/scheduler';

const sim = vi.hoisted(() => ({ advance: (_ms: number) => {} }));

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: async (ms: number) => sim.advance(ms) };
});

let aws: LocalAws;
let handler: Handler;
const { invoke, due, run, reportTasks, alerts } = schedulerHarness(
  () => aws,
  () => handler,
);

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, { DRY_RUN: 'false' });
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
  ({ handler } = (await import('../../functions/run-scheduled-task/index')) as unknown as {
    handler: Handler;
  });
});

afterAll(() => aws.close());

beforeEach(async () => {
  await aws.reset('sample');
});

/** The invocation dies right after its RunTask: the next state-table write fails (not retried). */
async function crashAfterRunTask(event: unknown) {
  const remove = aws.calls.onCall((call) => {
    if (call.name !== 'ecs:RunTask') return;
    aws.faults.set({ operation: 'dynamodb:UpdateItem', error: { code: 'AccessDeniedException' }, times: 1 });
    remove();
  });
  await expect(invoke(event)).rejects.toThrow();
}

describe('resume after a crash', () => {
  it('a short task that already stopped is adopted with its outcome; RunTask is not called again', async () => {
    aws.world.setTaskScript('report', { runForMs: 20_000, exitCode: 0 });
    const first = due();
    await crashAfterRunTask(first.event);
    expect(reportTasks()).toHaveLength(1);
    expect(await run(first.due)).toMatchObject({ status: 'PENDING', attempt: 1 });
    // Its events are lost (or late); the task ends before anyone looks again.
    aws.world.advance(400_000);
    aws.world.takeEvents({ detailType: 'ECS Task State Change' });
    expect(reportTasks('STOPPED')).toHaveLength(1);

    await invoke(TICK);
    expect(aws.calls.count('ecs:RunTask')).toBe(1);
    expect(await run(first.due)).toMatchObject({
      status: 'SUCCEEDED',
      taskArns: new Set([reportTasks()[0]?.arn]),
    });
    expect(alerts()).toEqual([]);
  });

  it('a stopped task that failed is FAILED and alerted once', async () => {
    aws.world.setTaskScript('report', { runForMs: 20_000, exitCode: 4 });
    const first = due();
    await crashAfterRunTask(first.event);
    aws.world.advance(400_000);
    aws.world.takeEvents({ detailType: 'ECS Task State Change' });
    await invoke(TICK);
    await invoke(first.event); // the Scheduler's retry of the crashed delivery
    expect(aws.calls.count('ecs:RunTask')).toBe(1);
    expect(await run(first.due)).toMatchObject({ status: 'FAILED' });
    expect(alerts()).toHaveLength(1);
  });
});
