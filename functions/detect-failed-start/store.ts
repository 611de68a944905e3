import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type BatchOptions, batchGetItems, dynamodb } from '../../shared/aws/dynamodb';
import { AwsOperationError, call, kindOf } from '../../shared/aws/errors';
import {
  type Counted,
  type ItemKey,
  MARKER_TTL_SECONDS,
  type MarkerStage,
  markerKey,
  ttlAt,
} from '../../shared/failed-start/decide';
import type { TaskSnapshot } from '../../shared/failed-start/events';
import type { Category } from '../../shared/failed-start/taxonomy';
import { registryKey } from '../../shared/schedule/keys';

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

const isConflict = (error: unknown) => kindOf(error) === 'conflict';

async function getItem<T>(table: string, key: ItemKey): Promise<T | undefined> {
  const { Item } = await call('dynamodb:GetItem', `${table}/${key.pk}`, () =>
    dynamodb.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true })),
  );
  return Item as T | undefined;
}

/** The item a failed conditional write found (ReturnValuesOnConditionCheckFailure ALL_OLD), when answered. */
function itemOfConditionFailure<T>(error: unknown): T | undefined {
  const cause = error instanceof AwsOperationError ? error.cause : error;
  const item = (cause as { Item?: Parameters<typeof unmarshall>[0] } | null)?.Item;
  return item ? (unmarshall(item) as T) : undefined;
}

/**
 * The markers of these tasks (consistent reads, 100 keys a call), and how many could not be read within
 * the budget (their tasks go through the claim, whose conditional write finds any marker).
 */
export async function readMarkers(
  table: string,
  taskArns: readonly string[],
  options: BatchOptions = {},
): Promise<{ markers: Map<string, Marker>; unread: number; error?: Error }> {
  const { items, unread, error } = await batchGetItems<Marker & { taskArn?: string }>(
    table,
    [...new Set(taskArns)].map((arn) => ({ ...markerKey(arn) })),
    options,
  );
  const markers = new Map<string, Marker>();
  for (const marker of items) if (marker.taskArn) markers.set(marker.taskArn, marker);
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
  const key = markerKey(task.taskArn);
  let marker: Marker | undefined;
  try {
    await call('dynamodb:PutItem', `${table}/${key.pk}`, () =>
      dynamodb.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...key,
            stage: 'claimed',
            owner,
            leaseUntil,
            version: task.version,
            taskArn: task.taskArn,
            claimedAt: now,
            ttl: ttlAt(now, MARKER_TTL_SECONDS),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    return { kind: 'claimed' };
  } catch (error) {
    if (!isConflict(error)) throw error;
    marker = itemOfConditionFailure<Marker>(error);
  }
  // An endpoint that does not return the item (older DynamoDB emulators): read it.
  marker ??= await getItem<Marker>(table, key);
  if (!marker) return claimTask(table, task, owner, now, leaseUntil);
  if (marker.stage === 'done') return { kind: 'done', marker };
  if (marker.leaseUntil > now) return { kind: 'busy', marker };
  try {
    await call('dynamodb:UpdateItem', `${table}/${key.pk}`, () =>
      dynamodb.send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET #owner = :owner, leaseUntil = :lease',
          ConditionExpression: '#owner = :previous AND leaseUntil = :previousLease',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':lease': leaseUntil,
            ':previous': marker.owner,
            ':previousLease': marker.leaseUntil,
          },
        }),
      ),
    );
    return { kind: 'resumed', marker: { ...marker, owner, leaseUntil } };
  } catch (error) {
    if (isConflict(error)) return { kind: 'busy', marker };
    throw error;
  }
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
  return updateOwned(
    table,
    task,
    owner,
    `SET stage = :stage, category = :category, outcome = :outcome${messageId ? ', messageId = :message' : ''}`,
    {
      ':stage': 'done',
      ':category': counted.category,
      ':outcome': counted.outcome,
      ...(messageId ? { ':message': messageId } : {}),
    },
  ).then(
    () => true,
    (error: unknown) => {
      if (!isConflict(error)) throw error;
      return false;
    },
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
  await updateOwned(
    table,
    task,
    owner,
    'SET stage = :stage, category = :category, outcome = :outcome, leaseUntil = :released',
    { ':stage': 'counted', ':category': counted.category, ':outcome': counted.outcome, ':released': 0 },
  );
}

async function updateOwned(
  table: string,
  task: TaskSnapshot,
  owner: string,
  expression: string,
  values: Record<string, unknown>,
): Promise<void> {
  const key = markerKey(task.taskArn);
  await call('dynamodb:UpdateItem', `${table}/${key.pk}`, () =>
    dynamodb.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: expression,
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ...values, ':owner': owner },
      }),
    ),
  );
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
  const key = markerKey(task.taskArn);
  try {
    await call('dynamodb:PutItem', `${table}/${key.pk}`, () =>
      dynamodb.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...key,
            stage: 'done',
            ignored: reason,
            owner: 'ignored',
            leaseUntil: 0,
            version: task.version,
            taskArn: task.taskArn,
            claimedAt: now,
            ttl: ttlAt(now, MARKER_TTL_SECONDS),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}

/** run-scheduled-task's registry entry of a job (pk `job#*`, sk the job's name): its cluster and family. */
export async function registeredJob(
  table: string,
  jobName: string,
): Promise<{ cluster?: string; family?: string } | undefined> {
  return getItem<{ cluster?: string; family?: string }>(table, registryKey(jobName));
}

/** Read-only view for a dry run. */
export const readMarker = (table: string, taskArn: string) => getItem<Marker>(table, markerKey(taskArn));
