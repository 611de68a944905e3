/**
 * Test support for the planner: fast-check arbitraries of snapshots, a checker that a plan's
 * placements respect every resource and constraint, and an exact solver for tiny cases.
 */
import fc from 'fast-check';
import { compileMemberOf } from '../../../shared/capacity/member-of';
import { binView, newBin } from '../../../shared/capacity/packing';
import type { CapacityPlan } from '../../../shared/capacity/planner';
import {
  type CapacitySnapshot,
  type CapacitySnapshotInput,
  parseSnapshot,
  type Shape,
} from '../../../shared/capacity/snapshot';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const PORTS = [80, 443, 8080];

const shapeArbitrary = (maxCpu: number, maxMemory: number) =>
  fc.record({
    cpu: fc.integer({ min: 0, max: Math.ceil(maxCpu / 128) }).map((units) => units * 128),
    memoryMiB: fc.integer({ min: 1, max: Math.ceil(maxMemory / 256) }).map((units) => units * 256),
    gpus: fc.constantFrom(0, 0, 0, 1),
    hostPorts: fc.record({
      tcp: fc.subarray(PORTS, { maxLength: 1 }),
      udp: fc.constant([] as number[]),
    }),
    enis: fc.constantFrom(0, 0, 1),
  });

/** Small clusters of one instance type: registered, booting and requested instances, mixed demand. */
export const snapshotArbitrary: fc.Arbitrary<CapacitySnapshot> = fc
  .record({
    cpu: fc.integer({ min: 4, max: 32 }).map((units) => units * 256),
    memoryMiB: fc.integer({ min: 4, max: 64 }).map((units) => units * 512),
    gpus: fc.constantFrom(0, 0, 1, 4),
    enis: fc.integer({ min: 0, max: 4 }),
    overheadCpu: fc.constantFrom(0, 128, 256),
    overheadMemory: fc.constantFrom(0, 256, 512),
    daemonPort: fc.constantFrom<number[]>([], [], [8080]),
  })
  .chain((type) =>
    fc.record({
      type: fc.constant(type),
      instances: fc.array(
        fc.record({
          zone: fc.constantFrom(...ZONES),
          cpuFree: fc.integer({ min: 0, max: type.cpu }),
          memoryFree: fc.integer({ min: 0, max: type.memoryMiB }),
          gpusFree: fc.integer({ min: 0, max: type.gpus }),
          enisFree: fc.integer({ min: 0, max: type.enis }),
          ports: fc.subarray(PORTS),
          groups: fc.subarray(['service:a', 'service:b', 'service:c']),
          nonDaemon: fc.integer({ min: 0, max: 3 }),
          stack: fc.constantFrom('blue', 'green'),
        }),
        { maxLength: 6 },
      ),
      launching: fc.array(fc.constantFrom(...ZONES), { maxLength: 2 }),
      extraDesired: fc.integer({ min: 0, max: 2 }),
      demand: fc.array(
        fc.record({
          shape: shapeArbitrary(type.cpu * 1.2, type.memoryMiB * 1.2),
          count: fc.integer({ min: 1, max: 8 }),
          group: fc.constantFrom('service:a', 'service:b', 'service:c', 'family:job'),
          memberOf: fc.constantFrom<string | undefined>(
            undefined,
            undefined,
            undefined,
            'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]',
            'attribute:stack == blue',
            'attribute:ecs.instance-type == p3.2xlarge',
            'not(task:group == service:c)',
          ),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      headroom: fc.constantFrom(0, 0, 2),
    }),
  )
  .map(({ type, instances, launching, extraDesired, demand, headroom }) => {
    const input: CapacitySnapshotInput = {
      takenAt: '2025-01-15T03:00:00.000Z',
      cluster: 'web',
      capacityProvider: 'web-asg-cp',
      group: {
        name: 'web-asg',
        min: 0,
        max: 1000,
        desired: instances.length + launching.length + extraDesired,
        availabilityZones: ZONES,
        instanceTypes: ['x.large'],
      },
      instanceTypes: {
        'x.large': { cpu: type.cpu, memoryMiB: type.memoryMiB, gpus: type.gpus, enis: type.enis },
      },
      newInstanceAttributes: { stack: 'blue' },
      daemonOverhead: {
        cpu: type.overheadCpu,
        memoryMiB: type.overheadMemory,
        hostPorts: { tcp: type.daemonPort, udp: [] },
      },
      settings: { maxStep: 1000, headroom: { tasks: headroom } },
      instances: instances.map((instance, index) => ({
        id: `i-${String(index + 1).padStart(17, '0')}`,
        instanceType: 'x.large',
        availabilityZone: instance.zone,
        free: {
          cpu: instance.cpuFree,
          memoryMiB: instance.memoryFree,
          gpus: instance.gpusFree,
          enis: instance.enisFree,
        },
        portsInUse: { tcp: instance.ports, udp: [] },
        attributes: {
          'ecs.instance-type': 'x.large',
          'ecs.availability-zone': instance.zone,
          stack: instance.stack,
        },
        taskGroups: instance.groups,
        tasks: instance.nonDaemon,
        nonDaemonTasks: instance.nonDaemon,
      })),
      launching: launching.map((zone, index) => ({
        id: `i-${String(index + 100).padStart(17, '0')}`,
        instanceType: 'x.large',
        availabilityZone: zone,
        launchedAt: '2025-01-15T02:59:00.000Z',
      })),
      demand: demand.map((item, index) => ({
        source: `${item.group}#${index}`,
        group: item.group,
        count: item.count,
        shape: item.shape,
        // Constraints belong to the group (a service's tasks all have them): service:b is distinct.
        distinctInstance: item.group === 'service:b',
        ...(item.memberOf ? { memberOf: item.memberOf } : {}),
      })),
    };
    return parseSnapshot(input);
  });

interface Capacity {
  cpu: number;
  memoryMiB: number;
  gpus: number;
  enis: number;
  tcp: Set<number>;
  udp: Set<number>;
  groups: Map<string, number>;
  attributes: Record<string, string>;
  zone: string | undefined;
}

/**
 * Every way a plan can be wrong about one instance: more CPU, memory, GPUs or ENIs than it has, a
 * host port twice, two tasks of a distinctInstance group, a memberOf it does not satisfy. Returns
 * the violations in words (empty: the plan is sound). Needs a plan made with `trace: true`.
 */
export function violations(snapshot: CapacitySnapshot, plan: CapacityPlan): string[] {
  const problems: string[] = [];
  const byKey = new Map(plan.placements.map((placement) => [placement.key, placement]));
  const type = snapshot.instanceTypes[snapshot.group.instanceTypes[0] ?? ''];
  const overhead = snapshot.daemonOverhead;
  const headroomShape = snapshot.settings.headroom.shape;
  for (const assignment of plan.assignments ?? []) {
    const registered = snapshot.instances.find((instance) => instance.id === assignment.instanceId);
    const capacity: Capacity = registered
      ? {
          ...registered.free,
          tcp: new Set(registered.portsInUse.tcp),
          udp: new Set(registered.portsInUse.udp),
          groups: new Map(registered.taskGroups.map((group) => [group, 1])),
          attributes: registered.attributes,
          zone: registered.availabilityZone,
        }
      : {
          cpu: (type?.cpu ?? 0) - overhead.cpu,
          memoryMiB: (type?.memoryMiB ?? 0) - overhead.memoryMiB,
          gpus: (type?.gpus ?? 0) - overhead.gpus,
          enis: (type?.enis ?? 0) - overhead.enis,
          tcp: new Set(overhead.hostPorts.tcp),
          udp: new Set(overhead.hostPorts.udp),
          groups: new Map(),
          attributes: snapshot.newInstanceAttributes,
          zone: assignment.availabilityZone,
        };
    const where = `${assignment.kind} ${assignment.instanceId}`;
    for (const { key, count } of assignment.tasks) {
      const placement = byKey.get(key);
      const shape: Shape | undefined =
        placement?.shape ?? (key.endsWith(';headroom') ? headroomShape : undefined);
      if (!shape) continue;
      capacity.cpu -= shape.cpu * count;
      capacity.memoryMiB -= shape.memoryMiB * count;
      capacity.gpus -= shape.gpus * count;
      capacity.enis -= shape.enis * count;
      const ports = [
        ...shape.hostPorts.tcp.map((port) => ['tcp', port] as const),
        ...shape.hostPorts.udp.map((port) => ['udp', port] as const),
      ];
      for (const [protocol, port] of ports) {
        const taken = protocol === 'tcp' ? capacity.tcp : capacity.udp;
        if (taken.has(port) || count > 1) problems.push(`${where}: host port ${protocol}/${port} used twice`);
        taken.add(port);
      }
      if (placement?.distinctInstance) {
        const group = placement.sources[0]?.split('#')[0] ?? '';
        if (count > 1 || (capacity.groups.get(group) ?? 0) > 0)
          problems.push(`${where}: distinctInstance ${group} twice`);
      }
      for (const source of placement?.sources ?? []) {
        const group = source.split('#')[0] ?? '';
        capacity.groups.set(group, (capacity.groups.get(group) ?? 0) + count);
      }
      if (placement?.memberOf) {
        const memberOf = compileMemberOf(placement.memberOf);
        if (!memberOf.usesTaskGroups) {
          const bin = newBin({
            kind: assignment.kind,
            id: assignment.instanceId,
            instanceType: assignment.instanceType,
            availabilityZone: capacity.zone,
            capacityCpu: 1,
            capacityMemory: 1,
            cpu: 0,
            memoryMiB: 0,
            gpus: 0,
            enis: 0,
            tcp: new Set(),
            udp: new Set(),
            attributes: capacity.attributes,
            registeredAt: undefined,
            tasks: 0,
            alternativeTypes: undefined,
          });
          if (!memberOf.test(binView(bin)))
            problems.push(`${where}: memberOf(${placement.memberOf}) does not hold`);
        }
      }
    }
    for (const resource of ['cpu', 'memoryMiB', 'gpus', 'enis'] as const) {
      if (capacity[resource] < 0) problems.push(`${where}: ${resource} over by ${-capacity[resource]}`);
    }
  }
  return problems;
}

interface TinyTask {
  shape: Shape;
  group: string;
  distinct: boolean;
}

/**
 * The fewest new instances that hold the tasks (no registered instances, no memberOf): exhaustive
 * search with symmetry breaking, for a handful of tasks.
 */
export function optimalNewInstances(
  tasks: TinyTask[],
  capacity: { cpu: number; memoryMiB: number; gpus: number; enis: number; tcp: number[] },
): number {
  const sorted = [...tasks].sort(
    (a, b) => b.shape.cpu + b.shape.memoryMiB - (a.shape.cpu + a.shape.memoryMiB),
  );
  const bins: {
    cpu: number;
    memoryMiB: number;
    gpus: number;
    enis: number;
    ports: Set<number>;
    groups: Set<string>;
  }[] = [];
  let best = sorted.length + 1;
  const fitsIn = (bin: (typeof bins)[number], task: TinyTask) =>
    task.shape.cpu <= bin.cpu &&
    task.shape.memoryMiB <= bin.memoryMiB &&
    task.shape.gpus <= bin.gpus &&
    task.shape.enis <= bin.enis &&
    task.shape.hostPorts.tcp.every((port) => !bin.ports.has(port)) &&
    !(task.distinct && bin.groups.has(task.group));
  const search = (index: number) => {
    if (bins.length >= best) return;
    if (index === sorted.length) {
      best = bins.length;
      return;
    }
    const task = sorted[index] as TinyTask;
    const tried = [...bins, undefined];
    for (const existing of tried) {
      const bin = existing ?? {
        cpu: capacity.cpu,
        memoryMiB: capacity.memoryMiB,
        gpus: capacity.gpus,
        enis: capacity.enis,
        ports: new Set(capacity.tcp),
        groups: new Set<string>(),
      };
      if (!fitsIn(bin, task)) continue;
      if (!existing) bins.push(bin);
      bin.cpu -= task.shape.cpu;
      bin.memoryMiB -= task.shape.memoryMiB;
      bin.gpus -= task.shape.gpus;
      bin.enis -= task.shape.enis;
      const added = task.shape.hostPorts.tcp.filter((port) => !bin.ports.has(port));
      for (const port of added) bin.ports.add(port);
      const newGroup = !bin.groups.has(task.group);
      bin.groups.add(task.group);
      search(index + 1);
      if (newGroup) bin.groups.delete(task.group);
      for (const port of added) bin.ports.delete(port);
      bin.cpu += task.shape.cpu;
      bin.memoryMiB += task.shape.memoryMiB;
      bin.gpus += task.shape.gpus;
      bin.enis += task.shape.enis;
      if (!existing) bins.pop();
    }
  };
  search(0);
  return best;
}
