import fc from 'fast-check';
import type { Highs } from 'highs';
import { beforeAll, describe, expect, it } from 'vitest';
import { newInstanceTemplate, planCapacity } from '../shared/capacity/planner';
import {
  bestPattern,
  type ConfigurationProblem,
  certifiedBound,
  configurationBound,
  holds,
  loadLpSolver,
  newInstanceProblem,
  type PatternItem,
  pricePattern,
} from './lp-bound';
import { generateWorkload } from './workloads';

let highs: Highs;
beforeAll(async () => {
  highs = await loadLpSolver();
});

const item = (
  key: string,
  demand: number,
  cpu: number,
  memoryMiB = 0,
  exclusive: string[] = [],
  enis = 0,
): PatternItem => ({ key, demand, size: [cpu, memoryMiB, 0, enis], exclusive });

const problem = (items: PatternItem[], capacity: ConfigurationProblem['capacity']): ConfigurationProblem => ({
  capacity,
  items,
  kinds: [items.map(() => true)],
});

/** The pricing problem as a MIP for HiGHS: the reference the branch and bound must match. */
function pricingByMip(p: ConfigurationProblem, kind: readonly boolean[], values: readonly number[]): number {
  const used = p.items.map((_, index) => index).filter((index) => kind[index]);
  if (used.length === 0) return 0;
  const term = (pick: (index: number) => number) =>
    used
      .filter((index) => pick(index) !== 0)
      .map((index) => `${pick(index)} y${index}`)
      .join(' + ');
  const rows: string[] = [];
  p.capacity.forEach((capacity, r) => {
    const sum = term((index) => (p.items[index] as PatternItem).size[r] as number);
    if (sum) rows.push(` res${r}: ${sum} <= ${capacity}`);
  });
  const keys = new Set(used.flatMap((index) => (p.items[index] as PatternItem).exclusive));
  [...keys].forEach((key, k) => {
    const sum = term((index) => ((p.items[index] as PatternItem).exclusive.includes(key) ? 1 : 0));
    rows.push(` key${k}: ${sum} <= 1`);
  });
  const text = [
    'Maximize',
    ` value: ${used.map((index) => `${values[index] ?? 0} y${index}`).join(' + ')}`,
    'Subject To',
    ...(rows.length > 0 ? rows : [` none: y${used[0]} >= 0`]),
    'Bounds',
    ...used.map((index) => ` 0 <= y${index} <= ${(p.items[index] as PatternItem).demand}`),
    'Generals',
    ` ${used.map((index) => `y${index}`).join(' ')}`,
    'End',
  ].join('\n');
  const result = highs.solve(text, { output_flag: false, mip_rel_gap: 0 });
  expect(result.Status).toBe('Optimal');
  return result.ObjectiveValue;
}

describe('bestPattern (pricing)', () => {
  it('matches HiGHS solving the same pricing problem as a MIP', () => {
    const itemArbitrary = fc.record({
      demand: fc.integer({ min: 1, max: 12 }),
      cpu: fc.integer({ min: 0, max: 12 }).map((units) => units * 128),
      memoryMiB: fc.integer({ min: 0, max: 12 }).map((units) => units * 256),
      enis: fc.integer({ min: 0, max: 2 }),
      port: fc.option(fc.constantFrom('tcp/80', 'tcp/443', 'udp/53'), { nil: undefined }),
      distinct: fc.option(fc.constantFrom('distinct/a', 'distinct/b'), { nil: undefined }),
      value: fc.double({ min: 0, max: 1, noNaN: true }),
      allowed: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(itemArbitrary, { minLength: 1, maxLength: 9 }), (specs) => {
        const p: ConfigurationProblem = {
          capacity: [2048, 4096, 0, 3],
          items: specs.map((spec, index) => ({
            key: `i${index}`,
            demand: spec.demand,
            size: [spec.cpu, spec.memoryMiB, 0, spec.enis],
            exclusive: [spec.port, spec.distinct].filter((key) => key !== undefined),
          })),
          kinds: [],
        };
        const kind = specs.map((spec) => spec.allowed);
        const values = specs.map((spec) => spec.value);
        const pricing = bestPattern(p, kind, values, 10_000_000);
        expect(pricing.exact).toBe(true);
        const reference = pricingByMip(p, kind, values);
        expect(pricing.value).toBeCloseTo(reference, 6);
        // Cut short at once, the HiGHS fallback answers the same, and never below the optimum.
        const fallback = pricePattern(p, kind, values, highs, 1);
        expect(fallback.value).toBeCloseTo(reference, 6);
        expect(fallback.value).toBeGreaterThanOrEqual(pricing.value);
        expect(holds(p, kind, fallback.counts)).toBe(true);
        // The pattern is one the instance can hold, worth what is claimed.
        const counts = pricing.counts;
        p.capacity.forEach((capacity, r) => {
          const used = counts.reduce(
            (sum, count, index) => sum + count * ((p.items[index] as PatternItem).size[r] as number),
            0,
          );
          expect(used).toBeLessThanOrEqual(capacity);
        });
        for (const key of ['tcp/80', 'tcp/443', 'udp/53', 'distinct/a', 'distinct/b']) {
          const holders = counts.reduce(
            (sum, count, index) =>
              sum + ((p.items[index] as PatternItem).exclusive.includes(key) ? count : 0),
            0,
          );
          expect(holders).toBeLessThanOrEqual(1);
        }
        counts.forEach((count, index) => {
          expect(count).toBeLessThanOrEqual((p.items[index] as PatternItem).demand);
          if (count > 0) expect(kind[index]).toBe(true);
        });
        expect(counts.reduce((sum, count, index) => sum + count * (values[index] ?? 0), 0)).toBeCloseTo(
          pricing.value,
          9,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('cut short by its node limit, reports an upper bound; HiGHS then solves it exactly', () => {
    // Values nearly proportional to sizes: the hard kind of knapsack for branch and bound.
    const p = problem(
      Array.from({ length: 8 }, (_, index) => item(`i${index}`, 9, 97 + index * 13, 211 + index * 7)),
      [4096, 8192, 0, 0],
    );
    const kind = p.kinds[0] as boolean[];
    const values = p.items.map((_, index) => 0.1 + index * 0.013);
    const cut = bestPattern(p, kind, values, 1000);
    const solved = pricePattern(p, kind, values, highs, 1000);
    expect(cut.exact).toBe(false);
    expect(solved.exact).toBe(true);
    expect(cut.value).toBeGreaterThanOrEqual(solved.value);
    expect(solved.value).toBeCloseTo(pricingByMip(p, kind, values), 6);
    expect(holds(p, kind, solved.counts)).toBe(true);
  });
});

describe('configurationBound on hand-made cases', () => {
  it('counts one port task beside each large task, two apart: 4 instances where CPU alone says 3', () => {
    // A large task (600 of 1000 CPU) leaves room for one 300-CPU port task; instances without one
    // hold a task of each port. Optimum: large+A, large+B, A+B, A+B.
    const p = problem(
      [item('large', 2, 600), item('port-a', 3, 300, 0, ['tcp/80']), item('port-b', 3, 300, 0, ['tcp/81'])],
      [1000, 1000, 0, 0],
    );
    const bound = configurationBound(p, highs);
    expect(bound.stop).toBe('converged');
    expect(bound.value).toBe(4);
    expect(bound.farley).toBeCloseTo(4, 6);
  });

  it('rounds a fractional LP up: three tasks of 40% need 2 instances (LP 1.5)', () => {
    const bound = configurationBound(problem([item('forty', 3, 400)], [1000, 1000, 0, 0]), highs);
    expect(bound.farley).toBeCloseTo(1.5, 6);
    expect(bound.value).toBe(2);
  });

  it('respects ENIs and distinctInstance', () => {
    // 5 awsvpc tasks with 2 ENIs per instance: 3; 4 distinct tasks: 4, though all fit on one by size.
    expect(
      configurationBound(problem([item('vpc', 5, 10, 10, [], 1)], [1000, 1000, 0, 2]), highs).value,
    ).toBe(3);
    expect(
      configurationBound(problem([item('spread', 4, 10, 10, ['distinct/a'])], [1000, 1000, 0, 2]), highs)
        .value,
    ).toBe(4);
  });

  it('holds an item only on the kinds of instance that allow it', () => {
    // Two zones: the memory-heavy item only in one; both items fit together by size.
    const p: ConfigurationProblem = {
      capacity: [1000, 1000, 0, 0],
      items: [item('anywhere', 4, 500, 0), item('zone-a', 4, 0, 500)],
      kinds: [
        [true, true],
        [true, false],
      ],
    };
    expect(configurationBound(p, highs).value).toBe(2);
  });

  it('is proven at any iteration (Farley): a one-iteration bound never exceeds the converged one', () => {
    const snapshot = generateWorkload(75, { serviceShare: 4 });
    const p = newInstanceProblem(snapshot) as ConfigurationProblem;
    const full = configurationBound(p, highs);
    for (const maxIterations of [1, 2, 3, 5]) {
      const early = configurationBound(p, highs, { maxIterations });
      expect(early.value).toBeLessThanOrEqual(full.value);
    }
  });
});

describe('configurationBound on generated workloads', () => {
  // By hand (bench brief): on each, a large or port-bound group and the one-per-instance rules
  // together force exactly the plan; the LP proves it where the planner's fast bound cannot.
  it.each([
    [75, 4, 26],
    [9, 2, 216],
    [198, 2, 97],
  ])(
    'seed %i (services up to 1/%i instance) needs %i instances, as planned',
    (seed, serviceShare, expected) => {
      const snapshot = generateWorkload(seed, { serviceShare });
      const plan = planCapacity(snapshot, 0, { trace: true });
      const bound = configurationBound(newInstanceProblem(snapshot) as ConfigurationProblem, highs);
      expect(bound.stop).toBe('converged');
      expect(bound.value).toBe(expected);
      expect(plan.newInstances).toBe(expected);
      expect(plan.lowerBound).toBeLessThan(expected);
      expect(certifiedBound(snapshot, plan, highs).value).toBe(expected);
    },
  );

  it('lies between the CPU/memory bound and the plan on 20 seeds', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const snapshot = generateWorkload(seed, { serviceShare: seed % 2 ? 4 : 2 });
      const plan = planCapacity(snapshot, 0);
      const template = newInstanceTemplate(snapshot);
      const total = (pick: (shape: (typeof snapshot.demand)[number]['shape']) => number) =>
        snapshot.demand.reduce((sum, demand) => sum + pick(demand.shape) * demand.count, 0);
      const simple = Math.max(
        Math.ceil(total((shape) => shape.cpu) / template.cpu),
        Math.ceil(total((shape) => shape.memoryMiB) / template.memoryMiB),
      );
      const bound = configurationBound(newInstanceProblem(snapshot) as ConfigurationProblem, highs);
      expect(bound.value).toBeGreaterThanOrEqual(simple);
      expect(bound.value).toBeLessThanOrEqual(plan.newInstances);
    }
  });

  it('never exceeds the plan (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.constantFrom(2, 3, 4),
        fc.constantFrom('m5.large', 'm5.xlarge', 'c5.2xlarge', 'r5.xlarge', 'm5.4xlarge'),
        fc.boolean(),
        (seed, serviceShare, instanceType, zoneConstraint) => {
          const snapshot = generateWorkload(seed, { serviceShare, instanceType });
          // Some demand only in one zone: the LP's instance kinds differ by zone.
          if (zoneConstraint && snapshot.demand[0])
            snapshot.demand[0].memberOf = 'attribute:ecs.availability-zone == us-east-1a';
          const plan = planCapacity(snapshot, 0, { trace: true });
          const certified = certifiedBound(snapshot, plan, highs);
          expect(certified.lp).toBeDefined();
          expect(certified.value).toBeGreaterThanOrEqual(plan.lowerBound);
          expect(certified.value).toBeLessThanOrEqual(plan.newInstances);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('leaves clusters with instances to the planner’s bound (out of its scope)', () => {
    const snapshot = generateWorkload(3);
    // Two instances requested and not launched yet: capacity on its way, which the LP does not model.
    const withInstance = { ...snapshot, group: { ...snapshot.group, desired: 2 } };
    const plan = planCapacity(withInstance, 0);
    expect(newInstanceProblem(withInstance)).toBeUndefined();
    const certified = certifiedBound(withInstance, plan, highs);
    expect(certified.lp).toBeUndefined();
    expect(certified.value).toBe(plan.lowerBound);
  });
});
