import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { InternalErrorException, PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  anotherTask,
  BASE_ENV,
  ECR,
  ecsMock,
  mockAws,
  publishedAlerts,
  type SampleEvent,
  sampleEvent,
  snsMock,
  startStateTable,
} from '../../test/support/detect-failed-start.fixtures';
import type { FailedStartConfig } from './config';
import type { DetectContext, TaskResult } from './detect';

let table: Awaited<ReturnType<typeof startStateTable>>;
let detect: typeof import('./detect');
let store: typeof import('../../shared/state/failures');
let incidents: typeof import('./incidents');
let events: typeof import('../../shared/failed-start/events');
let ecs: typeof import('../../shared/aws/ecs');
let tools: ReturnType<typeof import('../../shared/runtime/observability').observability>;
let loadConfig: typeof import('./config').loadFailedStartConfig;

const T0 = Date.parse('2026-11-21T03:12:42Z');
const WINDOW_MS = 900_000;

beforeAll(async () => {
  table = await startStateTable();
  // Module-scope SDK clients read the endpoint when built: import after dynalite is up.
  detect = await import('./detect');
  store = await import('../../shared/state/failures');
  incidents = await import('./incidents');
  events = await import('../../shared/failed-start/events');
  ecs = await import('../../shared/aws/ecs');
  loadConfig = (await import('./config')).loadFailedStartConfig;
  tools = (await import('../../shared/runtime/observability')).observability('detect-failed-start');
});

afterAll(async () => {
  await table?.close();
});

beforeEach(async () => {
  await table.reset();
  mockAws();
  ecs.clearTaskDefinitionCache();
  (await import('./task-definitions')).forgetTaskDefinitions();
});

type Options = {
  owner?: string;
  now?: number;
  env?: Record<string, string>;
  remainingMs?: number;
  /** When the task stopped; by default just before `now`, as events arrive. */
  stoppedAt?: number;
};

function runtime(options: Options = {}) {
  const config: FailedStartConfig = loadConfig({ ...BASE_ENV, ...options.env });
  const remaining = options.remainingMs ?? 30_000;
  const value: DetectContext = {
    config,
    ...tools,
    budget: { remainingMs: () => remaining, hasTimeFor: (ms: number) => remaining >= ms },
    owner: options.owner ?? 'request-1',
    now: () => options.now ?? T0,
    sleep: async () => undefined,
  };
  return value;
}

function taskOf(event: SampleEvent) {
  const parsed = events.parseFailedStartEvent(event);
  if (parsed.kind !== 'task') throw new Error('expected a task event');
  return parsed.task;
}

function stoppedAt(event: SampleEvent, at: number): SampleEvent {
  return { ...event, detail: { ...event.detail, stoppedAt: new Date(at).toISOString() } };
}

const handle = (event: SampleEvent, options: Options = {}) =>
  detect.handleTask(
    taskOf(stoppedAt(event, options.stoppedAt ?? (options.now ?? T0) - 100)),
    runtime(options),
  );

const statuses = (results: readonly TaskResult[]) => results.map((result) => result.status);

/** The incident item of the sample service api's problem of this category. */
async function incident(category: string) {
  return (await table.items()).find(
    (item) => item.sk === 'incident' && String(item.pk).includes(`#${category}#`),
  );
}

function refOf(category: 'image-pull') {
  const image = `${ECR}/api:1.4.3`;
  const causeKey = `image:${image.replace(/:[^:/]+$/, '')}`;
  return {
    pk: incidents.incidentPk('arn:aws:ecs:us-east-1:123456789012:cluster/web', category, causeKey),
    cluster: 'web',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/web',
    category,
    causeKey,
  };
}

const failureOf = (task: ReturnType<typeof taskOf>) => ({
  group: task.group,
  family: 'api',
  taskArn: task.taskArn,
  detail: undefined,
});

describe('one alert per problem', () => {
  const pull = () => sampleEvent('image-pull');

  it('alerts on the first failure with the image and the fix, then counts repeats quietly', async () => {
    const first = await handle(pull());
    expect(first).toMatchObject({ status: 'alerted', category: 'image-pull', entryId: 'image-not-found' });
    const [alert] = publishedAlerts();
    expect(alert?.subject).toBe('[web] service api failed to start: Image not found');
    expect(alert?.text).toContain(`${ECR}/api:1.4.3`);
    expect(alert?.text).toContain('Push the image or fix the image URI');

    const repeats = [];
    for (let n = 1; n <= 5; n++) repeats.push(await handle(anotherTask(pull(), n), { now: T0 + n * 60_000 }));
    expect(statuses(repeats)).toEqual(Array(5).fill('counted'));
    expect(repeats.at(-1)).toMatchObject({ failedInWindow: 6 }); // failures of the problem so far
    expect(publishedAlerts()).toHaveLength(1);
  });

  it('gives every publish the attributes filter policies route on: cluster, category, severity, status, source', async () => {
    await handle(pull());
    await handle(sampleEvent('standalone-task'));
    const attributes = snsMock
      .commandCalls(PublishCommand)
      .map((call) => call.args[0].input.MessageAttributes);
    expect(attributes).toEqual([
      {
        cluster: { DataType: 'String', StringValue: 'web' },
        category: { DataType: 'String', StringValue: 'image-pull' },
        severity: { DataType: 'String', StringValue: 'critical' },
        status: { DataType: 'String', StringValue: 'firing' },
        source: { DataType: 'String', StringValue: 'ecs-autopilot.detect-failed-start' },
      },
      expect.objectContaining({
        category: { DataType: 'String', StringValue: 'registry-auth' },
        severity: { DataType: 'String', StringValue: 'warning' },
      }),
    ]);
  });

  it('repeats after the window with one subject, since when and how many in all, then backs off', async () => {
    await handle(pull());
    for (let n = 1; n <= 7; n++) await handle(anotherTask(pull(), n), { now: T0 + n * 60_000 });
    const repeat = await handle(anotherTask(pull(), 99), { now: T0 + WINDOW_MS + 1 });
    expect(repeat).toMatchObject({ status: 'alerted', message: 'repeat' });
    // The next repeat is 30 minutes after this one, not 15.
    const early = await handle(anotherTask(pull(), 100), { now: T0 + WINDOW_MS + 20 * 60_000 });
    expect(early.status).toBe('counted');
    const alerts = publishedAlerts();
    expect(alerts).toHaveLength(2);
    expect(alerts[1]?.subject).toBe(alerts[0]?.subject);
    expect(alerts[1]?.text).toContain(
      'Still failing since 2026-11-21 03:12 UTC (15 min): 9 failures in all, 8 since the last message at 2026-11-21 03:12 UTC.',
    );
    expect(alerts[1]?.data).toMatchObject({
      status: 'firing',
      kind: 'repeat',
      failures: 9,
      newSinceLastMessage: 8,
    });
  });

  it('a failure every 16 minutes is one problem: announced once as new, then repeats', async () => {
    const kinds = [];
    for (let n = 0; n < 15; n++) {
      const result = await handle(anotherTask(pull(), n), { now: T0 + n * 16 * 60_000 });
      if (result.status === 'alerted') kinds.push(result.message);
    }
    expect(kinds[0]).toBe('new');
    expect(kinds.slice(1).every((kind) => kind === 'repeat')).toBe(true);
    expect(kinds.length).toBeLessThanOrEqual(6);
  });

  it('keeps problems apart by group and by category', async () => {
    await handle(pull());
    const otherCategory = await handle(sampleEvent('logging'));
    const otherGroup = await handle(sampleEvent('standalone-task'));
    expect(statuses([otherCategory, otherGroup])).toEqual(['alerted', 'alerted']);
    expect(publishedAlerts()).toHaveLength(3);
  });

  it('emits the FailedStarts metric by (cluster), (cluster, group) and (cluster, group, category)', async () => {
    const dimensions = vi.spyOn(Metrics.prototype, 'addDimensions');
    const metric = vi.spyOn(Metrics.prototype, 'addMetric');
    await handle(pull());
    await handle(anotherTask(pull(), 1));
    await handle(pull()); // the same task again: not counted twice
    const sets = [
      [{ cluster: 'web' }],
      [{ cluster: 'web', group: 'service:api' }],
      [{ cluster: 'web', group: 'service:api', category: 'image-pull' }],
    ];
    expect(dimensions.mock.calls).toEqual([...sets, ...sets]);
    // One record per dimension set, so each failure is 3 FailedStarts records.
    expect(metric.mock.calls.filter(([name]) => name === 'FailedStarts')).toEqual(
      Array(6).fill(['FailedStarts', 'Count', 1]),
    );
    dimensions.mockRestore();
    metric.mockRestore();
  });
});

describe('lifecycle: resolved, late events, recurrence, chat', () => {
  const pull = () => sampleEvent('image-pull');
  const healthy = () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: 'api', status: 'ACTIVE', runningCount: 3, desiredCount: 3 }],
    });
  };

  it('is resolved once, after the quiet window, only when the service runs its desired count', async () => {
    await handle(pull());
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: 'api', status: 'ACTIVE', runningCount: 1, desiredCount: 3 }],
    });
    expect((await detect.reconcile(runtime({ now: T0 + 20 * 60_000 }))).messages).toBeUndefined();
    healthy();
    expect((await detect.reconcile(runtime({ now: T0 + 25 * 60_000 }))).messages).toMatchObject([
      { kind: 'resolved' },
    ]);
    expect((await detect.reconcile(runtime({ now: T0 + 30 * 60_000 }))).messages).toBeUndefined();
    const [firing, resolved] = publishedAlerts();
    expect(resolved?.subject).toBe(firing?.subject);
    expect(resolved?.text).toContain('service api runs its desired count');
    expect(resolved?.data).toMatchObject({
      status: 'resolved',
      failures: 1,
      dedupKey: firing?.data.dedupKey,
    });
  });

  it('a late event from before the resolution sends nothing; a failure days later says it recurred, counting afresh', async () => {
    await handle(pull());
    for (let n = 1; n <= 4; n++) await handle(anotherTask(pull(), n), { now: T0 + n * 60_000 });
    healthy();
    await detect.reconcile(runtime({ now: T0 + 25 * 60_000 }));
    const late = await handle(anotherTask(pull(), 50), { now: T0 + 26 * 60_000, stoppedAt: T0 + 5 * 60_000 });
    expect(late.status).toBe('counted');
    expect(publishedAlerts()).toHaveLength(2);
    const again = await handle(anotherTask(pull(), 60), { now: T0 + 3 * 86_400_000 });
    expect(again).toMatchObject({ status: 'alerted', message: 'recurred' });
    const recurred = publishedAlerts()[2];
    expect(recurred?.text).toMatch(
      /Recurred: it had ended at 2026-11-21 03:37 UTC .*; 1 failure in this episode/,
    );
    expect(recurred?.data).toMatchObject({ kind: 'recurred', failures: 1 });
  });

  it('sends chat its custom-notification format on the chat topic, threaded by the problem', async () => {
    const chatTopic = 'arn:aws:sns:us-east-1:123456789012:ecs-autopilot-chat';
    await handle(pull(), { env: { CHAT_TOPIC_ARN: chatTopic } });
    const calls = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
    const chat = calls.find((input) => input.TopicArn === chatTopic);
    expect(chat?.MessageStructure).toBeUndefined();
    const body = JSON.parse(chat?.Message ?? '{}');
    expect(body).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', title: expect.stringContaining('FIRING') },
      metadata: { threadId: publishedAlerts()[0]?.data.dedupKey },
    });
    expect(chat?.MessageAttributes?.status).toEqual({ DataType: 'String', StringValue: 'firing' });
  });
});

describe('duplicates, order and concurrency', () => {
  it('counts a task once when its event comes twice, or again with a newer or older version', async () => {
    const event = sampleEvent('image-pull');
    const version = (value: number): SampleEvent => ({
      ...event,
      detail: { ...event.detail, version: value },
    });
    expect((await handle(event)).status).toBe('alerted');
    const again = await handle(event);
    const newer = await handle(version(7), { now: T0 + 1_000 });
    const older = await handle(version(1), { now: T0 + 2_000 });
    expect([again, newer, older]).toEqual(
      Array(3).fill({ task: event.detail.taskArn, status: 'duplicate', reason: 'already-handled' }),
    );
    expect(await incident('image-pull')).toMatchObject({ failures: 1, totalFailures: 1 });
    expect(publishedAlerts()).toHaveLength(1);
  });

  it('sends one alert when 20 tasks of a crash loop fail at once', async () => {
    const event = sampleEvent('image-pull');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, n) => handle(anotherTask(event, n + 1), { owner: `request-${n}` })),
    );
    expect(statuses(results).filter((status) => status === 'alerted')).toHaveLength(1);
    expect(statuses(results).filter((status) => status === 'counted')).toHaveLength(19);
    expect(publishedAlerts()).toHaveLength(1);
    expect(await incident('image-pull')).toMatchObject({ failures: 20, alertsSent: 1 });
  });

  it('counts once when two invocations handle the same event at the same time', async () => {
    const event = sampleEvent('image-pull');
    const results = await Promise.all([handle(event, { owner: 'a' }), handle(event, { owner: 'b' })]);
    expect(statuses(results).sort()).toEqual(['alerted', 'duplicate']);
    expect(publishedAlerts()).toHaveLength(1);
  });

  it('finishes the message of an invocation that crashed after counting, without counting again', async () => {
    const tableName = BASE_ENV.STATE_TABLE as string;
    const task = taskOf(stoppedAt(sampleEvent('image-pull'), T0 - 100));
    expect(await store.claimTask(tableName, task, 'crashed', T0, T0 + 123_000)).toEqual({ kind: 'claimed' });
    const recorded = await incidents.recordFailure(tableName, refOf('image-pull'), failureOf(task), T0, T0, {
      waitMs: 0,
      windowSeconds: 900,
    });
    expect(recorded.kind).toBe('opened');
    // Within the crashed invocation's lease: left alone.
    expect(await handle(sampleEvent('image-pull'), { owner: 'retry', now: T0 + 10_000 })).toMatchObject({
      status: 'duplicate',
      reason: 'in-progress-elsewhere',
    });
    // After it, the periodic pass (or a retry) takes over and sends the message once.
    const resumed = await handle(sampleEvent('image-pull'), { owner: 'retry', now: T0 + 130_000 });
    expect(resumed.status).toBe('alerted');
    expect(publishedAlerts()).toHaveLength(1);
    expect(await incident('image-pull')).toMatchObject({ failures: 1, alertsSent: 1 });
  });

  it('does not count again a task whose invocation died right after counting it, though later tasks of the service were counted since', async () => {
    const tableName = BASE_ENV.STATE_TABLE as string;
    const task = taskOf(stoppedAt(sampleEvent('image-pull'), T0 - 100));
    await store.claimTask(tableName, task, 'crashed', T0, T0 + 123_000);
    await incidents.recordFailure(tableName, refOf('image-pull'), failureOf(task), T0, T0, {
      waitMs: 0,
      windowSeconds: 900,
    });
    // Killed here. Two more tasks of the service fail and are counted: the problem's latest is not it.
    for (const n of [1, 2]) await handle(anotherTask(sampleEvent('image-pull'), n), { now: T0 + n * 1_000 });
    expect(await incident('image-pull')).toMatchObject({ failures: 3 });
    // Counting the same task again (a second try of the same write) finds it counted.
    const again = await incidents.recordFailure(tableName, refOf('image-pull'), failureOf(task), T0, T0, {
      waitMs: 0,
      windowSeconds: 900,
    });
    expect(again.kind).toBe('counted-before');
    const resumed = await handle(sampleEvent('image-pull'), { owner: 'retry', now: T0 + 130_000 });
    expect(resumed.status).not.toBe('duplicate');
    expect(await incident('image-pull')).toMatchObject({ failures: 3, totalFailures: 3 });
    // Every task done, and none left in the problem's set of tasks being counted.
    expect((await incident('image-pull'))?.counting).toBeUndefined();
  });

  it('the periodic pass sends a first message an invocation left owed', async () => {
    const tableName = BASE_ENV.STATE_TABLE as string;
    const task = taskOf(stoppedAt(sampleEvent('image-pull'), T0 - 100));
    await incidents.recordFailure(tableName, refOf('image-pull'), failureOf(task), T0, T0, {
      waitMs: 30_000,
      windowSeconds: 900,
    });
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    const early = await detect.reconcile(runtime({ now: T0 + 10_000 }));
    expect(early.messages).toBeUndefined();
    const pass = await detect.reconcile(runtime({ now: T0 + 60_000 }));
    expect(pass.messages).toMatchObject([{ kind: 'new' }]);
    expect(publishedAlerts()).toHaveLength(1);
  });

  it("lets Lambda's first retry publish when SNS failed the first time (deployed timeout, not 1 s)", async () => {
    snsMock.on(PublishCommand).rejectsOnce(new InternalErrorException({ message: 'boom', $metadata: {} }));
    // 120 s left, as at the deployed timeout: the claim must not outlive the failed attempt.
    await expect(handle(sampleEvent('image-pull'), { owner: 'first', remainingMs: 120_000 })).rejects.toThrow(
      /sns:Publish/,
    );
    mockAws();
    const retry = await handle(sampleEvent('image-pull'), { owner: 'retry', now: T0 + 60_000 });
    expect(retry.status).toBe('alerted');
    expect(publishedAlerts()).toHaveLength(1);
  });
});

describe('what is not a failure', () => {
  it('ignores a task that ran and then stopped: no state, no alert', async () => {
    expect(await handle(sampleEvent('ran-then-stopped'))).toEqual({
      task: sampleEvent('ran-then-stopped').detail.taskArn,
      status: 'ignored',
      reason: 'ran-then-stopped',
    });
    expect(await table.items()).toEqual([]);
    expect(publishedAlerts()).toEqual([]);
  });

  it('ignores a deployment scaling in pending tasks, unless asked to alert on intentional stops', async () => {
    const event = sampleEvent('stopped-by-user-or-scheduler');
    expect(await handle(event)).toMatchObject({ status: 'ignored', reason: 'intentional-stop' });
    expect(publishedAlerts()).toEqual([]);
    const asked = await handle(anotherTask(event, 1), { env: { ALERT_ON_INTENTIONAL_STOPS: 'true' } });
    expect(asked).toMatchObject({ status: 'alerted', category: 'stopped-by-user-or-scheduler' });
  });
});

describe('job runs of run-scheduled-task', () => {
  const registerJob = async (name: string, fields: Record<string, unknown>) => {
    const { dynamodb } = await import('../../shared/aws/dynamodb');
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await dynamodb.send(
      new PutCommand({ TableName: BASE_ENV.STATE_TABLE, Item: { pk: 'job#*', sk: name, name, ...fields } }),
    );
  };

  it('alerts on a task whose startedBy merely looks like a job run: the registry knows no such job', async () => {
    const event = sampleEvent('image-pull');
    const lookalike = {
      ...event,
      detail: { ...event.detail, startedBy: 'ecs-autopilot/nightly-report/20250115T030000Z' },
    };
    expect(await handle(lookalike)).toMatchObject({ status: 'alerted' });
    // A registered job of another cluster or family is not this task's either.
    await registerJob('nightly-report', { cluster: 'other', family: 'api' });
    expect(await handle(anotherTask(lookalike, 1), { now: T0 + WINDOW_MS * 2 })).toMatchObject({
      status: 'alerted',
    });
  });

  it('leaves a run that never started to run-scheduled-task, which alerts on the failed run: one alert, not two', async () => {
    await registerJob('nightly-report', { cluster: 'web', family: 'api' });
    const event = sampleEvent('image-pull');
    const jobRun = {
      ...event,
      detail: { ...event.detail, startedBy: 'ecs-autopilot/nightly-report/20250115T030000Z' },
    };
    expect(await handle(jobRun)).toEqual({
      task: event.detail.taskArn,
      status: 'ignored',
      reason: 'scheduled-job-run',
      job: 'nightly-report',
      due: '2025-01-15T03:00:00Z',
    });
    expect(publishedAlerts()).toEqual([]);
    // Another caller's startedBy is not a job run.
    const other = anotherTask(
      { ...event, detail: { ...event.detail, startedBy: 'ecs-autopilot-like/other' } },
      1,
    );
    expect(await handle(other)).toMatchObject({ status: 'alerted' });
  });
});

describe('context', () => {
  it('alerts without task definition details when DescribeTaskDefinition fails', async () => {
    const event = sampleEvent('image-pull');
    event.detail.taskDefinitionArn = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:99';
    expect((await handle(event)).status).toBe('alerted');
    expect(publishedAlerts()[0]?.text).toContain(`${ECR}/api:1.4.3`);
  });

  it('links the container log stream when the container may have written to it', async () => {
    await handle(sampleEvent('essential-container-exited'));
    const [alert] = publishedAlerts();
    expect(alert?.text).toMatch(
      /Logs \(report\): +https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=us-east-1#logsV2:log-groups\/log-group\/\$252Fecs\$252Freport\/log-events\/ecs\$252Freport\$252F[0-9a-f]{32}/,
    );
  });
});

describe('task definitions', () => {
  it('reads a revision from ECS once for all containers: a cold container finds it in the state table', async () => {
    await handle(sampleEvent('image-pull'));
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(1);
    // Another container, cold: its caches are empty, the state table is not.
    ecs.clearTaskDefinitionCache();
    (await import('./task-definitions')).forgetTaskDefinitions();
    const second = await handle(anotherTask(sampleEvent('image-pull'), 1), {
      owner: 'other',
      now: T0 + 1_000,
    });
    expect(second.status).toBe('counted');
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(1);
    const stored = (await table.items()).find((item) => String(item.pk).startsWith('failure#taskdef#'));
    expect(stored?.containerDefinitions).toBeDefined();
    // Only what an alert uses: no environment, secrets or commands.
    expect(JSON.stringify(stored)).not.toMatch(/environment|secrets|command/);
  });
});

describe('dry run', () => {
  it('writes and publishes nothing, and shows the alert it would send', async () => {
    const result = await handle(sampleEvent('image-pull'), { env: { DRY_RUN: 'true' } });
    expect(result).toMatchObject({ status: 'planned', plan: { action: 'alert' } });
    if (result.status !== 'planned') throw new Error('expected a plan');
    expect(result.plan.alert?.subject).toBe('[web] service api failed to start: Image not found');
    expect(await table.items()).toEqual([]);
    expect(publishedAlerts()).toEqual([]);
  });

  it('says a failure would only be counted before the next message of a problem is due', async () => {
    await handle(sampleEvent('image-pull'));
    const result = await handle(anotherTask(sampleEvent('image-pull'), 2), {
      env: { DRY_RUN: 'true' },
      now: T0 + 60_000,
    });
    expect(result).toMatchObject({ status: 'planned', plan: { action: 'count', failedInWindow: 2 } });
  });
});

describe('a task whose instance went away', () => {
  it('is alerted, readable, when ALERT_ON_HOST_INTERRUPTIONS is on', async () => {
    const env = { ALERT_ON_HOST_INTERRUPTIONS: 'true' };
    expect(await handle(sampleEvent('host-or-spot'), { env })).toMatchObject({
      status: 'alerted',
      category: 'host-or-spot',
    });
    const [alert] = publishedAlerts();
    expect(alert?.subject.length).toBeLessThanOrEqual(100);
    expect(alert?.text).toContain('HOW TO FIX');
  });
});

describe('the periodic pass', () => {
  const describedAs = (...events: SampleEvent[]) => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: events.map((event) => event.detail.taskArn) });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: events.map(
        ({ detail }) =>
          ({
            ...detail,
            createdAt: new Date(String(detail.createdAt)),
            stoppedAt: new Date(String(detail.stoppedAt)),
            ...(detail.startedAt ? { startedAt: new Date(String(detail.startedAt)) } : {}),
          }) as never,
      ),
    });
  };

  it('one task that cannot be handled does not fail the pass: the others are still alerted', async () => {
    describedAs(sampleEvent('image-pull'), sampleEvent('logging'));
    snsMock
      .on(PublishCommand)
      .rejectsOnce(new InternalErrorException({ message: 'boom', $metadata: {} }))
      .resolves({ MessageId: 'message-2' });
    const summary = await detect.reconcile(runtime());
    expect(statuses(summary.results).sort()).toEqual(['alerted', 'failed']);
    expect(summary.results.find((result) => result.status === 'failed')).toMatchObject({
      error: expect.stringMatching(/sns:Publish/),
    });
  });

  it('describes a task that ran, then stopped, once: later passes skip it unread', async () => {
    describedAs(sampleEvent('ran-then-stopped'));
    const first = await detect.reconcile(runtime());
    expect(first.results).toEqual([]);
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(1);
    const second = await detect.reconcile(runtime({ now: T0 + 300_000 }));
    expect(second).toMatchObject({ scanned: 1, deferred: 0 });
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(1);
  });

  it('lists at most RECONCILE_MAX_LISTED tasks a pass and carries on from there in the next', async () => {
    const page = (from: number) =>
      Array.from(
        { length: 100 },
        (_, n) => `arn:aws:ecs:us-east-1:123456789012:task/web/${String(from + n).padStart(32, '0')}`,
      );
    ecsMock
      .on(ListTasksCommand)
      .callsFake((input: { nextToken?: string }) =>
        input.nextToken === 'p2'
          ? { taskArns: page(200), nextToken: 'p3' }
          : input.nextToken === 'p3'
            ? { taskArns: page(300) }
            : { taskArns: page(100), nextToken: 'p2' },
      );
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [] });
    const env = { RECONCILE_MAX_LISTED: '200', RECONCILE_MAX_DESCRIBED: '100' };
    const first = await detect.reconcile(runtime({ env }));
    expect(first).toMatchObject({ scanned: 200, carried: 1, deferred: 100 });
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(1);
    const second = await detect.reconcile(runtime({ env, now: T0 + 300_000 }));
    expect(second).toMatchObject({ scanned: 100 });
    expect(second.carried).toBeUndefined();
    expect(ecsMock.commandCalls(ListTasksCommand).map((call) => call.args[0].input.nextToken)).toEqual([
      undefined,
      'p2',
      'p3',
    ]);
  });

  it('remembers tasks ignored on purpose, so later passes do not classify them again', async () => {
    describedAs(sampleEvent('stopped-by-user-or-scheduler'));
    const first = await detect.reconcile(runtime());
    expect(first.results).toMatchObject([{ status: 'ignored', reason: 'intentional-stop' }]);
    const describeCalls = ecsMock.commandCalls(DescribeTaskDefinitionCommand).length;
    ecs.clearTaskDefinitionCache();
    (await import('./task-definitions')).forgetTaskDefinitions();
    const second = await detect.reconcile(runtime({ now: T0 + 300_000 }));
    expect(second.results).toEqual([]);
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(describeCalls);
  });

  it('a cluster it cannot read is skipped; the other clusters are still swept', async () => {
    const failed = sampleEvent('image-pull').detail;
    ecsMock
      .on(ListTasksCommand, { cluster: 'retired' })
      .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));
    ecsMock.on(ListTasksCommand, { cluster: 'web' }).resolves({ taskArns: [failed.taskArn] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          ...failed,
          createdAt: new Date(String(failed.createdAt)),
          stoppedAt: new Date(String(failed.stoppedAt)),
        } as never,
      ],
    });
    const summary = await detect.reconcile(runtime({ env: { CLUSTERS: 'retired,web' } }));
    expect(summary).toMatchObject({
      scanned: 1,
      results: [{ status: 'alerted', category: 'image-pull' }],
      skippedClusters: [{ cluster: 'retired', reason: expect.stringMatching(/ClusterNotFoundException/) }],
    });
    expect(publishedAlerts()).toHaveLength(1);
  });

  it('handles a described task ECS gave without a version, and counts one it cannot read', async () => {
    const failed = sampleEvent('image-pull').detail;
    const { version: _omitted, ...withoutVersion } = failed;
    ecsMock
      .on(ListTasksCommand, { cluster: 'web' })
      .resolves({ taskArns: [failed.taskArn, `${failed.taskArn}0`] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          ...withoutVersion,
          createdAt: new Date(String(failed.createdAt)),
          stoppedAt: new Date(String(failed.stoppedAt)),
        } as never,
        // No task definition ARN: nothing to classify it by, but not dropped without a word.
        { taskArn: `${failed.taskArn}0`, clusterArn: failed.clusterArn, lastStatus: 'STOPPED' } as never,
      ],
    });
    const summary = await detect.reconcile(runtime({ env: { CLUSTERS: 'web' } }));
    expect(summary).toMatchObject({
      scanned: 2,
      unreadable: 1,
      results: [{ status: 'alerted', category: 'image-pull' }],
    });
  });
});
