import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { snapshotArbitrary, violations } from '../../test/support/capacity/planner-checks';
import { DEFAULT_MARGIN_SECONDS, foreseenDemand, leadTime } from './foresight';
import { planCapacity } from './planner';
import { type CapacitySnapshot, type CapacitySnapshotInput, parseSnapshot } from './snapshot';

const NOW = Date.parse('2025-01-15T00:28:00.000Z');
const at = (seconds: number) => new Date(NOW + seconds * 1000).toISOString();
const BOOT = 90;

/** An m5.large group with a measured 90 s boot, empty unless told otherwise. */
function group(overrides: Partial<CapacitySnapshotInput> = {}): CapacitySnapshot {
  return parseSnapshot({
    cluster: 'batch',
    capacityProvider: 'batch-cp',
    group: {
      name: 'batch-asg',
      min: 0,
      max: 50,
      desired: 0,
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      instanceTypes: ['m5.large'],
      boot: { seconds: BOOT, samples: 5 },
    },
    instanceTypes: { 'm5.large': { cpu: 2048, memoryMiB: 7680, gpus: 0, enis: 2 } },
    settings: { maxStep: 50 },
    ...overrides,
  });
}

const nightly = (dueIn: number, extra: Record<string, unknown> = {}) => ({
  source: 'job' as const,
  job: 'nightly',
  dueAt: at(dueIn),
  count: 4,
  shape: { cpu: 1024, memoryMiB: 2048 },
  group: 'family:nightly',
  ...extra,
});

const idleInstance = (id: string, idleFor: number) => ({
  id,
  instanceType: 'm5.large',
  availabilityZone: id.endsWith('a') ? 'us-east-1a' : 'us-east-1b',
  registeredAt: at(-idleFor - 60),
  free: { cpu: 2048, memoryMiB: 7680, enis: 2 },
  nonDaemonTasks: 0,
  idleSince: at(-idleFor),
});

const lead = BOOT + DEFAULT_MARGIN_SECONDS;

describe('foreseen scheduled jobs', () => {
  it('buys room one boot ahead for a run due within the lead, and says for which run', () => {
    const plan = planCapacity(group({ foreseen: [nightly(lead - 10)] }), NOW);
    // 4 tasks of 1024 CPU: 2 per m5.large.
    expect(plan.scaleOut).toBe(2);
    expect(plan.reasons.some((line) => line.startsWith(`for job nightly due at ${at(lead - 10)}`))).toBe(
      true,
    );
    expect(
      plan.newInstanceSources.every((one) => one.sources.includes(`job nightly due at ${at(lead - 10)}`)),
    ).toBe(true);
    expect(plan.foreseen?.runs).toEqual([expect.objectContaining({ job: 'nightly', planned: 4 })]);
  });

  it('buys nothing for a run due beyond the lead, nor for one whose due time has passed', () => {
    for (const dueIn of [lead + 5, 0, -30]) {
      const plan = planCapacity(group({ foreseen: [nightly(dueIn)] }), NOW);
      expect(plan.scaleOut).toBe(0);
    }
  });

  it('uses a measured boot for the lead, a default without one', () => {
    expect(leadTime(group()).seconds).toBe(lead);
    const unmeasured = group();
    unmeasured.group.boot = undefined;
    expect(leadTime(unmeasured).bootFrom).toBe('default');
  });

  it('a Forbid run whose earlier run is still active needs no new room; Replace reuses the earlier room', () => {
    const forbid = planCapacity(
      group({ foreseen: [nightly(60, { concurrencyPolicy: 'Forbid', activeTasks: 4 })] }),
      NOW,
    );
    expect(forbid.scaleOut).toBe(0);
    expect(forbid.reasons.join('\n')).toContain('Forbid skips this run');
    const replace = foreseenDemand(
      group({ foreseen: [nightly(60, { concurrencyPolicy: 'Replace', activeTasks: 3 })] }),
      NOW,
    );
    expect(replace.demand.map((item) => item.count)).toEqual([1]);
  });

  it('keeps an idle instance a run due soon will use, and releases it by the normal rules once the run is skipped', () => {
    const snapshot = (dueIn: number) => {
      const one = group({
        instances: [idleInstance('i-idle-a', 400)],
        foreseen: [nightly(dueIn, { count: 2 })],
      });
      one.group.desired = 1;
      return one;
    };
    // Idle past the scale-in delay, but the run due in a minute will use it: kept, nothing bought.
    const kept = planCapacity(snapshot(60), NOW);
    expect(kept.removals).toEqual([]);
    expect(kept.scaleOut).toBe(0);
    // The run's due time passed and no task came (skipped): the idle instance goes as any idle one.
    expect(planCapacity(snapshot(-30), NOW).removals.map((removal) => removal.instanceId)).toEqual([
      'i-idle-a',
    ]);
  });

  it('never lowers the desired capacity, and plans every task of runs due within the lead', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            job: fc.constantFrom('a', 'b', 'c'),
            dueIn: fc.integer({ min: -120, max: 600 }),
            count: fc.integer({ min: 1, max: 10 }),
            cpu: fc.constantFrom(256, 512, 1024, 2048),
            memoryMiB: fc.constantFrom(512, 1024, 4096),
            concurrencyPolicy: fc.constantFrom('Allow', 'Forbid', 'Replace'),
            activeTasks: fc.integer({ min: 0, max: 3 }),
          }),
          { maxLength: 5 },
        ),
        fc.integer({ min: 0, max: 3 }),
        (runs, idle) => {
          const instances = Array.from({ length: idle }, (_, index) =>
            idleInstance(`i-${index}${index % 2 ? 'b' : 'a'}`, 30 * index),
          );
          const foreseen = runs.map((run) => ({
            source: 'job' as const,
            job: run.job,
            dueAt: at(run.dueIn),
            count: run.count,
            shape: { cpu: run.cpu, memoryMiB: run.memoryMiB },
            concurrencyPolicy: run.concurrencyPolicy,
            activeTasks: run.activeTasks,
          }));
          const without = group({ instances });
          without.group.desired = idle;
          const withRuns = group({ instances, foreseen });
          withRuns.group.desired = idle;
          const base = planCapacity(without, NOW);
          const plan = planCapacity(withRuns, NOW, { trace: true });
          expect(plan.desiredCapacity).toBeGreaterThanOrEqual(base.desiredCapacity);
          const expected = runs
            .filter((run) => run.dueIn > 0 && run.dueIn <= lead)
            .reduce((sum, run) => {
              if (run.activeTasks > 0 && run.concurrencyPolicy === 'Forbid') return sum;
              if (run.activeTasks > 0 && run.concurrencyPolicy === 'Replace')
                return sum + Math.max(0, run.count - run.activeTasks);
              return sum + run.count;
            }, 0);
          expect(plan.demand.tasks).toBe(expected);
          // Every task planned ahead has room: on an idle instance or a new one.
          expect(plan.totals.onRegistered + plan.totals.onNew).toBe(expected);
          // An idle instance given a run's tasks is never removed.
          const removed = new Set(plan.removals.map((removal) => removal.instanceId));
          for (const assignment of plan.assignments ?? [])
            if (assignment.kind === 'registered') expect(removed.has(assignment.instanceId)).toBe(false);
        },
      ),
    );
  });
});

describe('warm pools', () => {
  const pooled = (ready: number, extra: Partial<CapacitySnapshotInput> = {}) => {
    const snapshot = group(extra);
    snapshot.group.warmPool = { ready, warming: 0, bootSeconds: 30 };
    return snapshot;
  };

  it('takes new instances from the pool first and reports what it lacked', () => {
    const plan = planCapacity(
      pooled(1, { demand: [{ source: 'service:etl', count: 4, shape: { cpu: 1024, memoryMiB: 2048 } }] }),
      NOW,
    );
    expect(plan.scaleOut).toBe(2);
    expect(plan.warmPool).toEqual({ ready: 1, fromPool: 1, cold: 1, bootSeconds: 30, shortBy: 1 });
    expect(plan.reasons.join('\n')).toContain('a pool of 2 would have covered this scale-out');
  });

  it("plans a run with the pool's boot when its ready instances cover it, the cold boot otherwise", () => {
    const warmLead = 30 + DEFAULT_MARGIN_SECONDS;
    // 4 tasks of 1024 CPU: 2 m5.large.
    expect(leadTime(pooled(2, { foreseen: [nightly(warmLead)] }), NOW)).toMatchObject({
      seconds: warmLead,
      bootFrom: 'warm pool',
    });
    expect(leadTime(pooled(1, { foreseen: [nightly(warmLead)] }), NOW).seconds).toBe(lead);
    // Due within the cold lead but not the warm one: the pool's instances join in time later.
    expect(planCapacity(pooled(2, { foreseen: [nightly(warmLead + 30)] }), NOW).scaleOut).toBe(0);
    expect(planCapacity(pooled(1, { foreseen: [nightly(warmLead + 30)] }), NOW).scaleOut).toBe(2);
  });
});

describe('foreseen demand on generated clusters', () => {
  it('never puts more on an instance than it has, and never lowers the desired capacity', () => {
    fc.assert(
      fc.property(
        snapshotArbitrary,
        fc.array(
          fc.record({
            dueIn: fc.integer({ min: 1, max: 200 }),
            count: fc.integer({ min: 1, max: 6 }),
            cpuShare: fc.integer({ min: 1, max: 8 }),
            memoryShare: fc.integer({ min: 1, max: 8 }),
            ports: fc.subarray([80, 443]),
          }),
          { maxLength: 3 },
        ),
        (generated, runs) => {
          const type = generated.instanceTypes[generated.group.instanceTypes[0] ?? ''];
          if (!type) return;
          const foreseen = runs.map((run, index) => ({
            source: 'job' as const,
            job: `job-${index}`,
            dueAt: at(run.dueIn),
            count: run.count,
            shape: {
              cpu: Math.floor(type.cpu / run.cpuShare / 128) * 128,
              memoryMiB: Math.max(128, Math.floor(type.memoryMiB / run.memoryShare / 128) * 128),
              gpus: 0,
              hostPorts: { tcp: run.ports, udp: [] },
              enis: 0,
            },
            distinctInstance: false,
            concurrencyPolicy: 'Allow' as const,
            activeTasks: 0,
          }));
          const withRuns: CapacitySnapshot = { ...generated, foreseen };
          const plan = planCapacity(withRuns, NOW, { trace: true });
          expect(violations(withRuns, plan)).toEqual([]);
          expect(plan.desiredCapacity).toBeGreaterThanOrEqual(planCapacity(generated, NOW).desiredCapacity);
        },
      ),
      { numRuns: 150 },
    );
  });
});
