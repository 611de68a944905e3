import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DescribeContainerInstancesCommand,
  ECSClient,
  ListContainerInstancesCommand,
} from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { busyPerSweep, clusterSweep, sweepKey } from './sweep';

const ecsMock = mockClient(ECSClient);
const ddbMock = mockClient(DynamoDBDocumentClient);
const NOW = Date.parse('2025-01-15T03:00:00Z');
const arn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:container-instance/web/${id}`;

const deps = (sleeps: number[] = []) => ({
  table: 'state',
  cluster: 'web',
  now: () => NOW,
  maxAgeMs: 10_000,
  owner: 'request-1',
  sleep: async (ms: number) => {
    sleeps.push(ms);
  },
});

beforeEach(() => {
  ecsMock.reset();
  ddbMock.reset();
});

describe('clusterSweep', () => {
  it('uses a look younger than the interval, with no ECS call', async () => {
    ddbMock
      .on(GetCommand)
      .resolves({ Item: { ...sweepKey('web'), at: NOW - 4_000, busy: { [arn('a')]: 3 } } });
    const sweep = await clusterSweep(deps());
    expect(sweep?.busy.get(arn('a'))).toBe(3);
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('when stale, claims the refresh, reads the DRAINING instances 100 a call and stores their counts', async () => {
    ddbMock.on(GetCommand).resolves({ Item: { ...sweepKey('web'), at: NOW - 60_000, busy: {} } });
    ddbMock.on(UpdateCommand).resolves({});
    ddbMock.on(PutCommand).resolves({});
    ecsMock.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [arn('a'), arn('b')] });
    ecsMock.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [
        { containerInstanceArn: arn('a'), status: 'DRAINING', runningTasksCount: 2, pendingTasksCount: 1 },
        { containerInstanceArn: arn('b'), status: 'DRAINING', runningTasksCount: 0, pendingTasksCount: 0 },
      ],
    });
    const sweep = await clusterSweep(deps());
    expect(ecsMock).toHaveReceivedCommandWith(ListContainerInstancesCommand, {
      cluster: 'web',
      status: 'DRAINING',
    });
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: 'attribute_not_exists(claimedUntil) OR claimedUntil < :now',
    });
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ at: NOW, busy: { [arn('a')]: 3, [arn('b')]: 0 } }),
    });
    expect([...(sweep?.busy ?? [])]).toEqual([
      [arn('a'), 3],
      [arn('b'), 0],
    ]);
  });

  it('while another invocation sweeps, waits a moment and uses its look', async () => {
    ddbMock
      .on(GetCommand)
      .resolvesOnce({ Item: { ...sweepKey('web'), at: NOW - 60_000, busy: {} } })
      .resolves({ Item: { ...sweepKey('web'), at: NOW, busy: { [arn('a')]: 1 } } });
    ddbMock
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    const sleeps: number[] = [];
    const sweep = await clusterSweep(deps(sleeps));
    expect(sleeps).toEqual([1_000]);
    expect(sweep?.busy.get(arn('a'))).toBe(1);
    expect(ecsMock.calls()).toHaveLength(0);
  });
});

describe('busyPerSweep', () => {
  const sweep = { at: NOW, busy: new Map([[arn('a'), 2]]) };
  it('busy only with more tasks wanted running than the daemons the last look left', () => {
    expect(busyPerSweep(sweep, arn('a'), 1)).toBe(true);
    expect(busyPerSweep(sweep, arn('a'), 2)).toBe(false);
  });
  it('an instance the sweep did not see (no longer DRAINING, a failure) is looked at', () => {
    expect(busyPerSweep(sweep, arn('b'), 0)).toBe(false);
    expect(busyPerSweep(undefined, arn('a'), 0)).toBe(false);
  });
});
