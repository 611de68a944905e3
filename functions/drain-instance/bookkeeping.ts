import { errorMessage, kindOf } from '../../shared/aws/errors';
import { PendingDecisions } from '../../shared/state/decisions';
import type { DrainContext } from './runtime';

/**
 * A state-table call that must never stop a drain (issue #15: safety never waits on bookkeeping). On
 * failure it logs an error, counts `DrainStateErrors` and answers `fallback`; the drain goes on without
 * the record (no shared start time, no lease, no once-only counting) until the table answers again.
 */
export async function bestEffort<T>(
  runtime: DrainContext,
  what: string,
  keys: Record<string, unknown>,
  fallback: T,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    runtime.logger.error(`State table unavailable: ${what}; the drain goes on without it`, {
      ...keys,
      errorKind: kindOf(error),
      error: errorMessage(error),
    });
    runtime.metrics.addMetric('DrainStateErrors', 'Count', 1);
    return fallback;
  }
}

/**
 * This container's decisions not yet written (`why <instance>`): added as they are made, written by
 * `act` after the pass's actions, so the records never delay a heartbeat or DRAINING.
 */
export const pendingDecisions = new PendingDecisions();

export function decided(
  target: { instanceId: string; cluster: string; group: string },
  action: string,
  reasons: string[],
): void {
  pendingDecisions.add({
    instanceId: target.instanceId,
    function: 'drain-instance',
    action,
    reasons,
    cluster: target.cluster,
    group: target.group,
  });
}
