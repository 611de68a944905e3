import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStateTable } from '../../test/support/state-table';
import { AwsOperationError } from '../aws/errors';
import type { StateTable } from './table';
import { isLive, ttlAt } from './ttl';

// Conditional expressions are the point of these primitives: exercise them on a real DynamoDB engine.
const TABLE = 'ecs-autopilot-state';
let local: Awaited<ReturnType<typeof startStateTable>>;
let primitives: typeof import('./primitives');
let table: StateTable;

beforeAll(async () => {
  local = await startStateTable(TABLE);
  primitives = await import('./primitives');
  const dynamo = await import('../aws/dynamodb');
  const { dynamoTable } = await import('./table');
  table = dynamoTable(TABLE, {
    get: dynamo.getItem,
    put: dynamo.putItem,
    update: dynamo.updateItem,
    delete: dynamo.deleteItem,
    query: dynamo.queryItems,
    batchGet: dynamo.batchGetItems,
    batchWrite: dynamo.batchWriteItems,
  });
});

afterAll(() => local.close());

const T0 = Date.parse('2026-12-08T02:00:00Z');
let counter = 0;
const freshKey = () => ({ pk: `test#${++counter}`, sk: 'item' });

describe('conflict check', () => {
  it("is the SDK's ConditionalCheckFailedException, wrapped or not, and nothing else", () => {
    const failed = new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
    });
    const transaction = new TransactionConflictException({ message: 'ongoing transaction', $metadata: {} });
    expect(primitives.isConditionFailed(failed)).toBe(true);
    expect(primitives.isConditionFailed(new AwsOperationError('dynamodb:PutItem', 't', failed))).toBe(true);
    expect(primitives.isConditionFailed(transaction)).toBe(false);
    expect(primitives.isConditionFailed(new Error('boom'))).toBe(false);
  });

  it('rethrows what is not a failed condition', async () => {
    await expect(primitives.conditional(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});

describe('put unless exists, put-or-read', () => {
  it('lets one of two concurrent writers win', async () => {
    const key = freshKey();
    const results = await Promise.all([
      primitives.putUnlessExists(table, { ...key, by: 'a' }),
      primitives.putUnlessExists(table, { ...key, by: 'b' }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('answers the item already there to the writer that lost', async () => {
    const key = freshKey();
    expect(await primitives.putOrRead(table, { ...key, by: 'a' })).toEqual({ written: true });
    const lost = await primitives.putOrRead(table, { ...key, by: 'b' });
    expect(lost).toEqual({ written: false, current: { ...key, by: 'a' } });
  });

  it('writes under a condition on the item there (compare-and-set)', async () => {
    const key = freshKey();
    await primitives.putOrRead(table, { ...key, version: 1 });
    const condition = (previous: number) => ({
      expression: 'version = :previous',
      values: { ':previous': previous },
    });
    expect(await primitives.putOrRead(table, { ...key, version: 2 }, condition(1))).toEqual({
      written: true,
    });
    const stale = await primitives.putOrRead(table, { ...key, version: 3 }, condition(1));
    expect(stale).toEqual({ written: false, current: { ...key, version: 2 } });
  });

  it('update-or-read answers the item as written, or as it is', async () => {
    const key = freshKey();
    const first = await primitives.updateOrRead(table, key, {
      set: { n: 1 },
      condition: 'attribute_not_exists(pk)',
    });
    expect(first).toEqual({ written: true, item: { ...key, n: 1 } });
    const second = await primitives.updateOrRead(table, key, {
      set: { n: 2 },
      condition: 'attribute_not_exists(pk)',
    });
    expect(second).toEqual({ written: false, current: { ...key, n: 1 } });
  });
});

describe('lease', () => {
  const lease = (owner: string, now: number) => ({ owner, now, until: now + 60_000 });

  it('is held by one invocation until it ends, renewed by its holder, then free for another', async () => {
    const key = freshKey();
    expect(await primitives.acquireLease(table, key, lease('a', T0), { create: true })).toMatchObject({
      leaseOwner: 'a',
      leaseUntil: T0 + 60_000,
    });
    expect(await primitives.acquireLease(table, key, lease('b', T0 + 1_000))).toBeUndefined();
    expect(await primitives.acquireLease(table, key, lease('a', T0 + 1_000))).toMatchObject({
      leaseUntil: T0 + 61_000,
    });
    // A lease "until T" has ended at T.
    expect(await primitives.acquireLease(table, key, lease('b', T0 + 61_000))).toMatchObject({
      leaseOwner: 'b',
    });
  });

  it('without create, needs the item', async () => {
    expect(await primitives.acquireLease(table, freshKey(), lease('a', T0))).toBeUndefined();
  });

  it('is given back only by its holder, with what it notes', async () => {
    const key = freshKey();
    await primitives.acquireLease(table, key, lease('a', T0), { create: true });
    expect(await primitives.releaseLease(table, key, 'b')).toBe(false);
    expect(await primitives.releaseLease(table, key, 'a', { remainingTasks: 2 })).toBe(true);
    expect(await table.get(key)).toEqual({ ...key, remainingTasks: 2 });
    expect(await primitives.acquireLease(table, key, lease('b', T0 + 1))).toMatchObject({ leaseOwner: 'b' });
  });

  it('is taken over only while it is the one seen', async () => {
    const key = freshKey();
    await primitives.acquireLease(table, key, lease('a', T0), { create: true });
    const seen = { owner: 'a', until: T0 + 60_000 };
    const attempts = await Promise.all([
      primitives.takeOverLease(table, key, seen, { owner: 'b', until: T0 + 200_000 }),
      primitives.takeOverLease(table, key, seen, { owner: 'c', until: T0 + 200_000 }),
    ]);
    expect(attempts.filter(Boolean)).toHaveLength(1);
  });
});

describe('alert once', () => {
  it('is claimed once; a claim given back before sending may be claimed again', async () => {
    const key = freshKey();
    expect(await primitives.claimAlert(table, key, T0, 3600)).toBe(true);
    expect(await primitives.claimAlert(table, key, T0 + 1_000, 3600)).toBe(false);
    await primitives.releaseAlertClaim(table, key);
    expect(await primitives.claimAlert(table, key, T0 + 2_000, 3600)).toBe(true);
  });

  it('once sent, is not claimed again before it expires', async () => {
    const key = freshKey();
    await primitives.claimAlert(table, key, T0, 3600);
    await primitives.markAlertSent(table, key, T0 + 10, 'message-1');
    await primitives.releaseAlertClaim(table, key);
    expect(await primitives.claimAlert(table, key, T0 + 120_000, 3600)).toBe(false);
    expect(await primitives.claimAlert(table, key, T0 + 3_602_000, 3600)).toBe(true);
  });

  it('takes over a claim whose claimer died before sending', async () => {
    const key = freshKey();
    await primitives.claimAlert(table, key, T0, 3600, 60_000);
    expect(await primitives.claimAlert(table, key, T0 + 60_001, 3600, 60_000)).toBe(true);
  });
});

describe('ttl', () => {
  it('rounds up, so an item never expires before its time', () => {
    expect(ttlAt(1_000, 10)).toBe(11);
    expect(ttlAt(1_001, 10)).toBe(12);
    expect(ttlAt(1_999)).toBe(2);
  });

  it('treats an item past its ttl as gone, and one without ttl as live', () => {
    expect(isLive({ ttl: 10 }, 9_999)).toBe(true);
    expect(isLive({ ttl: 10 }, 10_000)).toBe(false);
    expect(isLive({}, 10_000)).toBe(true);
  });
});
