import { ProvisionedThroughputExceededException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { backoffDelayMs, batchGetItems, batchWriteItems } from './dynamodb';

const TABLE = 'state';
const dynamoMock = mockClient(DynamoDBDocumentClient);
const key = (n: number) => ({ pk: `k#${n}`, sk: 'x' });
const item = (n: number) => ({ ...key(n), value: n });
const plenty = { hasTimeFor: () => true };

beforeEach(() => dynamoMock.reset());

describe('batchGetItems', () => {
  it('asks again for unprocessed keys, waiting longer each time, until every key is read', async () => {
    const calledAt: number[] = [];
    let call = 0;
    dynamoMock.on(BatchGetCommand).callsFake(() => {
      calledAt.push(performance.now());
      call++;
      // Two answers leave keys unprocessed, as DynamoDB does when throttled.
      if (call === 1)
        return {
          Responses: { [TABLE]: [item(1)] },
          UnprocessedKeys: { [TABLE]: { Keys: [key(2), key(3)] } },
        };
      if (call === 2)
        return { Responses: { [TABLE]: [item(2)] }, UnprocessedKeys: { [TABLE]: { Keys: [key(3)] } } };
      return { Responses: { [TABLE]: [item(3)] } };
    });
    const { items, unread } = await batchGetItems(TABLE, [key(1), key(2), key(3)], { budget: plenty });
    expect(items).toEqual([item(1), item(2), item(3)]);
    expect(unread).toEqual([]);
    const asked = dynamoMock
      .commandCalls(BatchGetCommand)
      .map((c) => c.args[0].input.RequestItems?.[TABLE]?.Keys);
    expect(asked).toEqual([[key(1), key(2), key(3)], [key(2), key(3)], [key(3)]]);
    // Not asked again at once (AWS: "retry the batch operation using exponential backoff").
    expect((calledAt[1] as number) - (calledAt[0] as number)).toBeGreaterThanOrEqual(20);
  });

  it('returns what it read and the keys left unread, without throwing, when keys stay unprocessed', async () => {
    dynamoMock
      .on(BatchGetCommand)
      .callsFake((input: { RequestItems: Record<string, { Keys: unknown[] }> }) => {
        const keys = input.RequestItems[TABLE]?.Keys ?? [];
        return keys.length === 3
          ? { Responses: { [TABLE]: [item(1)] }, UnprocessedKeys: { [TABLE]: { Keys: [key(2), key(3)] } } }
          : { Responses: {}, UnprocessedKeys: { [TABLE]: { Keys: keys } } };
      });
    let checks = 0;
    // The caller's budget allows three more waits, then runs out.
    const budget = { hasTimeFor: () => ++checks <= 3 };
    const { items, unread } = await batchGetItems(TABLE, [key(1), key(2), key(3)], { budget });
    expect(items).toEqual([item(1)]);
    expect(unread).toEqual([key(2), key(3)]);
    expect(dynamoMock.commandCalls(BatchGetCommand)).toHaveLength(4);
  });

  it('does not wait past the caller budget', async () => {
    dynamoMock
      .on(BatchGetCommand)
      .resolves({ Responses: {}, UnprocessedKeys: { [TABLE]: { Keys: [key(1)] } } });
    const { unread } = await batchGetItems(TABLE, [key(1)], { budget: { hasTimeFor: () => false } });
    expect(unread).toEqual([key(1)]);
    expect(dynamoMock.commandCalls(BatchGetCommand)).toHaveLength(1);
  });

  it('keeps the other batches when one fails on throttling the SDK could not retry away', async () => {
    const keys = Array.from({ length: 150 }, (_, n) => key(n));
    dynamoMock
      .on(BatchGetCommand)
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }))
      .callsFake((input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => ({
        Responses: { [TABLE]: (input.RequestItems[TABLE]?.Keys ?? []).map((k) => ({ ...k, value: 1 })) },
      }));
    const { items, unread, error } = await batchGetItems(TABLE, keys, { budget: plenty });
    expect(unread).toEqual(keys.slice(0, 100));
    expect(items).toHaveLength(50);
    expect(error?.message).toContain('dynamodb:BatchGetItem');
  });

  it('surfaces errors that are not about load (a missing table)', async () => {
    dynamoMock
      .on(BatchGetCommand)
      .rejects(new ResourceNotFoundException({ message: 'no table', $metadata: {} }));
    await expect(batchGetItems(TABLE, [key(1)], { budget: plenty })).rejects.toMatchObject({
      kind: 'not-found',
    });
  });
});

describe('batchWriteItems', () => {
  it('sends unprocessed write requests again until all are done, 25 a call', async () => {
    const deletes = Array.from({ length: 30 }, (_, n) => ({ DeleteRequest: { Key: key(n) } }));
    let call = 0;
    dynamoMock.on(BatchWriteCommand).callsFake(() => {
      call++;
      return call === 1 ? { UnprocessedItems: { [TABLE]: deletes.slice(20, 25) } } : {};
    });
    const { unprocessed } = await batchWriteItems(TABLE, deletes, { budget: plenty });
    expect(unprocessed).toEqual([]);
    const sent = dynamoMock
      .commandCalls(BatchWriteCommand)
      .map((c) => c.args[0].input.RequestItems?.[TABLE]?.length);
    expect(sent).toEqual([25, 5, 5]);
  });

  it('returns the requests still unprocessed when the budget runs out', async () => {
    const deletes = [{ DeleteRequest: { Key: key(1) } }];
    dynamoMock.on(BatchWriteCommand).resolves({ UnprocessedItems: { [TABLE]: deletes } });
    const { unprocessed } = await batchWriteItems(TABLE, deletes, { budget: { hasTimeFor: () => false } });
    expect(unprocessed).toEqual(deletes);
  });
});

describe('backoffDelayMs', () => {
  it('grows exponentially, always waits, jittered, capped', () => {
    expect(backoffDelayMs(0, () => 0)).toBe(25);
    expect(backoffDelayMs(0, () => 0.999)).toBeLessThan(50);
    expect(backoffDelayMs(3, () => 0)).toBe(200);
    expect(backoffDelayMs(3, () => 0.999)).toBeLessThan(400);
    expect(backoffDelayMs(30, () => 0.999)).toBeLessThan(2_000);
  });
});
