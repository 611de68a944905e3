/**
 * What one pass may spend: the time its invocation has left (a {@link TimeBudget}) and a share of what
 * each ECS token bucket gives between two passes, its burst and its refill over the period
 * (shared/ecs/api-buckets.ts). A pass checks it before each unit of work it
 * can leave to the next pass, and leaves the rest (reported, never dropped) once either would run out.
 * The rest of every bucket stays with the console, deployments and the other tools of the account.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type ApiBucket, ECS_API_BUCKETS } from '../ecs/api-buckets';
import type { TimeBudget } from './time';

/**
 * Default share, in percent, of what each bucket gives over a pass's period (its burst plus a period of
 * refill) one pass may spend (PASS_API_BUDGET_PERCENT).
 */
export const DEFAULT_PASS_API_PERCENT = 25;

/**
 * Calls a unit of work is expected to make, by operation (`ecs:DescribeTasks` or `DescribeTasks`) or by
 * bucket name (as {@link PassBudget.spent} gives them).
 */
export type ExpectedCalls = Readonly<Record<string, number>>;

export interface PassBudget extends TimeBudget {
  /** Counts one call of an operation; calls of operations in no bucket are not counted. */
  count(operation: string): void;
  /** Calls counted so far, per bucket name (buckets with none left out). */
  spent(): Record<string, number>;
  /** Calls a pass may make of a bucket: its share of what the bucket gives over a period, at least one. */
  allowance(bucket: string): number;
  /** Whether work expected to make `calls` and take `ms` fits what is left of every bucket and of the time. */
  hasRoomFor(calls: ExpectedCalls, ms?: number): boolean;
}

const operationName = (operation: string) =>
  operation.startsWith('ecs:') ? operation.slice('ecs:'.length) : operation;

/**
 * @param percent share of what each bucket gives over one period the pass may spend
 * @param periodSeconds time between two passes: a bucket gives its burst, and `sustained` calls a second
 *   over the period (0: the burst alone)
 */
export function passBudget(
  time: TimeBudget,
  { percent = DEFAULT_PASS_API_PERCENT, periodSeconds = 0, buckets = ECS_API_BUCKETS } = {} as {
    percent?: number;
    periodSeconds?: number;
    buckets?: readonly ApiBucket[];
  },
): PassBudget {
  const bucketOf = new Map(buckets.flatMap((bucket) => bucket.operations.map((op) => [op, bucket] as const)));
  const byName = new Map(buckets.map((bucket) => [bucket.name, bucket] as const));
  const counts = new Map<string, number>();
  const allowance = (name: string) => {
    const bucket = byName.get(name);
    if (!bucket) return Number.POSITIVE_INFINITY;
    return Math.max(1, Math.floor(((bucket.burst + bucket.sustained * periodSeconds) * percent) / 100));
  };
  return {
    remainingMs: time.remainingMs,
    hasTimeFor: time.hasTimeFor,
    count(operation) {
      // Only ECS operations: other services' names (autoscaling:, dynamodb:) are in no ECS bucket.
      if (operation.includes(':') && !operation.startsWith('ecs:')) return;
      const bucket = bucketOf.get(operationName(operation));
      if (bucket) counts.set(bucket.name, (counts.get(bucket.name) ?? 0) + 1);
    },
    spent: () => Object.fromEntries(counts),
    allowance,
    hasRoomFor(calls, ms = 0) {
      if (!time.hasTimeFor(ms)) return false;
      const wanted = new Map<string, number>();
      for (const [operation, n] of Object.entries(calls)) {
        const bucket = bucketOf.get(operationName(operation)) ?? byName.get(operation);
        if (bucket) wanted.set(bucket.name, (wanted.get(bucket.name) ?? 0) + n);
      }
      // A bucket already spent stops the pass even for work expected not to touch it: estimates are rough.
      for (const name of counts.keys()) if (!wanted.has(name)) wanted.set(name, 0);
      for (const [name, n] of wanted) {
        const spent = counts.get(name) ?? 0;
        if (spent >= allowance(name) || spent + n > allowance(name)) return false;
      }
      return true;
    },
  };
}

/**
 * The budget of the pass running in the current async context. Set by a handler for one pass with
 * {@link withinPassBudget}, so concurrent or later invocations never share it; the ECS adapter counts
 * every request it sends into it (shared/aws/ecs.ts).
 */
const current = new AsyncLocalStorage<PassBudget>();

export const withinPassBudget = <T>(budget: PassBudget, run: () => Promise<T>): Promise<T> =>
  current.run(budget, run);

/** Counts a call into the running pass's budget; nothing outside a pass. */
export function countApiCall(operation: string): void {
  current.getStore()?.count(operation);
}

/** What one unit of work spent, per bucket: `spent()` after it minus `spent()` before it. */
export function callsSince(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const since: Record<string, number> = {};
  for (const [bucket, n] of Object.entries(after)) {
    const delta = n - (before[bucket] ?? 0);
    if (delta > 0) since[bucket] = delta;
  }
  return since;
}
