import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstFitDecreasingInstances } from '../../bench/baseline';
import { generateWorkload } from '../../bench/workloads';
import {
  optimalNewInstances,
  snapshotArbitrary,
  violations,
} from '../../test/support/capacity/planner-checks';
import { planCapacity } from './planner';
import { type CapacitySnapshot, type CapacitySnapshotInput, parseSnapshot, SnapshotError } from './snapshot';

const NOW = Date.parse('2025-01-15T03:00:00.000Z');
const minutesAgo = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();

/** The sample universe's group: m5.large, 3 zones, a log-router daemon (128 CPU, 256 MiB). */
function sample(overrides: Partial<CapacitySnapshotInput> = {}): CapacitySnapshot {
  return parseSnapshot({
    takenAt: new Date(NOW).toISOString(),
    cluster: 'web',
    capacityProvider: 'web-asg-cp',
    group: {
      name: 'web-asg',
      min: 0,
      max: 10,
      desired: 0,
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      instanceTypes: ['m5.large'],
    },
    instanceTypes: { 'm5.large': { cpu: 2048, memoryMiB: 7680, gpus: 0, enis: 2 } },
    daemonOverhead: { cpu: 128, memoryMiB: 256 },
    ...overrides,
  });
}

const api = (count: number) => ({
  source: 'service:api',
  group: 'service:api',
  count,
  shape: { cpu: 512, memoryMiB: 1024 },
});

function registered(
  id: number,
  free: { cpu: number; memoryMiB: number },
  extra: Record<string, unknown> = {},
) {
  const zone = ['us-east-1a', 'us-east-1b', 'us-east-1c'][(id - 1) % 3] as string;
  return {
    id: `i-0a1b2c3d4e5f6000${id}`,
    arn: `arn:aws:ecs:us-east-1:123456789012:container-instance/web/000${id}`,
    instanceType: 'm5.large',
    availabilityZone: zone,
    free: { ...free, enis: 2 },
    attributes: { 'ecs.instance-type': 'm5.large', 'ecs.availability-zone': zone },
    tasks: 2,
    nonDaemonTasks: 1,
    protectedFromScaleIn: true,
    registeredAt: '2025-01-15T01:00:00.000Z',
    ...extra,
  };
}

describe('planCapacity: scale-out', () => {
  it('answers a burst with exactly the instances it needs (sample burst snapshot)', () => {
    const snapshot = parseSnapshot(
      JSON.parse(readFileSync('events/scale-capacity/snapshots/burst.json', 'utf8')),
    );
    const plan = planCapacity(snapshot, Date.parse(snapshot.takenAt ?? ''));
    // 2 api tasks fit on registered instances; 10 api (512) and 3 worker (1024) tasks need 6 new
    // m5.large (1920 CPU after the daemon: at most 1536 of 512-unit tasks each), the lower bound.
    expect(plan.totals).toEqual({ onRegistered: 2, onLaunching: 0, onNew: 13, unplaced: 0 });
    expect(plan.newInstances).toBe(6);
    expect(plan.lowerBound).toBe(6);
    expect(plan.desiredCapacity).toBe(9);
    expect(plan.scaleOut).toBe(6);
  });

  it('launches one instance from zero when one is enough', () => {
    const plan = planCapacity(sample({ demand: [api(2)] }), NOW);
    expect(plan.desiredCapacity).toBe(1);
    expect(plan.reasons).toContain('desired capacity 0 -> 1');
  });

  it('counts instances booting and desired-but-not-launched as capacity on the way', () => {
    const plan = planCapacity(
      sample({
        group: { ...sample().group, desired: 2 },
        launching: [{ id: 'i-0a1b2c3d4e5f60009', instanceType: 'm5.large', launchedAt: minutesAgo(1) }],
        demand: [api(6)],
      }),
      NOW,
    );
    // One booting + one requested instance hold 3 tasks each: nothing more to ask for.
    expect(plan.instances).toMatchObject({ launching: 1, requested: 1 });
    expect(plan.totals.onLaunching).toBe(6);
    expect(plan.scaleOut).toBe(0);
    expect(plan.desiredCapacity).toBe(2);
  });

  it('caps one decision at the step limit and the group maximum, saying which', () => {
    const step = planCapacity(sample({ settings: { maxStep: 2 }, demand: [api(30)] }), NOW);
    expect(step.newInstances).toBe(10);
    expect(step).toMatchObject({ scaleOut: 2, desiredCapacity: 2, limitedBy: 'step' });
    const max = planCapacity(sample({ group: { ...sample().group, max: 4 }, demand: [api(30)] }), NOW);
    expect(max).toMatchObject({ scaleOut: 4, desiredCapacity: 4, limitedBy: 'max' });
  });

  it('reports demand that can never fit instead of scaling for it', () => {
    const plan = planCapacity(
      sample({
        demand: [
          { source: 'service:big', count: 2, shape: { cpu: 4096, memoryMiB: 1024 } },
          { source: 'service:gpu', count: 1, shape: { cpu: 256, memoryMiB: 512, gpus: 1 } },
          {
            source: 'service:p3',
            count: 1,
            shape: { cpu: 256, memoryMiB: 512 },
            memberOf: 'attribute:ecs.instance-type == p3.2xlarge',
          },
          {
            source: 'service:bad',
            count: 1,
            shape: { cpu: 256, memoryMiB: 512 },
            memberOf: 'attribute:stack ==',
          },
        ],
      }),
      NOW,
    );
    expect(plan.desiredCapacity).toBe(0);
    const bySource = Object.fromEntries(plan.unplaceable.map((item) => [item.sources[0], item]));
    expect(bySource['service:big']).toMatchObject({ kind: 'too-large', count: 2 });
    expect(bySource['service:big']?.reason).toMatch(
      /needs 4096 CPU units; a new m5.large instance offers 1920 after 128 reserved by daemon tasks/,
    );
    expect(bySource['service:gpu']?.reason).toMatch(/RESOURCE:GPU/);
    expect(bySource['service:p3']).toMatchObject({ kind: 'constraint' });
    expect(bySource['service:p3']?.reason).toMatch(
      /memberOf\(attribute:ecs.instance-type == p3.2xlarge\) matches no/,
    );
    expect(bySource['service:bad']?.reason).toMatch(/not a valid cluster query/);
  });

  it('spreads distinctInstance tasks one per instance, also away from instances that run the group', () => {
    const plan = planCapacity(
      sample({
        group: { ...sample().group, desired: 1 },
        instances: [registered(1, { cpu: 1920, memoryMiB: 7000 }, { taskGroups: ['service:api'] })],
        demand: [{ ...api(3), distinctInstance: true }],
      }),
      NOW,
    );
    expect(plan.totals).toMatchObject({ onRegistered: 0, onNew: 3 });
    expect(plan.newInstances).toBe(3);
  });

  it('puts a zone-constrained task in that zone, launching as Auto Scaling balances zones', () => {
    const plan = planCapacity(
      sample({
        demand: [{ ...api(1), memberOf: 'attribute:ecs.availability-zone == us-east-1c' }],
      }),
      NOW,
    );
    // Auto Scaling fills a, then b, then c: the third new instance is the one in us-east-1c.
    expect(plan.newInstances).toBe(3);
    expect(plan.newInstancesByZone).toEqual({ 'us-east-1a': 1, 'us-east-1b': 1, 'us-east-1c': 1 });
  });

  it('plans tasks ECS failed to place on registered instances on new ones', () => {
    const base = {
      group: { ...sample().group, desired: 1 },
      instances: [registered(1, { cpu: 1920, memoryMiB: 7000 })],
    };
    expect(planCapacity(sample({ ...base, demand: [api(1)] }), NOW).scaleOut).toBe(0);
    const stalled = planCapacity(sample({ ...base, demand: [{ ...api(1), newInstancesOnly: true }] }), NOW);
    expect(stalled.totals).toMatchObject({ onRegistered: 0, onNew: 1 });
    expect(stalled.scaleOut).toBe(1);
  });

  it('keeps headroom: room for N more tasks of the reference shape', () => {
    const plan = planCapacity(
      sample({
        settings: { headroom: { tasks: 4, shape: { cpu: 512, memoryMiB: 1024 } } },
        demand: [api(3)],
      }),
      NOW,
    );
    // 3 tasks + 4 spare = 7 tasks of 512: 3 per new instance.
    expect(plan.demand.headroomTasks).toBe(4);
    expect(plan.desiredCapacity).toBe(3);
  });
});

describe('planCapacity: explaining new instances, and daemons it cannot read', () => {
  it('names, for each new instance, the sources whose tasks it is for', () => {
    const plan = planCapacity(
      sample({
        demand: [
          api(3),
          {
            source: 'service:worker',
            group: 'service:worker',
            count: 1,
            shape: { cpu: 1024, memoryMiB: 4096 },
          },
          {
            source: 'service:pinned',
            group: 'service:pinned',
            count: 1,
            shape: { cpu: 1024, memoryMiB: 1024 },
            memberOf: 'attribute:ecs.availability-zone == us-east-1c',
          },
        ],
      }),
      NOW,
    );
    expect(plan.newInstanceSources).toHaveLength(plan.newInstances);
    for (const one of plan.newInstanceSources) expect(one.availabilityZone).toBeDefined();
    const all = plan.newInstanceSources.flatMap((one) => one.sources);
    expect(new Set(all)).toEqual(new Set(['service:api', 'service:worker', 'service:pinned']));
    const pinned = plan.newInstanceSources.find((one) => one.sources.includes('service:pinned'));
    expect(pinned?.availabilityZone).toBe('us-east-1c');
    expect(plan.reasons.join('\n')).toMatch(/new-\d+ \(us-east-1c\)[^\n]*for [^\n]*service:pinned/);
  });

  it('a daemon whose task definition cannot be read keeps its room on new instances, measured on an idle one', () => {
    const snapshot = (unread: string[]) =>
      sample({
        group: { ...sample().group, desired: 1 },
        // The idle instance's daemons reserve 384 CPU / 768 MiB: the log router's 128/256 and an unread one.
        instances: [
          registered(
            1,
            { cpu: 1664, memoryMiB: 6912 },
            { tasks: 2, nonDaemonTasks: 0, idleSince: minutesAgo(1) },
          ),
        ],
        demand: [
          { source: 'service:api', group: 'service:api', count: 8, shape: { cpu: 640, memoryMiB: 1024 } },
        ],
        ...(unread.length > 0 ? { unreadDaemons: unread } : {}),
      });
    // Known daemons only: 1920 CPU per new instance, 3 tasks each; 2 on the idle one, 6 on 2 new.
    expect(planCapacity(snapshot([]), NOW).newInstances).toBe(2);
    const plan = planCapacity(snapshot(['service:xray']), NOW);
    // With the measured 384 CPU: 1664 per new instance, 2 tasks each: 3 new instances.
    expect(plan.newInstances).toBe(3);
    expect(plan.reasons.join('\n')).toMatch(/service:xray.*could not be read.*384 CPU \/ 768 MiB/);
  });

  it('an unread daemon with no registered instance to measure it on: said, not ignored silently', () => {
    const plan = planCapacity(sample({ demand: [api(2)], unreadDaemons: ['service:xray'] }), NOW);
    expect(plan.newInstances).toBe(1);
    expect(plan.reasons.join('\n')).toMatch(/service:xray.*could not be read.*no registered instance/);
  });
});

describe('planCapacity: instances Auto Scaling reports Unhealthy', () => {
  it('are not planned on (Auto Scaling replaces them), nor removed as idle by the planner', () => {
    const snapshot = (health: string | undefined) =>
      sample({
        group: { ...sample().group, desired: 1 },
        instances: [
          registered(
            1,
            { cpu: 1920, memoryMiB: 7424 },
            { nonDaemonTasks: 0, idleSince: minutesAgo(30), ...(health ? { healthStatus: health } : {}) },
          ),
        ],
        demand: [api(2)],
      });
    expect(planCapacity(snapshot('Healthy'), NOW)).toMatchObject({
      scaleOut: 0,
      totals: { onRegistered: 2 },
    });
    const plan = planCapacity(snapshot('Unhealthy'), NOW);
    expect(plan.totals).toMatchObject({ onRegistered: 0, onNew: 2 });
    expect(plan.scaleOut).toBe(1);
    expect(plan.removals).toEqual([]);
    expect(plan.instances.unusable).toBe(1);
  });
});

describe('planCapacity: scale-in and protection', () => {
  const idle = (id: number, idleMinutes: number | null, extra: Record<string, unknown> = {}) =>
    registered(
      id,
      { cpu: 1920, memoryMiB: 7424 },
      {
        tasks: 1,
        nonDaemonTasks: 0,
        idleSince: idleMinutes === null ? null : minutesAgo(idleMinutes),
        ...extra,
      },
    );

  it('removes instances idle for scaleInAfter, least valuable first, at most N per pass', () => {
    const plan = planCapacity(
      sample({
        group: { ...sample().group, desired: 4 },
        settings: { maxScaleIn: { count: 2 } },
        instances: [idle(1, 10), idle(2, 20), idle(3, 2), registered(4, { cpu: 512, memoryMiB: 2048 })],
      }),
      NOW,
    );
    // us-east-1a has two instances: its idle one goes first (keeps zones balanced), then the longest idle.
    expect(plan.removals.map((removal) => removal.instanceId)).toEqual([
      'i-0a1b2c3d4e5f60001',
      'i-0a1b2c3d4e5f60002',
    ]);
    expect(plan.removals[0]).toMatchObject({ reason: 'idle' });
    expect(plan.removals[1]?.detail).toMatch(/no non-daemon task for 1200 s/);
    expect(plan.desiredCapacity).toBe(2);
    // Idle for 2 minutes only: kept, and its marker stays.
    expect(plan.removals.some((removal) => removal.instanceId === 'i-0a1b2c3d4e5f60003')).toBe(false);
  });

  it('never goes below the group minimum', () => {
    const plan = planCapacity(
      sample({ group: { ...sample().group, min: 1, desired: 2 }, instances: [idle(1, 30), idle(2, 30)] }),
      NOW,
    );
    expect(plan.removals).toHaveLength(1);
    expect(plan.desiredCapacity).toBe(1);
  });

  it('keeps an idle instance the pending demand will use', () => {
    const plan = planCapacity(
      sample({ group: { ...sample().group, desired: 1 }, instances: [idle(1, 30)], demand: [api(2)] }),
      NOW,
    );
    expect(plan.removals).toEqual([]);
    expect(plan.totals.onRegistered).toBe(2);
  });

  it('scales to zero', () => {
    const plan = planCapacity(
      sample({
        group: { ...sample().group, desired: 2 },
        instances: [idle(1, 30), idle(2, 30)],
        settings: { maxScaleIn: { percent: 100 } },
      }),
      NOW,
    );
    expect(plan.removals).toHaveLength(2);
    expect(plan.desiredCapacity).toBe(0);
  });

  it('marks newly idle instances, clears markers of busy ones, and only removes what is known idle', () => {
    const plan = planCapacity(
      sample({
        group: { ...sample().group, desired: 3 },
        instances: [
          idle(1, null),
          registered(2, { cpu: 512, memoryMiB: 2048 }, { idleSince: minutesAgo(30) }),
          // Only daemon tasks by count, not confirmed by listing: never removed on a guess.
          idle(3, 30, { nonDaemonTasks: null }),
        ],
      }),
      NOW,
    );
    expect(plan.idleMarkers.set).toEqual([
      { instanceId: 'i-0a1b2c3d4e5f60001', since: new Date(NOW).toISOString() },
    ]);
    expect(plan.idleMarkers.clear).toEqual(['i-0a1b2c3d4e5f60002']);
    expect(plan.removals).toEqual([]);
  });

  it('protects busy instances and releases idle ones', () => {
    const plan = planCapacity(
      sample({
        group: { ...sample().group, desired: 2 },
        instances: [
          registered(1, { cpu: 512, memoryMiB: 2048 }, { protectedFromScaleIn: false }),
          idle(2, 1, { protectedFromScaleIn: true }),
        ],
      }),
      NOW,
    );
    expect(plan.protect).toEqual(['i-0a1b2c3d4e5f60001']);
    expect(plan.unprotect).toEqual(['i-0a1b2c3d4e5f60002']);
  });

  it('removes instances launched past the boot timeout that never registered', () => {
    const plan = planCapacity(
      sample({
        group: { ...sample().group, desired: 1 },
        launching: [{ id: 'i-0a1b2c3d4e5f60009', instanceType: 'm5.large', launchedAt: minutesAgo(20) }],
        demand: [api(1)],
      }),
      NOW,
    );
    expect(plan.removals).toEqual([
      expect.objectContaining({ instanceId: 'i-0a1b2c3d4e5f60009', reason: 'never-registered' }),
    ]);
    // It is not capacity: the task needs a new instance, and the stuck one is decremented away.
    expect(plan.desiredCapacity).toBe(1);
    expect(plan.scaleOut).toBe(1);
  });

  it('counts never-registered removals against MAX_SCALE_IN like any other', () => {
    const stuck = (n: number) => ({
      id: `i-0a1b2c3d4e5f6000${n}`,
      instanceType: 'm5.large',
      availabilityZone: 'us-east-1a',
      launchedAt: minutesAgo(20),
    });
    const plan = planCapacity(
      sample({
        group: { ...sample().group, desired: 3 },
        settings: { maxScaleIn: { count: 1 } },
        launching: [stuck(7), stuck(8), stuck(9)],
      }),
      NOW,
    );
    expect(plan.removals).toHaveLength(1);
  });

  it('consolidates an instance whose tasks fit on the others', () => {
    const plan = planCapacity(
      sample({
        group: { ...sample().group, desired: 2 },
        settings: { consolidation: true },
        instances: [
          registered(1, { cpu: 1024, memoryMiB: 4096 }, { nonDaemonTasks: 1 }),
          registered(
            2,
            { cpu: 1408, memoryMiB: 6400 },
            {
              nonDaemonTasks: 1,
              movableTasks: [{ shape: { cpu: 512, memoryMiB: 1024 }, group: 'service:api' }],
            },
          ),
        ],
      }),
      NOW,
    );
    expect(plan.removals).toEqual([
      expect.objectContaining({ instanceId: 'i-0a1b2c3d4e5f60002', reason: 'consolidation' }),
    ]);
  });

  it('never consolidates an instance running a task with scale-in protection (UpdateTaskProtection)', () => {
    const consolidating = (task: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      planCapacity(
        sample({
          group: { ...sample().group, desired: 2 },
          settings: { consolidation: true },
          instances: [
            registered(1, { cpu: 1024, memoryMiB: 4096 }, { nonDaemonTasks: 1 }),
            registered(
              2,
              { cpu: 1408, memoryMiB: 6400 },
              {
                nonDaemonTasks: 1,
                movableTasks: [{ shape: { cpu: 512, memoryMiB: 1024 }, group: 'service:api', ...task }],
                ...extra,
              },
            ),
          ],
        }),
        NOW,
      );
    const until = new Date(NOW + 3_600_000).toISOString();
    const protectedPlan = consolidating({ protectedUntil: until });
    expect(protectedPlan.removals).toEqual([]);
    expect(protectedPlan.reasons.join('\n')).toMatch(
      new RegExp(
        `not consolidating i-0a1b2c3d4e5f60002: 1 task\\(s\\) protected from scale-in until ${until}`,
      ),
    );
    expect(consolidating({ protected: true }).removals).toEqual([]);
    // Protection expired: the task may move again.
    expect(consolidating({ protectedUntil: minutesAgo(1) }).removals).toEqual([
      expect.objectContaining({ instanceId: 'i-0a1b2c3d4e5f60002', reason: 'consolidation' }),
    ]);
    // Counted on the instance (observe may know the count without each task's state).
    expect(consolidating({}, { protectedTasks: 1 }).removals).toEqual([]);
    expect(consolidating({}).removals).toHaveLength(1);
  });

  it('does not consolidate instances running standalone tasks', () => {
    const plan = planCapacity(
      sample({
        group: { ...sample().group, desired: 2 },
        settings: { consolidation: true },
        instances: [
          registered(1, { cpu: 1024, memoryMiB: 4096 }),
          registered(
            2,
            { cpu: 1408, memoryMiB: 6400 },
            { nonDaemonTasks: 2, pinnedTasks: 1, movableTasks: [{ shape: { cpu: 512, memoryMiB: 1024 } }] },
          ),
        ],
      }),
      NOW,
    );
    expect(plan.removals).toEqual([]);
  });
});

describe('planCapacity: registered instances still Pending in Auto Scaling', () => {
  // The previous pass raised desired 2 -> 3 for 3 missing api tasks; i-03 is its instance, held in
  // Pending:Wait by a launch lifecycle hook (or a warm pool, or an agent quicker than the group).
  const busy = (id: number) => registered(id, { cpu: 0, memoryMiB: 0 }, { tasks: 4, nonDaemonTasks: 3 });
  const newcomer = (extra: Record<string, unknown> = {}) =>
    registered(
      3,
      { cpu: 1920, memoryMiB: 7424 },
      {
        lifecycleState: 'Pending:Wait',
        tasks: 1,
        nonDaemonTasks: 0,
        protectedFromScaleIn: false,
        registeredAt: minutesAgo(1),
        ...extra,
      },
    );
  const group = { ...sample().group, desired: 3 };

  it('while it boots, the demand waits for it (no scale-out)', () => {
    const plan = planCapacity(
      sample({
        group,
        instances: [busy(1), busy(2)],
        launching: [
          {
            id: 'i-0a1b2c3d4e5f60003',
            instanceType: 'm5.large',
            availabilityZone: 'us-east-1c',
            lifecycleState: 'Pending:Wait',
            launchedAt: minutesAgo(1),
          },
        ],
        demand: [api(3)],
      }),
      NOW,
    );
    expect(plan.scaleOut).toBe(0);
  });

  it('once it registers (still Pending:Wait), ECS places on it: the same demand buys nothing more', () => {
    const plan = planCapacity(
      sample({ group, instances: [busy(1), busy(2), newcomer()], demand: [api(3)] }),
      NOW,
    );
    expect(plan.scaleOut).toBe(0);
    expect(plan.desiredCapacity).toBe(3);
    expect(plan.totals).toMatchObject({ onRegistered: 3, onNew: 0 });
    expect(plan.instances).toMatchObject({ usable: 3, unusable: 0 });
  });

  it('is never removed, protected or marked idle before it is InService', () => {
    const plan = planCapacity(
      sample({
        group,
        instances: [busy(1), busy(2), newcomer({ idleSince: minutesAgo(30) })],
      }),
      NOW,
    );
    expect(plan.removals).toEqual([]);
    expect(plan.idleMarkers.set).toEqual([]);
    const working = planCapacity(
      sample({ group, instances: [busy(1), busy(2), newcomer({ tasks: 3, nonDaemonTasks: 2 })] }),
      NOW,
    );
    expect(working.protect).toEqual([]);
  });
});

describe('planCapacity: suspended Auto Scaling processes (an operator freezing the group)', () => {
  const idleFor30 = (id: number) =>
    registered(
      id,
      { cpu: 1920, memoryMiB: 7424 },
      { tasks: 1, nonDaemonTasks: 0, idleSince: minutesAgo(30) },
    );
  const frozen = (processes: string[], extra: Partial<CapacitySnapshotInput> = {}) =>
    sample({
      group: { ...sample().group, desired: 3, suspendedProcesses: processes },
      settings: { maxScaleIn: { percent: 100 } },
      instances: [registered(1, { cpu: 0, memoryMiB: 0 }), idleFor30(2)],
      launching: [{ id: 'i-0a1b2c3d4e5f60009', instanceType: 'm5.large', launchedAt: minutesAgo(20) }],
      demand: [api(12)],
      ...extra,
    });

  it('Launch suspended: no scale-out, the demand and the instances it needs still reported', () => {
    const plan = planCapacity(frozen(['Launch']), NOW);
    // 12 api tasks: 3 on the idle instance, 9 need 3 new instances; none is requested.
    expect(plan.demand.tasks).toBe(12);
    expect(plan.totals).toMatchObject({ onRegistered: 3, onNew: 9 });
    expect(plan.newInstances).toBe(3);
    expect(plan).toMatchObject({ scaleOut: 0, limitedBy: 'launch-suspended' });
    expect(plan.suspended).toMatchObject({ processes: ['Launch'], scaleOut: 3 });
    expect(plan.reasons).toContain(
      'no scale-out: Launch is suspended on web-asg; the 3 new instance(s) needed are not requested (the demand stays pending until Launch is resumed)',
    );
    // Terminate is not suspended: the instance that never registered still goes (with decrement).
    expect(plan.removals.map((removal) => removal.reason)).toEqual(['never-registered']);
    expect(plan.desiredCapacity).toBe(2);
  });

  it('Launch suspended: desired capacity not launched yet is not counted as capacity on the way', () => {
    const plan = planCapacity(
      sample({ group: { ...sample().group, desired: 2, suspendedProcesses: ['Launch'] }, demand: [api(3)] }),
      NOW,
    );
    expect(plan.instances.requested).toBe(2);
    expect(plan.totals).toMatchObject({ onLaunching: 0, onNew: 3 });
    expect(plan.suspended.scaleOut).toBe(1);
    expect(plan.desiredCapacity).toBe(2);
    expect(plan.reasons).toContain(
      '0 instance(s) booting count as capacity on the way; 2 requested do not (they launch only once Launch is resumed)',
    );
  });

  it('Terminate suspended: nothing removed (idle, never registered, consolidation); scale-out goes on', () => {
    const plan = planCapacity(
      frozen(['Terminate'], { settings: { maxScaleIn: { percent: 100 }, consolidation: true } }),
      NOW,
    );
    expect(plan.removals).toEqual([]);
    expect(plan.suspended.removals.map((removal) => [removal.instanceId, removal.reason])).toEqual([
      ['i-0a1b2c3d4e5f60009', 'never-registered'],
    ]);
    expect(plan.reasons).toContain(
      'no removal: Terminate is suspended on web-asg; kept i-0a1b2c3d4e5f60009 (never-registered)',
    );
    expect(plan).toMatchObject({ scaleOut: 3, desiredCapacity: 6 });
  });

  it('Terminate suspended: an idle instance is kept, its idle marker too', () => {
    const plan = planCapacity(
      sample({
        group: { ...sample().group, desired: 2, suspendedProcesses: ['Terminate'] },
        settings: { maxScaleIn: { percent: 100 } },
        instances: [idleFor30(1), idleFor30(2)],
      }),
      NOW,
    );
    expect(plan.removals).toEqual([]);
    expect(plan.suspended.removals).toHaveLength(2);
    expect(plan.idleMarkers.clear).toEqual([]);
    expect(plan.desiredCapacity).toBe(2);
  });

  it('both suspended: the group is frozen, the plan changes nothing', () => {
    const plan = planCapacity(frozen(['Launch', 'Terminate']), NOW);
    expect(plan).toMatchObject({ removals: [], scaleOut: 0, desiredCapacity: 3 });
    expect(plan.reasons).toContain('processes suspended on web-asg: Launch, Terminate');
  });

  it('AZRebalance, HealthCheck, ReplaceUnhealthy, ... suspended: the same decision as none', () => {
    const others = [
      'AZRebalance',
      'AddToLoadBalancer',
      'AlarmNotification',
      'HealthCheck',
      'InstanceRefresh',
      'ReplaceUnhealthy',
      'ScheduledActions',
    ];
    const plan = planCapacity(frozen(others), NOW);
    const free = planCapacity(frozen([]), NOW);
    expect(plan.suspended).toEqual({ processes: others, scaleOut: 0, removals: [] });
    expect({ ...plan, suspended: undefined, reasons: undefined }).toEqual({
      ...free,
      suspended: undefined,
      reasons: undefined,
    });
    expect(plan).toMatchObject({
      scaleOut: 3,
      removals: [expect.objectContaining({ reason: 'never-registered' })],
    });
  });

  it('properties: Launch suspended never raises the desired capacity, Terminate suspended never removes', () => {
    fc.assert(
      fc.property(
        snapshotArbitrary,
        fc.subarray(['Launch', 'Terminate', 'AZRebalance', 'HealthCheck']),
        (snapshot, processes) => {
          const plan = planCapacity(
            { ...snapshot, group: { ...snapshot.group, suspendedProcesses: processes } },
            NOW,
          );
          if (processes.includes('Launch')) {
            expect(plan.scaleOut).toBe(0);
            expect(plan.desiredCapacity).toBeLessThanOrEqual(snapshot.group.desired);
          }
          if (processes.includes('Terminate')) {
            expect(plan.removals).toEqual([]);
            expect(plan.desiredCapacity).toBeGreaterThanOrEqual(snapshot.group.desired);
          }
          const unsuspended = planCapacity(snapshot, NOW);
          expect(plan.demand).toEqual(unsuspended.demand);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('parseSnapshot', () => {
  it('names what is wrong', () => {
    expect(() => parseSnapshot({ cluster: 'web' })).toThrow(SnapshotError);
    expect(() => parseSnapshot({ ...sample(), instanceTypes: {} })).toThrow(
      /instanceTypes has no resources for m5.large/,
    );
    expect(() => parseSnapshot({ ...sample(), group: { ...sample().group, min: 5, max: 2 } })).toThrow(
      /min 5 > max 2/,
    );
  });

  it('reads the sample snapshots', () => {
    for (const name of ['burst', 'idle', 'constraints', 'nightly']) {
      const text = readFileSync(`events/scale-capacity/snapshots/${name}.json`, 'utf8');
      expect(() => parseSnapshot(JSON.parse(text))).not.toThrow();
    }
  });
});

describe('planCapacity: properties', () => {
  it('never puts more on an instance than it has (resources, ports, distinctInstance, memberOf)', () => {
    fc.assert(
      fc.property(snapshotArbitrary, (snapshot) => {
        const plan = planCapacity(snapshot, NOW, { trace: true });
        expect(violations(snapshot, plan)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('places every placeable task, and calls unplaceable only what fits nowhere', () => {
    fc.assert(
      fc.property(snapshotArbitrary, (snapshot) => {
        const plan = planCapacity(snapshot, NOW);
        const unplaceable = new Set(plan.unplaceable.map((item) => item.key));
        for (const placement of plan.placements) {
          if (unplaceable.has(placement.key)) continue;
          expect(placement.unplaced).toBe(0);
        }
        const type = snapshot.instanceTypes[snapshot.group.instanceTypes[0] ?? ''];
        for (const item of plan.unplaceable) {
          const placement = plan.placements.find((candidate) => candidate.key === item.key);
          if (!placement || !type) continue;
          const shape = placement.shape;
          const overhead = snapshot.daemonOverhead;
          const tooBig =
            shape.cpu > type.cpu - overhead.cpu ||
            shape.memoryMiB > type.memoryMiB - overhead.memoryMiB ||
            shape.gpus > type.gpus - overhead.gpus ||
            shape.enis > type.enis - overhead.enis ||
            shape.hostPorts.tcp.some((port) => overhead.hostPorts.tcp.includes(port));
          // Otherwise only a memberOf nothing satisfies can make it unplaceable.
          if (!tooBig) expect(placement.memberOf).toBeDefined();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never plans fewer new instances than the lower bound', () => {
    fc.assert(
      fc.property(snapshotArbitrary, (snapshot) => {
        const plan = planCapacity(snapshot, NOW);
        expect(plan.newInstances).toBeGreaterThanOrEqual(plan.lowerBound);
        expect(plan.gap).toBe(plan.newInstances - plan.lowerBound);
      }),
      { numRuns: 300 },
    );
  });

  it('has a sound lower bound: never above the exact optimum of tiny cases', () => {
    const tiny = fc.record({
      cpu: fc.integer({ min: 4, max: 16 }).map((units) => units * 256),
      memoryMiB: fc.integer({ min: 4, max: 16 }).map((units) => units * 512),
      enis: fc.integer({ min: 1, max: 3 }),
      tasks: fc.array(
        fc.record({
          cpu: fc.integer({ min: 1, max: 16 }).map((units) => units * 256),
          memoryMiB: fc.integer({ min: 1, max: 16 }).map((units) => units * 512),
          port: fc.constantFrom<number[]>([], [], [80]),
          eni: fc.constantFrom(0, 0, 1),
          group: fc.constantFrom('service:a', 'service:b'),
        }),
        { minLength: 1, maxLength: 7 },
      ),
    });
    fc.assert(
      fc.property(tiny, ({ cpu, memoryMiB, enis, tasks }) => {
        const fitting = tasks.filter(
          (task) => task.cpu <= cpu && task.memoryMiB <= memoryMiB && task.eni <= enis,
        );
        const snapshot = sample({
          instanceTypes: { 'm5.large': { cpu, memoryMiB, gpus: 0, enis } },
          daemonOverhead: { cpu: 0, memoryMiB: 0 },
          group: { ...sample().group, max: 100 },
          demand: fitting.map((task, index) => ({
            source: `${task.group}#${index}`,
            group: task.group,
            count: 1,
            shape: {
              cpu: task.cpu,
              memoryMiB: task.memoryMiB,
              hostPorts: { tcp: task.port, udp: [] },
              enis: task.eni,
            },
            distinctInstance: task.group === 'service:b',
          })),
        });
        if (fitting.length === 0) return;
        const plan = planCapacity(snapshot, NOW);
        const optimum = optimalNewInstances(
          fitting.map((task) => ({
            shape: {
              cpu: task.cpu,
              memoryMiB: task.memoryMiB,
              gpus: 0,
              hostPorts: { tcp: task.port, udp: [] },
              enis: task.eni,
            },
            group: task.group,
            distinct: task.group === 'service:b',
          })),
          { cpu, memoryMiB, gpus: 0, enis, tcp: [] },
        );
        expect(plan.lowerBound).toBeLessThanOrEqual(optimum);
        expect(plan.newInstances).toBeGreaterThanOrEqual(optimum);
      }),
      { numRuns: 400 },
    );
  });

  it('packs generated workloads no worse than plain first-fit decreasing', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const snapshot = generateWorkload(seed);
      const plan = planCapacity(snapshot, NOW);
      expect(plan.unplaceable).toEqual([]);
      expect(plan.newInstances).toBeLessThanOrEqual(firstFitDecreasingInstances(snapshot));
    }
  });
});
