// run-scheduled-task end to end: the real handler and SDK clients against the local endpoint's simulated
// cluster. Backoff sleeps advance the simulated clock, so minutes of retries run in moments, and Lambda's
// remaining time (counted on the same clock) runs out as it would. Task state change events come from
// the world, filtered by the function's own EventBridge pattern.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { taskStateChangePattern } from '../../functions/run-scheduled-task/rules';
import { dueFromMs, startedByFor } from '../../shared/schedule/identity';
import { matchesPattern } from '../infra/event-pattern';
import { localClients } from '../local-aws/clients';
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

type Summary = Record<string, unknown> & { status: string };
type Handler = (event: unknown, context: Context) => Promise<Summary>;

/** Lambda's remaining time on the simulated clock. */
function lambdaContext(timeoutMs = 300_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    ...realTimeContext({ functionName: 'run-scheduled-task', timeoutMs }),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

const events = join(import.meta.dirname, '../../events/run-scheduled-task');
const sample = (name: string) => JSON.parse(readFileSync(join(events, name), 'utf8'));
const TICK = sample('reconcile-tick.json');
const JOB = sample('scheduler-invocation.json').job as Record<string, unknown>;

let aws: LocalAws;
let handler: Handler;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, { DRY_RUN: 'false' });
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
  documents = DynamoDBDocumentClient.from(localClients(aws.endpoint).dynamodb);
  ({ handler } = (await import('../../functions/run-scheduled-task/index')) as unknown as {
    handler: Handler;
  });
});

afterAll(() => aws.close());

beforeEach(async () => {
  await aws.reset('sample');
  sim.onSleep = undefined;
});

/** The Scheduler's invocation of the sample job, due now (or `offsetMs` from now), with job fields replaced. */
function due(fields: Record<string, unknown> = {}, offsetMs = 0) {
  const scheduledTime = dueFromMs(aws.world.now() + offsetMs);
  return { event: { job: { ...JOB, ...fields }, scheduledTime }, due: scheduledTime };
}

const invoke = (event: unknown, timeoutMs?: number) => handler(event, lambdaContext(timeoutMs));

/** Delivers the task state changes EventBridge would route to the function (its rule's pattern). */
async function deliverTaskEvents(times = 1, send = invoke): Promise<Summary[]> {
  const routed = aws.world
    .takeEvents({ detailType: 'ECS Task State Change' })
    .filter((event) => matchesPattern(taskStateChangePattern, event));
  const results: Summary[] = [];
  for (let round = 0; round < times; round++) {
    for (const event of routed) results.push(await send(event));
  }
  return results;
}

const reportTasks = (desiredStatus?: 'RUNNING' | 'STOPPED') =>
  aws.world.tasks({ cluster: SAMPLE.cluster, family: 'report', ...(desiredStatus ? { desiredStatus } : {}) });
const alerts = () => aws.world.snsPublications(SAMPLE.topicArn);

async function items(pk: string): Promise<Record<string, unknown>[]> {
  const { Items } = await documents.send(
    new QueryCommand({
      TableName: SAMPLE.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
    }),
  );
  return Items ?? [];
}
const run = async (dueTime: string) =>
  (await items('job#nightly-report')).find((item) => item.sk === `run#${dueTime}`);

describe('a run start to finish', () => {
  it('starts once, records RUNNING and the exit, keeps "last succeeded"', async () => {
    const first = due();
    expect(await invoke(first.event)).toMatchObject({ status: 'started' });
    expect(reportTasks()).toHaveLength(1);
    const [task] = reportTasks();
    expect(task).toMatchObject({
      startedBy: startedByFor('nightly-report', first.due),
      group: 'family:report',
    });
    expect(task?.tags).toEqual(
      expect.arrayContaining([
        { key: 'ecs-autopilot:job', value: 'nightly-report' },
        { key: 'ecs-autopilot:due', value: first.due },
      ]),
    );
    aws.world.advance(SAMPLE.reportRunMs + 120_000);
    const delivered = await deliverTaskEvents();
    expect(delivered.filter((result) => result.status === 'recorded').length).toBeGreaterThanOrEqual(2);
    expect(await run(first.due)).toMatchObject({ status: 'SUCCEEDED', outcome: { succeeded: true } });
    expect((await items('job#*'))[0]).toMatchObject({ lastSucceededDue: first.due });
    expect(alerts()).toEqual([]);
  });
});

describe('concurrency with a run still active', () => {
  async function firstRunActive() {
    await invoke(due().event);
    aws.world.advance(60_000);
    expect(reportTasks('RUNNING')).toHaveLength(1);
    return reportTasks('RUNNING')[0]?.arn as string;
  }

  it('Forbid: the second run waits, is skipped at its starting deadline, and nothing else starts', async () => {
    await firstRunActive();
    const second = due({ concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 120 });
    expect(await invoke(second.event)).toMatchObject({ status: 'waiting' });
    for (let minute = 0; minute < 3; minute++) {
      aws.world.advance(60_000);
      await invoke(TICK);
    }
    expect(reportTasks()).toHaveLength(1);
    expect(aws.calls.count('ecs:RunTask')).toBe(1);
    expect(await run(second.due)).toMatchObject({ status: 'SKIPPED' });
  });

  it('Replace: the active run is stopped with a reason, the new one runs', async () => {
    const old = await firstRunActive();
    const second = due({ concurrencyPolicy: 'Replace' });
    expect(await invoke(second.event)).toMatchObject({ status: 'started' });
    aws.world.advance(60_000);
    expect(aws.world.task(old)).toMatchObject({
      desiredStatus: 'STOPPED',
      stoppedReason: expect.stringMatching(/replaced by the run due .* \(concurrencyPolicy Replace\)/),
    });
    expect(reportTasks('RUNNING').map((task) => task.startedBy)).toEqual([
      startedByFor('nightly-report', second.due),
    ]);
    await deliverTaskEvents();
    expect(alerts()).toEqual([]); // the replaced run's stop is no failure
  });

  it('Allow: both run', async () => {
    await firstRunActive();
    expect(await invoke(due({ concurrencyPolicy: 'Allow' }).event)).toMatchObject({ status: 'started' });
    aws.world.advance(60_000);
    expect(reportTasks('RUNNING')).toHaveLength(2);
  });
});

describe('exactly one run per due time', () => {
  it('duplicate invocations, in turn and at once, start one task', async () => {
    const { event } = due();
    await Promise.all([invoke(event), invoke(event)]);
    await invoke(event);
    aws.world.advance(30_000);
    await invoke(event);
    expect(reportTasks()).toHaveLength(1);
  });
});

describe('capacity', () => {
  /** More memory than any sample instance has free, but less than an empty m5.large. */
  const big = { overrides: { memory: '7000' } };

  it('a capacity failure asks for capacity and the retry starts the run once it registers', async () => {
    let scaled = false;
    sim.onSleep = async () => {
      // Acting as scale-capacity: read the request and add an instance.
      const [request] = await items('capacity#web');
      if (request && !scaled) {
        expect(request).toMatchObject({
          sk: expect.stringMatching(/^web-asg-cp#nightly-report#/),
          memoryMiB: 7000,
          cpu: 256,
          count: 1,
        });
        aws.world.setDesiredCapacity(SAMPLE.group, 4);
        scaled = true;
      }
    };
    const result = await invoke(due(big).event);
    expect(result).toMatchObject({ status: 'started' });
    expect(Number(result.attempts)).toBeGreaterThan(1);
    expect(scaled).toBe(true);
    expect(reportTasks()).toHaveLength(1);
    expect(await items('capacity#web')).toEqual([]);
    expect(alerts()).toEqual([]);
  });

  it('capacity failures until the starting deadline give one missed-run alert with the reasons', async () => {
    const { event, due: dueTime } = due({ overrides: { memory: '16000' }, startingDeadlineSeconds: 180 });
    expect(await invoke(event, 60_000)).toMatchObject({ status: 'retrying', reasons: ['RESOURCE:MEMORY'] });
    for (let minute = 0; minute < 5; minute++) {
      aws.world.advance(60_000);
      await invoke(TICK);
      await invoke(event); // Scheduler's own retry of the same due time, for good measure
    }
    expect(reportTasks()).toEqual([]);
    expect(await run(dueTime)).toMatchObject({ status: 'MISSED' });
    expect(alerts()).toHaveLength(1);
    const [alert] = alerts();
    expect(alert?.subject).toBe(`Job nightly-report missed its run due ${dueTime}`);
    expect(alert?.textFor('email')).toMatch(/RunTask attempts: \d+ \(RESOURCE:MEMORY ×\d+\)/);
  });
});

describe('outcomes', () => {
  it('a hung run is stopped at its active deadline, and that stop is one failure alert', async () => {
    aws.world.setTaskScript('report', { runForMs: 3 * 3_600_000, exitCode: 0 });
    const { event } = due({ activeDeadlineSeconds: 900 });
    await invoke(event);
    for (let minute = 0; minute < 16; minute++) {
      aws.world.advance(60_000);
      await invoke(TICK);
    }
    const [task] = reportTasks();
    expect(task).toMatchObject({
      desiredStatus: 'STOPPED',
      stoppedReason: expect.stringMatching(/exceeded activeDeadlineSeconds \(900 s\)/),
    });
    aws.world.advance(60_000);
    await deliverTaskEvents(2);
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]?.textFor('email')).toMatch(/DeadlineExceeded/);
  });

  it('a failed exit code gives one alert, however often its events arrive', async () => {
    aws.world.setTaskScript('report', { runForMs: 60_000, exitCode: 3 });
    const { event, due: dueTime } = due();
    await invoke(event);
    aws.world.advance(180_000);
    await deliverTaskEvents(3);
    await invoke(TICK);
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]?.subject).toBe(`Job nightly-report failed: run due ${dueTime}`);
    expect(alerts()[0]?.textFor('email')).toMatch(/container report exited 3/);
    expect(await run(dueTime)).toMatchObject({ status: 'FAILED' });
  });
});

describe('a schedule gone silent', () => {
  it('a job whose due times stop arriving is alerted once, by the every-minute pass', async () => {
    const first = due({ expectEverySeconds: 3600 });
    await invoke(first.event);
    aws.world.advance(SAMPLE.reportRunMs + 120_000);
    await deliverTaskEvents();
    // The schedule is disabled: only the every-minute pass runs, past the hour expected + 900 s + a DST hour.
    for (let minute = 0; minute < 150; minute++) {
      aws.world.advance(60_000);
      await invoke(TICK);
    }
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]?.subject).toBe(`Job nightly-report has had no due run since ${first.due}`);
    expect(alerts()[0]?.textFor('email')).toMatch(/schedule \(or rule\) may be disabled or deleted/);
  });
});

describe('faults', () => {
  it('throttling on ECS, DynamoDB and SNS is survived: one run, one alert', async () => {
    // Each throttle costs the SDK's real backoff, so one of each kind the function calls.
    for (const operation of ['ecs:RunTask', 'ecs:ListTasks', 'dynamodb:*', 'sns:Publish']) {
      aws.faults.set({ operation, throttleRate: 1, times: 1 });
    }
    // The SDK's adaptive rate limiter refills by Date.now(): keep the faked clock moving in real time,
    // and give it fresh clients (a new container), since earlier tests moved the clock back by resets.
    const ticker = setInterval(() => aws.world.advance(20), 20);
    vi.resetModules();
    const fresh = (await import('../../functions/run-scheduled-task/index')) as unknown as {
      handler: Handler;
    };
    const invoke = (event: unknown) => fresh.handler(event, lambdaContext());
    try {
      aws.world.setTaskScript('report', { runForMs: 60_000, exitCode: 1 });
      const { event } = due();
      expect(await invoke(event)).toMatchObject({ status: 'started' });
      await invoke(event);
      aws.world.advance(180_000);
      await deliverTaskEvents(2, invoke);
    } finally {
      clearInterval(ticker);
    }
    expect(reportTasks()).toHaveLength(1);
    expect(alerts()).toHaveLength(1);
    expect(aws.calls.list().filter((call) => call.injected === 'throttle').length).toBe(4);
  }, 60_000);
});

describe('Replace whose StopTask fails', () => {
  /** Every SDK attempt of the next StopTask call answers 5xx (clientConfig.maxAttempts is 8). */
  const failNextStop = () => aws.faults.set({ operation: 'ecs:StopTask', serverErrorRate: 1, times: 8 });

  async function oldRunActive() {
    const first = due({ concurrencyPolicy: 'Replace' });
    await invoke(first.event);
    aws.world.advance(60_000);
    expect(reportTasks('RUNNING')).toHaveLength(1);
    return { old: reportTasks('RUNNING')[0]?.arn as string, oldDue: first.due };
  }

  it('starts nothing while the old run still runs, and the retried invocation redoes the stop', async () => {
    const { old } = await oldRunActive();
    const second = due({ concurrencyPolicy: 'Replace' });
    failNextStop();
    await expect(invoke(second.event)).rejects.toThrow();
    // No overlap: the new run did not start beside the old one.
    expect(aws.calls.count('ecs:RunTask')).toBe(1);
    expect(aws.world.task(old)).toMatchObject({ desiredStatus: 'RUNNING' });
    // Lambda's retry of the same due time stops the old run, then starts the new one.
    expect(await invoke(second.event)).toMatchObject({ status: 'started' });
    expect(aws.world.task(old)).toMatchObject({
      desiredStatus: 'STOPPED',
      stoppedReason: expect.stringMatching(/replaced by the run due/),
    });
    aws.world.advance(60_000);
    await deliverTaskEvents();
    expect(alerts()).toEqual([]);
  }, 60_000);

  it('the periodic pass also redoes the stop before starting the new run', async () => {
    const { old } = await oldRunActive();
    const second = due({ concurrencyPolicy: 'Replace' });
    failNextStop();
    await expect(invoke(second.event)).rejects.toThrow();
    aws.world.advance(60_000);
    await invoke(TICK);
    expect(aws.world.task(old)).toMatchObject({ desiredStatus: 'STOPPED' });
    expect(await run(second.due)).toMatchObject({ status: 'STARTED' });
  }, 60_000);

  it('an old run that later fails on its own is FAILED and alerted, not silently REPLACED', async () => {
    aws.world.setTaskScript('report', { runForMs: 5 * 60_000, exitCode: 2 });
    const { oldDue } = await oldRunActive();
    const second = due({ concurrencyPolicy: 'Replace', startingDeadlineSeconds: 60 });
    failNextStop();
    await expect(invoke(second.event)).rejects.toThrow();
    aws.world.advance(6 * 60_000);
    await deliverTaskEvents();
    expect(await run(oldDue)).toMatchObject({ status: 'FAILED' });
    expect(alerts().map((alert) => alert.subject)).toContain(`Job nightly-report failed: run due ${oldDue}`);
  }, 60_000);
});

describe('per-job serialization', () => {
  it('Forbid: two due times delivered together start one run, the other waits', async () => {
    const first = due({ concurrencyPolicy: 'Forbid' }, -120_000);
    const second = due({ concurrencyPolicy: 'Forbid' }, -60_000);
    const results = await Promise.all([invoke(first.event), invoke(second.event)]);
    expect(results.map((result) => result.status).sort()).toEqual(['started', 'waiting']);
    expect(reportTasks()).toHaveLength(1);
    expect(aws.calls.count('ecs:RunTask')).toBe(1);
  });
});

describe('Forbid with a run that outlives its period', () => {
  it('a due time skipped for an active run waits for it until its starting deadline, then runs', async () => {
    // An hourly job that takes 61 minutes must not lose every other run.
    aws.world.setTaskScript('report', { runForMs: 61 * 60_000, exitCode: 0 });
    const first = due({ concurrencyPolicy: 'Forbid', activeDeadlineSeconds: undefined });
    await invoke(first.event);
    aws.world.advance(60 * 60_000);
    const second = due({ concurrencyPolicy: 'Forbid', activeDeadlineSeconds: undefined });
    expect(await invoke(second.event)).toMatchObject({ status: 'waiting' });
    expect(aws.calls.count('ecs:RunTask')).toBe(1);
    for (let minute = 0; minute < 4; minute++) {
      aws.world.advance(60_000);
      await deliverTaskEvents();
      await invoke(TICK);
    }
    expect(await run(first.due)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await run(second.due)).toMatchObject({ status: 'STARTED' });
    expect(reportTasks('RUNNING').map((task) => task.startedBy)).toEqual([
      startedByFor('nightly-report', second.due),
    ]);
    expect(alerts()).toEqual([]);
  });

  it('a hung run: each due time is skipped at its deadline; one alert for the run, one for the streak', async () => {
    aws.world.setTaskScript('report', { runForMs: 24 * 3_600_000, exitCode: 0 });
    const job = { concurrencyPolicy: 'Forbid', activeDeadlineSeconds: undefined, expectEverySeconds: 3600 };
    const first = due(job);
    await invoke(first.event);
    aws.world.advance(60 * 60_000);
    for (let hour = 1; hour <= 5; hour++) {
      const next = due(job);
      expect(await invoke(next.event)).toMatchObject({ status: 'waiting' });
      aws.world.advance(16 * 60_000);
      await invoke(TICK);
      expect(await run(next.due)).toMatchObject({ status: 'SKIPPED' });
      aws.world.advance(44 * 60_000);
    }
    expect(aws.calls.count('ecs:RunTask')).toBe(1);
    const subjects = alerts().map((alert) => alert.subject);
    expect(subjects).toHaveLength(2);
    expect(subjects).toContain(`Job nightly-report: run due ${first.due} still running`);
    expect(subjects).toContain(`Job nightly-report: 3 due runs in a row skipped (concurrencyPolicy Forbid)`);
  });
});

describe('time from the schedule itself', () => {
  const daily = {
    schedule: 'cron(30 2 * * ? *)',
    timeZone: 'America/New_York',
    activeDeadlineSeconds: undefined,
  };
  const advanceTo = (iso: string) => aws.world.advance(Date.parse(iso) - aws.world.now());
  async function ticksUntil(iso: string, everyMs = 30 * 60_000) {
    while (aws.world.now() + everyMs <= Date.parse(iso)) {
      aws.world.advance(everyMs);
      await invoke(TICK);
    }
    advanceTo(iso);
  }

  it('a daily 02:30 New York job across spring-forward raises no silence alert; a due time that never comes does', async () => {
    advanceTo('2025-03-08T07:30:00Z'); // 02:30 EST, the day before the clocks go forward
    expect(await invoke(due(daily).event)).toMatchObject({ status: 'started' });
    // 2025-03-09 has no 02:30 in New York: Scheduler skips it, the next due time is 47 hours later.
    await ticksUntil('2025-03-10T06:30:00Z');
    expect(alerts()).toEqual([]);
    expect(await invoke(due(daily).event)).toMatchObject({ status: 'started' });
    // The schedule is disabled: the 2025-03-11 02:30 EDT due time never arrives.
    await ticksUntil('2025-03-11T08:00:00Z');
    expect(alerts().map((alert) => alert.subject)).toEqual([
      'Job nightly-report has had no due run since 2025-03-10T06:30:00Z',
    ]);
  }, 60_000);

  it('a flexible window that leaves the starting deadline no room is refused, saying why', async () => {
    const result = await invoke(
      due({ schedule: 'rate(1 hour)', flexibleTimeWindowMinutes: 15, startingDeadlineSeconds: 900 }).event,
    );
    expect(result).toMatchObject({ status: 'invalid-job' });
    expect(JSON.stringify(result.problems)).toMatch(/flexibleTimeWindowMinutes.*no room/);
    expect(aws.calls.count('ecs:RunTask')).toBe(0);
  });
});

describe('Allow with a backlog', () => {
  it('starts only the most recent due time; older ones are skipped, with one alert for those missed', async () => {
    const job = {
      concurrencyPolicy: 'Allow',
      schedule: 'cron(* * * * ? *)',
      startingDeadlineSeconds: 300,
      activeDeadlineSeconds: undefined,
    };
    // Deliveries held back ten minutes (throttling, an outage) arrive in one burst, oldest first.
    const backlog = Array.from({ length: 11 }, (_, index) => due(job, (index - 10) * 60_000));
    const results = [];
    for (const { event } of backlog) results.push(await invoke(event));
    expect(results.map((result) => result.status)).toEqual([...Array(10).fill('skipped'), 'started']);
    expect(aws.calls.count('ecs:RunTask')).toBe(1);
    expect(await run(backlog[0]?.due as string)).toMatchObject({ status: 'SKIPPED' });
    for (let minute = 0; minute < 4; minute++) {
      aws.world.advance(60_000);
      await invoke(TICK);
    }
    // The five past their starting deadline are one alert, not five.
    expect(alerts().map((alert) => alert.subject)).toEqual([
      `Job nightly-report missed 5 runs due ${backlog[0]?.due} to ${backlog[4]?.due} (a backlog)`,
    ]);
  });
});

describe('outcomes judged as the user means them', () => {
  /** report with an essential log-router sidecar, as report:8. */
  function withSidecar() {
    aws.world.registerTaskDefinition({
      family: 'report',
      networkMode: 'bridge',
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        { name: 'report', image: 'report:3.0.1', essential: true },
        { name: 'log-router', image: 'fluent-bit:2.32.0', essential: true },
      ],
    });
    aws.world.setTaskScript('report', { runForMs: 60_000, exitCode: 0 });
  }

  it('the main container exits 0 and ECS SIGTERMs the essential sidecar (143): the run succeeded', async () => {
    withSidecar();
    const { event, due: dueTime } = due({ taskDefinition: 'report:8', activeDeadlineSeconds: undefined });
    expect(await invoke(event)).toMatchObject({ status: 'started' });
    aws.world.advance(180_000);
    await deliverTaskEvents();
    const task = reportTasks()[0];
    expect(task?.containers.find((container) => container.name === 'log-router')?.exitCode).toBe(143);
    expect(await run(dueTime)).toMatchObject({ status: 'SUCCEEDED' });
    expect(alerts()).toEqual([]);
  });

  it('successContainers names the containers whose exit decides', async () => {
    withSidecar();
    const job = {
      taskDefinition: 'report:8',
      activeDeadlineSeconds: undefined,
      successContainers: ['log-router'],
    };
    const { event, due: dueTime } = due(job);
    await invoke(event);
    aws.world.advance(180_000);
    await deliverTaskEvents();
    // The sidecar did not end by itself: the job says its exit is what counts.
    expect(await run(dueTime)).toMatchObject({ status: 'FAILED' });
  });
});

describe('history that remembers', () => {
  it('a duplicate delivered after its run was trimmed is answered, not decided afresh', async () => {
    const job = {
      concurrencyPolicy: 'Allow',
      successfulRunsHistoryLimit: 1,
      activeDeadlineSeconds: undefined,
    };
    const first = due(job);
    // Five due runs, each done before the next: the fifth trims the history to one success.
    for (let index = 0; index < 5; index++) {
      expect(await invoke(due(job).event)).toMatchObject({ status: 'started' });
      aws.world.advance(SAMPLE.reportRunMs + 120_000);
      await deliverTaskEvents();
    }
    // Trimmed to a small marker, kept while RunTask still knows the run's clientToken.
    expect(await run(first.due)).toMatchObject({ status: 'SUCCEEDED', marker: true });
    expect(await run(first.due)).not.toHaveProperty('taskArns');
    // Scheduler redelivers the first due time (its retry policy runs for up to a day).
    expect(await invoke(first.event)).toMatchObject({ status: 'already-decided', runStatus: 'SUCCEEDED' });
    expect(aws.calls.count('ecs:RunTask')).toBe(5);
    expect(alerts()).toEqual([]);
  });

  it('skips do not push real results out of the history', async () => {
    const job = { activeDeadlineSeconds: undefined };
    const succeeded = due(job);
    await invoke(succeeded.event);
    aws.world.advance(SAMPLE.reportRunMs + 120_000);
    await deliverTaskEvents();
    // More skipped due times than the history keeps runs (RUN_HISTORY, 20).
    for (let index = 0; index < 25; index++) {
      aws.world.advance(60_000);
      expect(await invoke(due({ ...job, suspend: true }).event)).toMatchObject({ status: 'skipped' });
    }
    expect(await run(succeeded.due)).toMatchObject({ status: 'SUCCEEDED', outcome: { succeeded: true } });
  });
});
