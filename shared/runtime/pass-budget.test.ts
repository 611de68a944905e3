import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ECS_API_BUCKETS, ecsApiBucket } from '../ecs/api-buckets';
import { callsSince, countApiCall, passBudget, withinPassBudget } from './pass-budget';
import type { TimeBudget } from './time';

const plenty: TimeBudget = { remainingMs: () => 60_000, hasTimeFor: (ms) => ms <= 60_000 };
const READS = 'Cluster resource read actions';

describe('passBudget', () => {
  it('allows a share of each bucket’s burst, at least one call', () => {
    const budget = passBudget(plenty, { percent: 25 });
    expect(budget.allowance(READS)).toBe(25);
    expect(budget.allowance('Task definition read actions')).toBe(12);
    expect(passBudget(plenty, { percent: 1 }).allowance('Capacity provider modify actions')).toBe(1);
  });

  it('adds what a bucket refills over the period between two passes', () => {
    const budget = passBudget(plenty, { percent: 25, periodSeconds: 60 });
    // (100 + 20 calls a second × 60 s) × 25 %
    expect(budget.allowance(READS)).toBe(325);
    expect(passBudget(plenty, { percent: 0.1, periodSeconds: 60 }).allowance(READS)).toBe(1);
  });

  it('counts ECS calls by bucket and leaves other services out', () => {
    const budget = passBudget(plenty);
    budget.count('ecs:ListTasks');
    budget.count('DescribeTasks');
    budget.count('ecs:DescribeServices');
    budget.count('autoscaling:DescribeAutoScalingGroups');
    budget.count('dynamodb:Query');
    expect(budget.spent()).toEqual({ [READS]: 2, 'Service read actions': 1 });
  });

  it('refuses work once time runs out, whatever the buckets say', () => {
    const budget = passBudget({ remainingMs: () => 1_000, hasTimeFor: (ms) => ms <= 1_000 });
    expect(budget.hasRoomFor({}, 500)).toBe(true);
    expect(budget.hasRoomFor({}, 2_000)).toBe(false);
  });

  it('never lets a pass that asks before each call go past any bucket’s allowance', () => {
    const operations = ECS_API_BUCKETS.flatMap((bucket) => bucket.operations);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.record({ op: fc.constantFrom(...operations), n: fc.integer({ min: 1, max: 30 }) }), {
          maxLength: 60,
        }),
        (percent, units) => {
          const budget = passBudget(plenty, { percent });
          for (const { op, n } of units) {
            if (!budget.hasRoomFor({ [op]: n })) continue;
            for (let i = 0; i < n; i++) budget.count(op);
          }
          for (const [bucket, spent] of Object.entries(budget.spent())) {
            expect(spent).toBeLessThanOrEqual(budget.allowance(bucket));
          }
        },
      ),
    );
  });

  it('stops every further unit once any bucket is spent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), (percent) => {
        const budget = passBudget(plenty, { percent });
        const bucket = ecsApiBucket('ListTasks');
        for (let i = 0; i < budget.allowance(bucket?.name ?? ''); i++) budget.count('ecs:ListTasks');
        expect(budget.hasRoomFor({})).toBe(false);
        expect(budget.hasRoomFor({ 'ecs:DescribeServices': 1 })).toBe(false);
      }),
    );
  });

  it('takes estimates by bucket name as well as by operation', () => {
    const budget = passBudget(plenty, { percent: 10 });
    expect(budget.hasRoomFor({ [READS]: 10 })).toBe(true);
    expect(budget.hasRoomFor({ [READS]: 11 })).toBe(false);
  });
});

describe('withinPassBudget', () => {
  it('counts calls made inside the pass only, each pass into its own budget', async () => {
    const first = passBudget(plenty);
    const second = passBudget(plenty);
    countApiCall('ecs:ListTasks');
    await Promise.all([
      withinPassBudget(first, async () => {
        await Promise.resolve();
        countApiCall('ecs:ListTasks');
      }),
      withinPassBudget(second, async () => {
        countApiCall('ecs:DescribeServices');
        await new Promise((resolve) => setTimeout(resolve, 1));
        countApiCall('ecs:DescribeServices');
      }),
    ]);
    countApiCall('ecs:ListTasks');
    expect(first.spent()).toEqual({ [READS]: 1 });
    expect(second.spent()).toEqual({ 'Service read actions': 2 });
  });

  it('gives one unit’s cost as the difference of two readings', () => {
    expect(callsSince({ a: 2, b: 1 }, { a: 5, b: 1, c: 3 })).toEqual({ a: 3, c: 3 });
  });
});
