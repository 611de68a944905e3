import {
  ClusterNotFoundException,
  ConflictException,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  InvalidParameterException,
  ListContainerInstancesCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTasksCommand,
  paginateListTasks,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  StartTaskCommand,
  StopTaskCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classifyAwsError } from '../../shared/aws/errors';
import { localClients } from './clients';
import { type LocalAws, SAMPLE, startLocalAws } from './index';

let aws: LocalAws;
let ecs: ReturnType<typeof localClients>['ecs'];

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  ecs = localClients(aws.endpoint).ecs;
});
beforeEach(() => aws.reset('sample'));
afterAll(() => aws.close());

async function instanceArn(ec2InstanceId: string): Promise<string> {
  const { containerInstanceArns = [] } = await ecs.send(
    new ListContainerInstancesCommand({ cluster: 'web', filter: `ec2InstanceId == ${ec2InstanceId}` }),
  );
  const [arn] = containerInstanceArns;
  if (!arn) throw new Error(`no container instance for ${ec2InstanceId}`);
  return arn;
}

function startMany(count: number) {
  for (let i = 0; i < count; i++) {
    aws.world.registerTaskDefinition({
      family: `tiny-${i % 3}`,
      cpu: '1',
      memory: '4',
      containerDefinitions: [{ name: 'tiny', image: 'tiny:1' }],
    });
  }
  for (let i = 0; i < count; i++) {
    aws.world.runStandaloneTask({
      cluster: 'web',
      taskDefinition: `tiny-${i % 3}`,
      startedBy: `batch-${i % 2}`,
    });
  }
}

describe('errors', () => {
  it('answers ClusterNotFoundException for an unknown cluster, as the SDK class', async () => {
    const error = await ecs.send(new ListTasksCommand({ cluster: 'nope' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterNotFoundException);
    expect(error).toMatchObject({ message: 'Cluster not found.', $metadata: { httpStatusCode: 400 } });
    expect(classifyAwsError(error)).toBe('not-found');
  });

  it('rejects more than 100 tasks in DescribeTasks and an empty list', async () => {
    const tasks = Array.from({ length: 101 }, (_, i) => `task-${i}`);
    await expect(ecs.send(new DescribeTasksCommand({ cluster: 'web', tasks }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(ecs.send(new DescribeTasksCommand({ cluster: 'web', tasks: [] }))).rejects.toThrow(
      'Tasks cannot be empty.',
    );
  });

  it('rejects more than 10 services in DescribeServices and 100 container instances in DescribeContainerInstances', async () => {
    await expect(
      ecs.send(
        new DescribeServicesCommand({
          cluster: 'web',
          services: Array.from({ length: 11 }, (_, i) => `s${i}`),
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      ecs.send(
        new DescribeContainerInstancesCommand({
          cluster: 'web',
          containerInstances: Array.from({ length: 101 }, (_, i) => `ci-${i}`),
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('reports unknown ARNs as MISSING failures, not errors', async () => {
    const { tasks, failures } = await ecs.send(
      new DescribeTasksCommand({
        cluster: 'web',
        tasks: ['arn:aws:ecs:us-east-1:123456789012:task/web/0123'],
      }),
    );
    expect(tasks).toEqual([]);
    expect(failures).toEqual([
      { arn: 'arn:aws:ecs:us-east-1:123456789012:task/web/0123', reason: 'MISSING' },
    ]);
    const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['web', 'gone'] }));
    expect(clusters.clusters?.map((c) => c.clusterName)).toEqual(['web']);
    expect(clusters.failures?.map((f) => f.reason)).toEqual(['MISSING']);
  });

  it('answers unknown task definitions with ClientException', async () => {
    await expect(
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope:1' })),
    ).rejects.toMatchObject({
      name: 'ClientException',
    });
  });
});

describe('listing', () => {
  it('pages ListTasks with real tokens, and the paginator collects every task once', async () => {
    startMany(250);
    const first = await ecs.send(new ListTasksCommand({ cluster: 'web', maxResults: 100 }));
    expect(first.taskArns).toHaveLength(100);
    expect(first.nextToken).toBeTypeOf('string');
    const all: string[] = [];
    for await (const page of paginateListTasks({ client: ecs, pageSize: 100 }, { cluster: 'web' })) {
      all.push(...(page.taskArns ?? []));
    }
    expect(all).toHaveLength(250 + 9);
    expect(new Set(all).size).toBe(all.length);
    expect(aws.calls.count('ecs:ListTasks')).toBe(1 + 3);
  });

  it('refuses a token used with other filters, and maxResults above 100', async () => {
    startMany(120);
    const { nextToken } = await ecs.send(new ListTasksCommand({ cluster: 'web' }));
    await expect(
      ecs.send(new ListTasksCommand({ cluster: 'web', family: 'tiny-1', nextToken })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(ecs.send(new ListTasksCommand({ cluster: 'web', maxResults: 101 }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
  });

  it('filters ListTasks by family, service, container instance; startedBy must stand alone', async () => {
    startMany(6);
    const family = await ecs.send(new ListTasksCommand({ cluster: 'web', family: 'tiny-1' }));
    expect(family.taskArns).toHaveLength(2);
    const service = await ecs.send(new ListTasksCommand({ cluster: 'web', serviceName: 'api' }));
    expect(service.taskArns).toHaveLength(4);
    const onInstance = await ecs.send(
      new ListTasksCommand({ cluster: 'web', containerInstance: await instanceArn(SAMPLE.instances[0]) }),
    );
    const first = aws.world.findContainerInstance(SAMPLE.instances[0]);
    expect(onInstance.taskArns?.length).toBe(first ? aws.world.tasksOn(first).length : -1);
    const startedBy = await ecs.send(new ListTasksCommand({ cluster: 'web', startedBy: 'batch-0' }));
    expect(startedBy.taskArns).toHaveLength(3);
    await expect(
      ecs.send(new ListTasksCommand({ cluster: 'web', startedBy: 'batch-0', family: 'tiny-0' })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('lists desired RUNNING by default: a STOPPING task is only found with desiredStatus STOPPED', async () => {
    const [task] = aws.world.tasks({ service: 'api' });
    if (!task) throw new Error('no api task');
    await ecs.send(new StopTaskCommand({ cluster: 'web', task: task.arn, reason: 'test' }));
    aws.world.advance(10_000);
    const running = await ecs.send(new ListTasksCommand({ cluster: 'web' }));
    expect(running.taskArns).not.toContain(task.arn);
    const stopped = await ecs.send(new ListTasksCommand({ cluster: 'web', desiredStatus: 'STOPPED' }));
    expect(stopped.taskArns).toContain(task.arn);
    const { tasks = [] } = await ecs.send(new DescribeTasksCommand({ cluster: 'web', tasks: [task.arn] }));
    expect(tasks[0]).toMatchObject({
      lastStatus: 'STOPPING',
      desiredStatus: 'STOPPED',
      stoppedReason: 'test',
    });
    expect(tasks[0]?.stoppingAt).toBeInstanceOf(Date);
  });

  it('forgets STOPPED tasks after an hour', async () => {
    const [task] = aws.world.tasks({ service: 'worker' });
    if (!task) throw new Error('no worker task');
    aws.world.stopTask(task, 'bye');
    aws.world.advance(30 * 60_000);
    const soon = await ecs.send(new DescribeTasksCommand({ cluster: 'web', tasks: [task.arn] }));
    expect(soon.tasks?.[0]?.lastStatus).toBe('STOPPED');
    aws.world.advance(31 * 60_000);
    const later = await ecs.send(new DescribeTasksCommand({ cluster: 'web', tasks: [task.arn] }));
    expect(later.failures?.[0]?.reason).toBe('MISSING');
  });

  it('filters container instances in the cluster query language and reports bad expressions', async () => {
    const { containerInstanceArns } = await ecs.send(
      new ListContainerInstancesCommand({
        cluster: 'web',
        filter:
          'attribute:ecs.availability-zone in [us-east-1a, us-east-1c] and attribute:ecs.instance-type =~ m5.*',
      }),
    );
    expect(containerInstanceArns).toHaveLength(2);
    const byGroup = await ecs.send(
      new ListContainerInstancesCommand({ cluster: 'web', filter: 'task:group == service:worker' }),
    );
    expect(byGroup.containerInstanceArns).toHaveLength(2);
    const error = await ecs
      .send(
        new ListContainerInstancesCommand({ cluster: 'web', filter: 'attribute:ecs.instance-type foo bar' }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect((error as Error).message).toMatch(/^Invalid filter expression: at \d+: expected/);
  });

  it('pages ListContainerInstances and lists DRAINING by default, INACTIVE only on request', async () => {
    aws.world.launchInstances(SAMPLE.group, 5, { inService: true });
    const page = await ecs.send(new ListContainerInstancesCommand({ cluster: 'web', maxResults: 3 }));
    expect(page.containerInstanceArns).toHaveLength(3);
    const rest = await ecs.send(
      new ListContainerInstancesCommand({ cluster: 'web', maxResults: 3, nextToken: page.nextToken }),
    );
    expect(rest.containerInstanceArns).toHaveLength(3);
    const last = await ecs.send(
      new ListContainerInstancesCommand({ cluster: 'web', maxResults: 3, nextToken: rest.nextToken }),
    );
    expect(last.containerInstanceArns).toHaveLength(2);
    expect(last.nextToken).toBeUndefined();
  });

  it('answers ListServices ten at a time by default', async () => {
    for (let i = 0; i < 12; i++) {
      aws.world.createService({
        cluster: 'web',
        name: `extra-${i}`,
        taskDefinition: 'report:7',
        desiredCount: 0,
      });
    }
    const first = await ecs.send(new ListServicesCommand({ cluster: 'web' }));
    expect(first.serviceArns).toHaveLength(10);
    const second = await ecs.send(new ListServicesCommand({ cluster: 'web', nextToken: first.nextToken }));
    expect(second.serviceArns).toHaveLength(5);
  });
});

describe('container instance state', () => {
  it('drains up to 10 instances a call; repeating DRAINING is a success', async () => {
    const arn = await instanceArn(SAMPLE.instances[0]);
    const first = await ecs.send(
      new UpdateContainerInstancesStateCommand({
        cluster: 'web',
        containerInstances: [arn],
        status: 'DRAINING',
      }),
    );
    expect(first.containerInstances?.[0]?.status).toBe('DRAINING');
    const again = await ecs.send(
      new UpdateContainerInstancesStateCommand({
        cluster: 'web',
        containerInstances: [arn],
        status: 'DRAINING',
      }),
    );
    expect(again.failures).toEqual([]);
    expect(again.containerInstances?.[0]?.status).toBe('DRAINING');
    await expect(
      ecs.send(
        new UpdateContainerInstancesStateCommand({
          cluster: 'web',
          containerInstances: Array.from({ length: 11 }, () => arn),
          status: 'DRAINING',
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('reports an INACTIVE instance in failures', async () => {
    const arn = await instanceArn(SAMPLE.instances[2]);
    aws.world.terminateInstanceInGroup(SAMPLE.instances[2], true);
    aws.world.completeLifecycleAction({
      group: SAMPLE.group,
      hook: SAMPLE.hook,
      instanceId: SAMPLE.instances[2],
      result: 'CONTINUE',
    });
    aws.world.advance(60_000);
    const { containerInstances, failures } = await ecs.send(
      new UpdateContainerInstancesStateCommand({
        cluster: 'web',
        containerInstances: [arn],
        status: 'DRAINING',
      }),
    );
    expect(containerInstances).toEqual([]);
    expect(failures?.[0]).toMatchObject({ arn, reason: 'INACTIVE' });
    const described = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster: 'web', containerInstances: [arn] }),
    );
    expect(described.containerInstances?.[0]).toMatchObject({ status: 'INACTIVE', agentConnected: false });
  });

  it('shows remaining resources and task counts as tasks come and go', async () => {
    const arn = await instanceArn(SAMPLE.instances[1]);
    const before = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster: 'web', containerInstances: [arn] }),
    );
    const cpu = (r: typeof before) =>
      r.containerInstances?.[0]?.remainingResources?.find((x) => x.name === 'CPU')?.integerValue;
    const { tasks } = aws.world.runStandaloneTask({
      cluster: 'web',
      taskDefinition: 'report:7',
      onInstances: [arn],
    });
    const after = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster: 'web', containerInstances: [arn] }),
    );
    expect((cpu(before) ?? 0) - (cpu(after) ?? 0)).toBe(256);
    expect(after.containerInstances?.[0]?.pendingTasksCount).toBe(1);
    expect(tasks).toHaveLength(1);
  });
});

describe('RunTask', () => {
  const job: RunTaskCommandInput = {
    cluster: 'web',
    taskDefinition: 'report:7',
    startedBy: 'ecs-autopilot/nightly-report',
    tags: [{ key: 'ecs-autopilot:job', value: 'nightly-report' }],
    clientToken: 'nightly-report-2025-01-15T03:00:00Z',
  };

  it('returns the original tasks for the same clientToken and parameters', async () => {
    const first = await ecs.send(new RunTaskCommand(job));
    const second = await ecs.send(new RunTaskCommand(job));
    expect(first.tasks).toHaveLength(1);
    expect(second.tasks?.map((t) => t.taskArn)).toEqual(first.tasks?.map((t) => t.taskArn));
    expect(aws.world.tasks({ family: 'report' })).toHaveLength(1);
  });

  it('answers ConflictException with the existing task ARNs when the parameters differ', async () => {
    const first = await ecs.send(new RunTaskCommand(job));
    const error = await ecs
      .send(new RunTaskCommand({ ...job, startedBy: 'someone-else' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictException);
    expect((error as ConflictException).resourceIds).toEqual(first.tasks?.map((t) => t.taskArn));
    expect(classifyAwsError(error)).toBe('conflict');
  });

  it('forgets a clientToken after 24 hours', async () => {
    const first = await ecs.send(new RunTaskCommand(job));
    aws.world.advance(24 * 3_600_000 + 1);
    const second = await ecs.send(new RunTaskCommand(job));
    expect(second.tasks?.[0]?.taskArn).not.toBe(first.tasks?.[0]?.taskArn);
  });

  it('validates count, launchType with a capacity provider strategy, propagateTags and the token', async () => {
    const bad: RunTaskCommandInput[] = [
      { ...job, count: 11 },
      {
        ...job,
        launchType: 'EC2',
        capacityProviderStrategy: [{ capacityProvider: SAMPLE.capacityProvider }],
      },
      { ...job, propagateTags: 'SERVICE' },
      { ...job, clientToken: 'x'.repeat(65) },
      { ...job, startedBy: 'x'.repeat(129) },
      { ...job, tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
      { ...job, placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type ==' }] },
      { ...job, overrides: { containerOverrides: [{ name: 'report', command: ['x'.repeat(9000)] }] } },
    ];
    for (const input of bad) {
      await expect(ecs.send(new RunTaskCommand(input))).rejects.toBeInstanceOf(InvalidParameterException);
    }
    expect(aws.world.tasks({ family: 'report' })).toEqual([]);
  });

  it('answers 200 with failures[] (RESOURCE:MEMORY) when nothing fits, without managed scaling', async () => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'huge',
        memory: '16384',
        containerDefinitions: [{ name: 'huge', image: 'huge:1' }],
      }),
    );
    const { tasks, failures } = await ecs.send(
      new RunTaskCommand({ cluster: 'web', taskDefinition: 'huge' }),
    );
    expect(tasks).toEqual([]);
    expect(failures?.map((f) => f.reason)).toEqual(['RESOURCE:MEMORY', 'RESOURCE:MEMORY', 'RESOURCE:MEMORY']);
    expect(failures?.[0]?.arn).toMatch(/:container-instance\/web\//);
  });

  it('answers "No Container Instances were found in your cluster." for an empty cluster', async () => {
    aws.world.createCluster('empty');
    await expect(
      ecs.send(new RunTaskCommand({ cluster: 'empty', taskDefinition: 'report:7' })),
    ).rejects.toThrow('No Container Instances were found in your cluster.');
  });

  it('waits in PROVISIONING with managed scaling on', async () => {
    aws.world.createAutoScalingGroup({ name: 'batch-asg', instanceType: 'c5.large', cluster: 'web' });
    aws.world.createCapacityProvider({
      name: 'managed-cp',
      autoScalingGroup: 'batch-asg',
      managedScaling: 'ENABLED',
      cluster: 'web',
    });
    const { tasks, failures } = await ecs.send(
      new RunTaskCommand({
        cluster: 'web',
        taskDefinition: 'report:7',
        count: 10,
        capacityProviderStrategy: [{ capacityProvider: 'managed-cp', weight: 1 }],
      }),
    );
    expect(failures).toEqual([]);
    expect(tasks?.map((t) => t.lastStatus)).toEqual(Array(10).fill('PROVISIONING'));
    expect(tasks?.every((t) => t.containerInstanceArn === undefined)).toBe(true);
    aws.world.setDesiredCapacity('batch-asg', 2);
    aws.world.advance(3 * 60_000);
    const { tasks: later = [] } = await ecs.send(
      new DescribeTasksCommand({ cluster: 'web', tasks: (tasks ?? []).map((t) => t.taskArn ?? '') }),
    );
    expect(later.map((t) => t.lastStatus)).toEqual(Array(10).fill('RUNNING'));
  });

  it('uses the cluster default capacity provider strategy, places and tags tasks', async () => {
    const { tasks = [] } = await ecs.send(
      new RunTaskCommand({ ...job, clientToken: undefined, count: 2, group: 'family:nightly' }),
    );
    expect(tasks.map((t) => [t.capacityProviderName, t.group, t.lastStatus])).toEqual([
      [SAMPLE.capacityProvider, 'family:nightly', 'PENDING'],
      [SAMPLE.capacityProvider, 'family:nightly', 'PENDING'],
    ]);
    const described = await ecs.send(
      new DescribeTasksCommand({
        cluster: 'web',
        tasks: tasks.map((t) => t.taskArn ?? ''),
        include: ['TAGS'],
      }),
    );
    expect(described.tasks?.[0]?.tags).toEqual([{ key: 'ecs-autopilot:job', value: 'nightly-report' }]);
    const tags = await ecs.send(new ListTagsForResourceCommand({ resourceArn: tasks[0]?.taskArn }));
    expect(tags.tags).toEqual([{ key: 'ecs-autopilot:job', value: 'nightly-report' }]);
  });

  it('starts tasks on named instances with StartTask', async () => {
    const arn = await instanceArn(SAMPLE.instances[0]);
    const { tasks, failures } = await ecs.send(
      new StartTaskCommand({
        cluster: 'web',
        taskDefinition: 'report:7',
        containerInstances: [arn, 'missing'],
      }),
    );
    expect(tasks?.[0]?.containerInstanceArn).toBe(arn);
    expect(failures).toEqual([{ arn: 'missing', reason: 'MISSING' }]);
  });
});

describe('task definitions, services, clusters, capacity providers', () => {
  it('registers a new revision and describes it back', async () => {
    const { taskDefinition } = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'api',
        containerDefinitions: [{ name: 'api', image: 'api:2.0.0', cpu: 256, memoryReservation: 512 }],
      }),
    );
    expect(taskDefinition?.revision).toBe(4);
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api' }));
    expect(described.taskDefinition?.taskDefinitionArn).toBe(
      'arn:aws:ecs:us-east-1:123456789012:task-definition/api:4',
    );
    const three = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api:3' }));
    expect(three.taskDefinition?.containerDefinitions?.[0]).toMatchObject({
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2',
      cpu: 512,
      memoryReservation: 1024,
      portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
    });
  });

  it('describes services with counts, strategy and deployment configuration', async () => {
    const { services = [] } = await ecs.send(
      new DescribeServicesCommand({ cluster: 'web', services: ['api', 'missing'] }),
    );
    expect(services[0]).toMatchObject({
      serviceName: 'api',
      desiredCount: 4,
      runningCount: 4,
      pendingCount: 0,
      schedulingStrategy: 'REPLICA',
      capacityProviderStrategy: [{ capacityProvider: SAMPLE.capacityProvider, weight: 1, base: 0 }],
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:3',
    });
  });

  it('describes the cluster and its capacity provider', async () => {
    const { clusters = [] } = await ecs.send(new DescribeClustersCommand({ clusters: [SAMPLE.clusterArn] }));
    expect(clusters[0]).toMatchObject({
      clusterName: 'web',
      registeredContainerInstancesCount: 3,
      runningTasksCount: 9,
      activeServicesCount: 3,
      capacityProviders: [SAMPLE.capacityProvider],
    });
    const { capacityProviders = [] } = await ecs.send(
      new DescribeCapacityProvidersCommand({ capacityProviders: [SAMPLE.capacityProvider] }),
    );
    expect(capacityProviders[0]?.autoScalingGroupProvider).toMatchObject({
      managedScaling: { status: 'DISABLED' },
      managedTerminationProtection: 'DISABLED',
    });
    expect(capacityProviders[0]?.autoScalingGroupProvider?.autoScalingGroupArn).toMatch(
      /autoScalingGroupName\/web-asg$/,
    );
  });
});
