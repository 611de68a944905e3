import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SAMPLE, sampleWorld } from './model/sample';
import type { World } from './model/world';

type Step =
  | { kind: 'run'; count: number; runForMs: number; exitCode: number }
  | { kind: 'stop'; pick: number }
  | { kind: 'drain'; pick: number }
  | { kind: 'desired'; capacity: number }
  | { kind: 'terminate'; pick: number; decrement: boolean }
  | { kind: 'complete'; pick: number }
  | { kind: 'scale'; service: 'api' | 'worker'; count: number }
  | { kind: 'agent'; pick: number; connected: boolean }
  | { kind: 'advance'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('run' as const),
    count: fc.integer({ min: 1, max: 10 }),
    runForMs: fc.integer({ min: 1_000, max: 600_000 }),
    exitCode: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ kind: fc.constant('stop' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('drain' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('desired' as const), capacity: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ kind: fc.constant('terminate' as const), pick: fc.nat(), decrement: fc.boolean() }),
  fc.record({ kind: fc.constant('complete' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('scale' as const),
    service: fc.constantFrom('api' as const, 'worker' as const),
    count: fc.integer({ min: 0, max: 8 }),
  }),
  fc.record({ kind: fc.constant('agent' as const), pick: fc.nat(), connected: fc.boolean() }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 400_000 }) }),
);

function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

function apply(world: World, s: Step) {
  switch (s.kind) {
    case 'run':
      world.runStandaloneTask({
        cluster: 'web',
        taskDefinition: 'report:7',
        count: s.count,
        runForMs: s.runForMs,
        exitCode: s.exitCode,
      });
      return;
    case 'stop': {
      const task = pick(world.tasks({ desiredStatus: 'RUNNING' }), s.pick);
      if (task) world.stopTask(task, 'property test');
      return;
    }
    case 'drain': {
      const instance = pick(
        world.instances('web').filter((i) => i.status === 'ACTIVE'),
        s.pick,
      );
      if (instance) world.setContainerInstanceStatus(instance, 'DRAINING');
      return;
    }
    case 'desired':
      world.setDesiredCapacity(SAMPLE.group, s.capacity);
      return;
    case 'terminate': {
      const instance = pick(world.group(SAMPLE.group)?.instances ?? [], s.pick);
      const group = world.group(SAMPLE.group);
      if (!instance || !group || (s.decrement && group.desiredCapacity <= group.minSize)) return;
      world.terminateInstanceInGroup(instance.instanceId, s.decrement);
      return;
    }
    case 'complete': {
      const action = pick(world.lifecycleActions({ active: true }), s.pick);
      if (action)
        world.completeLifecycleAction({
          group: action.groupName,
          hook: action.hookName,
          token: action.token,
          result: 'CONTINUE',
        });
      return;
    }
    case 'scale':
      world.setServiceDesiredCount('web', s.service, s.count);
      return;
    case 'agent': {
      const instance = pick(
        world.instances('web').filter((i) => i.status !== 'INACTIVE'),
        s.pick,
      );
      if (instance) world.setAgentConnected(instance.arn, s.connected);
      return;
    }
    case 'advance':
      world.advance(s.ms);
      return;
  }
}

function checkInvariants(world: World) {
  for (const instance of world.instances()) {
    const free = world.remaining(instance);
    expect(free.cpu).toBeGreaterThanOrEqual(0);
    expect(free.memory).toBeGreaterThanOrEqual(0);
    expect(free.enis).toBeGreaterThanOrEqual(0);
    const ports = world.tasksOn(instance).flatMap((task) => task.demand.ports);
    expect(new Set(ports).size).toBe(ports.length);
    if (instance.status === 'INACTIVE') expect(world.tasksOn(instance)).toEqual([]);
  }
  for (const task of world.tasks()) {
    if (task.lastStatus === 'STOPPED') expect(task.stoppedAt).toBeDefined();
    if (task.startedAt !== undefined) expect(task.startedAt).toBeGreaterThanOrEqual(task.createdAt);
    if (task.lastStatus === 'RUNNING') expect(task.containerInstanceArn).toBeDefined();
  }
  for (const instance of world.group(SAMPLE.group)?.instances ?? []) {
    const waiting = world.lifecycleActions({ instanceId: instance.instanceId, active: true });
    expect(waiting.length > 0).toBe(instance.lifecycleState === 'Terminating:Wait');
  }
}

function checkHistory(world: World) {
  const seen = new Map<string, { version: number; stopped: boolean }>();
  for (const event of world.events({ detailType: 'ECS Task State Change' })) {
    const arn = String(event.detail.taskArn);
    const version = Number(event.detail.version);
    const previous = seen.get(arn);
    if (previous) {
      expect(version).toBeGreaterThan(previous.version);
      expect(previous.stopped).toBe(false); // nothing happens to a task after STOPPED
    }
    seen.set(arn, { version, stopped: event.detail.lastStatus === 'STOPPED' });
  }
}

describe('world invariants under random operations', () => {
  it('never overcommits an instance, keeps task histories ordered and hook states consistent', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const world = sampleWorld();
        for (const s of steps) {
          apply(world, s);
          checkInvariants(world);
        }
        world.advance(3_600_000);
        checkInvariants(world);
        checkHistory(world);
      }),
      { numRuns: 60, seed: 20250115 },
    );
  });

  it('keeps every service at its desired count once capacity allows and things settle', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
        const world = sampleWorld();
        for (const s of steps) apply(world, s);
        // Room for everything, every agent connected, nothing draining: the services converge.
        for (const instance of world.instances('web')) {
          if (instance.status === 'INACTIVE') continue;
          world.setAgentConnected(instance.arn, true);
          world.setContainerInstanceStatus(instance, 'ACTIVE');
        }
        for (const action of world.lifecycleActions({ active: true })) {
          world.completeLifecycleAction({
            group: action.groupName,
            hook: action.hookName,
            token: action.token,
            result: 'CONTINUE',
          });
        }
        world.updateGroup(SAMPLE.group, { maxSize: 10, desiredCapacity: 8 });
        world.advance(30 * 60_000);
        for (const service of world.services('web')) {
          const { running } = world.serviceCounts(service);
          const expected =
            service.schedulingStrategy === 'DAEMON'
              ? world.instances('web').filter((i) => i.status === 'ACTIVE').length
              : service.desiredCount;
          expect(running).toBe(expected);
        }
      }),
      { numRuns: 40, seed: 7 },
    );
  });
});
