/**
 * scale-capacity's decision: a pure function of a snapshot and the time. It simulates placing the
 * pending demand on registered instances, then on instances still booting, then on new instances
 * of the group's type, and derives from that one desired capacity, the idle instances to remove,
 * scale-in protection changes and the demand that can never be placed. The steps live beside it:
 * bins.ts (what each instance offers), items.ts (demand), placement.ts (new instances), scale-in.ts
 * (removals), limits.ts (min, max, step, suspended and failing launches), explain.ts (reasons).
 */
import {
  fleetOf,
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
import { foreseenDemand, foresightReasons, leadTime } from './foresight';
import { groupDemand, whyUnplaceable } from './items';
import { launchType } from './launch-type';
import { limitScaleOut } from './limits';
import { lowerBound } from './lower-bound';
import { compileMemberOf as defaultCompileMemberOf } from './member-of';
import { fits, type ItemGroup } from './packing';
import { placeDemand } from './placement';
import type { CapacityPlan, PlanOptions, Unplaceable } from './plan';
import { planRemovals, protectionAndMarkers } from './scale-in';
import type { CapacitySnapshot } from './snapshot';
import { warmPoolReason, warmPoolUse } from './warm-pool';

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

export function planCapacity(input: CapacitySnapshot, now: number, options: PlanOptions = {}): CapacityPlan {
  const compile = options.compileMemberOf ?? defaultCompileMemberOf;
  const reasons: string[] = [];
  // Scheduled jobs due within the boot time plus a margin are demand now (foresight.ts).
  const lead = leadTime(input, now);
  const foresight = foreseenDemand(input, now, lead);
  reasons.push(...foresightReasons(foresight.runs));
  const observed: CapacitySnapshot =
    foresight.demand.length > 0 ? { ...input, demand: [...input.demand, ...foresight.demand] } : input;
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
  const { group } = snapshot;
  const template = newInstanceTemplate(snapshot);

  const fleet = fleetOf(snapshot, now);
  const {
    counted,
    placeableOn,
    usable,
    booting,
    stuck,
    requested,
    suspendedProcesses,
    launchSuspended,
    terminateSuspended,
    launchFailures,
    launchFailing,
    requestedBins,
  } = fleet;

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

  const { newBins, headroom, busyFirst, removalOrder } = placeDemand({
    snapshot,
    template,
    now,
    usable,
    instanceById,
    registeredBins,
    launchingBins,
    zones,
    placeable,
    bound,
  });
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
  let removals = planRemovals({
    snapshot,
    now,
    fleet,
    removalOrder,
    binById,
    busyFirst,
    newInstances,
    compile,
    reasons,
  });

  // Terminate suspended: the removals are reported, not made (the instances stay, idle markers too).
  const heldRemovals = terminateSuspended ? removals : [];
  if (terminateSuspended) removals = [];

  const {
    afterRemovals,
    scaleOut,
    limitedBy,
    heldScaleOut,
    uselessUnderMax,
    failingHeld,
    recordRaise,
    desiredCapacity,
  } = limitScaleOut({ snapshot, now, fleet, newBins, removals: removals.length });

  const { protect, unprotect, idleMarkers } = protectionAndMarkers(usable, removals, binById, now);
  // A warm pool gives the first new instances (warm-pool.ts): how many, and whether it was enough.
  const warmPool = warmPoolUse(snapshot, desiredCapacity - afterRemovals);

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
  // The pool's instances first; the rest boot as the group does (leadTime without a time: cold).
  const poolLine = warmPool ? warmPoolReason(warmPool, leadTime(input).bootSeconds) : undefined;
  if (poolLine) reasons.push(poolLine);

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
    ...(warmPool ? { warmPool } : {}),
    ...(input.foreseen !== undefined
      ? { foreseen: { leadSeconds: lead.seconds, runs: foresight.runs } }
      : {}),
    reasons,
    ...(assignments ? { assignments } : {}),
  };
}
