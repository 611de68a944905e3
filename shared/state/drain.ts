import { type BatchOptions, batchGetItems, getItem, putItem, scanItems, updateItem } from '../aws/dynamodb';
import type { DrainRecord } from '../drain/record';
import { DRAIN_OPEN_INDEX_KEY, DRAIN_PK_PREFIX, DRAIN_SK, drainKey, instanceIdOfDrainPk } from './keys';
import {
  acquireLease as acquire,
  leaseFree,
  NOT_EXISTS,
  putOrRead,
  releaseLease as release,
  tryUpdate,
  update,
} from './primitives';
import { dynamoTable } from './table';
import { TTL_SECONDS, ttlAt } from './ttl';

/**
 * The drain-instance items of the state table: pk `drain#<instanceId>`, sk `drain`. Conditional writes
 * make concurrent invocations agree on one start time, one lease holder and one completion.
 */
export { drainKey };

const tableOf = (name: string) =>
  dynamoTable(name, { get: getItem, put: putItem, update: updateItem, batchGet: batchGetItems });

function toItem(record: DrainRecord) {
  return { ...drainKey(record.instanceId), ...record, ttl: ttlAt(record.startedAt, TTL_SECONDS.drainOpen) };
}

function fromItem(item: Record<string, unknown> | undefined): DrainRecord | undefined {
  if (!item) return undefined;
  const text = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : undefined);
  const number = (key: string) => (typeof item[key] === 'number' ? (item[key] as number) : undefined);
  return {
    instanceId: text('instanceId') ?? instanceIdOfDrainPk(item.pk),
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
  return fromItem(await tableOf(table).get(drainKey(instanceId)));
}

/** Instance ids of keys a batch read left unread (their drains are unknown, not absent). */
const unreadInstances = (keys: readonly Record<string, unknown>[]) => [
  ...new Set(keys.map((key) => instanceIdOfDrainPk(key.pk))),
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
  const { items, unread } = await tableOf(table).batchGet([...new Set(instanceIds)].map(drainKey), options);
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
  return putUnless(table, record, { expression: NOT_EXISTS });
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
    expression: 'startedAt = :previous',
    values: { ':previous': previousStartedAt },
  });
}

/** Writes `record` if `condition` holds; otherwise answers the record that is there. */
async function putUnless(
  table: string,
  record: DrainRecord,
  condition: { expression: string; values?: Record<string, unknown> },
): Promise<{ created: boolean; record: DrainRecord }> {
  const result = await putOrRead(tableOf(table), toItem(record), condition);
  if (result.written) {
    await updateOpenIndex(table, 'ADD', record.instanceId);
    return { created: true, record };
  }
  const existing = fromItem(result.current);
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
  return fromItem(await acquire(tableOf(table), drainKey(instanceId), { owner, now, until }));
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
  await release(
    tableOf(table),
    drainKey(instanceId),
    owner,
    remainingTasks !== undefined ? { remainingTasks } : undefined,
  );
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
  const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  if (Object.keys(set).length === 0) return;
  await update(tableOf(table), drainKey(instanceId), { set, condition: 'attribute_exists(pk)' });
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
  const free = unlessLeasedBy ? leaseFree(unlessLeasedBy, at) : undefined;
  const closed = await tryUpdate(tableOf(table), drainKey(instanceId), {
    set: { completedAt: at, outcome, ttl: ttlAt(at, TTL_SECONDS.drainClosed) },
    remove: ['leaseOwner', 'leaseUntil'],
    condition: `attribute_exists(pk) AND attribute_not_exists(#completedAt)${free ? ` AND ${free.condition}` : ''}`,
    ...(free ? { values: free.values } : {}),
  });
  if (closed) await updateOpenIndex(table, 'DELETE', instanceId);
  return closed;
}

/**
 * The ids of open drains, in one item beside them (`drain#open` / `index`, a string set), so the
 * reconcile pass can find drains whose instance left its group between two passes (nothing lists them
 * any more). Kept best-effort: an id left behind is dropped by the sweep once its drain is closed or
 * gone; a write that failed leaves a drain to its item's TTL, as before the index.
 */
export const OPEN_INDEX_KEY = DRAIN_OPEN_INDEX_KEY;

async function updateOpenIndex(table: string, op: 'ADD' | 'DELETE', ...instanceIds: string[]) {
  if (instanceIds.length === 0) return;
  const ids = new Set(instanceIds);
  try {
    await update(
      tableOf(table),
      OPEN_INDEX_KEY,
      op === 'ADD' ? { add: { ids } } : { deleteFromSet: { ids } },
    );
  } catch {
    // Best effort (see above): the drain itself is recorded.
  }
}

/** The ids the open-drain index holds. */
export async function getOpenDrainIds(table: string): Promise<string[]> {
  const ids = (await tableOf(table).get(OPEN_INDEX_KEY))?.ids;
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
  const items = await scanItems(
    table,
    {
      FilterExpression: 'begins_with(pk, :prefix) AND sk = :sk AND attribute_not_exists(completedAt)',
      ExpressionAttributeValues: { ':prefix': DRAIN_PK_PREFIX, ':sk': DRAIN_SK },
      ConsistentRead: true,
    },
    'drain#*',
  );
  return items.map(fromItem).filter((record): record is DrainRecord => record !== undefined);
}
