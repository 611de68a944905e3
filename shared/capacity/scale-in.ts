/**
 * Scale-in: which instances go (never registered, idle, consolidation), within the per-pass limit, the
 * group's minimum and zone balance, and the rules that protect busy instances and protected tasks.
 */
import type { Fleet } from './bins';
import { normalizeShape } from './items';
import { type Bin, fits, type ItemGroup, type MemberOf, makeItemGroup, place, unplace } from './packing';
import type { CapacityPlan, Removal } from './plan';
import type { CapacitySnapshot, RegisteredInstance } from './snapshot';

/**
 * Try to move every non-daemon task of an instance onto the targets, with its distinctInstance and
 * memberOf constraints (ECS places the replacements under them); undo on failure.
 */
export function moveTasks(
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

export function isIdle(instance: RegisteredInstance | undefined): boolean {
  return instance !== undefined && instance.nonDaemonTasks === 0;
}

/**
 * Removal order: from the zone with the most instances first (keeps the group balanced, so Auto
 * Scaling's rebalancing does not replace what we keep), then the longest idle, then the oldest.
 */
export function leastValuableFirst(usable: RegisteredInstance[], now: number): RegisteredInstance[] {
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

export function utilization(instance: RegisteredInstance, snapshot: CapacitySnapshot): number {
  const type = snapshot.instanceTypes[instance.instanceType];
  if (!type) return 1;
  return Math.max(1 - instance.free.cpu / type.cpu, 1 - instance.free.memoryMiB / type.memoryMiB);
}

export function zoneOf(instance: RegisteredInstance): string | undefined {
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
export function taskProtection(instance: RegisteredInstance, now: number): string | undefined {
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

/**
 * Removals: instances launched past the boot timeout that never registered, idle instances, and
 * (with consolidation) busy ones whose tasks all fit elsewhere; every one counted against the
 * per-pass limit, above the group's minimum, and from a zone with the most instances.
 */
export function planRemovals(input: {
  snapshot: CapacitySnapshot;
  now: number;
  fleet: Fleet;
  removalOrder: RegisteredInstance[];
  binById: Map<string, Bin>;
  busyFirst: Bin[];
  newInstances: number;
  compile: (expression: string) => MemberOf;
  reasons: string[];
}): Removal[] {
  const { snapshot, now, fleet, removalOrder, binById, busyFirst, newInstances, compile, reasons } = input;
  const { group, settings } = snapshot;
  const { counted, launchingCounted, stuck, usable, terminateSuspended } = fleet;
  // Scale-in: instances without non-daemon tasks for scaleInAfter, least valuable first.
  const removals: Removal[] = [];
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

  return removals;
}

/**
 * Scale-in protection (busy instances protected so the group never picks them; idle ones released)
 * and idle markers (set when first seen without non-daemon tasks, cleared once busy again).
 */
export function protectionAndMarkers(
  usable: RegisteredInstance[],
  removals: Removal[],
  binById: Map<string, Bin>,
  now: number,
): { protect: string[]; unprotect: string[]; idleMarkers: CapacityPlan['idleMarkers'] } {
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

  return { protect, unprotect, idleMarkers };
}
