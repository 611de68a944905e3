// The handler with ECS, Auto Scaling and the state table answered by aws-sdk-client-mock: every sample
// event of events/scale-capacity goes through it (contract test), plus the refusals and dry run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  ClusterNotFoundException,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListServicesCommand,
  ListTasksCommand,
  type Service,
  type TaskDefinition,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CapacitySummary } from './pass';

const ecsMock = mockClient(ECSClient);
const asgMock = mockClient(AutoScalingClient);
const ddbMock = mockClient(DynamoDBDocumentClient);

const ENV = {
  CAPACITY_PROVIDERS: 'web-asg-cp',
  DEFAULT_CLUSTER: 'web',
  STATE_TABLE: 'ecs-autopilot-state',
  DRY_RUN: 'false',
  MAX_SCALE_IN: '1',
};
const NOW = Date.parse('2025-01-15T03:05:00Z');
const INSTANCES = ['i-0a1b2c3d4e5f60001', 'i-0a1b2c3d4e5f60002', 'i-0a1b2c3d4e5f60003'];
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const arnOf = (index: number) => `arn:aws:ecs:us-east-1:123456789012:container-instance/web/000${index + 1}`;

const definitions: Record<string, TaskDefinition> = {
  'api:3': {
    family: 'api',
    revision: 3,
    networkMode: 'bridge',
    containerDefinitions: [
      {
        name: 'api',
        cpu: 512,
        memoryReservation: 1024,
        portMappings: [{ containerPort: 8080, hostPort: 0 }],
      },
    ],
  },
  'worker:5': {
    family: 'worker',
    revision: 5,
    networkMode: 'awsvpc',
    cpu: '1024',
    memory: '2048',
    containerDefinitions: [{ name: 'worker' }],
  },
  'log-router:2': {
    family: 'log-router',
    revision: 2,
    networkMode: 'bridge',
    cpu: '128',
    memory: '256',
    containerDefinitions: [{ name: 'log-router' }],
  },
  'report:7': {
    family: 'report',
    revision: 7,
    networkMode: 'bridge',
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'report' }],
  },
};
const tdArn = (name: string) => `arn:aws:ecs:us-east-1:123456789012:task-definition/${name}`;

interface World {
  apiDesired: number;
  /** CPU units free on each instance. */
  free: number[];
  idle: boolean[];
  managedScaling: 'ENABLED' | 'DISABLED';
  requests: Record<string, unknown>[];
}

function mockWorld(world: World) {
  ecsMock.reset();
  asgMock.reset();
  ddbMock.reset();
  ecsMock.on(DescribeCapacityProvidersCommand).resolves({
    capacityProviders: [
      {
        name: 'web-asg-cp',
        status: 'ACTIVE',
        autoScalingGroupProvider: {
          autoScalingGroupArn:
            'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1f2e3d4c:autoScalingGroupName/web-asg',
          managedScaling: { status: world.managedScaling },
        },
      },
    ],
  });
  ecsMock.on(DescribeClustersCommand).resolves({
    clusters: [
      {
        clusterName: 'web',
        defaultCapacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1 }],
      },
    ],
  });
  ecsMock
    .on(ListContainerInstancesCommand)
    .resolves({ containerInstanceArns: INSTANCES.map((_, index) => arnOf(index)) });
  ecsMock.on(DescribeContainerInstancesCommand).resolves({
    containerInstances: INSTANCES.map((id, index) => ({
      containerInstanceArn: arnOf(index),
      ec2InstanceId: id,
      status: 'ACTIVE',
      agentConnected: true,
      runningTasksCount: world.idle[index] ? 0 : 3,
      pendingTasksCount: 0,
      registeredAt: new Date('2025-01-15T01:00:00Z'),
      registeredResources: [
        { name: 'CPU', type: 'INTEGER', integerValue: 2048 },
        { name: 'MEMORY', type: 'INTEGER', integerValue: 7680 },
      ],
      remainingResources: [
        { name: 'CPU', type: 'INTEGER', integerValue: world.free[index] ?? 0 },
        { name: 'MEMORY', type: 'INTEGER', integerValue: 4096 },
      ],
      attributes: [
        { name: 'ecs.instance-type', value: 'm5.large' },
        { name: 'ecs.availability-zone', value: ZONES[index] },
      ],
    })),
  });
  const services: Service[] = [
    {
      serviceName: 'api',
      status: 'ACTIVE',
      schedulingStrategy: 'REPLICA',
      desiredCount: world.apiDesired,
      runningCount: 4,
      pendingCount: 0,
      taskDefinition: tdArn('api:3'),
      capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1 }],
    },
    {
      serviceName: 'worker',
      status: 'ACTIVE',
      schedulingStrategy: 'REPLICA',
      desiredCount: 2,
      runningCount: 2,
      pendingCount: 0,
      taskDefinition: tdArn('worker:5'),
      capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1 }],
    },
    {
      serviceName: 'log-router',
      status: 'ACTIVE',
      schedulingStrategy: 'DAEMON',
      desiredCount: 3,
      runningCount: 3,
      taskDefinition: tdArn('log-router:2'),
    },
  ];
  ecsMock.on(ListServicesCommand).resolves({
    serviceArns: services.map(
      (service) => `arn:aws:ecs:us-east-1:123456789012:service/web/${service.serviceName}`,
    ),
  });
  ecsMock.on(DescribeServicesCommand).resolves({ services });
  // Idle instances run nothing (their tasks are listed again just before removal).
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
  ecsMock.on(UpdateContainerInstancesStateCommand).resolves({ containerInstances: [], failures: [] });
  ecsMock.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
    const name = input.taskDefinition.slice(input.taskDefinition.lastIndexOf('/') + 1);
    return { taskDefinition: { ...definitions[name], taskDefinitionArn: tdArn(name) } };
  });
  ecsMock.on(DescribeTasksCommand).resolves({
    tasks: [
      {
        taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/web/3f2e1d0c9b8a47f6a5e4d3c2b1a09f8e',
        lastStatus: 'PROVISIONING',
        capacityProviderName: 'web-asg-cp',
        group: 'family:report',
        taskDefinitionArn: tdArn('report:7'),
      },
    ],
  });
  asgMock.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [] });
  asgMock.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'web-asg',
        MinSize: 0,
        MaxSize: 10,
        DesiredCapacity: 3,
        DefaultCooldown: 300,
        AvailabilityZones: ZONES,
        HealthCheckType: 'EC2',
        CreatedTime: new Date('2025-01-01T00:00:00Z'),
        Instances: INSTANCES.map((id, index) => ({
          InstanceId: id,
          InstanceType: 'm5.large',
          AvailabilityZone: ZONES[index],
          LifecycleState: 'InService',
          HealthStatus: 'Healthy',
          ProtectedFromScaleIn: !world.idle[index],
        })),
      },
    ],
  });
  asgMock.on(DescribeScalingActivitiesCommand).resolves({ Activities: [] });
  asgMock.on(SetDesiredCapacityCommand).resolves({});
  asgMock.on(SetInstanceProtectionCommand).resolves({});
  asgMock.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});
  ddbMock.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => {
    const pk = input.ExpressionAttributeValues[':pk'];
    if (pk === 'capacity#web') return { Items: world.requests };
    if (pk === 'capacity#web#idle') {
      return {
        Items: INSTANCES.flatMap((id, index) =>
          world.idle[index]
            ? [{ pk, sk: `web-asg-cp#${id}`, since: '2025-01-15T02:30:00.000Z', ttl: NOW / 1000 + 3600 }]
            : [],
        ),
      };
    }
    return { Items: [] };
  });
  ddbMock.on(PutCommand).resolves({});
  ddbMock.on(DeleteCommand).resolves({});
}

const EVENTS = join(import.meta.dirname, '../../events/scale-capacity');
const sample = (name: string): unknown => JSON.parse(readFileSync(join(EVENTS, `${name}.json`), 'utf8'));
const context = { awsRequestId: 'request', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

let handler: (event: unknown, context: Context) => Promise<unknown>;
const invoke = async (event: unknown) => (await handler(event, context)) as CapacitySummary;
const busyWorld = (): World => ({
  apiDesired: 4,
  free: [384, 896, 896],
  idle: [false, false, false],
  managedScaling: 'DISABLED',
  requests: [],
});

beforeAll(() => {
  Object.assign(process.env, ENV);
});

beforeEach(async () => {
  const { vi } = await import('vitest');
  // A fresh module per test: the handler remembers its last pass (see 'event storms').
  vi.resetModules();
  handler = (await import('./index')).handler;
  mockWorld(busyWorld());
  (await import('../../shared/aws/ecs')).clearTaskDefinitionCache();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

describe('sample events', () => {
  it('has the five kinds of event', () => {
    expect(
      readdirSync(EVENTS)
        .filter((name) => name.endsWith('.json'))
        .sort(),
    ).toEqual([
      'capacity-request.json',
      'malformed.json',
      'placement-failure.json',
      'schedule-tick.json',
      'task-provisioning.json',
    ]);
  });

  it('schedule tick: a full pass; nothing pending, nothing to change', async () => {
    const summary = await invoke(sample('schedule-tick'));
    expect(summary).toMatchObject({
      status: 'done',
      providers: [{ capacityProvider: 'web-asg-cp', status: 'applied', scaleOut: 0 }],
    });
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('placement failure: the missing api tasks get exactly the instances they need', async () => {
    mockWorld({ ...busyWorld(), apiDesired: 4 + 3 + 7 });
    const summary = await invoke(sample('placement-failure'));
    // 2 fit on the registered instances (384, 896, 896 CPU free); 8 more need 3 new m5.large (3 each).
    expect(summary.providers[0]).toMatchObject({ status: 'applied', scaleOut: 3, desiredCapacity: 6 });
    expect(asgMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, {
      AutoScalingGroupName: 'web-asg',
      DesiredCapacity: 6,
      HonorCooldown: false,
    });
    // ECS said it could not place them, yet the plan uses room on registered instances: noted, not yet believed.
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        pk: 'capacity#web#stall',
        sk: 'web-asg-cp#service:api',
        confirmed: false,
      }),
    });
  });

  it('placement failure again after ECS retried: the service is planned on new instances only', async () => {
    mockWorld({ ...busyWorld(), apiDesired: 4 + 3 + 7 });
    const stall = {
      pk: 'capacity#web#stall',
      sk: 'web-asg-cp#service:api',
      since: '2025-01-15T03:03:30.000Z',
      reason: 'RESOURCE:ENI',
      confirmed: false,
      ttl: NOW / 1000 + 600,
    };
    ddbMock
      .on(QueryCommand, {
        ExpressionAttributeValues: { ':pk': 'capacity#web#stall', ':prefix': 'web-asg-cp#' },
      })
      .resolves({ Items: [stall] });
    const summary = await invoke(sample('placement-failure'));
    // All 10 on new instances now: 4 of them.
    expect(summary.providers[0]).toMatchObject({ scaleOut: 4, desiredCapacity: 7 });
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ sk: 'web-asg-cp#service:api', confirmed: true }),
    });
  });

  it('task PROVISIONING: the waiting task is described and placed on room that exists', async () => {
    const summary = await invoke(sample('task-provisioning'));
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTasksCommand, { cluster: 'web' });
    expect(summary.providers[0]).toMatchObject({ status: 'applied', scaleOut: 0 });
    expect(summary.providers[0]?.reasons?.[0]).toMatch(/^1 pending task\(s\): 1 fit on registered instances/);
  });

  it('event storms: a service task PROVISIONING event that a later pass already saw is answered without reading the cluster', async () => {
    const { vi } = await import('vitest');
    const standalone = sample('task-provisioning') as { time: string; detail: Record<string, unknown> };
    // Every pass counts a service's missing tasks in its deficit; standalone tasks see below.
    const provisioning = { ...standalone, detail: { ...standalone.detail, group: 'service:api' } };
    const at = Date.parse(provisioning.time);
    vi.setSystemTime(at + 10_000);
    expect((await invoke(sample('schedule-tick'))).status).toBe('done');
    ecsMock.resetHistory();
    const summary = await invoke(provisioning);
    expect(summary).toMatchObject({ status: 'ignored', providers: [] });
    expect(summary.reason).toMatch(/already planned/);
    expect(ecsMock.calls()).toHaveLength(0);
    // A standalone task is planned only by its own event's pass (ticks do not look for it): never skipped.
    expect((await invoke(standalone)).status).toBe('done');
    // A placement failure still gets its pass: stall detection needs it.
    expect((await invoke(sample('placement-failure'))).status).toBe('done');
    // A PROVISIONING event newer than the last pass gets one too.
    vi.setSystemTime(at + 60_000);
    expect((await invoke({ ...provisioning, time: new Date(at + 58_000).toISOString() })).status).toBe(
      'done',
    );
  });

  it('capacity request: the request in the state table is planned', async () => {
    mockWorld({
      ...busyWorld(),
      free: [0, 0, 0],
      requests: [
        {
          pk: 'capacity#web',
          sk: 'web-asg-cp#nightly-report#2025-01-15T03:00:00Z',
          capacityProvider: 'web-asg-cp',
          jobName: 'nightly-report',
          due: '2025-01-15T03:00:00Z',
          cpu: 256,
          memoryMiB: 512,
          gpus: 0,
          count: 1,
          taskDefinition: 'report:7',
          ttl: NOW / 1000 + 600,
        },
      ],
    });
    const summary = await invoke(sample('capacity-request'));
    expect(summary.providers[0]).toMatchObject({ scaleOut: 1, desiredCapacity: 4 });
  });

  it('malformed: a structured rejection naming the missing field, and no AWS call', async () => {
    const result = await handler(sample('malformed'), context);
    expect(result).toMatchObject({
      status: 'rejected',
      error: { name: 'BadEventError', issues: [{ path: 'detail.clusterArn' }] },
    });
    expect(ecsMock.calls()).toHaveLength(0);
    expect(asgMock.calls()).toHaveLength(0);
  });
});

describe('handler', () => {
  it('removes one idle instance per pass (MAX_SCALE_IN=1) and keeps busy ones protected', async () => {
    mockWorld({ ...busyWorld(), free: [384, 2048, 2048], idle: [false, true, true] });
    const summary = await invoke(sample('schedule-tick'));
    expect(summary.providers[0]?.removed).toHaveLength(1);
    expect(asgMock).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 1);
    expect(asgMock).toHaveReceivedCommandWith(TerminateInstanceInAutoScalingGroupCommand, {
      ShouldDecrementDesiredCapacity: true,
    });
    expect(ddbMock).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: 'capacity#web#idle', sk: `web-asg-cp#${summary.providers[0]?.removed?.[0]}` },
    });
  });

  it('refuses a capacity provider with managed scaling ENABLED and changes nothing', async () => {
    mockWorld({ ...busyWorld(), managedScaling: 'ENABLED', apiDesired: 20 });
    const summary = await invoke(sample('schedule-tick'));
    expect(summary.providers[0]).toMatchObject({ status: 'refused' });
    expect(summary.providers[0]?.error).toMatch(/managed scaling ENABLED/);
    expect(asgMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('fails the invocation (so it is retried) when an AWS error is not a refusal', async () => {
    ecsMock
      .on(DescribeClustersCommand)
      .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));
    await expect(invoke(sample('schedule-tick'))).rejects.toThrow(
      /web\/web-asg-cp: ecs:DescribeClusters on web failed: ClusterNotFoundException/,
    );
  });

  it('ignores events for clusters it does not manage', async () => {
    const event = sample('placement-failure') as { detail: Record<string, unknown> };
    const other = {
      ...event,
      detail: { ...event.detail, clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/batch' },
    };
    expect(await invoke(other)).toMatchObject({
      status: 'ignored',
      reason: 'no managed capacity provider for cluster batch',
    });
    expect(ecsMock.calls()).toHaveLength(0);
  });
});
