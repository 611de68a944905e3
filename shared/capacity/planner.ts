/**
 * scale-capacity's decision: a pure function of a snapshot and the time. It simulates placing the
 * pending demand on registered instances, then on instances still booting, then on new instances
 * of the group's type, and derives from that one desired capacity, the idle instances to remove,
 * scale-in protection changes and the demand that can never be placed. The steps live beside it:
 * bins.ts (what each instance offers), items.ts (demand), placement.ts (new instances), scale-in.ts
 * (removals), limits.ts (min, max, step, suspended and failing launches), explain.ts (reasons).
 */
import {
  freshBin,
  launchingBin,
  newInstanceTemplate,
  registeredBin,
  unreadDaemonOverhead,
  ZoneBalancer,
} from './bins';
import {
  allowedZones,
  assignmentsOf,
  explain,
  sourcesOf,
  sum,
  summarize,
  utilizationOf,
  zoneWaits,
} from './explain';
import { groupDemand, headroomItem, whyUnplaceable } from './items';
import { launchType } from './launch-type';
import { lowerBound } from './lower-bound';
import { compileMemberOf as defaultCompileMemberOf } from './member-of';
import { type Bin, dotProduct, fillBin, fits, type ItemGroup } from './packing';
import { fullness, packNew, trimTrailingEmpty } from './placement';
import { type CapacityPlan, IN_DESIRED, type PlanOptions, type Removal, type Unplaceable } from './plan';
import {
  isIdle,
  leastValuableFirst,
  moveTasks,
  removalLimit,
  taskProtection,
  utilization,
  ZoneCounts,
  zoneOf,
} from './scale-in';
import type { CapacitySnapshot, RegisteredInstance } from './snapshot';

export { freshBin, newInstanceTemplate, ZoneBalancer } from './bins';
export { groupDemand } from './items';
export type {
  Assignment,
  CapacityPlan,
  NewInstanceSources,
  PlacementSummary,
  PlanOptions,
  Removal,
  RemovalReason,
  Unplaceable,
  UnplaceableKind,
} from './plan';
export { ZoneCounts } from './scale-in';

export function planCapacity(
  observed: CapacitySnapshot,
  now: number,
  options: PlanOptions = {},
): CapacityPlan {
  const compile = options.compileMemberOf ?? defaultCompileMemberOf;
  const reasons: string[] = [];
  // Demand, grouped by shape and constraints.
  const { items, unplaceable: badConstraints } = groupDemand(observed, compile);
  // New instances are planned as the type the group's allocation strategy launches.
  const launch = launchType(
    observed,
    items.map((item) => item.shape),
  );
  const typed: CapacitySnapshot = launch
    ? { ...observed, group: { ...observed.group, instanceTypes: launch.instanceTypes } }
    : observed;
  // Daemons whose task definition could not be read still run on every new instance.
  const unread = unreadDaemonOverhead(typed);
  const snapshot: CapacitySnapshot = unread ? { ...typed, daemonOverhead: unread.overhead } : typed;
  if (unread) reasons.push(unread.reason);
  const { group, settings } = snapshot;
  const template = newInstanceTemplate(snapshot);

  // Instances: usable, booting (launched, not registered), never registered, unusable. ECS places
  // tasks on a registered instance whatever its Auto Scaling state, so one still Pending (a launch
  // hook, a warm pool) takes placements; only InService ones are removed, protected or marked idle.
  const counted = snapshot.instances.filter((instance) => IN_DESIRED.test(instance.lifecycleState));
  const placeableOn = counted.filter((instance) => instance.status === 'ACTIVE' && instance.agentConnected);
  const usable = placeableOn.filter((instance) => instance.lifecycleState === 'InService');
  const launchingCounted = snapshot.launching.filter((instance) => IN_DESIRED.test(instance.lifecycleState));
  const bootDeadline = now - settings.bootTimeoutSeconds * 1000;
  const booting = launchingCounted.filter((instance) => Date.parse(instance.launchedAt) >= bootDeadline);
  const stuck = launchingCounted.filter((instance) => Date.parse(instance.launchedAt) < bootDeadline);
  const requested = Math.max(0, group.desired - counted.length - launchingCounted.length);
  // An operator who suspends Launch or Terminate (to freeze the group) is obeyed: no scale-out while
  // Launch is suspended, no removal while Terminate is. The other processes change nothing here.
  const suspendedProcesses = [...new Set(group.suspendedProcesses ?? [])].sort();
  const launchSuspended = suspendedProcesses.includes('Launch');
  const terminateSuspended = suspendedProcesses.includes('Terminate');
  // Desired capacity not launched yet launches only once Launch is resumed: not capacity on the way.
  // Nor while Auto Scaling's launches for it fail (no capacity for the type, a bad launch template,
  // a subnet out of addresses): it may never launch.
  const launchFailures = group.launchFailures ?? [];
  const launchFailing = !launchSuspended && requested > 0 && launchFailures.length > 0;
  const requestedBins = launchSuspended || launchFailing ? 0 : requested;

  const zones = new ZoneBalancer(
    group.availabilityZones,
    [...counted, ...booting].map((instance) => instance.availabilityZone),
  );

  const registeredBins = placeableOn.map((instance) => registeredBin(instance, snapshot));
  const launchingBins = booting.map((instance) => launchingBin(instance, snapshot));
  for (let index = 0; index < requestedBins; index++) {
    launchingBins.push(freshBin(snapshot, template, 'launching', `requested-${index + 1}`, zones.next()));
  }
  if (options.trace) for (const bin of [...registeredBins, ...launchingBins]) bin.contents = new Map();
  const binById = new Map(registeredBins.map((bin) => [bin.id, bin]));
  const instanceById = new Map(placeableOn.map((instance) => [instance.id, instance]));

  // Demand no instance of this group can ever take is reported, not scaled for.
  const unplaceable: Unplaceable[] = [...badConstraints];
  const placeable: ItemGroup[] = [];
  const probeZones = group.availabilityZones.length > 0 ? group.availabilityZones : [undefined];
  for (const item of items) {
    const placeableSomewhere =
      probeZones.some((zone) => fits(freshBin(snapshot, template, 'new', 'probe', zone), item)) ||
      (!item.newInstancesOnly &&
        (registeredBins.some((bin) => fits(bin, item)) || launchingBins.some((bin) => fits(bin, item))));
    if (placeableSomewhere) placeable.push(item);
    else unplaceable.push(whyUnplaceable(item, snapshot, template));
  }
  // Bound before placing: it needs the free room as it is now. Tasks no new instance can take
  // never count toward new instances.
  const bound = lowerBound(
    placeable.filter((item) =>
      probeZones.some((zone) => fits(freshBin(snapshot, template, 'new', 'probe', zone), item)),
    ),
    [...registeredBins, ...launchingBins],
    template,
  );

  // Registered instances: busy ones first (fullest first), then idle ones, most valuable first, so
  // that the least valuable stay empty and can go.
  const removalOrder = leastValuableFirst(usable, now);
  const idleRank = new Map(removalOrder.map((instance, index) => [instance.id, index]));
  const order = new Map(
    registeredBins.map((bin) => {
      const rank = idleRank.get(bin.id);
      // Busy: 0..2 by fullness (fullest first); idle: after them, most valuable first.
      const key =
        rank !== undefined && isIdle(instanceById.get(bin.id))
          ? 3 + (removalOrder.length - rank)
          : 2 - fullness(bin);
      return [bin, key];
    }),
  );
  const busyFirst = [...registeredBins].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));

  const newBins: Bin[] = [];
  let newSerial = 0;
  const placeRound = (round: ItemGroup[]) => {
    const left = Int32Array.from(round, (item) => item.remaining);
    const charge = (kind: 'onRegistered' | 'onLaunching' | 'onNew', before: Int32Array) => {
      round.forEach((item, index) => {
        const placed = (before[index] ?? 0) - (left[index] ?? 0);
        item[kind] += placed;
        item.remaining -= placed;
      });
    };
    // Demand ECS already failed to place on the registered instances stays off them, except those
    // registered since (launched for it); booting and requested instances are new ones too.
    const held = Int32Array.from(round, (item, index) => (item.newInstancesOnly ? (left[index] ?? 0) : 0));
    round.forEach((item, index) => {
      if (item.newInstancesOnly) left[index] = 0;
    });
    let before = left.slice();
    held.forEach((count, index) => {
      before[index] = (before[index] ?? 0) + count;
    });
    for (const bin of busyFirst) fillBin(bin, round, left, dotProduct);
    round.forEach((item, index) => {
      const since = item.newInstancesSince;
      if (since === undefined || (held[index] ?? 0) <= 0) return;
      const only = new Int32Array(round.length);
      only[index] = held[index] ?? 0;
      for (const bin of busyFirst) {
        if (bin.registeredAt && bin.registeredAt.getTime() >= since) fillBin(bin, round, only, dotProduct);
      }
      held[index] = only[index] ?? 0;
    });
    held.forEach((count, index) => {
      left[index] = (left[index] ?? 0) + count;
    });
    charge('onRegistered', before);
    before = left.slice();
    for (const bin of launchingBins) fillBin(bin, round, left, dotProduct);
    charge('onLaunching', before);
    before = left.slice();
    // Partly filled new bins from an earlier round first.
    for (const bin of newBins) fillBin(bin, round, left, dotProduct);
    // With nothing else to place on, the bound says when a packing of the demand cannot be beaten.
    const floor = registeredBins.length + launchingBins.length + newBins.length === 0 ? bound.value : 0;
    const fresh = packNew(round, left, snapshot, template, zones, newBins.length, floor);
    for (const bin of fresh) bin.id = `new-${++newSerial}`;
    newBins.push(...fresh);
    charge('onNew', before);
  };
  placeRound(placeable);
  const headroom = headroomItem(snapshot, placeable);
  if (headroom) placeRound([headroom]);
  trimTrailingEmpty(newBins);
  const waits = zoneWaits(placeable, newBins, (item) => allowedZones(item, snapshot, template));
  const newInstanceSources = sourcesOf(newBins, [...placeable, ...(headroom ? [headroom] : [])]);
  // Tasks that fit only where room ran out (registered instances) and on no new instance.
  for (const item of placeable) {
    if (item.remaining > 0) {
      const why = whyUnplaceable(item, snapshot, template);
      unplaceable.push({
        ...why,
        reason: `${item.total - item.remaining} fit on registered instances, no more room there; ${why.reason}`,
      });
    }
  }

  const newInstances = newBins.length;
  const newInstancesByZone: Record<string, number> = {};
  for (const bin of newBins) {
    const zone = bin.availabilityZone ?? 'any';
    newInstancesByZone[zone] = (newInstancesByZone[zone] ?? 0) + 1;
  }

  // Scale-in: instances without non-daemon tasks for scaleInAfter, least valuable first.
  let removals: Removal[] = [];
  const removable = Math.max(0, group.desired - group.min);
  const perPass = removalLimit(settings.maxScaleIn, counted.length);
  // Instances per zone as Auto Scaling counts them: removals keep the zones within one instance.
  const zoneCounts = new ZoneCounts(group.availabilityZones, [
    ...counted.map(zoneOf),
    ...launchingCounted.map((instance) => instance.availabilityZone),
  ]);
  // Every removal, whatever its reason, counts against the per-pass limit.
  let scaledIn = 0;
  for (const instance of stuck) {
    if (removals.length >= removable || scaledIn >= perPass) break;
    removals.push({
      instanceId: instance.id,
      ...(instance.availabilityZone ? { availabilityZone: instance.availabilityZone } : {}),
      reason: 'never-registered',
      detail: `launched ${Math.round((now - Date.parse(instance.launchedAt)) / 1000)} s ago and never registered with cluster ${snapshot.cluster} (boot timeout ${settings.bootTimeoutSeconds} s): check the AMI, user data and ECS_CLUSTER`,
    });
    zoneCounts.remove(instance.availabilityZone);
    scaledIn++;
  }
  const idleLongEnough = removalOrder.filter((instance) => {
    const bin = binById.get(instance.id);
    if (!bin || bin.placed > 0 || !isIdle(instance) || instance.idleSince === null) return false;
    return now - Date.parse(instance.idleSince) >= settings.scaleInAfterSeconds * 1000;
  });
  // Least valuable first, but only from a zone with the most instances (as Auto Scaling's default
  // termination policy picks): otherwise AZRebalance launches in the emptied zone and terminates
  // elsewhere to even them out again, a busy instance or the one just launched.
  while (idleLongEnough.length > 0) {
    const index = idleLongEnough.findIndex((instance) => zoneCounts.canRemove(zoneOf(instance)));
    if (index < 0) {
      const kept = idleLongEnough[0] as RegisteredInstance;
      reasons.push(
        `keeping idle ${kept.id}${idleLongEnough.length > 1 ? ` and ${idleLongEnough.length - 1} more` : ''}: removing it would leave ${zoneOf(kept)} with ${zoneCounts.count(zoneOf(kept)) - 1} instance(s) against ${zoneCounts.most()} in ${zoneCounts.fullest()}; removals keep the group's zones within one instance of each other (Auto Scaling's AZRebalance would launch and terminate to even them out)`,
      );
      break;
    }
    const instance = idleLongEnough[index] as RegisteredInstance;
    if (scaledIn >= perPass) {
      reasons.push(`scale-in limited to ${perPass} instance(s) per pass`);
      break;
    }
    if (removals.length >= removable) {
      reasons.push(`keeping idle ${instance.id}: the group is at its minimum of ${group.min}`);
      break;
    }
    idleLongEnough.splice(index, 1);
    const idleSeconds = Math.floor((now - Date.parse(instance.idleSince ?? '')) / 1000);
    removals.push({
      instanceId: instance.id,
      ...(instance.arn ? { arn: instance.arn } : {}),
      ...(instance.availabilityZone ? { availabilityZone: instance.availabilityZone } : {}),
      reason: 'idle',
      detail: `no non-daemon task for ${idleSeconds} s (scale-in after ${settings.scaleInAfterSeconds} s)`,
    });
    zoneCounts.remove(zoneOf(instance));
    scaledIn++;
  }

  // Consolidation: an instance whose tasks all fit on the others (after demand and headroom) goes.
  if (settings.consolidation && newInstances === 0 && !terminateSuspended) {
    const removed = new Set(removals.map((removal) => removal.instanceId));
    const candidates = usable
      .filter(
        (instance) =>
          !removed.has(instance.id) &&
          zoneCounts.canRemove(zoneOf(instance)) &&
          instance.movableTasks !== undefined &&
          instance.movableTasks.length > 0 &&
          instance.pinnedTasks === 0 &&
          instance.nonDaemonTasks === instance.movableTasks.length &&
          (binById.get(instance.id)?.placed ?? 1) === 0,
      )
      .sort((a, b) => utilization(a, snapshot) - utilization(b, snapshot));
    for (const instance of candidates) {
      if (scaledIn >= perPass || removals.length >= removable) break;
      // A task protected from scale-in (ECS task scale-in protection) is never stopped to save an
      // instance: "Protect your Amazon ECS tasks from being terminated by scale-in events".
      const shielded = taskProtection(instance, now);
      if (shielded) {
        reasons.push(`not consolidating ${instance.id}: ${shielded}`);
        continue;
      }
      if (!zoneCounts.canRemove(zoneOf(instance))) continue;
      const targets = busyFirst.filter((bin) => bin.id !== instance.id && !removed.has(bin.id));
      if (moveTasks(instance, targets, compile)) {
        removed.add(instance.id);
        const bin = binById.get(instance.id);
        if (bin) bin.placed = -1; // never a target again
        removals.push({
          instanceId: instance.id,
          ...(instance.arn ? { arn: instance.arn } : {}),
          ...(instance.availabilityZone ? { availabilityZone: instance.availabilityZone } : {}),
          reason: 'consolidation',
          detail: `its ${instance.movableTasks?.length} task(s) fit on the other instances, headroom kept`,
        });
        zoneCounts.remove(zoneOf(instance));
        scaledIn++;
      }
    }
  }

  // Terminate suspended: the removals are reported, not made (the instances stay, idle markers too).
  const heldRemovals = terminateSuspended ? removals : [];
  if (terminateSuspended) removals = [];

  // One desired capacity: removals decrement it, then the scale-out is added within max and step.
  const afterRemovals = group.desired - removals.length;
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

  // Protection: busy instances protected so the group never picks them; idle ones released.
  const removedIds = new Set(removals.map((removal) => removal.instanceId));
  const protect: string[] = [];
  const unprotect: string[] = [];
  for (const instance of usable) {
    if (removedIds.has(instance.id)) continue;
    const busy = instance.nonDaemonTasks !== null && instance.nonDaemonTasks > 0;
    const placed = (binById.get(instance.id)?.placed ?? 0) > 0;
    if (busy && !instance.protectedFromScaleIn) protect.push(instance.id);
    if (instance.nonDaemonTasks === 0 && !placed && instance.protectedFromScaleIn)
      unprotect.push(instance.id);
  }

  // Idle markers: first time seen without non-daemon tasks, and cleared once busy again.
  const idleMarkers: CapacityPlan['idleMarkers'] = { set: [], clear: [] };
  for (const instance of usable) {
    const maybeIdle = instance.nonDaemonTasks === null || instance.nonDaemonTasks === 0;
    if (maybeIdle && instance.idleSince === null) {
      idleMarkers.set.push({ instanceId: instance.id, since: new Date(now).toISOString() });
    } else if (!maybeIdle && instance.idleSince !== null) {
      idleMarkers.clear.push(instance.id);
    }
  }

  const placements = items.map((item) => summarize(item, waits.get(item.id)));
  const assignments = options.trace
    ? assignmentsOf(
        [...registeredBins, ...launchingBins, ...newBins],
        [...placeable, ...(headroom ? [headroom] : [])],
      )
    : undefined;
  const totals = {
    onRegistered: sum(placeable.map((item) => item.onRegistered)),
    onLaunching: sum(placeable.map((item) => item.onLaunching)),
    onNew: sum(placeable.map((item) => item.onNew)),
    unplaced: sum(unplaceable.map((item) => item.count)),
  };
  const demandTasks = sum(items.map((item) => item.total));

  explain({
    reasons,
    snapshot,
    demandTasks,
    totals,
    newInstances,
    bound,
    scaleOut,
    limitedBy,
    desiredCapacity,
    removals,
    unplaceable,
    requested,
    booting: booting.length,
    headroom,
    suspendedProcesses,
    heldScaleOut,
    heldRemovals,
    launchSuspended,
    launchFailures: launchFailing ? launchFailures : [],
    failingHeld,
    recordRaise,
    waits: [...waits.values()],
    launch,
    newInstanceSources,
    maxAllows: limitedBy === 'max' ? scaleOut + uselessUnderMax : undefined,
    uselessUnderMax,
  });

  return {
    cluster: snapshot.cluster,
    capacityProvider: snapshot.capacityProvider,
    group: group.name,
    at: new Date(now).toISOString(),
    demand: { tasks: demandTasks, shapes: items.length, headroomTasks: headroom?.total ?? 0 },
    placements,
    totals,
    instances: {
      usable: placeableOn.length,
      launching: booting.length,
      requested,
      stuck: stuck.length,
      unusable: counted.length - placeableOn.length,
    },
    newInstances,
    newInstancesByZone,
    newInstanceSources,
    lowerBound: bound.value,
    lowerBoundBy: bound.by,
    gap: newInstances - bound.value,
    currentDesired: group.desired,
    limits: { min: group.min, max: group.max },
    desiredCapacity,
    scaleOut: desiredCapacity - afterRemovals,
    limitedBy,
    ...(launchFailing
      ? { launchFailures: { failures: launchFailures, requested, heldScaleOut: failingHeld, recordRaise } }
      : {}),
    removals,
    suspended: { processes: suspendedProcesses, scaleOut: heldScaleOut, removals: heldRemovals },
    protect,
    unprotect,
    idleMarkers,
    unplaceable,
    utilization: utilizationOf(placeableOn, snapshot),
    ...(launch ? { launchType: launch } : {}),
    reasons,
    ...(assignments ? { assignments } : {}),
  };
}
