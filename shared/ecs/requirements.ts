/**
 * What a task needs from a container instance, and whether an instance's free resources can hold it.
 * Input types are structural: SDK TaskDefinition and TaskOverride objects pass straight in.
 */
import { parseCpu, parseMemory } from './task-size';

export interface PortMappingLike {
  containerPort?: number | undefined;
  hostPort?: number | undefined;
  protocol?: string | undefined;
  containerPortRange?: string | undefined;
}

export interface ResourceRequirementLike {
  type?: string | undefined;
  value?: string | undefined;
}

export interface ContainerDefinitionLike {
  name?: string | undefined;
  cpu?: number | undefined;
  memory?: number | undefined;
  memoryReservation?: number | undefined;
  portMappings?: readonly PortMappingLike[] | undefined;
  resourceRequirements?: readonly ResourceRequirementLike[] | undefined;
}

export interface TaskDefinitionLike {
  cpu?: string | undefined;
  memory?: string | undefined;
  networkMode?: string | undefined;
  containerDefinitions?: readonly ContainerDefinitionLike[] | undefined;
}

export interface ContainerOverrideLike {
  name?: string | undefined;
  cpu?: number | undefined;
  memory?: number | undefined;
  memoryReservation?: number | undefined;
  resourceRequirements?: readonly ResourceRequirementLike[] | undefined;
}

export interface TaskOverridesLike {
  cpu?: string | undefined;
  memory?: string | undefined;
  containerOverrides?: readonly ContainerOverrideLike[] | undefined;
}

/** Host ports, each list sorted ascending without duplicates. */
export interface HostPorts {
  tcp: number[];
  udp: number[];
}

/** What one task reserves on a container instance. */
export interface ResourceShape {
  /** CPU units. */
  cpu: number;
  memoryMiB: number;
  gpus: number;
  /** Fixed host ports (bridge or host networking); dynamic ports are not counted. */
  hostPorts: HostPorts;
  /** Elastic network interfaces: one for awsvpc, else none. */
  enis: number;
}

/**
 * An amount of instance resources (registered, or remaining). `ports` are the host ports already
 * taken, as ECS reports them; `enis` is how many more task ENIs fit (Infinity when not modelled).
 */
export interface Resources {
  cpu: number;
  memoryMiB: number;
  gpus: number;
  ports: HostPorts;
  enis: number;
}

/** The RunTask failure reason each shortfall maps to (`RESOURCE:<kind>`). */
export type ResourceKind = 'CPU' | 'MEMORY' | 'GPU' | 'PORTS' | 'ENI';

/**
 * Resources one task of this definition reserves, with RunTask/StartTask overrides applied. Follows the
 * ECS scheduler: task-level cpu/memory when set, else the sum over containers (memoryReservation,
 * else memory); fixed host ports for bridge and host networking; one ENI for awsvpc.
 */
export function taskRequirements(
  taskDefinition: TaskDefinitionLike,
  overrides?: TaskOverridesLike,
): ResourceShape {
  const containers = (taskDefinition.containerDefinitions ?? []).map((container) =>
    mergeOverride(
      container,
      overrides?.containerOverrides?.find((o) => o.name !== undefined && o.name === container.name),
    ),
  );
  const taskCpu = overrides?.cpu ?? taskDefinition.cpu;
  const taskMemory = overrides?.memory ?? taskDefinition.memory;
  const networkMode = taskDefinition.networkMode ?? 'bridge';

  const cpu = present(taskCpu) ? parseCpu(taskCpu) : sum(containers.map((container) => container.cpu ?? 0));
  const memoryMiB = present(taskMemory)
    ? parseMemory(taskMemory)
    : sum(containers.map((container) => container.memoryReservation ?? container.memory ?? 0));
  const gpus = sum(containers.map((container) => gpuCount(container.resourceRequirements)));

  const tcp = new Set<number>();
  const udp = new Set<number>();
  if (networkMode === 'bridge' || networkMode === 'host') {
    for (const container of containers) {
      for (const mapping of container.portMappings ?? []) {
        const target = mapping.protocol?.toLowerCase() === 'udp' ? udp : tcp;
        for (const port of fixedHostPorts(mapping, networkMode)) target.add(port);
      }
    }
  }
  return {
    cpu,
    memoryMiB,
    gpus,
    hostPorts: { tcp: sortedNumbers(tcp), udp: sortedNumbers(udp) },
    enis: networkMode === 'awsvpc' ? 1 : 0,
  };
}

function mergeOverride(
  container: ContainerDefinitionLike,
  override?: ContainerOverrideLike,
): ContainerDefinitionLike {
  if (!override) return container;
  return {
    ...container,
    cpu: override.cpu ?? container.cpu,
    memory: override.memory ?? container.memory,
    memoryReservation: override.memoryReservation ?? container.memoryReservation,
    // An override's GPU requirement replaces the definition's.
    resourceRequirements: override.resourceRequirements?.some(isGpu)
      ? override.resourceRequirements
      : container.resourceRequirements,
  };
}

const isGpu = (requirement: ResourceRequirementLike) => requirement.type === 'GPU';

function gpuCount(requirements: readonly ResourceRequirementLike[] | undefined): number {
  return sum((requirements ?? []).filter(isGpu).map((requirement) => Number(requirement.value ?? 0) || 0));
}

/** Host mode binds the container port itself; bridge binds hostPort, where 0 or unset means dynamic. */
function fixedHostPorts(mapping: PortMappingLike, networkMode: 'bridge' | 'host'): number[] {
  if (networkMode === 'host') {
    if (mapping.containerPortRange) return expandRange(mapping.containerPortRange);
    const port = mapping.hostPort || mapping.containerPort;
    return port ? [port] : [];
  }
  return mapping.hostPort ? [mapping.hostPort] : [];
}

function expandRange(range: string): number[] {
  const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(range);
  if (!match) return [];
  const from = Number(match[1]);
  const to = Number(match[2]);
  const ports: number[] = [];
  for (let port = from; port <= to; port++) ports.push(port);
  return ports;
}

const present = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const sortedNumbers = (values: Iterable<number>) => [...new Set(values)].sort((a, b) => a - b);

/** A stable key for grouping tasks of identical shape. */
export function shapeKey(shape: ResourceShape): string {
  const ports = (list: number[]) => sortedNumbers(list).join('|');
  return `cpu=${shape.cpu};mem=${shape.memoryMiB};gpu=${shape.gpus};eni=${shape.enis};tcp=${ports(shape.hostPorts.tcp)};udp=${ports(shape.hostPorts.udp)}`;
}

/** The first resource the free amount lacks for this shape, in the order ECS reports them; undefined when it fits. */
export function shortfall(shape: ResourceShape, free: Resources): ResourceKind | undefined {
  if (shape.cpu > free.cpu) return 'CPU';
  if (shape.memoryMiB > free.memoryMiB) return 'MEMORY';
  if (shape.gpus > free.gpus) return 'GPU';
  if (overlaps(shape.hostPorts.tcp, free.ports.tcp) || overlaps(shape.hostPorts.udp, free.ports.udp))
    return 'PORTS';
  if (shape.enis > free.enis) return 'ENI';
  return undefined;
}

export const fits = (shape: ResourceShape, free: Resources): boolean => shortfall(shape, free) === undefined;

/** Free resources after placing one task of this shape. Does not check that it fits. */
export function subtract(free: Resources, shape: ResourceShape): Resources {
  return {
    cpu: free.cpu - shape.cpu,
    memoryMiB: free.memoryMiB - shape.memoryMiB,
    gpus: free.gpus - shape.gpus,
    ports: {
      tcp: sortedNumbers([...free.ports.tcp, ...shape.hostPorts.tcp]),
      udp: sortedNumbers([...free.ports.udp, ...shape.hostPorts.udp]),
    },
    enis: free.enis - shape.enis,
  };
}

/** Free resources after a task of this shape stops: the inverse of subtract. */
export function release(free: Resources, shape: ResourceShape): Resources {
  const without = (taken: number[], freed: number[]) => taken.filter((port) => !freed.includes(port));
  return {
    cpu: free.cpu + shape.cpu,
    memoryMiB: free.memoryMiB + shape.memoryMiB,
    gpus: free.gpus + shape.gpus,
    ports: {
      tcp: without(free.ports.tcp, shape.hostPorts.tcp),
      udp: without(free.ports.udp, shape.hostPorts.udp),
    },
    enis: free.enis + shape.enis,
  };
}

/** How many tasks of this shape fit in the free amount (host ports allow at most one). */
export function capacityFor(shape: ResourceShape, free: Resources): number {
  if (!fits(shape, free)) return 0;
  const bounds = [
    shape.cpu > 0 ? Math.floor(free.cpu / shape.cpu) : Number.POSITIVE_INFINITY,
    shape.memoryMiB > 0 ? Math.floor(free.memoryMiB / shape.memoryMiB) : Number.POSITIVE_INFINITY,
    shape.gpus > 0 ? Math.floor(free.gpus / shape.gpus) : Number.POSITIVE_INFINITY,
    shape.enis > 0 ? Math.floor(free.enis / shape.enis) : Number.POSITIVE_INFINITY,
    shape.hostPorts.tcp.length + shape.hostPorts.udp.length > 0 ? 1 : Number.POSITIVE_INFINITY,
  ];
  return Math.min(...bounds);
}

function overlaps(wanted: readonly number[], taken: readonly number[]): boolean {
  if (wanted.length === 0 || taken.length === 0) return false;
  const takenSet = new Set(taken);
  return wanted.some((port) => takenSet.has(port));
}

/** An empty shape, useful as a starting point. */
export const emptyResources = (): Resources => ({
  cpu: 0,
  memoryMiB: 0,
  gpus: 0,
  ports: { tcp: [], udp: [] },
  enis: 0,
});
