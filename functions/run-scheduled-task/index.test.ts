import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  AccessDeniedException,
  ClientException,
  ClusterNotFoundException,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSServiceException,
  InvalidParameterException,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSServiceException } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { clientTokenFor } from '../../shared/schedule/identity';
import { TRIM_EVERY } from '../../shared/state/jobs/store';
import {
  BASE_ENV,
  DUE,
  DUE_MS,
  ecsMock,
  eventbridgeMock,
  FakeEcs,
  fixture,
  invocation,
  lambdaContext,
  publications,
  snsMock,
  startStateTable,
} from './handler.fixtures';

const clock = vi.hoisted(() => ({
  sleeps: [] as number[],
  onSleep: undefined as undefined | (() => unknown),
}));

// Backoff sleeps move the faked clock instead of waiting.
vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return {
    ...original,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      vi.setSystemTime(Date.now() + ms);
      await clock.onSleep?.();
    },
  };
});

type Handler = (
  event: unknown,
  context: ReturnType<typeof lambdaContext>,
) => Promise<Record<string, unknown>>;

let table: Awaited<ReturnType<typeof startStateTable>>;
let ecs: FakeEcs;
let metricNames: string[];
let metricValues: [string, string, number][];

async function loadHandler(env: Record<string, string> = {}): Promise<Handler> {
  Object.assign(process.env, BASE_ENV, env);
  vi.resetModules();
  const module = await import('./index');
  return module.handler as unknown as Handler;
}

/** Emitted metrics by name: each emit writes the aggregate and the per-job metric. */
const metric = (name: string) => metricNames.filter((candidate) => candidate === name).length / 2;
const runTasks = () => ecsMock.commandCalls(RunTaskCommand).map((call) => call.args[0].input);
const runRecord = async (job = 'nightly-report', due = DUE) =>
  (await table.items(`job#${job}`)).find((item) => item.sk === `run#${due}`);

/** ListTasks fails for these clusters (deleted, or ListTasks denied there); the others answer as usual. */
function listingFails(failures: Record<string, () => Error>) {
  ecsMock.on(ListTasksCommand).callsFake((input) => {
    const failure = failures[input.cluster];
    if (failure) throw failure();
    return {
      taskArns: ecs
        .runningTasks()
        .filter((task) => !input.family || task.group === `family:${input.family}`)
        .map((task) => task.taskArn),
    };
  });
}
const clusterNotFound = () => new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} });

beforeAll(async () => {
  table = await startStateTable();
});

afterAll(async () => {
  vi.useRealTimers();
  await table.close();
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
});

beforeEach(async () => {
  await table.reset();
  ecsMock.reset();
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  eventbridgeMock.reset();
  eventbridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  ecs = new FakeEcs();
  ecs.install();
  clock.sleeps = [];
  clock.onSleep = undefined;
  metricNames = [];
  metricValues = [];
  vi.spyOn(Metrics.prototype, 'addMetric').mockImplementation(function (this: Metrics, name, unit, value) {
    metricNames.push(name);
    metricValues.push([name, unit, value]);
    return this;
  });
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(DUE_MS + 5_000);
});

describe('a due run', () => {
  it('starts the job once with a token, startedBy and tags naming job and due time', async () => {
    const handler = await loadHandler();
    const result = await handler(fixture('scheduler-invocation.json'), lambdaContext());
    expect(result).toMatchObject({ status: 'started', job: 'nightly-report', due: DUE, attempts: 1 });
    expect(ecsMock).toHaveReceivedCommandWith(RunTaskCommand, {
      cluster: 'web',
      taskDefinition: 'report:7',
      count: 1,
      clientToken: clientTokenFor('nightly-report', DUE, 1),
      startedBy: 'ecs-autopilot/nightly-report/20250115T030000Z',
      tags: [
        { key: 'team', value: 'analytics' },
        { key: 'ecs-autopilot:job', value: 'nightly-report' },
        { key: 'ecs-autopilot:due', value: DUE },
      ],
      capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1, base: 0 }],
      propagateTags: 'TASK_DEFINITION',
    });
    expect(await runRecord()).toMatchObject({ status: 'STARTED', count: 1, attempt: 1 });
    expect(await table.items('job#*')).toMatchObject([
      { sk: 'nightly-report', cluster: 'web', family: 'report' },
    ]);
    expect(metric('RunsStarted')).toBe(1);
  });

  it('accepts the scheduled rule form, the due time taken from the event time', async () => {
    const handler = await loadHandler();
    expect(await handler(fixture('scheduled-rule-event.json'), lambdaContext())).toMatchObject({
      status: 'started',
      due: DUE,
    });
  });

  it('a duplicate invocation starts nothing more', async () => {
    const handler = await loadHandler();
    await handler(invocation(), lambdaContext());
    expect(await handler(invocation(), lambdaContext())).toMatchObject({
      status: 'already-decided',
      runStatus: 'STARTED',
    });
    expect(runTasks()).toHaveLength(1);
    expect(ecs.tasks.size).toBe(1);
  });

  it('two invocations at once start one task', async () => {
    const handler = await loadHandler();
    const results = await Promise.all([
      handler(invocation(), lambdaContext()),
      handler(invocation(), lambdaContext()),
    ]);
    expect(ecs.tasks.size).toBe(1);
    expect(results.map((result) => result.status).sort()).toEqual(
      results.some((result) => result.status === 'in-progress')
        ? ['in-progress', 'started']
        : ['already-decided', 'started'],
    );
  });

  it('a run whose tasks exist but whose record was lost is adopted, not started again', async () => {
    const handler = await loadHandler();
    const task = ecs.start({
      startedBy: 'ecs-autopilot/nightly-report/20250115T030000Z',
      taskDefinition: 'report:7',
    });
    expect(await handler(invocation(), lambdaContext())).toMatchObject({
      status: 'already-started',
      taskArns: [task.taskArn],
    });
    expect(runTasks()).toHaveLength(0);
  });
});

describe('concurrency policies with a run still active', () => {
  let old: string;
  beforeEach(() => {
    old = ecs.start({
      startedBy: 'ecs-autopilot/nightly-report/20250115T020000Z',
      taskDefinition: 'report:7',
    }).taskArn as string;
  });

  it('Forbid waits for the active run (until the starting deadline), records why, runs nothing', async () => {
    const handler = await loadHandler();
    expect(await handler(invocation({ concurrencyPolicy: 'Forbid' }), lambdaContext())).toEqual({
      status: 'waiting',
      job: 'nightly-report',
      due: DUE,
      until: new Date(Date.now() + 60_000).toISOString(),
      reason: 'concurrencyPolicy Forbid: the run due 2025-01-15T02:00:00Z (1 task) is still active',
    });
    expect(runTasks()).toHaveLength(0);
    expect(await runRecord()).toMatchObject({ status: 'PENDING', waiting: true });
    expect(publications()).toEqual([]);
  });

  it('Replace stops the active run with a reason, then runs', async () => {
    const handler = await loadHandler();
    expect(await handler(invocation({ concurrencyPolicy: 'Replace' }), lambdaContext())).toMatchObject({
      status: 'started',
    });
    expect(ecsMock).toHaveReceivedCommandWith(StopTaskCommand, {
      cluster: 'web',
      task: old,
      reason:
        'ecs-autopilot: run of job nightly-report due 2025-01-15T02:00:00Z replaced by the run due 2025-01-15T03:00:00Z (concurrencyPolicy Replace)',
    });
    expect(runTasks()).toHaveLength(1);
    // The replaced run's stop is what the policy asked for: recorded REPLACED, no failure alert.
    await handler(ecs.stopped(old, 143), lambdaContext());
    expect(await runRecord('nightly-report', '2025-01-15T02:00:00Z')).toMatchObject({
      status: 'REPLACED',
      replacedBy: DUE,
    });
    expect(publications()).toEqual([]);
    expect(metric('RunsFailed')).toBe(0);
  });

  it('Allow runs alongside', async () => {
    const handler = await loadHandler();
    expect(await handler(invocation({ concurrencyPolicy: 'Allow' }), lambdaContext())).toMatchObject({
      status: 'started',
    });
    expect(ecsMock).not.toHaveReceivedCommand(StopTaskCommand);
    expect(ecs.runningTasks()).toHaveLength(2);
  });

  it('tasks of other jobs or of services in the same family do not count', async () => {
    ecs.tasks.clear();
    ecs.start({ startedBy: 'ecs-autopilot/other-job/20250115T020000Z', taskDefinition: 'report:7' });
    ecs.start({ startedBy: 'ecs-svc/1234567890', taskDefinition: 'report:7' });
    const handler = await loadHandler();
    expect(await handler(invocation({ concurrencyPolicy: 'Forbid' }), lambdaContext())).toMatchObject({
      status: 'started',
    });
  });
});

describe('deadlines and suspension', () => {
  it('a suspended job is skipped', async () => {
    const handler = await loadHandler();
    expect(await handler(invocation({ suspend: true }), lambdaContext())).toMatchObject({
      status: 'skipped',
    });
    expect(runTasks()).toHaveLength(0);
  });

  it('an invocation past the starting deadline is missed, with one alert however often it comes', async () => {
    vi.setSystemTime(DUE_MS + 901_000);
    const handler = await loadHandler();
    expect(await handler(invocation(), lambdaContext())).toMatchObject({ status: 'missed' });
    expect(await handler(invocation(), lambdaContext())).toMatchObject({
      status: 'already-decided',
      runStatus: 'MISSED',
    });
    expect(runTasks()).toHaveLength(0);
    expect(publications()).toHaveLength(1);
    expect(publications()[0]?.subject).toBe('Job nightly-report missed its run due 2025-01-15T03:00:00Z');
    expect(publications()[0]?.text).toMatch(
      /Why: started 901 s after its due time, past startingDeadlineSeconds \(900 s\)/,
    );
    expect(metric('RunsMissed')).toBe(1);
  });
});

describe('an invalid job', () => {
  it('is alerted once per job and problem, saying what to fix, and runs nothing', async () => {
    const handler = await loadHandler();
    const result = await handler(fixture('invalid-job.json'), lambdaContext());
    expect(result).toMatchObject({ status: 'invalid-job', job: 'nightly-report', alert: 'sent' });
    await handler(fixture('invalid-job.json'), lambdaContext());
    expect(runTasks()).toHaveLength(0);
    expect(publications()).toHaveLength(1);
    const [alert] = publications();
    expect(alert?.subject).toBe('Job nightly-report is invalid: nothing was run');
    expect(alert?.text).toContain('- count: count must be at most 10');
    expect(alert?.text).toContain('unknown field "concurencyPolicy"');
    expect(alert?.data).toMatchObject({ type: 'InvalidJob', job: 'nightly-report' });
    expect(metric('InvalidJobs')).toBe(2);
  });

  it('alerts again when the problem changes', async () => {
    const handler = await loadHandler();
    await handler(invocation({ count: 11 }), lambdaContext());
    await handler(invocation({ count: 12 }), lambdaContext()); // the same problem, said the same way
    await handler(invocation({ propagateTags: 'SERVICE' }), lambdaContext());
    await handler(invocation({ propagateTags: 'SERVICE' }), lambdaContext());
    expect(publications()).toHaveLength(2);
  });

  it('a task definition ECS does not know is an invalid job', async () => {
    ecsMock
      .on(DescribeTaskDefinitionCommand)
      .rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
    const handler = await loadHandler();
    expect(await handler(invocation({ taskDefinition: 'report:99' }), lambdaContext())).toMatchObject({
      status: 'invalid-job',
      problems: [
        {
          path: 'taskDefinition',
          message: "ECS can't describe task definition report:99: Unable to describe task definition.",
        },
      ],
    });
  });

  it('a RunTask refusal (bad parameters) is alerted as an invalid job, not retried', async () => {
    ecs.answers = [
      new InvalidParameterException({
        message: 'Task definition does not support launch_type EXTERNAL.',
        $metadata: {},
      }),
    ];
    const handler = await loadHandler();
    expect(await handler(invocation(), lambdaContext())).toMatchObject({ status: 'invalid-job' });
    expect(runTasks()).toHaveLength(1);
    expect(await runRecord()).toMatchObject({ status: 'INVALID' });
    expect(publications()[0]?.text).toContain(
      'ECS refused RunTask: Task definition does not support launch_type EXTERNAL.',
    );
  });

  it('a cluster ECS does not know raises one InvalidJob alert naming the cluster, and runs nothing', async () => {
    listingFails({ 'web-typo': clusterNotFound });
    const handler = await loadHandler();
    const result = await handler(invocation({ cluster: 'web-typo' }), lambdaContext());
    expect(result).toMatchObject({
      status: 'invalid-job',
      problems: [{ path: 'cluster', message: expect.stringMatching(/^ECS does not know cluster web-typo/) }],
    });
    await handler(invocation({ cluster: 'web-typo' }), lambdaContext());
    expect(publications().map((alert) => alert.data.type)).toEqual(['InvalidJob']);
    expect(publications()[0]?.text).toContain('- cluster: ECS does not know cluster web-typo');
    expect(runTasks()).toHaveLength(0);
    expect(await runRecord()).toBeUndefined();
  });

  it('a run left starting whose cluster is then deleted ends INVALID, alerted once', async () => {
    ecs.answers = [{ reasons: ['RESOURCE:MEMORY'] }];
    const handler = await loadHandler();
    expect(await handler(invocation(), lambdaContext(20_000))).toMatchObject({ status: 'retrying' });
    listingFails({ web: clusterNotFound });
    vi.setSystemTime(DUE_MS + 120_000);
    expect(await handler(fixture('reconcile-tick.json'), lambdaContext())).toMatchObject({
      resumed: [{ status: 'invalid-job', problems: [{ path: 'cluster' }] }],
    });
    await handler(fixture('reconcile-tick.json'), lambdaContext());
    expect(await runRecord()).toMatchObject({ status: 'INVALID', reason: 'cluster web no longer exists' });
    expect(publications().map((alert) => alert.subject)).toEqual([
      'Job nightly-report: its cluster web no longer exists',
    ]);
    expect(runTasks()).toHaveLength(1);
  });

  it('an envelope it cannot read is rejected with the field named', async () => {
    const handler = await loadHandler();
    expect(await handler({ job: {}, scheduledTime: 'tomorrow' }, lambdaContext())).toMatchObject({
      status: 'rejected',
      error: { issues: [{ path: 'scheduledTime' }] },
    });
    expect(publications()).toEqual([]);
  });
});

describe('failures and retries', () => {
  it('a capacity failure is retried with a new token, capacity is requested, then the run starts', async () => {
    ecs.answers = [{ reasons: ['RESOURCE:MEMORY'] }, 'place'];
    let requestDuringRetry: Record<string, unknown> | undefined;
    clock.onSleep = async () => {
      requestDuringRetry = (await table.items('capacity#web'))[0];
    };
    const handler = await loadHandler();
    expect(await handler(invocation(), lambdaContext())).toMatchObject({ status: 'started', attempts: 2 });
    expect(runTasks().map((input) => input.clientToken)).toEqual([
      clientTokenFor('nightly-report', DUE, 1),
      clientTokenFor('nightly-report', DUE, 2),
    ]);
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(5_000);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(10_000);
    expect(requestDuringRetry).toMatchObject({
      pk: 'capacity#web',
      sk: `web-asg-cp#nightly-report#${DUE}`,
      cpu: 256,
      memoryMiB: 512,
      gpus: 0,
      count: 1,
      taskDefinition: 'report:7',
      reasons: ['RESOURCE:MEMORY'],
    });
    expect(await table.items('capacity#web')).toEqual([]);
    expect(metric('CapacityRequests')).toBe(1);
    expect(publications()).toEqual([]);
    // Announced on the bus so scale-capacity passes at once, not at its next tick.
    expect(eventbridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const [entry] = eventbridgeMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entry).toMatchObject({ Source: 'ecs-autopilot', DetailType: 'Capacity Request' });
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({
      cluster: 'web',
      capacityProvider: 'web-asg-cp',
      jobName: 'nightly-report',
      due: DUE,
      memoryMiB: 512,
      count: 1,
    });
  });

  it("announces a run's capacity request once, and a failed announcement costs only the wait", async () => {
    ecs.answers = [{ reasons: ['RESOURCE:MEMORY'] }, { reasons: ['RESOURCE:MEMORY'] }, 'place'];
    eventbridgeMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
    const handler = await loadHandler();
    expect(await handler(invocation(), lambdaContext())).toMatchObject({ status: 'started', attempts: 3 });
    expect(eventbridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('a cluster with no instances (InvalidParameterException) is a capacity failure, retried', async () => {
    ecs.answers = [
      new InvalidParameterException({
        message: 'No Container Instances were found in your cluster.',
        $metadata: {},
      }),
      'place',
    ];
    const handler = await loadHandler();
    expect(await handler(invocation(), lambdaContext())).toMatchObject({ status: 'started', attempts: 2 });
  });

  it('capacity failures until the starting deadline give one missed-run alert with the reasons', async () => {
    ecs.answers = Array.from({ length: 100 }, () => ({ reasons: ['RESOURCE:MEMORY'] }));
    const handler = await loadHandler();
    const result = await handler(invocation({ startingDeadlineSeconds: 120 }), lambdaContext(600_000));
    expect(result).toMatchObject({ status: 'missed' });
    expect(Date.now()).toBeLessThanOrEqual(DUE_MS + 120_000);
    expect(publications()).toHaveLength(1);
    const [alert] = publications();
    expect(alert?.text).toMatch(
      /Why: could not place the task: the starting deadline \(2025-01-15T03:02:00.000Z\) passes/,
    );
    expect(alert?.text).toMatch(/RunTask attempts: \d+ \(RESOURCE:MEMORY ×\d+\)/);
    expect(await runRecord()).toMatchObject({ status: 'MISSED' });
    expect(await table.items('capacity#web')).toEqual([]);
    expect(await handler(invocation({ startingDeadlineSeconds: 120 }), lambdaContext())).toMatchObject({
      status: 'already-decided',
    });
    expect(publications()).toHaveLength(1);
  });

  it('gives up after retry.maxAttempts', async () => {
    ecs.answers = Array.from({ length: 10 }, () => ({ reasons: ['AGENT'] }));
    const handler = await loadHandler();
    expect(
      await handler(invocation({ retry: { maxAttempts: 3, initialDelaySeconds: 1 } }), lambdaContext()),
    ).toMatchObject({
      status: 'missed',
      reason: 'could not place the task: all 3 attempts failed (retry.maxAttempts)',
    });
    expect(runTasks()).toHaveLength(3);
    expect(publications()[0]?.text).toContain('RunTask attempts: 3 (AGENT ×3)');
  });

  it('throttling that outlasts the SDK retries is retried with the same token', async () => {
    ecs.answers = [
      new ECSServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: {},
      }),
      'place',
    ];
    const handler = await loadHandler();
    expect(await handler(invocation(), lambdaContext())).toMatchObject({ status: 'started' });
    const tokens = runTasks().map((input) => input.clientToken);
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect(new Set(tokens)).toEqual(new Set([clientTokenFor('nightly-report', DUE, 1)]));
  });

  it('places what it can and asks only for the rest', async () => {
    ecs.answers = [{ reasons: ['RESOURCE:CPU'], place: 2 }, 'place'];
    const handler = await loadHandler();
    const result = await handler(invocation({ count: 3 }), lambdaContext());
    expect(result).toMatchObject({ status: 'started' });
    expect(runTasks().map((input) => input.count)).toEqual([3, 1]);
    expect(ecs.tasks.size).toBe(3);
  });

  it('a run that placed only some of its tasks and gave up is never "succeeded", however they end', async () => {
    ecs.answers = [{ reasons: ['RESOURCE:MEMORY'], place: 1 }, { reasons: ['RESOURCE:MEMORY'] }];
    const handler = await loadHandler();
    expect(
      await handler(
        invocation({ count: 2, retry: { maxAttempts: 2, initialDelaySeconds: 1 } }),
        lambdaContext(),
      ),
    ).toMatchObject({ status: 'missed' });
    const [only] = [...ecs.tasks.keys()];
    await handler(ecs.stopped(only as string, 0), lambdaContext());

    expect(publications().map((alert) => alert.data.type)).toEqual(['MissedRun']);
    expect(await runRecord()).not.toMatchObject({ status: 'SUCCEEDED' });
    expect(await runRecord()).toMatchObject({
      status: 'MISSED',
      reason: expect.stringMatching(/^could not place the tasks/),
      outcome: { succeeded: true },
    });
    expect(metric('RunsSucceeded')).toBe(0);
    expect(metric('RunsMissed')).toBe(1);
    const [registry] = await table.items('job#*');
    expect(registry?.lastSucceededDue).toBeUndefined();
  });

  it('a partly placed run whose task fails is FAILED, with its FailedRun alert', async () => {
    ecs.answers = [{ reasons: ['RESOURCE:MEMORY'], place: 1 }, { reasons: ['RESOURCE:MEMORY'] }];
    const handler = await loadHandler();
    await handler(
      invocation({ count: 2, retry: { maxAttempts: 2, initialDelaySeconds: 1 } }),
      lambdaContext(),
    );
    const [only] = [...ecs.tasks.keys()];
    await handler(ecs.stopped(only as string, 1), lambdaContext());
    expect(publications().map((alert) => alert.data.type)).toEqual(['MissedRun', 'FailedRun']);
    expect(await runRecord()).toMatchObject({ status: 'FAILED' });
    expect(metric('RunsFailed')).toBe(1);
  });

  it('a ConflictException names the tasks the token already started: adopted', async () => {
    const handler = await loadHandler();
    await handler(invocation(), lambdaContext());
    const [task] = ecs.tasks.keys();
    await table.reset();
    ecs.tasks.clear();
    // Same due time and attempt, different parameters (the job was edited in between).
    const result = await handler(invocation({ tags: [{ key: 'team', value: 'finance' }] }), lambdaContext());
    expect(result).toMatchObject({ status: 'started', taskArns: [task] });
  });

  it('out of time, it hands over to the periodic pass, which starts the run', async () => {
    ecs.answers = [{ reasons: ['RESOURCE:MEMORY'] }, 'place'];
    const handler = await loadHandler();
    expect(await handler(invocation(), lambdaContext(20_000))).toMatchObject({
      status: 'retrying',
      reasons: ['RESOURCE:MEMORY'],
    });
    expect(await runRecord()).toMatchObject({ status: 'PENDING', failedAttempts: 1 });
    expect(await handler(fixture('reconcile-tick.json'), lambdaContext())).toMatchObject({ resumed: [] }); // backoff not over
    vi.setSystemTime(Date.now() + 60_000);
    expect(await handler(fixture('reconcile-tick.json'), lambdaContext())).toMatchObject({
      resumed: [{ status: 'started', attempts: 2 }],
    });
    expect(await runRecord()).toMatchObject({ status: 'STARTED' });
  });

  it('access denied is not a job problem: the invocation fails (Lambda retries) and the lease is freed', async () => {
    ecs.answers = [
      new AccessDeniedException({ message: 'not authorized to perform: ecs:RunTask', $metadata: {} }),
    ];
    const handler = await loadHandler();
    await expect(handler(invocation(), lambdaContext())).rejects.toThrow(
      /ecs:RunTask .* failed: AccessDeniedException/,
    );
    const record = await runRecord();
    expect(record).toMatchObject({ status: 'PENDING' });
    expect(record?.leaseOwner).toBeUndefined();
    expect(await handler(invocation(), lambdaContext())).toMatchObject({ status: 'started' });
  });

  it('an alert that could not be published is sent by the retry, not lost', async () => {
    vi.setSystemTime(DUE_MS + 1_000_000);
    snsMock
      .on(PublishCommand)
      .rejectsOnce(
        new SNSServiceException({ name: 'InternalError', $fault: 'server', message: 'boom', $metadata: {} }),
      );
    const handler = await loadHandler();
    await expect(handler(invocation(), lambdaContext())).rejects.toThrow(/sns:Publish/);
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-2' });
    await handler(invocation(), lambdaContext());
    await handler(invocation(), lambdaContext());
    expect(snsMock.commandCalls(PublishCommand).length).toBeGreaterThanOrEqual(2);
    const sent = (await table.items('job#nightly-report')).filter((item) =>
      String(item.sk).startsWith('alert#missed'),
    );
    expect(sent).toMatchObject([{ messageId: 'm-2' }]);
  });
});

describe('outcomes', () => {
  async function startedTask(handler: Handler): Promise<string> {
    await handler(invocation(), lambdaContext());
    return [...ecs.tasks.keys()][0] as string;
  }

  it('RUNNING emits the start latency once', async () => {
    const handler = await loadHandler();
    const task = await startedTask(handler);
    const running = ecs.running(task, DUE_MS + 13_000);
    expect(await handler(running, lambdaContext())).toMatchObject({ status: 'recorded', duplicate: false });
    expect(await handler(running, lambdaContext())).toMatchObject({ status: 'recorded', duplicate: true });
    expect(metric('StartLatency')).toBe(1);
    expect(metricValues.find(([name]) => name === 'StartLatency')).toEqual([
      'StartLatency',
      'Milliseconds',
      13_000,
    ]);
  });

  it('a successful stop records the outcome and "last succeeded", with no alert', async () => {
    const handler = await loadHandler();
    const task = await startedTask(handler);
    vi.setSystemTime(DUE_MS + 600_000);
    await handler(ecs.stopped(task, 0), lambdaContext());
    expect(await runRecord()).toMatchObject({
      status: 'SUCCEEDED',
      outcome: { succeeded: true, exitCodes: { [task.split('/').pop() as string]: { report: 0 } } },
    });
    expect((await table.items('job#*'))[0]).toMatchObject({
      lastSucceededDue: DUE,
      lastOutcome: 'SUCCEEDED',
    });
    expect(metric('RunsSucceeded')).toBe(1);
    expect(metric('StartLatency')).toBe(1);
    expect(publications()).toEqual([]);
  });

  it('a failed exit code gives one alert, however often the event comes', async () => {
    const handler = await loadHandler();
    const task = await startedTask(handler);
    const stopped = ecs.stopped(task, 1);
    await handler(stopped, lambdaContext());
    await handler(stopped, lambdaContext());
    await Promise.all([handler(stopped, lambdaContext()), handler(stopped, lambdaContext())]);
    expect(publications()).toHaveLength(1);
    expect(publications()[0]).toMatchObject({
      subject: 'Job nightly-report failed: run due 2025-01-15T03:00:00Z',
      data: { type: 'FailedRun', tasks: [{ taskArn: task, summary: 'container report exited 1' }] },
    });
    expect(await runRecord()).toMatchObject({ status: 'FAILED' });
    expect(metric('RunsFailed')).toBe(1);
  });

  it('ignores tasks it did not start', async () => {
    const handler = await loadHandler();
    const event = fixture('task-stopped-failed.json') as { detail: Record<string, unknown> };
    expect(
      await handler(
        { ...event, detail: { ...event.detail, startedBy: 'ecs-svc/123', tags: [] } },
        lambdaContext(),
      ),
    ).toEqual({
      status: 'ignored',
      reason: 'task not started by run-scheduled-task',
    });
  });

  it('a STOPPED event whose invocation died after recording the task: the redelivery finishes the run', async () => {
    const handler = await loadHandler();
    await handler(invocation(), lambdaContext());
    const task = ecs.runningTasks()[0]?.taskArn as string;
    const { ScheduleStore } = await import('../../shared/state/jobs/store');
    // Dies right after the task's one write (outcome and start), before reading the run.
    vi.spyOn(ScheduleStore.prototype, 'getRun').mockRejectedValueOnce(new Error('killed'));
    const event = ecs.stopped(task, 1);
    await expect(handler(event, lambdaContext())).rejects.toThrow('killed');
    expect(await runRecord()).toMatchObject({ status: 'STARTED' });
    expect(await handler(event, lambdaContext())).toMatchObject({ status: 'recorded', duplicate: true });
    expect(await runRecord()).toMatchObject({ status: 'FAILED' });
    expect(publications()).toHaveLength(1);
    expect(metric('RunsFailed')).toBe(1);
    expect(metric('StartLatency')).toBe(1);
  });

  it('a task that stops before its run is recorded STARTED: the end of the start finalizes the run', async () => {
    const handler = await loadHandler();
    const { ScheduleStore } = await import('../../shared/state/jobs/store');
    const finishStarted = ScheduleStore.prototype.finishStarted;
    vi.spyOn(ScheduleStore.prototype, 'finishStarted').mockImplementationOnce(async function (
      this: InstanceType<typeof ScheduleStore>,
      ...args
    ) {
      // The task ran and stopped, and its event was handled, while the run was still PENDING.
      const task = ecs.runningTasks()[0]?.taskArn as string;
      await handler(ecs.stopped(task, 0), lambdaContext());
      expect(await runRecord()).toMatchObject({ status: 'PENDING' });
      return finishStarted.apply(this, args);
    });
    expect(await handler(invocation(), lambdaContext())).toMatchObject({ status: 'started' });
    expect(await runRecord()).toMatchObject({ status: 'SUCCEEDED' });
    expect(metric('RunsSucceeded')).toBe(1);
  });

  it('keeps the last RUN_HISTORY finished runs, trimmed every TRIM_EVERY due runs (to markers within 25 h)', async () => {
    const handler = await loadHandler({ RUN_HISTORY: '2' });
    const runs = async () =>
      (await table.items('job#nightly-report'))
        .filter((item) => String(item.sk).startsWith('run#') && !item.marker)
        .map((item) => String(item.sk));
    for (let index = 1; index <= 2 * TRIM_EVERY; index++) {
      const due = `2025-01-15T${String(index).padStart(2, '0')}:00:00Z`;
      vi.setSystemTime(Date.parse(due) + 1_000);
      await handler(invocation({}, due), lambdaContext());
      const task = ecs.runningTasks()[0]?.taskArn as string;
      await handler(ecs.stopped(task, 0), lambdaContext());
      // Never more than RUN_HISTORY + TRIM_EVERY, and exactly the newest RUN_HISTORY finished after each
      // trim (the run of the trimming due time was still going then).
      expect((await runs()).length).toBeLessThanOrEqual(2 + TRIM_EVERY);
      if (index % TRIM_EVERY === 0) {
        expect(await runs()).toEqual([
          `run#2025-01-15T${String(index - 2).padStart(2, '0')}:00:00Z`,
          `run#2025-01-15T${String(index - 1).padStart(2, '0')}:00:00Z`,
          `run#2025-01-15T${String(index).padStart(2, '0')}:00:00Z`,
        ]);
      }
    }
  });
});

describe('the periodic pass', () => {
  it('stops a run past activeDeadlineSeconds with a reason saying so; its stop is a failure', async () => {
    const handler = await loadHandler();
    await handler(invocation({ activeDeadlineSeconds: 600 }), lambdaContext());
    const task = [...ecs.tasks.keys()][0] as string;
    vi.setSystemTime(DUE_MS + 5_000 + 599_000);
    expect(await handler(fixture('reconcile-tick.json'), lambdaContext())).toMatchObject({
      deadlineStops: [],
    });
    vi.setSystemTime(DUE_MS + 5_000 + 600_000);
    expect(await handler(fixture('reconcile-tick.json'), lambdaContext())).toMatchObject({
      deadlineStops: [{ taskArn: task, ageSeconds: 600 }],
    });
    expect(ecsMock).toHaveReceivedCommandWith(StopTaskCommand, {
      task,
      reason:
        'ecs-autopilot: job nightly-report run due 2025-01-15T03:00:00Z exceeded activeDeadlineSeconds (600 s): active for 600 s',
    });
    expect(metric('DeadlineStops')).toBe(1);
    await handler(ecs.stopped(task, 143), lambdaContext());
    expect(publications()[0]?.text).toMatch(
      /DeadlineExceeded: ecs-autopilot: job nightly-report .* exceeded activeDeadlineSeconds/,
    );
  });

  it('records the outcome of a run whose stop event was lost', async () => {
    const handler = await loadHandler();
    await handler(invocation(), lambdaContext());
    const task = [...ecs.tasks.keys()][0] as string;
    ecs.stopped(task, 2); // the event never reaches the function
    expect(await handler(fixture('reconcile-tick.json'), lambdaContext())).toMatchObject({
      outcomesRecovered: 1,
    });
    expect(await runRecord()).toMatchObject({ status: 'FAILED' });
    expect(publications()).toHaveLength(1);
    expect(await handler(fixture('reconcile-tick.json'), lambdaContext())).toMatchObject({
      outcomesRecovered: 0,
    });
    expect(publications()).toHaveLength(1);
  });

  it('reports a run left PENDING past its deadline as missed, once', async () => {
    ecs.answers = [{ reasons: ['RESOURCE:MEMORY'] }];
    const handler = await loadHandler();
    await handler(invocation(), lambdaContext(20_000));
    vi.setSystemTime(DUE_MS + 1_000_000);
    await handler(fixture('reconcile-tick.json'), lambdaContext());
    await handler(fixture('reconcile-tick.json'), lambdaContext());
    expect(await runRecord()).toMatchObject({ status: 'MISSED' });
    expect(publications()).toHaveLength(1);
    expect(publications()[0]?.text).toMatch(/RunTask attempts: 1 \(RESOURCE:MEMORY ×1\)/);
  });

  it('reads a run in its own cluster: a job that moved cluster does not end its old run UNKNOWN', async () => {
    // ECS answers per cluster: the fake's tasks all live in "web".
    const inCluster = (cluster: string | undefined, arn: string) =>
      (cluster ?? 'default').replace(/^.*cluster\//, '') === arn.split('/')[1];
    ecsMock.on(ListTasksCommand).callsFake((input) => ({
      taskArns: ecs
        .runningTasks()
        .filter((task) => inCluster(input.cluster, task.taskArn as string))
        .filter((task) => !input.family || task.group === `family:${input.family}`)
        .map((task) => task.taskArn),
    }));
    ecsMock.on(DescribeTasksCommand).callsFake((input) => {
      const arns: string[] = input.tasks ?? [];
      const here = arns.filter((arn) => ecs.tasks.has(arn) && inCluster(input.cluster, arn));
      return {
        tasks: here.map((arn) => ecs.tasks.get(arn)),
        failures: arns.filter((arn) => !here.includes(arn)).map((arn) => ({ arn, reason: 'MISSING' })),
      };
    });
    const handler = await loadHandler();
    await handler(invocation(), lambdaContext()); // a long report, running in web
    const [task] = [...ecs.tasks.keys()];
    // The next due time arrives with the job moved to cluster web2 (suspended for the move).
    const next = '2025-01-15T04:00:00Z';
    vi.setSystemTime(Date.parse(next) + 5_000);
    await handler(invocation({ cluster: 'web2', suspend: true }, next), lambdaContext());

    vi.setSystemTime(DUE_MS + 2 * 3_600_000);
    await handler(fixture('reconcile-tick.json'), lambdaContext());
    expect(ecs.tasks.get(task as string)?.lastStatus).not.toBe('STOPPED'); // still running in web
    expect(await runRecord()).toMatchObject({ status: 'STARTED' });
    // Its active deadline (3600 s) is enforced where it runs.
    expect(ecsMock).toHaveReceivedCommandWith(StopTaskCommand, { cluster: 'web', task });
    expect(ecsMock).toHaveReceivedCommandWith(ListTasksCommand, { cluster: 'web', family: 'report' });

    await handler(ecs.stopped(task as string, 1), lambdaContext());
    expect(publications().map((alert) => alert.data.type)).toEqual(['FailedRun']);
    expect(await runRecord()).toMatchObject({ status: 'FAILED' });
  });

  it('has nothing to do without known jobs', async () => {
    const handler = await loadHandler();
    expect(await handler(fixture('reconcile-tick.json'), lambdaContext())).toMatchObject({
      status: 'reconciled',
      jobs: 0,
    });
  });
});

describe('a cluster the periodic pass cannot read', () => {
  const tick = (handler: Handler) => handler(fixture('reconcile-tick.json'), lambdaContext());
  const BATCH_DUE = '2025-01-15T03:00:00Z';

  /** nightly-report (deadline 600 s) runs in web; batch-report ran once in batch, a cluster deleted since. */
  async function twoJobs(handler: Handler) {
    await handler(invocation({ activeDeadlineSeconds: 600 }), lambdaContext());
    const [hung] = [...ecs.tasks.keys()];
    await handler(
      invocation({ name: 'batch-report', cluster: 'batch', expectEverySeconds: 3600 }, BATCH_DUE),
      lambdaContext(),
    );
    return hung as string;
  }

  it('still stops another job past activeDeadlineSeconds when a job of a deleted cluster is registered', async () => {
    const handler = await loadHandler();
    const hung = await twoJobs(handler);
    listingFails({ batch: clusterNotFound });

    vi.setSystemTime(DUE_MS + 5_000 + 600_000);
    const result = await tick(handler);
    expect(result).toMatchObject({
      deadlineStops: [{ taskArn: hung }],
      skippedJobs: [{ job: 'batch-report', reason: expect.stringMatching(/ClusterNotFoundException/) }],
    });
    expect(ecsMock).toHaveReceivedCommandWith(StopTaskCommand, { task: hung });
  });

  it("says once that the job's cluster no longer exists, and never reads its runs as stopped", async () => {
    const handler = await loadHandler();
    await twoJobs(handler);
    listingFails({ batch: clusterNotFound });
    await tick(handler);
    vi.setSystemTime(DUE_MS + 2 * 3_600_000);
    // Were its run read as stopped, DescribeTasks would answer MISSING and the run would end UNKNOWN.
    for (const task of ecs.runningTasks())
      if (task.startedBy?.startsWith('ecs-autopilot/batch-report/')) ecs.tasks.delete(task.taskArn as string);
    await tick(handler);

    const gone = publications().filter((alert) => alert.data.type === 'InvalidJob');
    expect(gone).toHaveLength(1);
    expect(gone[0]).toMatchObject({
      subject: 'Job batch-report: its cluster batch no longer exists',
      data: { job: 'batch-report', cluster: 'batch', problems: [{ path: 'cluster' }] },
    });
    expect(gone[0]?.text).toMatch(/delete-item .*"sk":\{"S":"batch-report"\}/);
    expect(metric('InvalidJobs')).toBe(1);
    // An hour after ECS could last describe it, a run it could not list is still not UNKNOWN.
    expect(await runRecord('batch-report', BATCH_DUE)).toMatchObject({ status: 'STARTED' });
  });

  it('still checks every job for silence, the job on the deleted cluster included', async () => {
    const handler = await loadHandler();
    await twoJobs(handler);
    listingFails({ batch: clusterNotFound });
    vi.setSystemTime(DUE_MS + 3 * 3_600_000);
    expect(await tick(handler)).toMatchObject({ silentSchedules: [{ jobName: 'batch-report' }] });
    expect(publications().map((alert) => alert.data.type)).toContain('SilentSchedule');
  });

  it('ListTasks denied on one cluster skips its jobs without saying the cluster is gone', async () => {
    const handler = await loadHandler();
    const hung = await twoJobs(handler);
    listingFails({
      batch: () =>
        new AccessDeniedException({ message: 'not authorized to perform ecs:ListTasks', $metadata: {} }),
    });
    vi.setSystemTime(DUE_MS + 5_000 + 600_000);
    expect(await tick(handler)).toMatchObject({
      deadlineStops: [{ taskArn: hung }],
      skippedJobs: [{ job: 'batch-report', reason: expect.stringMatching(/AccessDenied/) }],
    });
    expect(publications()).toEqual([]);
  });
});

describe('a schedule gone silent (expectEverySeconds)', () => {
  const HOUR_MS = 3_600_000;
  // One hour expected between due times, plus the default starting deadline (900 s) and a DST hour.
  const ALLOWED_MS = HOUR_MS + 900_000 + HOUR_MS;
  const FIRST_SEEN = DUE_MS + 5_000;
  const tick = (handler: Handler) => handler(fixture('reconcile-tick.json'), lambdaContext());
  const silenceAlerts = () => publications().filter((alert) => alert.data.type === 'SilentSchedule');

  async function firstRunDone(handler: Handler) {
    await handler(invocation({ expectEverySeconds: 3600 }), lambdaContext());
    const task = [...ecs.tasks.keys()][0] as string;
    await handler(ecs.stopped(task, 0), lambdaContext());
  }

  it('alerts once when no due time arrives for the expected gap plus the starting deadline', async () => {
    const handler = await loadHandler();
    await firstRunDone(handler);
    vi.setSystemTime(FIRST_SEEN + ALLOWED_MS);
    expect(await tick(handler)).toMatchObject({ silentSchedules: [] });
    vi.setSystemTime(FIRST_SEEN + ALLOWED_MS + 60_000);
    expect(await tick(handler)).toMatchObject({
      silentSchedules: [
        {
          jobName: 'nightly-report',
          lastDue: DUE,
          silentSeconds: 8160,
          expectEverySeconds: 3600,
          allowedSeconds: 8100,
        },
      ],
    });
    vi.setSystemTime(FIRST_SEEN + ALLOWED_MS + 120_000);
    await tick(handler);
    expect(silenceAlerts()).toHaveLength(1);
    const [alert] = silenceAlerts();
    expect(alert?.subject).toBe(`Job nightly-report has had no due run since ${DUE}`);
    expect(alert?.text).toMatch(/may be disabled or deleted, or its deliveries failing/);
    expect(alert?.text).toMatch(/"suspend": true/);
    expect(alert?.data).toMatchObject({ job: 'nightly-report', cluster: 'web', lastDue: DUE });
    expect(metric('SilentSchedules')).toBe(1);
  });

  it('a due time that arrives ends the silence; falling silent again alerts again', async () => {
    const handler = await loadHandler();
    await firstRunDone(handler);
    vi.setSystemTime(FIRST_SEEN + ALLOWED_MS + 60_000);
    await tick(handler);
    const nextDue = '2025-01-15T06:00:00Z';
    vi.setSystemTime(Date.parse(nextDue) + 5_000);
    await handler(invocation({ expectEverySeconds: 3600 }, nextDue), lambdaContext());
    expect(await tick(handler)).toMatchObject({ silentSchedules: [] });
    vi.setSystemTime(Date.parse(nextDue) + 5_000 + ALLOWED_MS + 60_000);
    await tick(handler);
    expect(silenceAlerts().map((alert) => alert.subject)).toEqual([
      `Job nightly-report has had no due run since ${DUE}`,
      `Job nightly-report has had no due run since ${nextDue}`,
    ]);
  });

  it('a due time with an invalid definition still counts as the schedule firing: only the invalid-job alert', async () => {
    const handler = await loadHandler();
    await firstRunDone(handler);
    const laterDue = '2025-01-15T04:00:00Z';
    vi.setSystemTime(Date.parse(laterDue) + 5_000);
    await handler(invocation({ expectEverySeconds: 3600, count: 11 }, laterDue), lambdaContext());
    vi.setSystemTime(FIRST_SEEN + ALLOWED_MS + 60_000);
    expect(await tick(handler)).toMatchObject({ silentSchedules: [] });
    expect(publications().map((alert) => alert.data.type)).toEqual(['InvalidJob']);
  });

  it('jobs without expectEverySeconds are not checked', async () => {
    const handler = await loadHandler();
    await handler(invocation(), lambdaContext());
    vi.setSystemTime(FIRST_SEEN + 30 * 86_400_000);
    expect(await tick(handler)).toMatchObject({ silentSchedules: [] });
  });

  it('dry run reports the silence and sends nothing', async () => {
    await firstRunDone(await loadHandler());
    const dryRun = await loadHandler({ DRY_RUN: 'true' });
    vi.setSystemTime(FIRST_SEEN + ALLOWED_MS + 60_000);
    expect(await tick(dryRun)).toMatchObject({ silentSchedules: [{ jobName: 'nightly-report' }] });
    expect(silenceAlerts()).toEqual([]);
  });
});

describe('dry run', () => {
  it('returns the RunTask request it would make and changes nothing', async () => {
    const handler = await loadHandler({ DRY_RUN: 'true' });
    const result = await handler(invocation(), lambdaContext());
    expect(result).toMatchObject({
      status: 'planned',
      dryRun: true,
      plan: {
        decision: { action: 'run' },
        runTask: {
          taskDefinition: 'report:7',
          clientToken: clientTokenFor('nightly-report', DUE, 1),
          count: 1,
        },
        stopTasks: [],
      },
    });
    expect(runTasks()).toEqual([]);
    expect(await table.items('job#nightly-report')).toEqual([]);
    expect(await table.items('job#*')).toEqual([]);
  });

  it('shows the skip and why', async () => {
    ecs.start({ startedBy: 'ecs-autopilot/nightly-report/20250115T020000Z', taskDefinition: 'report:7' });
    const handler = await loadHandler({ DRY_RUN: 'true' });
    expect(await handler(invocation(), lambdaContext())).toMatchObject({
      plan: {
        decision: {
          action: 'skip',
          reason: 'concurrencyPolicy Forbid: the run due 2025-01-15T02:00:00Z (1 task) is still active',
        },
      },
    });
  });

  it('an invalid job is reported but not alerted', async () => {
    const handler = await loadHandler({ DRY_RUN: 'true' });
    expect(await handler(fixture('invalid-job.json'), lambdaContext())).toMatchObject({
      status: 'invalid-job',
      alert: 'planned',
    });
    expect(publications()).toEqual([]);
  });
});

describe('runs still starting', () => {
  const EARLIER = '2025-01-15T02:55:00Z';

  async function leaveEarlierPending(handler: Handler) {
    vi.setSystemTime(Date.parse(EARLIER) + 5_000);
    ecs.answers = [{ reasons: ['RESOURCE:MEMORY'] }];
    expect(await handler(invocation({}, EARLIER), lambdaContext(20_000))).toMatchObject({
      status: 'retrying',
    });
    vi.setSystemTime(DUE_MS + 5_000);
  }

  it('Forbid counts a run still trying to start as active', async () => {
    const handler = await loadHandler();
    await leaveEarlierPending(handler);
    expect(await handler(invocation({ concurrencyPolicy: 'Forbid' }), lambdaContext())).toMatchObject({
      status: 'waiting',
      reason: `concurrencyPolicy Forbid: the run due ${EARLIER} (still starting) is still active`,
    });
  });

  it('Replace supersedes it: the earlier run is recorded skipped and never starts', async () => {
    const handler = await loadHandler();
    await leaveEarlierPending(handler);
    expect(await handler(invocation({ concurrencyPolicy: 'Replace' }), lambdaContext())).toMatchObject({
      status: 'started',
    });
    expect(await runRecord('nightly-report', EARLIER)).toMatchObject({
      status: 'SKIPPED',
      reason: expect.stringMatching(/replaced by the run due 2025-01-15T03:00:00Z/),
    });
    vi.setSystemTime(Date.now() + 120_000);
    expect(await handler(fixture('reconcile-tick.json'), lambdaContext())).toMatchObject({ resumed: [] });
    expect(ecs.tasks.size).toBe(1);
  });

  it('Replace also ends an earlier run still placing the rest of its tasks: it never starts one again', async () => {
    const earlierTasksRunning = () =>
      ecs.runningTasks().filter((task) => task.startedBy === 'ecs-autopilot/nightly-report/20250115T025500Z');
    const handler = await loadHandler();
    // Earlier due time: 1 of 2 tasks placed, the invocation runs out of time (PENDING, retrying).
    vi.setSystemTime(Date.parse(EARLIER) + 5_000);
    ecs.answers = [{ reasons: ['RESOURCE:MEMORY'], place: 1 }];
    expect(
      await handler(invocation({ count: 2, concurrencyPolicy: 'Replace' }, EARLIER), lambdaContext(20_000)),
    ).toMatchObject({ status: 'retrying' });
    expect(earlierTasksRunning()).toHaveLength(1);

    // Next due time, Replace: the earlier run's task is stopped and the new run starts.
    vi.setSystemTime(DUE_MS + 5_000);
    expect(
      await handler(invocation({ count: 2, concurrencyPolicy: 'Replace' }), lambdaContext()),
    ).toMatchObject({ status: 'started' });
    expect(earlierTasksRunning()).toHaveLength(0);

    // The periodic pass must not bring the replaced run back.
    vi.setSystemTime(DUE_MS + 5_000 + 120_000);
    expect(await handler(fixture('reconcile-tick.json'), lambdaContext())).toMatchObject({ resumed: [] });
    expect(earlierTasksRunning()).toHaveLength(0);
    expect(await runRecord('nightly-report', EARLIER)).not.toMatchObject({ status: 'STARTED' });
    expect(await runRecord('nightly-report', EARLIER)).toMatchObject({
      status: 'REPLACED',
      replacedBy: DUE,
      reason: expect.stringMatching(/replaced by the run due 2025-01-15T03:00:00Z/),
    });
    // Its stopped task ends nothing more and alerts nothing.
    const [stoppedEarlier] = [...ecs.tasks.values()].filter((task) => task.desiredStatus === 'STOPPED');
    await handler(ecs.stopped(stoppedEarlier?.taskArn as string, 143), lambdaContext());
    expect(await runRecord('nightly-report', EARLIER)).toMatchObject({ status: 'REPLACED' });
    expect(publications()).toEqual([]);
    expect(runTasks()).toHaveLength(2);
  });

  it('an invocation still placing a run that was replaced meanwhile stops what it placed', async () => {
    const handler = await loadHandler();
    const earlier = (input: { startedBy?: string | undefined }) =>
      input.startedBy?.endsWith('20250115T025500Z');
    let earlierCalls = 0;
    ecsMock.on(RunTaskCommand).callsFake(async (input) => {
      if (!earlier(input))
        return { tasks: Array.from({ length: input.count ?? 1 }, () => ecs.start(input)), failures: [] };
      earlierCalls++;
      if (earlierCalls === 1) return { tasks: [ecs.start(input)], failures: [{ reason: 'RESOURCE:MEMORY' }] };
      // The earlier run's second attempt is in flight when the next due time replaces it.
      vi.setSystemTime(DUE_MS + 5_000);
      expect(
        await handler(invocation({ count: 2, concurrencyPolicy: 'Replace' }), lambdaContext()),
      ).toMatchObject({ status: 'started' });
      return { tasks: [ecs.start(input)], failures: [] };
    });
    vi.setSystemTime(Date.parse(EARLIER) + 5_000);
    expect(
      await handler(invocation({ count: 2, concurrencyPolicy: 'Replace' }, EARLIER), lambdaContext()),
    ).toMatchObject({ status: 'superseded' });
    expect(earlierCalls).toBe(2);
    expect(ecs.runningTasks().filter(earlier)).toEqual([]);
    expect(ecs.runningTasks()).toHaveLength(2);
    expect(await runRecord('nightly-report', EARLIER)).toMatchObject({ status: 'REPLACED' });
    expect((await runRecord('nightly-report', EARLIER))?.taskArns).toEqual(
      new Set(ecsMock.commandCalls(StopTaskCommand).map((call) => call.args[0].input.task)),
    );
  });

  it('a redelivery during the backoff waits for it; after it, continues the run', async () => {
    ecs.answers = [{ reasons: ['RESOURCE:MEMORY'] }, 'place'];
    const handler = await loadHandler();
    await handler(invocation(), lambdaContext(20_000));
    expect(await handler(invocation(), lambdaContext())).toMatchObject({ status: 'retrying' });
    expect(runTasks()).toHaveLength(1);
    vi.setSystemTime(Date.now() + 60_000);
    expect(await handler(invocation(), lambdaContext())).toMatchObject({ status: 'started', attempts: 2 });
  });

  it('an invocation arriving while another holds the run waits for it', async () => {
    ecs.answers = [{ reasons: ['RESOURCE:MEMORY'] }, 'place'];
    const handler = await loadHandler();
    let during: Record<string, unknown> | undefined;
    clock.onSleep = async () => {
      during ??= await handler(invocation(), lambdaContext());
    };
    expect(await handler(invocation(), lambdaContext())).toMatchObject({ status: 'started' });
    expect(during).toMatchObject({ status: 'in-progress' });
    expect(ecs.tasks.size).toBe(1);
  });
});

describe('what ECS forgot', () => {
  it('a run whose tasks stopped unseen and are no longer described ends UNKNOWN, without an alert', async () => {
    const handler = await loadHandler();
    await handler(invocation(), lambdaContext());
    ecs.tasks.clear(); // stopped more than an hour ago; its events never came
    vi.setSystemTime(DUE_MS + 2 * 3_600_000);
    expect(await handler(fixture('reconcile-tick.json'), lambdaContext())).toMatchObject({
      unknownOutcomes: 1,
    });
    expect(await runRecord()).toMatchObject({ status: 'UNKNOWN' });
    expect(publications()).toEqual([]);
  });

  it('a late STOPPED event after the pass recorded UNKNOWN still decides the run: FAILED, alerted once', async () => {
    const handler = await loadHandler();
    await handler(invocation(), lambdaContext());
    const [task] = [...ecs.tasks.keys()];
    const late = ecs.stopped(task as string, 1); // delivery delayed (Lambda async retries, up to 6 h)
    ecs.tasks.clear(); // ECS forgot the task after about an hour
    vi.setSystemTime(DUE_MS + 2 * 3_600_000);
    expect(await handler(fixture('reconcile-tick.json'), lambdaContext())).toMatchObject({
      unknownOutcomes: 1,
    });

    await handler(late, lambdaContext());
    await handler(late, lambdaContext());
    expect(publications().map((alert) => alert.data.type)).toEqual(['FailedRun']);
    expect(await runRecord()).toMatchObject({
      status: 'FAILED',
      reason: 'outcome recorded late, after the run was marked UNKNOWN',
    });
    expect(metric('RunsFailed')).toBe(1);
  });

  it('a late successful outcome after UNKNOWN records the run SUCCEEDED and "last succeeded"', async () => {
    const handler = await loadHandler();
    await handler(invocation(), lambdaContext());
    const [task] = [...ecs.tasks.keys()];
    const late = ecs.stopped(task as string, 0);
    ecs.tasks.clear();
    vi.setSystemTime(DUE_MS + 2 * 3_600_000);
    await handler(fixture('reconcile-tick.json'), lambdaContext());
    await handler(late, lambdaContext());
    expect(await runRecord()).toMatchObject({ status: 'SUCCEEDED' });
    const [registry] = await table.items('job#*');
    expect(registry).toMatchObject({ lastSucceededDue: DUE });
    expect(publications()).toEqual([]);
  });

  it('an invalid job is alerted again once INVALID_JOB_REALERT_SECONDS have passed', async () => {
    const handler = await loadHandler({ INVALID_JOB_REALERT_SECONDS: '3600' });
    await handler(fixture('invalid-job.json'), lambdaContext());
    vi.setSystemTime(Date.now() + 3_000_000);
    await handler(fixture('invalid-job.json'), lambdaContext());
    expect(publications()).toHaveLength(1);
    vi.setSystemTime(Date.now() + 700_000);
    await handler(fixture('invalid-job.json'), lambdaContext());
    expect(publications()).toHaveLength(2);
  });
});
