import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkBudget,
  drainingTurns,
  HOOK_LIMIT_MARGIN_MS,
  holdUntil,
  minimumHealthy,
  type ServiceBudgetInput,
} from './budget';
import {
  type BudgetObservation,
  type DrainPlanInput,
  type DrainTaskLike,
  planDrain,
  STOPPING_GRACE_MS,
} from './plan';
import { WAIT } from './policy';

const T0 = Date.parse('2026-11-21T03:00:00Z');
const DEADLINE_S = 900;
const HELD_UNTIL = T0 + 8 * 3600_000;

const service = (fields: Partial<ServiceBudgetInput> = {}): ServiceBudgetInput => ({
  name: 'api',
  desiredCount: 4,
  minimumHealthyPercent: 100,
  runningOnStaying: 2,
  onInstance: 2,
  ...fields,
});

const apiTask = (id: number, fields: Partial<DrainTaskLike> = {}): DrainTaskLike => ({
  taskArn: `arn:aws:ecs:us-east-1:123456789012:task/web/api${id}`,
  group: 'service:api',
  startedBy: 'ecs-svc/1',
  desiredStatus: 'RUNNING',
  lastStatus: 'RUNNING',
  ...fields,
});

function observed(services: ServiceBudgetInput[]): BudgetObservation {
  return {
    verdict: checkBudget({ services }),
    shapes: new Map(
      services.map((s) => [
        s.name,
        { capacityProvider: 'web-asg-cp', taskDefinition: `${s.name}:1`, cpu: 512, memoryMiB: 1024, gpus: 0 },
      ]),
    ),
  };
}

function input(overrides: Partial<DrainPlanInput> = {}): DrainPlanInput {
  return {
    trigger: 'lifecycle',
    cause: 'terminate',
    instanceId: 'i-0a1b2c3d4e5f60001',
    group: 'web-asg',
    instance: { containerInstanceArn: 'arn:ci/1', ec2InstanceId: 'i-0a1b2c3d4e5f60001', status: 'DRAINING' },
    tasks: [apiTask(1), apiTask(2)],
    daemonServices: new Set(),
    policy: WAIT,
    startedAt: T0,
    deadlineSeconds: DEADLINE_S,
    lastHeartbeatAt: T0,
    heartbeatIntervalSeconds: 100,
    now: T0 + 10_000,
    holdUntil: HELD_UNTIL,
    ...overrides,
  };
}

const serviceArb = fc.record({
  name: fc.constantFrom('api', 'worker', 'web', 'queue'),
  desiredCount: fc.integer({ min: 0, max: 20 }),
  minimumHealthyPercent: fc.integer({ min: 0, max: 100 }),
  runningOnStaying: fc.integer({ min: 0, max: 25 }),
  onInstance: fc.integer({ min: 0, max: 10 }),
  unableToPlace: fc.boolean(),
});

describe('checkBudget (the disruption budget)', () => {
  it('blocks exactly the services that would fall below their minimum or to zero, naming why', () => {
    fc.assert(
      fc.property(fc.uniqueArray(serviceArb, { selector: (s) => s.name, maxLength: 4 }), (services) => {
        const { blocked, why } = checkBudget({ services });
        for (const s of services) {
          const isBlocked = blocked.some((b) => b.name === s.name);
          const floor = minimumHealthy(s.desiredCount, s.minimumHealthyPercent);
          const breaks =
            s.onInstance > 0 &&
            s.desiredCount > 0 &&
            (s.runningOnStaying === 0 || s.runningOnStaying < floor);
          expect(isBlocked).toBe(breaks);
        }
        expect(why.length > 0).toBe(blocked.length > 0);
      }),
    );
  });

  it('the issue scenario: api 4 tasks at 100 %, worker 2 with nothing on instances that stay', () => {
    const { blocked, why } = checkBudget({
      services: [
        service({ runningOnStaying: 2, onInstance: 1, unableToPlace: true }),
        service({
          name: 'worker',
          desiredCount: 2,
          minimumHealthyPercent: 0,
          runningOnStaying: 0,
          onInstance: 1,
        }),
      ],
      group: { desiredCapacity: 1, maxSize: 10 },
    });
    expect(blocked.map((b) => [b.name, b.reason])).toEqual([
      ['api', 'below-minimum'],
      ['worker', 'to-zero'],
    ]);
    expect(why).toEqual([expect.stringMatching(/no room to place replacements.*api/)]);
    expect(checkBudget({ services: [service()], group: { desiredCapacity: 3, maxSize: 3 } }).why).toEqual([
      expect.stringMatching(/maximum size \(3\)/),
    ]);
  });

  it('a hold never outlives Auto Scaling’s limit for the action, nor the operator’s blocked deadline, nor ends before the deadline', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 60, max: 172_800 }),
        fc.integer({ min: 60, max: 172_800 }),
        fc.option(fc.integer({ min: 30, max: 7200 }), { nil: undefined }),
        (deadlineSeconds, blockedDeadlineSeconds, heartbeatTimeoutSeconds) => {
          const until = holdUntil({
            startedAt: T0,
            deadlineSeconds,
            blockedDeadlineSeconds,
            heartbeatTimeoutSeconds,
          });
          const deadlineAt = T0 + deadlineSeconds * 1000;
          expect(until).toBeGreaterThanOrEqual(deadlineAt);
          if (heartbeatTimeoutSeconds === undefined) expect(until).toBe(deadlineAt);
          else if (until > deadlineAt) {
            const limit = Math.min(48 * 3600_000, 100 * heartbeatTimeoutSeconds * 1000);
            expect(until).toBeLessThanOrEqual(T0 + limit - HOOK_LIMIT_MARGIN_MS);
            expect(until).toBeLessThanOrEqual(T0 + blockedDeadlineSeconds * 1000);
          }
        },
      ),
    );
  });
});

describe('planDrain with the disruption budget', () => {
  it('never completes while a service would fall below its minimum, until the hold ends; then completes naming them', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(serviceArb, { selector: (s) => s.name, minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 10 * 3600 }),
        (services, ageSeconds) => {
          const now = T0 + ageSeconds * 1000;
          const budget = observed(services);
          const plan = planDrain(input({ now, budget }));
          const complete = plan.actions.find((a) => a.type === 'complete-continue');
          const blocked = budget.verdict.blocked;
          if (blocked.length > 0 && now < HELD_UNTIL) {
            expect(complete).toBeUndefined();
            expect(plan.verdict).toBe('blocked');
            const report = plan.actions.find((a) => a.type === 'report-blocked');
            expect(report).toMatchObject({ services: blocked });
            // Room asked for every blocked service's tasks here.
            expect(report?.type === 'report-blocked' && report.room.map((r) => [r.service, r.count])).toEqual(
              blocked.map((b) => [b.name, b.onInstance]),
            );
          }
          if (now >= HELD_UNTIL) {
            expect(complete).toMatchObject({ reason: 'deadline-expired' });
            if (blocked.length > 0) expect(complete).toMatchObject({ belowMinimum: blocked });
          }
          if (blocked.length === 0 && now >= T0 + DEADLINE_S * 1000)
            expect(complete).toMatchObject({ reason: 'deadline-expired' });
          // The heartbeat never waits behind the report.
          if (plan.actions.some((a) => a.type === 'heartbeat'))
            expect(plan.actions[0]?.type).toBe('heartbeat');
        },
      ),
    );
  });

  it('a drained instance completes whatever the budget says: nothing of the services is left on it', () => {
    const plan = planDrain(
      input({
        tasks: [apiTask(1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })],
        budget: observed([service()]),
      }),
    );
    expect(plan.actions).toContainEqual(
      expect.objectContaining({ type: 'complete-continue', reason: 'drained' }),
    );
  });

  it('unblocked past the deadline, tasks ECS is stopping after their replacements are let finish, bounded', () => {
    const now = T0 + 3600_000;
    const stopping = (since: number) =>
      [1, 2].map((id) =>
        apiTask(id, { desiredStatus: 'STOPPED', lastStatus: 'RUNNING', stoppingAt: new Date(since) }),
      );
    const fine = observed([service({ runningOnStaying: 4 })]);
    expect(planDrain(input({ now, tasks: stopping(now - 60_000), budget: fine })).verdict).toBe('waiting');
    expect(planDrain(input({ now, tasks: stopping(now - STOPPING_GRACE_MS), budget: fine })).verdict).toBe(
      'deadline-expired',
    );
    // Not held (budget not read): the deadline as before.
    expect(planDrain(input({ now, tasks: stopping(now - 60_000) })).verdict).toBe('deadline-expired');
  });

  it('Spot ignores the budget: two minutes cannot wait for room', () => {
    const plan = planDrain(input({ trigger: 'spot', cause: 'spot', budget: observed([service()]) }));
    expect(plan.actions.map((a) => a.type)).not.toContain('report-blocked');
  });
});

describe('drainingTurns (MAX_DRAINING_PER_CLUSTER)', () => {
  const queuedArb = fc.uniqueArray(
    fc.record({
      instanceId: fc.integer({ min: 1, max: 99 }).map((n) => `i-${String(n).padStart(17, '0')}`),
      registeredAt: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
    }),
    { selector: (q) => q.instanceId, maxLength: 12 },
  );

  it('never lets the cluster exceed the cap, serves the oldest first, and agrees with itself after a turn is taken', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 8 }),
        queuedArb,
        (cap, draining, queued) => {
          const turns = drainingTurns({ cap, drainingCount: draining, queued });
          expect(draining + turns.size).toBeLessThanOrEqual(Math.max(cap, draining));
          expect(turns.size).toBe(Math.min(queued.length, Math.max(0, cap - draining)));
          const key = (q: (typeof queued)[number]) => q.registeredAt ?? Number.POSITIVE_INFINITY;
          for (const chosen of queued.filter((q) => turns.has(q.instanceId)))
            for (const other of queued.filter((q) => !turns.has(q.instanceId)))
              expect(key(chosen) <= key(other)).toBe(true);
          // One of them took its turn (now DRAINING): another invocation's view picks the same others.
          const [first] = [...turns];
          if (first !== undefined) {
            const after = drainingTurns({
              cap,
              drainingCount: draining + 1,
              queued: queued.filter((q) => q.instanceId !== first),
            });
            expect([...after].sort()).toEqual([...turns].filter((id) => id !== first).sort());
          }
        },
      ),
    );
  });

  it('a cap of 0 is no cap', () => {
    const queued = [
      { instanceId: 'i-1', registeredAt: 1 },
      { instanceId: 'i-2', registeredAt: undefined },
    ];
    expect(drainingTurns({ cap: 0, drainingCount: 40, queued }).size).toBe(2);
  });
});

describe('planDrain under the cap', () => {
  const active = { containerInstanceArn: 'arn:ci/1', ec2InstanceId: 'i-0a1b2c3d4e5f60001', status: 'ACTIVE' };

  it('waiting its turn: left ACTIVE, heartbeated, never completed by the deadline until the hold ends', () => {
    for (const now of [T0 + 10_000, T0 + 2 * DEADLINE_S * 1000]) {
      const plan = planDrain(
        input({ now, instance: active, drainingTurn: false, lastHeartbeatAt: undefined }),
      );
      expect(plan.verdict).toBe('queued');
      expect(plan.actions.map((a) => a.type)).toEqual(['heartbeat', 'wait']);
    }
    const late = planDrain(input({ now: HELD_UNTIL, instance: active, drainingTurn: false }));
    expect(late.actions.map((a) => a.type)).toContain('set-draining');
  });

  it('its turn: set DRAINING as before', () => {
    const plan = planDrain(input({ instance: active, drainingTurn: true }));
    expect(plan.actions.map((a) => a.type)).toContain('set-draining');
  });
});
