/** How far the plan may scale out this pass. */

import type { Fleet } from './bins';
import type { Bin } from './packing';
import type { CapacityPlan } from './plan';
import type { CapacitySnapshot } from './snapshot';

export interface ScaleOutLimits {
  /** The desired capacity after this pass's removals. */
  afterRemovals: number;
  scaleOut: number;
  limitedBy: CapacityPlan['limitedBy'];
  /** Held by a suspended Launch. */
  heldScaleOut: number;
  /** New instances the maximum allows that would land only in zones no pending task can use. */
  uselessUnderMax: number;
  /** Held while launches fail (raised less than a boot timeout ago). */
  failingHeld: number;
  recordRaise: boolean;
  desiredCapacity: number;
}

/**
 * The scale-out within the group's limits: the step, the maximum, a suspended Launch, and launches
 * that keep failing (the desired capacity raised at most once per boot timeout for them).
 */
export function limitScaleOut(input: {
  snapshot: CapacitySnapshot;
  now: number;
  fleet: Fleet;
  newBins: Bin[];
  removals: number;
}): ScaleOutLimits {
  const { snapshot, now, fleet, newBins } = input;
  const { group, settings } = snapshot;
  const { launchFailing, launchSuspended, requested } = fleet;
  const newInstances = newBins.length;
  // One desired capacity: removals decrement it, then the scale-out is added within max and step.
  const afterRemovals = group.desired - input.removals;
  // Launches failing: the unlaunched desired capacity is not on the way, so the demand asks for it
  // again; only what it needs beyond the desired capacity already set is added (Auto Scaling keeps
  // retrying the desired capacity it has on its own).
  let scaleOut = launchFailing ? Math.max(0, newInstances - requested) : newInstances;
  let limitedBy: CapacityPlan['limitedBy'];
  let heldScaleOut = 0;
  if (launchSuspended && scaleOut > 0) {
    heldScaleOut = Math.min(scaleOut, settings.maxStep, Math.max(0, group.max - afterRemovals));
    scaleOut = 0;
    limitedBy = 'launch-suspended';
  }
  if (scaleOut > settings.maxStep) {
    scaleOut = settings.maxStep;
    limitedBy = 'step';
  }
  if (afterRemovals + scaleOut > group.max) {
    scaleOut = Math.max(0, group.max - afterRemovals);
    limitedBy = 'max';
  }
  // Under the maximum, instances that would only land in zones no pending task can use (the zone
  // order has not reached theirs yet) are not launched: nothing would come of them but idle capacity.
  let uselessUnderMax = 0;
  if (limitedBy === 'max' && !launchFailing) {
    let useful = 0;
    newBins.slice(0, scaleOut).forEach((bin, index) => {
      if (bin.placed > 0) useful = index + 1;
    });
    uselessUnderMax = scaleOut - useful;
    scaleOut = useful;
  }
  // While launches fail, the desired capacity is raised at most once per boot timeout.
  let failingHeld = 0;
  let recordRaise = false;
  if (launchFailing) {
    const raisedAt = group.failingRaiseAt ? Date.parse(group.failingRaiseAt) : Number.NaN;
    if (scaleOut > 0 && now - raisedAt < settings.bootTimeoutSeconds * 1000) {
      failingHeld = scaleOut;
      scaleOut = 0;
      limitedBy = 'launch-failing';
    }
    recordRaise = scaleOut > 0;
  }
  const desiredCapacity = Math.max(group.min, afterRemovals + scaleOut);

  return {
    afterRemovals,
    scaleOut,
    limitedBy,
    heldScaleOut,
    uselessUnderMax,
    failingHeld,
    recordRaise,
    desiredCapacity,
  };
}
