// Test support for drain-instance's handler unit tests: ECS and Auto Scaling answered by aws-sdk-client-mock from
// a small in-memory cluster, the state table on dynalite (real conditional writes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AutoScalingClient,
  AutoScalingServiceException,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  type LifecycleHook,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  type ContainerInstance,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  StopTaskCommand,
  type Task,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

export const TABLE = 'ecs-autopilot-state';
export const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:123456789012:cluster/web';
export const GROUP = 'web-asg';
export const HOOK = 'ecs-autopilot-drain';
export const I1 = 'i-0a1b2c3d4e5f60001';
export const I2 = 'i-0a1b2c3d4e5f60002';
export const I3 = 'i-0a1b2c3d4e5f60003';

export const ecsMock = mockClient(ECSClient);
export const asgMock = mockClient(AutoScalingClient);

export const fixture = (name: string): Record<string, unknown> & { detail: Record<string, unknown> } =>
  JSON.parse(readFileSync(join(__dirname, '../../events/drain-instance', name), 'utf8'));

export { startStateTable } from './state-table';

export const noActiveAction = (instanceId: string) =>
  new AutoScalingServiceException({
    name: 'ValidationError',
    $fault: 'client',
    message: `No active Lifecycle Action found with instance ID ${instanceId}`,
    $metadata: { httpStatusCode: 400 },
  });

export interface FakeTask {
  id: string;
  group: string;
  startedBy?: string;
  lastStatus: string;
  desiredStatus: string;
  instanceId: string;
}

/** A tiny ECS + Auto Scaling: enough state for the drain's calls, changed by tests between passes. */
export class FakeCluster {
  instances = new Map<string, { arn: string; status: string; agentConnected: boolean }>();
  tasks: FakeTask[] = [];
  services: Record<string, 'REPLICA' | 'DAEMON'> = {
    api: 'REPLICA',
    worker: 'REPLICA',
    'log-router': 'DAEMON',
  };
  hooks: LifecycleHook[] = [
    {
      AutoScalingGroupName: GROUP,
      LifecycleHookName: HOOK,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      HeartbeatTimeout: 300,
      DefaultResult: 'CONTINUE',
      NotificationMetadata: '{"cluster":"web"}',
    },
  ];
  groupTags = [{ Key: 'ecs-autopilot:cluster', Value: 'web' }];
  /** Instance id -> Auto Scaling lifecycle state. */
  lifecycle = new Map<string, string>();
  /** Instances whose lifecycle action (on our hook) is open. */
  openActions = new Set<string>();
  completed: string[] = [];

  register(instanceId: string, status = 'ACTIVE') {
    this.instances.set(instanceId, {
      arn: `arn:aws:ecs:us-east-1:123456789012:container-instance/web/${instanceId.slice(-5)}`,
      status,
      agentConnected: true,
    });
    this.lifecycle.set(instanceId, 'InService');
  }

  waitOnHook(instanceId: string, state = 'Terminating:Wait') {
    this.lifecycle.set(instanceId, state);
    this.openActions.add(instanceId);
  }

  addTasks(instanceId: string, count: number, fields: Partial<FakeTask> = {}) {
    for (let index = 0; index < count; index++) {
      this.tasks.push({
        id: `${fields.group?.replace(/\W/g, '') ?? 'api'}-${instanceId.slice(-1)}-${this.tasks.length}`,
        group: 'service:api',
        startedBy: 'ecs-svc/1234567890123456789',
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        instanceId,
        ...fields,
      });
    }
  }

  taskArn = (task: FakeTask) => `arn:aws:ecs:us-east-1:123456789012:task/web/${task.id}`;

  /** What ECS does to service tasks on a DRAINING instance, one step per call. */
  progressServiceTasks() {
    for (const task of this.tasks) {
      const instance = [...this.instances.entries()].find(([id]) => id === task.instanceId)?.[1];
      if (instance?.status !== 'DRAINING') continue;
      if (!task.group.startsWith('service:') || this.services[task.group.slice(8)] === 'DAEMON') continue;
      if (task.lastStatus === 'RUNNING') {
        task.desiredStatus = 'STOPPED';
        task.lastStatus = 'STOPPING';
      } else if (task.lastStatus === 'STOPPING') task.lastStatus = 'STOPPED';
    }
    // DAEMON tasks last: once the other service tasks of a DRAINING instance stopped.
    for (const [id, instance] of this.instances) {
      if (instance.status !== 'DRAINING') continue;
      const onIt = this.tasks.filter((task) => task.instanceId === id && task.group.startsWith('service:'));
      const daemon = (task: FakeTask) => this.services[task.group.slice(8)] === 'DAEMON';
      if (onIt.some((task) => !daemon(task) && task.lastStatus !== 'STOPPED')) continue;
      for (const task of onIt.filter(daemon)) {
        if (task.lastStatus === 'RUNNING') {
          task.desiredStatus = 'STOPPED';
          task.lastStatus = 'STOPPING';
        } else if (task.lastStatus === 'STOPPING') task.lastStatus = 'STOPPED';
      }
    }
  }

  stopStoppingTasks() {
    for (const task of this.tasks) if (task.desiredStatus === 'STOPPED') task.lastStatus = 'STOPPED';
  }

  install() {
    ecsMock.reset();
    asgMock.reset();
    const toTask = (task: FakeTask): Task => ({
      taskArn: this.taskArn(task),
      clusterArn: CLUSTER_ARN,
      group: task.group,
      startedBy: task.startedBy,
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus,
      containerInstanceArn: this.instances.get(task.instanceId)?.arn,
    });
    ecsMock.on(ListContainerInstancesCommand).callsFake((input: { filter?: string; status?: string }) => {
      // `ec2InstanceId == i-...` or `ec2InstanceId in ['i-...', ...]`; no status: all but INACTIVE.
      const filter = input.filter ?? '';
      const one = /ec2InstanceId == (\S+)/.exec(filter)?.[1];
      const ids = one ? [one] : [...filter.matchAll(/'(i-[0-9a-f]+)'/g)].map((match) => match[1] as string);
      const arns = ids.flatMap((id) => {
        const instance = this.instances.get(id);
        if (!instance) return [];
        const listed = input.status ? instance.status === input.status : instance.status !== 'INACTIVE';
        return listed ? [instance.arn] : [];
      });
      return { containerInstanceArns: arns };
    });
    ecsMock.on(DescribeContainerInstancesCommand).callsFake((input: { containerInstances: string[] }) => ({
      containerInstances: [...this.instances.entries()]
        .filter(([, instance]) => input.containerInstances.includes(instance.arn))
        .map(
          ([ec2InstanceId, instance]): ContainerInstance => ({
            containerInstanceArn: instance.arn,
            ec2InstanceId,
            status: instance.status,
            agentConnected: instance.agentConnected,
          }),
        ),
      failures: [],
    }));
    ecsMock
      .on(UpdateContainerInstancesStateCommand)
      .callsFake((input: { containerInstances: string[]; status: string }) => {
        for (const instance of this.instances.values()) {
          if (input.containerInstances.includes(instance.arn)) instance.status = input.status;
        }
        return { containerInstances: [], failures: [] };
      });
    ecsMock
      .on(ListTasksCommand)
      .callsFake((input: { containerInstance?: string; desiredStatus?: string }) => {
        const id = [...this.instances.entries()].find(
          ([, instance]) => instance.arn === input.containerInstance,
        )?.[0];
        return {
          taskArns: this.tasks
            .filter(
              (task) => task.instanceId === id && task.desiredStatus === (input.desiredStatus ?? 'RUNNING'),
            )
            .map(this.taskArn),
        };
      });
    ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: this.tasks.filter((task) => input.tasks.includes(this.taskArn(task))).map(toTask),
      failures: [],
    }));
    ecsMock.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
      services: input.services
        .filter((name) => this.services[name])
        .map((serviceName) => ({ serviceName, schedulingStrategy: this.services[serviceName] })),
      failures: input.services
        .filter((name) => !this.services[name])
        .map((name) => ({ arn: name, reason: 'MISSING' })),
    }));
    ecsMock.on(StopTaskCommand).callsFake((input: { task: string }) => {
      const task = this.tasks.find((candidate) => this.taskArn(candidate) === input.task);
      if (task) task.desiredStatus = 'STOPPED';
      return { task: task ? toTask(task) : undefined };
    });

    asgMock.on(DescribeLifecycleHooksCommand).callsFake(() => ({ LifecycleHooks: this.hooks }));
    asgMock.on(DescribeAutoScalingGroupsCommand).callsFake((input: { AutoScalingGroupNames?: string[] }) => ({
      AutoScalingGroups: (input.AutoScalingGroupNames ?? [GROUP])
        .filter((name) => name === GROUP)
        .map((name) => ({
          AutoScalingGroupName: name,
          MinSize: 0,
          MaxSize: 10,
          DesiredCapacity: 3,
          Tags: this.groupTags.map((tag) => ({
            ...tag,
            ResourceId: name,
            ResourceType: 'auto-scaling-group',
          })),
          Instances: [...this.lifecycle.entries()].map(([InstanceId, LifecycleState]) => ({
            InstanceId,
            LifecycleState,
            AvailabilityZone: 'us-east-1a',
            HealthStatus: 'Healthy',
            ProtectedFromScaleIn: false,
          })),
        })),
    }));
    asgMock.on(DescribeAutoScalingInstancesCommand).callsFake((input: { InstanceIds: string[] }) => ({
      AutoScalingInstances: input.InstanceIds.filter((id) => this.lifecycle.has(id)).map((InstanceId) => ({
        InstanceId,
        AutoScalingGroupName: GROUP,
        LifecycleState: this.lifecycle.get(InstanceId),
      })),
    }));
    const lifecycleCall = (input: { InstanceId: string; LifecycleHookName: string }, complete: boolean) => {
      if (input.LifecycleHookName !== HOOK || !this.openActions.has(input.InstanceId)) {
        throw noActiveAction(input.InstanceId);
      }
      if (complete) {
        this.openActions.delete(input.InstanceId);
        this.completed.push(input.InstanceId);
        this.lifecycle.set(input.InstanceId, 'Terminating:Proceed');
      }
      return {};
    };
    asgMock.on(CompleteLifecycleActionCommand).callsFake((input) => lifecycleCall(input, true));
    asgMock.on(RecordLifecycleActionHeartbeatCommand).callsFake((input) => lifecycleCall(input, false));
  }
}

/** A Lambda context whose remaining time follows Date.now(), so faked time also spends the budget. */
export function lambdaContext(
  timeoutMs: number,
  requestId = `req-${Math.random().toString(36).slice(2)}`,
): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'drain-instance',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:drain-instance',
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/drain-instance',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Environment of the handler under test. */
export const BASE_ENV = {
  AUTO_SCALING_GROUPS: GROUP,
  LIFECYCLE_HOOK_NAMES: HOOK,
  DEFAULT_CLUSTER: '',
  CLUSTERS: '',
  STATE_TABLE: TABLE,
  DRY_RUN: 'false',
  POLL_INTERVAL_SECONDS: '10',
  HEARTBEAT_INTERVAL_SECONDS: '60',
  DRAIN_DEADLINE_SECONDS: '3600',
  STANDALONE_TASK_POLICY: '',
  RECONCILE_MAX_INSTANCES: '25',
  MAX_DRAINING_PER_CLUSTER: '5',
  BLOCKED_DRAIN_DEADLINE_SECONDS: '172800',
};
