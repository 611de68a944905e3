/**
 * Scale-in: which instances go (never registered, idle, consolidation), within the per-pass limit, the
 * group's minimum and zone balance, and the rules that protect busy instances and protected tasks.
 */
import { normalizeShape } from './items';
import { type Bin, fits, type ItemGroup, type MemberOf, makeItemGroup, place, unplace } from './packing';
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
