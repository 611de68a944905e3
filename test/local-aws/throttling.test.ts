import { DescribeClustersCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ECS_API_BUCKETS, ecsApiBucket } from '../../shared/ecs/api-buckets';
import { localClients } from './clients';
import { type LocalAws, SAMPLE, startLocalAws } from './index';
import { EcsThrottling } from './throttling';

describe('ECS API buckets', () => {
  it('puts every operation in exactly one bucket, with refill below burst', () => {
    const operations = ECS_API_BUCKETS.flatMap((bucket) => bucket.operations);
    expect(new Set(operations).size).toBe(operations.length);
    for (const bucket of ECS_API_BUCKETS) expect(bucket.sustained).toBeLessThan(bucket.burst);
    expect(ecsApiBucket('ListTasks')).toBe(ecsApiBucket('DescribeContainerInstances'));
    expect(ecsApiBucket('ListTasks')?.sustained).toBe(20);
  });
});

describe('EcsThrottling', () => {
  it('lets a burst through, then refills at the sustained rate', () => {
    let now = 0;
    const throttling = new EcsThrottling(() => now);
    throttling.enable();
    const burst = Array.from({ length: 120 }, () => throttling.take('DescribeTasks'));
    expect(burst.filter(Boolean)).toHaveLength(100);
    now += 2_000; // 2 s at 20 a second
    expect(Array.from({ length: 50 }, () => throttling.take('ListTasks')).filter(Boolean)).toHaveLength(40);
    expect(throttling.take('DescribeServices')).toBe(true); // another bucket
    expect(throttling.counts()).toContainEqual({
      bucket: 'Cluster resource read actions',
      taken: 140,
      throttled: 30,
    });
  });

  it('leaves us only a share of each bucket when the account needs the rest', () => {
    const throttling = new EcsThrottling(() => 0);
    throttling.enable({ share: 0.5 });
    expect(Array.from({ length: 100 }, () => throttling.take('DescribeTasks')).filter(Boolean)).toHaveLength(
      50,
    );
  });

  it('throttles nothing while off', () => {
    const throttling = new EcsThrottling(() => 0);
    expect(Array.from({ length: 500 }, () => throttling.take('DescribeTasks')).every(Boolean)).toBe(true);
  });
});

describe('the local endpoint with throttling on', () => {
  let aws: LocalAws;
  beforeAll(async () => {
    aws = await startLocalAws({ seed: 'sample' });
  });
  afterAll(() => aws.close());
  beforeEach(() => aws.reset('sample'));

  it('answers ThrottlingException, under the name the SDK gives it, once a bucket is empty', async () => {
    const { ecs } = localClients(aws.endpoint);
    aws.throttling.enable({ share: 0.1 }); // 10 tokens of ListTasks' bucket
    const answers = await Promise.allSettled(
      Array.from({ length: 15 }, () => ecs.send(new ListTasksCommand({ cluster: SAMPLE.cluster }))),
    );
    const rejected = answers.filter((answer) => answer.status === 'rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(5);
    for (const answer of rejected) {
      expect(answer.reason).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
    }
    // Another bucket is untouched, and simulated time refills the first.
    await expect(
      ecs.send(new DescribeClustersCommand({ clusters: [SAMPLE.cluster] })),
    ).resolves.toBeDefined();
    aws.world.advance(10_000);
    await expect(ecs.send(new ListTasksCommand({ cluster: SAMPLE.cluster }))).resolves.toBeDefined();
    expect(
      aws.calls.list('ecs:ListTasks').filter((call) => call.error === 'ThrottlingException').length,
    ).toBe(rejected.length);
  });
});
