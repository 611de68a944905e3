/**
 * The placement simulation's core: bins (instances, real or planned) and item groups (identical
 * tasks), and the heuristics that fill bins. Mutable and index-based for speed: a pass over
 * 10,000 tasks and 5,000 instances must take milliseconds, so identical tasks are grouped and the
 * constraint checks that do not change during a pass are memoized per bin.
 */
import type { InstanceView } from '../ecs/container-instance';
import type { Shape } from './snapshot';

/** A compiled memberOf expression. */
export interface MemberOf {
  text: string;
  /** The answer changes as tasks are placed (task:group, runningTasksCount): not memoized. */
  usesTaskGroups: boolean;
  test(view: InstanceView): boolean;
}

export type BinKind = 'registered' | 'launching' | 'new';

export interface Bin {
  kind: BinKind;
  id: string;
  instanceType: string;
  availabilityZone: string | undefined;
  /** Resources of the instance type, to normalize sizes. */
  capacityCpu: number;
  capacityMemory: number;
  cpu: number;
  memoryMiB: number;
  gpus: number;
  enis: number;
  tcp: Set<number>;
  udp: Set<number>;
  /** Tasks per task group on the instance (existing and placed). */
  groups: Map<string, number>;
  attributes: Record<string, string>;
  registeredAt: Date | undefined;
  /** Tasks on the instance before this plan (running + pending). */
  tasks: number;
  /** Tasks this plan places on it. */
  placed: number;
  /** Placed tasks by item group id; kept for new bins only (local improvement moves them). */
  contents: Map<number, number> | undefined;
  /** memberOf answers that do not depend on placements, by item group id (made when first needed). */
  memo: Map<number, boolean> | undefined;
  /** For new bins with mixed instance types: a constraint must hold for each type they may be. */
  alternativeTypes: string[] | undefined;
}

export interface ItemGroup {
  id: number;
  key: string;
  shape: Shape;
  /** Task group (service:NAME, family:NAME) for distinctInstance and task:group. */
  group: string | undefined;
  distinct: boolean;
  memberOf: MemberOf | undefined;
  sources: string[];
  /** Not on the registered instances ECS failed to place it on (booting and requested ones are fine). */
  newInstancesOnly: boolean;
  /** With newInstancesOnly: registered instances that registered since then (epoch ms) are new too. */
  newInstancesSince: number | undefined;
  total: number;
  remaining: number;
  onRegistered: number;
  onLaunching: number;
  onNew: number;
}

export function newBin(
  init: Omit<Bin, 'placed' | 'contents' | 'memo' | 'groups'> & { groups?: Iterable<string> },
): Bin {
  const groups = new Map<string, number>();
  for (const group of init.groups ?? []) groups.set(group, (groups.get(group) ?? 0) + 1);
  return {
    kind: init.kind,
    id: init.id,
    instanceType: init.instanceType,
    availabilityZone: init.availabilityZone,
    capacityCpu: init.capacityCpu,
    capacityMemory: init.capacityMemory,
    cpu: init.cpu,
    memoryMiB: init.memoryMiB,
    gpus: init.gpus,
    enis: init.enis,
    tcp: init.tcp,
    udp: init.udp,
    groups,
    attributes: init.attributes,
    registeredAt: init.registeredAt,
    tasks: init.tasks,
    placed: 0,
    contents: init.kind === 'new' ? new Map() : undefined,
    memo: undefined,
    alternativeTypes: init.alternativeTypes,
  };
}

/** The instance as the cluster query language sees it, for memberOf. */
export function binView(bin: Bin, instanceType = bin.instanceType): InstanceView {
  const attributes: Record<string, string | undefined> = {
    ...bin.attributes,
    'ecs.instance-type': instanceType,
  };
  if (bin.availabilityZone) attributes['ecs.availability-zone'] = bin.availabilityZone;
  const resources = {
    cpu: bin.cpu,
    memoryMiB: bin.memoryMiB,
    gpus: bin.gpus,
    ports: { tcp: [...bin.tcp], udp: [...bin.udp] },
    enis: bin.enis,
  };
  return {
    arn: bin.kind === 'registered' ? bin.id : '',
    ec2InstanceId: bin.kind === 'new' ? undefined : bin.id,
    status: 'ACTIVE',
    agentConnected: true,
    registered: resources,
    remaining: resources,
    attributes,
    runningTasksCount: bin.tasks + bin.placed,
    pendingTasksCount: 0,
    registeredAt: bin.registeredAt,
    taskGroups: [...bin.groups.keys()],
  };
}

const NO_RESOURCES = { cpu: 0, memoryMiB: 0, gpus: 0, ports: { tcp: [], udp: [] }, enis: 0 };

/**
 * One view per bin for the constraints placements don't change (attributes, ids, agent), built on
 * first use; resources are left out, as the query language never reads them.
 */
const staticViews = new WeakMap<Bin, InstanceView>();
function staticView(bin: Bin): InstanceView {
  let view = staticViews.get(bin);
  if (!view) {
    const known =
      bin.attributes['ecs.instance-type'] === bin.instanceType &&
      (!bin.availabilityZone || bin.attributes['ecs.availability-zone'] === bin.availabilityZone);
    view = {
      arn: bin.kind === 'registered' ? bin.id : '',
      ec2InstanceId: bin.kind === 'new' ? undefined : bin.id,
      status: 'ACTIVE',
      agentConnected: true,
      registered: NO_RESOURCES,
      remaining: NO_RESOURCES,
      attributes: known ? bin.attributes : binView(bin).attributes,
      runningTasksCount: bin.tasks,
      pendingTasksCount: 0,
      registeredAt: bin.registeredAt,
    };
    staticViews.set(bin, view);
  }
  return view;
}

function memberOfHolds(bin: Bin, item: ItemGroup): boolean {
  const memberOf = item.memberOf;
  if (!memberOf) return true;
  if (!memberOf.usesTaskGroups) {
    const known = bin.memo?.get(item.id);
    if (known !== undefined) return known;
  }
  const types = bin.alternativeTypes;
  const holds = types
    ? types.every((type) => memberOf.test(binView(bin, type)))
    : memberOf.test(memberOf.usesTaskGroups ? binView(bin) : staticView(bin));
  if (!memberOf.usesTaskGroups) {
    bin.memo ??= new Map();
    bin.memo.set(item.id, holds);
  }
  return holds;
}

/** Resources, ports and constraints: can one more task of this group go on this bin? */
export function fits(bin: Bin, item: ItemGroup): boolean {
  const shape = item.shape;
  if (
    shape.cpu > bin.cpu ||
    shape.memoryMiB > bin.memoryMiB ||
    shape.gpus > bin.gpus ||
    shape.enis > bin.enis
  ) {
    return false;
  }
  for (const port of shape.hostPorts.tcp) if (bin.tcp.has(port)) return false;
  for (const port of shape.hostPorts.udp) if (bin.udp.has(port)) return false;
  if (item.distinct && item.group !== undefined && (bin.groups.get(item.group) ?? 0) > 0) return false;
  return memberOfHolds(bin, item);
}

export function place(bin: Bin, item: ItemGroup): void {
  const shape = item.shape;
  bin.cpu -= shape.cpu;
  bin.memoryMiB -= shape.memoryMiB;
  bin.gpus -= shape.gpus;
  bin.enis -= shape.enis;
  for (const port of shape.hostPorts.tcp) bin.tcp.add(port);
  for (const port of shape.hostPorts.udp) bin.udp.add(port);
  if (item.group !== undefined) bin.groups.set(item.group, (bin.groups.get(item.group) ?? 0) + 1);
  bin.placed++;
  if (bin.contents) bin.contents.set(item.id, (bin.contents.get(item.id) ?? 0) + 1);
}

/** Undoes place(). */
export function unplace(bin: Bin, item: ItemGroup): void {
  const shape = item.shape;
  bin.cpu += shape.cpu;
  bin.memoryMiB += shape.memoryMiB;
  bin.gpus += shape.gpus;
  bin.enis += shape.enis;
  for (const port of shape.hostPorts.tcp) bin.tcp.delete(port);
  for (const port of shape.hostPorts.udp) bin.udp.delete(port);
  if (item.group !== undefined) {
    const left = (bin.groups.get(item.group) ?? 0) - 1;
    if (left > 0) bin.groups.set(item.group, left);
    else bin.groups.delete(item.group);
  }
  bin.placed--;
  if (bin.contents) {
    const left = (bin.contents.get(item.id) ?? 0) - 1;
    if (left > 0) bin.contents.set(item.id, left);
    else bin.contents.delete(item.id);
  }
}

let nextItemId = 0;

export function makeItemGroup(init: {
  key: string;
  shape: Shape;
  group: string | undefined;
  distinct: boolean;
  memberOf: MemberOf | undefined;
  sources: string[];
  count: number;
  newInstancesOnly?: boolean;
  newInstancesSince?: number | undefined;
}): ItemGroup {
  return {
    id: nextItemId++,
    key: init.key,
    shape: init.shape,
    group: init.group,
    distinct: init.distinct,
    memberOf: init.memberOf,
    sources: init.sources,
    newInstancesOnly: init.newInstancesOnly ?? false,
    newInstancesSince: init.newInstancesSince,
    total: init.count,
    remaining: init.count,
    onRegistered: 0,
    onLaunching: 0,
    onNew: 0,
  };
}

/**
 * How well one more task fills this bin. Dot product of the task's size and the bin's free space,
 * both normalized by the instance type (Panigrahy et al., "Heuristics for Vector Bin Packing"):
 * it prefers the task that uses the resource the bin has most of, so CPU-heavy and memory-heavy
 * tasks end up sharing instances.
 */
export type Scorer = (bin: Bin, item: ItemGroup) => number;

export const dotProduct: Scorer = (bin, item) => {
  const cpu = bin.capacityCpu;
  const memory = bin.capacityMemory;
  return (
    (item.shape.cpu * bin.cpu) / (cpu * cpu) + (item.shape.memoryMiB * bin.memoryMiB) / (memory * memory)
  );
};

/** Largest task first (by its dominant resource), as first-fit decreasing orders them. */
export const largestFirst: Scorer = (bin, item) =>
  dominantSize(item.shape, bin.capacityCpu, bin.capacityMemory);

export function dominantSize(shape: Shape, cpu: number, memory: number): number {
  const cpuShare = shape.cpu / cpu;
  const memoryShare = shape.memoryMiB / memory;
  // The sum breaks ties between tasks with the same dominant share.
  return Math.max(cpuShare, memoryShare) + (cpuShare + memoryShare) * 1e-3;
}

/**
 * Fills one bin greedily: repeatedly places the best-scoring task that fits (one rescan of the
 * groups per task: cheap at tens of shapes). `left` holds the counts still to place, per item index.
 */
export function fillBin(bin: Bin, items: readonly ItemGroup[], left: Int32Array, score: Scorer): number {
  let placed = 0;
  // Most registered instances of a cluster that needs to grow have no room for anything: skip them fast.
  let smallestCpu = Number.POSITIVE_INFINITY;
  let smallestMemory = Number.POSITIVE_INFINITY;
  for (let index = 0; index < items.length; index++) {
    if ((left[index] ?? 0) <= 0) continue;
    const shape = (items[index] as ItemGroup).shape;
    if (shape.cpu < smallestCpu) smallestCpu = shape.cpu;
    if (shape.memoryMiB < smallestMemory) smallestMemory = shape.memoryMiB;
  }
  if (bin.cpu < smallestCpu || bin.memoryMiB < smallestMemory) return 0;
  for (;;) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let index = 0; index < items.length; index++) {
      if ((left[index] ?? 0) <= 0) continue;
      const item = items[index] as ItemGroup;
      if (!fits(bin, item)) continue;
      const value = score(bin, item);
      if (value > bestScore) {
        bestScore = value;
        best = index;
      }
    }
    if (best < 0) return placed;
    const item = items[best] as ItemGroup;
    place(bin, item);
    left[best] = (left[best] ?? 0) - 1;
    placed++;
  }
}

/**
 * When to stop opening new instances that take nothing. New instances differ only by zone, and
 * Auto Scaling's zone order reaches every zone of the group sooner or later (it launches in the zone
 * with the fewest instances), so a new instance that refuses the tasks left proves nothing until,
 * since the last one that took a task, the order has opened one in every zone: a task confined to a
 * zone that holds more instances than the others waits for the others to catch up, however many
 * launches that takes. Without known zones, the first refusal is final.
 */
export class ZoneSweep {
  private readonly tried = new Set<string | undefined>();
  constructor(private readonly zones: readonly string[]) {}
  /** A new instance in `zone` took nothing: true once the order has tried every zone of the group. */
  miss(zone: string | undefined): boolean {
    this.tried.add(zone);
    return this.zones.every((candidate) => this.tried.has(candidate));
  }
  /** A new instance took a task: the zones are tried afresh. */
  hit(): void {
    this.tried.clear();
  }
}

/** Item-centric first-fit decreasing over a list of bins, opening new bins from `open`. */
export function firstFitDecreasing(
  items: readonly ItemGroup[],
  left: Int32Array,
  bins: Bin[],
  open: () => Bin,
  size: (item: ItemGroup) => number,
  /** The group's zones: new bins that refuse a placeable task are opened until each was tried. */
  zones: readonly string[],
): void {
  const order = items
    .map((_, index) => index)
    .sort((a, b) => size(items[b] as ItemGroup) - size(items[a] as ItemGroup));
  for (const index of order) {
    const item = items[index] as ItemGroup;
    // Bins only fill up, so the first bin that can take a task of this group never moves back.
    let start = 0;
    const sweep = new ZoneSweep(zones);
    while ((left[index] ?? 0) > 0) {
      let target: Bin | undefined;
      for (let b = start; b < bins.length; b++) {
        if (fits(bins[b] as Bin, item)) {
          target = bins[b];
          start = b;
          break;
        }
      }
      if (!target) {
        const fresh = open();
        bins.push(fresh);
        if (!fits(fresh, item)) {
          // Not on a new instance in this zone (a zone constraint): the group's next one goes elsewhere.
          if (sweep.miss(fresh.availabilityZone)) break;
          start = bins.length;
          continue;
        }
        sweep.hit();
        target = fresh;
        start = bins.length - 1;
      }
      place(target, item);
      left[index] = (left[index] ?? 0) - 1;
    }
  }
}
