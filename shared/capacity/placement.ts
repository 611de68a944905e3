import { freshBin, type ZoneBalancer } from './bins';
import { sum } from './explain';
import { headroomItem } from './items';
import type { LowerBound } from './lower-bound';
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
import { isIdle, leastValuableFirst } from './scale-in';
import type { CapacitySnapshot, RegisteredInstance } from './snapshot';

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

/**
 * Places the demand, then the headroom: on registered instances (busy ones first, fullest first;
 * then idle ones, most valuable first, so the least valuable stay empty and can go), on booting and
 * requested ones, then on new instances in Auto Scaling's zone order.
 */
export function placeDemand(input: {
  snapshot: CapacitySnapshot;
  template: NewInstanceTemplate;
  now: number;
  usable: RegisteredInstance[];
  instanceById: Map<string, RegisteredInstance>;
  registeredBins: Bin[];
  launchingBins: Bin[];
  zones: ZoneBalancer;
  placeable: ItemGroup[];
  bound: LowerBound;
}): {
  newBins: Bin[];
  headroom: ItemGroup | undefined;
  busyFirst: Bin[];
  removalOrder: RegisteredInstance[];
} {
  const {
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
  } = input;
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
  return { newBins, headroom, busyFirst, removalOrder };
}
