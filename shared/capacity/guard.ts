/**
 * The last word on a plan before it is acted on: what the planner decided from the snapshot, checked
 * against what this pass could not see and against the group's own state. Pure: the facts come from
 * observe, the result is a plan (with what was held back and why) for act.
 *
 * - A partial view (a read's `failures[]`, a read cut short) is never a fact: such a pass may add
 *   capacity but removes nothing it could not see. An instance that looks unregistered may be one ECS
 *   did not describe, so no "never registered" removal; consolidation needs every instance's room.
 * - Every removal, whatever its reason, counts against MAX_SCALE_IN and honours scale-in protection
 *   (TerminateInstanceInAutoScalingGroup itself ignores it). An instance held only by its
 *   protection has it released, so the next pass may remove it.
 * - Replacements an instance refresh launched are not removed as idle while the refresh runs.
 * - The base for a raise is the larger of the desired capacity and the instances InService or
 *   Pending: with more (protected) instances than desired, desired + 1 would launch nothing.
 */
import type { CapacityPlan, Removal } from './planner';
import type { CapacitySettings } from './snapshot';

export type HoldReason = 'partial-view' | 'protected' | 'max-scale-in' | 'instance-refresh';

export interface HeldRemoval extends Removal {
  heldBecause: HoldReason;
}

export interface GuardFacts {
  /** Why the view is partial; empty when complete. */
  partial: readonly string[];
  /** Instances Auto Scaling protects from scale-in. */
  protectedIds: ReadonlySet<string>;
  /** Instances InService or Pending in the group. */
  liveInstances: number;
  /** Instances launched by an instance refresh still running (not to be removed as idle). */
  refreshReplacements?: ReadonlySet<string>;
  /** Instances whose protection must go (an instance refresh or the maximum lifetime replaces them). */
  releaseProtection?: ReadonlySet<string>;
}

export interface GuardedPlan {
  plan: CapacityPlan;
  /** The larger of the desired capacity and the live instances: what removals and a raise start from. */
  base: number;
  held: HeldRemoval[];
}

export function guardPlan(plan: CapacityPlan, facts: GuardFacts, settings: CapacitySettings): GuardedPlan {
  const reasons = [...plan.reasons];
  const held: HeldRemoval[] = [];
  const kept: Removal[] = [];
  const unprotect = new Set(plan.unprotect);
  const protect = new Set(plan.protect);
  const partial = facts.partial.length > 0;
  const limit = removalLimit(settings.maxScaleIn, facts.liveInstances);

  for (const removal of plan.removals) {
    if (partial && removal.reason !== 'idle') {
      held.push({ ...removal, heldBecause: 'partial-view' });
      continue;
    }
    if (removal.reason === 'idle' && facts.refreshReplacements?.has(removal.instanceId)) {
      held.push({ ...removal, heldBecause: 'instance-refresh' });
      continue;
    }
    if (facts.protectedIds.has(removal.instanceId)) {
      held.push({ ...removal, heldBecause: 'protected' });
      // Released now, removable next pass if it still should go (a consolidated one is drained by
      // the terminate hook whoever terminates it).
      unprotect.add(removal.instanceId);
      protect.delete(removal.instanceId);
      continue;
    }
    if (kept.length >= limit) {
      held.push({ ...removal, heldBecause: 'max-scale-in' });
      continue;
    }
    kept.push(removal);
  }
  const released: string[] = [];
  for (const id of facts.releaseProtection ?? []) {
    protect.delete(id);
    if (facts.protectedIds.has(id) && !unprotect.has(id)) {
      unprotect.add(id);
      released.push(id);
    }
  }
  if (released.length > 0) {
    reasons.push(
      `scale-in protection given back on ${released.join(', ')}: an instance refresh or the maximum instance lifetime replaces them (the terminate hook drains them)`,
    );
  }

  if (partial) {
    reasons.push(
      `partial view, nothing unseen removed: ${facts.partial.join('; ')}${
        held.some((removal) => removal.heldBecause === 'partial-view')
          ? ` (held: ${heldText(held, 'partial-view')})`
          : ''
      }`,
    );
  }
  for (const why of ['protected', 'max-scale-in', 'instance-refresh'] as const) {
    if (!held.some((removal) => removal.heldBecause === why)) continue;
    const text = {
      protected: 'protected from scale-in, protection released first',
      'max-scale-in': `MAX_SCALE_IN allows ${limit} removal(s) per pass, every reason counted`,
      'instance-refresh': 'launched by the instance refresh in progress',
    }[why];
    reasons.push(`not removed now (${text}): ${heldText(held, why)}`);
  }

  // Desired from reality: instances beyond the desired capacity (protected ones Auto Scaling cannot
  // take back) are counted, or a raise would only catch the desired capacity up with them.
  const base = Math.max(plan.currentDesired, facts.liveInstances);
  if (base > plan.currentDesired && plan.scaleOut > 0) {
    reasons.push(
      `the group runs ${facts.liveInstances} instance(s) InService or Pending, above its desired capacity of ${plan.currentDesired}: the scale-out starts from ${base}`,
    );
  }
  const { min, max } = plan.limits;
  const afterRemovals = base - kept.length;
  let scaleOut = Math.max(0, Math.min(plan.scaleOut, max - afterRemovals));
  let limitedBy = plan.limitedBy;
  if (scaleOut < plan.scaleOut) limitedBy = 'max';
  const raised = Math.max(min, afterRemovals + scaleOut);
  const desiredCapacity = scaleOut > 0 ? raised : Math.max(min, plan.currentDesired - kept.length);
  scaleOut = scaleOut > 0 ? raised - afterRemovals : 0;

  return {
    plan: {
      ...plan,
      removals: kept,
      protect: [...protect],
      unprotect: [...unprotect],
      desiredCapacity,
      scaleOut,
      limitedBy,
      reasons,
    },
    base,
    held,
  };
}

const heldText = (held: HeldRemoval[], why: HoldReason) =>
  held
    .filter((removal) => removal.heldBecause === why)
    .map((removal) => `${removal.instanceId} (${removal.reason})`)
    .join(', ');

/** MAX_SCALE_IN: a count, a percentage of the live instances (at least one), or both. */
export function removalLimit(
  limit: { count?: number | undefined; percent?: number | undefined },
  instances: number,
): number {
  let allowed = Number.POSITIVE_INFINITY;
  if (limit.count !== undefined) allowed = Math.min(allowed, limit.count);
  if (limit.percent !== undefined)
    allowed = Math.min(allowed, Math.max(1, Math.floor((instances * limit.percent) / 100)));
  return allowed;
}
