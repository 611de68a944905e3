/**
 * A container instance as the rules see it. toInstanceView takes an SDK ContainerInstance (or
 * anything shaped like one) and turns its resource and attribute lists into plain fields.
 */
import type { HostPorts, Resources } from './requirements';

export type ContainerInstanceStatus =
  | 'ACTIVE'
  | 'DRAINING'
  | 'INACTIVE'
  | 'REGISTERING'
  | 'REGISTRATION_FAILED'
  | 'DEREGISTERING'
  // Statuses ECS adds later pass through unchanged.
  | (string & {});

export interface InstanceView {
  arn: string;
  ec2InstanceId: string | undefined;
  status: ContainerInstanceStatus;
  agentConnected: boolean;
  registered: Resources;
  remaining: Resources;
  /** ecs.instance-type, ecs.availability-zone, ecs.os-type, ecs.ami-id, custom ones... Value undefined for valueless attributes. */
  attributes: Record<string, string | undefined>;
  runningTasksCount: number;
  pendingTasksCount: number;
  registeredAt?: Date | undefined;
  agentVersion?: string | undefined;
  capacityProviderName?: string | undefined;
  /** Groups of the tasks on the instance ("service:api", "family:report"); needed to evaluate task:group. */
  taskGroups?: string[] | undefined;
}

export interface ResourceLike {
  name?: string | undefined;
  type?: string | undefined;
  integerValue?: number | undefined;
  longValue?: number | undefined;
  doubleValue?: number | undefined;
  stringSetValue?: readonly string[] | undefined;
}

export interface AttributeLike {
  name: string | undefined;
  value?: string | undefined;
}

export interface ContainerInstanceLike {
  containerInstanceArn?: string | undefined;
  ec2InstanceId?: string | undefined;
  capacityProviderName?: string | undefined;
  versionInfo?: { agentVersion?: string | undefined } | undefined;
  remainingResources?: readonly ResourceLike[] | undefined;
  registeredResources?: readonly ResourceLike[] | undefined;
  status?: string | undefined;
  agentConnected?: boolean | undefined;
  runningTasksCount?: number | undefined;
  pendingTasksCount?: number | undefined;
  attributes?: readonly AttributeLike[] | undefined;
  registeredAt?: Date | string | number | undefined;
}

export interface InstanceViewOptions {
  /** Groups of the tasks on the instance, when the caller has described them. */
  taskGroups?: readonly string[] | undefined;
  /**
   * Task ENIs the instance can take (registered) and has left (remaining). ECS does not report
   * them on the container instance; by default they are not a limit (Infinity).
   */
  taskEnis?: { registered: number; remaining: number } | undefined;
}

/** Converts ECS's resource lists (CPU, MEMORY, PORTS, PORTS_UDP, GPU) into Resources. */
export function toResources(
  list: readonly ResourceLike[] | undefined,
  enis = Number.POSITIVE_INFINITY,
): Resources {
  const byName = new Map((list ?? []).map((resource) => [resource.name, resource]));
  const numberOf = (name: string) => {
    const resource = byName.get(name);
    return resource?.integerValue ?? resource?.longValue ?? resource?.doubleValue ?? 0;
  };
  const ports = (name: string) =>
    [...new Set((byName.get(name)?.stringSetValue ?? []).map(Number).filter(Number.isInteger))].sort(
      (a, b) => a - b,
    );
  const hostPorts: HostPorts = { tcp: ports('PORTS'), udp: ports('PORTS_UDP') };
  return {
    cpu: numberOf('CPU'),
    memoryMiB: numberOf('MEMORY'),
    gpus: byName.get('GPU')?.stringSetValue?.length ?? 0,
    ports: hostPorts,
    enis,
  };
}

export function toInstanceView(
  instance: ContainerInstanceLike,
  options: InstanceViewOptions = {},
): InstanceView {
  const attributes: Record<string, string | undefined> = {};
  for (const attribute of instance.attributes ?? []) {
    if (attribute.name) attributes[attribute.name] = attribute.value;
  }
  const registeredAt = instance.registeredAt === undefined ? undefined : new Date(instance.registeredAt);
  return {
    arn: instance.containerInstanceArn ?? '',
    ec2InstanceId: instance.ec2InstanceId,
    status: instance.status ?? 'UNKNOWN',
    agentConnected: instance.agentConnected ?? false,
    registered: toResources(instance.registeredResources, options.taskEnis?.registered),
    remaining: toResources(instance.remainingResources, options.taskEnis?.remaining),
    attributes,
    runningTasksCount: instance.runningTasksCount ?? 0,
    pendingTasksCount: instance.pendingTasksCount ?? 0,
    registeredAt: registeredAt && !Number.isNaN(registeredAt.getTime()) ? registeredAt : undefined,
    agentVersion: instance.versionInfo?.agentVersion,
    capacityProviderName: instance.capacityProviderName,
    taskGroups: options.taskGroups ? [...options.taskGroups] : undefined,
  };
}

/** The instance's Availability Zone and type, from the attributes the agent registers. */
export const availabilityZoneOf = (view: InstanceView) => view.attributes['ecs.availability-zone'];
export const instanceTypeOf = (view: InstanceView) => view.attributes['ecs.instance-type'];

/** ACTIVE with a connected agent: the only state ECS places new tasks on. */
export const acceptsTasks = (view: InstanceView): boolean => view.status === 'ACTIVE' && view.agentConnected;
