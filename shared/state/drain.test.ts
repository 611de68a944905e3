import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainRecord } from '../../test/support/drain-record';
import type { DrainRecord } from '../drain/record';

// dynalite ships no types; this is the part of its API used here.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: {
  createTableMs?: number;
}) => Server;

// Conditional expressions are the point of this adapter: exercise them on a real DynamoDB engine.
const server = dynalite({ createTableMs: 0 });
const TABLE = 'ecs-autopilot-state';
let state: typeof import('./drain');

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  await new DynamoDBClient({ endpoint }).send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  state = await import('./drain');
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const T0 = Date.parse('2026-11-21T03:00:00Z');
let counter = 0;
const freshId = () => `i-0a1b2c3d4e5f${String(++counter).padStart(5, '0')}`;
const record = (instanceId: string, fields: Partial<DrainRecord> = {}) =>
  drainRecord(T0, { instanceId, tokenHash: 'abc', ...fields });

describe('drain state', () => {
  it('records one start time when two invocations begin the same drain at once', async () => {
    const id = freshId();
    const results = await Promise.all([
      state.createDrain(TABLE, record(id, { startedAt: T0 })),
      state.createDrain(TABLE, record(id, { startedAt: T0 + 5 })),
    ]);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.record.startedAt)).size).toBe(1);
    const stored = await state.getDrain(TABLE, id);
    expect(stored).toEqual(results[0]?.record);
  });

  it('restarts a drain of an earlier action only once', async () => {
    const id = freshId();
    await state.createDrain(TABLE, record(id, { completedAt: T0 + 60_000, outcome: 'drained' }));
    const later = T0 + 3_600_000;
    const results = await Promise.all([
      state.restartDrain(TABLE, record(id, { startedAt: later, tokenHash: 'new' }), T0),
      state.restartDrain(TABLE, record(id, { startedAt: later + 1, tokenHash: 'new' }), T0),
    ]);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    const stored = await state.getDrain(TABLE, id);
    expect(stored?.completedAt).toBeUndefined();
    expect(stored?.tokenHash).toBe('new');
    expect([later, later + 1]).toContain(stored?.startedAt);
  });

  it('grants the lease to one invocation at a time, until it expires or is released', async () => {
    const id = freshId();
    await state.createDrain(TABLE, record(id));
    expect(await state.acquireLease(TABLE, id, 'req-1', T0, T0 + 60_000)).toMatchObject({
      leaseOwner: 'req-1',
    });
    expect(await state.acquireLease(TABLE, id, 'req-2', T0 + 1000, T0 + 61_000)).toBeUndefined();
    // The holder renews its own lease.
    expect(await state.acquireLease(TABLE, id, 'req-1', T0 + 30_000, T0 + 90_000)).toMatchObject({
      leaseUntil: T0 + 90_000,
    });
    // Expired: anyone may take it (the holder crashed or timed out).
    expect(await state.acquireLease(TABLE, id, 'req-2', T0 + 90_000, T0 + 150_000)).toMatchObject({
      leaseOwner: 'req-2',
    });
    await state.releaseLease(TABLE, id, 'req-1'); // not the holder: no effect
    expect((await state.getDrain(TABLE, id))?.leaseOwner).toBe('req-2');
    await state.releaseLease(TABLE, id, 'req-2');
    expect(await state.acquireLease(TABLE, id, 'req-3', T0 + 100_000, T0 + 160_000)).toMatchObject({
      leaseOwner: 'req-3',
    });
  });

  it('grants no lease on a drain that was never recorded', async () => {
    expect(await state.acquireLease(TABLE, freshId(), 'req-1', T0, T0 + 60_000)).toBeUndefined();
  });

  it('counts a completion once', async () => {
    const id = freshId();
    await state.createDrain(TABLE, record(id, { leaseOwner: 'req-1', leaseUntil: T0 + 60_000 }));
    const results = await Promise.all([
      state.markDrainCompleted(TABLE, id, T0 + 1000, 'drained'),
      state.markDrainCompleted(TABLE, id, T0 + 1001, 'drained'),
    ]);
    expect(results.sort()).toEqual([false, true]);
    const stored = await state.getDrain(TABLE, id);
    expect(stored).toMatchObject({ outcome: 'drained', leaseOwner: undefined, leaseUntil: undefined });
  });

  it('records progress, including attribute names DynamoDB reserves', async () => {
    const id = freshId();
    await state.createDrain(
      TABLE,
      record(id, { hook: undefined, tokenHash: undefined, lastHeartbeatAt: undefined }),
    );
    await state.recordDrainProgress(TABLE, id, {
      hook: 'ecs-autopilot-drain',
      tokenHash: 'xyz',
      lastHeartbeatAt: T0 + 5,
    });
    expect(await state.getDrain(TABLE, id)).toMatchObject({
      hook: 'ecs-autopilot-drain',
      tokenHash: 'xyz',
      lastHeartbeatAt: T0 + 5,
    });
    await expect(state.recordDrainProgress(TABLE, freshId(), { lastHeartbeatAt: T0 })).rejects.toMatchObject({
      kind: 'conflict',
    });
  });

  it('reads many drains at once, 100 keys a call', async () => {
    const ids = Array.from({ length: 130 }, freshId);
    await Promise.all(ids.slice(0, 120).map((id) => state.createDrain(TABLE, record(id))));
    const { drains, unread } = await state.getDrains(TABLE, [...ids, ids[0] as string]);
    expect(drains.size).toBe(120);
    expect(drains.get(ids[5] as string)?.cluster).toBe('web');
    expect(unread).toEqual([]);
  });

  it('closes a drain whose action ended once, and never under another invocation’s live lease', async () => {
    const free = freshId();
    await state.createDrain(TABLE, record(free));
    const closes = await Promise.all([
      state.markActionEnded(TABLE, free, 'req-1', T0 + 1000),
      state.markActionEnded(TABLE, free, 'req-2', T0 + 1000),
    ]);
    expect(closes.filter(Boolean)).toHaveLength(1);
    expect(await state.getDrain(TABLE, free)).toMatchObject({
      outcome: 'lifecycle-action-ended',
      completedAt: T0 + 1000,
    });

    const leased = freshId();
    await state.createDrain(TABLE, record(leased, { leaseOwner: 'req-1', leaseUntil: T0 + 60_000 }));
    expect(await state.markActionEnded(TABLE, leased, 'req-2', T0 + 1000)).toBe(false);
    expect(await state.markActionEnded(TABLE, leased, 'req-1', T0 + 1000)).toBe(true);

    const completed = freshId();
    await state.createDrain(TABLE, record(completed));
    await state.markDrainCompleted(TABLE, completed, T0 + 500, 'drained');
    expect(await state.markActionEnded(TABLE, completed, 'req-1', T0 + 1000)).toBe(false);
    expect(await state.markActionEnded(TABLE, freshId(), 'req-1', T0 + 1000)).toBe(false);
  });

  it('keeps a drain at least its lifetime: 7 days from its start while open, 3 from its close (ttl rounds up)', async () => {
    const id = freshId();
    const startedAt = T0 + 500;
    await state.createDrain(TABLE, record(id, { startedAt }));
    const { getItem } = await import('../aws/dynamodb');
    const ttlMs = async () => Number((await getItem(TABLE, state.drainKey(id)))?.ttl) * 1000;
    expect(await ttlMs()).toBeGreaterThanOrEqual(startedAt + 7 * 86_400_000);
    await state.markDrainCompleted(TABLE, id, startedAt + 1_250, 'drained');
    expect(await ttlMs()).toBeGreaterThanOrEqual(startedAt + 1_250 + 3 * 86_400_000);
  });
});
