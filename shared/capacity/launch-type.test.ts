import { describe, expect, it } from 'vitest';
import { planCapacity } from './planner';
import { type CapacitySnapshot, type CapacitySnapshotInput, parseSnapshot } from './snapshot';

const NOW = Date.parse('2025-01-15T03:00:00.000Z');

/** A group with two overrides: c5.large (small, cheap) and m5.xlarge (large, dearer). */
function mixed(
  overrides: string[],
  mixedInstances: Record<string, unknown> | undefined,
  extra: Partial<CapacitySnapshotInput> = {},
  prices = true,
): CapacitySnapshot {
  return parseSnapshot({
    takenAt: new Date(NOW).toISOString(),
    cluster: 'web',
    capacityProvider: 'web-asg-cp',
    group: {
      name: 'web-asg',
      min: 0,
      max: 20,
      desired: 0,
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      instanceTypes: overrides,
      ...(mixedInstances ? { mixedInstances } : {}),
    },
    instanceTypes: {
      'c5.large': { cpu: 2048, memoryMiB: 3840, enis: 2, ...(prices ? { pricePerHour: 0.085 } : {}) },
      'm5.xlarge': { cpu: 4096, memoryMiB: 15360, enis: 3, ...(prices ? { pricePerHour: 0.192 } : {}) },
    },
    daemonOverhead: { cpu: 128, memoryMiB: 256 },
    settings: { maxStep: 20 },
    demand: [{ source: 'service:api', group: 'service:api', count: 8, shape: { cpu: 512, memoryMiB: 1024 } }],
    ...extra,
  });
}

describe('planCapacity: mixed instances policies (the type Auto Scaling launches)', () => {
  it('prioritized: the first override, in priority order', () => {
    const plan = planCapacity(
      mixed(['m5.xlarge', 'c5.large'], { onDemandAllocationStrategy: 'prioritized' }),
      NOW,
    );
    // m5.xlarge holds 7 of these tasks (3968 CPU after the daemon): 2 instances, not 3 small ones.
    expect(plan.newInstances).toBe(2);
    expect(plan.launchType).toMatchObject({ instanceTypes: ['m5.xlarge'], assumed: false });
    expect(plan.reasons.join('\n')).toMatch(
      /new instances planned as m5\.xlarge.*first override.*prioritized/,
    );
  });

  it('prioritized: a demand the first override cannot hold is planned on the first one that can, and said', () => {
    const plan = planCapacity(
      mixed(
        ['c5.large', 'm5.xlarge'],
        { onDemandAllocationStrategy: 'prioritized' },
        {
          demand: [
            { source: 'service:big', group: 'service:big', count: 2, shape: { cpu: 3000, memoryMiB: 8192 } },
          ],
        },
      ),
      NOW,
    );
    expect(plan.unplaceable).toEqual([]);
    expect(plan.newInstances).toBe(2);
    expect(plan.launchType?.instanceTypes).toEqual(['m5.xlarge']);
    expect(plan.reasons.join('\n')).toMatch(/c5\.large.*cannot hold/);
  });

  it('lowest-price On-Demand: the cheapest override that holds the demand, by the prices given', () => {
    const plan = planCapacity(
      mixed(['m5.xlarge', 'c5.large'], { onDemandAllocationStrategy: 'lowest-price' }),
      NOW,
    );
    // c5.large: 3 tasks each (3584 MiB after the daemon) -> 3 instances.
    expect(plan.newInstances).toBe(3);
    expect(plan.launchType).toMatchObject({ instanceTypes: ['c5.large'], assumed: true });
    expect(plan.reasons.join('\n')).toMatch(/c5\.large.*assum.*cheapest.*lowest-price/);
  });

  it('Spot price-capacity-optimized without prices: the smallest type, named as an assumption', () => {
    const plan = planCapacity(
      mixed(
        ['m5.xlarge', 'c5.large'],
        { spotAllocationStrategy: 'price-capacity-optimized', onDemandPercentageAboveBaseCapacity: 0 },
        {},
        false,
      ),
      NOW,
    );
    expect(plan.launchType).toMatchObject({ instanceTypes: ['c5.large'], assumed: true });
    expect(plan.reasons.join('\n')).toMatch(/c5\.large.*Spot.*price-capacity-optimized.*no prices known/);
  });

  it('On-Demand and Spot both launched: each resource the smaller of the two types', () => {
    const plan = planCapacity(
      mixed(['m5.xlarge', 'c5.large'], {
        onDemandAllocationStrategy: 'prioritized',
        spotAllocationStrategy: 'lowest-price',
        onDemandPercentageAboveBaseCapacity: 50,
      }),
      NOW,
    );
    expect(plan.launchType?.instanceTypes).toEqual(['m5.xlarge', 'c5.large']);
    expect(plan.newInstances).toBe(3);
  });

  it('On-Demand base capacity not reached yet: the On-Demand strategy', () => {
    const plan = planCapacity(
      mixed(['m5.xlarge', 'c5.large'], {
        onDemandAllocationStrategy: 'prioritized',
        spotAllocationStrategy: 'lowest-price',
        onDemandBaseCapacity: 4,
        onDemandPercentageAboveBaseCapacity: 0,
      }),
      NOW,
    );
    expect(plan.launchType?.instanceTypes).toEqual(['m5.xlarge']);
  });

  it('without a mixed instances policy in the snapshot: as before (each resource the smallest of the types)', () => {
    const plan = planCapacity(mixed(['m5.xlarge', 'c5.large'], undefined), NOW);
    expect(plan.newInstances).toBe(3);
    expect(plan.launchType).toBeUndefined();
  });
});
