// Observe fills the snapshot fields the planner acts on (mixed instances, health, task scale-in
// protection, where a service's tasks run, unread daemons): left empty, those planner rules never
// apply in production.
import type { Task } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../../shared/capacity/snapshot';
import {
  apiService,
  ciArn,
  logRouter,
  mockWorld,
  NOW,
  taskArn,
  tdArn,
  type World,
  ZONES,
} from '../../test/support/capacity/mock-world';
import { loadScaleCapacityConfig, type ScaleCapacityConfig } from './config';
import { observe } from './observe';

const run = (settings: Record<string, unknown> = {}, instanceTypes?: ScaleCapacityConfig['instanceTypes']) =>
  observe({
    ...(instanceTypes ? { instanceTypes } : {}),
    cluster: 'web',
    capacityProvider: 'web-asg-cp',
    table: 'ecs-autopilot-state',
    settings: settingsSchema.parse(settings),
    now: NOW,
    anyInstance: false,
  });

const task = (
  id: string,
  instance: string,
  group: string,
  definition: string,
  extra: Partial<Task> = {},
): Task => ({
  taskArn: taskArn(id),
  containerInstanceArn: ciArn(instance),
  group,
  taskDefinitionArn: tdArn(definition),
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  ...extra,
});

const busy = (id: string, zone: string, tasks: Task[] = []) => ({
  id,
  zone,
  cpuFree: 2048 - 128 - 512,
  memFree: 7680 - 256 - 1024,
  running: 2,
  protected: true,
  tasks,
});

describe('observe: mixed instances policy', () => {
  const mixed = (distribution: Record<string, unknown> | undefined): World => ({
    instances: [busy('i-01', 'us-east-1a')],
    services: [apiService(1, 1), logRouter],
    group: {
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateName: 'web', Version: '$Latest' },
          Overrides: [{ InstanceType: 'm5.xlarge' }, { InstanceType: 'm5.large' }],
        },
        ...(distribution ? { InstancesDistribution: distribution } : {}),
      },
    },
  });

  it("reads the group's InstancesDistribution, overrides in their order", async () => {
    mockWorld(
      mixed({
        OnDemandAllocationStrategy: 'lowest-price',
        SpotAllocationStrategy: 'price-capacity-optimized',
        OnDemandBaseCapacity: 2,
        OnDemandPercentageAboveBaseCapacity: 25,
      }),
    );
    const { snapshot } = await run();
    expect(snapshot.group.instanceTypes).toEqual(['m5.xlarge', 'm5.large']);
    expect(snapshot.group.mixedInstances).toEqual({
      onDemandAllocationStrategy: 'lowest-price',
      spotAllocationStrategy: 'price-capacity-optimized',
      onDemandBaseCapacity: 2,
      onDemandPercentageAboveBaseCapacity: 25,
    });
  });

  it("with Auto Scaling's defaults for what the distribution leaves out", async () => {
    mockWorld(mixed(undefined));
    const { snapshot } = await run();
    expect(snapshot.group.mixedInstances).toEqual({
      onDemandAllocationStrategy: 'prioritized',
      spotAllocationStrategy: 'lowest-price',
      onDemandBaseCapacity: 0,
      onDemandPercentageAboveBaseCapacity: 100,
    });
  });

  it('takes the prices INSTANCE_TYPES gives (the only source offline) for the lowest-price strategies', async () => {
    mockWorld(mixed({ OnDemandAllocationStrategy: 'lowest-price' }));
    const { instanceTypes } = loadScaleCapacityConfig({
      CAPACITY_PROVIDERS: 'web-asg-cp',
      DEFAULT_CLUSTER: 'web',
      STATE_TABLE: 'ecs-autopilot-state',
      INSTANCE_TYPES:
        '{"m5.xlarge":{"cpu":4096,"memoryMiB":15576,"pricePerHour":0.192},"m5.large":{"cpu":2048,"memoryMiB":7680,"pricePerHour":0.096}}',
    });
    const { snapshot } = await run({}, instanceTypes);
    expect(snapshot.instanceTypes['m5.xlarge']?.pricePerHour).toBe(0.192);
    expect(snapshot.instanceTypes['m5.large']?.pricePerHour).toBe(0.096);
  });

  it('none without a policy', async () => {
    mockWorld({ instances: [busy('i-01', 'us-east-1a')], services: [apiService(1, 1), logRouter] });
    expect((await run()).snapshot.group.mixedInstances).toBeUndefined();
  });
});

describe('observe: health and task scale-in protection', () => {
  it("gives each instance Auto Scaling's HealthStatus, its ECS status kept", async () => {
    mockWorld({
      instances: [busy('i-01', 'us-east-1a'), { ...busy('i-02', 'us-east-1b'), health: 'Unhealthy' }],
      services: [apiService(2, 2), logRouter],
    });
    const { snapshot } = await run();
    expect(snapshot.instances.map(({ id, status, healthStatus }) => ({ id, status, healthStatus }))).toEqual([
      { id: 'i-01', status: 'ACTIVE', healthStatus: 'Healthy' },
      { id: 'i-02', status: 'ACTIVE', healthStatus: 'Unhealthy' },
    ]);
  });

  it('marks the protected tasks of consolidation candidates (GetTaskProtection), with their expiry', async () => {
    const until = new Date(NOW + 3_600_000);
    mockWorld({
      instances: ['i-01', 'i-02'].map((id, index) =>
        busy(id, ZONES[index] as string, [
          task(`api${index}`, id, 'service:api', 'api:3'),
          task(`lr${index}`, id, 'service:log-router', 'log-router:2'),
        ]),
      ),
      services: [apiService(2, 2), logRouter],
      taskProtection: { [taskArn('api0')]: until },
    });
    const { snapshot } = await run({ consolidation: true });
    const [first, second] = snapshot.instances;
    expect(first?.movableTasks).toEqual([
      expect.objectContaining({ group: 'service:api', protected: true, protectedUntil: until.toISOString() }),
    ]);
    expect(first?.protectedTasks).toBe(1);
    expect(second?.movableTasks?.[0]?.protected).toBeUndefined();
    expect(second?.protectedTasks).toBe(0);
  });
});

describe('observe: where a service spread over two providers runs', () => {
  it("counts the primary deployment's tasks per capacityProviderName, so the deficit goes where they are short", async () => {
    // 4 wanted, 2 started, both on the other provider: with weights 1:1 this provider would get 1;
    // where the tasks are says it lacks 2.
    const spread = apiService(4, 2, {
      capacityProviderStrategy: [
        { capacityProvider: 'web-asg-cp', weight: 1 },
        { capacityProvider: 'spot-cp', weight: 1 },
      ],
      deployments: [
        {
          id: 'ecs-svc/1',
          status: 'PRIMARY',
          taskDefinition: tdArn('api:3'),
          desiredCount: 4,
          runningCount: 2,
        },
      ],
    });
    mockWorld({
      instances: [busy('i-01', 'us-east-1a')],
      services: [spread, logRouter],
      extraTasks: [
        task('api-a', 'i-09', 'service:api', 'api:3', {
          capacityProviderName: 'spot-cp',
          startedBy: 'ecs-svc/1',
        }),
        task('api-b', 'i-09', 'service:api', 'api:3', {
          capacityProviderName: 'spot-cp',
          startedBy: 'ecs-svc/1',
        }),
        // An older deployment's task: not in the primary's split.
        task('api-old', 'i-01', 'service:api', 'api:2', {
          capacityProviderName: 'web-asg-cp',
          startedBy: 'ecs-svc/0',
        }),
      ],
    });
    const { snapshot } = await run();
    expect(snapshot.demand).toEqual([expect.objectContaining({ source: 'service:api', count: 2 })]);
  });
});

describe('observe: a daemon whose task definition cannot be read', () => {
  it('is named in unreadDaemons (its room measured on registered instances), not silently left out', async () => {
    mockWorld({
      instances: [busy('i-01', 'us-east-1a')],
      services: [apiService(1, 1), { ...logRouter, taskDefinition: tdArn('log-router:9') }],
    });
    const { snapshot, notes } = await run();
    expect(snapshot.unreadDaemons).toEqual(['log-router']);
    expect(notes.join('\n')).toMatch(/log-router/);
  });
});
