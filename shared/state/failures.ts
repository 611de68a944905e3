import { type BatchOptions, batchGetItems, getItem, putItem, updateItem } from '../aws/dynamodb';
import type { Counted, MarkerStage } from '../failed-start/decide';
import type { TaskSnapshot } from '../failed-start/events';
import type { Category } from '../failed-start/taxonomy';
import { failureMarkerKey, registryKey } from './keys';
import {
  conditional,
  heldBy,
  type LeaseAttributes,
  putOrRead,
  putUnlessExists,
  takeOverLease,
  update,
} from './primitives';
import { dynamoTable } from './table';
import { TTL_SECONDS, ttlAt } from './ttl';

/**
 * detect-failed-start's per-task items (pk `failure#task#<taskArn>`, sk `task`): which invocation works
 * on a stopped task, how far it got, and what its count decided, so a task is counted once whatever its
 * duplicates, versions or event order. (Its incidents are in functions/detect-failed-start/incidents.ts.)
 */

/** The per-task item: which invocation works on it, how far it got, and what the count decided. */
export interface Marker {
  stage: MarkerStage;
  owner: string;
  leaseUntil: number;
  version: number;
  category?: Category;
  outcome?: Counted;
  messageId?: string;
}

export type Claim =
  | { kind: 'claimed' }
  /** An earlier invocation claimed the task and its lease ran out: carry on from its stage. */
  | { kind: 'resumed'; marker: Marker }
  | { kind: 'done'; marker: Marker }
  /** Another invocation is working on this task right now. */
  | { kind: 'busy'; marker: Marker };

/** A marker's lease is held under `owner` (not `leaseOwner`). */
const MARKER_LEASE: LeaseAttributes = { owner: 'owner', until: 'leaseUntil' };

const tableOf = (name: string) =>
  dynamoTable(name, { get: getItem, put: putItem, update: updateItem, batchGet: batchGetItems });

/**
 * The markers of these tasks (consistent reads, 100 keys a call), and how many could not be read within
 * the budget (their tasks go through the claim, whose conditional write finds any marker).
 */
export async function readMarkers(
  table: string,
  taskArns: readonly string[],
  options: BatchOptions = {},
): Promise<{ markers: Map<string, Marker>; unread: number; error?: Error }> {
  const { items, unread, error } = await tableOf(table).batchGet<Marker & { taskArn?: string }>(
    [...new Set(taskArns)].map(failureMarkerKey),
    options,
  );
  const markers = new Map<string, Marker>();
  for (const item of items) if (item.taskArn) markers.set(item.taskArn, item);
  return { markers, unread: unread.length, ...(error ? { error } : {}) };
}

/** What a marker read says without claiming: finished, or held by a live lease. */
export function settled(marker: Marker | undefined, now: number): 'done' | 'busy' | undefined {
  if (!marker) return undefined;
  if (marker.stage === 'done') return 'done';
  return marker.leaseUntil > now ? 'busy' : undefined;
}

/**
 * Claims a task with a conditional put: of two invocations with the same event, one wins; the loser reads
 * the marker from the failed put itself. A marker left by a crashed or timed-out invocation is taken over
 * once its lease has passed.
 */
export async function claimTask(
  table: string,
  task: TaskSnapshot,
  owner: string,
  now: number,
  leaseUntil: number,
): Promise<Claim> {
  const key = failureMarkerKey(task.taskArn);
  const claim = await putOrRead(tableOf(table), {
    ...key,
    stage: 'claimed',
    owner,
    leaseUntil,
    version: task.version,
    taskArn: task.taskArn,
    claimedAt: now,
    ttl: ttlAt(now, TTL_SECONDS.failureMarker),
  });
  if (claim.written) return { kind: 'claimed' };
  const marker = claim.current as Marker | undefined;
  if (!marker) return claimTask(table, task, owner, now, leaseUntil);
  if (marker.stage === 'done') return { kind: 'done', marker };
  if (marker.leaseUntil > now) return { kind: 'busy', marker };
  const seen = { owner: marker.owner, until: marker.leaseUntil };
  return (await takeOverLease(tableOf(table), key, seen, { owner, until: leaseUntil }, MARKER_LEASE))
    ? { kind: 'resumed', marker: { ...marker, owner, leaseUntil } }
    : { kind: 'busy', marker };
}

/**
 * The task is finished: its count's decision and, when it alerted, the SNS message id. False when
 * another invocation took the task over after this one's lease ended: that one finishes it.
 */
export async function markDone(
  table: string,
  task: TaskSnapshot,
  owner: string,
  counted: { category: Category; outcome: Counted },
  messageId?: string,
): Promise<boolean> {
  return conditional(() =>
    updateOwned(table, task, owner, { stage: 'done', ...counted, ...(messageId ? { messageId } : {}) }),
  );
}

/**
 * Publishing failed: the count's decision is kept and the lease given back at once, so Lambda's retry
 * (about a minute later, well inside a lease that covers the whole invocation) takes the task over and
 * publishes, instead of finding it busy and answering "duplicate".
 */
export async function releaseClaim(
  table: string,
  task: TaskSnapshot,
  owner: string,
  counted: { category: Category; outcome: Counted },
): Promise<void> {
  await updateOwned(table, task, owner, { stage: 'counted', ...counted, leaseUntil: 0 });
}

/** A write only the marker's lease holder may make; throws ConditionalCheckFailedException otherwise. */
async function updateOwned(
  table: string,
  task: TaskSnapshot,
  owner: string,
  set: Record<string, unknown>,
): Promise<void> {
  const held = heldBy(owner, MARKER_LEASE);
  await update(tableOf(table), failureMarkerKey(task.taskArn), {
    set,
    condition: held.condition,
    values: held.values,
  });
}

/**
 * A task not alerted on purpose (a stop on purpose, a host interruption, a job run) is marked done with
 * why, so the periodic pass settles it from its marker instead of classifying it again every 5 minutes.
 */
export async function markIgnored(
  table: string,
  task: TaskSnapshot,
  reason: string,
  now: number,
): Promise<void> {
  await putUnlessExists(tableOf(table), {
    ...failureMarkerKey(task.taskArn),
    stage: 'done',
    ignored: reason,
    owner: 'ignored',
    leaseUntil: 0,
    version: task.version,
    taskArn: task.taskArn,
    claimedAt: now,
    ttl: ttlAt(now, TTL_SECONDS.failureMarker),
  });
}

/** run-scheduled-task's registry entry of a job (pk `job#*`, sk the job's name): its cluster and family. */
export async function registeredJob(
  table: string,
  jobName: string,
): Promise<{ cluster?: string; family?: string } | undefined> {
  return (await tableOf(table).get(registryKey(jobName))) as
    | { cluster?: string; family?: string }
    | undefined;
}

/** Read-only view for a dry run. */
export const readMarker = (table: string, taskArn: string) =>
  tableOf(table).get<Marker>(failureMarkerKey(taskArn));
