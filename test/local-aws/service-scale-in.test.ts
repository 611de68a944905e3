// The local endpoint stops a service's extra tasks as ECS does (model/service-scale-in.ts): zones kept
// balanced, then the instance with most of the service's tasks; protected tasks are not stopped.
import { describe, expect, it } from 'vitest';
import { SAMPLE, sampleWorld } from './model/sample';
import { setProtection } from './model/task-protection';
import type { World } from './model/world';

const live = (world: World) => world.tasks({ service: 'api', desiredStatus: 'RUNNING' });
const perZone = (world: World) => {
  const counts: Record<string, number> = {};
  for (const task of live(world)) {
    const zone = task.availabilityZone ?? '?';
    counts[zone] = (counts[zone] ?? 0) + 1;
  }
  return counts;
};

describe('service scale-in on the local endpoint', () => {
  it('stops tasks from the zone with the most of them, not the newest tasks', () => {
    const world = sampleWorld();
    // Three more api tasks on a fourth instance in us-east-1a: the newest are all there.
    world.launchInstances(SAMPLE.group, 1, { inService: true, availabilityZones: ['us-east-1a'] });
    world.setServiceDesiredCount(SAMPLE.cluster, 'api', 7);
    world.advance(60_000);
    const before = perZone(world);
    const most = Math.max(...Object.values(before));
    world.setServiceDesiredCount(SAMPLE.cluster, 'api', 6);
    world.advance(60_000);
    const after = perZone(world);
    const [zone] = Object.entries(before).filter(([, count]) => count === most)[0] ?? [];
    expect(after[zone as string]).toBe(most - 1);
    // Down to 3: one per zone.
    world.setServiceDesiredCount(SAMPLE.cluster, 'api', 3);
    world.advance(60_000);
    expect(Object.values(perZone(world)).sort()).toEqual([1, 1, 1]);
  });

  it('does not stop a task with scale-in protection in force; it goes once protection expires', () => {
    const world = sampleWorld();
    const [kept] = live(world);
    if (!kept) throw new Error('the sample runs api tasks');
    setProtection(kept, true, world.now(), 10);
    world.setServiceDesiredCount(SAMPLE.cluster, 'api', 0);
    world.advance(60_000);
    expect(live(world).map((task) => task.arn)).toEqual([kept.arn]);
    world.advance(10 * 60_000);
    world.setServiceDesiredCount(SAMPLE.cluster, 'api', 0);
    world.advance(60_000);
    expect(live(world)).toEqual([]);
  });
});
