import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planCapacity } from './planner';
import { type CapacitySnapshot, type CapacitySnapshotInput, parseSnapshot } from './snapshot';

const NOW = Date.parse('2025-01-15T03:00:00.000Z');
const minutesAgo = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();
const zoneName = (index: number) => `us-east-1${'abcdef'[index]}`;

let serial = 0;
/** A registered m5.large in `zone`, full (no room) unless `free` says otherwise. */
function instance(zone: string, extra: Record<string, unknown> = {}) {
  serial++;
  return {
    id: `i-${String(serial).padStart(17, '0')}`,
    arn: `arn:aws:ecs:us-east-1:123456789012:container-instance/web/${serial}`,
    instanceType: 'm5.large',
    availabilityZone: zone,
    free: { cpu: 0, memoryMiB: 0, enis: 0 },
    attributes: { 'ecs.instance-type': 'm5.large', 'ecs.availability-zone': zone },
    tasks: 3,
    nonDaemonTasks: 2,
    protectedFromScaleIn: true,
    registeredAt: '2025-01-15T01:00:00.000Z',
    ...extra,
  };
}

/** `perZone[i]` full instances in zone i of the group. */
function group(perZone: number[], overrides: Partial<CapacitySnapshotInput> = {}): CapacitySnapshot {
  const zones = perZone.map((_, index) => zoneName(index));
  const instances = perZone.flatMap((count, index) =>
    Array.from({ length: count }, () => instance(zoneName(index))),
  );
  return parseSnapshot({
    takenAt: new Date(NOW).toISOString(),
    cluster: 'web',
    capacityProvider: 'web-asg-cp',
    group: {
      name: 'web-asg',
      min: 0,
      max: 100,
      desired: instances.length,
      availabilityZones: zones,
      instanceTypes: ['m5.large'],
    },
    instanceTypes: { 'm5.large': { cpu: 2048, memoryMiB: 7680, gpus: 0, enis: 2 } },
    daemonOverhead: { cpu: 128, memoryMiB: 256 },
    settings: { maxStep: 100 },
    instances,
    ...overrides,
  });
}

const inZone = (source: string, zones: string[], count = 1) => ({
  source,
  group: source,
  count,
  shape: { cpu: 512, memoryMiB: 1024 },
  memberOf:
    zones.length === 1
      ? `attribute:ecs.availability-zone == ${zones[0]}`
      : `attribute:ecs.availability-zone in [${zones.join(', ')}]`,
});

/** Auto Scaling's order of zones for new instances: always the one with the fewest. */
function launchOrder(perZone: number[], launches: number): number[] {
  const counts = [...perZone];
  const order: number[] = [];
  for (let n = 0; n < launches; n++) {
    let best = 0;
    counts.forEach((count, index) => {
      if (count < (counts[best] as number)) best = index;
    });
    counts[best] = (counts[best] as number) + 1;
    order.push(best);
  }
  return order;
}

describe('planCapacity: a zone-confined task whose zone holds more instances than the others', () => {
  it('is scaled for: the zone order reaches its zone after the others catch up, and the plan says how many launches', () => {
    // a holds 3, b and c 1 each: Auto Scaling launches in b, c, b, c, then a.
    const plan = planCapacity(group([3, 1, 1], { demand: [inZone('service:pinned', ['us-east-1a'])] }), NOW);
    expect(plan.unplaceable).toEqual([]);
    expect(plan.totals).toMatchObject({ onNew: 1, unplaced: 0 });
    expect(plan.newInstances).toBe(5);
    expect(plan.newInstancesByZone).toEqual({ 'us-east-1a': 1, 'us-east-1b': 2, 'us-east-1c': 2 });
    expect(plan.scaleOut).toBe(5);
    expect(plan.desiredCapacity).toBe(10);
    expect(plan.placements[0]).toMatchObject({ onNew: 1, launchesToReach: 5 });
    expect(plan.reasons.join('\n')).toMatch(
      /service:pinned.*us-east-1a.*5th new instance.*4 launched in other zones first/,
    );
  });

  it('many zones, uneven, several constrained services at once', () => {
    // a 4, b 1, c 0, d 2, e 6: the order is c c b c d b c d ...
    const perZone = [4, 1, 0, 2, 6];
    const plan = planCapacity(
      group(perZone, {
        demand: [
          inZone('service:in-e', ['us-east-1e'], 2),
          inZone('service:in-a', ['us-east-1a']),
          inZone('service:in-a-or-e', ['us-east-1a', 'us-east-1e']),
          { source: 'service:free', group: 'service:free', count: 2, shape: { cpu: 512, memoryMiB: 1024 } },
        ],
      }),
      NOW,
    );
    expect(plan.unplaceable).toEqual([]);
    expect(plan.totals.unplaced).toBe(0);
    // The first instance in e is the launch where e comes up in the order.
    const order = launchOrder(perZone, 40);
    const firstE = order.indexOf(4) + 1;
    expect(plan.newInstances).toBe(firstE);
    expect(plan.placements.find((placement) => placement.sources[0] === 'service:in-e')).toMatchObject({
      onNew: 2,
      launchesToReach: firstE,
    });
    expect(plan.placements.find((placement) => placement.sources[0] === 'service:in-a')).toMatchObject({
      onNew: 1,
      launchesToReach: order.indexOf(0) + 1,
    });
  });

  it('a maximum that stops the order short of the zone: nothing useless launched, and the max named as the reason', () => {
    const plan = planCapacity(
      group([3, 1, 1], {
        group: { ...group([3, 1, 1]).group, max: 7 },
        demand: [inZone('service:pinned', ['us-east-1a'])],
      }),
      NOW,
    );
    expect(plan.unplaceable).toEqual([]);
    expect(plan.limitedBy).toBe('max');
    // Two more instances would land in b and c: they would not help the task, so none is launched.
    expect(plan.scaleOut).toBe(0);
    expect(plan.desiredCapacity).toBe(5);
    expect(plan.reasons.join('\n')).toMatch(
      /service:pinned.*us-east-1a.*5th new instance.*maximum of 7 allows 2/,
    );
  });

  it('a step limit launches toward the zone (the next pass goes on)', () => {
    const plan = planCapacity(
      group([3, 1, 1], { settings: { maxStep: 2 }, demand: [inZone('service:pinned', ['us-east-1a'])] }),
      NOW,
    );
    expect(plan.unplaceable).toEqual([]);
    expect(plan).toMatchObject({ newInstances: 5, scaleOut: 2, limitedBy: 'step' });
  });

  it('instances booting count in the zone order', () => {
    const snapshot = group([2, 1, 1], {
      launching: [
        {
          id: 'i-0000000000000000b',
          instanceType: 'm5.large',
          availabilityZone: 'us-east-1b',
          launchedAt: minutesAgo(1),
        },
      ],
      demand: [inZone('service:pinned', ['us-east-1a'])],
    });
    snapshot.group.desired = 5;
    // Counts with the booting one: a 2, b 2, c 1: c first, then a.
    const plan = planCapacity(snapshot, NOW);
    expect(plan.newInstances).toBe(2);
    expect(plan.newInstancesByZone).toEqual({ 'us-east-1a': 1, 'us-east-1c': 1 });
  });

  it('a zone the group has no subnet in is reported, naming the zones it launches in', () => {
    const plan = planCapacity(group([1, 1, 1], { demand: [inZone('service:far', ['us-east-1f'])] }), NOW);
    expect(plan.newInstances).toBe(0);
    expect(plan.unplaceable).toEqual([
      expect.objectContaining({
        kind: 'constraint',
        reason: expect.stringMatching(/us-east-1a, us-east-1b, us-east-1c/),
      }),
    ]);
  });

  it('property: a task whose constraint some zone of the group satisfies is never unplaceable for lack of a new instance', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((zones) =>
          fc.record({
            perZone: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: zones, maxLength: zones }),
            services: fc.array(
              fc.record({
                allowed: fc.subarray(
                  Array.from({ length: zones }, (_, index) => index),
                  { minLength: 1 },
                ),
                count: fc.integer({ min: 1, max: 4 }),
                distinct: fc.boolean(),
                cpu: fc.constantFrom(256, 512, 1024, 1920),
              }),
              { minLength: 1, maxLength: 4 },
            ),
            free: fc.boolean(),
          }),
        ),
        ({ perZone, services, free }) => {
          const demand = services.map((service, index) => ({
            ...inZone(
              `service:s${index}`,
              service.allowed.map((zone) => zoneName(zone)),
              service.count,
            ),
            distinctInstance: service.distinct,
            shape: { cpu: service.cpu, memoryMiB: 1024 },
          }));
          const snapshot = group(perZone, { demand });
          // Some registered instances with room, in zones the constraints may or may not allow.
          if (free) {
            for (const [index, one] of snapshot.instances.entries()) {
              if (index % 2 === 0) one.free = { cpu: 1024, memoryMiB: 2048, gpus: 0, enis: 2 };
            }
          }
          const plan = planCapacity(snapshot, NOW);
          expect(plan.unplaceable).toEqual([]);
          expect(plan.totals.unplaced).toBe(0);
          for (const placement of plan.placements) {
            expect(placement.unplaced).toBe(0);
          }
          // Never more launches than it takes the zone order to put, in every service's zones, as
          // many instances as there are tasks (one task per instance at worst).
          const tasks = services.reduce((sum, service) => sum + service.count, 0);
          const order = launchOrder(perZone, 400);
          const enough = Math.max(
            ...services.map((service) => {
              let found = 0;
              return order.findIndex((zone) => service.allowed.includes(zone) && ++found === tasks) + 1;
            }),
          );
          expect(plan.newInstances).toBeLessThanOrEqual(enough);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('planCapacity: removals keep the zones balanced (Auto Scaling would even them out again)', () => {
  const idle = (zone: string) =>
    instance(zone, {
      free: { cpu: 1920, memoryMiB: 7424, enis: 2 },
      tasks: 1,
      nonDaemonTasks: 0,
      protectedFromScaleIn: false,
      idleSince: minutesAgo(30),
    });
  const zonesAfter = (snapshot: CapacitySnapshot, removed: string[]) => {
    const counts: Record<string, number> = Object.fromEntries(
      snapshot.group.availabilityZones.map((zone) => [zone, 0]),
    );
    for (const one of snapshot.instances) {
      if (removed.includes(one.id)) continue;
      const zone = one.availabilityZone ?? '';
      counts[zone] = (counts[zone] ?? 0) + 1;
    }
    return counts;
  };

  it('six instances, two per zone, the two idle ones in one zone: only one goes', () => {
    const snapshot = group([0, 2, 2], { settings: { maxScaleIn: { percent: 100 } } });
    snapshot.instances.push(
      ...[idle('us-east-1a'), idle('us-east-1a')].map(
        (one) =>
          parseSnapshot({ ...snapshot, instances: [one] })
            .instances[0] as (typeof snapshot.instances)[number],
      ),
    );
    snapshot.group.desired = 6;
    const plan = planCapacity(snapshot, NOW);
    expect(plan.removals).toHaveLength(1);
    expect(
      zonesAfter(
        snapshot,
        plan.removals.map((removal) => removal.instanceId),
      ),
    ).toEqual({
      'us-east-1a': 1,
      'us-east-1b': 2,
      'us-east-1c': 2,
    });
    expect(plan.desiredCapacity).toBe(5);
    expect(plan.reasons.join('\n')).toMatch(/keeping idle i-\w+.*us-east-1a.*zones within one instance/);
  });

  it('idle instances spread over the zones: a balanced set goes', () => {
    const snapshot = group([1, 1, 1], { settings: { maxScaleIn: { percent: 100 } } });
    const idles = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1a'].map(
      (zone) =>
        parseSnapshot({ ...snapshot, instances: [idle(zone)] })
          .instances[0] as (typeof snapshot.instances)[number],
    );
    snapshot.instances.push(...idles);
    snapshot.group.desired = 7;
    const plan = planCapacity(snapshot, NOW);
    // a 3, b 2, c 2: all four idle can go (a, then one of each, then a), ending 1/1/1.
    expect(plan.removals).toHaveLength(4);
    expect(
      zonesAfter(
        snapshot,
        plan.removals.map((removal) => removal.instanceId),
      ),
    ).toEqual({
      'us-east-1a': 1,
      'us-east-1b': 1,
      'us-east-1c': 1,
    });
  });

  it('property: every removal is from a zone with the most instances, so the zones never drift further apart', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ busy: fc.integer({ min: 0, max: 3 }), idle: fc.integer({ min: 0, max: 3 }) }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.integer({ min: 0, max: 4 }),
        (zones, min) => {
          const snapshot = group(
            zones.map((zone) => zone.busy),
            { settings: { maxScaleIn: { percent: 100 } } },
          );
          zones.forEach((zone, index) => {
            for (let n = 0; n < zone.idle; n++) {
              snapshot.instances.push(
                parseSnapshot({ ...snapshot, instances: [idle(zoneName(index))] })
                  .instances[0] as (typeof snapshot.instances)[number],
              );
            }
          });
          snapshot.group.desired = snapshot.instances.length;
          snapshot.group.min = Math.min(min, snapshot.instances.length);
          const before = Object.values(zonesAfter(snapshot, []));
          const spread = (counts: number[]) => Math.max(...counts) - Math.min(...counts);
          const plan = planCapacity(snapshot, NOW);
          const removed: string[] = [];
          for (const removal of plan.removals) {
            const counts = zonesAfter(snapshot, removed);
            const zone = removal.availabilityZone ?? '';
            expect(counts[zone]).toBe(Math.max(...Object.values(counts)));
            removed.push(removal.instanceId);
          }
          expect(spread(Object.values(zonesAfter(snapshot, removed)))).toBeLessThanOrEqual(
            Math.max(1, spread(before)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
