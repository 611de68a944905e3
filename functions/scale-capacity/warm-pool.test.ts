import { AutoScalingClient, DescribeWarmPoolCommand, type Instance } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type CapacitySnapshot, parseSnapshot } from '../../shared/capacity/snapshot';
import { observeWarmPool, warmPoolOf } from './warm-pool';

const autoScaling = mockClient(AutoScalingClient);

const snapshot = (): CapacitySnapshot =>
  parseSnapshot({
    cluster: 'web',
    capacityProvider: 'web-asg-cp',
    group: { name: 'web-asg', min: 0, max: 10, desired: 0, instanceTypes: ['m5.large'] },
    instanceTypes: { 'm5.large': { cpu: 2048, memoryMiB: 7680 } },
  });

beforeEach(() => autoScaling.reset());

const warmed = (id: string): Instance => ({
  InstanceId: id,
  AvailabilityZone: 'us-east-1a',
  LifecycleState: 'Warmed:Stopped',
  HealthStatus: 'Healthy',
  ProtectedFromScaleIn: false,
});

describe('warm pool observed', () => {
  it('counts stopped, running and hibernated instances as ready, pending ones as warming', () => {
    expect(
      warmPoolOf(
        [
          { LifecycleState: 'Warmed:Stopped', HealthStatus: 'Healthy' },
          { LifecycleState: 'Warmed:Running', HealthStatus: 'Healthy' },
          { LifecycleState: 'Warmed:Hibernated', HealthStatus: 'Healthy' },
          { LifecycleState: 'Warmed:Stopped', HealthStatus: 'Unhealthy' },
          { LifecycleState: 'Warmed:Pending:Wait', HealthStatus: 'Healthy' },
          { LifecycleState: 'Warmed:Terminating', HealthStatus: 'Healthy' },
        ],
        'Stopped',
        2,
        undefined,
      ),
    ).toEqual({ ready: 3, warming: 1, poolState: 'Stopped', minSize: 2 });
  });

  it('reads the pool, every page, only for a group that has one', async () => {
    autoScaling
      .on(DescribeWarmPoolCommand, { NextToken: undefined })
      .resolves({
        WarmPoolConfiguration: { PoolState: 'Stopped', MinSize: 2, Status: undefined },
        Instances: [warmed('i-1')],
        NextToken: 'next',
      })
      .on(DescribeWarmPoolCommand, { NextToken: 'next' })
      .resolves({
        Instances: [warmed('i-2')],
      });
    const without = snapshot();
    expect(await observeWarmPool(without, { groupName: 'web-asg', hasWarmPool: false })).toEqual([]);
    expect(autoScaling.commandCalls(DescribeWarmPoolCommand)).toHaveLength(0);
    const pooled = snapshot();
    expect(await observeWarmPool(pooled, { groupName: 'web-asg', hasWarmPool: true })).toEqual([]);
    expect(pooled.group.warmPool).toEqual({ ready: 2, warming: 0, poolState: 'Stopped', minSize: 2 });
  });

  it('plans cold boots when the pool cannot be read, with a note', async () => {
    autoScaling
      .on(DescribeWarmPoolCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const pooled = snapshot();
    const notes = await observeWarmPool(pooled, { groupName: 'web-asg', hasWarmPool: true });
    expect(notes.join()).toContain('warm pool not read');
    expect(pooled.group.warmPool).toBeUndefined();
  });
});
