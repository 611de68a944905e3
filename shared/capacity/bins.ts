/**
 * Bins: what each instance offers the simulation (registered, booting, requested or new), the type and
 * room a new instance has, and the zones Auto Scaling launches new instances in.
 */

import type { NewInstanceTemplate } from './lower-bound';
import { type Bin, newBin } from './packing';
import { IN_DESIRED } from './plan';
import type {
  CapacitySnapshot,
  LaunchFailure,
  LaunchingInstance,
  RegisteredInstance,
  Shape,
} from './snapshot';

/**
 * What a new instance offers after its daemon tasks. With several instance types the group may
 * launch any of them, so each resource is the smallest among them: the plan is then enough
 * whichever type arrives.
 */
export function newInstanceTemplate(snapshot: CapacitySnapshot): NewInstanceTemplate {
  const types = snapshot.group.instanceTypes
    .map((type) => snapshot.instanceTypes[type])
    .filter((t) => t !== undefined);
  const min = (pick: (type: (typeof types)[number]) => number) => Math.min(...types.map(pick));
  const overhead = snapshot.daemonOverhead;
  return {
    cpu: Math.max(0, min((type) => type.cpu) - overhead.cpu),
    memoryMiB: Math.max(0, min((type) => type.memoryMiB) - overhead.memoryMiB),
    gpus: Math.max(0, min((type) => type.gpus) - overhead.gpus),
    enis: Math.max(0, min((type) => type.enis) - overhead.enis),
  };
}

/**
 * A new (or requested) instance of the group as the simulation opens it; also the probe for what a
 * new instance can take.
 */
export function freshBin(
  snapshot: CapacitySnapshot,
  template: NewInstanceTemplate,
  kind: 'new' | 'launching',
  id: string,
  zone: string | undefined,
): Bin {
  const types = snapshot.group.instanceTypes;
  const first = types[0] ?? 'unknown';
  const typeResources = snapshot.instanceTypes[first];
  return newBin({
    kind,
    id,
    instanceType: first,
    availabilityZone: zone,
    capacityCpu: Math.max(1, typeResources?.cpu ?? template.cpu),
    capacityMemory: Math.max(1, typeResources?.memoryMiB ?? template.memoryMiB),
    cpu: template.cpu,
    memoryMiB: template.memoryMiB,
    gpus: template.gpus,
    enis: template.enis,
    tcp: new Set(snapshot.daemonOverhead.hostPorts.tcp),
    udp: new Set(snapshot.daemonOverhead.hostPorts.udp),
    attributes: { ...snapshot.newInstanceAttributes },
    registeredAt: undefined,
    tasks: 0,
    alternativeTypes: types.length > 1 ? [...types] : undefined,
  });
}

export function registeredBin(instance: RegisteredInstance, snapshot: CapacitySnapshot): Bin {
  const type = snapshot.instanceTypes[instance.instanceType];
  return newBin({
    kind: 'registered',
    id: instance.id,
    instanceType: instance.instanceType,
    availabilityZone: instance.availabilityZone ?? instance.attributes['ecs.availability-zone'],
    capacityCpu: Math.max(1, type?.cpu ?? instance.free.cpu),
    capacityMemory: Math.max(1, type?.memoryMiB ?? instance.free.memoryMiB),
    cpu: instance.free.cpu,
    memoryMiB: instance.free.memoryMiB,
    gpus: instance.free.gpus,
    enis: instance.free.enis,
    tcp: new Set(instance.portsInUse.tcp),
    udp: new Set(instance.portsInUse.udp),
    groups: instance.taskGroups,
    attributes: instance.attributes,
    registeredAt: instance.registeredAt ? new Date(instance.registeredAt) : undefined,
    tasks: instance.tasks,
    alternativeTypes: undefined,
  });
}

/** A booting instance will offer its type's resources less the daemon tasks. */
export function launchingBin(instance: LaunchingInstance, snapshot: CapacitySnapshot): Bin {
  const type = snapshot.instanceTypes[instance.instanceType];
  const overhead = snapshot.daemonOverhead;
  return newBin({
    kind: 'launching',
    id: instance.id,
    instanceType: instance.instanceType,
    availabilityZone: instance.availabilityZone,
    capacityCpu: Math.max(1, type?.cpu ?? 1),
    capacityMemory: Math.max(1, type?.memoryMiB ?? 1),
    cpu: Math.max(0, (type?.cpu ?? 0) - overhead.cpu),
    memoryMiB: Math.max(0, (type?.memoryMiB ?? 0) - overhead.memoryMiB),
    gpus: Math.max(0, (type?.gpus ?? 0) - overhead.gpus),
    enis: Math.max(0, (type?.enis ?? 0) - overhead.enis),
    tcp: new Set(overhead.hostPorts.tcp),
    udp: new Set(overhead.hostPorts.udp),
    attributes: { ...snapshot.newInstanceAttributes },
    registeredAt: undefined,
    tasks: 0,
    alternativeTypes: undefined,
  });
}

/**
 * Auto Scaling launches each new instance in the zone with the fewest, so the simulation does too:
 * a constraint on a zone may take more than one new instance to meet.
 */
export class ZoneBalancer {
  private counts: Map<string, number>;
  constructor(
    private readonly zones: readonly string[],
    existing: Iterable<string | undefined>,
  ) {
    this.counts = new Map(zones.map((zone) => [zone, 0]));
    for (const zone of existing) this.add(zone);
  }
  next(): string | undefined {
    let best: string | undefined;
    for (const zone of this.zones) {
      if (best === undefined || (this.counts.get(zone) ?? 0) < (this.counts.get(best) ?? 0)) best = zone;
    }
    this.add(best);
    return best;
  }
  add(zone: string | undefined): void {
    if (zone !== undefined && this.counts.has(zone)) this.counts.set(zone, (this.counts.get(zone) ?? 0) + 1);
  }
  save(): Map<string, number> {
    return new Map(this.counts);
  }
  restore(saved: Map<string, number>): void {
    this.counts = new Map(saved);
  }
}

export type Resources4 = Pick<Shape, 'cpu' | 'memoryMiB' | 'gpus' | 'enis'>;

/**
 * Daemons whose task definition could not be read are not in `daemonOverhead`, yet run on every new
 * instance: their room is measured where it shows. On a registered instance without non-daemon
 * tasks, what is reserved is the daemons' (the largest such measure is taken); else each instance
 * reserves at least the daemons', so the least reserved is an upper bound. Either way no less than
 * the daemons read. With nothing to measure on, said so.
 */
export function unreadDaemonOverhead(
  snapshot: CapacitySnapshot,
): { overhead: CapacitySnapshot['daemonOverhead']; reason: string } | undefined {
  const unread = snapshot.unreadDaemons ?? [];
  if (unread.length === 0) return undefined;
  const known = snapshot.daemonOverhead;
  const names = `daemon${unread.length > 1 ? 's' : ''} ${unread.join(', ')}`;
  const measured = snapshot.instances.flatMap((instance) => {
    const type = snapshot.instanceTypes[instance.instanceType];
    if (!type || instance.status !== 'ACTIVE' || !IN_DESIRED.test(instance.lifecycleState)) return [];
    const reserved: Resources4 = {
      cpu: Math.max(0, type.cpu - instance.free.cpu),
      memoryMiB: Math.max(0, type.memoryMiB - instance.free.memoryMiB),
      gpus: Math.max(0, type.gpus - instance.free.gpus),
      enis: Math.max(0, type.enis - instance.free.enis),
    };
    return [{ instance, reserved }];
  });
  const idle = measured.filter(({ instance }) => instance.nonDaemonTasks === 0);
  const pick = (from: typeof measured, combine: (a: number, b: number) => number): Resources4 | undefined =>
    from.length === 0
      ? undefined
      : from.slice(1).reduce<Resources4>(
          (acc, { reserved }) => ({
            cpu: combine(acc.cpu, reserved.cpu),
            memoryMiB: combine(acc.memoryMiB, reserved.memoryMiB),
            gpus: combine(acc.gpus, reserved.gpus),
            enis: combine(acc.enis, reserved.enis),
          }),
          { ...(from[0] as (typeof from)[number]).reserved },
        );
  const estimate = idle.length > 0 ? pick(idle, Math.max) : pick(measured, Math.min);
  if (!estimate) {
    return {
      overhead: known,
      reason: `${names}: task definition could not be read, and no registered instance shows what it reserves: new instances are planned with the daemons read only (${known.cpu} CPU / ${known.memoryMiB} MiB) and may hold fewer tasks than planned`,
    };
  }
  const overhead = {
    ...known,
    cpu: Math.max(known.cpu, estimate.cpu),
    memoryMiB: Math.max(known.memoryMiB, estimate.memoryMiB),
    gpus: Math.max(known.gpus, estimate.gpus),
    enis: Math.max(known.enis, estimate.enis),
  };
  const where =
    idle.length > 0
      ? `measured on ${idle.length} registered instance(s) without other tasks`
      : `the least any registered instance reserves (an upper bound: none is without other tasks)`;
  return {
    overhead,
    reason: `${names}: task definition could not be read; new instances are planned with ${overhead.cpu} CPU / ${overhead.memoryMiB} MiB reserved by daemons, ${where} (the daemons read reserve ${known.cpu} CPU / ${known.memoryMiB} MiB)`,
  };
}

/** The group's instances as the plan sees them, and what the operator and Auto Scaling hold back. */
export interface Fleet {
  /** Registered instances counted in the desired capacity (Pending or InService). */
  counted: RegisteredInstance[];
  /** Of those, ACTIVE with a connected agent: ECS places on them. */
  placeableOn: RegisteredInstance[];
  /** Of those, InService: only these are removed, protected or marked idle. */
  usable: RegisteredInstance[];
  launchingCounted: LaunchingInstance[];
  booting: LaunchingInstance[];
  stuck: LaunchingInstance[];
  requested: number;
  suspendedProcesses: string[];
  launchSuspended: boolean;
  terminateSuspended: boolean;
  launchFailures: LaunchFailure[];
  launchFailing: boolean;
  /** Desired capacity not launched yet that counts as capacity on the way. */
  requestedBins: number;
}

export function fleetOf(snapshot: CapacitySnapshot, now: number): Fleet {
  const { group, settings } = snapshot;
  // Instances: usable, booting (launched, not registered), never registered, unusable. ECS places
  // tasks on a registered instance whatever its Auto Scaling state, so one still Pending (a launch
  // hook, a warm pool) takes placements; only InService ones are removed, protected or marked idle.
  const counted = snapshot.instances.filter((instance) => IN_DESIRED.test(instance.lifecycleState));
  // An Unhealthy instance is terminated and replaced by Auto Scaling ("Health checks for instances in
  // an Auto Scaling group"): nothing is planned on it, and it is not the planner's to remove.
  const placeableOn = counted.filter(
    (instance) =>
      instance.status === 'ACTIVE' && instance.agentConnected && instance.healthStatus !== 'Unhealthy',
  );
  const usable = placeableOn.filter((instance) => instance.lifecycleState === 'InService');
  const launchingCounted = snapshot.launching.filter((instance) => IN_DESIRED.test(instance.lifecycleState));
  const bootDeadline = now - settings.bootTimeoutSeconds * 1000;
  const booting = launchingCounted.filter((instance) => Date.parse(instance.launchedAt) >= bootDeadline);
  const stuck = launchingCounted.filter((instance) => Date.parse(instance.launchedAt) < bootDeadline);
  const requested = Math.max(0, group.desired - counted.length - launchingCounted.length);
  // An operator who suspends Launch or Terminate (to freeze the group) is obeyed: no scale-out while
  // Launch is suspended, no removal while Terminate is. The other processes change nothing here.
  const suspendedProcesses = [...new Set(group.suspendedProcesses ?? [])].sort();
  const launchSuspended = suspendedProcesses.includes('Launch');
  const terminateSuspended = suspendedProcesses.includes('Terminate');
  // Desired capacity not launched yet launches only once Launch is resumed: not capacity on the way.
  // Nor while Auto Scaling's launches for it fail (no capacity for the type, a bad launch template,
  // a subnet out of addresses): it may never launch.
  const launchFailures = group.launchFailures ?? [];
  const launchFailing = !launchSuspended && requested > 0 && launchFailures.length > 0;
  const requestedBins = launchSuspended || launchFailing ? 0 : requested;

  return {
    counted,
    placeableOn,
    usable,
    launchingCounted,
    booting,
    stuck,
    requested,
    suspendedProcesses,
    launchSuspended,
    terminateSuspended,
    launchFailures,
    launchFailing,
    requestedBins,
  };
}
