/**
 * ECS resource shapes as the API and the events carry them. Describe* responses carry timestamps as
 * epoch seconds, events as ISO strings: one builder, two time formats.
 */
import type {
  ClusterRecord,
  ContainerInstanceRecord,
  Resources,
  ServiceRecord,
  Tag,
  TaskDefinitionRecord,
  TaskRecord,
} from './types';

export type TimeFormat = (ms: number | undefined) => number | string | undefined;

export const epochSeconds: TimeFormat = (ms) => (ms === undefined ? undefined : ms / 1000);
export const isoTime: TimeFormat = (ms) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** Drops undefined fields, as a JSON response would. */
function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export const ecsTags = (tags: Tag[]) => tags.map((tag) => ({ key: tag.key, value: tag.value }));

export function resourceList(resources: Resources) {
  return [
    { name: 'CPU', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: resources.cpu },
    { name: 'MEMORY', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: resources.memory },
    {
      name: 'PORTS',
      type: 'STRINGSET',
      doubleValue: 0,
      longValue: 0,
      integerValue: 0,
      stringSetValue: resources.ports.map(String),
    },
    {
      name: 'PORTS_UDP',
      type: 'STRINGSET',
      doubleValue: 0,
      longValue: 0,
      integerValue: 0,
      stringSetValue: resources.portsUdp.map(String),
    },
    ...(resources.gpus.length > 0
      ? [
          {
            name: 'GPU',
            type: 'STRINGSET',
            doubleValue: 0,
            longValue: 0,
            integerValue: 0,
            stringSetValue: resources.gpus,
          },
        ]
      : []),
  ];
}

export function taskView(
  task: TaskRecord,
  clusterArn: string,
  time: TimeFormat,
  options: { includeTags?: boolean; forEvent?: boolean } = {},
) {
  return compact({
    attachments:
      task.networkMode === 'awsvpc'
        ? [
            {
              id: `${task.id.slice(0, 8)}-eni0-attachment`,
              type: 'ElasticNetworkInterface',
              status: task.lastStatus === 'STOPPED' ? 'DELETED' : 'ATTACHED',
              details: [{ name: 'subnetId', value: 'subnet-0abc1234' }],
            },
          ]
        : [],
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: task.availabilityZone,
    capacityProviderName: task.capacityProviderName,
    clusterArn,
    connectivity: task.connectivityAt !== undefined ? 'CONNECTED' : undefined,
    connectivityAt: time(task.connectivityAt),
    containerInstanceArn: task.containerInstanceArn,
    containers: task.containers.map((container) =>
      compact({
        containerArn: container.arn,
        taskArn: task.arn,
        name: container.name,
        image: container.image,
        lastStatus: container.lastStatus,
        exitCode: container.exitCode,
        reason: container.reason,
        networkBindings: container.networkBindings,
        healthStatus: 'UNKNOWN',
        cpu: String(container.cpu),
        memory: container.memory === undefined ? undefined : String(container.memory),
        memoryReservation:
          container.memoryReservation === undefined ? undefined : String(container.memoryReservation),
      }),
    ),
    cpu: task.cpu,
    createdAt: time(task.createdAt),
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: false,
    executionStoppedAt: time(task.executionStoppedAt),
    group: task.group,
    healthStatus: 'UNKNOWN',
    lastStatus: task.lastStatus,
    launchType: task.launchType,
    memory: task.memory,
    overrides: { containerOverrides: [], inferenceAcceleratorOverrides: [], ...task.overrides },
    pullStartedAt: time(task.pullStartedAt),
    pullStoppedAt: time(task.pullStoppedAt),
    startedAt: time(task.startedAt),
    startedBy: task.startedBy,
    stopCode: task.stopCode,
    stoppedAt: time(task.stoppedAt),
    stoppedReason: task.stoppedReason,
    stoppingAt: time(task.stoppingAt),
    tags: options.includeTags ? ecsTags(task.tags) : options.forEvent ? undefined : [],
    taskArn: task.arn,
    taskDefinitionArn: task.taskDefinitionArn,
    updatedAt: options.forEvent ? time(task.updatedAt) : undefined,
    version: task.version,
  });
}

export function containerInstanceView(
  instance: ContainerInstanceRecord,
  clusterArn: string,
  remaining: Resources,
  counts: { running: number; pending: number },
  time: TimeFormat,
  options: { includeTags?: boolean; forEvent?: boolean; now?: number } = {},
) {
  return compact({
    agentConnected: instance.agentConnected,
    attachments: [],
    attributes: Object.entries(instance.attributes)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => ({ name, value })),
    capacityProviderName: instance.capacityProviderName,
    clusterArn: options.forEvent ? clusterArn : undefined,
    containerInstanceArn: instance.arn,
    ec2InstanceId: instance.ec2InstanceId,
    pendingTasksCount: counts.pending,
    registeredAt: time(instance.registeredAt),
    registeredResources: resourceList(instance.registered),
    remainingResources: resourceList(remaining),
    runningTasksCount: counts.running,
    status: instance.status,
    statusReason: instance.statusReason,
    tags: options.includeTags ? ecsTags(instance.tags) : undefined,
    updatedAt: options.forEvent ? time(options.now) : undefined,
    version: instance.version,
    versionInfo: { agentVersion: '1.89.0', agentHash: '0a1b2c3d', dockerVersion: 'DockerVersion: 25.0.8' },
  });
}

export function taskDefinitionView(definition: TaskDefinitionRecord, time: TimeFormat) {
  return compact({
    ...definition.extra,
    taskDefinitionArn: definition.arn,
    family: definition.family,
    revision: definition.revision,
    status: definition.status,
    networkMode: definition.networkMode,
    cpu: definition.cpu,
    memory: definition.memory,
    containerDefinitions: definition.containerDefinitions,
    placementConstraints: definition.placementConstraints,
    requiresCompatibilities: definition.requiresCompatibilities,
    compatibilities: ['EC2', ...(definition.networkMode === 'awsvpc' ? ['FARGATE'] : [])],
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.21' }],
    volumes: (definition.extra.volumes as unknown[] | undefined) ?? [],
    registeredAt: time(definition.registeredAt),
    registeredBy: 'arn:aws:iam::123456789012:role/deployer',
  });
}

export function clusterView(
  cluster: ClusterRecord,
  counts: {
    registeredContainerInstancesCount: number;
    runningTasksCount: number;
    pendingTasksCount: number;
    activeServicesCount: number;
  },
  include: { tags?: boolean; settings?: boolean },
) {
  return compact({
    clusterArn: cluster.arn,
    clusterName: cluster.name,
    status: cluster.status,
    ...counts,
    statistics: [],
    tags: include.tags ? ecsTags(cluster.tags) : undefined,
    settings: include.settings ? [{ name: 'containerInsights', value: 'disabled' }] : undefined,
    capacityProviders: cluster.capacityProviders,
    defaultCapacityProviderStrategy: cluster.defaultCapacityProviderStrategy.map((item) => ({
      capacityProvider: item.capacityProvider,
      weight: item.weight ?? 0,
      base: item.base ?? 0,
    })),
  });
}

export function serviceView(
  service: ServiceRecord,
  clusterArn: string,
  counts: { running: number; pending: number },
  time: TimeFormat,
  includeTags: boolean,
) {
  return compact({
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn,
    status: service.status,
    desiredCount: service.desiredCount,
    runningCount: counts.running,
    pendingCount: counts.pending,
    launchType: service.launchType,
    capacityProviderStrategy:
      service.capacityProviderStrategy.length > 0
        ? service.capacityProviderStrategy.map((item) => ({
            capacityProvider: item.capacityProvider,
            weight: item.weight ?? 1,
            base: item.base ?? 0,
          }))
        : undefined,
    taskDefinition: service.taskDefinitionArn,
    deploymentConfiguration: {
      ...service.deploymentConfiguration,
      deploymentCircuitBreaker: { enable: false, rollback: false },
    },
    deployments: [
      {
        id: service.deploymentId,
        status: 'PRIMARY',
        taskDefinition: service.taskDefinitionArn,
        desiredCount: service.desiredCount,
        runningCount: counts.running,
        pendingCount: counts.pending,
        failedTasks: 0,
        createdAt: time(service.createdAt),
        updatedAt: time(service.createdAt),
        rolloutState: 'COMPLETED',
      },
    ],
    events: service.events.map((event) => ({
      id: event.id,
      createdAt: time(event.createdAt),
      message: event.message,
    })),
    createdAt: time(service.createdAt),
    placementConstraints: service.placementConstraints,
    placementStrategy: service.placementStrategy,
    schedulingStrategy: service.schedulingStrategy,
    enableECSManagedTags: false,
    propagateTags: 'NONE',
    enableExecuteCommand: false,
    tags: includeTags ? ecsTags(service.tags) : undefined,
  });
}
