// The in-memory table answers as DynamoDB does (dynalite standing in for it) for the expressions the
// functions use: the same sequence of commands against both gives the same items and the same errors.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STATE_TABLE, startStateTable } from '../../support/state-table';
import { MemoryTable } from './memory-table';

const T = STATE_TABLE;
const key = (pk: string, sk = 'x') => ({ pk, sk });

/** Commands in the order sent; each line of this script mirrors an expression in functions/ or shared/. */
const SCRIPT = [
  new PutCommand({
    TableName: T,
    Item: { ...key('drain#i-1'), startedAt: 1 },
    ConditionExpression: 'attribute_not_exists(pk)',
  }),
  new PutCommand({
    TableName: T,
    Item: { ...key('drain#i-1'), startedAt: 2 },
    ConditionExpression: 'attribute_not_exists(pk)',
  }),
  new PutCommand({
    TableName: T,
    Item: { ...key('drain#i-1'), startedAt: 3 },
    ConditionExpression: 'startedAt = :previous',
    ExpressionAttributeValues: { ':previous': 1 },
  }),
  new UpdateCommand({
    TableName: T,
    Key: key('drain#i-1'),
    UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
    ConditionExpression:
      'attribute_exists(pk) AND (attribute_not_exists(leaseUntil) OR leaseUntil <= :now OR leaseOwner = :owner)',
    ExpressionAttributeValues: { ':owner': 'a', ':until': 100, ':now': 50 },
    ReturnValues: 'ALL_NEW',
  }),
  new UpdateCommand({
    TableName: T,
    Key: key('drain#i-1'),
    UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
    ConditionExpression:
      'attribute_exists(pk) AND (attribute_not_exists(leaseUntil) OR leaseUntil <= :now OR leaseOwner = :owner)',
    ExpressionAttributeValues: { ':owner': 'b', ':until': 200, ':now': 60 },
    ReturnValues: 'ALL_NEW',
  }),
  new UpdateCommand({
    TableName: T,
    Key: key('drain#i-1'),
    UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
    ConditionExpression: 'leaseOwner = :owner',
    ExpressionAttributeValues: { ':owner': 'a' },
  }),
  new UpdateCommand({
    TableName: T,
    Key: key('drain#i-2'),
    UpdateExpression: 'SET #hook = :hook',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: { '#hook': 'hook' },
    ExpressionAttributeValues: { ':hook': 'h' },
  }),
  new UpdateCommand({
    TableName: T,
    Key: key('failure#p', 'window'),
    UpdateExpression: 'SET suppressed = if_not_exists(suppressed, :zero) + :one, lastFailureAt = :now',
    ConditionExpression: 'attribute_exists(pk) AND quietUntil > :now',
    ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': 10 },
    ReturnValues: 'ALL_NEW',
  }),
  new UpdateCommand({
    TableName: T,
    Key: key('failure#p', 'window'),
    UpdateExpression:
      'SET windowStartedAt = :now, quietUntil = :until, suppressed = :zero, alertsSent = if_not_exists(alertsSent, :zero) + :one, #group = :group',
    ConditionExpression: 'attribute_not_exists(pk) OR quietUntil <= :now',
    ExpressionAttributeNames: { '#group': 'group' },
    ExpressionAttributeValues: { ':now': 10, ':until': 910, ':zero': 0, ':one': 1, ':group': 'service:api' },
    ReturnValues: 'ALL_OLD',
  }),
  new UpdateCommand({
    TableName: T,
    Key: key('failure#p', 'window'),
    UpdateExpression: 'SET suppressed = if_not_exists(suppressed, :zero) + :one, lastFailureAt = :now',
    ConditionExpression: 'attribute_exists(pk) AND quietUntil > :now',
    ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': 20 },
    ReturnValues: 'ALL_NEW',
  }),
  new UpdateCommand({
    TableName: T,
    Key: key('failure#p', 'window'),
    UpdateExpression: 'SET windowStartedAt = :now, alertsSent = if_not_exists(alertsSent, :zero) + :one',
    ConditionExpression: 'attribute_not_exists(pk) OR quietUntil <= :now',
    ExpressionAttributeValues: { ':now': 920, ':zero': 0, ':one': 1 },
    ReturnValues: 'ALL_OLD',
  }),
  new UpdateCommand({
    TableName: T,
    Key: key('job#j', 'run#2025-01-15T03:00:00Z'),
    UpdateExpression:
      'SET #status = :status, #failures = list_append(if_not_exists(#failures, :emptyList), :l_failures) ADD #attempts :one, #taskArns :arns',
    ExpressionAttributeNames: {
      '#status': 'status',
      '#failures': 'failures',
      '#attempts': 'attempts',
      '#taskArns': 'taskArns',
    },
    ExpressionAttributeValues: {
      ':status': 'PENDING',
      ':emptyList': [],
      ':l_failures': [{ attempt: 1, reasons: ['RESOURCE:MEMORY'] }],
      ':one': 1,
      ':arns': new Set(['arn:a']),
    },
    ReturnValues: 'ALL_NEW',
  }),
  new UpdateCommand({
    TableName: T,
    Key: key('job#j', 'run#2025-01-15T03:00:00Z'),
    UpdateExpression:
      'SET #failures = list_append(if_not_exists(#failures, :emptyList), :l_failures) ADD #attempts :one, #taskArns :arns REMOVE #nope',
    ConditionExpression: '#status = :pending',
    ExpressionAttributeNames: {
      '#failures': 'failures',
      '#attempts': 'attempts',
      '#taskArns': 'taskArns',
      '#nope': 'nope',
      '#status': 'status',
    },
    ExpressionAttributeValues: {
      ':emptyList': [],
      ':l_failures': [{ attempt: 2, reasons: ['AGENT'] }],
      ':one': 1,
      ':arns': new Set(['arn:b', 'arn:a']),
      ':pending': 'PENDING',
    },
    ReturnValues: 'ALL_NEW',
  }),
  new PutCommand({ TableName: T, Item: { ...key('job#j', 'run#2025-01-15T04:00:00Z'), status: 'STARTED' } }),
  new PutCommand({
    TableName: T,
    Item: { ...key('job#j', 'run#2025-01-15T05:00:00Z'), status: 'SUCCEEDED' },
  }),
  new PutCommand({ TableName: T, Item: { ...key('job#j', 'task#2025-01-15T03:00:00Z#abc'), exitCode: 0 } }),
  new QueryCommand({
    TableName: T,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': 'job#j', ':prefix': 'run#' },
    ScanIndexForward: false,
  }),
  new QueryCommand({
    TableName: T,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    FilterExpression: '#status IN (:pending, :started)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':pk': 'job#j',
      ':from': 'run#2025-01-15T00:00:00Z',
      ':to': 'run#2025-01-15T23:59:59Z',
      ':pending': 'PENDING',
      ':started': 'STARTED',
    },
  }),
  new QueryCommand({
    TableName: T,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
    ExpressionAttributeValues: { ':pk': 'job#j', ':run': 'run#' },
    Limit: 2,
  }),
  new BatchGetCommand({
    RequestItems: { [T]: { Keys: [key('drain#i-1'), key('drain#i-9'), key('failure#p', 'window')] } },
  }),
  new BatchWriteCommand({
    RequestItems: {
      [T]: [
        { DeleteRequest: { Key: key('job#j', 'task#2025-01-15T03:00:00Z#abc') } },
        { PutRequest: { Item: key('capacity#web', 'r') } },
      ],
    },
  }),
  new DeleteCommand({
    TableName: T,
    Key: key('capacity#web', 'r'),
    ConditionExpression: 'attribute_exists(pk)',
    ReturnValues: 'ALL_OLD',
  }),
  new DeleteCommand({
    TableName: T,
    Key: key('capacity#web', 'r'),
    ConditionExpression: 'attribute_exists(pk)',
  }),
  new GetCommand({ TableName: T, Key: key('job#j', 'run#2025-01-15T03:00:00Z') }),
  // detect-failed-start: a failure counted once per task (incidents.ts recordFailure, finishCounting).
  ...['t1', 't1', 't2'].map(
    (task) =>
      new UpdateCommand({
        TableName: T,
        Key: key('failure#incident#c', 'incident'),
        UpdateExpression: 'ADD failures :one, counting :tasks SET lastTaskArn = :task',
        ConditionExpression: 'NOT contains(counting, :task)',
        ExpressionAttributeValues: { ':one': 1, ':tasks': new Set([task]), ':task': task },
        ReturnValues: 'ALL_NEW',
      }),
  ),
  ...['t1', 't2'].map(
    (task) =>
      new UpdateCommand({
        TableName: T,
        Key: key('failure#incident#c', 'incident'),
        UpdateExpression: 'DELETE counting :tasks',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':tasks': new Set([task]) },
        ReturnValues: 'ALL_NEW',
      }),
  ),
  // What AWS refuses: an empty key, a sort key over 1,024 bytes, an item over 400 KB.
  new PutCommand({ TableName: T, Item: key('') }),
  new PutCommand({ TableName: T, Item: key('job#j', 'x'.repeat(1_100)) }),
  new PutCommand({ TableName: T, Item: { ...key('job#j', 'big'), text: 'x'.repeat(410 * 1024) } }),
];

/** Comparable JSON: sets as sorted arrays, no consumed-capacity noise. */
function normal(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, item) => (item instanceof Set ? [...item].sort() : item), 0),
  );
}

/** BatchGetItem answers in no particular order (DynamoDB says so): compare its items sorted by key. */
function unordered(responses: unknown): unknown {
  if (typeof responses !== 'object' || responses === null) return responses;
  const byKey = (item: Record<string, unknown>) => `${String(item.pk)}\u0000${String(item.sk)}`;
  return Object.fromEntries(
    Object.entries(responses as Record<string, Record<string, unknown>[]>).map(([table, items]) => [
      table,
      [...items].sort((a, b) => byKey(a).localeCompare(byKey(b))),
    ]),
  );
}

async function outcome(send: () => Promise<unknown>) {
  try {
    const output = (await send()) as Record<string, unknown>;
    return {
      ok: normal({
        Item: output.Item,
        Attributes: output.Attributes,
        Items: output.Items,
        Responses: unordered(output.Responses),
        LastEvaluatedKey: output.LastEvaluatedKey,
      }),
    };
  } catch (error) {
    return { error: (error as Error).name };
  }
}

let dynalite: Awaited<ReturnType<typeof startStateTable>>;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  dynalite = await startStateTable();
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynalite.endpoint }));
});

afterAll(async () => {
  documents.destroy();
  await dynalite.close();
});

it('the same commands give the same answers and errors as dynalite', async () => {
  const memory = new MemoryTable();
  const answers = memory.answers as Record<string, (input: unknown) => unknown>;
  for (const [index, command] of SCRIPT.entries()) {
    const name = command.constructor.name;
    const expected = await outcome(() => documents.send(command as Parameters<typeof documents.send>[0]));
    const actual = await outcome(async () =>
      (answers[name] as (input: unknown) => unknown)(structuredClone(command.input)),
    );
    expect(actual, `#${index} ${name}`).toEqual(expected);
  }
});
