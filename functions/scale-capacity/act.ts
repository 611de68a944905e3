/**
 * Act: applies one plan. Every step is safe to repeat: removals go through
 * TerminateInstanceInAutoScalingGroup with decrement (the drain-instance hook drains the instance
 * first), the desired capacity is set to an absolute number, protection and markers are states.
 *
 * An idle instance is set DRAINING and its tasks listed again just before its termination: ECS places
 * no new task on a DRAINING instance, so one placed since the pass saw it idle is found here, and the
 * instance is set ACTIVE again and kept. Removals start only within REMOVAL_DEADLINE_MS of the
 * observation; a later pass re-decides from fresh state.
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import {
  describeAutoScalingGroups,
  setDesiredCapacity,
  setInstanceProtection,
  terminateInstanceAndDecrement,
} from '../../shared/aws/autoscaling';
import { describeTasks, listTaskArns, setContainerInstancesStatus } from '../../shared/aws/ecs';
import { errorMessage, kindOf } from '../../shared/aws/errors';
import type { CapacityPlan } from '../../shared/capacity/planner';
import {
  deleteIdleMarker,
  deleteSeenMarker,
  deleteStallMarker,
  putAgentMarker,
  putFailingRaise,
  putIdleMarker,
  putRememberedTypes,
  putRemovingMarker,
  putSeenMarker,
  putStallMarker,
  type StallMarker,
} from '../../shared/state/capacity';
import type { Observation } from './observe';

/** How long after its observation a pass may still start a removal. */
export const REMOVAL_DEADLINE_MS = 60_000;

export interface ActionOutcome {
  action: 'terminate' | 'drain' | 'protect' | 'unprotect' | 'set-desired-capacity' | 'state';
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
  /** The time now (for the removal deadline); defaults to Date.now. */
  clock?: () => number;
}

export async function applyPlan({
  table,
  plan,
  base: observedBase,
  observation,
  now,
  stalls = [],
  clock = Date.now,
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
  /** Gone already (not-found), or no longer removable (not InService, the group at its minimum). */
  let lastTerminateKind: string | undefined;
  const terminate = async (instanceId: string) =>
    attempt(
      'terminate',
      instanceId,
      async () => {
        lastTerminateKind = undefined;
        try {
          await terminateInstanceAndDecrement(instanceId);
        } catch (error) {
          lastTerminateKind = kindOf(error);
          throw error;
        }
      },
      new Set(['not-found', 'invalid']),
    );
  const ec2Ids = new Map(observation.snapshot.instances.map((instance) => [instance.id, instance]));
  /**
   * An idle instance: DRAINING first, its tasks listed again, then terminated; set ACTIVE again when a
   * task is on it (placed since it was seen idle) or it could not be terminated.
   */
  const removeIdle = async (instanceId: string, arn: string, since: string): Promise<boolean> => {
    const age = clock() - now;
    if (age > REMOVAL_DEADLINE_MS) {
      outcomes.push({
        action: 'terminate',
        target: instanceId,
        result: 'skipped',
        detail: `pass deadline: observed ${Math.round(age / 1000)} s ago (limit ${REMOVAL_DEADLINE_MS / 1000} s); the next pass decides again`,
      });
      return false;
    }
    // Remembered first, so a pass cut short after DRAINING is finished by the next one.
    const at = new Date(clock()).toISOString();
    if (
      !(await attempt('state', `removing ${instanceId}`, () =>
        putRemovingMarker(table, cluster, capacityProvider, instanceId, since, at, now),
      ))
    )
      return false;
    let drained = false;
    const drain = await attempt('drain', instanceId, async () => {
      const { failures } = await setContainerInstancesStatus(cluster, [arn], 'DRAINING');
      if (failures.length > 0) {
        throw new Error(
          `UpdateContainerInstancesState DRAINING: ${failures.map((f) => `${f.reason}${f.detail ? ` (${f.detail})` : ''}`).join(', ')}`,
        );
      }
      drained = true;
    });
    if (!drain) return false;
    const busy = await tasksHolding(cluster, arn, observation.daemonGroups);
    if (busy.length === 0) {
      if (await terminate(instanceId)) return true;
      // Gone already: nothing to set back.
      if (lastTerminateKind === 'not-found') return false;
    } else {
      outcomes.push({
        action: 'terminate',
        target: instanceId,
        result: 'skipped',
        detail: `not idle any more: ${busy.join(', ')}; set ACTIVE again`,
      });
    }
    // A task landed on it, its tasks could not be listed, or Auto Scaling refused: back in service.
    if (drained) {
      await attempt('drain', `${instanceId}=ACTIVE`, () =>
        setContainerInstancesStatus(cluster, [arn], 'ACTIVE'),
      );
      await attempt('state', `idle ${instanceId}`, () =>
        deleteIdleMarker(table, cluster, capacityProvider, instanceId),
      );
    }
    return false;
  };

  // Removals a pass cut short left DRAINING: finished first (they were decided and counted then).
  for (const pending of heldRemovals ? [] : observation.removing) {
    if (await removeIdle(pending.instanceId, pending.arn, pending.since)) removed.push(pending.instanceId);
  }
  for (const removal of heldRemovals ? [] : plan.removals) {
    const instance = ec2Ids.get(removal.instanceId);
    const ok =
      removal.reason === 'idle' && instance?.arn
        ? await removeIdle(
            removal.instanceId,
            instance.arn,
            instance.idleSince ?? new Date(now).toISOString(),
          )
        : // Never registered: ECS cannot place on it. Consolidation: the terminate hook drains it.
          await terminate(removal.instanceId);
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
  for (const agent of observation.agentMarkers) {
    await state(`agent ${agent.instanceId}`, () =>
      putAgentMarker(table, cluster, capacityProvider, agent.instanceId, agent.since, now),
    );
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

/**
 * The tasks that hold an instance: listed now, daemon tasks left out. A task ECS lists but does not
 * describe (`failures[]`) holds it too: it is not known to be gone.
 */
async function tasksHolding(
  cluster: string,
  arn: string,
  daemonGroups: ReadonlySet<string>,
): Promise<string[]> {
  try {
    const arns = await listTaskArns(cluster, { containerInstance: arn });
    if (arns.length === 0) return [];
    const { items, failures } = await describeTasks(cluster, arns);
    return [
      ...items
        .filter(
          (task) =>
            task.containerInstanceArn === arn &&
            task.lastStatus !== 'STOPPED' &&
            !daemonGroups.has(task.group ?? ''),
        )
        .map(
          (task) => `task ${task.taskArn ?? '?'} (${task.group ?? 'no group'}, ${task.lastStatus ?? '?'})`,
        ),
      ...failures.map((failure) => `task ${failure.arn ?? '?'} (not described: ${failure.reason ?? '?'})`),
    ];
  } catch (error) {
    return [`its tasks could not be listed (${errorMessage(error)})`];
  }
}
