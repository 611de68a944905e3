import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '../../shared/aws/dynamodb';
import { call, kindOf } from '../../shared/aws/errors';
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

/**
 * Claims a task with a conditional put: of two invocations with the same event, one wins. A marker left
 * by a crashed or timed-out invocation is taken over once its lease has passed.
 */
export async function claimTask(
  table: string,
  task: TaskSnapshot,
  owner: string,
  now: number,
  leaseUntil: number,
): Promise<Claim> {
  const key = markerKey(task.taskArn);
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
        }),
      ),
    );
    return { kind: 'claimed' };
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
  const marker = await getItem<Marker>(table, key);
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
 * Counts one failure against its problem, atomically: inside the quiet window it is added to the
 * window's count; the first failure after the window reopens it, and the update's old item says how many
 * failed meanwhile. Two attempts racing on the same problem each land in exactly one branch.
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
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      const { Attributes } = await call('dynamodb:UpdateItem', target, () =>
        dynamodb.send(
          new UpdateCommand({
            TableName: table,
            Key: key,
            UpdateExpression:
              'SET suppressed = if_not_exists(suppressed, :zero) + :one, totalFailures = if_not_exists(totalFailures, :zero) + :one, lastFailureAt = :now, lastTaskArn = :task',
            ConditionExpression: 'attribute_exists(pk) AND quietUntil > :now',
            ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': now, ':task': task.taskArn },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      const window = Attributes as Required<ProblemWindow>;
      return {
        kind: 'suppressed',
        failedInWindow: window.suppressed,
        quietUntil: window.quietUntil,
        lastAlertAt: window.windowStartedAt,
      };
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    const quietUntil = now + windowSeconds * 1000;
    try {
      const { Attributes } = await call('dynamodb:UpdateItem', target, () =>
        dynamodb.send(
          new UpdateCommand({
            TableName: table,
            Key: key,
            // owedBy travels in the same write that opens the window: an invocation that dies before
            // alerting leaves the debt to whichever takes the task over, with what the alert must say
            // about the window before (every operand reads the item as it was before this write).
            UpdateExpression:
              'SET windowStartedAt = :now, quietUntil = :until, suppressed = :zero, lastFailureAt = :now, lastTaskArn = :task, alertsSent = if_not_exists(alertsSent, :zero) + :one, totalFailures = if_not_exists(totalFailures, :zero) + :one, clusterArn = :cluster, #group = :group, category = :category, #ttl = :ttl, owedBy = :task, owedFailedMeanwhile = if_not_exists(suppressed, :zero), owedLastAlertAt = if_not_exists(windowStartedAt, :now)',
            ConditionExpression: 'attribute_not_exists(pk) OR quietUntil <= :now',
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
      // Another invocation opened the window between our two updates: count inside it.
    }
  }
  throw new Error(`Could not count a failure for ${key.pk}: the problem item kept changing`);
}

/**
 * The alert this task owes, when an invocation opened the problem's window for it and died before
 * recording that: the window's own item says so, and what the previous window counted.
 */
export async function owedAlert(
  table: string,
  task: TaskSnapshot,
  category: Category,
  windowSeconds: number,
): Promise<CountOutcome | undefined> {
  const window = await getItem<{
    owedBy?: string;
    quietUntil?: number;
    owedFailedMeanwhile?: number;
    owedLastAlertAt?: number;
  }>(table, problemKey(task, category));
  if (window?.owedBy !== task.taskArn || window.quietUntil === undefined) return undefined;
  const { quietUntil, owedFailedMeanwhile: failedMeanwhile = 0, owedLastAlertAt: lastAlertAt } = window;
  if (failedMeanwhile === 0 || lastAlertAt === undefined)
    return { kind: 'alert', repeats: { kind: 'first', windowSeconds, quietUntil } };
  return {
    kind: 'alert',
    repeats: { kind: 'again', failedMeanwhile, lastAlertAt, windowSeconds, quietUntil },
  };
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

export async function markDone(
  table: string,
  task: TaskSnapshot,
  owner: string,
  messageId?: string,
): Promise<void> {
  await updateOwned(table, task, owner, `SET stage = :stage${messageId ? ', messageId = :message' : ''}`, {
    ':stage': 'done',
    ...(messageId ? { ':message': messageId } : {}),
  });
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
