import { DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListTasksCommand } from '@aws-sdk/client-ecs';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classifyAwsError } from '../../shared/aws/errors';
import { localClients } from './clients';
import { type LocalAws, SAMPLE, startLocalAws } from './index';
import { useLocalAwsEnv } from './vitest';

let aws: LocalAws;
let once: ReturnType<typeof localClients>;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  once = localClients(aws.endpoint, { maxAttempts: 1 });
});
beforeEach(() => aws.reset('sample'));
afterAll(() => aws.close());

describe('injected faults', () => {
  it('answers each service with its own throttling error shape', async () => {
    aws.faults.set({ operation: '*', throttleRate: 1 });
    const errors = await Promise.all([
      once.ecs.send(new ListTasksCommand({ cluster: 'web' })).catch((e: unknown) => e),
      once.autoScaling.send(new DescribeAutoScalingGroupsCommand({})).catch((e: unknown) => e),
      once.sns.send(new PublishCommand({ TopicArn: SAMPLE.topicArn, Message: 'm' })).catch((e: unknown) => e),
      once.dynamodb
        .send(new GetItemCommand({ TableName: SAMPLE.table, Key: { pk: { S: 'a' }, sk: { S: 'b' } } }))
        .catch((e: unknown) => e),
    ]);
    expect(errors.map((e) => (e as Error).name)).toEqual([
      'ThrottlingException',
      'Throttling',
      'Throttling',
      'ThrottlingException',
    ]);
    expect(errors.map(classifyAwsError)).toEqual(['throttled', 'throttled', 'throttled', 'throttled']);
    expect(aws.calls.list().every((call) => call.injected === 'throttle' && call.status === 400)).toBe(true);
  });

  it('answers 5xx server errors the SDK treats as transient', async () => {
    aws.faults.set({ operation: 'ecs:*', serverErrorRate: 1 });
    const error = await once.ecs.send(new ListTasksCommand({ cluster: 'web' })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ServerException', $metadata: { httpStatusCode: 500 } });
    expect(classifyAwsError(error)).toBe('transient');
  });

  it('is survived by the project adapters: throttled calls are retried by the SDK and succeed', async () => {
    const restore = useLocalAwsEnv(aws);
    try {
      const { listTaskArns } = await import('../../shared/aws/ecs');
      aws.faults.set({ operation: 'ecs:ListTasks', throttleRate: 1, times: 2 });
      const arns = await listTaskArns('web');
      expect(arns).toHaveLength(9);
      const attempts = aws.calls.list('ecs:ListTasks');
      expect(attempts.map((call) => call.injected ?? 'answered')).toEqual([
        'throttle',
        'throttle',
        'answered',
      ]);
    } finally {
      restore();
    }
  });

  it('throttles a share of calls, deterministically for the same sequence', async () => {
    const run = async () => {
      await aws.reset('sample');
      aws.faults.set({ operation: 'ecs:ListTasks', throttleRate: 0.3 });
      const outcomes: string[] = [];
      for (let i = 0; i < 40; i++) {
        outcomes.push(
          await once.ecs.send(new ListTasksCommand({ cluster: 'web' })).then(
            () => 'ok',
            () => 'throttled',
          ),
        );
      }
      return outcomes;
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    const throttled = first.filter((o) => o === 'throttled').length;
    expect(throttled).toBeGreaterThan(4);
    expect(throttled).toBeLessThan(24);
  });

  it('adds latency to matching calls only', async () => {
    aws.faults.set({ operation: 'sns:Publish', latencyMs: 150 });
    const started = performance.now();
    await once.sns.send(new PublishCommand({ TopicArn: SAMPLE.topicArn, Message: 'm' }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(aws.world.snsPublications()).toHaveLength(1);
  });

  it('removes a rule with the function set() returns', async () => {
    const remove = aws.faults.set({ operation: 'ecs:ListTasks', throttleRate: 1 });
    await expect(once.ecs.send(new ListTasksCommand({ cluster: 'web' }))).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    remove();
    await expect(once.ecs.send(new ListTasksCommand({ cluster: 'web' }))).resolves.toMatchObject({});
  });
});

// The Query services' errors as their wire carries them (the modelled `error.code` and status of
// botocore's autoscaling 2011-01-01 and sns 2010-03-31 models); the SDK names each by its modelled
// shape, and the adapters must classify it under that name.
describe('injected service errors reach the SDK under their modelled names', () => {
  const scaling = () =>
    once.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: 'web-asg', DesiredCapacity: 2 }),
    );
  const publish = () => once.sns.send(new PublishCommand({ TopicArn: SAMPLE.topicArn, Message: 'm' }));
  it.each([
    ['autoscaling', 'ScalingActivityInProgress', 400, scaling, 'ScalingActivityInProgressFault', 'conflict'],
    ['autoscaling', 'ResourceInUse', 400, scaling, 'ResourceInUseFault', 'conflict'],
    ['autoscaling', 'ResourceContention', 500, scaling, 'ResourceContentionFault', 'transient'],
    ['autoscaling', 'LimitExceeded', 400, scaling, 'LimitExceededFault', 'other'],
    ['autoscaling', 'AccessDenied', 403, scaling, 'AccessDenied', 'access-denied'],
    ['sns', 'AuthorizationError', 403, publish, 'AuthorizationErrorException', 'access-denied'],
    ['sns', 'NotFound', 404, publish, 'NotFoundException', 'not-found'],
    ['sns', 'InvalidParameter', 400, publish, 'InvalidParameterException', 'invalid'],
    ['sns', 'ParameterValueInvalid', 400, publish, 'InvalidParameterValueException', 'invalid'],
    ['sns', 'Throttled', 429, publish, 'ThrottledException', 'throttled'],
    ['sns', 'KMSThrottling', 400, publish, 'KMSThrottlingException', 'throttled'],
    ['sns', 'InternalError', 500, publish, 'InternalErrorException', 'transient'],
  ] as const)('%s %s -> %s', async (service, code, status, send, name, kind) => {
    aws.faults.set({ operation: `${service}:*`, error: { code, status }, times: 1 });
    const error = await send().catch((e: unknown) => e);
    expect(error).toMatchObject({ name, $metadata: { httpStatusCode: status } });
    expect(classifyAwsError(error)).toBe(kind);
    expect(aws.calls.list()[0]).toMatchObject({ error: code, status, injected: 'error' });
  });
});

describe('DynamoDB batches with unprocessed keys, end to end through the adapters', () => {
  it('reads every key of a BatchGetItem whose answers leave keys unprocessed, asking again with backoff', async () => {
    const restore = useLocalAwsEnv(aws);
    try {
      const state = await import('../../shared/state/drain');
      const { drainRecord } = await import('../support/drain-record');
      const ids = Array.from({ length: 12 }, (_, n) => `i-0unprocessed${n.toString().padStart(2, '0')}`);
      for (const id of ids)
        await state.createDrain(SAMPLE.table, drainRecord(aws.world.now(), { instanceId: id }));
      aws.faults.set({ operation: 'dynamodb:BatchGetItem', unprocessedRate: 0.5, times: 3 });
      const { drains, unread } = await state.getDrains(SAMPLE.table, ids);
      expect([...drains.keys()].sort()).toEqual(ids);
      expect(unread).toEqual([]);
      const reads = aws.calls.list('dynamodb:BatchGetItem');
      expect(reads.map((call) => call.injected ?? 'answered')).toEqual([
        'unprocessed',
        'unprocessed',
        'unprocessed',
        'answered',
      ]);
      // Each retry asks only for what was left: 12 keys, then the half held back each time: 6, 3, 1.
      const asked = reads.map(
        (call) =>
          ((call.input.RequestItems as Record<string, { Keys: unknown[] }>)[SAMPLE.table]?.Keys ?? []).length,
      );
      expect(asked).toEqual([12, 6, 3, 1]);
    } finally {
      restore();
    }
  });

  it('returns the instances left unread instead of failing the pass when keys stay unprocessed', async () => {
    const restore = useLocalAwsEnv(aws);
    try {
      const state = await import('../../shared/state/drain');
      aws.faults.set({ operation: 'dynamodb:BatchGetItem', unprocessedRate: 1 });
      let checks = 0;
      const budget = { hasTimeFor: () => ++checks <= 2 };
      const { drains, unread } = await state.getDrains(SAMPLE.table, ['i-0a', 'i-0b'], { budget });
      expect(drains.size).toBe(0);
      expect(unread.sort()).toEqual(['i-0a', 'i-0b']);
      expect(aws.calls.count('dynamodb:BatchGetItem')).toBe(3);
    } finally {
      restore();
    }
  });

  it('trims run history although BatchWriteItem leaves deletes unprocessed', async () => {
    const restore = useLocalAwsEnv(aws);
    try {
      const { dynamodb } = await import('../../shared/aws/dynamodb');
      const { PutCommand, QueryCommand } = await import('@aws-sdk/lib-dynamodb');
      const { ScheduleStore } = await import('../../shared/state/jobs/store');
      const runSk = (n: number) => `run#2025-01-${String(n + 1).padStart(2, '0')}T00:00:00Z`;
      for (let n = 0; n < 30; n++) {
        await dynamodb.send(
          new PutCommand({
            TableName: SAMPLE.table,
            Item: { pk: 'job#nightly', sk: runSk(n), status: 'SUCCEEDED', due: runSk(n).slice(4) },
          }),
        );
      }
      aws.faults.set({ operation: 'dynamodb:BatchWriteItem', unprocessedRate: 0.3, times: 2 });
      const keep = { succeeded: 2, failed: 2, skipped: 2 };
      // A month after the last due time: every RunTask token has expired, so trimmed runs are deleted.
      const now = Date.parse('2025-03-01T00:00:00Z');
      expect(await new ScheduleStore(SAMPLE.table).trimHistory('nightly', keep, now)).toBe(28);
      const { Items = [] } = await dynamodb.send(
        new QueryCommand({
          TableName: SAMPLE.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'job#nightly' },
        }),
      );
      expect(Items.map((item) => item.sk)).toEqual([runSk(28), runSk(29)]);
      expect(aws.calls.list('dynamodb:BatchWriteItem').filter((call) => call.injected)).toHaveLength(2);
    } finally {
      restore();
    }
  });
});
