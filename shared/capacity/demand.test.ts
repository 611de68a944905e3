import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { combineMemberOf, serviceDemand, strategyShare } from './demand';

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

describe('combineMemberOf', () => {
  it('joins several expressions with and', () => {
    expect(combineMemberOf([])).toBeUndefined();
    expect(combineMemberOf(['a == 1', ' a == 1 '])).toBe('a == 1');
    expect(combineMemberOf(['attribute:stack == blue', 'attribute:ecs.os-type == linux'])).toBe(
      '(attribute:stack == blue) and (attribute:ecs.os-type == linux)',
    );
  });
});
