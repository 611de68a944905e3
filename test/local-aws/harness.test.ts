import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeServicesCommand,
  InvalidParameterException,
  ListTasksCommand,
  StopTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClients } from './clients';
import { followWorldClock } from './clock';
import { type LocalAws, SAMPLE, startLocalAws } from './index';
import { lambdaContext } from './lambda';
import { useLocalAwsEnv, useWorldClock } from './vitest';

let aws: LocalAws;
let clients: ReturnType<typeof localClients>;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  clients = localClients(aws.endpoint);
});
afterAll(() => aws.close());

describe('the harness', () => {
  it('reset gives a fresh world and an empty state table on the same endpoint', async () => {
    const endpoint = aws.endpoint;
    const key = { pk: { S: 'drain#i-1' }, sk: { S: 'state' } };
    await clients.dynamodb.send(new PutItemCommand({ TableName: SAMPLE.table, Item: key }));
    aws.world.setServiceDesiredCount('web', 'api', 0);
    await aws.reset('sample');
    expect(aws.endpoint).toBe(endpoint);
    expect(aws.calls.count()).toBe(0);
    const { taskArns } = await clients.ecs.send(new ListTasksCommand({ cluster: 'web' }));
    expect(taskArns).toHaveLength(9);
    const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: SAMPLE.table, Key: key }));
    expect(Item).toBeUndefined();
  });

  it('an empty seed has no cluster and no table', async () => {
    await aws.reset('empty');
    await expect(clients.ecs.send(new ListTasksCommand({ cluster: 'web' }))).rejects.toMatchObject({
      name: 'ClusterNotFoundException',
    });
    await expect(
      clients.dynamodb.send(
        new GetItemCommand({ TableName: SAMPLE.table, Key: { pk: { S: 'a' }, sk: { S: 'b' } } }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await aws.reset('sample');
  });

  it('keeps Date on the world clock with useWorldClock, across advances and resets', async () => {
    const undo = useWorldClock(aws);
    try {
      expect(Date.now()).toBe(SAMPLE.now);
      aws.world.advance(90_000);
      expect(new Date().toISOString()).toBe('2025-01-15T03:01:30.000Z');
      await aws.reset('sample');
      expect(Date.now()).toBe(SAMPLE.now);
    } finally {
      undo();
    }
    expect(Date.now()).toBeGreaterThan(SAMPLE.now + 365 * 24 * 3_600_000);
  });

  it('keeps Date on the world clock without vitest too (followWorldClock)', () => {
    const restore = followWorldClock(aws);
    try {
      aws.world.advance(1_000);
      expect(Date.now()).toBe(aws.world.now());
      expect(new Date(0).getTime()).toBe(0);
    } finally {
      restore();
    }
    expect(Date.now()).not.toBe(aws.world.now());
  });

  it('sets and restores the function environment', () => {
    const before = process.env.AWS_ENDPOINT_URL;
    const restore = useLocalAwsEnv(aws, { DRY_RUN: 'true' });
    expect(process.env.AWS_ENDPOINT_URL).toBe(aws.endpoint);
    expect(process.env.STATE_TABLE).toBe(SAMPLE.table);
    expect(process.env.ALERT_TOPIC_ARN).toBe(SAMPLE.topicArn);
    expect(process.env.DRY_RUN).toBe('true');
    restore();
    expect(process.env.AWS_ENDPOINT_URL).toBe(before);
    expect(process.env.DRY_RUN).toBeUndefined();
  });

  it('gives handlers a Lambda context that counts down', async () => {
    const context = lambdaContext({ functionName: 'drain-instance', timeoutMs: 1_000 });
    const first = context.getRemainingTimeInMillis();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(first).toBeLessThanOrEqual(1_000);
    expect(context.getRemainingTimeInMillis()).toBeLessThan(first);
    expect(context.functionName).toBe('drain-instance');
  });

  it('logs every call with its input, time, status and error', async () => {
    await aws.reset('sample');
    await clients.ecs
      .send(new StopTaskCommand({ cluster: 'web', task: 'not-a-task' }))
      .catch(() => undefined);
    const [call] = aws.calls.list('ecs:StopTask');
    expect(call).toMatchObject({
      service: 'ecs',
      operation: 'StopTask',
      input: { cluster: 'web', task: 'not-a-task' },
      at: SAMPLE.now,
      status: 400,
      error: 'InvalidParameterException',
    });
  });
});

describe('services through the API', () => {
  it('scales a service in, stopping tasks, and reports it in DescribeServices', async () => {
    await aws.reset('sample');
    await clients.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', desiredCount: 2 }));
    aws.world.advance(60_000);
    const { services = [] } = await clients.ecs.send(
      new DescribeServicesCommand({ cluster: 'web', services: ['api'] }),
    );
    expect(services[0]).toMatchObject({ desiredCount: 2, runningCount: 2, pendingCount: 0 });
    const stopped = aws.world.tasks({ service: 'api', lastStatus: 'STOPPED' });
    expect(stopped.map((t) => t.stopCode)).toEqual([
      'ServiceSchedulerInitiated',
      'ServiceSchedulerInitiated',
    ]);
  });

  it('reports an unplaceable service task in its events and with SERVICE_TASK_PLACEMENT_FAILURE', async () => {
    await aws.reset('sample');
    await clients.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'worker', desiredCount: 6 }));
    const { services = [] } = await clients.ecs.send(
      new DescribeServicesCommand({ cluster: 'web', services: ['worker'] }),
    );
    expect(services[0]?.events?.[0]?.message).toMatch(
      /^\(service worker\) was unable to place a task because no container instance met all of its requirements\./,
    );
    const failures = aws.world.takeEvents({ detailType: 'ECS Service Action' });
    expect(failures.map((e) => e.detail.eventName)).toEqual(['SERVICE_TASK_PLACEMENT_FAILURE']);
    aws.world.advance(59_000);
    expect(aws.world.takeEvents({ detailType: 'ECS Service Action' })).toHaveLength(0);
    aws.world.advance(1_000);
    expect(aws.world.takeEvents({ detailType: 'ECS Service Action' })).toHaveLength(1);
  });

  it('rejects a malformed task identifier in StopTask', async () => {
    await expect(
      clients.ecs.send(new StopTaskCommand({ cluster: 'web', task: 'xyz' })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });
});
