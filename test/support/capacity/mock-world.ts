// Test helper: a small ECS + Auto Scaling + state-table world answered by aws-sdk-client-mock, and one
// scale-capacity pass (reconcile.handleCapacityEvent) run against it. Imported by tests only.
import {
  type Activity,
  AutoScalingClient,
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeLifecycleHooksCommand,
  DescribeScalingActivitiesCommand,
  type InstanceRefresh,
  type LifecycleHook,
  type LifecycleState,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  type Attachment,
  type ContainerInstance,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  GetTaskProtectionCommand,
  ListContainerInstancesCommand,
  ListServicesCommand,
  ListTasksCommand,
  type Service,
  type Task,
  type TaskDefinition,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { loadScaleCapacityConfig } from '../../../functions/scale-capacity/config';
import {
  type CapacitySummary,
  handleCapacityEvent,
  type WaitingTasks,
} from '../../../functions/scale-capacity/reconcile';
import { clearTaskDefinitionCache } from '../../../shared/aws/ecs';
import { parseCapacityEvent } from '../../../shared/capacity/events';
import { observability } from '../../../shared/runtime/observability';

export const ecsMock = mockClient(ECSClient);
export const asgMock = mockClient(AutoScalingClient);
export const ddbMock = mockClient(DynamoDBDocumentClient);

export const NOW = Date.parse('2025-01-15T03:05:00Z');
export const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
export const tdArn = (name: string) => `arn:aws:ecs:us-east-1:123456789012:task-definition/${name}`;
export const ciArn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:container-instance/web/${id}`;
export const taskArn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/web/${id}`;

export const BASE_DEFINITIONS: Record<string, TaskDefinition> = {
  'api:3': {
    family: 'api',
    revision: 3,
    networkMode: 'bridge',
    containerDefinitions: [{ name: 'api', cpu: 512, memoryReservation: 1024 }],
  },
  'log-router:2': {
    family: 'log-router',
    revision: 2,
    networkMode: 'bridge',
    cpu: '128',
    memory: '256',
    containerDefinitions: [{ name: 'log-router' }],
  },
};

export interface WorldInstance {
  id: string;
  zone?: string;
  type?: string;
  cpuFree: number;
  memFree: number;
  /** runningTasksCount as ECS reports it (daemon tasks included). */
  running: number;
  pending?: number;
  lifecycle?: string;
  protected?: boolean;
  /** Auto Scaling's HealthStatus (default Healthy). */
  health?: string;
  status?: string;
  agentConnected?: boolean;
  attributes?: Record<string, string>;
  /** false: in the group, not registered with the cluster. */
  registered?: boolean;
  /** Tasks on the instance, for ListTasks(containerInstance) + DescribeTasks. */
  tasks?: Task[];
  registeredCpu?: number;
  registeredMem?: number;
  /** When it registered with the cluster (default 2025-01-15T01:00:00Z). */
  registeredAt?: Date;
  /** The container instance's attachments (task ENIs, a trunk interface). */
  attachments?: Attachment[];
}

export interface World {
  instances: WorldInstance[];
  services: Service[];
  definitions?: Record<string, TaskDefinition>;
  group?: Partial<AutoScalingGroup>;
  /** instance id -> idle since (ISO). */
  idleSince?: Record<string, string>;
  activities?: Activity[];
  /** Tasks DescribeTasks knows besides those on instances (e.g. PROVISIONING ones). */
  extraTasks?: Task[];
  clusterDefault?: { capacityProvider: string; weight?: number; base?: number }[];
  /** Stall markers in the state table (capacity#web#stall). */
  stalls?: Record<string, unknown>[];
  /** When the desired capacity was last raised while launches failed (capacity#web#launch). */
  failingRaiseAt?: string;
  /** The group's instance refreshes, newest first (none by default). */
  refreshes?: InstanceRefresh[];
  /** Tasks with scale-in protection (UpdateTaskProtection): task ARN -> its expiration, or true for none. */
  taskProtection?: Record<string, Date | true>;
  /** The group's lifecycle hooks; by default the sample's terminate hook (drain-instance). */
  lifecycleHooks?: LifecycleHook[];
}

export const DRAIN_HOOK: LifecycleHook = {
  LifecycleHookName: 'ecs-autopilot-drain',
  AutoScalingGroupName: 'web-asg',
  LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
  HeartbeatTimeout: 300,
  DefaultResult: 'CONTINUE',
  NotificationMetadata: '{"cluster":"web"}',
};

export function mockWorld(world: World) {
  ecsMock.reset();
  asgMock.reset();
  ddbMock.reset();
  clearTaskDefinitionCache();
  const definitions = { ...BASE_DEFINITIONS, ...(world.definitions ?? {}) };
  const registered = world.instances.filter((instance) => instance.registered !== false);
  const allTasks = [...registered.flatMap((instance) => instance.tasks ?? []), ...(world.extraTasks ?? [])];

  ecsMock.on(DescribeCapacityProvidersCommand).resolves({
    capacityProviders: [
      {
        name: 'web-asg-cp',
        status: 'ACTIVE',
        autoScalingGroupProvider: {
          autoScalingGroupArn:
            'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1f2e3d4c:autoScalingGroupName/web-asg',
          managedScaling: { status: 'DISABLED' },
        },
      },
    ],
  });
  ecsMock.on(DescribeClustersCommand).resolves({
    clusters: [
      {
        clusterName: 'web',
        defaultCapacityProviderStrategy: world.clusterDefault ?? [
          { capacityProvider: 'web-asg-cp', weight: 1 },
        ],
      },
    ],
  });
  ecsMock
    .on(ListContainerInstancesCommand)
    .resolves({ containerInstanceArns: registered.map((instance) => ciArn(instance.id)) });
  const containerInstances: ContainerInstance[] = registered.map((instance) => ({
    containerInstanceArn: ciArn(instance.id),
    ec2InstanceId: instance.id,
    status: instance.status ?? 'ACTIVE',
    agentConnected: instance.agentConnected ?? true,
    runningTasksCount: instance.running,
    pendingTasksCount: instance.pending ?? 0,
    registeredAt: instance.registeredAt ?? new Date('2025-01-15T01:00:00Z'),
    ...(instance.attachments ? { attachments: instance.attachments } : {}),
    registeredResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: instance.registeredCpu ?? 2048 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: instance.registeredMem ?? 7680 },
    ],
    remainingResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: instance.cpuFree },
      { name: 'MEMORY', type: 'INTEGER', integerValue: instance.memFree },
    ],
    attributes: [
      { name: 'ecs.instance-type', value: instance.type ?? 'm5.large' },
      { name: 'ecs.availability-zone', value: instance.zone ?? 'us-east-1a' },
      ...Object.entries(instance.attributes ?? {}).map(([name, value]) => ({ name, value })),
    ],
  }));
  ecsMock.on(DescribeContainerInstancesCommand).callsFake((input: { containerInstances: string[] }) => ({
    containerInstances: containerInstances.filter((ci) =>
      input.containerInstances.includes(ci.containerInstanceArn as string),
    ),
  }));
  ecsMock.on(ListServicesCommand).resolves({
    serviceArns: world.services.map(
      (service) => `arn:aws:ecs:us-east-1:123456789012:service/web/${service.serviceName}`,
    ),
  });
  ecsMock.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
    services: world.services.filter((service) => input.services.includes(service.serviceName as string)),
  }));
  ecsMock.on(UpdateContainerInstancesStateCommand).resolves({ containerInstances: [], failures: [] });
  ecsMock.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
    const name = input.taskDefinition.slice(input.taskDefinition.lastIndexOf('/') + 1);
    const definition = definitions[name];
    if (!definition) throw new Error(`no task definition ${name}`);
    return { taskDefinition: { ...definition, taskDefinitionArn: tdArn(name) } };
  });
  ecsMock
    .on(ListTasksCommand)
    .callsFake((input: { containerInstance?: string; serviceName?: string; family?: string }) => {
      const matching = allTasks.filter(
        (task) =>
          (input.containerInstance === undefined || task.containerInstanceArn === input.containerInstance) &&
          (input.serviceName === undefined || task.group === `service:${input.serviceName}`) &&
          (input.family === undefined || task.group === `family:${input.family}`) &&
          task.desiredStatus !== 'STOPPED',
      );
      return { taskArns: matching.map((task) => task.taskArn as string) };
    });
  ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: allTasks.filter((task) => input.tasks.includes(task.taskArn as string)),
  }));
  ecsMock.on(GetTaskProtectionCommand).callsFake((input: { tasks: string[] }) => ({
    protectedTasks: input.tasks.map((arn) => {
      const until = world.taskProtection?.[arn];
      return {
        taskArn: arn,
        protectionEnabled: until !== undefined,
        ...(until instanceof Date ? { expirationDate: until } : {}),
      };
    }),
    failures: [],
  }));

  asgMock.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'web-asg',
        MinSize: 0,
        MaxSize: 20,
        DesiredCapacity: world.instances.length,
        DefaultCooldown: 300,
        AvailabilityZones: ZONES,
        HealthCheckType: 'EC2',
        CreatedTime: new Date('2025-01-01T00:00:00Z'),
        Instances: world.instances.map((instance) => ({
          InstanceId: instance.id,
          InstanceType: instance.type ?? 'm5.large',
          AvailabilityZone: instance.zone ?? 'us-east-1a',
          LifecycleState: (instance.lifecycle ?? 'InService') as LifecycleState,
          HealthStatus: instance.health ?? 'Healthy',
          ProtectedFromScaleIn: instance.protected ?? false,
        })),
        ...(world.group ?? {}),
      },
    ],
  });
  asgMock
    .on(DescribeLifecycleHooksCommand)
    .resolves({ LifecycleHooks: world.lifecycleHooks ?? [DRAIN_HOOK] });
  asgMock.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: world.refreshes ?? [] });
  asgMock.on(DescribeScalingActivitiesCommand).resolves({ Activities: world.activities ?? [] });
  asgMock.on(SetDesiredCapacityCommand).resolves({});
  asgMock.on(SetInstanceProtectionCommand).resolves({});
  asgMock.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});
  ddbMock.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => {
    const pk = input.ExpressionAttributeValues[':pk'];
    if (pk === 'capacity#web#idle') {
      return {
        Items: Object.entries(world.idleSince ?? {}).map(([id, since]) => ({
          pk,
          sk: `web-asg-cp#${id}`,
          since,
          ttl: NOW / 1000 + 3600,
        })),
      };
    }
    if (pk === 'capacity#web#stall') {
      return {
        Items: (world.stalls ?? []).map((stall) => ({
          pk,
          sk: `web-asg-cp#${stall.source}`,
          ttl: NOW / 1000 + 600,
          ...stall,
        })),
      };
    }
    if (pk === 'capacity#web#launch' && world.failingRaiseAt) {
      return { Items: [{ pk, sk: 'web-asg-cp', raisedAt: world.failingRaiseAt, ttl: NOW / 1000 + 86_400 }] };
    }
    return { Items: [] };
  });
  ddbMock.on(PutCommand).resolves({});
  ddbMock.on(DeleteCommand).resolves({});
}

export const ENV = {
  CAPACITY_PROVIDERS: 'web-asg-cp',
  DEFAULT_CLUSTER: 'web',
  STATE_TABLE: 'ecs-autopilot-state',
  DRY_RUN: 'false',
};

export const tick = {
  version: '0',
  id: '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e60',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2025-01-15T03:05:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {},
};

export const tools = observability('scale-capacity-test');

export async function runPass(
  event: unknown = tick,
  env: Record<string, string> = {},
  options: {
    now?: number;
    passes?: Map<string, number>;
    waiting?: WaitingTasks;
    familyScans?: Map<string, number>;
    clock?: () => number;
  } = {},
): Promise<CapacitySummary> {
  const config = loadScaleCapacityConfig({ ...ENV, ...env });
  return handleCapacityEvent(parseCapacityEvent(event), {
    config,
    ...tools,
    now: options.clock ?? (() => options.now ?? NOW),
    ...(options.passes ? { passes: options.passes } : {}),
    ...(options.waiting ? { waiting: options.waiting } : {}),
    ...(options.familyScans ? { familyScans: options.familyScans } : {}),
  });
}

/** The api service (512 CPU / 1024 MiB memoryReservation) and the log-router daemon. */
export function apiService(desired: number, running: number, extra: Partial<Service> = {}): Service {
  return {
    serviceName: 'api',
    status: 'ACTIVE',
    schedulingStrategy: 'REPLICA',
    desiredCount: desired,
    runningCount: running,
    pendingCount: 0,
    taskDefinition: tdArn('api:3'),
    capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1 }],
    ...extra,
  };
}

export const logRouter: Service = {
  serviceName: 'log-router',
  status: 'ACTIVE',
  schedulingStrategy: 'DAEMON',
  desiredCount: 3,
  runningCount: 3,
  taskDefinition: tdArn('log-router:2'),
};
