import type { alertKey } from '../keys';
import * as once from '../primitives';
import { jobsTable } from './table';

/** A job's alerts sent once (pk `job#<job>`, sk `alert#<kind>#<key>`), on the alert-once primitive. */
type AlertKey = ReturnType<typeof alertKey>;

/**
 * Claims the right to send an alert. Free when never sent, when the last one expired (`repeatAfterS`),
 * or when a claimer died before sending (its claim older than `leaseMs`).
 */
export function claimAlert(
  table: string,
  key: AlertKey,
  now: number,
  repeatAfterS: number,
  leaseMs = 60_000,
): Promise<boolean> {
  return once.claimAlert(jobsTable(table), key, now, repeatAfterS, leaseMs);
}

export function markAlertSent(table: string, key: AlertKey, now: number, messageId?: string): Promise<void> {
  return once.markAlertSent(jobsTable(table), key, now, messageId);
}

export function releaseAlertClaim(table: string, key: AlertKey): Promise<void> {
  return once.releaseAlertClaim(jobsTable(table), key);
}
