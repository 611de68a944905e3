/**
 * One look at a cluster's DRAINING instances, shared by every drain of the cluster (issue #16).
 *
 * A drain waits for its tasks to stop, polling every POLL_INTERVAL_SECONDS. Polled one instance at a
 * time (list the tasks of both desired statuses, describe them), 400 drains of an instance refresh ask
 * ECS's "cluster resource read" bucket (20 calls a second for the whole account) for ten times what it
 * holds. Instead, one invocation per cluster and interval lists the DRAINING instances and describes
 * them, 100 a call, and leaves their task counts in the state table; every other drain of the cluster
 * reads that item. A drain does its own full look only when the counts say it may be done.
 *
 * `runningTasksCount` counts tasks whose desired status is RUNNING and `pendingTasksCount` those
 * PENDING (ECS API Reference, ContainerInstance): a task told to stop but still STOPPING is in
 * neither, so the counts can prove an instance busy, never drained. The full look (both desired
 * statuses) decides that.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '../../shared/aws/dynamodb';
import { describeContainerInstances, listContainerInstanceArns } from '../../shared/aws/ecs';
import { call, kindOf } from '../../shared/aws/errors';

export const sweepKey = (cluster: string) => ({ pk: `drain#sweep#${cluster}`, sk: 'sweep' });

/** Past this many DRAINING instances the item would near DynamoDB's 400 KB: drains look for themselves. */
const MAX_SWEPT = 4_000;
/** The sweep outlives a few intervals at most; DynamoDB's TTL removes abandoned ones. */
const TTL_SECONDS = 3_600;

export interface ClusterSweep {
  /** Epoch ms of the look. */
  at: number;
  /** Container instance ARN -> runningTasksCount + pendingTasksCount, for every DRAINING instance. */
  busy: ReadonlyMap<string, number>;
}

interface SweepDeps {
  table: string;
  cluster: string;
  now: () => number;
  /** How old a look may be and still be used (the poll interval). */
  maxAgeMs: number;
  /** Who refreshes: an invocation's id, so a crashed refresher's claim lapses. */
  owner: string;
  sleep: (ms: number) => Promise<void>;
}

/** How long a drain waits for another invocation's sweep (two reads, a write) before looking itself. */
const OTHER_SWEEP_WAIT_MS = 1_000;

function fromItem(item: Record<string, unknown> | undefined): ClusterSweep | undefined {
  if (!item || typeof item.at !== 'number' || typeof item.busy !== 'object' || item.busy === null)
    return undefined;
  const busy = new Map<string, number>();
  for (const [arn, count] of Object.entries(item.busy as Record<string, unknown>)) {
    if (typeof count === 'number') busy.set(arn, count);
  }
  return { at: item.at, busy };
}

/**
 * The cluster's sweep, at most `maxAgeMs` old: read from the state table, or made here when it is
 * stale and no other invocation is making it. Undefined when there is none to use (the table or ECS
 * failed, another invocation is mid-sweep with nothing recent, too many instances): the caller then
 * looks for itself, as before.
 */
export async function clusterSweep(deps: SweepDeps): Promise<ClusterSweep | undefined> {
  const { table, cluster, now, maxAgeMs } = deps;
  const key = sweepKey(cluster);
  const read = async () => {
    const { Item } = await call('dynamodb:GetItem', `${table}/${key.pk}`, () =>
      dynamodb.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true })),
    );
    return fromItem(Item);
  };
  const stored = await read();
  const at = now();
  if (stored && at - stored.at <= maxAgeMs) return stored;

  // Stale: claim the refresh for a little longer than one sweep takes.
  try {
    await call('dynamodb:UpdateItem', `${table}/${key.pk}`, () =>
      dynamodb.send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET claimedBy = :owner, claimedUntil = :until, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(claimedUntil) OR claimedUntil < :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':owner': deps.owner,
            ':until': at + maxAgeMs,
            ':now': at,
            ':ttl': Math.ceil(at / 1000) + TTL_SECONDS,
          },
        }),
      ),
    );
  } catch (error) {
    if (kindOf(error) !== 'conflict') throw error;
    // Another drain of the cluster is sweeping now: its look serves this one too.
    await deps.sleep(OTHER_SWEEP_WAIT_MS);
    const theirs = await read();
    return theirs && now() - theirs.at <= maxAgeMs + OTHER_SWEEP_WAIT_MS ? theirs : undefined;
  }

  const arns = await listContainerInstanceArns(cluster, { status: 'DRAINING' });
  if (arns.length > MAX_SWEPT) return undefined;
  const { items } = await describeContainerInstances(cluster, arns);
  const busy: Record<string, number> = {};
  for (const instance of items) {
    if (instance.containerInstanceArn && instance.status === 'DRAINING') {
      busy[instance.containerInstanceArn] =
        (instance.runningTasksCount ?? 0) + (instance.pendingTasksCount ?? 0);
    }
  }
  // An instance described with a failure is absent from `busy`: its drain looks for itself.
  const sweptAt = now();
  await call('dynamodb:PutItem', `${table}/${key.pk}`, () =>
    dynamodb.send(
      new PutCommand({
        TableName: table,
        Item: { ...key, at: sweptAt, busy, ttl: Math.ceil(sweptAt / 1000) + TTL_SECONDS },
      }),
    ),
  );
  return { at: sweptAt, busy: new Map(Object.entries(busy)) };
}

/**
 * Whether this drain can skip its full look this interval: the sweep saw its instance DRAINING with
 * more tasks wanted running or pending than the DAEMON tasks its last full look left (ECS stops those
 * last), so some other task is certainly still there.
 */
export function busyPerSweep(
  sweep: ClusterSweep | undefined,
  containerInstanceArn: string | undefined,
  daemonTasksAtLastLook: number,
): boolean {
  if (!sweep || !containerInstanceArn) return false;
  const count = sweep.busy.get(containerInstanceArn);
  return count !== undefined && count > daemonTasksAtLastLook;
}
