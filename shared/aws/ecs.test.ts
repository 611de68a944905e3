import {
  ClusterNotFoundException,
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  ListContainerInstancesCommand,
  ListTasksCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  clearTaskDefinitionCache,
  describeTaskDefinition,
  describeTasks,
  findContainerInstanceByEc2Id,
  listTaskArns,
  listTaskArnsAnyDesiredStatus,
  setContainerInstancesDraining,
} from './ecs';
import { AwsOperationError } from './errors';

const ecsMock = mockClient(ECSClient);
const arns = (count: number, prefix = 'task') =>
  Array.from(
    { length: count },
    (_, index) => `arn:aws:ecs:us-east-1:123456789012:task/web/${prefix}${index}`,
  );

beforeEach(() => {
  ecsMock.reset();
  clearTaskDefinitionCache();
});

describe('listTaskArns', () => {
  it('follows nextToken across pages', async () => {
    ecsMock
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: arns(100, 'a'), nextToken: 'page-2' })
      .resolvesOnce({ taskArns: arns(100, 'b'), nextToken: 'page-3' })
      .resolvesOnce({ taskArns: arns(20, 'c') });
    const found = await listTaskArns('web', { containerInstance: 'ci-1' });
    expect(found).toHaveLength(220);
    expect(ecsMock).toHaveReceivedCommandTimes(ListTasksCommand, 3);
  });

  it('asks for both desired statuses, so STOPPING tasks are not missed', async () => {
    ecsMock.on(ListTasksCommand, { desiredStatus: 'RUNNING' }).resolves({ taskArns: ['t1', 't2'] });
    ecsMock.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({ taskArns: ['t2', 't3'] });
    const found = await listTaskArnsAnyDesiredStatus('web', { containerInstance: 'ci-1' });
    expect(found.sort()).toEqual(['t1', 't2', 't3']);
  });

  it('names the operation and cluster when ECS fails', async () => {
    ecsMock
      .on(ListTasksCommand)
      .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));
    const failure = listTaskArns('nope');
    await expect(failure).rejects.toBeInstanceOf(AwsOperationError);
    await expect(failure).rejects.toMatchObject({
      kind: 'not-found',
      message: expect.stringContaining('ecs:ListTasks on nope'),
    });
  });
});

describe('batched describers', () => {
  it('describes tasks 100 at a time', async () => {
    ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((taskArn) => ({ taskArn, lastStatus: 'RUNNING' })),
      failures: [],
    }));
    const { items } = await describeTasks('web', arns(250));
    expect(items).toHaveLength(250);
    const sizes = ecsMock.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input.tasks?.length);
    expect(sizes.sort()).toEqual([100, 100, 50]);
  });

  it('sets instances DRAINING 10 at a time and returns per-instance failures', async () => {
    ecsMock.on(UpdateContainerInstancesStateCommand).callsFake((input: { containerInstances: string[] }) => ({
      containerInstances: input.containerInstances.map((arn) => ({
        containerInstanceArn: arn,
        status: 'DRAINING',
      })),
      failures: input.containerInstances.includes('ci-3') ? [{ arn: 'ci-3', reason: 'MISSING' }] : [],
    }));
    const result = await setContainerInstancesDraining(
      'web',
      Array.from({ length: 25 }, (_, i) => `ci-${i}`),
    );
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateContainerInstancesStateCommand, 3);
    expect(result.items).toHaveLength(25);
    expect(result.failures).toEqual([{ arn: 'ci-3', reason: 'MISSING' }]);
  });
});

describe('findContainerInstanceByEc2Id', () => {
  it('filters by ec2InstanceId in the cluster query language', async () => {
    ecsMock.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: ['ci-arn'] });
    ecsMock.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [{ containerInstanceArn: 'ci-arn', ec2InstanceId: 'i-0a1b2c3d4e5f60001' }],
    });
    const found = await findContainerInstanceByEc2Id('web', 'i-0a1b2c3d4e5f60001');
    expect(found?.containerInstanceArn).toBe('ci-arn');
    expect(ecsMock).toHaveReceivedCommandWith(ListContainerInstancesCommand, {
      cluster: 'web',
      filter: 'ec2InstanceId == i-0a1b2c3d4e5f60001',
    });
  });

  it('picks the live registration when a stale one of the same EC2 instance is listed first (#15)', async () => {
    // ListContainerInstances without a status lists every status but INACTIVE, in no promised order.
    const ec2InstanceId = 'i-0a1b2c3d4e5f60001';
    ecsMock
      .on(ListContainerInstancesCommand)
      .resolves({ containerInstanceArns: ['ci-old', 'ci-failed', 'ci-live'] });
    ecsMock.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [
        {
          containerInstanceArn: 'ci-old',
          ec2InstanceId,
          status: 'DEREGISTERING',
          registeredAt: new Date(1_000),
        },
        {
          containerInstanceArn: 'ci-failed',
          ec2InstanceId,
          status: 'REGISTRATION_FAILED',
          registeredAt: new Date(9_000),
        },
        {
          containerInstanceArn: 'ci-live',
          ec2InstanceId,
          status: 'DRAINING',
          registeredAt: new Date(5_000),
          runningTasksCount: 3,
        },
      ],
    });
    expect((await findContainerInstanceByEc2Id('web', ec2InstanceId))?.containerInstanceArn).toBe('ci-live');
  });

  it('of two live registrations, picks the most recent', async () => {
    const ec2InstanceId = 'i-0a1b2c3d4e5f60001';
    ecsMock.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: ['ci-a', 'ci-b'] });
    ecsMock.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [
        { containerInstanceArn: 'ci-a', ec2InstanceId, status: 'ACTIVE', registeredAt: new Date(1_000) },
        { containerInstanceArn: 'ci-b', ec2InstanceId, status: 'ACTIVE', registeredAt: new Date(2_000) },
      ],
    });
    expect((await findContainerInstanceByEc2Id('web', ec2InstanceId))?.containerInstanceArn).toBe('ci-b');
  });

  it('answers undefined for an instance ECS does not know', async () => {
    ecsMock.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [] });
    await expect(findContainerInstanceByEc2Id('web', 'i-0ffffffffffffffff')).resolves.toBeUndefined();
    expect(ecsMock).not.toHaveReceivedCommand(DescribeContainerInstancesCommand);
  });
});

describe('describeTaskDefinition', () => {
  it('fetches a revision once, since revisions are immutable', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { family: 'api', revision: 3 } });
    await describeTaskDefinition('api:3');
    await describeTaskDefinition('api:3');
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 1);
  });

  it('does not cache a bare family, which moves with each new revision', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { family: 'api', revision: 4 } });
    await describeTaskDefinition('api');
    await describeTaskDefinition('api');
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 2);
  });

  it('forgets a failed lookup so the next call retries', async () => {
    ecsMock
      .on(DescribeTaskDefinitionCommand)
      .rejectsOnce(
        new ECSServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          message: 'Rate exceeded',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .resolves({ taskDefinition: { family: 'api', revision: 3 } });
    await expect(describeTaskDefinition('api:3')).rejects.toMatchObject({ kind: 'throttled' });
    await expect(describeTaskDefinition('api:3')).resolves.toMatchObject({ revision: 3 });
  });
});
