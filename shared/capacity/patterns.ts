/**
 * Patterns: what one new instance can hold, as tasks per item group, and the most valuable one under
 * given values per task, found exactly by branch and bound. The planner fills new instances with
 * such patterns (`patternStrategies`); the benchmark's LP bound prices columns with it.
 */
import type { NewInstanceTemplate } from './lower-bound';
import { type Bin, dotProduct, fillBin, fits, type ItemGroup, place, ZoneSweep } from './packing';

/** CPU units, MiB, GPUs, ENIs: the resources a pattern must fit in. */
export type Resources = [cpu: number, memoryMiB: number, gpus: number, enis: number];

export interface PatternItem {
  key: string;
  demand: number;
  size: Resources;
  /** Keys at most one task may hold per instance, across items (host ports, distinctInstance groups). */
  exclusive: string[];
}

/** Bin packing with the planner's rules for one new instance. */
export interface ConfigurationProblem {
  capacity: Resources;
  items: PatternItem[];
  /**
   * The kinds of new instance (one per set of zones where memberOf answers alike): which items each
   * may hold. A pattern holds only items its kind allows.
   */
  kinds: boolean[][];
}

export interface Pricing {
  /** The most valuable pattern's value: exact, or an upper bound on it when `exact` is false. */
  value: number;
  /** The best pattern found (tasks per item). */
  counts: number[];
  exact: boolean;
  nodes: number;
}

/** An item group as the pattern rules see it: its size, and the keys it holds one of per instance. */
export function patternItem(item: ItemGroup, demand: number): PatternItem {
  return {
    key: item.key,
    demand,
    size: [item.shape.cpu, item.shape.memoryMiB, item.shape.gpus, item.shape.enis],
    exclusive: [
      ...item.shape.hostPorts.tcp.map((port) => `tcp/${port}`),
      ...item.shape.hostPorts.udp.map((port) => `udp/${port}`),
      // As fits() checks it: a distinctInstance task never joins another task of its group.
      ...(item.distinct && item.group !== undefined ? [`distinct/${item.group}`] : []),
    ],
  };
}

/** The most tasks of an item one new instance can hold alone (and no more than its demand). */
export function aloneLimit(problem: ConfigurationProblem, item: PatternItem): number {
  let limit = item.exclusive.length > 0 ? Math.min(1, item.demand) : item.demand;
  item.size.forEach((size, r) => {
    if (size > 0) limit = Math.min(limit, Math.floor((problem.capacity[r] as number) / size));
  });
  return Math.max(0, limit);
}

/**
 * The pricing problem, exactly: the pattern maximizing sum value_i * count_i over what one instance
 * of `kind` can hold (every resource, one task per exclusive key, counts up to the demand). Depth
 * first branch and bound, largest counts first, pruned by the weakest fractional knapsack among
 * each resource alone and their sum relative to capacity. Fast for tens of shapes; past `nodeLimit`
 * it gives up: `counts` is the best pattern found and `value` its root bound (still an upper bound).
 */
export function bestPattern(
  problem: ConfigurationProblem,
  kind: readonly boolean[],
  values: readonly number[],
  nodeLimit = 50_000,
): Pricing {
  const resources = problem.capacity.length;
  const candidates = problem.items
    .map((item, index) => ({ item, index, value: values[index] ?? 0, limit: aloneLimit(problem, item) }))
    .filter((entry) => kind[entry.index] && entry.value > 0 && entry.limit > 0);
  const share = (entry: (typeof candidates)[number]) =>
    Math.max(...entry.item.size.map((size, r) => size / ((problem.capacity[r] as number) || 1)));
  candidates.sort((a, b) => b.value / (share(b) || 1e-12) - a.value / (share(a) || 1e-12));
  const n = candidates.length;
  const keyIndex = new Map<string, number>();
  const exclusive = candidates.map((entry) =>
    entry.item.exclusive.map((key) => {
      if (!keyIndex.has(key)) keyIndex.set(key, keyIndex.size);
      return keyIndex.get(key) as number;
    }),
  );
  const used = new Uint8Array(keyIndex.size);
  const size = candidates.map((entry) => entry.item.size);
  // Relaxations for the bound: each resource alone, and their sum relative to capacity (a surrogate
  // constraint, tighter when both CPU and memory bind). Per relaxation, the weighted size of each
  // candidate and the candidates by value per unit of it (those that use none first).
  const weightings = [
    ...problem.capacity.map((capacity, r) =>
      problem.capacity.map((_, s) => (s === r && capacity > 0 ? 1 : 0)),
    ),
    problem.capacity.map((capacity) => (capacity > 0 ? 1 / capacity : 0)),
  ].filter((weights) => weights.some((weight) => weight > 0));
  const relaxations = weightings.map((weights) => {
    const weighted = candidates.map((entry) =>
      entry.item.size.reduce((sum, amount, r) => sum + amount * (weights[r] as number), 0),
    );
    const density = (position: number) =>
      (weighted[position] as number) > 0
        ? (candidates[position] as (typeof candidates)[number]).value / (weighted[position] as number)
        : Number.POSITIVE_INFINITY;
    const order = candidates.map((_, position) => position).sort((a, b) => density(b) - density(a));
    return { weights, weighted, order };
  });
  const room = [...problem.capacity];
  const counts = new Array<number>(n).fill(0);
  const limitNow = (position: number) => {
    if ((exclusive[position] as number[]).some((key) => used[key])) return 0;
    let limit = (candidates[position] as (typeof candidates)[number]).limit;
    const sizes = size[position] as Resources;
    for (let r = 0; r < resources; r++) {
      const amount = sizes[r] as number;
      if (amount > 0) limit = Math.min(limit, Math.floor((room[r] as number) / amount));
    }
    return limit;
  };
  const upperBound = (from: number) => {
    let bound = Number.POSITIVE_INFINITY;
    for (const { weights, weighted, order } of relaxations) {
      let left = room.reduce((sum, amount, r) => sum + amount * (weights[r] as number), 0);
      let total = 0;
      for (const position of order) {
        if (position < from) continue;
        const limit = limitNow(position);
        if (limit <= 0) continue;
        const value = (candidates[position] as (typeof candidates)[number]).value;
        const amount = weighted[position] as number;
        if (amount <= 0) {
          total += value * limit;
          continue;
        }
        if (left <= 0) break;
        const take = Math.min(limit, left / amount);
        total += value * take;
        left -= take * amount;
      }
      bound = Math.min(bound, total);
    }
    return bound;
  };
  let best = 0;
  let bestCounts = counts.slice();
  let nodes = 0;
  let stopped = false;
  const search = (position: number, value: number) => {
    if (stopped) return;
    if (++nodes > nodeLimit) {
      stopped = true;
      return;
    }
    if (value > best) {
      best = value;
      bestCounts = counts.slice();
    }
    if (position >= n || value + upperBound(position) <= best) return;
    const entry = candidates[position] as (typeof candidates)[number];
    const keys = exclusive[position] as number[];
    const sizes = size[position] as Resources;
    for (let count = limitNow(position); count >= 0; count--) {
      counts[position] = count;
      for (let r = 0; r < resources; r++) room[r] = (room[r] as number) - count * (sizes[r] as number);
      if (count > 0) for (const key of keys) used[key] = 1;
      search(position + 1, value + count * entry.value);
      if (count > 0) for (const key of keys) used[key] = 0;
      for (let r = 0; r < resources; r++) room[r] = (room[r] as number) + count * (sizes[r] as number);
      if (stopped) break;
    }
    counts[position] = 0;
  };
  const rootBound = upperBound(0);
  search(0, 0);
  const pattern = new Array<number>(problem.items.length).fill(0);
  bestCounts.forEach((count, position) => {
    pattern[(candidates[position] as (typeof candidates)[number]).index] = count;
  });
  return { value: stopped ? Math.max(best, rootBound) : best, counts: pattern, exact: !stopped, nodes };
}

/** Whether one new instance of `kind` can hold these tasks per item: the rules of the pricing problem. */
export function holds(
  problem: ConfigurationProblem,
  kind: readonly boolean[],
  counts: readonly number[],
): boolean {
  const keys = new Set<string>();
  for (let index = 0; index < problem.items.length; index++) {
    const count = counts[index] ?? 0;
    const item = problem.items[index] as PatternItem;
    if (count < 0 || !Number.isInteger(count) || count > item.demand) return false;
    if (count === 0) continue;
    if (!kind[index] || (item.exclusive.length > 0 && count > 1)) return false;
    for (const key of item.exclusive) {
      if (keys.has(key)) return false;
      keys.add(key);
    }
  }
  return problem.capacity.every(
    (capacity, r) =>
      problem.items.reduce((sum, item, index) => sum + (counts[index] ?? 0) * (item.size[r] as number), 0) <=
      capacity,
  );
}

/** Patterns are for rounds of at most this many shapes and plans of at most this many new instances. */
const PATTERN_SHAPES = 16;
export const PATTERN_INSTANCES = 600;
/** Branch-and-bound nodes per pattern, and for all the passes of one round. */
const NODES_PER_PATTERN = 1_000;
const NODES_PER_ROUND = 50_000;
/** Passes after the first two, each with values corrected by the one before. */
const CORRECTIONS = 6;

type Strategy = (left: Int32Array, open: () => Bin) => Bin[] | undefined;

/**
 * Pattern packing: each new instance gets the most valuable pattern of the tasks left (exact, by
 * branch and bound), topped up by dot product. Values say what a task costs in instances; the
 * passes try sizes, sizes weighted by what is scarce (resources and one-per-instance keys), then
 * sequential value correction (Mukhacheva and Belov's SVC): each pass shares every instance's cost
 * among its tasks by size, so tasks that packed badly get dearer and are placed first next time.
 * Deterministic: a node budget, not a clock, bounds the work. Empty when the round is too large.
 */
export function patternStrategies(
  round: readonly ItemGroup[],
  template: NewInstanceTemplate,
  /** The group's zones (see ZoneSweep). */
  zones: readonly string[],
): Strategy[] {
  if (round.length === 0 || round.length > PATTERN_SHAPES) return [];
  const capacity: Resources = [template.cpu, template.memoryMiB, template.gpus, template.enis];
  const items = round.map((item) => patternItem(item, 0));
  const kind = round.map(() => true);
  let nodes = 0;
  // A task's share of an instance: each resource relative to capacity, summed.
  const weight = items.map((item) =>
    item.size.reduce(
      (sum, amount, r) => sum + ((capacity[r] as number) > 0 ? amount / (capacity[r] as number) : 0),
      0,
    ),
  );
  const sizes = () => weight;
  const scarce = (left: Int32Array) => {
    // Instances each resource and each key needs alone; a task is worth its use of each, scaled by that.
    const need = capacity.map((cap, r) =>
      cap > 0 ? items.reduce((sum, item, i) => sum + (left[i] ?? 0) * (item.size[r] as number), 0) / cap : 0,
    );
    const holders = new Map<string, number>();
    items.forEach((item, i) => {
      for (const key of item.exclusive) holders.set(key, (holders.get(key) ?? 0) + (left[i] ?? 0));
    });
    const most = Math.max(1, ...need, ...holders.values());
    return items.map((item, i) => {
      let value = 0;
      item.size.forEach((amount, r) => {
        if ((capacity[r] as number) > 0)
          value += ((need[r] as number) / most) * (amount / (capacity[r] as number));
      });
      for (const key of item.exclusive) value += (holders.get(key) ?? 0) / most;
      return value || (weight[i] as number);
    });
  };
  const pass =
    (values: (left: Int32Array) => readonly number[], after?: (bins: Bin[]) => void): Strategy =>
    (left, open) => {
      if (nodes >= NODES_PER_ROUND) return undefined;
      const bins: Bin[] = [];
      const sweep = new ZoneSweep(zones);
      let pattern: number[] | undefined;
      while (left.some((count) => count > 0)) {
        // The same pattern serves instance after instance until the tasks it takes run out.
        if (
          !pattern ||
          pattern.every((count) => count === 0) ||
          pattern.some((count, i) => count > (left[i] ?? 0))
        ) {
          pattern = new Array<number>(items.length).fill(0);
          if (nodes < NODES_PER_ROUND) {
            items.forEach((item, i) => {
              item.demand = Math.max(0, left[i] ?? 0);
            });
            // A hair over zero so that tasks worth nothing still fill room.
            const worth = values(left).map((value, i) => ((left[i] ?? 0) > 0 ? value + 1e-9 : 0));
            const best = bestPattern({ capacity, items, kinds: [kind] }, kind, worth, NODES_PER_PATTERN);
            nodes += best.nodes;
            pattern = best.counts;
          }
        }
        const bin = open();
        bins.push(bin);
        let placed = 0;
        round.forEach((item, i) => {
          for (let k = pattern?.[i] ?? 0; k > 0 && (left[i] ?? 0) > 0 && fits(bin, item); k--) {
            place(bin, item);
            left[i] = (left[i] ?? 0) - 1;
            placed++;
          }
        });
        placed += fillBin(bin, round, left, dotProduct);
        if (placed === 0) {
          // A zone constraint: the group's next instance goes to another zone.
          if (sweep.miss(bin.availabilityZone)) break;
        } else sweep.hit();
      }
      after?.(bins);
      return bins;
    };
  let prices: number[] | undefined;
  const correct = (bins: Bin[]) => {
    const index = new Map(round.map((item, i) => [item.id, i]));
    const shares = new Array<number>(items.length).fill(0);
    const tasks = new Array<number>(items.length).fill(0);
    for (const bin of bins) {
      let total = 0;
      for (const [id, count] of bin.contents ?? []) total += count * (weight[index.get(id) ?? -1] ?? 0);
      if (total <= 0) continue;
      for (const [id, count] of bin.contents ?? []) {
        const i = index.get(id);
        if (i === undefined) continue;
        shares[i] = (shares[i] ?? 0) + (count * (weight[i] as number)) / total;
        tasks[i] = (tasks[i] ?? 0) + count;
      }
    }
    const fresh = shares.map((share, i) =>
      (tasks[i] ?? 0) > 0 ? share / (tasks[i] as number) : (weight[i] as number),
    );
    prices = prices ? prices.map((price, i) => (price + (fresh[i] as number)) / 2) : fresh;
  };
  return [
    pass(sizes),
    pass(scarce, correct),
    ...Array.from({ length: CORRECTIONS }, () => pass(() => prices ?? weight, correct)),
  ];
}
