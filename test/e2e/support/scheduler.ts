// What the run-scheduled-task end-to-end files share: the sample job and tick, a Lambda context on the
// simulated clock, routing of task state events by the function's own pattern, and reads of the state
// table. (Each test file still mocks the handler's sleep itself: vitest hoists vi.mock per file.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { taskStateChangePattern } from '../../../functions/run-scheduled-task/rules';
import { dueFromMs } from '../../../shared/schedule/identity';
import { matchesPattern } from '../../infra/event-pattern';
import { localClients } from '../../local-aws/clients';
import { type LocalAws, SAMPLE } from '../../local-aws/index';
import { lambdaContext as realTimeContext } from '../../local-aws/lambda';

export type Summary = Record<string, unknown> & { status: string };
export type Handler = (event: unknown, context: Context) => Promise<Summary>;

const events = join(import.meta.dirname, '../../../events/run-scheduled-task');
const sample = (name: string) => JSON.parse(readFileSync(join(events, name), 'utf8'));
/** The every-minute pass's event. */
export const TICK = sample('reconcile-tick.json');
/** The sample job (nightly-report on the sample cluster). */
export const JOB = sample('scheduler-invocation.json').job as Record<string, unknown>;

/** Lambda's remaining time on the simulated clock: sleeping (which advances the world) spends it. */
export function simulatedLambdaContext(timeoutMs = 300_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    ...realTimeContext({ functionName: 'run-scheduled-task', timeoutMs }),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/** The handler and what the tests read, against one local endpoint. */
export function schedulerHarness(aws: () => LocalAws, handler: () => Handler) {
  const invoke = (event: unknown) => handler()(event, simulatedLambdaContext());
  let documents: DynamoDBDocumentClient | undefined;
  const table = () => {
    documents ??= DynamoDBDocumentClient.from(localClients(aws().endpoint).dynamodb);
    return documents;
  };
  const items = async (pk: string): Promise<Record<string, unknown>[]> => {
    const { Items } = await table().send(
      new QueryCommand({
        TableName: SAMPLE.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
      }),
    );
    return Items ?? [];
  };
  return {
    invoke,
    /** The Scheduler's invocation of the sample job, due now, with job fields replaced. */
    due(fields: Record<string, unknown> = {}) {
      const scheduledTime = dueFromMs(aws().world.now());
      return { event: { job: { ...JOB, ...fields }, scheduledTime }, due: scheduledTime };
    },
    /** Delivers the task state changes EventBridge would route to the function (its rule's pattern). */
    async deliverTaskEvents(): Promise<Summary[]> {
      const routed = aws()
        .world.takeEvents({ detailType: 'ECS Task State Change' })
        .filter((event) => matchesPattern(taskStateChangePattern, event));
      const results: Summary[] = [];
      for (const event of routed) results.push(await invoke(event));
      return results;
    },
    /** The every-minute pass, once a minute for `minutes`. */
    async ticks(minutes = 1) {
      for (let minute = 0; minute < minutes; minute++) {
        aws().world.advance(60_000);
        await invoke(TICK);
      }
    },
    reportTasks: (desiredStatus?: 'RUNNING' | 'STOPPED') =>
      aws().world.tasks({
        cluster: SAMPLE.cluster,
        family: 'report',
        ...(desiredStatus ? { desiredStatus } : {}),
      }),
    alerts: () => aws().world.snsPublications(SAMPLE.topicArn),
    items,
    /** A run record of the job. */
    run: async (dueTime: string, job = 'nightly-report') =>
      (await items(`job#${job}`)).find((item) => item.sk === `run#${dueTime}`),
    /** The job's registry item. */
    registry: async (job = 'nightly-report') => (await items('job#*')).find((item) => item.sk === job),
  };
}
