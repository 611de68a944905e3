/**
 * Act: applies one plan. Every step is safe to repeat: removals go through
 * TerminateInstanceInAutoScalingGroup with decrement (the drain-instance hook drains the instance
 * first), the desired capacity is set to an absolute number, protection and markers are states.
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import {
  describeAutoScalingGroups,
  setDesiredCapacity,
  setInstanceProtection,
  terminateInstanceAndDecrement,
} from '../aws/autoscaling';
import { errorMessage, kindOf } from '../aws/errors';
import type { Observation } from './observe';
import type { CapacityPlan } from './planner';
import {
  deleteIdleMarker,
  deleteSeenMarker,
  deleteStallMarker,
  putFailingRaise,
  putIdleMarker,
  putRememberedTypes,
  putSeenMarker,
  putStallMarker,
  type StallMarker,
} from './state';

export interface ActionOutcome {
  action: 'terminate' | 'protect' | 'unprotect' | 'set-desired-capacity' | 'state';
  target: string;
  result: 'done' | 'skipped' | 'failed';
  detail?: string;
}

export interface ActResult {
  outcomes: ActionOutcome[];
  removed: string[];
  /** The desired capacity set, when it was. */
  desiredCapacity: number | undefined;
  /** What it was raised from: the base (desired or live instances, the larger) less the removals. */
  raisedFrom: number;
  failures: number;
}

export interface ActInput {
  table: string;
  plan: CapacityPlan;
  /** The larger of the desired capacity and the live instances, as observed (default: the desired). */
  base?: number;
  observation: Observation;
  now: number;
  /** Demand ECS failed to place where the plan put it: remembered so the next passes plan new instances. */
  stalls?: StallMarker[];
}

export async function applyPlan({
  table,
  plan,
  base: observedBase,
  observation,
  now,
  stalls = [],
}: ActInput): Promise<ActResult> {
  const outcomes: ActionOutcome[] = [];
  const group = observation.groupName;
  const { cluster, capacityProvider } = plan;

  const attempt = async (
    action: ActionOutcome['action'],
    target: string,
    run: () => Promise<unknown>,
    benign: ReadonlySet<string> = new Set(),
  ): Promise<boolean> => {
    try {
      await run();
      outcomes.push({ action, target, result: 'done' });
      return true;
    } catch (error) {
      const kind = kindOf(error);
      outcomes.push({
        action,
        target,
        result: benign.has(kind) ? 'skipped' : 'failed',
        detail: errorMessage(error),
      });
      return false;
    }
  };

  // Removals first: each lowers the desired capacity by one. The plan made none while Terminate was
  // suspended; the group is re-read so one suspended since this pass observed it is obeyed too.
  const removed: string[] = [];
  const beforeRemovals = plan.removals.length > 0 ? await freshGroup(group) : undefined;
  const heldRemovals =
    beforeRemovals instanceof Error
      ? `re-reading the group: ${errorMessage(beforeRemovals)}`
      : isSuspended(beforeRemovals, 'Terminate')
        ? `Terminate is suspended on ${group}`
        : undefined;
  for (const removal of heldRemovals ? [] : plan.removals) {
    // Gone already, or no longer removable (not InService, or the group reached its minimum).
    const ok = await attempt(
      'terminate',
      removal.instanceId,
      () => terminateInstanceAndDecrement(removal.instanceId),
      new Set(['not-found', 'invalid']),
    );
    if (ok) removed.push(removal.instanceId);
  }
  if (heldRemovals) {
    for (const removal of plan.removals) {
      outcomes.push({
        action: 'terminate',
        target: removal.instanceId,
        result: beforeRemovals instanceof Error ? 'failed' : 'skipped',
        detail: heldRemovals,
      });
    }
  }

  if (plan.protect.length > 0) {
    await attempt('protect', plan.protect.join(','), () => setInstanceProtection(group, plan.protect, true));
  }
  if (plan.unprotect.length > 0) {
    await attempt('unprotect', plan.unprotect.join(','), () =>
      setInstanceProtection(group, plan.unprotect, false),
    );
  }

  // One scale-out decision, from the desired capacity the removals actually left. It is re-read just
  // before: another pass (or a person) may have raised it since this one observed, and an absolute
  // SetDesiredCapacity from the older value would lower it (Auto Scaling then picks what to kill).
  let desiredCapacity: number | undefined;
  const base = (observedBase ?? plan.currentDesired) - removed.length;
  const target = Math.max(plan.limits.min, Math.min(base + plan.scaleOut, plan.limits.max));
  if (target > base) {
    const fresh = await freshGroup(group);
    const freshDesired = fresh instanceof Error ? undefined : fresh?.DesiredCapacity;
    if (fresh instanceof Error) {
      outcomes.push({
        action: 'set-desired-capacity',
        target: `${group}=${target}`,
        result: 'failed',
        detail: `re-reading the desired capacity: ${errorMessage(fresh)}`,
      });
    } else if (isSuspended(fresh, 'Launch')) {
      // Suspended since this pass observed the group: an operator's freeze wins.
      outcomes.push({
        action: 'set-desired-capacity',
        target: `${group}=${target}`,
        result: 'skipped',
        detail: `Launch is suspended on ${group}`,
      });
    } else if (freshDesired !== undefined && freshDesired >= target) {
      outcomes.push({
        action: 'set-desired-capacity',
        target: `${group}=${target}`,
        result: 'skipped',
        detail: `desired capacity is already ${freshDesired}`,
      });
    } else if (
      await attempt('set-desired-capacity', `${group}=${target}`, () => setDesiredCapacity(group, target))
    ) {
      desiredCapacity = target;
    }
  }

  // State: idle markers, stall markers, remembered types. A failed write only delays a decision.
  const state = (target: string, run: () => Promise<unknown>) => attempt('state', target, run);
  const removedSet = new Set(removed);
  for (const marker of plan.idleMarkers.set) {
    if (removedSet.has(marker.instanceId)) continue;
    await state(`idle ${marker.instanceId}`, () =>
      putIdleMarker(table, cluster, capacityProvider, marker.instanceId, marker.since, now),
    );
  }
  const clear = new Set([...plan.idleMarkers.clear, ...removed, ...observation.staleIdleMarkers]);
  for (const instanceId of clear) {
    await state(`idle ${instanceId}`, () => deleteIdleMarker(table, cluster, capacityProvider, instanceId));
  }
  for (const stall of stalls) {
    await state(`stall ${stall.source}`, () => putStallMarker(table, cluster, capacityProvider, stall, now));
  }
  const withDemand = new Set(
    [...plan.placements, ...plan.unplaceable].flatMap((placement) => placement.sources),
  );
  for (const source of observation.stallMarkers.keys()) {
    if (!withDemand.has(source)) {
      await state(`stall ${source}`, () => deleteStallMarker(table, cluster, capacityProvider, source));
    }
  }
  if (desiredCapacity !== undefined && plan.launchFailures?.recordRaise) {
    // Raised while launches fail: not again for a boot timeout.
    const raisedAt = new Date(now).toISOString();
    await state('launch', () => putFailingRaise(table, cluster, capacityProvider, raisedAt, now));
  }
  for (const instanceId of observation.firstSeen) {
    const since = new Date(now).toISOString();
    await state(`seen ${instanceId}`, () =>
      putSeenMarker(table, cluster, capacityProvider, instanceId, since, now),
    );
  }
  for (const instanceId of observation.staleSeenMarkers) {
    await state(`seen ${instanceId}`, () => deleteSeenMarker(table, cluster, capacityProvider, instanceId));
  }
  if (observation.rememberTypes) {
    const types = observation.rememberTypes;
    await state('types', () => putRememberedTypes(table, cluster, capacityProvider, types, now));
  }

  return {
    outcomes,
    removed,
    desiredCapacity,
    raisedFrom: base,
    failures: outcomes.filter((outcome) => outcome.result === 'failed').length,
  };
}

const isSuspended = (group: AutoScalingGroup | undefined, process: string) =>
  (group?.SuspendedProcesses ?? []).some((suspended) => suspended.ProcessName === process);

async function freshGroup(group: string): Promise<AutoScalingGroup | undefined | Error> {
  try {
    return (await describeAutoScalingGroups([group]))[0];
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
