/**
 * Generated cluster workloads for the benchmark and the tests: deterministic from a seed, with the
 * shapes real ECS clusters run (CPU-heavy, memory-heavy and balanced services, fixed host ports,
 * distinctInstance, awsvpc tasks).
 */
import type {
  CapacitySnapshot,
  Demand,
  InstanceTypeResources,
  RegisteredInstance,
  Shape,
} from '../shared/capacity/snapshot';

/** Registered resources of common types (memory as the ECS agent registers it). */
export const SAMPLE_INSTANCE_TYPES: Record<string, InstanceTypeResources> = {
  'm5.large': { cpu: 2048, memoryMiB: 7680, gpus: 0, enis: 2 },
  'm5.xlarge': { cpu: 4096, memoryMiB: 15_576, gpus: 0, enis: 3 },
  'c5.2xlarge': { cpu: 8192, memoryMiB: 15_290, gpus: 0, enis: 3 },
  'r5.xlarge': { cpu: 4096, memoryMiB: 31_640, gpus: 0, enis: 3 },
  'm5.4xlarge': { cpu: 16_384, memoryMiB: 63_200, gpus: 0, enis: 7 },
};

/** mulberry32: small, fast and good enough for workloads. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface WorkloadOptions {
  instanceType?: string;
  shapes?: number;
  /** Roughly how many tasks in all (default: enough for 30 to 200 instances). */
  tasks?: number;
  ports?: boolean;
  distinct?: boolean;
  awsvpc?: boolean;
  daemonOverhead?: boolean;
  /** Ordinary services take at most 1/n of an instance in each resource (default 4). */
  serviceShare?: number;
}

const pick = <T>(next: () => number, values: readonly T[]): T =>
  values[Math.floor(next() * values.length)] as T;

export function emptyShape(cpu: number, memoryMiB: number): Shape {
  return { cpu, memoryMiB, gpus: 0, hostPorts: { tcp: [], udp: [] }, enis: 0 };
}

/** A cluster with no instances yet and pending demand: what must be bought from nothing. */
export function generateWorkload(seed: number, options: WorkloadOptions = {}): CapacitySnapshot {
  const next = random(seed);
  const typeName =
    options.instanceType ?? pick(next, ['m5.xlarge', 'c5.2xlarge', 'r5.xlarge', 'm5.4xlarge', 'm5.large']);
  const type = SAMPLE_INSTANCE_TYPES[typeName] as InstanceTypeResources;
  const overhead = (options.daemonOverhead ?? next() < 0.5) ? emptyShape(128, 256) : emptyShape(0, 0);
  const room = { cpu: type.cpu - overhead.cpu, memoryMiB: type.memoryMiB - overhead.memoryMiB };
  const shapeCount = options.shapes ?? 3 + Math.floor(next() * 10);
  const targetInstances = 30 + Math.floor(next() * 170);
  const demand: Demand[] = [];
  const weights = Array.from({ length: shapeCount }, () => 0.2 + next());
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  for (let index = 0; index < shapeCount; index++) {
    const kind = next();
    let cpu: number;
    let memoryMiB: number;
    if (kind < 0.35) {
      cpu = pick(next, [512, 1024, 1536, 2048, 3072]);
      memoryMiB = pick(next, [256, 512, 768, 1024, 1536]);
    } else if (kind < 0.7) {
      cpu = pick(next, [128, 256, 384, 512]);
      memoryMiB = pick(next, [1024, 1536, 2048, 3072, 4096, 6144]);
    } else if (kind < 0.93) {
      cpu = pick(next, [256, 512, 1024]);
      memoryMiB = cpu * pick(next, [2, 3, 4]);
    } else {
      // Large tasks: more than half an instance.
      cpu = Math.floor((room.cpu * (0.55 + next() * 0.4)) / 128) * 128;
      memoryMiB = Math.floor((room.memoryMiB * (0.3 + next() * 0.6)) / 256) * 256;
    }
    // Services are sized for their instance type (a few tasks per instance), except the large kind.
    const share = kind < 0.93 ? (options.serviceShare ?? 4) : 1;
    cpu = Math.max(128, Math.min(cpu, Math.floor(room.cpu / share / 128) * 128));
    memoryMiB = Math.max(128, Math.min(memoryMiB, Math.floor(room.memoryMiB / share / 128) * 128));
    const shape = emptyShape(cpu, memoryMiB);
    const special = next();
    let distinctInstance = false;
    if ((options.ports ?? true) && special < 0.12) shape.hostPorts.tcp.push(8080 + index);
    else if ((options.distinct ?? true) && special < 0.22) distinctInstance = true;
    else if ((options.awsvpc ?? true) && special < 0.3 && type.enis > 0) shape.enis = 1;
    demand.push({
      source: `service:svc-${index}`,
      group: `service:svc-${index}`,
      count: 0,
      shape,
      distinctInstance,
      newInstancesOnly: false,
    });
  }
  // Counts: the requested total, or as many tasks as fill the target number of instances.
  const share = (shape: Shape) => Math.max(shape.cpu / room.cpu, shape.memoryMiB / room.memoryMiB);
  const meanShare =
    demand.reduce((sum, item, index) => sum + share(item.shape) * (weights[index] as number), 0) /
    totalWeight;
  const targetTasks = options.tasks ?? Math.round(targetInstances / meanShare);
  demand.forEach((item, index) => {
    item.count = Math.max(1, Math.round(((weights[index] as number) / totalWeight) * targetTasks));
  });
  return {
    version: 1,
    takenAt: '2024-05-01T12:00:00.000Z',
    cluster: 'bench',
    capacityProvider: 'bench-cp',
    group: {
      name: 'bench-asg',
      min: 0,
      max: 100_000,
      desired: 0,
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      instanceTypes: [typeName],
    },
    instanceTypes: { [typeName]: type },
    newInstanceAttributes: {},
    daemonOverhead: overhead,
    settings: {
      scaleInAfterSeconds: 300,
      maxStep: 100_000,
      maxScaleIn: { percent: 10 },
      headroom: { tasks: 0 },
      consolidation: false,
      bootTimeoutSeconds: 600,
    },
    instances: [],
    launching: [],
    demand,
  };
}

/**
 * The decision-time case: `instances` registered instances with some free room each, and `tasks`
 * pending tasks in `shapes` shapes.
 */
export function generateLargeCluster(
  seed: number,
  { instances = 5000, tasks = 10_000, shapes = 50 } = {},
): CapacitySnapshot {
  const next = random(seed);
  const typeName = 'm5.xlarge';
  const type = SAMPLE_INSTANCE_TYPES[typeName] as InstanceTypeResources;
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const registered: RegisteredInstance[] = [];
  for (let index = 0; index < instances; index++) {
    const zone = zones[index % zones.length] as string;
    const busy = next() < 0.9;
    // Busy instances are mostly full, as a cluster that needs to grow is.
    const usedCpu = busy ? Math.floor(((0.7 + next() * 0.3) * type.cpu) / 128) * 128 : 128;
    const usedMemory = busy ? Math.floor(((0.6 + next() * 0.4) * type.memoryMiB) / 256) * 256 : 256;
    const id = `i-${index.toString(16).padStart(17, '0')}`;
    registered.push({
      id,
      arn: `arn:aws:ecs:us-east-1:123456789012:container-instance/bench/${id}`,
      instanceType: typeName,
      availabilityZone: zone,
      lifecycleState: 'InService',
      status: 'ACTIVE',
      agentConnected: true,
      protectedFromScaleIn: busy,
      registeredAt: '2024-05-01T08:00:00.000Z',
      free: { cpu: type.cpu - usedCpu, memoryMiB: type.memoryMiB - usedMemory, gpus: 0, enis: type.enis },
      portsInUse: { tcp: [22, 2375, 2376, 51678, 51679], udp: [] },
      attributes: {
        'ecs.instance-type': typeName,
        'ecs.availability-zone': zone,
        stack: index % 2 ? 'blue' : 'green',
      },
      taskGroups: busy ? [`service:svc-${index % shapes}`, 'service:log-router'] : ['service:log-router'],
      tasks: busy ? 1 + Math.floor(next() * 6) : 1,
      nonDaemonTasks: busy ? 1 + Math.floor(next() * 5) : 0,
      idleSince: busy ? null : '2024-05-01T11:00:00.000Z',
      pinnedTasks: 0,
    });
  }
  const base = generateWorkload(seed + 1, { instanceType: typeName, shapes, tasks, daemonOverhead: true });
  // Exactly `shapes` different shapes: nudge the memory of duplicates.
  const seen = new Set<string>();
  for (const item of base.demand) {
    while (seen.has(`${item.shape.cpu}/${item.shape.memoryMiB}`)) item.shape.memoryMiB += 128;
    seen.add(`${item.shape.cpu}/${item.shape.memoryMiB}`);
  }
  // A few memberOf constraints, as large clusters use them.
  base.demand.forEach((item, index) => {
    if (index % 10 === 3) item.memberOf = 'attribute:stack == blue';
    if (index % 10 === 7) item.memberOf = 'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]';
  });
  return {
    ...base,
    cluster: 'large',
    group: { ...base.group, desired: instances, min: 0 },
    newInstanceAttributes: { stack: 'blue' },
    instances: registered,
  };
}
