// run-scheduled-task end to end: runs the infrastructure killed (Spot interruption, a drain's stop, a
// transient start failure) are started again when the job opts in (retry.infrastructureKills), under the
// same run record and startedBy, with a new RunTask clientToken; a job's own failure never is.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { taskStateChangePattern } from '../../functions/run-scheduled-task/rules';
import { stopReason } from '../../shared/drain/plan';
import { startedByFor } from '../../shared/schedule/identity';
import { matchesPattern } from '../infra/event-pattern';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import { type Handler, JOB, schedulerHarness } from './support/scheduler';

const sim = vi.hoisted(() => ({ advance: (_ms: number) => {} }));

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: async (ms: number) => sim.advance(ms) };
});

let aws: LocalAws;
let handler: Handler;
const { invoke, deliverTaskEvents, reportTasks, alerts, run, ticks, ...harness } = schedulerHarness(
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

/** The sample job, opted in to retries of infrastructure kills unless `fields` says otherwise. */
const due = (fields: Record<string, unknown> = {}) =>
  harness.due({ retry: { ...(JOB.retry as object), infrastructureKills: 2 }, ...fields });

const runTaskTokens = () =>
  aws.calls.list('ecs:RunTask').map((call) => (call.input as { clientToken?: string }).clientToken);

/** Starts the run and lets its task reach RUNNING; answers the task. */
async function runningTask(event: unknown) {
  expect(await invoke(event)).toMatchObject({ status: 'started' });
  aws.world.advance(60_000);
  await deliverTaskEvents();
  const [task] = reportTasks('RUNNING');
  expect(task).toBeDefined();
  return task as NonNullable<typeof task>;
}

describe('retries of runs killed by the infrastructure', () => {
  it('a Spot interruption: the run starts again at once (new clientToken, same run), then succeeds; no alert', async () => {
    const first = due();
    const killed = await runningTask(first.event);
    aws.world.interruptSpot(killed.ec2InstanceId as string);
    aws.world.advance(150_000);
    expect(aws.world.task(killed.arn)).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'SpotInterruption' });
    // The stop event delivered twice at once (EventBridge delivers at least once): one retry.
    const stops = aws.world
      .takeEvents({ detailType: 'ECS Task State Change' })
      .filter((event) => matchesPattern(taskStateChangePattern, event));
    // The invocation that records the kill starts the run again at once.
    await Promise.all([...stops, ...stops].map((event) => invoke(event)));
    expect(await run(first.due)).toMatchObject({ status: 'STARTED', infraRetries: 1 });
    aws.world.advance(60_000);
    const [again] = reportTasks('RUNNING');
    expect(again?.arn).not.toBe(killed.arn);
    expect(again?.startedBy).toBe(startedByFor('nightly-report', first.due));
    const tokens = runTaskTokens();
    expect(tokens).toHaveLength(2);
    expect(new Set(tokens).size).toBe(2);

    aws.world.advance(SAMPLE.reportRunMs + 60_000);
    await deliverTaskEvents();
    await deliverTaskEvents();
    const record = await run(first.due);
    expect(record).toMatchObject({ status: 'SUCCEEDED', infraRetries: 1 });
    expect(record?.taskArns).toEqual(new Set([again?.arn]));
    expect(alerts()).toEqual([]);
  });

  it("a drain's stop-after stop is retried too; a late repeat of the killed task's event changes nothing", async () => {
    const first = due();
    const killed = await runningTask(first.event);
    aws.world.stopTask(
      aws.world.task(killed.arn) as NonNullable<ReturnType<typeof aws.world.task>>,
      stopReason(killed.ec2InstanceId as string, SAMPLE.group, 'terminate'),
    );
    aws.world.advance(60_000);
    const stopped = aws.world
      .events({ detailType: 'ECS Task State Change' })
      .filter((event) => matchesPattern(taskStateChangePattern, event));
    await deliverTaskEvents();
    await ticks(2);
    expect(reportTasks('RUNNING')).toHaveLength(1);
    for (const event of stopped) await invoke(event); // redelivered late
    const record = await run(first.due);
    expect(record).toMatchObject({ status: 'STARTED', infraRetries: 1 });
    expect(record?.taskArns).not.toContain(killed.arn);
    expect(alerts()).toEqual([]);
  });

  it('a restart that fails in the invocation that saw the kill is made by the every-minute pass', async () => {
    const first = due();
    const killed = await runningTask(first.event);
    aws.world.interruptSpot(killed.ec2InstanceId as string);
    aws.world.advance(150_000);
    // The state table refuses the next read once the run is back to PENDING: the restart can't be made here.
    const remove = aws.calls.onCall((call) => {
      if (call.name !== 'dynamodb:UpdateItem' || !JSON.stringify(call.input).includes('infraRetries')) return;
      aws.faults.set({ operation: 'dynamodb:GetItem', error: { code: 'AccessDeniedException' }, times: 1 });
      remove();
    });
    await deliverTaskEvents();
    expect(await run(first.due)).toMatchObject({ status: 'PENDING', infraRetries: 1 });
    expect(aws.calls.count('ecs:RunTask')).toBe(1);
    await ticks(1);
    expect(await run(first.due)).toMatchObject({ status: 'STARTED', infraRetries: 1 });
    expect(aws.calls.count('ecs:RunTask')).toBe(2);
    expect(alerts()).toEqual([]);
  });

  it('a transient start failure is retried; an image that cannot be pulled is not', async () => {
    const transient = due();
    aws.world.failStarts({
      family: 'report',
      stoppedReason: 'Task failed to start',
      containerReason: 'DockerTimeoutError: Could not transition to created; timed out after waiting 4m0s',
      times: 1,
    });
    expect(await invoke(transient.event)).toMatchObject({ status: 'started' });
    aws.world.advance(60_000);
    await deliverTaskEvents();
    expect(await run(transient.due)).toMatchObject({ status: 'STARTED', infraRetries: 1 });
    aws.world.advance(60_000);
    expect(reportTasks('RUNNING')).toHaveLength(1);
    expect(alerts()).toEqual([]);

    aws.world.advance(SAMPLE.reportRunMs + 60_000);
    await deliverTaskEvents();
    const lasting = due();
    aws.world.failStarts({
      family: 'report',
      stoppedReason:
        'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/acme/report:7: not found',
      times: 1,
    });
    await invoke(lasting.event);
    aws.world.advance(60_000);
    await deliverTaskEvents();
    expect(await run(lasting.due)).toMatchObject({ status: 'FAILED' });
    expect(alerts()).toHaveLength(1);
  });

  it('past its limit a killed run fails, with one alert', async () => {
    const limited = due({ retry: { infrastructureKills: 1 } });
    let task = await runningTask(limited.event);
    aws.world.interruptSpot(task.ec2InstanceId as string);
    aws.world.advance(150_000);
    await deliverTaskEvents();
    await ticks(2);
    aws.world.advance(60_000);
    await deliverTaskEvents();
    [task] = reportTasks('RUNNING') as [typeof task];
    aws.world.interruptSpot(task.ec2InstanceId as string);
    aws.world.advance(150_000);
    await deliverTaskEvents();
    expect(await run(limited.due)).toMatchObject({ status: 'FAILED', infraRetries: 1 });
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]?.textFor('email')).toContain(
      'It was started again 1 time(s) after the infrastructure killed it.',
    );
    expect(aws.calls.count('ecs:RunTask')).toBe(2);
  });
});
