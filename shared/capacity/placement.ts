/**
 * Placement on new instances: several packings of the same demand, the best kept (fewest instances),
 * in Auto Scaling's zone order.
 */
import { freshBin, type ZoneBalancer } from './bins';
import { sum } from './explain';
import { countLimit, type NewInstanceTemplate } from './lower-bound';
import {
  type Bin,
  dominantSize,
  dotProduct,
  fillBin,
  firstFitDecreasing,
  fits,
  type ItemGroup,
  largestFirst,
  place,
  type Scorer,
  unplace,
  ZoneSweep,
} from './packing';
import { PATTERN_INSTANCES, patternStrategies } from './patterns';
import type { CapacitySnapshot } from './snapshot';

/**
 * New instances: several packings of the same demand, keeping the one with the fewest instances
 * (then the fullest last instance). Bin-centric dot product usually wins on mixed CPU- and
 * memory-heavy shapes; largest-first and first-fit decreasing cover the cases it does not; pattern
 * packing (patterns.ts) finds the combinations greedy filling misses when resources, ENIs and
 * one-per-instance rules bind together.
 */
export function packNew(
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
export function spreadScarce(
  bin: Bin,
  round: ItemGroup[],
  left: Int32Array,
  template: NewInstanceTemplate,
): number {
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

export function better(bins: Bin[], left: Int32Array, than: { bins: Bin[]; left: Int32Array }): boolean {
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
export function improve(bins: Bin[], round: ItemGroup[]): void {
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

export function trimTrailingEmpty(bins: Bin[]): void {
  while (bins.length > 0 && (bins[bins.length - 1] as Bin).placed === 0) bins.pop();
}

export function fullness(bin: Bin): number {
  return 1 - bin.cpu / bin.capacityCpu + (1 - bin.memoryMiB / bin.capacityMemory);
}
