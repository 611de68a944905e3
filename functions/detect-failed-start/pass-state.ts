import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '../../shared/aws/dynamodb';
import { call } from '../../shared/aws/errors';
import { EPISODE_EXPIRY_MS, ttlAt } from '../../shared/failed-start/decide';

/**
 * Where the periodic pass left off in a cluster (`failure#pass#<cluster>` / `pass`): ListTasks cannot
 * filter by stop time, so "what is new since the last look" is kept as the listing's position (the next
 * page, when the last pass stopped at its cap) and the tasks already looked at that need no marker (they
 * ran, then stopped), each with its stoppedAt. Tasks that failed to start have their own markers.
 */
export interface PassState {
  /** ListTasks' nextToken where the last pass stopped at its cap; none: start from the first page. */
  nextToken?: string;
  /** When the last pass looked (its start): the watermark the looked-at tasks are kept against. */
  lookedAt?: number;
  /** Task ids looked at that need nothing (ran, then stopped) -> their stoppedAt (ms). */
  seen: Record<string, number>;
  /**
   * Task families and custom groups (not services) -> the latest start of one of their tasks seen by a
   * pass: a problem of a family is resolved once it ran a task after its last failure, even when that
   * task was looked at (and skipped since) by an earlier pass.
   */
  ranAt: Record<string, number>;
}

const SK = 'pass';
const key = (cluster: string) => ({ pk: `failure#pass#${cluster}`, sk: SK });
/** ECS keeps stopped tasks about an hour; kept a little longer, for clock skew between ECS and us. */
export const SEEN_KEPT_MS = 75 * 60_000;
/** Keeps the item small (an entry is about 45 bytes: 2,000 make 90 KB); the oldest go first. */
export const SEEN_MAX = 2_000;

export async function readPassState(table: string, cluster: string): Promise<PassState> {
  const { Item } = await call('dynamodb:GetItem', `${table}/${key(cluster).pk}`, () =>
    dynamodb.send(new GetCommand({ TableName: table, Key: key(cluster), ConsistentRead: true })),
  );
  return {
    ...(typeof Item?.nextToken === 'string' ? { nextToken: Item.nextToken } : {}),
    ...(typeof Item?.lookedAt === 'number' ? { lookedAt: Item.lookedAt } : {}),
    seen: (Item?.seen ?? {}) as Record<string, number>,
    ranAt: (Item?.ranAt ?? {}) as Record<string, number>,
  };
}

/** The looked-at tasks ECS may still list: stopped within SEEN_KEPT_MS of `now`, the newest SEEN_MAX. */
export function pruneSeen(seen: Record<string, number>, now: number): Record<string, number> {
  const kept = Object.entries(seen)
    .filter(([, stoppedAt]) => stoppedAt >= now - SEEN_KEPT_MS)
    .sort(([, a], [, b]) => b - a)
    .slice(0, SEEN_MAX);
  return Object.fromEntries(kept);
}

const kept = (state: PassState, now: number) => ({
  ...(state.nextToken ? { nextToken: state.nextToken } : {}),
  seen: pruneSeen(state.seen, now),
  // A problem is quiet for a day at most before it is closed: older starts can resolve nothing.
  ranAt: Object.fromEntries(Object.entries(state.ranAt).filter(([, at]) => at >= now - EPISODE_EXPIRY_MS)),
});

/**
 * Records where this pass left off, unless nothing changed since the last one (a quiet pass writes
 * nothing). Last writer wins: a pass that overlaps another at worst looks at some tasks again.
 */
export async function writePassState(
  table: string,
  cluster: string,
  state: PassState,
  previous: PassState,
  now: number,
): Promise<void> {
  const next = kept(state, now);
  const before = kept(previous, now);
  if (
    next.nextToken === before.nextToken &&
    sameEntries(next.seen, before.seen) &&
    sameEntries(next.ranAt, before.ranAt) &&
    Object.keys(previous.seen).length === Object.keys(before.seen).length
  )
    return;
  await call('dynamodb:PutItem', `${table}/${key(cluster).pk}`, () =>
    dynamodb.send(
      new PutCommand({
        TableName: table,
        Item: { ...key(cluster), ...next, lookedAt: now, ttl: ttlAt(now, 2 * 24 * 3600) },
      }),
    ),
  );
}

function sameEntries(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((name) => a[name] === b[name]);
}
