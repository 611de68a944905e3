import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DeleteCommand,
  type DeleteCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
  type ScanCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { sleep } from '../runtime/time';
import { chunk } from './batch';
import { clientConfig } from './client-config';
import { AwsOperationError, call, kindOf } from './errors';

/** Built once per container; reused by every invocation. */
export const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), {
  marshallOptions: { removeUndefinedValues: true },
});

/** BatchGetItem's limit of keys per call. */
const BATCH_GET_LIMIT = 100;
/** BatchWriteItem's limit of put or delete requests per call. */
const BATCH_WRITE_LIMIT = 25;
/** Rounds per batch: the first call and at most this many less one retries of what it left. */
const MAX_ROUNDS = 8;
const BACKOFF_BASE_MS = 50;
const BACKOFF_CAP_MS = 2_000;
/** Time kept free after a wait for the call that follows it. */
const CALL_RESERVE_MS = 1_000;
/** Without a caller budget, retries of unprocessed keys stop after this long. */
const DEFAULT_BUDGET_MS = 10_000;

/** What a batch read or write may spend: the caller's time budget (the function's remaining time). */
export interface BatchOptions {
  budget?: { hasTimeFor(ms: number): boolean };
}

/**
 * The wait before retry number `attempt + 1` of unprocessed keys: exponential backoff with "equal
 * jitter" (half the step fixed, half random; AWS Architecture Blog, "Exponential Backoff And Jitter"),
 * so that every retry waits and concurrent invocations spread out.
 * "If DynamoDB returns any unprocessed items, you should retry the batch operation on those items.
 * However, we strongly recommend that you use an exponential backoff algorithm" (DynamoDB API
 * Reference, BatchGetItem and BatchWriteItem).
 */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.floor(step / 2 + random() * (step / 2));
}

function budgetOf(options: BatchOptions): { hasTimeFor(ms: number): boolean } {
  if (options.budget) return options.budget;
  const until = Date.now() + DEFAULT_BUDGET_MS;
  return { hasTimeFor: (ms) => Date.now() + ms <= until };
}

/**
 * Runs one batch call and its retries of what it leaves unprocessed, while the budget allows. Failures
 * on load (throttling the SDK's own retries could not absorb, 5xx) end the batch with its requests
 * left; any other failure is thrown.
 */
async function untilProcessed<Request>(
  requests: Request[],
  budget: { hasTimeFor(ms: number): boolean },
  send: (requests: Request[]) => Promise<Request[]>,
): Promise<{ left: Request[]; error?: AwsOperationError }> {
  let pending = requests;
  for (let round = 0; pending.length > 0; round++) {
    if (round > 0) {
      const delay = backoffDelayMs(round - 1);
      if (round >= MAX_ROUNDS || !budget.hasTimeFor(delay + CALL_RESERVE_MS)) break;
      await sleep(delay);
    }
    try {
      pending = await send(pending);
    } catch (error) {
      const kind = kindOf(error);
      if (kind !== 'throttled' && kind !== 'transient') throw error;
      return { left: pending, ...(error instanceof AwsOperationError ? { error } : {}) };
    }
  }
  return { left: pending };
}

export interface BatchGetResult<Item> {
  /** The items found among the keys read. */
  items: Item[];
  /** Keys not read (still unprocessed when the budget ran out, or in a batch that failed on load). */
  unread: Record<string, unknown>[];
  /** The failure that left a batch unread, if one did. */
  error?: AwsOperationError;
}

/**
 * The items of these keys that exist, by consistent reads, 100 keys a call. Keys DynamoDB leaves
 * unprocessed (throttling, the 16 MB answer limit) are asked for again with exponential backoff while
 * the caller's budget allows; those still unread are returned, not thrown, so that a pass can carry on
 * with what it has (an unread key is unknown, not absent).
 */
export async function batchGetItems<Item = Record<string, unknown>>(
  table: string,
  keys: readonly Record<string, unknown>[],
  options: BatchOptions = {},
): Promise<BatchGetResult<Item>> {
  const budget = budgetOf(options);
  const result: BatchGetResult<Item> = { items: [], unread: [] };
  for (const batch of chunk(keys, BATCH_GET_LIMIT)) {
    const { left, error } = await untilProcessed(batch, budget, async (request) => {
      const output = await call('dynamodb:BatchGetItem', table, () =>
        dynamodb.send(
          new BatchGetCommand({ RequestItems: { [table]: { Keys: request, ConsistentRead: true } } }),
        ),
      );
      result.items.push(...((output.Responses?.[table] ?? []) as Item[]));
      return output.UnprocessedKeys?.[table]?.Keys ?? [];
    });
    result.unread.push(...left);
    if (error) result.error = error;
  }
  return result;
}

export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/**
 * Puts and deletes in one table, 25 a call, retrying what DynamoDB leaves unprocessed with exponential
 * backoff while the caller's budget allows. Returns the requests still not done.
 */
export async function batchWriteItems(
  table: string,
  requests: readonly WriteRequest[],
  options: BatchOptions = {},
): Promise<{ unprocessed: WriteRequest[]; error?: AwsOperationError }> {
  const budget = budgetOf(options);
  const unprocessed: WriteRequest[] = [];
  let failure: AwsOperationError | undefined;
  for (const batch of chunk(requests, BATCH_WRITE_LIMIT)) {
    const { left, error } = await untilProcessed(batch, budget, async (request) => {
      const output = await call('dynamodb:BatchWriteItem', table, () =>
        dynamodb.send(new BatchWriteCommand({ RequestItems: { [table]: request } })),
      );
      return output.UnprocessedItems?.[table] ?? [];
    });
    unprocessed.push(...left);
    failure = error ?? failure;
  }
  return { unprocessed, ...(failure ? { error: failure } : {}) };
}

// Single-item operations and queries, one function per IAM action: a function's bundle names only the
// actions it calls, and test/infra/iam-from-code.test.ts grants exactly those.

type TableInput<Input> = Omit<Input, 'TableName'>;
type Key = { pk: string; sk: string };
const target = (table: string, key: Record<string, unknown>) =>
  `${table}/${String(key.pk)}/${String(key.sk)}`;

/** One item by a consistent read. */
export async function getItem<Item = Record<string, unknown>>(
  table: string,
  key: Key,
  consistent = true,
): Promise<Item | undefined> {
  const { Item } = await call('dynamodb:GetItem', target(table, key), () =>
    dynamodb.send(
      new GetCommand({ TableName: table, Key: key, ...(consistent ? { ConsistentRead: true } : {}) }),
    ),
  );
  return Item as Item | undefined;
}

export async function putItem(table: string, input: TableInput<PutCommandInput>): Promise<void> {
  await call('dynamodb:PutItem', target(table, input.Item ?? {}), () =>
    dynamodb.send(new PutCommand({ TableName: table, ...input })),
  );
}

/** The item's attributes as `ReturnValues` asks for them, if it does. */
export async function updateItem<Item = Record<string, unknown>>(
  table: string,
  input: TableInput<UpdateCommandInput>,
): Promise<Item | undefined> {
  const { Attributes } = await call('dynamodb:UpdateItem', target(table, input.Key ?? {}), () =>
    dynamodb.send(new UpdateCommand({ TableName: table, ...input })),
  );
  return Attributes as Item | undefined;
}

export async function deleteItem(table: string, input: TableInput<DeleteCommandInput>): Promise<void> {
  await call('dynamodb:DeleteItem', target(table, input.Key ?? {}), () =>
    dynamodb.send(new DeleteCommand({ TableName: table, ...input })),
  );
}

/** Every page of a query (or the first `Limit` items when `firstPageOnly`). */
export async function queryItems<Item = Record<string, unknown>>(
  table: string,
  input: TableInput<QueryCommandInput>,
  firstPageOnly = false,
): Promise<Item[]> {
  const items: Item[] = [];
  await call('dynamodb:Query', `${table}/${String(input.ExpressionAttributeValues?.[':pk'])}`, async () => {
    for await (const page of paginateQuery({ client: dynamodb }, { TableName: table, ...input })) {
      items.push(...((page.Items ?? []) as Item[]));
      if (firstPageOnly) break;
    }
  });
  return items;
}

/** Every page of a scan: for an operator's view only, never a function's pass. */
export async function scanItems<Item = Record<string, unknown>>(
  table: string,
  input: TableInput<ScanCommandInput>,
  what: string,
): Promise<Item[]> {
  const items: Item[] = [];
  await call('dynamodb:Scan', `${table}/${what}`, async () => {
    for await (const page of paginateScan({ client: dynamodb }, { TableName: table, ...input })) {
      items.push(...((page.Items ?? []) as Item[]));
    }
  });
  return items;
}
