import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// dynalite ships no types; this is the part of its API used here.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: {
  createTableMs?: number;
}) => Server;

const server = dynalite({ createTableMs: 0 });
const TABLE = 'ecs-autopilot-state';
let decisions: typeof import('./decisions');

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
  decisions = await import('./decisions');
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const warnings: { message: string; extra: Record<string, unknown> }[] = [];
const log = { warn: (message: string, extra: Record<string, unknown>) => warnings.push({ message, extra }) };
const T0 = Date.parse('2026-12-08T01:00:00Z');

describe('decision records', () => {
  it("lists an instance's decisions oldest first, with reasons and where they were made", async () => {
    const base = { instanceId: 'i-0abc', cluster: 'web', group: 'web-asg' };
    await decisions.recordDecisions(
      TABLE,
      [
        {
          ...base,
          function: 'drain-instance',
          action: 'hook-completed',
          reasons: ['drained'],
          at: T0 + 60_000,
        },
      ],
      log,
    );
    await decisions.recordDecisions(
      TABLE,
      [
        {
          ...base,
          function: 'scale-capacity',
          action: 'chosen-for-removal',
          reasons: ['idle: 20 min'],
          at: T0,
          provider: 'cp',
        },
        {
          ...base,
          function: 'drain-instance',
          action: 'drain-started',
          reasons: ['terminate'],
          at: T0 + 1_000,
        },
      ],
      log,
    );
    const listed = await decisions.listDecisions(TABLE, 'i-0abc');
    expect(listed.map((one) => [one.at, one.function, one.action])).toEqual([
      ['2026-12-08T01:00:00.000Z', 'scale-capacity', 'chosen-for-removal'],
      ['2026-12-08T01:00:01.000Z', 'drain-instance', 'drain-started'],
      ['2026-12-08T01:01:00.000Z', 'drain-instance', 'hook-completed'],
    ]);
    expect(listed[0]).toMatchObject({
      reasons: ['idle: 20 min'],
      provider: 'cp',
      cluster: 'web',
      group: 'web-asg',
    });
    expect(await decisions.listDecisions(TABLE, 'i-other')).toEqual([]);
  });

  it('two decisions of the same moment are both kept', async () => {
    const same = { instanceId: 'i-same', function: 'drain-instance' as const, at: T0, reasons: [] };
    await decisions.recordDecisions(TABLE, [{ ...same, action: 'set-draining' }], log);
    await decisions.recordDecisions(TABLE, [{ ...same, action: 'drain-started' }], log);
    expect(await decisions.listDecisions(TABLE, 'i-same')).toHaveLength(2);
  });

  it('decisions of one moment written together are listed in the order they were made', async () => {
    const same = { instanceId: 'i-order', function: 'drain-instance' as const, at: T0, reasons: [] };
    await decisions.recordDecisions(
      TABLE,
      [
        { ...same, action: 'set-draining' },
        { ...same, action: 'drain-started' },
      ],
      log,
    );
    expect((await decisions.listDecisions(TABLE, 'i-order')).map((one) => one.action)).toEqual([
      'set-draining',
      'drain-started',
    ]);
  });

  it('expire 14 days after the decision (DynamoDB TTL, epoch seconds)', () => {
    const item = decisions.decisionItem(
      { instanceId: 'i-1', function: 'drain-instance', action: 'x', reasons: [], at: T0 },
      0,
      T0 + 5_000,
    );
    expect(item.pk).toBe('decision#i-1');
    expect(item.ttl).toBe(T0 / 1000 + 14 * 24 * 3600);
  });

  it('a failed write is logged and answered, never thrown', async () => {
    warnings.length = 0;
    const written = await decisions.recordDecisions(
      'no-such-table',
      [{ instanceId: 'i-1', function: 'drain-instance', action: 'x', reasons: [] }],
      log,
    );
    expect(written).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.extra).toMatchObject({ pk: 'decision#i-1', errorKind: 'not-found' });
  });

  it('decisions held until after the actions are written by flush, once', async () => {
    const pending = new decisions.PendingDecisions();
    pending.add({ instanceId: 'i-held', function: 'drain-instance', action: 'drain-started', reasons: [] });
    expect(await decisions.listDecisions(TABLE, 'i-held')).toEqual([]);
    expect(await pending.flush(TABLE, log)).toBe(1);
    expect(await pending.flush(TABLE, log)).toBe(0);
    expect(await decisions.listDecisions(TABLE, 'i-held')).toHaveLength(1);
  });

  it("keeps each capacity provider's last decision", async () => {
    const provider = { cluster: 'web', provider: 'web-asg-cp', group: 'web-asg' };
    await decisions.recordProviderDecision(
      TABLE,
      { ...provider, action: 'scale-out', reasons: ['a'], at: T0 },
      log,
    );
    await decisions.recordProviderDecision(
      TABLE,
      { ...provider, action: 'scale-in', reasons: ['b'], at: T0 + 1, desiredCapacity: { from: 4, to: 3 } },
      log,
    );
    expect(await decisions.listProviderDecisions(TABLE)).toEqual([
      {
        ...provider,
        action: 'scale-in',
        reasons: ['b'],
        at: new Date(T0 + 1).toISOString(),
        desiredCapacity: { from: 4, to: 3 },
      },
    ]);
  });
});
