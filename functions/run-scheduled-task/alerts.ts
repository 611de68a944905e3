import { publishAlert } from '../../shared/aws/sns';
import type { JobAlert } from '../../shared/schedule/alerts';
import type { ScheduleStore } from '../../shared/state/jobs/store';
import type { alertKey } from '../../shared/state/keys';

export type AlertResult = 'sent' | 'already-sent';

/**
 * Sends an alert once per key: claim (conditional write), publish, mark sent. A publish that fails
 * releases the claim and rethrows, so the retry sends it; a claimer that dies before sending leaves a
 * claim that expires after a minute. Neither lost nor doubled.
 */
export async function alertOnce(
  store: ScheduleStore,
  topicArn: string,
  key: ReturnType<typeof alertKey>,
  alert: JobAlert,
  now: number,
  repeatAfterSeconds: number,
): Promise<AlertResult> {
  if (!(await store.claimAlert(key, now, repeatAfterSeconds))) return 'already-sent';
  let messageId: string | undefined;
  try {
    messageId = await publishAlert(topicArn, alert);
  } catch (error) {
    await store.releaseAlertClaim(key);
    throw error;
  }
  await store.markAlertSent(key, now, messageId);
  return 'sent';
}
