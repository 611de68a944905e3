import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeTimeToLiveCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClients } from './clients';
import { type LocalAws, SAMPLE, startLocalAws } from './index';

let aws: LocalAws;
let clients: ReturnType<typeof localClients>;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  clients = localClients(aws.endpoint);
});
afterAll(() => aws.close());

describe('the sample seed through the real SDK clients', () => {
  it('registers three m5.large instances in us-east-1a/b/c with their attributes', async () => {
    const { containerInstanceArns = [] } = await clients.ecs.send(
      new ListContainerInstancesCommand({ cluster: 'web' }),
    );
    expect(containerInstanceArns).toHaveLength(3);
    const { containerInstances = [] } = await clients.ecs.send(
      new DescribeContainerInstancesCommand({ cluster: 'web', containerInstances: containerInstanceArns }),
    );
    expect(containerInstances.map((i) => i.ec2InstanceId).sort()).toEqual([...SAMPLE.instances]);
    for (const instance of containerInstances) {
      expect(instance.status).toBe('ACTIVE');
      expect(instance.agentConnected).toBe(true);
      expect(instance.registeredResources?.find((r) => r.name === 'CPU')?.integerValue).toBe(2048);
      expect(instance.registeredResources?.find((r) => r.name === 'MEMORY')?.integerValue).toBe(7680);
      expect(instance.attributes?.find((a) => a.name === 'ecs.instance-type')?.value).toBe('m5.large');
      expect(instance.capacityProviderName).toBe('web-asg-cp');
      expect(instance.registeredAt).toBeInstanceOf(Date);
    }
  });

  it('runs api x4, worker x2 and one log-router daemon task per instance, all RUNNING', async () => {
    const { taskArns = [] } = await clients.ecs.send(new ListTasksCommand({ cluster: 'web' }));
    const { tasks = [] } = await clients.ecs.send(
      new DescribeTasksCommand({ cluster: 'web', tasks: taskArns }),
    );
    const byGroup: Record<string, typeof tasks> = {};
    for (const task of tasks) {
      const group = task.group ?? '';
      byGroup[group] = [...(byGroup[group] ?? []), task];
    }
    expect(byGroup['service:api']).toHaveLength(4);
    expect(byGroup['service:worker']).toHaveLength(2);
    expect(byGroup['service:log-router']).toHaveLength(3);
    expect(new Set(byGroup['service:log-router']?.map((t) => t.containerInstanceArn)).size).toBe(3);
    for (const task of tasks) {
      expect(task.lastStatus).toBe('RUNNING');
      expect(task.startedAt).toBeInstanceOf(Date);
      expect(task.startedBy).toMatch(/^ecs-svc\//);
    }
    const { services = [] } = await clients.ecs.send(
      new DescribeServicesCommand({ cluster: 'web', services: ['api', 'worker', 'log-router'] }),
    );
    expect(services.map((s) => [s.serviceName, s.runningCount, s.schedulingStrategy])).toEqual([
      ['api', 4, 'REPLICA'],
      ['worker', 2, 'REPLICA'],
      ['log-router', 3, 'DAEMON'],
    ]);
  });

  it('has the group, its tag and three InService instances', async () => {
    const { AutoScalingGroups = [] } = await clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-asg'] }),
    );
    const [group] = AutoScalingGroups;
    expect(group?.DesiredCapacity).toBe(3);
    expect(group?.MinSize).toBe(0);
    expect(group?.MaxSize).toBe(10);
    expect(group?.Tags?.map((t) => [t.Key, t.Value])).toEqual([['ecs-autopilot:cluster', 'web']]);
    expect(group?.Instances?.map((i) => i.LifecycleState)).toEqual(['InService', 'InService', 'InService']);
  });

  it('records SNS publications and serves the state table through dynalite', async () => {
    await clients.sns.send(
      new PublishCommand({ TopicArn: SAMPLE.topicArn, Subject: 'Hello', Message: 'body' }),
    );
    expect(aws.world.snsPublications().at(-1)?.subject).toBe('Hello');
    await clients.dynamodb.send(
      new PutItemCommand({
        TableName: SAMPLE.table,
        Item: { pk: { S: 'job#x' }, sk: { S: 'run' }, ttl: { N: '1' } },
      }),
    );
    const { Item } = await clients.dynamodb.send(
      new GetItemCommand({ TableName: SAMPLE.table, Key: { pk: { S: 'job#x' }, sk: { S: 'run' } } }),
    );
    expect(Item?.ttl).toEqual({ N: '1' });
    const { TimeToLiveDescription } = await clients.dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: SAMPLE.table }),
    );
    expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
  });
});
