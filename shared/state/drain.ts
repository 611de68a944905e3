import { GetCommand, PutCommand, paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DrainRecord } from '../drain/record';
import { type BatchOptions, batchGetItems, dynamodb } from '../aws/dynamodb';
import { call, kindOf } from '../aws/errors';

/**
 * The drain-instance items of the state table: pk `drain#<instanceId>`, sk `drain`. Conditional writes
 * make concurrent invocations agree on one start time, one lease holder and one completion.
 */
const SK = 'drain';
/** Kept well past Auto Scaling's 48 h action limit, then DynamoDB's TTL removes it. */
const OPEN_TTL_SECONDS = 7 * 24 * 3600;
const DONE_TTL_SECONDS = 3 * 24 * 3600;

export const drainKey = (instanceId: string) => ({ pk: `drain#${instanceId}`, sk: SK });

const ttlFrom = (ms: number, seconds: number) => Math.floor(ms / 1000) + seconds;

const isConditionFailure = (error: unknown) => kindOf(error) === 'conflict';

function toItem(record: DrainRecord) {
  return { ...drainKey(record.instanceId), ...record, ttl: ttlFrom(record.startedAt, OPEN_TTL_SECONDS) };
}

function fromItem(item: Record<string, unknown> | undefined): DrainRecord | undefined {
  if (!item) return undefined;
  const text = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : undefined);
  const number = (key: string) => (typeof item[key] === 'number' ? (item[key] as number) : undefined);
  return {
    instanceId: text('instanceId') ?? String(item.pk).replace(/^drain#/, ''),
    group: text('group') ?? '',
    hook: text('hook'),
    cluster: text('cluster') ?? '',
    cause: (text('cause') ?? 'terminate') as DrainRecord['cause'],
    origin: (text('origin') ?? 'reconcile') as DrainRecord['origin'],
    tokenHash: text('tokenHash'),
    startedAt: number('startedAt') ?? 0,
    lastHeartbeatAt: number('lastHeartbeatAt'),
    completedAt: number('completedAt'),
    outcome: text('outcome'),
    leaseOwner: text('leaseOwner'),
    leaseUntil: number('leaseUntil'),
    remainingTasks: number('remainingTasks'),
    containerInstanceArn: text('containerInstanceArn'),
  };
}

export async function getDrain(table: string, instanceId: string): Promise<DrainRecord | undefined> {
  const { Item } = await call('dynamodb:GetItem', `${table}/drain#${instanceId}`, () =>
    dynamodb.send(new GetCommand({ TableName: table, Key: drainKey(instanceId), ConsistentRead: true })),
  );
  return fromItem(Item);
}

/** Instance ids of keys a batch read left unread (their drains are unknown, not absent). */
const unreadInstances = (keys: readonly Record<string, unknown>[]) => [
  ...new Set(keys.map((key) => String(key.pk).replace(/^drain#/, ''))),
];

/**
 * The drains recorded for these instances (consistent reads, 100 keys a call), and the instances whose
 * record could not be read within the budget.
 */
export async function getDrains(
  table: string,
  instanceIds: readonly string[],
  options: BatchOptions = {},
): Promise<{ drains: Map<string, DrainRecord>; unread: string[] }> {
  const { items, unread } = await batchGetItems(table, [...new Set(instanceIds)].map(drainKey), options);
  const drains = new Map<string, DrainRecord>();
  for (const item of items) {
    const record = fromItem(item);
    if (record) drains.set(record.instanceId, record);
  }
  return { drains, unread: unreadInstances(unread) };
}

/**
 * Records a new drain unless one is already recorded. Returns the record that won: ours (`created`) or
 * the one another invocation wrote first, whose start time then applies.
 */
export function createDrain(
  table: string,
  record: DrainRecord,
): Promise<{ created: boolean; record: DrainRecord }> {
  return putUnless(table, record, { ConditionExpression: 'attribute_not_exists(pk)' });
}

/**
 * Replaces the drain of an earlier lifecycle action by a new one. Conditional on the old start time, so
 * of two invocations noticing the new action at once only one restarts it; the other gets its record.
 */
export function restartDrain(
  table: string,
  record: DrainRecord,
  previousStartedAt: number,
): Promise<{ created: boolean; record: DrainRecord }> {
  return putUnless(table, record, {
    ConditionExpression: 'startedAt = :previous',
    ExpressionAttributeValues: { ':previous': previousStartedAt },
  });
}

/** Writes `record` if `condition` holds; otherwise answers the record that is there. */
async function putUnless(
  table: string,
  record: DrainRecord,
  condition: { ConditionExpression: string; ExpressionAttributeValues?: Record<string, unknown> },
): Promise<{ created: boolean; record: DrainRecord }> {
  try {
    await call('dynamodb:PutItem', `${table}/drain#${record.instanceId}`, () =>
      dynamodb.send(new PutCommand({ TableName: table, Item: toItem(record), ...condition })),
    );
    await updateOpenIndex(table, 'ADD', record.instanceId);
    return { created: true, record };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  const existing = await getDrain(table, record.instanceId);
  // Deleted between our put and our read (TTL): write ours again rather than act on nothing.
  return existing ? { created: false, record: existing } : createDrain(table, record);
}

/**
 * Takes or renews the lease on a drain: granted when free, expired or already ours. Returns the
 * current record, or undefined when another invocation holds it.
 */
export async function acquireLease(
  table: string,
  instanceId: string,
  owner: string,
  now: number,
  until: number,
): Promise<DrainRecord | undefined> {
  try {
    const { Attributes } = await call('dynamodb:UpdateItem', `${table}/drain#${instanceId}`, () =>
      dynamodb.send(
        new UpdateCommand({
          TableName: table,
          Key: drainKey(instanceId),
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(leaseUntil) OR leaseUntil <= :now OR leaseOwner = :owner)',
          ExpressionAttributeValues: { ':owner': owner, ':until': until, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return fromItem(Attributes);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Gives the lease back so the next pass need not wait for it to expire, noting how many tasks the last
 * look left (what a lost hook would leave behind). No-op when not ours.
 */
export async function releaseLease(
  table: string,
  instanceId: string,
  owner: string,
  remainingTasks?: number,
): Promise<void> {
  const noteTasks = remainingTasks !== undefined;
  try {
    await call('dynamodb:UpdateItem', `${table}/drain#${instanceId}`, () =>
      dynamodb.send(
        new UpdateCommand({
          TableName: table,
          Key: drainKey(instanceId),
          UpdateExpression: `${noteTasks ? 'SET remainingTasks = :tasks ' : ''}REMOVE leaseOwner, leaseUntil`,
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner, ...(noteTasks ? { ':tasks': remainingTasks } : {}) },
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** Remembers when the hook's timer was last restarted, and (first event of an action) its hook and token. */
export async function recordDrainProgress(
  table: string,
  instanceId: string,
  changes: Partial<
    Pick<
      DrainRecord,
      'lastHeartbeatAt' | 'hook' | 'tokenHash' | 'cause' | 'remainingTasks' | 'containerInstanceArn'
    >
  >,
): Promise<void> {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return;
  await call('dynamodb:UpdateItem', `${table}/drain#${instanceId}`, () =>
    dynamodb.send(
      new UpdateCommand({
        TableName: table,
        Key: drainKey(instanceId),
        UpdateExpression: `SET ${entries.map(([key]) => `#${key} = :${key}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([key]) => [`#${key}`, key])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([key, value]) => [`:${key}`, value])),
      }),
    ),
  );
}

/**
 * Marks the drain complete. True for the one invocation that did it (it reports the completion);
 * false when another already had, so a completion is counted once.
 */
export function markDrainCompleted(
  table: string,
  instanceId: string,
  completedAt: number,
  outcome: string,
): Promise<boolean> {
  return closeDrain(table, instanceId, completedAt, outcome);
}

/**
 * Sets the drain's completion once (conditional on no completion yet); with `unlessLeasedBy`, only
 * while no other invocation holds a live lease. True for the one caller whose write closed it.
 */
async function closeDrain(
  table: string,
  instanceId: string,
  at: number,
  outcome: string,
  unlessLeasedBy?: string,
): Promise<boolean> {
  const leaseFree = unlessLeasedBy
    ? ' AND (attribute_not_exists(leaseUntil) OR leaseUntil <= :at OR leaseOwner = :owner)'
    : '';
  try {
    await call('dynamodb:UpdateItem', `${table}/drain#${instanceId}`, () =>
      dynamodb.send(
        new UpdateCommand({
          TableName: table,
          Key: drainKey(instanceId),
          UpdateExpression:
            'SET completedAt = :at, outcome = :outcome, #ttl = :ttl REMOVE leaseOwner, leaseUntil',
          ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(completedAt)${leaseFree}`,
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':at': at,
            ':outcome': outcome,
            ':ttl': ttlFrom(at, DONE_TTL_SECONDS),
            ...(unlessLeasedBy ? { ':owner': unlessLeasedBy } : {}),
          },
        }),
      ),
    );
    await updateOpenIndex(table, 'DELETE', instanceId);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * The ids of open drains, in one item beside them (`drain#open` / `index`, a string set), so the
 * reconcile pass can find drains whose instance left its group between two passes (nothing lists them
 * any more). Kept best-effort: an id left behind is dropped by the sweep once its drain is closed or
 * gone; a write that failed leaves a drain to its item's TTL, as before the index.
 */
export const OPEN_INDEX_KEY = { pk: 'drain#open', sk: 'index' } as const;

async function updateOpenIndex(table: string, op: 'ADD' | 'DELETE', ...instanceIds: string[]) {
  if (instanceIds.length === 0) return;
  try {
    await call('dynamodb:UpdateItem', `${table}/drain#open`, () =>
      dynamodb.send(
        new UpdateCommand({
          TableName: table,
          Key: OPEN_INDEX_KEY,
          UpdateExpression: `${op} ids :ids`,
          ExpressionAttributeValues: { ':ids': new Set(instanceIds) },
        }),
      ),
    );
  } catch {
    // Best effort (see above): the drain itself is recorded.
  }
}

/** The ids the open-drain index holds. */
export async function getOpenDrainIds(table: string): Promise<string[]> {
  const { Item } = await call('dynamodb:GetItem', `${table}/drain#open`, () =>
    dynamodb.send(new GetCommand({ TableName: table, Key: OPEN_INDEX_KEY, ConsistentRead: true })),
  );
  const ids = Item?.ids;
  return ids instanceof Set ? [...ids].filter((id): id is string => typeof id === 'string') : [];
}

/** Drops ids from the open-drain index (their drain is closed, or gone). */
export function forgetOpenDrains(table: string, instanceIds: readonly string[]): Promise<void> {
  return updateOpenIndex(table, 'DELETE', ...instanceIds);
}

/**
 * Closes an open drain whose lifecycle action ended without our completion (expired, or completed by
 * someone else), outcome `lifecycle-action-ended`. Only while no other invocation holds its lease: a
 * lease holder may be completing it right now. True for the one caller that closed it (it reports it).
 */
export function markActionEnded(
  table: string,
  instanceId: string,
  owner: string,
  now: number,
): Promise<boolean> {
  return closeDrain(table, instanceId, now, 'lifecycle-action-ended', owner);
}

/**
 * Closes an open drain whose instance was lost under it (deregistered, or gone from its group), outcome
 * `instance-lost`, unless another invocation holds its lease. True for the one caller that closed it.
 */
export function markInstanceLost(
  table: string,
  instanceId: string,
  owner: string,
  now: number,
): Promise<boolean> {
  return closeDrain(table, instanceId, now, 'instance-lost', owner);
}

/**
 * Every drain not yet completed, for an operator's view (`npm run status`): a paginated Scan, since drains
 * are keyed by instance and the table has no index. Not for the functions' own passes.
 */
export async function listOpenDrains(table: string): Promise<DrainRecord[]> {
  const drains: DrainRecord[] = [];
  await call('dynamodb:Scan', `${table}/drain#*`, async () => {
    const pages = paginateScan(
      { client: dynamodb },
      {
        TableName: table,
        FilterExpression: 'begins_with(pk, :prefix) AND sk = :sk AND attribute_not_exists(completedAt)',
        ExpressionAttributeValues: { ':prefix': 'drain#', ':sk': SK },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const record = fromItem(item);
        if (record) drains.push(record);
      }
    }
  });
  return drains;
}
