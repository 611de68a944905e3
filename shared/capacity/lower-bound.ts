/**
 * A lower bound on the number of new instances any placement needs: each term relaxes the problem
 * (pools resources, drops constraints), so no plan can need fewer. The gap between a plan and this
 * bound says how much better any planner could do.
 */
import type { Bin, ItemGroup } from './packing';

export interface NewInstanceTemplate {
  cpu: number;
  memoryMiB: number;
  gpus: number;
  enis: number;
}

export type BoundKind =
  | 'cpu'
  | 'memory'
  | 'gpu'
  | 'eni'
  | 'large-tasks'
  | 'host-port'
  | 'distinct-instance'
  | 'large-and-spread'
  | 'martello-toth'
  | 'conflicts'
  | 'tasks-per-instance';

export interface LowerBound {
  value: number;
  /** Which relaxation gives the bound (the largest term). */
  by: BoundKind | 'none';
  terms: Record<BoundKind, number>;
}

/**
 * `items` are the placeable demand (remaining counts are ignored: totals are used), `existing` the
 * bins that already exist or are on their way, with their free resources before this plan.
 */
export function lowerBound(
  items: readonly ItemGroup[],
  existing: readonly Bin[],
  template: NewInstanceTemplate,
): LowerBound {
  const need = { cpu: 0, memoryMiB: 0, gpus: 0, enis: 0 };
  const have = { cpu: 0, memoryMiB: 0, gpus: 0, enis: 0 };
  for (const item of items) {
    need.cpu += item.shape.cpu * item.total;
    need.memoryMiB += item.shape.memoryMiB * item.total;
    need.gpus += item.shape.gpus * item.total;
    need.enis += item.shape.enis * item.total;
  }
  for (const bin of existing) {
    have.cpu += bin.cpu;
    have.memoryMiB += bin.memoryMiB;
    have.gpus += bin.gpus;
    have.enis += bin.enis;
  }
  const pooled = (wanted: number, free: number, perInstance: number) =>
    wanted <= free ? 0 : perInstance > 0 ? Math.ceil((wanted - free) / perInstance) : 0;
  // Tasks fill an instance only in sums of their sizes: 1920 CPU units hold at most 1536 of 512-unit
  // tasks. Counting that usable part keeps the bound valid and much closer to what packing can do.
  const maxOf = (values: number[]) => values.reduce((a, b) => Math.max(a, b), 0);
  const usableCpu = reachableWithin(
    maxOf([template.cpu, ...existing.map((bin) => bin.cpu)]),
    items.map((item) => item.shape.cpu),
  );
  const usableMemory = reachableWithin(
    maxOf([template.memoryMiB, ...existing.map((bin) => bin.memoryMiB)]),
    items.map((item) => item.shape.memoryMiB),
  );
  let usableFreeCpu = 0;
  let usableFreeMemory = 0;
  for (const bin of existing) {
    usableFreeCpu += usableCpu(bin.cpu);
    usableFreeMemory += usableMemory(bin.memoryMiB);
  }

  const terms: Record<BoundKind, number> = {
    cpu: pooled(need.cpu, usableFreeCpu, usableCpu(template.cpu)),
    memory: pooled(need.memoryMiB, usableFreeMemory, usableMemory(template.memoryMiB)),
    gpu: pooled(need.gpus, have.gpus, template.gpus),
    eni: pooled(need.enis, have.enis, template.enis),
    'large-tasks': largeTasks(items, existing, template),
    'host-port': hostPorts(items, existing),
    'distinct-instance': distinctInstances(items, existing),
    'large-and-spread': largeAndSpread(items, existing, template),
    conflicts: conflictClique(items, existing, template),
    'tasks-per-instance': tasksPerInstance(items, existing, template),
    'martello-toth':
      existing.length > 0
        ? 0
        : Math.max(
            martelloToth(items, (item) => item.shape.cpu, template.cpu),
            martelloToth(items, (item) => item.shape.memoryMiB, template.memoryMiB),
          ),
  };
  let value = 0;
  let by: LowerBound['by'] = 'none';
  for (const [kind, term] of Object.entries(terms) as [BoundKind, number][]) {
    if (term > value) {
      value = term;
      by = kind;
    }
  }
  return { value, by, terms };
}

/**
 * For capacities up to `max`: the largest sum of task sizes (any number of each) that fits, by
 * unbounded subset sum in steps of the sizes' greatest common divisor. One table per bound serves
 * every instance.
 */
export function reachableWithin(max: number, sizes: readonly number[]): (capacity: number) => number {
  const positive = [...new Set(sizes.filter((size) => size > 0))].sort((a, b) => a - b);
  if (positive.length === 0) return (capacity) => Math.max(0, capacity);
  const step = positive.reduce(gcd);
  const slots = Math.floor(Math.max(0, max) / step);
  // Past this the table costs more than the bound gains; the divisor alone still tightens it.
  if (slots > 50_000) return (capacity) => Math.max(0, Math.floor(capacity / step) * step);
  const units = positive.map((size) => size / step);
  const best = new Int32Array(slots + 1);
  const can = new Uint8Array(slots + 1);
  can[0] = 1;
  for (let total = 1; total <= slots; total++) {
    for (const unit of units) {
      if (unit > total) break;
      if (can[total - unit]) {
        can[total] = 1;
        break;
      }
    }
    best[total] = can[total] ? total : (best[total - 1] ?? 0);
  }
  return (capacity) => {
    if (capacity <= 0) return 0;
    const slot = Math.min(slots, Math.floor(capacity / step));
    return (best[slot] ?? 0) * step;
  };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * At most m tasks larger than 1/(m+1) of a new instance fit on one (m = 1: tasks over half an
 * instance need one each), per resource; existing instances absorb what their free room allows.
 */
function largeTasks(
  items: readonly ItemGroup[],
  existing: readonly Bin[],
  template: NewInstanceTemplate,
): number {
  const term = (size: (item: ItemGroup) => number, capacity: number, free: (bin: Bin) => number) => {
    let bound = 0;
    for (let perInstance = 1; perInstance <= 8; perInstance++) {
      const large = items.filter((item) => size(item) * (perInstance + 1) > capacity);
      const count = large.reduce((sum, item) => sum + item.total, 0);
      if (count === 0) continue;
      const smallest = Math.min(...large.map(size));
      const absorbable = existing.reduce((sum, bin) => sum + Math.floor(free(bin) / smallest), 0);
      bound = Math.max(bound, Math.ceil(Math.max(0, count - absorbable) / perInstance));
    }
    return bound;
  };
  return Math.max(
    term(
      (item) => item.shape.cpu,
      template.cpu,
      (bin) => bin.cpu,
    ),
    term(
      (item) => item.shape.memoryMiB,
      template.memoryMiB,
      (bin) => bin.memoryMiB,
    ),
  );
}

/** Tasks binding the same host port need one instance each. */
function hostPorts(items: readonly ItemGroup[], existing: readonly Bin[]): number {
  const users = new Map<string, number>();
  for (const item of items) {
    for (const port of item.shape.hostPorts.tcp)
      users.set(`tcp/${port}`, (users.get(`tcp/${port}`) ?? 0) + item.total);
    for (const port of item.shape.hostPorts.udp)
      users.set(`udp/${port}`, (users.get(`udp/${port}`) ?? 0) + item.total);
  }
  let bound = 0;
  for (const [key, count] of users) {
    const [protocol, text] = key.split('/');
    const port = Number(text);
    const free = existing.filter((bin) => !(protocol === 'udp' ? bin.udp : bin.tcp).has(port)).length;
    bound = Math.max(bound, count - free);
  }
  return bound;
}

/** A distinctInstance group needs as many instances as tasks, less the existing ones without it. */
function distinctInstances(items: readonly ItemGroup[], existing: readonly Bin[]): number {
  const perGroup = new Map<string, number>();
  for (const item of items) {
    if (!item.distinct || item.group === undefined) continue;
    perGroup.set(item.group, (perGroup.get(item.group) ?? 0) + item.total);
  }
  let bound = 0;
  for (const [group, count] of perGroup) {
    const free = existing.filter((bin) => (bin.groups.get(group) ?? 0) === 0).length;
    bound = Math.max(bound, count - free);
  }
  return bound;
}

/** How many tasks of a group one new instance can take when a count limits it (ports, distinct, ENIs, GPUs). */
export function countLimit(item: ItemGroup, template: NewInstanceTemplate): number {
  let limit = Number.POSITIVE_INFINITY;
  if (item.distinct || item.shape.hostPorts.tcp.length + item.shape.hostPorts.udp.length > 0) limit = 1;
  if (item.shape.enis > 0) limit = Math.min(limit, Math.floor(template.enis / item.shape.enis));
  if (item.shape.gpus > 0) limit = Math.min(limit, Math.floor(template.gpus / item.shape.gpus));
  return Math.max(1, limit);
}

/**
 * Large tasks (over half an instance in a resource) need an instance each. The rest go beside them,
 * as far as what those instances have left can hold tasks that fit there, or on other instances.
 */
function largeAndSpread(
  items: readonly ItemGroup[],
  existing: readonly Bin[],
  template: NewInstanceTemplate,
): number {
  if (existing.length > 0) return 0;
  const together = (a: ItemGroup, b: ItemGroup) =>
    a.shape.cpu + b.shape.cpu <= template.cpu &&
    a.shape.memoryMiB + b.shape.memoryMiB <= template.memoryMiB &&
    a.shape.gpus + b.shape.gpus <= template.gpus &&
    a.shape.enis + b.shape.enis <= template.enis;
  let bound = 0;
  const kinds: ((item: ItemGroup) => boolean)[] = [
    (item) => item.shape.cpu * 2 > template.cpu,
    (item) => item.shape.memoryMiB * 2 > template.memoryMiB,
    (item) => item.shape.cpu * 2 > template.cpu || item.shape.memoryMiB * 2 > template.memoryMiB,
  ];
  for (const isLarge of kinds) {
    const large = items.filter(isLarge);
    // Large in different resources may share; only a set that pairwise can't counts one each.
    if (large.length === 0 || !large.every((a) => large.every((b) => !together(a, b)))) continue;
    const largeCount = large.reduce((sum, item) => sum + item.total, 0);
    const rest = items.filter((item) => !large.includes(item));
    const total = (group: ItemGroup[], pick: (item: ItemGroup) => number) =>
      group.reduce((sum, item) => sum + pick(item) * item.total, 0);
    // What the instances holding a large task can still take of the rest, per resource.
    const absorbed = (pick: (item: ItemGroup) => number, capacity: number) =>
      large.reduce((sum, item) => {
        const companions = rest.filter((other) => together(item, other)).map(pick);
        if (companions.length === 0) return sum;
        const room = reachableWithin(capacity, companions)(capacity - pick(item));
        return sum + room * item.total;
      }, 0);
    const perResource = (pick: (item: ItemGroup) => number, capacity: number) => {
      const usable = reachableWithin(capacity, rest.map(pick))(capacity);
      const left = total(rest, pick) - absorbed(pick, capacity);
      return left > 0 && usable > 0 ? Math.ceil(left / usable) : 0;
    };
    // Count-limited tasks that fit beside no large task need instances of their own.
    const apart = rest.filter((item) => large.every((other) => !together(item, other)));
    const spread = Math.max(0, ...apart.map((item) => Math.ceil(item.total / countLimit(item, template))));
    const perResourceBound = Math.max(
      perResource((item) => item.shape.cpu, template.cpu),
      perResource((item) => item.shape.memoryMiB, template.memoryMiB),
      spread,
    );
    bound = Math.max(bound, largeCount + perResourceBound);
  }
  return bound;
}

/**
 * Martello and Toth's L2 bound for one resource: for a threshold k, tasks above C - k need an
 * instance each, tasks in (C/2, C - k] too, and tasks in [k, C/2] fill what those leave and more.
 */
function martelloToth(
  items: readonly ItemGroup[],
  size: (item: ItemGroup) => number,
  capacity: number,
): number {
  if (capacity <= 0) return 0;
  const thresholds = [0, ...new Set(items.map(size).filter((value) => value <= capacity / 2))];
  let best = 0;
  for (const k of thresholds) {
    let above = 0;
    let middle = 0;
    let middleSize = 0;
    let smallSize = 0;
    for (const item of items) {
      const value = size(item);
      if (value > capacity - k) above += item.total;
      else if (value > capacity / 2) {
        middle += item.total;
        middleSize += value * item.total;
      } else if (value >= k) smallSize += value * item.total;
    }
    const spare = middle * capacity - middleSize;
    const bound = above + middle + Math.max(0, Math.ceil((smallSize - spare) / capacity));
    best = Math.max(best, bound);
  }
  return best;
}

/**
 * Tasks that pairwise can't share an instance (together too big in a resource, the same host port,
 * the same distinctInstance group) need one instance each. A clique of such groups, found greedily
 * from each starting group, counts every task of a group whose tasks also exclude each other.
 */
function conflictClique(
  items: readonly ItemGroup[],
  existing: readonly Bin[],
  template: NewInstanceTemplate,
): number {
  if (items.length === 0) return 0;
  const sharesPort = (a: ItemGroup, b: ItemGroup) =>
    a.shape.hostPorts.tcp.some((port) => b.shape.hostPorts.tcp.includes(port)) ||
    a.shape.hostPorts.udp.some((port) => b.shape.hostPorts.udp.includes(port));
  const conflict = (a: ItemGroup, b: ItemGroup) =>
    a.shape.cpu + b.shape.cpu > template.cpu ||
    a.shape.memoryMiB + b.shape.memoryMiB > template.memoryMiB ||
    a.shape.gpus + b.shape.gpus > template.gpus ||
    a.shape.enis + b.shape.enis > template.enis ||
    sharesPort(a, b) ||
    (a.distinct && b.distinct && a.group !== undefined && a.group === b.group);
  const weight = (item: ItemGroup) => (conflict(item, item) ? item.total : 1);
  const order = [...items].sort((a, b) => weight(b) - weight(a));
  let best = 0;
  let bestMembers: ItemGroup[] = [];
  for (const start of order) {
    const members = [start];
    for (const candidate of order) {
      if (candidate !== start && members.every((member) => conflict(member, candidate)))
        members.push(candidate);
    }
    const size = members.reduce((sum, member) => sum + weight(member), 0);
    if (size > best) {
      best = size;
      bestMembers = members;
    }
  }
  // An existing instance may hold several of them if it has more room than a new one.
  const smallest = (pick: (item: ItemGroup) => number) => Math.min(...bestMembers.map(pick));
  const minCpu = smallest((item) => item.shape.cpu);
  const minMemory = smallest((item) => item.shape.memoryMiB);
  const absorbed = existing.reduce((sum, bin) => {
    const byCpu = minCpu > 0 ? Math.floor(bin.cpu / minCpu) : Number.POSITIVE_INFINITY;
    const byMemory = minMemory > 0 ? Math.floor(bin.memoryMiB / minMemory) : Number.POSITIVE_INFINITY;
    const fitsOne = Math.min(byCpu, byMemory);
    return sum + (Number.isFinite(fitsOne) ? fitsOne : best);
  }, 0);
  return Math.max(0, best - absorbed);
}

/**
 * Tasks that are each a large share of an instance: however they are combined, one instance holds
 * at most k of them, so they need |S| / k instances. k comes from a two-resource knapsack that
 * maximizes the count (sizes rounded down to a grid, which only makes k larger: still a bound).
 */
function tasksPerInstance(
  items: readonly ItemGroup[],
  existing: readonly Bin[],
  template: NewInstanceTemplate,
): number {
  // With many instances already there, their room dominates and this bound adds nothing but time.
  if (template.cpu <= 0 || template.memoryMiB <= 0 || existing.length > 200) return 0;
  const share = (item: ItemGroup) =>
    Math.max(item.shape.cpu / template.cpu, item.shape.memoryMiB / template.memoryMiB);
  const thresholds = [...new Set(items.map(share).filter((value) => value > 0.2 && value <= 1))]
    .sort((a, b) => a - b)
    .slice(0, 8);
  if (thresholds.length === 0) return 0;
  const cpuStep = gridStep(
    template.cpu,
    items.map((item) => item.shape.cpu),
  );
  const memoryStep = gridStep(
    template.memoryMiB,
    items.map((item) => item.shape.memoryMiB),
  );
  const width = Math.floor(template.cpu / cpuStep);
  const height = Math.floor(template.memoryMiB / memoryStep);
  if ((width + 1) * (height + 1) > 40_000) return 0;
  // Existing instances must fit in the table to be counted; otherwise this bound says nothing.
  for (const bin of existing) if (bin.cpu > template.cpu || bin.memoryMiB > template.memoryMiB) return 0;
  let bound = 0;
  for (const threshold of thresholds) {
    const chosen = items.filter((item) => share(item) >= threshold);
    const count = chosen.reduce((sum, item) => sum + item.total, 0);
    const sizes = [
      ...new Set(
        chosen.map(
          (item) =>
            `${Math.floor(item.shape.cpu / cpuStep)}:${Math.floor(item.shape.memoryMiB / memoryStep)}`,
        ),
      ),
    ].map((key) => key.split(':').map(Number) as [number, number]);
    if (sizes.some(([cpu, memory]) => cpu === 0 && memory === 0)) continue;
    const most = new Int32Array((width + 1) * (height + 1));
    for (let c = 0; c <= width; c++) {
      for (let m = 0; m <= height; m++) {
        let best = Math.max(
          c > 0 ? (most[(c - 1) * (height + 1) + m] ?? 0) : 0,
          m > 0 ? (most[c * (height + 1) + m - 1] ?? 0) : 0,
        );
        for (const [cpu, memory] of sizes) {
          if (cpu <= c && memory <= m)
            best = Math.max(best, (most[(c - cpu) * (height + 1) + (m - memory)] ?? 0) + 1);
        }
        most[c * (height + 1) + m] = best;
      }
    }
    const perInstance = most[width * (height + 1) + height] ?? 0;
    if (perInstance <= 0) continue;
    const absorbed = existing.reduce(
      (sum, bin) =>
        sum +
        (most[Math.floor(bin.cpu / cpuStep) * (height + 1) + Math.floor(bin.memoryMiB / memoryStep)] ?? 0),
      0,
    );
    bound = Math.max(bound, Math.ceil(Math.max(0, count - absorbed) / perInstance));
  }
  return bound;
}

/** The sizes' common divisor, coarsened until the capacity spans at most ~200 steps. */
function gridStep(capacity: number, sizes: number[]): number {
  const positive = sizes.filter((size) => size > 0);
  let step = positive.length > 0 ? positive.reduce(gcd) : capacity;
  while (capacity / step > 200) step *= 2;
  return Math.max(1, step);
}
