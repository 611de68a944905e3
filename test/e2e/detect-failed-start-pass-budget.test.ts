// detect-failed-start's periodic pass during a crash loop, on the local endpoint with ECS's throttling
// on (half of each bucket left to us: the rest of the account needs the other half). ECS keeps stopped
// tasks about an hour, so the pass finds a thousand and more of them, nearly all already handled from
// their events: it must spend a bounded number of calls on them, not a few per task, and still find
// the failures whose events were lost.
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stoppedBeforeRunningPattern } from '../../functions/detect-failed-start/rules';
import { matchesPattern } from '../infra/event-pattern';
import { type LocalAws, SAMPLE, scheduledEvent, startLocalAws } from '../local-aws/index';
import { lambdaContext } from '../local-aws/lambda';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';

type Summary = {
  status: string;
  results: { status: string }[];
  scanned?: number;
  deferred?: number;
  carried?: number;
};
type Handler = (event: unknown, context: Context) => Promise<Summary>;

const ECR = `${SAMPLE.account}.dkr.ecr.${SAMPLE.region}.amazonaws.com`;
const BAD_IMAGE = `${ECR}/api:6.6.6`;
const PULL_ERROR = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${BAD_IMAGE}: ${BAD_IMAGE}: not found`;
/** Per pass and cluster (functions/detect-failed-start/README.md, "The periodic pass"). */
const BUDGET = { listPages: 10, describeCalls: 3, taskDefinitionReads: 1 };

let aws: LocalAws;
let handler: Handler;
let request = 0;

const invoke = (event: unknown) =>
  handler(
    event,
    lambdaContext({ functionName: 'detect-failed-start', timeoutMs: 120_000, requestId: `r-${++request}` }),
  );
const tick = () => invoke(scheduledEvent('ecs-autopilot-detect-failed-start-reconcile', aws.world.now()));

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, {
    ALERT_WINDOW_SECONDS: '900',
    GROUP_WAIT_SECONDS: '0',
    DRY_RUN: 'false',
    CLUSTERS: SAMPLE.cluster,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  useWorldClock(aws);
  ({ handler } = (await import('../../functions/detect-failed-start/index')) as unknown as {
    handler: Handler;
  });
});

afterAll(async () => {
  await aws?.close();
});

/** Calls per `service:Operation` made while `run` ran. */
async function callsDuring<T>(run: () => Promise<T>): Promise<{ result: T; calls: Record<string, number> }> {
  aws.calls.clear();
  const result = await run();
  return { result, calls: aws.calls.summary() };
}

const incidentFailures = async () => {
  const { DynamoDBClient, ScanCommand } = await import('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({ endpoint: aws.tableInspectionEndpoint, region: SAMPLE.region });
  const { Items = [] } = await client.send(new ScanCommand({ TableName: SAMPLE.table }));
  client.destroy();
  return Items.filter((item) => item.sk?.S === 'incident').reduce(
    (sum, item) => sum + Number(item.totalFailures?.N ?? 0),
    0,
  );
};

describe('a crash loop: 1,000+ stopped tasks retained, nearly all handled from their events', () => {
  it('each pass stays within its budget per operation, unthrottled, and the lost failures are still counted', {
    timeout: 600_000,
  }, async () => {
    const definition = aws.world.registerTaskDefinition({
      family: 'crash',
      containerDefinitions: [{ name: 'app', image: BAD_IMAGE, cpu: 32, memoryReservation: 32 }],
    });
    aws.world.failStarts({
      taskDefinition: `crash:${definition.revision}`,
      stoppedReason: PULL_ERROR,
      containerReason: PULL_ERROR,
    });
    for (const name of ['crash-a', 'crash-b', 'crash-c', 'crash-d']) {
      aws.world.createService({
        cluster: SAMPLE.cluster,
        name,
        taskDefinition: `crash:${definition.revision}`,
        desiredCount: 60,
      });
    }
    // Events of the crash loop are handled as they come, one in 40 lost by EventBridge.
    let failures = 0;
    let lost = 0;
    for (let step = 0; step < 60 && failures < 1_200; step++) {
      aws.world.advance(30_000);
      const events = aws.world
        .takeEvents({ detailType: 'ECS Task State Change' })
        .filter((event) => matchesPattern(stoppedBeforeRunningPattern, event));
      for (const event of events) {
        failures++;
        if (failures % 40 === 0) {
          lost++;
          continue;
        }
        expect((await invoke(event)).status).toBe('ok');
      }
    }
    for (const name of ['crash-a', 'crash-b', 'crash-c', 'crash-d'])
      aws.world.setServiceDesiredCount(SAMPLE.cluster, name, 0);
    aws.world.advance(60_000);
    aws.world.takeEvents();
    expect(failures).toBeGreaterThanOrEqual(1_000);
    expect(await incidentFailures()).toBe(failures - lost);

    aws.throttling.enable({ share: 0.5 });
    const passes: { calls: Record<string, number>; summary: Summary }[] = [];
    for (let pass = 0; pass < 6; pass++) {
      aws.world.advance(300_000);
      const { result, calls } = await callsDuring(tick);
      expect(result.status).toBe('ok');
      passes.push({ calls, summary: result });
    }

    console.log(
      `crash loop: ${failures} failures, ${lost} events lost; calls per pass: ${passes.map(({ calls }) => JSON.stringify(calls)).join(' | ')}`,
    );
    for (const { calls, summary } of passes) {
      expect(calls['ecs:ListTasks'] ?? 0).toBeLessThanOrEqual(BUDGET.listPages);
      expect(calls['ecs:DescribeTasks'] ?? 0).toBeLessThanOrEqual(BUDGET.describeCalls);
      expect(calls['ecs:DescribeTaskDefinition'] ?? 0).toBeLessThanOrEqual(BUDGET.taskDefinitionReads);
      // Known tasks cost a share of a batched marker read; single reads and writes go to the tasks the
      // pass handles (a lost failure, a task stopped on purpose), a few each, never to the known ones.
      const handled = summary.results.length;
      expect(calls['dynamodb:BatchGetItem'] ?? 0).toBeLessThanOrEqual(BUDGET.listPages + 2);
      expect(calls['dynamodb:GetItem'] ?? 0).toBeLessThanOrEqual(2 + handled);
      expect((calls['dynamodb:PutItem'] ?? 0) + (calls['dynamodb:UpdateItem'] ?? 0)).toBeLessThanOrEqual(
        6 * handled + 4,
      );
    }
    // Throttled by nothing: the pass never asked for more than the buckets give.
    expect(aws.throttling.counts().every((bucket) => bucket.throttled === 0)).toBe(true);
    // What one pass could not read went to the next (and was said), and every lost failure was counted.
    expect(passes.some(({ summary }) => (summary.carried ?? 0) > 0 || (summary.deferred ?? 0) > 0)).toBe(
      true,
    );
    expect(await incidentFailures()).toBe(failures);
    // The pass that found nothing left costs a handful of calls.
    const last = passes.at(-1)?.calls ?? {};
    expect(Object.values(last).reduce((sum, count) => sum + count, 0)).toBeLessThanOrEqual(40);
  });
});
