// run-scheduled-task end to end: a failed-run alert a person can act on. It links the task, its task
// definition revision and its containers' logs, says when the job last succeeded, and counts the failures
// in a row ("failed 3 runs in a row") rather than sending unrelated repeats.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import { type Handler, schedulerHarness } from './support/scheduler';

const sim = vi.hoisted(() => ({ advance: (_ms: number) => {} }));

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: async (ms: number) => sim.advance(ms) };
});

let aws: LocalAws;
let handler: Handler;
const world = schedulerHarness(
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

const DAY_MS = 86_400_000;

/** One night of the job: due now, run to its end with the given exit code. Answers its due time. */
async function night(exitCode: number) {
  aws.world.setTaskScript('report', { runForMs: 60_000, exitCode });
  const { event, due } = world.due();
  expect(await world.invoke(event)).toMatchObject({ status: 'started' });
  aws.world.advance(180_000);
  await world.deliverTaskEvents();
  aws.world.advance(DAY_MS - 180_000);
  return due;
}

describe('a failed run alert a person can act on', () => {
  it('links the task, its revision and logs, names the last success, and counts failures in a row', async () => {
    const succeeded = await night(0);
    const failed = [await night(1), await night(1), await night(1)];
    const alerts = world.alerts();
    expect(alerts).toHaveLength(3);

    const third = alerts[2];
    expect(third?.subject).toBe(`Job nightly-report failed 3 runs in a row: run due ${failed[2]}`);
    const text = third?.textFor('email') ?? '';
    expect(text).toContain(`It has now failed 3 runs in a row, since the run due ${failed[0]}.`);
    expect(text).toContain(`Last success: the run due ${succeeded}`);
    const [task] = world.reportTasks().slice(-1);
    const taskUrl = new URL(text.match(/ {2}task: (\S+)/)?.[1] ?? 'about:blank');
    expect(taskUrl.origin).toBe('https://us-east-1.console.aws.amazon.com');
    expect(taskUrl.pathname).toBe(`/ecs/v2/clusters/${SAMPLE.cluster}/tasks/${task?.id}`);
    expect(text).toMatch(/\(report:7\): container report exited 1/);
    const logs = new URL(text.match(/ {2}logs of report: (\S+)/)?.[1] ?? 'about:blank');
    expect(logs.pathname).toBe('/cloudwatch/home');
    expect(decodeURIComponent(logs.hash.replaceAll('$', '%'))).toContain(
      encodeURIComponent(`ecs/report/${task?.id}`),
    );

    // The first failure is no streak yet; the second says 2.
    expect(alerts[0]?.subject).toBe(`Job nightly-report failed: run due ${failed[0]}`);
    expect(alerts[1]?.subject).toContain('failed 2 runs in a row');

    // A success ends the streak: the next failure is the first again.
    await night(0);
    expect(await world.registry()).not.toHaveProperty('failStreak');
    const again = await night(1);
    expect(world.alerts()[3]?.subject).toBe(`Job nightly-report failed: run due ${again}`);
  });

  it('a repeated stop event sends no second alert and reads nothing more', async () => {
    aws.world.setTaskScript('report', { runForMs: 60_000, exitCode: 1 });
    const { event } = world.due();
    await world.invoke(event);
    aws.world.advance(180_000);
    const routed = aws.world.events({ detailType: 'ECS Task State Change' });
    await world.deliverTaskEvents();
    const describes = aws.calls.count('ecs:DescribeTaskDefinition');
    for (const repeat of routed) await world.invoke(repeat);
    expect(world.alerts()).toHaveLength(1);
    // Each STOPPED event still reads the definition once for its essential containers, never for the alert.
    expect(aws.calls.count('ecs:DescribeTaskDefinition') - describes).toBeLessThanOrEqual(
      routed.filter((e) => (e.detail as { lastStatus?: string }).lastStatus === 'STOPPED').length,
    );
  });
});
