/**
 * What one applied pass decided, as decision records (shared/state/decisions.ts): one per instance it
 * removed, held back or (un)protected, and the provider's last decision with the plan's reasons.
 */
import type { CapacityPlan } from '../../shared/capacity/plan';
import {
  type Decision,
  type DecisionLog,
  type ProviderDecision,
  recordDecisions,
  recordProviderDecision,
} from '../../shared/state/decisions';

/** What act applied (its ActResult, as far as the records need it). */
export interface Applied {
  outcomes: readonly { action: string; target: string; result: string; detail?: string | undefined }[];
  removed: readonly string[];
  desiredCapacity: number | undefined;
}

const REMOVAL_WORDS = {
  idle: 'idle',
  consolidation: 'its tasks fit on the other instances',
  'never-registered': 'never registered in the cluster',
} as const;

export function capacityDecisions(
  plan: CapacityPlan,
  result: Applied,
): { instances: Decision[]; provider: ProviderDecision } {
  const base = {
    function: 'scale-capacity' as const,
    cluster: plan.cluster,
    group: plan.group,
    provider: plan.capacityProvider,
  };
  const instances: Decision[] = [];
  const removed = new Set(result.removed);
  for (const removal of plan.removals) {
    const why = `${REMOVAL_WORDS[removal.reason] ?? removal.reason}: ${removal.detail}`;
    if (removed.has(removal.instanceId)) {
      instances.push({
        ...base,
        instanceId: removal.instanceId,
        action: 'chosen-for-removal',
        reasons: [why, 'terminated with decrement; the drain-instance hook drains it first'],
      });
      continue;
    }
    const held = result.outcomes.filter(
      (outcome) => outcome.action === 'terminate' && outcome.target === removal.instanceId,
    );
    instances.push({
      ...base,
      instanceId: removal.instanceId,
      action: 'removal-held',
      reasons: [why, ...held.map((outcome) => `${outcome.result}: ${outcome.detail ?? ''}`)],
    });
  }
  const done = (action: 'protect' | 'unprotect') =>
    result.outcomes.some((outcome) => outcome.action === action && outcome.result === 'done');
  if (done('protect')) {
    for (const instanceId of plan.protect) {
      instances.push({
        ...base,
        instanceId,
        action: 'protection-set',
        reasons: ['it holds tasks: Auto Scaling must not choose it when it scales in'],
      });
    }
  }
  if (done('unprotect')) {
    for (const instanceId of plan.unprotect) {
      instances.push({
        ...base,
        instanceId,
        action: 'protection-released',
        reasons: ['it holds no task any more: scale-capacity may remove it once idle long enough'],
      });
    }
  }
  const scaledOut = result.desiredCapacity !== undefined && plan.scaleOut > 0;
  const did = (action: string) => instances.some((decision) => decision.action === action);
  const action =
    [
      scaledOut && 'scale-out',
      removed.size > 0 && 'scale-in',
      (did('protection-set') || did('protection-released')) && 'protection',
      did('removal-held') && 'removal held',
    ]
      .filter(Boolean)
      .join(', ') || 'no change';
  return {
    instances,
    provider: {
      cluster: plan.cluster,
      provider: plan.capacityProvider,
      group: plan.group,
      action,
      reasons: plan.reasons,
      desiredCapacity: {
        from: plan.currentDesired,
        to: result.desiredCapacity ?? plan.currentDesired - removed.size,
      },
    },
  };
}

/**
 * Writes what an applied pass did (best effort, never throws); a pass that changed nothing writes
 * nothing, so the provider's record is its last change.
 */
export async function recordCapacityDecisions(
  table: string,
  plan: CapacityPlan,
  result: Applied,
  log: DecisionLog,
): Promise<void> {
  const { instances, provider } = capacityDecisions(plan, result);
  if (provider.action === 'no change') return;
  await Promise.all([recordDecisions(table, instances, log), recordProviderDecision(table, provider, log)]);
}
