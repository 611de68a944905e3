import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyShape, generateWorkload } from '../../bench/workloads';
import { makeItemGroup } from './packing';
import { bestPattern, type ConfigurationProblem, holds, patternItem, type Resources } from './patterns';
import { planCapacity } from './planner';

/** Every pattern of a tiny problem, by enumeration: the reference for the branch and bound. */
function bruteForce(
  problem: ConfigurationProblem,
  kind: readonly boolean[],
  values: readonly number[],
): number {
  let best = 0;
  const counts = problem.items.map(() => 0);
  const visit = (index: number) => {
    if (index === problem.items.length) {
      if (holds(problem, kind, counts)) {
        best = Math.max(
          best,
          counts.reduce((sum, count, i) => sum + count * (values[i] ?? 0), 0),
        );
      }
      return;
    }
    for (let count = 0; count <= (problem.items[index]?.demand ?? 0); count++) {
      counts[index] = count;
      visit(index + 1);
    }
    counts[index] = 0;
  };
  visit(0);
  return best;
}

describe('bestPattern', () => {
  it('finds the most valuable pattern, one task per host port', () => {
    const problem: ConfigurationProblem = {
      capacity: [10, 10, 0, 0],
      items: [
        { key: 'a', demand: 2, size: [6, 1, 0, 0], exclusive: [] },
        { key: 'b', demand: 2, size: [5, 1, 0, 0], exclusive: ['tcp/80'] },
        { key: 'c', demand: 3, size: [4, 1, 0, 0], exclusive: [] },
      ],
      kinds: [[true, true, true]],
    };
    // Two of b (worth 8) would fit by size, not by port: a + c (8) is the best.
    const best = bestPattern(problem, [true, true, true], [5, 4, 3]);
    expect(best).toMatchObject({ value: 8, exact: true });
    expect(holds(problem, [true, true, true], best.counts)).toBe(true);
    expect(best.counts).toEqual([1, 0, 1]);
  });

  it('matches enumeration on small problems (property)', () => {
    const item = fc.record({
      demand: fc.integer({ min: 0, max: 3 }),
      size: fc.tuple(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 0, max: 2 }),
      ),
      exclusive: fc.subarray(['tcp/80', 'udp/53', 'distinct/service:a']),
      value: fc.double({ min: 0, max: 2, noNaN: true }),
      allowed: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 1, maxLength: 4 }),
        fc.tuple(
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 0, max: 1 }),
          fc.integer({ min: 0, max: 3 }),
        ),
        (specs, capacity) => {
          const problem: ConfigurationProblem = {
            capacity: capacity as Resources,
            items: specs.map((spec, index) => ({
              key: `i${index}`,
              demand: spec.demand,
              size: spec.size as Resources,
              exclusive: spec.exclusive,
            })),
            kinds: [],
          };
          const kind = specs.map((spec) => spec.allowed);
          const values = specs.map((spec) => spec.value);
          const best = bestPattern(problem, kind, values);
          expect(best.exact).toBe(true);
          expect(best.value).toBeCloseTo(bruteForce(problem, kind, values), 9);
          expect(holds(problem, kind, best.counts)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('patternItem', () => {
  it('holds one of each host port and, for distinctInstance, one of the task group per instance', () => {
    const shape = { ...emptyShape(256, 512), hostPorts: { tcp: [8080], udp: [53] } };
    const item = makeItemGroup({
      key: 'k',
      shape,
      group: 'service:web',
      distinct: true,
      memberOf: undefined,
      sources: ['service:web'],
      count: 3,
    });
    expect(patternItem(item, 3)).toEqual({
      key: 'k',
      demand: 3,
      size: [256, 512, 0, 0],
      exclusive: ['tcp/8080', 'udp/53', 'distinct/service:web'],
    });
  });
});

describe('planCapacity with pattern packing', () => {
  it('packs awsvpc tasks where ENIs, CPU and memory bind together, at the lower bound', () => {
    // m5.large less a daemon: 1920 CPU, 7424 MiB, 2 ENIs. Five tasks fill the CPU; which five fit
    // the memory with at most two awsvpc tasks is what greedy filling gets wrong (17 instances).
    const snapshot = generateWorkload(1, { instanceType: 'm5.large', daemonOverhead: true });
    const service = (name: string, count: number, memoryMiB: number, enis: number) => ({
      source: `service:${name}`,
      group: `service:${name}`,
      count,
      shape: { ...emptyShape(384, memoryMiB), enis },
      distinctInstance: false,
      newInstancesOnly: false,
    });
    snapshot.demand = [
      service('vpc', 28, 1792, 1),
      service('mid', 24, 1536, 0),
      service('small', 24, 1024, 0),
    ];
    const plan = planCapacity(snapshot, 0);
    expect(plan.totals.unplaced).toBe(0);
    expect(plan.newInstances).toBe(16);
    expect(plan.lowerBound).toBe(16);
  });
});
