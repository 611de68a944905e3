// detect-failed-start's problem lifecycle end to end: the real handler (its 30 s grouping wait included)
// against the local endpoint's simulated cluster. Events are delivered as Lambda would run them, at
// the same time: each step's invocations start together; the test moves the world on only once every
// one of them has counted its task (the one that opened a problem is then waiting out the grouping
// wait, on the world's clock).
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stoppedBeforeRunningPattern } from '../../functions/detect-failed-start/rules';
import { matchesPattern } from '../infra/event-pattern';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { lambdaContext } from '../local-aws/lambda';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import { chatbotCustomNotification } from '../support/chatbot-notification';

type Summary = {
  status: string;
  results?: { status: string; message?: string }[];
  messages?: { kind: string }[];
};
type Handler = (event: unknown, context: Context) => Promise<Summary>;

const SECRET = `arn:aws:secretsmanager:${SAMPLE.region}:${SAMPLE.account}:secret:shared/db-password-AbCdEf`;
const SECRET_DENIED = `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${SECRET} from secrets manager: AccessDeniedException: User: arn:aws:sts::${SAMPLE.account}:assumed-role/ecsTaskExecutionRole/abc is not authorized to perform: secretsmanager:GetSecretValue on resource: ${SECRET} because no identity-based policy allows the secretsmanager:GetSecretValue action status code: 400, request id: 0f7c`;
const ECR = `${SAMPLE.account}.dkr.ecr.${SAMPLE.region}.amazonaws.com`;
const BAD_IMAGE = `${ECR}/api:9.9.9`;
const PULL_ERROR = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${BAD_IMAGE}: ${BAD_IMAGE}: not found`;
const CHAT_TOPIC = 'ecs-autopilot-chat';
const CHAT_TOPIC_ARN = `arn:aws:sns:${SAMPLE.region}:${SAMPLE.account}:${CHAT_TOPIC}`;

let aws: LocalAws;
let handler: Handler;
let request = 0;
const pending: Promise<Summary>[] = [];
let reader: import('@aws-sdk/lib-dynamodb').DynamoDBDocumentClient | undefined;

const invoke = (event: unknown) =>
  handler(
    event,
    lambdaContext({ functionName: 'detect-failed-start', timeoutMs: 120_000, requestId: `r-${++request}` }),
  );

const tick = () =>
  invoke({
    version: '0',
    id: `tick-${request}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: SAMPLE.account,
    time: new Date(aws.world.now()).toISOString(),
    region: SAMPLE.region,
    resources: [],
    detail: {},
  });

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, {
    ALERT_WINDOW_SECONDS: '900',
    GROUP_WAIT_SECONDS: '30',
    DRY_RUN: 'false',
    CLUSTERS: SAMPLE.cluster,
    CHAT_TOPIC_ARN,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  useWorldClock(aws);
  ({ handler } = (await import('../../functions/detect-failed-start/index')) as unknown as {
    handler: Handler;
  });
});

afterAll(async () => {
  reader?.destroy();
  await aws?.close();
});

beforeEach(async () => {
  await aws.reset('sample');
  aws.world.createTopic(CHAT_TOPIC);
  pending.length = 0;
  settled.length = 0;
});

/**
 * Which of these tasks are counted, straight from the table: their marker says done (or counted, kept
 * for a retry), or a problem lists them among the tasks it counted and is finishing.
 */
async function countedTasks(taskArns: readonly string[]): Promise<boolean[]> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { DynamoDBDocumentClient, ScanCommand } = await import('@aws-sdk/lib-dynamodb');
  reader ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: aws.tableInspectionEndpoint, region: SAMPLE.region }),
  );
  const { Items = [] } = await reader.send(new ScanCommand({ TableName: SAMPLE.table }));
  const counted = new Set<string>();
  for (const item of Items) {
    if (item.sk === 'task' && (item.stage === 'counted' || item.stage === 'done'))
      counted.add(String(item.taskArn));
    if (item.sk === 'incident' && item.counting instanceof Set)
      for (const arn of item.counting as Set<string>) counted.add(arn);
  }
  return taskArns.map((arn) => counted.has(arn));
}

/** Starts one invocation per event, as Lambda would, and returns once each has counted its task. */
async function deliverTogether(events: { detail: { taskArn: string } }[]): Promise<void> {
  const invocations = events.map((event) => invoke(event));
  pending.push(...invocations);
  const finished = new Set<number>();
  invocations.forEach((invocation, index) => {
    void invocation.then(() => finished.add(index)).catch(() => finished.add(index));
  });
  for (let attempt = 0; attempt < 400; attempt++) {
    const counted = await countedTasks(events.map((event) => event.detail.taskArn));
    if (counted.every((done, index) => finished.has(index) || done)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('invocations did not count their tasks');
}

/** Moves the world on in steps, delivering the failures of each step together; ticks every 5 minutes. */
async function run(ms: number, { stepMs = 5_000 } = {}): Promise<number> {
  let delivered = 0;
  const end = aws.world.now() + ms;
  let nextTick = aws.world.now() + 300_000;
  while (aws.world.now() < end) {
    aws.world.advance(stepMs);
    // Steps longer than the grouping wait: the invocations waiting it out finish before the world
    // moves on again (in AWS they finish long before their lease ends).
    if (stepMs >= 30_000) settled.push(...(await Promise.all(pending.splice(0))));
    const events = aws.world
      .takeEvents({ detailType: 'ECS Task State Change' })
      .filter((event) => matchesPattern(stoppedBeforeRunningPattern, event)) as unknown as {
      detail: { taskArn: string };
    }[];
    if (events.length > 0) await deliverTogether(events);
    delivered += events.length;
    if (aws.world.now() >= nextTick) {
      pending.push(tick());
      await pending.at(-1);
      nextTick += 300_000;
    }
  }
  return delivered;
}

const settled: Summary[] = [];
const settle = async () => {
  const summaries = [...settled, ...(await Promise.all(pending))];
  for (const summary of summaries) expect(summary.status).toBe('ok');
};

const publications = () => aws.world.snsPublications(SAMPLE.topicArn);
const machine = (publication: { textFor(protocol?: string): string }) =>
  JSON.parse(publication.textFor('sqs')) as Record<string, unknown>;

const ROUTING_ATTRIBUTES = ['category', 'cluster', 'severity', 'source', 'status'];

/**
 * What every scenario owes its subscribers: every publish (alerts and chat topics) carries the String
 * attributes filter policies route on, with the values its body states; every alert has its chat copy,
 * in AWS Chatbot's custom-notification format, threaded by the problem's dedup key.
 */
function expectEveryPublishRoutableAndInChat(): void {
  const alerts = publications();
  const chats = aws.world.snsPublications(CHAT_TOPIC_ARN);
  expect(alerts.length).toBeGreaterThan(0);
  expect(chats).toHaveLength(alerts.length);
  const chatIds = new Map<string, (typeof chats)[number]>();
  for (const chat of chats) {
    expect(chat.messageStructure).toBeUndefined(); // Chatbot reads the body as it is
    const parsed = chatbotCustomNotification.safeParse(JSON.parse(chat.message));
    expect(parsed.error?.issues ?? []).toEqual([]);
    if (parsed.data?.id) chatIds.set(parsed.data.id, chat);
  }
  for (const alert of alerts) {
    const body = machine(alert);
    const attributes = Object.fromEntries(
      Object.entries(alert.messageAttributes).map(([name, { dataType, value }]) => {
        expect(dataType).toBe('String');
        return [name, value];
      }),
    );
    expect(Object.keys(attributes).sort()).toEqual(ROUTING_ATTRIBUTES);
    expect(attributes).toEqual({
      cluster: body.cluster,
      category: body.category,
      severity: body.severity,
      status: body.status,
      source: 'ecs-autopilot.detect-failed-start',
    });
    // Its chat copy: same message of the same problem, same attributes, the problem's thread.
    const chat = chatIds.get(
      `${body.dedupKey}-${body.episode}-${body.kind}-${Number(body.messagesSent) + 1}`,
    );
    expect(chat, `chat copy of ${body.kind} message ${body.messagesSent}`).toBeDefined();
    const card = chatbotCustomNotification.parse(JSON.parse(chat?.message ?? '{}'));
    expect(card.metadata?.threadId).toBe(body.dedupKey);
    expect(card.content.title).toMatch(body.status === 'resolved' ? /RESOLVED/ : /FIRING/);
    expect(chat?.messageAttributes).toEqual(alert.messageAttributes);
  }
}

describe('a wave: 30 services lose access to one secret', () => {
  it('gives at most 3 notifications, naming every service affected', { timeout: 120_000 }, async () => {
    const definition = aws.world.registerTaskDefinition({
      family: 'wave',
      containerDefinitions: [{ name: 'app', image: `${ECR}/wave:1`, cpu: 32, memoryReservation: 64 }],
    });
    aws.world.failStarts({
      taskDefinition: `wave:${definition.revision}`,
      stoppedReason: SECRET_DENIED,
    });
    for (let n = 0; n < 30; n++) {
      aws.world.createService({
        cluster: SAMPLE.cluster,
        name: `svc-${String(n).padStart(2, '0')}`,
        taskDefinition: `wave:${definition.revision}`,
        desiredCount: 1,
      });
    }
    // ECS retries each service's task every few seconds: a minute is the wave and the grouping wait.
    const failures = await run(45_000);
    await settle();
    expect(failures).toBeGreaterThanOrEqual(30);

    const sent = publications();
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.length).toBeLessThanOrEqual(3);
    const named = new Set(
      sent.flatMap((publication) =>
        (machine(publication).affected as { group: string }[]).map((member) => member.group),
      ),
    );
    expect(named.size).toBe(30);
    expect(sent[0]?.subject).toMatch(/^\[web\] \d+ services failed to start: .*\(secret /);
    expect(sent[0]?.textFor('email')).toContain('service svc-00:');
    // Every publish carries the attributes filter policies route on.
    for (const publication of sent) {
      expect(machine(publication)).toMatchObject({ status: 'firing', category: 'secrets', cluster: 'web' });
    }
    expectEveryPublishRoutableAndInChat();
  });
});

describe('a job crash-looping for 6 hours, then fixed', () => {
  it('sends a bounded, backing-off series with one subject, ending in one resolved message', {
    timeout: 240_000,
  }, async () => {
    const definition = aws.world.registerTaskDefinition({
      family: 'nightly',
      containerDefinitions: [{ name: 'job', image: BAD_IMAGE, cpu: 256, memoryReservation: 512 }],
    });
    const clear = aws.world.failStarts({
      taskDefinition: `nightly:${definition.revision}`,
      stoppedReason: PULL_ERROR,
      containerReason: PULL_ERROR,
    });
    const start = () =>
      aws.world.runStandaloneTask({
        cluster: SAMPLE.cluster,
        taskDefinition: `nightly:${definition.revision}`,
        runForMs: 60_000,
      });
    let failures = 0;
    // Retried every 5 minutes for 6 hours (a job runner in a loop).
    for (let minute = 0; minute < 6 * 60; minute += 5) {
      start();
      failures += await run(5 * 60_000, { stepMs: 60_000 });
    }
    clear();
    start(); // the fixed image: the family runs a task again
    await run(45 * 60_000, { stepMs: 60_000 });
    await settle();

    const sent = publications();
    const data = sent.map(machine);
    const kinds = data.map((item) => item.kind);
    expect(failures).toBeGreaterThanOrEqual(70);
    expect(kinds[0]).toBe('new');
    expect(kinds.at(-1)).toBe('resolved');
    expect(kinds.filter((kind) => kind === 'resolved')).toHaveLength(1);
    expect(kinds.filter((kind) => kind === 'new' || kind === 'recurred')).toHaveLength(1);
    expect(sent.length).toBeLessThanOrEqual(8);
    expect(new Set(sent.map((publication) => publication.subject)).size).toBe(1);
    // Backing off: at least 15 min, 30 min, 1 h, then 4 h between firing messages.
    const firingAt = sent.slice(0, -1).map((publication) => publication.publishedAt);
    const gaps = firingAt.slice(1).map((at, index) => (at - (firingAt[index] ?? 0)) / 60_000);
    for (const [index, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual([15, 30, 60][index] ?? 240);
    expect(data.at(-1)).toMatchObject({ status: 'resolved', failures });
    expect(sent.at(-1)?.textFor('email')).toMatch(/Resolved at .*task family nightly ran a task/);
    expect(sent.at(-1)?.textFor('sms').length).toBeLessThan(160);
    expectEveryPublishRoutableAndInChat();
  });
});

describe('a job failing every 16 minutes for 4 hours (just past the 15-minute window)', () => {
  it('is announced once as new, then repeats backing off: never "first failure" again', {
    timeout: 240_000,
  }, async () => {
    const definition = aws.world.registerTaskDefinition({
      family: 'sync',
      containerDefinitions: [{ name: 'sync', image: BAD_IMAGE, cpu: 256, memoryReservation: 512 }],
    });
    aws.world.failStarts({
      taskDefinition: `sync:${definition.revision}`,
      stoppedReason: PULL_ERROR,
      containerReason: PULL_ERROR,
    });
    let failures = 0;
    for (let minute = 0; minute < 4 * 60; minute += 16) {
      aws.world.runStandaloneTask({
        cluster: SAMPLE.cluster,
        taskDefinition: `sync:${definition.revision}`,
        runForMs: 60_000,
      });
      failures += await run(16 * 60_000, { stepMs: 60_000 });
    }
    await settle();

    expect(failures).toBe(15);
    const sent = publications();
    const data = sent.map(machine);
    // One episode: announced once, then repeats (15 min, 30 min, 1 h apart at least), never resolved.
    expect(data.map((item) => item.kind)).toEqual(['new', ...data.slice(1).map(() => 'repeat')]);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.length).toBeLessThanOrEqual(5);
    expect(new Set(data.map((item) => item.since)).size).toBe(1);
    expect(new Set(data.map((item) => item.episode))).toEqual(new Set([1]));
    // Each message says when the next may go: 15 min, 30 min, 1 h, then 4 h after it was sent (its send
    // time is the next message's lastMessageAt); the next one keeps that promise.
    for (const [index, publication] of sent.slice(1).entries()) {
      const promised = Date.parse(String(data[index]?.nextMessageNoSoonerThan));
      const previousSentAt = Date.parse(String(data[index + 1]?.lastMessageAt));
      expect(publication.publishedAt).toBeGreaterThanOrEqual(promised);
      expect((promised - previousSentAt) / 60_000).toBe([15, 30, 60][index] ?? 240);
    }
    // Each repeat counts the whole episode and what came since the one before.
    const counts = data.map((item) => Number(item.failures));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    for (const publication of sent.slice(1)) {
      expect(publication.textFor('email')).toMatch(/^STILL FIRING: task family sync/);
      expect(publication.textFor('email')).toMatch(
        /Still failing since .*: \d+ failures in all, \d+ since the last message/,
      );
      expect(publication.textFor('email')).not.toMatch(/New problem: first failure/);
    }
    expectEveryPublishRoutableAndInChat();
  });
});

describe('SNS failing when the first message is due', () => {
  it("publishes within Lambda's first retry of the event, not at the next periodic pass", {
    timeout: 120_000,
  }, async () => {
    const definition = aws.world.registerTaskDefinition({
      family: 'export',
      containerDefinitions: [{ name: 'export', image: BAD_IMAGE, cpu: 256, memoryReservation: 512 }],
    });
    aws.world.failStarts({
      taskDefinition: `export:${definition.revision}`,
      stoppedReason: PULL_ERROR,
      containerReason: PULL_ERROR,
    });
    aws.world.runStandaloneTask({ cluster: SAMPLE.cluster, taskDefinition: `export:${definition.revision}` });
    let event: { detail: { taskArn: string } } | undefined;
    for (let step = 0; step < 20 && !event; step++) {
      aws.world.advance(5_000);
      event = aws.world
        .takeEvents({ detailType: 'ECS Task State Change' })
        .find((candidate) => matchesPattern(stoppedBeforeRunningPattern, candidate)) as
        | { detail: { taskArn: string } }
        | undefined;
    }
    if (!event) throw new Error('the task did not fail to start');
    const failedAt = aws.world.now();

    // SNS answers 500 to every publish (the SDK's retries included) during the first invocation.
    const outage = aws.faults.set({
      operation: 'sns:Publish',
      error: { code: 'InternalError', message: 'Internal Error', status: 500 },
    });
    const first = invoke(event);
    for (let attempt = 0; attempt < 200; attempt++) {
      const [counted] = await countedTasks([event.detail.taskArn]);
      if (counted) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    aws.world.advance(31_000); // the grouping wait ends; the publish fails
    await expect(first).rejects.toThrow();
    expect(publications()).toHaveLength(0);
    outage();

    // Lambda retries a failed asynchronous invocation about a minute later (twice at most), with the
    // same event: well inside the 2-minute lease the first invocation took on the task.
    aws.world.advance(60_000);
    const retried = await invoke(event);
    expect(retried.results?.[0]).toMatchObject({ status: 'alerted', message: 'new' });
    const sent = publications();
    expect(sent).toHaveLength(1);
    expect((sent[0]?.publishedAt ?? Number.POSITIVE_INFINITY) - failedAt).toBeLessThan(300_000);
    expect(machine(sent[0] as (typeof sent)[number])).toMatchObject({ kind: 'new', failures: 1 });
    expectEveryPublishRoutableAndInChat();

    // The next pass finds nothing left to send or count.
    aws.world.advance(300_000);
    const pass = await tick();
    expect(pass.results).toEqual([]);
    expect(publications()).toHaveLength(1);
  });
});
