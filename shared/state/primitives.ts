import type { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { AwsOperationError, errorName } from '../aws/errors';
import { type ReturnValues, type Update, updateInput } from './expression';
import type { ItemKey } from './keys';
import type { Item, TableWith } from './table';
import { ttlAt } from './ttl';

/**
 * The state table's write patterns, each written once: the conflict check, put-unless-exists,
 * conditional put-or-read and update-or-read, the lease (acquire, renew, release, take over) and the
 * alert-once claim. The stores of shared/state build on these; none catches a failed condition itself.
 */

// --- Conflict check ------------------------------------------------------------------------------

/** The SDK's name for a write whose condition did not hold (DynamoDB API Reference, PutItem, Errors). */
const CONDITION_FAILED: ConditionalCheckFailedException['name'] = 'ConditionalCheckFailedException';

/** Whether a write failed only because its condition did not hold (wrapped by `call` or not). */
export function isConditionFailed(error: unknown): boolean {
  return errorName(error instanceof AwsOperationError ? error.cause : error) === CONDITION_FAILED;
}

/** Runs a conditional write: true when written, false when its condition did not hold; other errors throw. */
export async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/** The item a failed conditional write found (ReturnValuesOnConditionCheckFailure ALL_OLD), when answered. */
export function itemOfConditionFailure(error: unknown): Item | undefined {
  const cause = error instanceof AwsOperationError ? error.cause : error;
  const item = (cause as { Item?: Parameters<typeof unmarshall>[0] } | null)?.Item;
  return item ? unmarshall(item) : undefined;
}

/** An update given as data ({@link Update}); answers the attributes `returnValues` asks for. */
export function update(
  table: TableWith<'update'>,
  key: ItemKey,
  change: Update,
  returnValues?: ReturnValues,
): Promise<Item | undefined> {
  return table.update(updateInput(key, change, returnValues));
}

/** A conditional update answering the item as `returnValues` asks; undefined when its condition did not hold. */
export async function tryUpdateReturning(
  table: TableWith<'update'>,
  key: ItemKey,
  change: Update,
  returnValues: ReturnValues = 'ALL_NEW',
): Promise<Item | undefined> {
  try {
    return (await update(table, key, change, returnValues)) ?? {};
  } catch (error) {
    if (isConditionFailed(error)) return undefined;
    throw error;
  }
}

/** A conditional update: false when its condition did not hold. */
export function tryUpdate(table: TableWith<'update'>, key: ItemKey, change: Update): Promise<boolean> {
  return conditional(() => update(table, key, change));
}

// --- Put unless exists, put-or-read, update-or-read ----------------------------------------------

export const NOT_EXISTS = 'attribute_not_exists(pk)';

/** Writes the item unless one with its key exists (the first writer wins). True when written. */
export function putUnlessExists(table: TableWith<'put'>, item: Item & ItemKey): Promise<boolean> {
  return conditional(() => table.put({ Item: item, ConditionExpression: NOT_EXISTS }));
}

export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

export type WriteOrRead = { written: true } | { written: false; current: Item | undefined };

/**
 * Writes the item if `condition` holds (by default: no item has its key); otherwise answers the item
 * that is there, from the failed write itself or, where the endpoint does not return it, a consistent
 * read. `current` is undefined when the item went away in between (its TTL): the caller decides.
 */
export async function putOrRead(
  table: TableWith<'put' | 'get'>,
  item: Item & ItemKey,
  condition: Condition = { expression: NOT_EXISTS },
): Promise<WriteOrRead> {
  try {
    await table.put({
      Item: item,
      ConditionExpression: condition.expression,
      ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
      ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    return { written: true };
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    const current = itemOfConditionFailure(error) ?? (await table.get({ pk: item.pk, sk: item.sk }));
    return { written: false, current };
  }
}

/** {@link putOrRead} for an update: answers the item as written (ALL_NEW), or the one that is there. */
export async function updateOrRead(
  table: TableWith<'update' | 'get'>,
  key: ItemKey,
  change: Update,
): Promise<{ written: true; item: Item } | { written: false; current: Item | undefined }> {
  try {
    return { written: true, item: (await update(table, key, change, 'ALL_NEW')) ?? {} };
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    return { written: false, current: await table.get(key) };
  }
}

// --- Leases --------------------------------------------------------------------------------------

/**
 * A lease is a holder's name and an expiry (epoch ms) on an item: one invocation at a time works on it,
 * and a crashed holder's lease ends by itself. Free when never taken, expired (its end reached) or
 * already ours, so acquiring a lease one holds renews it.
 */
export interface LeaseAttributes {
  owner: string;
  until: string;
}
export const LEASE: LeaseAttributes = { owner: 'leaseOwner', until: 'leaseUntil' };

/** The condition that the lease is free for `owner` at `now` (values `:now`, `:owner`). */
export function leaseFree(owner: string, now: number, attributes: LeaseAttributes = LEASE) {
  return {
    condition: `(attribute_not_exists(#${attributes.until}) OR #${attributes.until} <= :now OR #${attributes.owner} = :owner)`,
    values: { ':now': now, ':owner': owner },
  };
}

/** The condition that `owner` holds the lease (value `:owner`), for writes only the holder may make. */
export function heldBy(owner: string, attributes: LeaseAttributes = LEASE) {
  return { condition: `#${attributes.owner} = :owner`, values: { ':owner': owner } };
}

export interface LeaseRequest {
  owner: string;
  now: number;
  until: number;
}

/**
 * Takes or renews the lease on `key`. With `create`, an absent item is created holding it; without,
 * the item must exist. `set` is written with the lease. Answers the item as written, or undefined while
 * another holder's lease runs.
 */
export async function acquireLease(
  table: TableWith<'update'>,
  key: ItemKey,
  lease: LeaseRequest,
  options: { create?: boolean; set?: Item; attributes?: LeaseAttributes } = {},
): Promise<Item | undefined> {
  const attributes = options.attributes ?? LEASE;
  const free = leaseFree(lease.owner, lease.now, attributes);
  return tryUpdateReturning(table, key, {
    set: { [attributes.owner]: lease.owner, [attributes.until]: lease.until, ...options.set },
    condition: options.create
      ? `${NOT_EXISTS} OR ${free.condition}`
      : `attribute_exists(pk) AND ${free.condition}`,
    values: free.values,
  });
}

/** Gives the lease back (with `set` written too) so the next holder need not wait; false when not ours. */
export function releaseLease(
  table: TableWith<'update'>,
  key: ItemKey,
  owner: string,
  set?: Item,
  attributes: LeaseAttributes = LEASE,
): Promise<boolean> {
  const held = heldBy(owner, attributes);
  return tryUpdate(table, key, {
    ...(set && Object.keys(set).length ? { set } : {}),
    remove: [attributes.owner, attributes.until],
    condition: held.condition,
    values: held.values,
  });
}

/**
 * Takes over a lease seen expired, only if it is still the one seen (compare-and-set on holder and
 * expiry): a holder that released or renewed it since keeps the item, and of two invocations taking
 * over the same lease one wins. False when it changed.
 */
export function takeOverLease(
  table: TableWith<'update'>,
  key: ItemKey,
  seen: { owner: string; until: number },
  next: { owner: string; until: number },
  attributes: LeaseAttributes = LEASE,
): Promise<boolean> {
  return tryUpdate(table, key, {
    set: { [attributes.owner]: next.owner, [attributes.until]: next.until },
    condition: `#${attributes.owner} = :previous AND #${attributes.until} = :previousLease`,
    values: { ':previous': seen.owner, ':previousLease': seen.until },
  });
}

// --- Alert once ----------------------------------------------------------------------------------

/**
 * Claims the right to send an alert. Free when never sent, when the last one expired (`repeatAfterS`,
 * kept as the item's TTL), or when a claimer died before sending (its claim older than `leaseMs`).
 */
export function claimAlert(
  table: TableWith<'update'>,
  key: ItemKey,
  now: number,
  repeatAfterS: number,
  leaseMs = 60_000,
): Promise<boolean> {
  return tryUpdate(table, key, {
    set: { claimedAt: now, ttl: ttlAt(now, repeatAfterS) },
    remove: ['sentAt', 'messageId'],
    condition:
      'attribute_not_exists(pk) OR #ttl < :nowS OR (attribute_not_exists(#sentAt) AND #claimedAt < :staleClaim)',
    values: { ':nowS': Math.floor(now / 1000), ':staleClaim': now - leaseMs },
  });
}

/** The claimed alert went out: it is not sent again before its TTL. */
export async function markAlertSent(
  table: TableWith<'update'>,
  key: ItemKey,
  now: number,
  messageId?: string,
): Promise<void> {
  await update(table, key, { set: { sentAt: now, ...(messageId ? { messageId } : {}) } });
}

/** Sending failed: the claim is dropped (unless the alert went out meanwhile) so the next try may send. */
export async function releaseAlertClaim(table: TableWith<'delete'>, key: ItemKey): Promise<void> {
  await conditional(() => table.delete({ Key: key, ConditionExpression: 'attribute_not_exists(sentAt)' }));
}
