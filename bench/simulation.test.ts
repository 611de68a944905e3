import { describe, expect, it } from 'vitest';
import {
  autopilotController,
  type Controller,
  managedScalingController,
  simulate,
  type Trace,
} from './simulation';
import { SAMPLE_INSTANCE_TYPES } from './workloads';

const type = SAMPLE_INSTANCE_TYPES['m5.xlarge'] as (typeof SAMPLE_INSTANCE_TYPES)[string];
const options = { type, bootSeconds: 90, stepSeconds: 5, min: 0, max: 100, initial: 0 };
const autopilot = () =>
  autopilotController(type, {
    reactionSeconds: 5,
    scaleInAfterSeconds: 300,
    min: 0,
    max: 100,
    bootTimeoutSeconds: 600,
  });
const managed = () =>
  managedScalingController(type, {
    targetCapacity: 100,
    warmupSeconds: 300,
    minimumStep: 1,
    maximumStep: 10_000,
  });

/** 40 tasks of 1024 CPU / 3072 MiB at t=300 s for 20 minutes: 4 per m5.xlarge, so 10 instances. */
const nightly: Trace = {
  name: 'nightly',
  duration: 3600,
  tasks: Array.from({ length: 40 }, () => ({
    at: 300,
    runs: 1200,
    cpu: 1024,
    memoryMiB: 3072,
    group: 'nightly',
  })),
};

/** Records the group size over time. */
function watched(controller: Controller) {
  const sizes: { now: number; desired: number }[] = [];
  return {
    sizes,
    controller: {
      name: controller.name,
      step(view: Parameters<Controller['step']>[0], arrivals: number) {
        sizes.push({ now: view.now, desired: view.desired });
        return controller.step(view, arrivals);
      },
    } satisfies Controller,
  };
}

describe('simulation', () => {
  it('autopilot: from zero, exactly the instances needed in one decision, seconds after the tasks arrive; back to zero after', () => {
    const { sizes, controller } = watched(autopilot());
    const result = simulate(nightly, controller, options);
    expect(result.maxInstances).toBe(10);
    expect(result.unplacedAtEnd).toBe(0);
    const firstScale = sizes.find((size) => size.desired > 0);
    expect(firstScale?.now).toBeLessThanOrEqual(310 + 5);
    // Every task waited for the decision (~5 s) and one boot (90 s), no more.
    expect(result.pendingTaskSeconds).toBeLessThanOrEqual(40 * (5 + 90 + 10));
    expect(sizes.at(-1)?.desired).toBe(0);
  });

  it('managed scaling model: two instances from zero, then steps a warm-up apart; slower and idler', () => {
    const { sizes, controller } = watched(managed());
    const result = simulate(nightly, controller, options);
    const distinct = [...new Set(sizes.map((size) => size.desired))];
    expect(distinct.slice(0, 3)).toEqual([0, 2, 10]);
    const atTwo = sizes.find((size) => size.desired === 2)?.now ?? 0;
    const atTen = sizes.find((size) => size.desired === 10)?.now ?? 0;
    expect(atTen - atTwo).toBeGreaterThanOrEqual(300);
    const ours = simulate(nightly, autopilot(), options);
    expect(ours.pendingTaskSeconds).toBeLessThan(result.pendingTaskSeconds);
    expect(ours.idleInstanceSeconds).toBeLessThan(result.idleInstanceSeconds);
    expect(result.unplacedAtEnd).toBe(0);
  });

  it("autopilot plans for a service's whole deficit when its first task fails, not task by task", () => {
    // desiredCount 0 -> 12 at t=300; the scheduler creates one task every 5 s over the next minute.
    const tasks = Array.from({ length: 12 }, (_, index) => ({
      at: 300 + index * 5,
      announcedAt: 300,
      runs: 1200,
      cpu: 1024,
      memoryMiB: 3072,
      group: 'api',
    }));
    const announced: Trace = { name: 'service scale-up', duration: 3600, tasks };
    const unannounced: Trace = { ...announced, tasks: tasks.map(({ announcedAt: _, ...task }) => task) };
    const { sizes, controller } = watched(autopilot());
    const seen = simulate(announced, controller, options);
    // One decision for all three instances, at the first failure.
    const first = sizes.find((size) => size.desired > 0);
    expect(first?.desired).toBe(3);
    expect(first?.now).toBeLessThanOrEqual(310);
    const blind = simulate(unannounced, autopilot(), options);
    expect(seen.pendingTaskSeconds).toBeLessThan(blind.pendingTaskSeconds);
    // Managed scaling only sees tasks in PROVISIONING: the announcement changes nothing for it.
    expect(simulate(announced, managed(), options)).toEqual(simulate(unannounced, managed(), options));
  });
});
