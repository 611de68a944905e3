import { createHash } from 'node:crypto';
import type { DrainCause } from './plan';

/** How the drain was first noticed. */
export type DrainOrigin = 'lifecycle' | 'spot' | 'reconcile';

/**
 * One drain as the state table remembers it (item `drain#<instanceId>`). ECS and Auto Scaling keep no
 * "draining since" time, so the first invocation records it with a conditional put and every later one,
 * whichever instance of the function runs it, measures the deadline and stop-after from the same start.
 */
export interface DrainRecord {
  instanceId: string;
  group: string;
  /** The lifecycle hook to complete; undefined for a Spot drain with no hook known. */
  hook: string | undefined;
  cluster: string;
  cause: DrainCause;
  origin: DrainOrigin;
  /** Hash of the lifecycle action token: tells a new action apart from a duplicate, without storing it. */
  tokenHash: string | undefined;
  /** Epoch ms. */
  startedAt: number;
  lastHeartbeatAt: number | undefined;
  completedAt: number | undefined;
  outcome: string | undefined;
  /** The invocation working on the drain now, and until when; others leave it alone meanwhile. */
  leaseOwner: string | undefined;
  leaseUntil: number | undefined;
  /** Tasks still holding the drain at its last heartbeat: what a lost hook leaves behind. */
  remainingTasks?: number | undefined;
  /** The container instance a look saw: found again by ARN once deregistered (ECS lists no INACTIVE one). */
  containerInstanceArn?: string | undefined;
  /** Epoch ms a warm-pool drain's instance, back in service, was set ACTIVE again. */
  returnedAt?: number | undefined;
}

/** Auto Scaling's global limit for one lifecycle action: no drain can be the same action after this. */
export const MAX_ACTION_MS = 48 * 3600 * 1000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}

export const isOpen = (record: DrainRecord) => record.completedAt === undefined;

export function leaseHeldByOther(record: DrainRecord, owner: string, now: number): boolean {
  return (
    record.leaseOwner !== undefined &&
    record.leaseOwner !== owner &&
    record.leaseUntil !== undefined &&
    record.leaseUntil > now
  );
}

/**
 * Whether a stored drain belongs to an earlier lifecycle action of the same instance (warm pools reuse
 * instances): another token, or older than any action can live. A record without a token (from a Spot
 * warning or a reconcile pass) is adopted by the action's first event.
 */
export function isEarlierAction(record: DrainRecord, tokenHash: string | undefined, now: number): boolean {
  if (now - record.startedAt > MAX_ACTION_MS) return true;
  return tokenHash !== undefined && record.tokenHash !== undefined && record.tokenHash !== tokenHash;
}
