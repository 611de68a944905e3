/**
 * scale-capacity's decision: a pure function of a snapshot and the time. It simulates placing the
 * pending demand on registered instances, then on instances still booting, then on new instances
 * of the group's type, and derives from that one desired capacity, the idle instances to remove,
 * scale-in protection changes and the demand that can never be placed.
 */
import { shapeKey } from '../ecs/requirements';
import { type LaunchType, launchType } from './launch-type';
import {
  type BoundKind,
  countLimit,
  type LowerBound,
  lowerBound,
  type NewInstanceTemplate,
} from './lower-bound';
import { compileMemberOf as defaultCompileMemberOf } from './member-of';
import {
  type Bin,
  dominantSize,
  dotProduct,
  fillBin,
  firstFitDecreasing,
  fits,
  type ItemGroup,
  largestFirst,
  type MemberOf,
  makeItemGroup,
  newBin,
  place,
  type Scorer,
  unplace,
  ZoneSweep,
} from './packing';
import { PATTERN_INSTANCES, patternStrategies } from './patterns';
import type {
  CapacitySnapshot,
  LaunchFailure,
  LaunchingInstance,
  RegisteredInstance,
  Shape,
} from './snapshot';

export interface PlacementSummary {
  key: string;
  sources: string[];
  shape: Shape;
  distinctInstance: boolean;
  memberOf?: string;
  count: number;
  onRegistered: number;
  onLaunching: number;
  onNew: number;
  unplaced: number;
  /** With a memberOf: the zones of the group where a new instance can take these tasks. */
  zones?: string[];
  /**
   * With a memberOf and tasks on new instances: which new instance of this plan (1 = the first
   * Auto Scaling launches, in its zone order) first takes one; more than 1 when the instances
   * before it land in zones the constraint excludes.
   */
  launchesToReach?: number;
}

export type RemovalReason = 'idle' | 'consolidation' | 'never-registered';

export interface Removal {
  instanceId: string;
  arn?: string;
  availabilityZone?: string;
  reason: RemovalReason;
  detail: string;
}

export type UnplaceableKind = 'too-large' | 'host-port' | 'constraint' | 'placement-failure';

export interface Unplaceable {
  key: string;
  sources: string[];
  count: number;
  kind: UnplaceableKind;
  reason: string;
}

export interface CapacityPlan {
  cluster: string;
  capacityProvider: string;
  group: string;
  at: string;
  demand: { tasks: number; shapes: number; headroomTasks: number };
  placements: PlacementSummary[];
  totals: { onRegistered: number; onLaunching: number; onNew: number; unplaced: number };
  instances: {
    /** Registered, ACTIVE, agent connected (InService or still Pending): what ECS can place on now. */
    usable: number;
    /** Launched, not registered yet, within the boot timeout. */
    launching: number;
    /** Desired capacity the group has not launched yet. */
    requested: number;
    /** Launched more than the boot timeout ago and never registered. */
    stuck: number;
    /** In the group but not usable (DRAINING, agent disconnected, terminating). */
    unusable: number;
  };
  /** New instances the simulation needs (before min/max and the step limit). */
  newInstances: number;
  newInstancesByZone: Record<string, number>;
  lowerBound: number;
  lowerBoundBy: BoundKind | 'none';
  gap: number;
  currentDesired: number;
  limits: { min: number; max: number };
  /** The desired capacity after this pass's removals and scale-out. */
  desiredCapacity: number;
  scaleOut: number;
  /**
   * What held the scale-out back: the group's maximum, the step, a suspended Launch process, or
   * launches failing (the desired capacity was raised less than the boot timeout ago while they fail).
   */
  limitedBy: 'max' | 'step' | 'launch-suspended' | 'launch-failing' | undefined;
  /**
   * Auto Scaling's launches are failing (scaling activities Failed or Cancelled since the last launch
   * that did not fail) while desired capacity is still unlaunched: that capacity is not counted as on
   * the way, and the desired capacity is raised at most once per boot timeout for it.
   */
  launchFailures?: {
    failures: LaunchFailure[];
    /** Desired capacity not launched, no longer counted as capacity on the way. */
    requested: number;
    /** The scale-out held because the desired capacity was raised less than a boot timeout ago. */
    heldScaleOut: number;
    /** This plan raises the desired capacity while launches fail: act records when. */
    recordRaise: boolean;
  };
  removals: Removal[];
  /**
   * Auto Scaling processes suspended on the group (an operator freezing it), and what they held back
   * this pass: the scale-out Launch would have needed, the removals Terminate would have made.
   */
  suspended: { processes: string[]; scaleOut: number; removals: Removal[] };
  protect: string[];
  unprotect: string[];
  idleMarkers: { set: { instanceId: string; since: string }[]; clear: string[] };
  unplaceable: Unplaceable[];
  utilization: {
    cpu: { reserved: number; registered: number };
    memoryMiB: { reserved: number; registered: number };
  };
  /** Each new instance of the plan, in launch order, and the demand sources whose tasks it is for. */
  newInstanceSources: NewInstanceSources[];
  /** With a mixed instances policy: the type new instances are planned as, and why. */
  launchType?: LaunchType;
  /** Each decision in words, for the log and the table. */
  reasons: string[];
  assignments?: Assignment[];
}

export interface PlanOptions {
  compileMemberOf?: (expression: string) => MemberOf;
  /** Include every instance's simulated placements (for tests and `npm run plan -- --trace`). */
  trace?: boolean;
}

export interface NewInstanceSources {
  instanceId: string;
  instanceType: string;
  availabilityZone: string | undefined;
  /** Empty: launched only so Auto Scaling's zone order reaches a zone a later one needs. */
  sources: string[];
}

/** Where the simulation put tasks: one entry per instance (registered, booting or new) that got any. */
export interface Assignment {
  instanceId: string;
  kind: 'registered' | 'launching' | 'new';
  instanceType: string;
  availabilityZone: string | undefined;
  tasks: { key: string; count: number }[];
}

/** Auto Scaling lifecycle states that count toward the desired capacity. */
const IN_DESIRED = /^(Pending|Pending:Wait|Pending:Proceed|InService)$/;

const HEADROOM_SOURCE = 'headroom';

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

function assignmentsOf(bins: Bin[], items: ItemGroup[]): Assignment[] {
  const keyOf = new Map(items.map((item) => [item.id, item.key]));
  return bins
    .filter((bin) => bin.contents && bin.contents.size > 0)
    .map((bin) => ({
      instanceId: bin.id,
      kind: bin.kind,
      instanceType: bin.instanceType,
      availabilityZone: bin.availabilityZone,
      tasks: [...(bin.contents ?? [])].map(([id, count]) => ({ key: keyOf.get(id) ?? String(id), count })),
    }));
}

/**
 * What a new instance offers after its daemon tasks. With several instance types the group may
 * launch any of them, so each resource is the smallest among them: the plan is then enough
 * whichever type arrives.
 */
export function newInstanceTemplate(snapshot: CapacitySnapshot): NewInstanceTemplate {
  const types = snapshot.group.instanceTypes
    .map((type) => snapshot.instanceTypes[type])
    .filter((t) => t !== undefined);
  const min = (pick: (type: (typeof types)[number]) => number) => Math.min(...types.map(pick));
  const overhead = snapshot.daemonOverhead;
  return {
    cpu: Math.max(0, min((type) => type.cpu) - overhead.cpu),
    memoryMiB: Math.max(0, min((type) => type.memoryMiB) - overhead.memoryMiB),
    gpus: Math.max(0, min((type) => type.gpus) - overhead.gpus),
    enis: Math.max(0, min((type) => type.enis) - overhead.enis),
  };
}

/**
 * A new (or requested) instance of the group as the simulation opens it; also the probe for what a
 * new instance can take.
 */
export function freshBin(
  snapshot: CapacitySnapshot,
  template: NewInstanceTemplate,
  kind: 'new' | 'launching',
  id: string,
  zone: string | undefined,
): Bin {
  const types = snapshot.group.instanceTypes;
  const first = types[0] ?? 'unknown';
  const typeResources = snapshot.instanceTypes[first];
  return newBin({
    kind,
    id,
    instanceType: first,
    availabilityZone: zone,
    capacityCpu: Math.max(1, typeResources?.cpu ?? template.cpu),
    capacityMemory: Math.max(1, typeResources?.memoryMiB ?? template.memoryMiB),
    cpu: template.cpu,
    memoryMiB: template.memoryMiB,
    gpus: template.gpus,
    enis: template.enis,
    tcp: new Set(snapshot.daemonOverhead.hostPorts.tcp),
    udp: new Set(snapshot.daemonOverhead.hostPorts.udp),
    attributes: { ...snapshot.newInstanceAttributes },
    registeredAt: undefined,
    tasks: 0,
    alternativeTypes: types.length > 1 ? [...types] : undefined,
  });
}

function registeredBin(instance: RegisteredInstance, snapshot: CapacitySnapshot): Bin {
  const type = snapshot.instanceTypes[instance.instanceType];
  return newBin({
    kind: 'registered',
    id: instance.id,
    instanceType: instance.instanceType,
    availabilityZone: instance.availabilityZone ?? instance.attributes['ecs.availability-zone'],
    capacityCpu: Math.max(1, type?.cpu ?? instance.free.cpu),
    capacityMemory: Math.max(1, type?.memoryMiB ?? instance.free.memoryMiB),
    cpu: instance.free.cpu,
    memoryMiB: instance.free.memoryMiB,
    gpus: instance.free.gpus,
    enis: instance.free.enis,
    tcp: new Set(instance.portsInUse.tcp),
    udp: new Set(instance.portsInUse.udp),
    groups: instance.taskGroups,
    attributes: instance.attributes,
    registeredAt: instance.registeredAt ? new Date(instance.registeredAt) : undefined,
    tasks: instance.tasks,
    alternativeTypes: undefined,
  });
}

/** A booting instance will offer its type's resources less the daemon tasks. */
function launchingBin(instance: LaunchingInstance, snapshot: CapacitySnapshot): Bin {
  const type = snapshot.instanceTypes[instance.instanceType];
  const overhead = snapshot.daemonOverhead;
  return newBin({
    kind: 'launching',
    id: instance.id,
    instanceType: instance.instanceType,
    availabilityZone: instance.availabilityZone,
    capacityCpu: Math.max(1, type?.cpu ?? 1),
    capacityMemory: Math.max(1, type?.memoryMiB ?? 1),
    cpu: Math.max(0, (type?.cpu ?? 0) - overhead.cpu),
    memoryMiB: Math.max(0, (type?.memoryMiB ?? 0) - overhead.memoryMiB),
    gpus: Math.max(0, (type?.gpus ?? 0) - overhead.gpus),
    enis: Math.max(0, (type?.enis ?? 0) - overhead.enis),
    tcp: new Set(overhead.hostPorts.tcp),
    udp: new Set(overhead.hostPorts.udp),
    attributes: { ...snapshot.newInstanceAttributes },
    registeredAt: undefined,
    tasks: 0,
    alternativeTypes: undefined,
  });
}

/** Pending demand grouped by shape and constraints, as the simulation places it. */
export function groupDemand(
  snapshot: CapacitySnapshot,
  compile: (expression: string) => MemberOf,
): { items: ItemGroup[]; unplaceable: Unplaceable[] } {
  const byKey = new Map<string, ItemGroup>();
  const compiled = new Map<string, MemberOf | Error>();
  const unplaceable = new Map<string, Unplaceable>();
  for (const demand of snapshot.demand) {
    const shape = normalizeShape(demand.shape);
    const constraint = demand.memberOf?.trim() || undefined;
    const group = demand.group ?? (demand.distinctInstance ? demand.source : undefined);
    const since =
      demand.newInstancesOnly && demand.newInstancesSince ? Date.parse(demand.newInstancesSince) : undefined;
    const key = `${shapeKey(shape)};distinct=${demand.distinctInstance ? group : '-'};memberOf=${constraint ?? '-'}${demand.newInstancesOnly ? `;new-only${since !== undefined ? `@${since}` : ''}` : ''}`;
    if (demand.unplaceable) {
      // ECS keeps failing where new instances were bought for it: reported, not scaled for again.
      unplaceable.set(`${key};${demand.source}`, {
        key,
        sources: [demand.source],
        count: demand.count,
        kind: 'placement-failure',
        reason: demand.unplaceable,
      });
      continue;
    }
    let memberOf: MemberOf | undefined;
    if (constraint !== undefined) {
      let result = compiled.get(constraint);
      if (!result) {
        try {
          result = compile(constraint);
        } catch (error) {
          result = error instanceof Error ? error : new Error(String(error));
        }
        compiled.set(constraint, result);
      }
      if (result instanceof Error) {
        const known = unplaceable.get(key);
        if (known) {
          known.count += demand.count;
          if (!known.sources.includes(demand.source)) known.sources.push(demand.source);
        } else {
          unplaceable.set(key, {
            key,
            sources: [demand.source],
            count: demand.count,
            kind: 'constraint',
            reason: `memberOf(${constraint}) is not a valid cluster query: ${result.message}`,
          });
        }
        continue;
      }
      memberOf = result;
    }
    const known = byKey.get(key);
    if (known) {
      known.total += demand.count;
      known.remaining += demand.count;
      if (!known.sources.includes(demand.source)) known.sources.push(demand.source);
      // Several task groups share the shape: track the first one for task:group.
      continue;
    }
    byKey.set(
      key,
      makeItemGroup({
        key,
        shape,
        group,
        distinct: demand.distinctInstance,
        memberOf,
        sources: [demand.source],
        count: demand.count,
        newInstancesOnly: demand.newInstancesOnly,
        newInstancesSince: since,
      }),
    );
  }
  return { items: [...byKey.values()], unplaceable: [...unplaceable.values()] };
}

function normalizeShape(shape: Shape): Shape {
  const sorted = (ports: number[]) => [...new Set(ports)].sort((a, b) => a - b);
  return { ...shape, hostPorts: { tcp: sorted(shape.hostPorts.tcp), udp: sorted(shape.hostPorts.udp) } };
}

function whyUnplaceable(
  item: ItemGroup,
  snapshot: CapacitySnapshot,
  template: NewInstanceTemplate,
): Unplaceable {
  const base = { key: item.key, sources: item.sources, count: item.remaining };
  const types = snapshot.group.instanceTypes.join(', ');
  const overhead = snapshot.daemonOverhead;
  const after = (what: number) => (what > 0 ? ` after ${what} reserved by daemon tasks` : '');
  const shape = item.shape;
  if (shape.cpu > template.cpu) {
    return {
      ...base,
      kind: 'too-large',
      reason: `needs ${shape.cpu} CPU units; a new ${types} instance offers ${template.cpu}${after(overhead.cpu)} (RESOURCE:CPU)`,
    };
  }
  if (shape.memoryMiB > template.memoryMiB) {
    return {
      ...base,
      kind: 'too-large',
      reason: `needs ${shape.memoryMiB} MiB; a new ${types} instance offers ${template.memoryMiB} MiB${after(overhead.memoryMiB)} (RESOURCE:MEMORY)`,
    };
  }
  if (shape.gpus > template.gpus) {
    return {
      ...base,
      kind: 'too-large',
      reason: `needs ${shape.gpus} GPU(s); a new ${types} instance has ${template.gpus} (RESOURCE:GPU)`,
    };
  }
  if (shape.enis > template.enis) {
    return {
      ...base,
      kind: 'too-large',
      reason: `needs ${shape.enis} ENI(s) for awsvpc; a new ${types} instance has ${template.enis} for tasks (RESOURCE:ENI)`,
    };
  }
  const daemonPorts = [
    ...shape.hostPorts.tcp.filter((port) => overhead.hostPorts.tcp.includes(port)),
    ...shape.hostPorts.udp.filter((port) => overhead.hostPorts.udp.includes(port)),
  ];
  if (daemonPorts.length > 0) {
    return {
      ...base,
      kind: 'host-port',
      reason: `host port ${daemonPorts.join(', ')} is taken by a daemon task on every instance (RESOURCE:PORTS)`,
    };
  }
  const zones = snapshot.group.availabilityZones.join(', ') || 'unknown zones';
  return {
    ...base,
    kind: 'constraint',
    reason: `memberOf(${item.memberOf?.text}) matches no registered instance of ${snapshot.group.name} with room, and no new ${types} instance (zones ${zones}, attributes ${JSON.stringify(snapshot.newInstanceAttributes)})`,
  };
}

/** Headroom: room for N more tasks of a reference shape, placed after the real demand. */
function headroomItem(snapshot: CapacitySnapshot, placeable: ItemGroup[]): ItemGroup | undefined {
  const { tasks, shape } = snapshot.settings.headroom;
  if (tasks <= 0) return undefined;
  const template = newInstanceTemplate(snapshot);
  const reference =
    shape ??
    placeable
      .map((item) => item.shape)
      .sort(
        (a, b) =>
          dominantSize(b, template.cpu || 1, template.memoryMiB || 1) -
          dominantSize(a, template.cpu || 1, template.memoryMiB || 1),
      )[0];
  if (!reference) return undefined;
  const normalized = normalizeShape(reference);
  if (normalized.cpu > template.cpu || normalized.memoryMiB > template.memoryMiB) return undefined;
  return makeItemGroup({
    key: `${shapeKey(normalized)};headroom`,
    shape: normalized,
    group: undefined,
    distinct: false,
    memberOf: undefined,
    sources: [HEADROOM_SOURCE],
    count: tasks,
  });
}

/**
 * New instances: several packings of the same demand, keeping the one with the fewest instances
 * (then the fullest last instance). Bin-centric dot product usually wins on mixed CPU- and
 * memory-heavy shapes; largest-first and first-fit decreasing cover the cases it does not; pattern
 * packing (patterns.ts) finds the combinations greedy filling misses when resources, ENIs and
 * one-per-instance rules bind together.
 */
function packNew(
  round: ItemGroup[],
  left: Int32Array,
  snapshot: CapacitySnapshot,
  template: NewInstanceTemplate,
  zones: ZoneBalancer,
  firstNumber: number,
  /** No packing needs fewer instances: pattern packing is skipped once a strategy reaches it. */
  floor: number,
): Bin[] {
  if (!left.some((count) => count > 0)) return [];
  const zoneList = snapshot.group.availabilityZones;
  const binCentric = (score: Scorer) => (trialLeft: Int32Array, open: () => Bin) => {
    const bins: Bin[] = [];
    const sweep = new ZoneSweep(zoneList);
    while (trialLeft.some((count) => count > 0)) {
      const bin = open();
      bins.push(bin);
      const seeded = spreadScarce(bin, round, trialLeft, template);
      if (fillBin(bin, round, trialLeft, score) + seeded === 0) {
        // A zone constraint: the group's next instance goes to another zone.
        if (sweep.miss(bin.availabilityZone)) break;
      } else sweep.hit();
    }
    return bins;
  };
  const strategies = [
    binCentric(dotProduct),
    binCentric(largestFirst),
    (trialLeft: Int32Array, open: () => Bin) => {
      const bins: Bin[] = [];
      const size = (item: ItemGroup) => dominantSize(item.shape, template.cpu || 1, template.memoryMiB || 1);
      firstFitDecreasing(round, trialLeft, bins, open, size, zoneList);
      return bins;
    },
  ];
  const start = zones.save();
  let best: { bins: Bin[]; left: Int32Array } | undefined;
  const attempt = (strategy: (trialLeft: Int32Array, open: () => Bin) => Bin[] | undefined) => {
    zones.restore(start);
    const trialLeft = left.slice();
    let opened = 0;
    const open = () => freshBin(snapshot, template, 'new', `new-${firstNumber + ++opened}`, zones.next());
    const bins = strategy(trialLeft, open);
    if (!bins) return;
    // New instances land in zones in Auto Scaling's balanced order; dropping one from the middle
    // would move the zones of the rest, which a memberOf may depend on.
    if (!round.some((item) => item.memberOf)) improve(bins, round);
    trimTrailingEmpty(bins);
    if (!best || better(bins, trialLeft, best)) best = { bins, left: trialLeft };
  };
  for (const strategy of strategies) attempt(strategy);
  // Pattern packing costs more: only where a few hundred instances are at stake.
  if (best && best.bins.length > floor && best.bins.length <= PATTERN_INSTANCES) {
    for (const strategy of patternStrategies(round, template, zoneList)) attempt(strategy);
  }
  zones.restore(start);
  if (!best) return [];
  left.set(best.left);
  for (const bin of best.bins) zones.add(bin.availabilityZone);
  return best.bins;
}

/**
 * Tasks limited per instance by a count rather than by size (a host port, distinctInstance, ENIs,
 * GPUs) need many instances whatever else is placed; packing them last leaves a long tail of
 * instances holding one each. So each new instance first takes its share of every such group:
 * what is left of the group over the instances still needed.
 */
function spreadScarce(bin: Bin, round: ItemGroup[], left: Int32Array, template: NewInstanceTemplate): number {
  let cpu = 0;
  let memory = 0;
  let binsLeft = 1;
  const needs: { index: number; instances: number }[] = [];
  round.forEach((item, index) => {
    const count = left[index] ?? 0;
    if (count <= 0) return;
    cpu += item.shape.cpu * count;
    memory += item.shape.memoryMiB * count;
    const bySize = Math.min(
      item.shape.cpu > 0 ? Math.floor(template.cpu / item.shape.cpu) : Number.POSITIVE_INFINITY,
      item.shape.memoryMiB > 0
        ? Math.floor(template.memoryMiB / item.shape.memoryMiB)
        : Number.POSITIVE_INFINITY,
    );
    const instances = Math.ceil(count / Math.max(1, Math.min(countLimit(item, template), bySize)));
    needs.push({ index, instances });
    binsLeft = Math.max(binsLeft, instances);
  });
  binsLeft = Math.max(
    binsLeft,
    Math.ceil(cpu / (template.cpu || 1)),
    Math.ceil(memory / (template.memoryMiB || 1)),
  );
  let placed = 0;
  // The groups that need most of the remaining instances go first.
  needs.sort((a, b) => b.instances - a.instances);
  for (const { index, instances } of needs) {
    if (instances * 2 < binsLeft) break;
    const item = round[index] as ItemGroup;
    let quota = Math.ceil((left[index] ?? 0) / binsLeft);
    while (quota-- > 0 && fits(bin, item)) {
      place(bin, item);
      left[index] = (left[index] ?? 0) - 1;
      placed++;
    }
  }
  return placed;
}

/**
 * Auto Scaling launches each new instance in the zone with the fewest, so the simulation does too:
 * a constraint on a zone may take more than one new instance to meet.
 */
export class ZoneBalancer {
  private counts: Map<string, number>;
  constructor(
    private readonly zones: readonly string[],
    existing: Iterable<string | undefined>,
  ) {
    this.counts = new Map(zones.map((zone) => [zone, 0]));
    for (const zone of existing) this.add(zone);
  }
  next(): string | undefined {
    let best: string | undefined;
    for (const zone of this.zones) {
      if (best === undefined || (this.counts.get(zone) ?? 0) < (this.counts.get(best) ?? 0)) best = zone;
    }
    this.add(best);
    return best;
  }
  add(zone: string | undefined): void {
    if (zone !== undefined && this.counts.has(zone)) this.counts.set(zone, (this.counts.get(zone) ?? 0) + 1);
  }
  save(): Map<string, number> {
    return new Map(this.counts);
  }
  restore(saved: Map<string, number>): void {
    this.counts = new Map(saved);
  }
}

function better(bins: Bin[], left: Int32Array, than: { bins: Bin[]; left: Int32Array }): boolean {
  const unplacedA = sum([...left]);
  const unplacedB = sum([...than.left]);
  if (unplacedA !== unplacedB) return unplacedA < unplacedB;
  if (bins.length !== than.bins.length) return bins.length < than.bins.length;
  return false;
}

/**
 * Local improvement: empty the least-loaded new instances into the others' free room, each task to
 * the instance it fills best, dropping an instance whenever all its tasks found room. Bounded so a
 * pass stays fast.
 */
function improve(bins: Bin[], round: ItemGroup[]): void {
  if (bins.length < 2) return;
  const byId = new Map(round.map((item) => [item.id, item]));
  const load = (bin: Bin) => 2 - bin.cpu / bin.capacityCpu - bin.memoryMiB / bin.capacityMemory;
  const candidates = [...bins].sort((a, b) => load(a) - load(b)).slice(0, 48);
  for (const source of candidates) {
    const moves: [Bin, ItemGroup][] = [];
    let ok = true;
    const tasks = [...(source.contents ?? [])].flatMap(
      ([id, count]) => Array(count).fill(byId.get(id)) as ItemGroup[],
    );
    tasks.sort(
      (a, b) =>
        dominantSize(b.shape, source.capacityCpu, source.capacityMemory) -
        dominantSize(a.shape, source.capacityCpu, source.capacityMemory),
    );
    for (const item of tasks) {
      if (!item) {
        ok = false;
        break;
      }
      unplace(source, item);
      let target: Bin | undefined;
      let tightest = Number.POSITIVE_INFINITY;
      for (const bin of bins) {
        if (bin === source || !fits(bin, item)) continue;
        const slack =
          (bin.cpu - item.shape.cpu) / bin.capacityCpu +
          (bin.memoryMiB - item.shape.memoryMiB) / bin.capacityMemory;
        if (slack < tightest) {
          tightest = slack;
          target = bin;
        }
      }
      if (!target) {
        place(source, item);
        ok = false;
        break;
      }
      place(target, item);
      moves.push([target, item]);
    }
    if (!ok) {
      for (const [target, item] of moves.reverse()) {
        unplace(target, item);
        place(source, item);
      }
      continue;
    }
    bins.splice(bins.indexOf(source), 1);
  }
}

function trimTrailingEmpty(bins: Bin[]): void {
  while (bins.length > 0 && (bins[bins.length - 1] as Bin).placed === 0) bins.pop();
}

/**
 * Try to move every non-daemon task of an instance onto the targets, with its distinctInstance and
 * memberOf constraints (ECS places the replacements under them); undo on failure.
 */
function moveTasks(
  instance: RegisteredInstance,
  targets: Bin[],
  compile: (expression: string) => MemberOf,
): boolean {
  const tasks = [...(instance.movableTasks ?? [])].sort(
    (a, b) => b.shape.cpu + b.shape.memoryMiB / 4 - (a.shape.cpu + a.shape.memoryMiB / 4),
  );
  const moved: [Bin, ItemGroup][] = [];
  const undo = () => {
    for (const [bin, done] of moved) unplace(bin, done);
    return false;
  };
  for (const task of tasks) {
    let memberOf: MemberOf | undefined;
    if (task.memberOf) {
      try {
        memberOf = compile(task.memberOf);
      } catch {
        return undo(); // a constraint we cannot evaluate: never assume it holds elsewhere
      }
    }
    const item = makeItemGroup({
      key: 'move',
      shape: normalizeShape(task.shape),
      group: task.group,
      distinct: task.distinctInstance,
      memberOf,
      sources: [`move:${instance.id}`],
      count: 1,
    });
    const target = targets.find((bin) => bin.placed >= 0 && fits(bin, item));
    if (!target) return undo();
    place(target, item);
    moved.push([target, item]);
  }
  return true;
}

function isIdle(instance: RegisteredInstance | undefined): boolean {
  return instance !== undefined && instance.nonDaemonTasks === 0;
}

/**
 * Removal order: from the zone with the most instances first (keeps the group balanced, so Auto
 * Scaling's rebalancing does not replace what we keep), then the longest idle, then the oldest.
 */
function leastValuableFirst(usable: RegisteredInstance[], now: number): RegisteredInstance[] {
  const perZone = new Map<string, number>();
  for (const instance of usable) {
    const zone = instance.availabilityZone ?? '';
    perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
  }
  const idleFor = (instance: RegisteredInstance) =>
    instance.idleSince ? now - Date.parse(instance.idleSince) : -1;
  const byZone = new Map<string, RegisteredInstance[]>();
  for (const instance of usable) {
    if (instance.nonDaemonTasks !== 0 && instance.nonDaemonTasks !== null) continue;
    const zone = instance.availabilityZone ?? '';
    byZone.set(zone, [...(byZone.get(zone) ?? []), instance]);
  }
  for (const list of byZone.values()) {
    list.sort(
      (a, b) =>
        idleFor(b) - idleFor(a) ||
        Date.parse(a.registeredAt ?? '') - Date.parse(b.registeredAt ?? '') ||
        a.id.localeCompare(b.id),
    );
  }
  const ordered: RegisteredInstance[] = [];
  const cursor = new Map<string, number>();
  for (;;) {
    let zone: string | undefined;
    for (const [candidate, list] of byZone) {
      if ((cursor.get(candidate) ?? 0) >= list.length) continue;
      if (zone === undefined) {
        zone = candidate;
        continue;
      }
      const more = (perZone.get(candidate) ?? 0) - (perZone.get(zone) ?? 0);
      const head = (name: string) =>
        (byZone.get(name) as RegisteredInstance[])[cursor.get(name) ?? 0] as RegisteredInstance;
      // Equal zones: the one whose next instance has been idle longest.
      if (more > 0 || (more === 0 && idleFor(head(candidate)) > idleFor(head(zone)))) zone = candidate;
    }
    if (zone === undefined) return ordered;
    const index = cursor.get(zone) ?? 0;
    ordered.push((byZone.get(zone) as RegisteredInstance[])[index] as RegisteredInstance);
    cursor.set(zone, index + 1);
    perZone.set(zone, (perZone.get(zone) ?? 1) - 1);
  }
}

function removalLimit(
  limit: { count?: number | undefined; percent?: number | undefined },
  instances: number,
): number {
  let allowed = Number.POSITIVE_INFINITY;
  if (limit.count !== undefined) allowed = Math.min(allowed, limit.count);
  if (limit.percent !== undefined)
    allowed = Math.min(allowed, Math.max(1, Math.floor((instances * limit.percent) / 100)));
  return allowed;
}

function fullness(bin: Bin): number {
  return 1 - bin.cpu / bin.capacityCpu + (1 - bin.memoryMiB / bin.capacityMemory);
}

function utilization(instance: RegisteredInstance, snapshot: CapacitySnapshot): number {
  const type = snapshot.instanceTypes[instance.instanceType];
  if (!type) return 1;
  return Math.max(1 - instance.free.cpu / type.cpu, 1 - instance.free.memoryMiB / type.memoryMiB);
}

function utilizationOf(
  usable: RegisteredInstance[],
  snapshot: CapacitySnapshot,
): CapacityPlan['utilization'] {
  const result = { cpu: { reserved: 0, registered: 0 }, memoryMiB: { reserved: 0, registered: 0 } };
  for (const instance of usable) {
    const type = snapshot.instanceTypes[instance.instanceType];
    if (!type) continue;
    result.cpu.registered += type.cpu;
    result.cpu.reserved += Math.max(0, type.cpu - instance.free.cpu);
    result.memoryMiB.registered += type.memoryMiB;
    result.memoryMiB.reserved += Math.max(0, type.memoryMiB - instance.free.memoryMiB);
  }
  return result;
}

function summarize(item: ItemGroup, wait: ZoneWait | undefined): PlacementSummary {
  return {
    ...(wait ? { zones: wait.zones, ...(wait.launch > 0 ? { launchesToReach: wait.launch } : {}) } : {}),
    key: item.key,
    sources: item.sources,
    shape: item.shape,
    distinctInstance: item.distinct,
    ...(item.memberOf ? { memberOf: item.memberOf.text } : {}),
    count: item.total,
    onRegistered: item.onRegistered,
    onLaunching: item.onLaunching,
    onNew: item.onNew,
    unplaced: item.total - item.onRegistered - item.onLaunching - item.onNew,
  };
}

function explain(facts: {
  reasons: string[];
  snapshot: CapacitySnapshot;
  demandTasks: number;
  totals: CapacityPlan['totals'];
  newInstances: number;
  bound: LowerBound;
  scaleOut: number;
  limitedBy: CapacityPlan['limitedBy'];
  desiredCapacity: number;
  removals: Removal[];
  unplaceable: Unplaceable[];
  requested: number;
  booting: number;
  headroom: ItemGroup | undefined;
  suspendedProcesses: string[];
  heldScaleOut: number;
  heldRemovals: Removal[];
  launchSuspended: boolean;
  launchFailures: LaunchFailure[];
  failingHeld: number;
  recordRaise: boolean;
  waits: ZoneWait[];
  launch: LaunchType | undefined;
  newInstanceSources: NewInstanceSources[];
  /** With the scale-out limited by the maximum: how many new instances it allows. */
  maxAllows: number | undefined;
  uselessUnderMax: number;
}): void {
  const { reasons, snapshot, totals } = facts;
  const lines: string[] = [];
  if (facts.demandTasks === 0) lines.push('no pending demand');
  else {
    lines.push(
      `${facts.demandTasks} pending task(s): ${totals.onRegistered} fit on registered instances, ${totals.onLaunching} on instances booting or requested, ${totals.onNew} need new instances`,
    );
  }
  if (facts.headroom) {
    lines.push(
      `headroom of ${facts.headroom.total} task(s) of ${facts.headroom.shape.cpu} CPU / ${facts.headroom.shape.memoryMiB} MiB kept (${facts.headroom.onNew} on new instances)`,
    );
  }
  if (facts.launchSuspended) {
    if (facts.booting > 0 || facts.requested > 0) {
      lines.push(
        `${facts.booting} instance(s) booting count as capacity on the way; ${facts.requested} requested do not (they launch only once Launch is resumed)`,
      );
    }
  } else if (facts.launchFailures.length > 0) {
    const latest = facts.launchFailures[0] as LaunchFailure;
    const oldest = facts.launchFailures[facts.launchFailures.length - 1] as LaunchFailure;
    lines.push(
      `launches failing on ${snapshot.group.name}: ${facts.launchFailures.length} failed launch(es) since ${oldest.at}, the latest (${latest.status} at ${latest.at}): ${latest.message}`,
    );
    lines.push(
      `${facts.booting} instance(s) booting count as capacity on the way; ${facts.requested} requested do not (Auto Scaling fails to launch them)`,
    );
  } else if (facts.booting + facts.requested > 0) {
    lines.push(
      `${facts.booting} instance(s) booting and ${facts.requested} requested count as capacity on the way`,
    );
  }
  if (facts.newInstances > 0) {
    lines.push(
      `${facts.newInstances} new instance(s) needed (lower bound ${facts.bound.value} by ${facts.bound.by})`,
    );
  }
  if (facts.launch && facts.newInstances > 0) lines.push(facts.launch.reason);
  lines.push(...sourceLines(facts.newInstanceSources));
  if (facts.limitedBy === 'step') lines.push(`scale-out limited to the step of ${snapshot.settings.maxStep}`);
  if (facts.limitedBy === 'max')
    lines.push(`scale-out limited by the group's maximum of ${snapshot.group.max}`);
  for (const wait of facts.waits) {
    if (wait.launch <= 1 || wait.otherZonesFirst === 0) continue;
    const beyondMax = facts.maxAllows !== undefined && wait.launch > facts.maxAllows;
    lines.push(
      `${wait.sources.join(', ')} can run only in ${wait.zones.join(', ')} (memberOf(${wait.memberOf})): Auto Scaling launches in the zone with the fewest instances, so its first new instance there is the ${ordinal(wait.launch)} new instance (${wait.otherZonesFirst} launched in other zones first)${beyondMax ? `; the group's maximum of ${snapshot.group.max} allows ${facts.maxAllows} more: these tasks stay pending until the maximum is raised` : ''}`,
    );
  }
  if (facts.uselessUnderMax > 0) {
    lines.push(
      `${facts.uselessUnderMax} more instance(s) the maximum allows would land only in zones no pending task can use: not launched`,
    );
  }
  const group = snapshot.group.name;
  const trunking = snapshot.group.eniTrunking;
  if (trunking) lines.push(...trunkingLines(snapshot, trunking));
  if (facts.suspendedProcesses.length > 0) {
    lines.push(`processes suspended on ${group}: ${facts.suspendedProcesses.join(', ')}`);
  }
  if (facts.limitedBy === 'launch-suspended') {
    lines.push(
      `no scale-out: Launch is suspended on ${group}; the ${facts.heldScaleOut} new instance(s) needed are not requested (the demand stays pending until Launch is resumed)`,
    );
  }
  const timeout = snapshot.settings.bootTimeoutSeconds;
  if (facts.limitedBy === 'launch-failing') {
    const next = new Date(Date.parse(snapshot.group.failingRaiseAt ?? '') + timeout * 1000).toISOString();
    lines.push(
      `no scale-out: launches are failing on ${snapshot.group.name} and its desired capacity was raised for them at ${snapshot.group.failingRaiseAt}, less than the boot timeout (${timeout} s) ago; the ${facts.failingHeld} more instance(s) needed are not requested before ${next}`,
    );
  } else if (facts.recordRaise) {
    lines.push(
      `launches are failing: desired capacity raised once more for the demand, not again for ${timeout} s while they keep failing`,
    );
  }
  if (facts.heldRemovals.length > 0) {
    lines.push(
      `no removal: Terminate is suspended on ${group}; kept ${facts.heldRemovals.map((removal) => `${removal.instanceId} (${removal.reason})`).join(', ')}`,
    );
  }
  for (const removal of facts.removals)
    lines.push(`remove ${removal.instanceId} (${removal.reason}): ${removal.detail}`);
  for (const item of facts.unplaceable) {
    lines.push(`cannot place ${item.count} task(s) of ${item.sources.join(', ')}: ${item.reason}`);
  }
  lines.push(`desired capacity ${snapshot.group.desired} -> ${facts.desiredCapacity}`);
  reasons.unshift(...lines);
}

/** What ENI trunking changed in the awsvpc counts, and where it could not. */
function trunkingLines(
  snapshot: CapacitySnapshot,
  trunking: NonNullable<CapacitySnapshot['group']['eniTrunking']>,
): string[] {
  const group = snapshot.group.name;
  const trunked = snapshot.instances.filter((instance) => instance.attributes['ecs.awsvpc-trunk-id']).length;
  const lines = [
    trunking.newInstances
      ? `ENI trunking: the ${trunked} registered instance(s) of ${group} are trunked; new ones count as trunked (awsvpc tasks per instance: ${snapshot.group.instanceTypes.map((type) => `${type} ${snapshot.instanceTypes[type]?.enis ?? 0}`).join(', ')})`
      : `ENI trunking: ${trunked} of ${snapshot.instances.length} registered instance(s) of ${group} are trunked; new ones count as not trunked`,
  ];
  for (const type of trunking.notInTable) {
    lines.push(
      `ENI trunking: ${type} is not in the ECS trunking table; its trunked instances count its ENIs without trunking (${snapshot.instanceTypes[type]?.enis ?? 0}): set its enis in INSTANCE_TYPES`,
    );
  }
  return lines;
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** Where a zone-constrained demand's new instances are, in Auto Scaling's launch order. */
interface ZoneWait {
  sources: string[];
  memberOf: string;
  zones: string[];
  /** 1-based position among this plan's new instances of the first that takes one (0: none does). */
  launch: number;
  /** New instances before that one in zones the constraint excludes. */
  otherZonesFirst: number;
}

function zoneWaits(
  placeable: ItemGroup[],
  newBins: Bin[],
  zonesOf: (item: ItemGroup) => string[],
): Map<number, ZoneWait> {
  const waits = new Map<number, ZoneWait>();
  for (const item of placeable) {
    if (!item.memberOf) continue;
    const zones = zonesOf(item);
    const index = newBins.findIndex((bin) => (bin.contents?.get(item.id) ?? 0) > 0);
    const otherZonesFirst =
      index < 0
        ? 0
        : newBins
            .slice(0, index)
            .filter((bin) => bin.availabilityZone !== undefined && !zones.includes(bin.availabilityZone))
            .length;
    waits.set(item.id, {
      sources: item.sources,
      memberOf: item.memberOf.text,
      zones,
      launch: index + 1,
      otherZonesFirst,
    });
  }
  return waits;
}

/** The group's zones where a new instance can take one task of the item. */
function allowedZones(item: ItemGroup, snapshot: CapacitySnapshot, template: NewInstanceTemplate): string[] {
  return snapshot.group.availabilityZones.filter((zone) =>
    fits(freshBin(snapshot, template, 'new', 'probe', zone), item),
  );
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function zoneOf(instance: RegisteredInstance): string | undefined {
  return instance.availabilityZone ?? instance.attributes['ecs.availability-zone'];
}

/**
 * Instances per enabled zone of the group. A removal is allowed from a zone with the most instances
 * (so the zones never drift further apart) or from outside the group's zones (rebalancing removes
 * those anyway); "Balance across Availability Zones" in the Auto Scaling user guide.
 */
export class ZoneCounts {
  private readonly counts: Map<string, number>;
  constructor(zones: readonly string[], existing: Iterable<string | undefined>) {
    this.counts = new Map(zones.map((zone) => [zone, 0]));
    for (const zone of existing) {
      if (zone !== undefined && this.counts.has(zone))
        this.counts.set(zone, (this.counts.get(zone) ?? 0) + 1);
    }
  }
  count(zone: string | undefined): number {
    return zone === undefined ? 0 : (this.counts.get(zone) ?? 0);
  }
  most(): number {
    let most = 0;
    for (const count of this.counts.values()) if (count > most) most = count;
    return most;
  }
  fullest(): string {
    return [...this.counts]
      .filter(([, count]) => count === this.most())
      .map(([zone]) => zone)
      .join(', ');
  }
  canRemove(zone: string | undefined): boolean {
    if (zone === undefined || !this.counts.has(zone)) return true;
    return this.count(zone) >= this.most();
  }
  remove(zone: string | undefined): void {
    if (zone !== undefined && this.counts.has(zone)) this.counts.set(zone, Math.max(0, this.count(zone) - 1));
  }
}

/** Why an instance's tasks are protected from scale-in now, or undefined when none is. */
function taskProtection(instance: RegisteredInstance, now: number): string | undefined {
  const tasks = (instance.movableTasks ?? []).filter(
    (task) =>
      (task.protected === true && task.protectedUntil === undefined) ||
      (task.protectedUntil !== undefined && Date.parse(task.protectedUntil) > now),
  );
  const count = Math.max(tasks.length, instance.protectedTasks ?? 0);
  if (count === 0) return undefined;
  const until = tasks
    .map((task) => task.protectedUntil)
    .filter((at): at is string => at !== undefined)
    .sort()
    .at(-1);
  return `${count} task(s) protected from scale-in${until ? ` until ${until}` : ''} (UpdateTaskProtection)`;
}

function sourcesOf(newBins: Bin[], items: ItemGroup[]): NewInstanceSources[] {
  const byId = new Map(items.map((item) => [item.id, item]));
  return newBins.map((bin) => ({
    instanceId: bin.id,
    instanceType: bin.instanceType,
    availabilityZone: bin.availabilityZone,
    sources: [
      ...new Set([...(bin.contents?.keys() ?? [])].flatMap((id) => byId.get(id)?.sources ?? [])),
    ].sort(),
  }));
}

/** One line per set of sources: which new instances are for them (the first few named). */
function sourceLines(instances: NewInstanceSources[]): string[] {
  const groups = new Map<string, NewInstanceSources[]>();
  for (const instance of instances) {
    const key = instance.sources.join(', ');
    const members = groups.get(key);
    if (members) members.push(instance);
    else groups.set(key, [instance]);
  }
  const SHOWN = 6;
  const LINES = 20;
  const lines = [...groups].slice(0, LINES).map(([sources, members]) => {
    const named = members
      .slice(0, SHOWN)
      .map((one) => `${one.instanceId} (${one.availabilityZone ?? 'any zone'})`)
      .join(', ');
    const more = members.length > SHOWN ? ` and ${members.length - SHOWN} more` : '';
    const what =
      sources === ''
        ? "for no task: launched only so that Auto Scaling's zone order reaches the zone a later one needs"
        : `for ${sources}`;
    return `new instance${members.length > 1 ? 's' : ''} ${named}${more} ${what}`;
  });
  if (groups.size > LINES) {
    const rest = [...groups.values()].slice(LINES).reduce((total, members) => total + members.length, 0);
    lines.push(
      `${rest} more new instance(s) for ${groups.size - LINES} other sets of sources (newInstanceSources lists each)`,
    );
  }
  return lines;
}

type Resources4 = Pick<Shape, 'cpu' | 'memoryMiB' | 'gpus' | 'enis'>;

/**
 * Daemons whose task definition could not be read are not in `daemonOverhead`, yet run on every new
 * instance: their room is measured where it shows. On a registered instance without non-daemon
 * tasks, what is reserved is the daemons' (the largest such measure is taken); else each instance
 * reserves at least the daemons', so the least reserved is an upper bound. Either way no less than
 * the daemons read. With nothing to measure on, said so.
 */
function unreadDaemonOverhead(
  snapshot: CapacitySnapshot,
): { overhead: CapacitySnapshot['daemonOverhead']; reason: string } | undefined {
  const unread = snapshot.unreadDaemons ?? [];
  if (unread.length === 0) return undefined;
  const known = snapshot.daemonOverhead;
  const names = `daemon${unread.length > 1 ? 's' : ''} ${unread.join(', ')}`;
  const measured = snapshot.instances.flatMap((instance) => {
    const type = snapshot.instanceTypes[instance.instanceType];
    if (!type || instance.status !== 'ACTIVE' || !IN_DESIRED.test(instance.lifecycleState)) return [];
    const reserved: Resources4 = {
      cpu: Math.max(0, type.cpu - instance.free.cpu),
      memoryMiB: Math.max(0, type.memoryMiB - instance.free.memoryMiB),
      gpus: Math.max(0, type.gpus - instance.free.gpus),
      enis: Math.max(0, type.enis - instance.free.enis),
    };
    return [{ instance, reserved }];
  });
  const idle = measured.filter(({ instance }) => instance.nonDaemonTasks === 0);
  const pick = (from: typeof measured, combine: (a: number, b: number) => number): Resources4 | undefined =>
    from.length === 0
      ? undefined
      : from.slice(1).reduce<Resources4>(
          (acc, { reserved }) => ({
            cpu: combine(acc.cpu, reserved.cpu),
            memoryMiB: combine(acc.memoryMiB, reserved.memoryMiB),
            gpus: combine(acc.gpus, reserved.gpus),
            enis: combine(acc.enis, reserved.enis),
          }),
          { ...(from[0] as (typeof from)[number]).reserved },
        );
  const estimate = idle.length > 0 ? pick(idle, Math.max) : pick(measured, Math.min);
  if (!estimate) {
    return {
      overhead: known,
      reason: `${names}: task definition could not be read, and no registered instance shows what it reserves: new instances are planned with the daemons read only (${known.cpu} CPU / ${known.memoryMiB} MiB) and may hold fewer tasks than planned`,
    };
  }
  const overhead = {
    ...known,
    cpu: Math.max(known.cpu, estimate.cpu),
    memoryMiB: Math.max(known.memoryMiB, estimate.memoryMiB),
    gpus: Math.max(known.gpus, estimate.gpus),
    enis: Math.max(known.enis, estimate.enis),
  };
  const where =
    idle.length > 0
      ? `measured on ${idle.length} registered instance(s) without other tasks`
      : `the least any registered instance reserves (an upper bound: none is without other tasks)`;
  return {
    overhead,
    reason: `${names}: task definition could not be read; new instances are planned with ${overhead.cpu} CPU / ${overhead.memoryMiB} MiB reserved by daemons, ${where} (the daemons read reserve ${known.cpu} CPU / ${known.memoryMiB} MiB)`,
  };
}
