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

export type BoundKind = 'cpu' | 'memory' | 'gpu' | 'eni' | 'large-tasks' | 'host-port' | 'distinct-instance';

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
 * Tasks using more than half of a new instance's CPU can't share one with each other (likewise for
 * memory), so each needs its own instance, less what existing instances could absorb.
 */
function largeTasks(
  items: readonly ItemGroup[],
  existing: readonly Bin[],
  template: NewInstanceTemplate,
): number {
  const term = (size: (item: ItemGroup) => number, capacity: number, free: (bin: Bin) => number) => {
    const large = items.filter((item) => size(item) * 2 > capacity);
    const count = large.reduce((sum, item) => sum + item.total, 0);
    if (count === 0) return 0;
    const smallest = Math.min(...large.map(size));
    const absorbable = existing.reduce((sum, bin) => sum + Math.floor(free(bin) / smallest), 0);
    return Math.max(0, count - absorbable);
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
