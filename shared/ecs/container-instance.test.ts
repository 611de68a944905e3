import type { ContainerInstance } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import {
  acceptsTasks,
  availabilityZoneOf,
  instanceTypeOf,
  toInstanceView,
  toResources,
} from './container-instance';

// A DescribeContainerInstances entry for the sample universe's first instance.
const described: ContainerInstance = {
  containerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/web/0a1b2c3d4e5f60001',
  ec2InstanceId: 'i-0a1b2c3d4e5f60001',
  capacityProviderName: 'web-asg-cp',
  versionInfo: { agentVersion: '1.87.0', agentHash: 'abc', dockerVersion: 'DockerVersion: 25.0.3' },
  status: 'ACTIVE',
  agentConnected: true,
  runningTasksCount: 2,
  pendingTasksCount: 1,
  registeredAt: new Date('2026-11-20T10:00:00Z'),
  registeredResources: [
    { name: 'CPU', type: 'INTEGER', integerValue: 2048 },
    { name: 'MEMORY', type: 'INTEGER', integerValue: 7680 },
    { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2376', '2375', '51678', '51679'] },
    { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
  ],
  remainingResources: [
    { name: 'CPU', type: 'INTEGER', integerValue: 1024 },
    { name: 'MEMORY', type: 'INTEGER', integerValue: 5632 },
    { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2376', '2375', '51678', '51679', '8080'] },
    { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: ['53'] },
  ],
  attributes: [
    { name: 'ecs.instance-type', value: 'm5.large' },
    { name: 'ecs.availability-zone', value: 'us-east-1a' },
    { name: 'ecs.os-type', value: 'linux' },
    { name: 'ecs.ami-id', value: 'ami-0123456789abcdef0' },
    { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.44' },
    { name: 'team', value: 'payments', targetType: 'container-instance' },
  ],
};

describe('toInstanceView', () => {
  it('turns an SDK container instance into plain fields', () => {
    const view = toInstanceView(described, { taskGroups: ['service:api', 'service:log-router'] });
    expect(view).toEqual({
      arn: described.containerInstanceArn,
      ec2InstanceId: 'i-0a1b2c3d4e5f60001',
      status: 'ACTIVE',
      agentConnected: true,
      registered: {
        cpu: 2048,
        memoryMiB: 7680,
        gpus: 0,
        ports: { tcp: [22, 2375, 2376, 51678, 51679], udp: [] },
        enis: Number.POSITIVE_INFINITY,
      },
      remaining: {
        cpu: 1024,
        memoryMiB: 5632,
        gpus: 0,
        ports: { tcp: [22, 2375, 2376, 8080, 51678, 51679], udp: [53] },
        enis: Number.POSITIVE_INFINITY,
      },
      attributes: {
        'ecs.instance-type': 'm5.large',
        'ecs.availability-zone': 'us-east-1a',
        'ecs.os-type': 'linux',
        'ecs.ami-id': 'ami-0123456789abcdef0',
        'com.amazonaws.ecs.capability.docker-remote-api.1.44': undefined,
        team: 'payments',
      },
      runningTasksCount: 2,
      pendingTasksCount: 1,
      registeredAt: new Date('2026-11-20T10:00:00Z'),
      agentVersion: '1.87.0',
      capacityProviderName: 'web-asg-cp',
      taskGroups: ['service:api', 'service:log-router'],
    });
    expect(instanceTypeOf(view)).toBe('m5.large');
    expect(availabilityZoneOf(view)).toBe('us-east-1a');
    expect(acceptsTasks(view)).toBe(true);
  });

  it('counts GPUs by their ids and takes ENI capacity from the caller', () => {
    const view = toInstanceView(
      {
        registeredResources: [
          { name: 'GPU', type: 'STRINGSET', stringSetValue: ['GPU-1', 'GPU-2', 'GPU-3', 'GPU-4'] },
        ],
        remainingResources: [{ name: 'GPU', type: 'STRINGSET', stringSetValue: ['GPU-3'] }],
      },
      { taskEnis: { registered: 2, remaining: 1 } },
    );
    expect(view.registered).toMatchObject({ gpus: 4, enis: 2, cpu: 0, memoryMiB: 0 });
    expect(view.remaining).toMatchObject({ gpus: 1, enis: 1 });
  });

  it('reads long and double values and registeredAt as a string', () => {
    expect(toResources([{ name: 'MEMORY', type: 'LONG', longValue: 15_000 }]).memoryMiB).toBe(15_000);
    expect(toResources([{ name: 'CPU', type: 'DOUBLE', doubleValue: 4096 }]).cpu).toBe(4096);
    expect(toInstanceView({ registeredAt: '2026-11-20T10:00:00Z' }).registeredAt).toEqual(
      new Date('2026-11-20T10:00:00Z'),
    );
    expect(toInstanceView({ registeredAt: 'not a date' }).registeredAt).toBeUndefined();
  });

  it('does not place on draining, disconnected or unknown instances', () => {
    expect(acceptsTasks(toInstanceView({ ...described, status: 'DRAINING' }))).toBe(false);
    expect(acceptsTasks(toInstanceView({ ...described, agentConnected: false }))).toBe(false);
    const bare = toInstanceView({});
    expect(bare).toMatchObject({
      status: 'UNKNOWN',
      agentConnected: false,
      runningTasksCount: 0,
      taskGroups: undefined,
    });
    expect(acceptsTasks(bare)).toBe(false);
  });
});
