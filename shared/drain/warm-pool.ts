import { type DrainRecord, isOpen } from './record';

/** Drain outcomes after which the instance went on to the warm pool with its container instance DRAINING. */
const POOLED_OUTCOMES: ReadonlySet<string> = new Set(['drained', 'deadline-expired', 'not-registered']);

export type WarmReturnDecision =
  | { action: 'reactivate'; reason: string }
  | { action: 'leave'; reason: string }
  /** DRAINING, in service, and nothing says why: capacity nobody can use, reported, not touched. */
  | { action: 'stranded'; reason: string };

/**
 * An instance back in service from the warm pool whose container instance is still DRAINING (ECS keeps
 * the status across the stop): set it ACTIVE again when our drain put it DRAINING on its way into the
 * pool and it has not been given back since; leave it when a drain of it is under way (a new terminate
 * action), or when it is not ours to undo. Without a readable record it is reported as stranded.
 */
export function warmReturn(record: DrainRecord | undefined, recordUnknown: boolean): WarmReturnDecision {
  if (recordUnknown)
    return {
      action: 'stranded',
      reason: 'its drain record could not be read: left DRAINING, unusable by ECS',
    };
  if (!record)
    return { action: 'leave', reason: 'no drain of ours on record: DRAINING was set by someone else' };
  if (isOpen(record)) return { action: 'leave', reason: 'a drain of it is under way' };
  if (record.cause !== 'warm-pool' || !POOLED_OUTCOMES.has(record.outcome ?? ''))
    return {
      action: 'leave',
      reason: `its last drain (${record.cause}, ${record.outcome}) did not send it to the warm pool`,
    };
  if (record.returnedAt !== undefined && record.returnedAt >= (record.completedAt ?? 0))
    return {
      action: 'leave',
      reason: 'already set ACTIVE after this return: DRAINING since is someone else’s',
    };
  return { action: 'reactivate', reason: 'drained on its way into the warm pool, now back in service' };
}
