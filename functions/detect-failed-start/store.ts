import { GetCommand, PutCommand, paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type BatchOptions, batchGetItems, dynamodb } from '../../shared/aws/dynamodb';
import { AwsOperationError, call, kindOf } from '../../shared/aws/errors';
import {
  type CountOutcome,
  type ItemKey,
  MARKER_TTL_SECONDS,
  type MarkerStage,
  markerKey,
  openedWindow,
  PROBLEM_TTL_AFTER_WINDOW_SECONDS,
  type ProblemWindow,
  problemKey,
  ttlAt,
} from '../../shared/failed-start/decide';
import type { TaskSnapshot } from '../../shared/failed-start/events';
import type { Category } from '../../shared/failed-start/taxonomy';

/** The per-task item: which invocation works on it, how far it got, and what the count decided. */
export interface Marker {
  stage: MarkerStage;
  owner: string;
  leaseUntil: number;
  version: number;
  category?: Category;
  outcome?: CountOutcome;
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
 * Counts one failure against its problem, atomically, in one conditional update for the usual cases: a
 * problem seen for the first time opens its window (every `if_not_exists` takes the new value), a failure
 * inside the window is added to its count (they keep the window's); the old item (none, or the window)
 * says which. Only the first failure after the quiet time needs a second update, which reopens the window
 * and reads the old item to learn how many failed meanwhile. Racing attempts each land in one branch.
 */
export async function countFailure(
  table: string,
  task: TaskSnapshot,
  category: Category,
  now: number,
  windowSeconds: number,
): Promise<CountOutcome> {
  const key = problemKey(task, category);
  const target = `${table}/${key.pk}`;
  const quietUntil = now + windowSeconds * 1000;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      const { Attributes } = await call('dynamodb:UpdateItem', target, () =>
        dynamodb.send(
          new UpdateCommand({
            TableName: table,
            Key: key,
            // A new item gets suppressed 0 (-1 + 1), alertsSent 1 and owedBy this task, in the same write
            // that opens the window: an invocation that dies before alerting leaves the debt to whichever
            // takes the task over. Inside the window every if_not_exists keeps what is there.
            UpdateExpression:
              'SET suppressed = if_not_exists(suppressed, :minusOne) + :one, totalFailures = if_not_exists(totalFailures, :zero) + :one, lastFailureAt = :now, lastTaskArn = :task, windowStartedAt = if_not_exists(windowStartedAt, :now), quietUntil = if_not_exists(quietUntil, :until), alertsSent = if_not_exists(alertsSent, :one), clusterArn = if_not_exists(clusterArn, :cluster), #group = if_not_exists(#group, :group), category = if_not_exists(category, :category), #ttl = if_not_exists(#ttl, :ttl), owedBy = if_not_exists(owedBy, :task), owedFailedMeanwhile = if_not_exists(owedFailedMeanwhile, :zero), owedLastAlertAt = if_not_exists(owedLastAlertAt, :now)',
            ConditionExpression: 'attribute_not_exists(pk) OR quietUntil > :now',
            ExpressionAttributeNames: { '#group': 'group', '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':minusOne': -1,
              ':zero': 0,
              ':one': 1,
              ':now': now,
              ':until': quietUntil,
              ':task': task.taskArn,
              ':cluster': task.clusterArn,
              ':group': task.group,
              ':category': category,
              ':ttl': ttlAt(quietUntil, PROBLEM_TTL_AFTER_WINDOW_SECONDS),
            },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      const old = Attributes as Required<ProblemWindow> | undefined;
      if (!old) return openedWindow(undefined, now, windowSeconds);
      return {
        kind: 'suppressed',
        failedInWindow: old.suppressed + 1,
        quietUntil: old.quietUntil,
        lastAlertAt: old.windowStartedAt,
      };
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    try {
      const { Attributes } = await call('dynamodb:UpdateItem', target, () =>
        dynamodb.send(
          new UpdateCommand({
            TableName: table,
            Key: key,
            // owedBy as above; what the alert must say about the window before travels with it (every
            // operand reads the item as it was before this write).
            UpdateExpression:
              'SET windowStartedAt = :now, quietUntil = :until, suppressed = :zero, lastFailureAt = :now, lastTaskArn = :task, alertsSent = if_not_exists(alertsSent, :zero) + :one, totalFailures = if_not_exists(totalFailures, :zero) + :one, clusterArn = :cluster, #group = :group, category = :category, #ttl = :ttl, owedBy = :task, owedFailedMeanwhile = if_not_exists(suppressed, :zero), owedLastAlertAt = if_not_exists(windowStartedAt, :now)',
            ConditionExpression: 'attribute_exists(pk) AND quietUntil <= :now',
            ExpressionAttributeNames: { '#group': 'group', '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':now': now,
              ':until': quietUntil,
              ':zero': 0,
              ':one': 1,
              ':task': task.taskArn,
              ':cluster': task.clusterArn,
              ':group': task.group,
              ':category': category,
              ':ttl': ttlAt(quietUntil, PROBLEM_TTL_AFTER_WINDOW_SECONDS),
            },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      return openedWindow(Attributes as ProblemWindow | undefined, now, windowSeconds);
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Another invocation reopened the window between our two updates: count inside it.
    }
  }
  throw new Error(`Could not count a failure for ${key.pk}: the problem item kept changing`);
}

/**
 * What the problem window says about a task taken over from an invocation that died before recording its
 * count: it opened the window and owes the alert (the window's own item says so, and what the previous
 * window counted), or it was the last failure counted there. Undefined when the window shows neither.
 */
export async function countedBefore(
  table: string,
  task: TaskSnapshot,
  category: Category,
  windowSeconds: number,
): Promise<CountOutcome | undefined> {
  const window = await getItem<{
    owedBy?: string;
    lastTaskArn?: string;
    windowStartedAt?: number;
    quietUntil?: number;
    suppressed?: number;
    owedFailedMeanwhile?: number;
    owedLastAlertAt?: number;
  }>(table, problemKey(task, category));
  if (window?.quietUntil === undefined) return undefined;
  const { quietUntil, owedFailedMeanwhile: failedMeanwhile = 0, owedLastAlertAt: lastAlertAt } = window;
  if (window.owedBy === task.taskArn) {
    if (failedMeanwhile === 0 || lastAlertAt === undefined)
      return { kind: 'alert', repeats: { kind: 'first', windowSeconds, quietUntil } };
    return {
      kind: 'alert',
      repeats: { kind: 'again', failedMeanwhile, lastAlertAt, windowSeconds, quietUntil },
    };
  }
  if (window.lastTaskArn === task.taskArn && window.windowStartedAt !== undefined)
    return {
      kind: 'suppressed',
      failedInWindow: window.suppressed ?? 0,
      quietUntil,
      lastAlertAt: window.windowStartedAt,
    };
  return undefined;
}

/** Records the count's decision, so an invocation that takes over does not count the task again. */
export async function markCounted(
  table: string,
  task: TaskSnapshot,
  owner: string,
  category: Category,
  outcome: CountOutcome,
): Promise<void> {
  await updateOwned(table, task, owner, 'SET stage = :stage, category = :category, outcome = :outcome', {
    ':stage': 'counted',
    ':category': category,
    ':outcome': outcome,
  });
}

/** The task is finished: its count's decision and, when it alerted, the SNS message id. */
export async function markDone(
  table: string,
  task: TaskSnapshot,
  owner: string,
  counted: { category: Category; outcome: CountOutcome },
  messageId?: string,
): Promise<void> {
  await updateOwned(
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

/** Read-only views for a dry run. */
export const readMarker = (table: string, taskArn: string) => getItem<Marker>(table, markerKey(taskArn));
export const readProblem = (table: string, task: TaskSnapshot, category: Category) =>
  getItem<ProblemWindow>(table, problemKey(task, category));

/** A problem item as an operator sees it (`npm run status`). */
export interface OpenProblem {
  clusterArn: string;
  group: string;
  category: Category;
  windowStartedAt: number;
  quietUntil: number;
  /** Failures counted in the current window (the alerted one and those suppressed after it). */
  failedInWindow: number;
  totalFailures: number;
  lastFailureAt?: number;
  lastTaskArn?: string;
}

/**
 * Problems whose quiet window is still open at `now` (a paginated Scan of the `failure#` problem items;
 * the table has no index). For operators, not for the function's own path.
 */
export async function listOpenProblems(table: string, now: number): Promise<OpenProblem[]> {
  const problems: OpenProblem[] = [];
  await call('dynamodb:Scan', `${table}/failure#*`, async () => {
    const pages = paginateScan(
      { client: dynamodb },
      {
        TableName: table,
        FilterExpression: 'begins_with(pk, :prefix) AND sk = :sk AND quietUntil > :now',
        ExpressionAttributeValues: { ':prefix': 'failure#', ':sk': 'window', ':now': now },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        problems.push({
          clusterArn: String(item.clusterArn ?? ''),
          group: String(item.group ?? ''),
          category: item.category as Category,
          windowStartedAt: Number(item.windowStartedAt ?? 0),
          quietUntil: Number(item.quietUntil ?? 0),
          failedInWindow: Number(item.suppressed ?? 0) + 1,
          totalFailures: Number(item.totalFailures ?? 0),
          ...(typeof item.lastFailureAt === 'number' ? { lastFailureAt: item.lastFailureAt } : {}),
          ...(typeof item.lastTaskArn === 'string' ? { lastTaskArn: item.lastTaskArn } : {}),
        });
      }
    }
  });
  return problems;
}
