import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { chunk } from './batch';
import { clientConfig } from './client-config';
import { call } from './errors';

/** Built once per container; reused by every invocation. */
export const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), {
  marshallOptions: { removeUndefinedValues: true },
});

/** BatchGetItem's limit of keys per call. */
const BATCH_GET_LIMIT = 100;

/**
 * The items of these keys that exist, by consistent reads, 100 keys a call; keys DynamoDB leaves
 * unprocessed (throttling, size) are asked for again, a few times, before giving up loudly.
 */
export async function batchGetItems<Item = Record<string, unknown>>(
  table: string,
  keys: readonly Record<string, unknown>[],
): Promise<Item[]> {
  const items: Item[] = [];
  for (const batch of chunk(keys, BATCH_GET_LIMIT)) {
    let pending: Record<string, unknown>[] = batch;
    for (let attempt = 0; pending.length > 0 && attempt < 5; attempt++) {
      const request = pending;
      const output = await call('dynamodb:BatchGetItem', table, () =>
        dynamodb.send(
          new BatchGetCommand({ RequestItems: { [table]: { Keys: request, ConsistentRead: true } } }),
        ),
      );
      items.push(...((output.Responses?.[table] ?? []) as Item[]));
      pending = output.UnprocessedKeys?.[table]?.Keys ?? [];
    }
    if (pending.length > 0)
      throw new Error(`BatchGetItem left ${pending.length} key(s) unprocessed on ${table}`);
  }
  return items;
}
