import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  combineMemberOf,
  roomUnderMaximumPercent,
  serviceDemand,
  serviceDemands,
  strategyShare,
} from './demand';

const service = (overrides: Record<string, unknown> = {}) => ({
  serviceName: 'api',
  status: 'ACTIVE',
  schedulingStrategy: 'REPLICA',
  desiredCount: 10,
  runningCount: 4,
  pendingCount: 1,
  taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:3',
  ...overrides,
});

describe('strategyShare', () => {
  it('gives base first, then splits by weight', () => {
    const strategy = [
      { capacityProvider: 'on-demand', base: 2, weight: 1 },
      { capacityProvider: 'spot', weight: 3 },
    ];
    expect(strategyShare(strategy, 'on-demand', 10)).toBe(4);
    expect(strategyShare(strategy, 'spot', 10)).toBe(6);
    expect(strategyShare(strategy, 'on-demand', 1)).toBe(1);
    expect(strategyShare(strategy, 'other', 10)).toBe(0);
  });

  it('shares add up to the tasks', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ base: fc.integer({ min: 0, max: 5 }), weight: fc.integer({ min: 0, max: 5 }) }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 0, max: 100 }),
        (items, tasks) => {
          const strategy = items.map((item, index) => ({
            capacityProvider: `cp-${index}`,
            ...item,
            base: index === 0 ? item.base : 0,
          }));
          if (strategy.every((item) => item.weight === 0) && tasks > (strategy[0]?.base ?? 0)) return;
          const total = strategy.reduce(
            (sum, item) => sum + strategyShare(strategy, item.capacityProvider, tasks),
            0,
          );
          expect(total).toBe(tasks);
        },
      ),
    );
  });
});

describe('serviceDemand', () => {
  it('counts desired - running - pending on the provider of its strategy', () => {
    const demand = serviceDemand(
      service({ capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1 }] }),
      'web-asg-cp',
      [],
      false,
    );
    expect(demand).toMatchObject({ service: 'api', missing: 5, distinctInstance: false, memberOf: [] });
  });

  it('uses the cluster default strategy when the service has neither strategy nor launch type', () => {
    expect(
      serviceDemand(service(), 'web-asg-cp', [{ capacityProvider: 'web-asg-cp', weight: 1 }], false)?.missing,
    ).toBe(5);
    expect(
      serviceDemand(service(), 'web-asg-cp', [{ capacityProvider: 'other', weight: 1 }], false),
    ).toBeUndefined();
  });

  it('takes launch type EC2 services only where told to', () => {
    expect(serviceDemand(service({ launchType: 'EC2' }), 'web-asg-cp', [], false)).toBeUndefined();
    expect(serviceDemand(service({ launchType: 'EC2' }), 'web-asg-cp', [], true)?.missing).toBe(5);
    expect(serviceDemand(service({ launchType: 'FARGATE' }), 'web-asg-cp', [], true)).toBeUndefined();
  });

  it("follows the primary deployment's task definition and counts", () => {
    const demand = serviceDemand(
      service({
        taskDefinition: 'api:3',
        deployments: [
          { status: 'PRIMARY', taskDefinition: 'api:4', desiredCount: 10, runningCount: 2, pendingCount: 0 },
          { status: 'ACTIVE', taskDefinition: 'api:3', desiredCount: 8, runningCount: 8, pendingCount: 0 },
        ],
      }),
      'web-asg-cp',
      [{ capacityProvider: 'web-asg-cp', weight: 1 }],
      false,
    );
    expect(demand).toMatchObject({ taskDefinition: 'api:4', missing: 8 });
  });

  it('reads placement constraints, and skips daemons and inactive services', () => {
    const constrained = serviceDemand(
      service({
        placementConstraints: [
          { type: 'distinctInstance' },
          { type: 'memberOf', expression: 'attribute:stack == blue' },
        ],
      }),
      'web-asg-cp',
      [{ capacityProvider: 'web-asg-cp', weight: 1 }],
      false,
    );
    expect(constrained).toMatchObject({ distinctInstance: true, memberOf: ['attribute:stack == blue'] });
    const defaults = [{ capacityProvider: 'web-asg-cp', weight: 1 }];
    expect(
      serviceDemand(service({ schedulingStrategy: 'DAEMON' }), 'web-asg-cp', defaults, false),
    ).toBeUndefined();
    expect(serviceDemand(service({ status: 'DRAINING' }), 'web-asg-cp', defaults, false)).toBeUndefined();
  });
});

describe('serviceDemand under maximumPercent (rolling deployments)', () => {
  const own = [{ capacityProvider: 'web-asg-cp', weight: 1 }];
  /** 6 desired; the old deployment still runs `old` tasks, the new one `running` + `pending`. */
  const deploying = (maximumPercent: number | undefined, old: number, running = 0, pending = 0) =>
    service({
      desiredCount: 6,
      runningCount: old + running,
      pendingCount: pending,
      capacityProviderStrategy: own,
      ...(maximumPercent === undefined ? {} : { deploymentConfiguration: { maximumPercent } }),
      deployments: [
        {
          status: 'PRIMARY',
          taskDefinition: 'api:4',
          desiredCount: 6,
          runningCount: running,
          pendingCount: pending,
        },
        { status: 'ACTIVE', taskDefinition: 'api:3', desiredCount: old, runningCount: old, pendingCount: 0 },
      ],
    });
  const missing = (input: ReturnType<typeof service>) =>
    serviceDemand(input, 'web-asg-cp', [], false)?.missing;

  it('maximumPercent 100 (replace in place): no room to buy; ECS stops old tasks first', () => {
    expect(missing(deploying(100, 6))).toBe(0);
    // Two old tasks stopped: ECS starts two new ones in their place.
    expect(missing(deploying(100, 4))).toBe(2);
  });

  it('maximumPercent 150: half the service at a time', () => {
    expect(missing(deploying(150, 6))).toBe(3);
    // 3 old + 2 running + 1 pending new = 6 of 9: room for 3, the new deployment misses 3.
    expect(missing(deploying(150, 3, 2, 1))).toBe(3);
    // 5 old + 2 new = 7 of 9: room for 2 of the 4 missing.
    expect(missing(deploying(150, 5, 2))).toBe(2);
  });

  it('default maximumPercent 200: the whole new deployment', () => {
    expect(missing(deploying(undefined, 6))).toBe(6);
    expect(serviceDemand(deploying(undefined, 6), 'web-asg-cp', [], false)?.room).toBe(6);
  });

  it('floors desired x maximumPercent / 100, as ECS does', () => {
    expect(
      roomUnderMaximumPercent(
        service({
          desiredCount: 3,
          runningCount: 3,
          pendingCount: 0,
          deploymentConfiguration: { maximumPercent: 150 },
        }),
        3,
      ),
    ).toBe(1);
    expect(
      roomUnderMaximumPercent(
        service({
          desiredCount: 7,
          runningCount: 7,
          pendingCount: 0,
          deploymentConfiguration: { maximumPercent: 110 },
        }),
        7,
      ),
    ).toBe(0);
  });

  it('outside a deployment the ceiling is far away: desired - running - pending as before', () => {
    expect(
      missing(service({ capacityProviderStrategy: own, deploymentConfiguration: { maximumPercent: 100 } })),
    ).toBe(5);
  });

  it('splits what ECS may start by the strategy, never less than that in total', () => {
    const strategy = [
      { capacityProvider: 'on-demand', base: 2, weight: 1 },
      { capacityProvider: 'spot', weight: 1 },
    ];
    // 10 desired at 150 %: old 10 running, so 5 new tasks start; base 2 then 1:1.
    const input = service({
      desiredCount: 10,
      runningCount: 10,
      pendingCount: 0,
      capacityProviderStrategy: strategy,
      deploymentConfiguration: { maximumPercent: 150 },
      deployments: [
        { status: 'PRIMARY', desiredCount: 10, runningCount: 0, pendingCount: 0 },
        { status: 'ACTIVE', desiredCount: 10, runningCount: 10, pendingCount: 0 },
      ],
    });
    const onDemand = serviceDemand(input, 'on-demand', [], false)?.missing ?? 0;
    const spot = serviceDemand(input, 'spot', [], false)?.missing ?? 0;
    expect(onDemand + spot).toBe(5);
    expect(onDemand).toBeGreaterThanOrEqual(2);
  });

  it('property: one provider gets min(primary missing, ceiling - all started), never negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 100, max: 200 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 10 }),
        (desired, maximumPercent, old, running, pending) => {
          const input = service({
            desiredCount: desired,
            runningCount: old + running,
            pendingCount: pending,
            capacityProviderStrategy: own,
            deploymentConfiguration: { maximumPercent },
            deployments: [
              { status: 'PRIMARY', desiredCount: desired, runningCount: running, pendingCount: pending },
              { status: 'ACTIVE', desiredCount: 0, runningCount: old, pendingCount: 0 },
            ],
          });
          const expected = Math.min(
            Math.max(0, desired - running - pending),
            Math.max(0, Math.floor((desired * maximumPercent) / 100) - old - running - pending),
          );
          expect(missing(input)).toBe(expected);
          // ECS never runs more than the ceiling: what is bought for fits under it.
          expect(old + running + pending + expected).toBeLessThanOrEqual(
            Math.max(old + running + pending, Math.floor((desired * maximumPercent) / 100)),
          );
        },
      ),
    );
  });
});

describe('serviceDemand: per-provider deficits from where the tasks run (capacityProviderName)', () => {
  const strategy = [
    { capacityProvider: 'on-demand', weight: 1 },
    { capacityProvider: 'spot', weight: 1 },
  ];

  it('a provider short of its share gets what it lacks, not its weight of the missing tasks', () => {
    // 4 started, all on spot (on-demand could not launch): 2 more go to on-demand, as ECS evens the split.
    const input = service({
      desiredCount: 6,
      runningCount: 4,
      pendingCount: 0,
      capacityProviderStrategy: strategy,
    });
    expect(serviceDemand(input, 'on-demand', [], false)?.missing).toBe(1);
    const known = { ...input, tasksByProvider: { spot: 4 } };
    expect(serviceDemand(known, 'on-demand', [], false)?.missing).toBe(2);
    expect(serviceDemand(known, 'spot', [], false)?.missing).toBe(0);
  });

  it('property: the providers together miss exactly what ECS may start, each never negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        (desired, onDemand, spot, base, weight) => {
          const input = {
            ...service({
              desiredCount: desired,
              runningCount: onDemand + spot,
              pendingCount: 0,
              capacityProviderStrategy: [
                { capacityProvider: 'on-demand', base, weight: 1 },
                { capacityProvider: 'spot', weight },
              ],
            }),
            tasksByProvider: { 'on-demand': onDemand, spot },
          };
          const a = serviceDemand(input, 'on-demand', [], false)?.missing ?? 0;
          const b = serviceDemand(input, 'spot', [], false)?.missing ?? 0;
          expect(a).toBeGreaterThanOrEqual(0);
          expect(b).toBeGreaterThanOrEqual(0);
          expect(a + b).toBe(
            Math.min(Math.max(0, desired - onDemand - spot), roomUnderMaximumPercent(input, desired)),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('combineMemberOf', () => {
  it('joins several expressions with and', () => {
    expect(combineMemberOf([])).toBeUndefined();
    expect(combineMemberOf(['a == 1', ' a == 1 '])).toBe('a == 1');
    expect(combineMemberOf(['attribute:stack == blue', 'attribute:ecs.os-type == linux'])).toBe(
      '(attribute:stack == blue) and (attribute:ecs.os-type == linux)',
    );
  });
});

describe('serviceDemands: blue/green (CODE_DEPLOY) and EXTERNAL services keep their counts in task sets', () => {
  const td = (name: string) => `arn:aws:ecs:us-east-1:123456789012:task-definition/${name}`;
  const blueGreen = (overrides: Record<string, unknown> = {}) =>
    service({
      desiredCount: 4,
      runningCount: 4,
      pendingCount: 0,
      deploymentController: { type: 'CODE_DEPLOY' },
      placementConstraints: [
        { type: 'distinctInstance' },
        { type: 'memberOf', expression: 'attribute:ecs.instance-type =~ m5.*' },
      ],
      taskSets: [
        {
          id: 'ecs-svc/blue',
          status: 'ACTIVE',
          taskDefinition: td('api:3'),
          computedDesiredCount: 4,
          runningCount: 4,
          pendingCount: 0,
        },
        {
          id: 'ecs-svc/green',
          status: 'PRIMARY',
          taskDefinition: td('api:4'),
          computedDesiredCount: 4,
          runningCount: 1,
          pendingCount: 1,
        },
      ],
      ...overrides,
    });
  const defaults = [{ capacityProvider: 'web-asg-cp', weight: 1 }];

  it('each task set misses computedDesiredCount - running - pending of its own task definition', () => {
    const demands = serviceDemands(blueGreen(), 'web-asg-cp', defaults, false);
    expect(demands.map((demand) => [demand.taskDefinition, demand.missing])).toEqual([
      [td('api:4'), 2],
      [td('api:3'), 0],
    ]);
    // Constraints come from the service.
    expect(demands[0]).toMatchObject({
      service: 'api',
      distinctInstance: true,
      memberOf: ['attribute:ecs.instance-type =~ m5.*'],
    });
  });

  it("a task set's own strategy wins, else the service's, else the cluster default", () => {
    const spotGreen = blueGreen({
      capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1 }],
      taskSets: [
        {
          status: 'PRIMARY',
          taskDefinition: td('api:4'),
          computedDesiredCount: 4,
          capacityProviderStrategy: [{ capacityProvider: 'spot', weight: 1 }],
        },
        { status: 'ACTIVE', taskDefinition: td('api:3'), computedDesiredCount: 4, runningCount: 1 },
      ],
    });
    expect(serviceDemands(spotGreen, 'spot', [], false).map((demand) => demand.missing)).toEqual([4]);
    expect(serviceDemands(spotGreen, 'web-asg-cp', [], false).map((demand) => demand.missing)).toEqual([3]);
    const inherits = blueGreen({
      taskSets: [{ status: 'PRIMARY', taskDefinition: td('api:4'), computedDesiredCount: 2 }],
    });
    expect(serviceDemands(inherits, 'web-asg-cp', defaults, false)[0]?.missing).toBe(2);
    expect(serviceDemands(inherits, 'web-asg-cp', [], false)).toEqual([]);
  });

  it('an EXTERNAL task set of launch type EC2 goes to the provider taking any instance', () => {
    const external = blueGreen({
      deploymentController: { type: 'EXTERNAL' },
      taskSets: [
        { status: 'PRIMARY', taskDefinition: td('api:4'), launchType: 'EC2', computedDesiredCount: 3 },
      ],
    });
    expect(serviceDemands(external, 'web-asg-cp', defaults, true)[0]?.missing).toBe(3);
    expect(serviceDemands(external, 'web-asg-cp', defaults, false)).toEqual([]);
  });

  it('without task sets it is serviceDemand', () => {
    const plain = service({ capacityProviderStrategy: defaults });
    expect(serviceDemands(plain, 'web-asg-cp', [], false)).toEqual([
      serviceDemand(plain, 'web-asg-cp', [], false),
    ]);
  });

  it('property: the task sets miss the sum of max(0, computedDesiredCount - running - pending)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            computedDesiredCount: fc.integer({ min: 0, max: 50 }),
            runningCount: fc.integer({ min: 0, max: 50 }),
            pendingCount: fc.integer({ min: 0, max: 5 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (sets) => {
          const input = blueGreen({
            taskSets: sets.map((set, index) => ({ ...set, taskDefinition: td(`api:${index + 1}`) })),
          });
          const total = serviceDemands(input, 'web-asg-cp', defaults, false).reduce(
            (sum, demand) => sum + demand.missing,
            0,
          );
          expect(total).toBe(
            sets.reduce(
              (sum, set) => sum + Math.max(0, set.computedDesiredCount - set.runningCount - set.pendingCount),
              0,
            ),
          );
        },
      ),
    );
  });
});
