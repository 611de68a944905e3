// A confirmed placement stall (ECS failed twice where the plan saw room) must buy new instances once,
// not every minute: booting, requested and freshly registered instances take its tasks, and a stall
// that persists on instances launched for it is reported instead of scaled for.
import { describe, expect, it } from 'vitest';
import { planCapacity } from './planner';
import { type CapacitySnapshotInput, type Demand, parseSnapshot } from './snapshot';
import { applyStall, stallChanged, stallsAfter, UNPLACEABLE_RETRY_MS } from './stall';

const NOW = Date.parse('2025-01-15T03:05:00Z');
const CONFIRMED_AT = new Date(NOW - 30_000).toISOString();

const suspect = (id: string, zone: string) => ({
  id,
  instanceType: 'm5.large',
  availabilityZone: zone,
  // Room the simulation believes in, where ECS failed twice (e.g. RESOURCE:ENI).
  free: { cpu: 1920, memoryMiB: 7000, enis: 2 },
  tasks: 2,
  nonDaemonTasks: 1,
  protectedFromScaleIn: true,
  registeredAt: '2025-01-15T01:00:00Z',
});

function snapshot(overrides: Partial<CapacitySnapshotInput> = {}): CapacitySnapshotInput {
  return {
    takenAt: new Date(NOW).toISOString(),
    cluster: 'web',
    capacityProvider: 'web-asg-cp',
    group: {
      name: 'web-asg',
      min: 0,
      max: 50,
      desired: 2,
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      instanceTypes: ['m5.large'],
    },
    instanceTypes: { 'm5.large': { cpu: 2048, memoryMiB: 7680, enis: 2 } },
    daemonOverhead: { cpu: 128, memoryMiB: 256 },
    settings: { maxStep: 50 },
    instances: [suspect('i-01', 'us-east-1a'), suspect('i-02', 'us-east-1b')],
    demand: [
      {
        source: 'service:worker',
        group: 'service:worker',
        count: 2,
        shape: { cpu: 512, memoryMiB: 1024, enis: 1 },
        newInstancesOnly: true, // stall confirmed
        newInstancesSince: CONFIRMED_AT,
      },
    ],
    ...overrides,
  };
}

describe('a confirmed placement stall', () => {
  it('minute 0: the 2 stalled tasks get one new instance (2 ENIs)', () => {
    const plan = planCapacity(parseSnapshot(snapshot()), NOW);
    expect(plan.scaleOut).toBe(1);
    expect(plan.totals).toMatchObject({ onRegistered: 0, onNew: 2 });
  });

  it('minute 1: that instance is booting; the same 2 tasks do not buy another one', () => {
    const plan = planCapacity(
      parseSnapshot(
        snapshot({
          takenAt: new Date(NOW + 60_000).toISOString(),
          group: { ...snapshot().group, desired: 3 } as CapacitySnapshotInput['group'],
          launching: [
            {
              id: 'i-03',
              instanceType: 'm5.large',
              availabilityZone: 'us-east-1c',
              launchedAt: new Date(NOW + 5_000).toISOString(),
            },
          ],
        }),
      ),
      NOW + 60_000,
    );
    expect(plan.scaleOut).toBe(0);
    expect(plan.totals).toMatchObject({ onRegistered: 0, onLaunching: 2, onNew: 0 });
  });

  it('requested capacity (desired not launched yet) takes them too', () => {
    const plan = planCapacity(
      parseSnapshot(
        snapshot({ group: { ...snapshot().group, desired: 3 } as CapacitySnapshotInput['group'] }),
      ),
      NOW + 60_000,
    );
    expect(plan.scaleOut).toBe(0);
    expect(plan.totals).toMatchObject({ onLaunching: 2, onNew: 0 });
  });

  it('minute 2: the instance launched for it registered: it takes them, the suspect ones still do not', () => {
    const fresh = {
      ...suspect('i-03', 'us-east-1c'),
      free: { cpu: 1920, memoryMiB: 7424, enis: 2 },
      tasks: 1,
      nonDaemonTasks: 0,
      registeredAt: new Date(NOW + 90_000).toISOString(),
    };
    const plan = planCapacity(
      parseSnapshot(
        snapshot({
          group: { ...snapshot().group, desired: 3 } as CapacitySnapshotInput['group'],
          instances: [suspect('i-01', 'us-east-1a'), suspect('i-02', 'us-east-1b'), fresh],
        }),
      ),
      NOW + 120_000,
    );
    expect(plan.scaleOut).toBe(0);
    expect(plan.totals).toMatchObject({ onRegistered: 2, onNew: 0 });
    expect(plan.protect).toEqual([]);
  });

  it('a stall still failing on instances launched for it is reported, not scaled for', () => {
    const demand = snapshot().demand?.[0];
    const plan = planCapacity(
      parseSnapshot(
        snapshot({
          demand: [{ ...demand, unplaceable: 'ECS keeps failing to place it (RESOURCE:ENI) ...' } as Demand],
        }),
      ),
      NOW,
    );
    expect(plan.scaleOut).toBe(0);
    expect(plan.unplaceable).toEqual([
      expect.objectContaining({ sources: ['service:worker'], count: 2, kind: 'placement-failure' }),
    ]);
    expect(plan.reasons).toContain(
      'cannot place 2 task(s) of service:worker: ECS keeps failing to place it (RESOURCE:ENI) ...',
    );
  });
});

describe('applyStall', () => {
  const base = (): Demand => ({
    source: 'service:worker',
    group: 'service:worker',
    count: 2,
    shape: { cpu: 512, memoryMiB: 1024, gpus: 0, hostPorts: { tcp: [], udp: [] }, enis: 1 },
    distinctInstance: false,
    newInstancesOnly: false,
  });
  const marker = { source: 'service:worker', since: '2025-01-15T03:00:00.000Z', reason: 'RESOURCE:ENI' };

  it('an unconfirmed stall changes nothing', () => {
    const item = base();
    applyStall(item, { ...marker, confirmed: false }, NOW);
    expect(item).toEqual(base());
  });

  it('a confirmed stall: new instances only, those registered since the confirmation included', () => {
    const item = base();
    applyStall(item, { ...marker, confirmed: true, confirmedAt: CONFIRMED_AT }, NOW);
    expect(item).toMatchObject({ newInstancesOnly: true, newInstancesSince: CONFIRMED_AT });
    expect(item.unplaceable).toBeUndefined();
  });

  it('unplaceable for UNPLACEABLE_RETRY_MS, then a confirmed stall again', () => {
    const unplaceableAt = new Date(NOW - 60_000).toISOString();
    const stall = { ...marker, confirmed: true, confirmedAt: CONFIRMED_AT, unplaceableAt };
    const item = base();
    applyStall(item, stall, NOW);
    expect(item.newInstancesOnly).toBe(false);
    expect(item.unplaceable).toMatch(/RESOURCE:ENI.*not scaled for until 2025-01-15T03:19:00.000Z/);
    applyStall(item, stall, NOW - 60_000 + UNPLACEABLE_RETRY_MS);
    expect(item).toMatchObject({ newInstancesOnly: true });
    expect(item.unplaceable).toBeUndefined();
  });
});

describe('stallsAfter (the marker a placement failure leaves)', () => {
  const failure = { service: 'worker', reason: 'RESOURCE:ENI' };
  const onRegistered = [{ sources: ['service:worker'], onRegistered: 2 }];
  const at = (ms: number) => new Date(ms).toISOString();

  it('a first failure is noted, unconfirmed; a failure of a task planned on new instances only, not at all', () => {
    expect(stallsAfter(failure, onRegistered, new Map(), [], NOW)).toEqual([
      { source: 'service:worker', since: at(NOW), reason: 'RESOURCE:ENI', confirmed: false },
    ]);
    expect(
      stallsAfter(failure, [{ sources: ['service:worker'], onRegistered: 0 }], new Map(), [], NOW),
    ).toEqual([]);
    expect(stallsAfter(undefined, onRegistered, new Map(), [], NOW)).toEqual([]);
  });

  it("a second failure after ECS's retry confirms it, one sooner does not", () => {
    const noted = {
      source: 'service:worker',
      since: at(NOW - 60_000),
      reason: 'RESOURCE:ENI',
      confirmed: false,
    };
    const markers = new Map([[noted.source, noted]]);
    const [confirmed] = stallsAfter(failure, onRegistered, markers, [], NOW);
    expect(confirmed).toMatchObject({ confirmed: true, confirmedAt: at(NOW) });
    expect(confirmed !== undefined && stallChanged(confirmed, noted)).toBe(true);
    const [soon] = stallsAfter(failure, onRegistered, markers, [], NOW - 30_000);
    expect(soon?.confirmed).toBe(false);
  });

  it('still failing once an instance launched for it registered: unplaceable', () => {
    const known = {
      source: 'service:worker',
      since: at(NOW - 600_000),
      reason: 'RESOURCE:ENI',
      confirmed: true,
      confirmedAt: at(NOW - 300_000),
    };
    const [stall] = stallsAfter(
      failure,
      onRegistered,
      new Map([[known.source, known]]),
      [{ registeredAt: at(NOW - 120_000) }],
      NOW,
    );
    expect(stall).toMatchObject({ confirmed: true, unplaceableAt: at(NOW) });
  });
});
