/** The plan in words and summaries: reasons, placements per demand, zones, sources of new instances. */
import { freshBin } from './bins';
import type { LaunchType } from './launch-type';
import type { LowerBound, NewInstanceTemplate } from './lower-bound';
import { type Bin, fits, type ItemGroup } from './packing';
import type {
  Assignment,
  CapacityPlan,
  NewInstanceSources,
  PlacementSummary,
  Removal,
  Unplaceable,
} from './plan';
import type { CapacitySnapshot, LaunchFailure, RegisteredInstance } from './snapshot';

export function assignmentsOf(bins: Bin[], items: ItemGroup[]): Assignment[] {
  const keyOf = new Map(items.map((item) => [item.id, item.key]));
  return bins
    .filter((bin) => bin.contents && bin.contents.size > 0)
    .map((bin) => ({
      instanceId: bin.id,
      kind: bin.kind,
      instanceType: bin.instanceType,
      availabilityZone: bin.availabilityZone,
      tasks: [...(bin.contents ?? [])].map(([id, count]) => ({ key: keyOf.get(id) ?? String(id), count })),
    }));
}

export function utilizationOf(
  usable: RegisteredInstance[],
  snapshot: CapacitySnapshot,
): CapacityPlan['utilization'] {
  const result = { cpu: { reserved: 0, registered: 0 }, memoryMiB: { reserved: 0, registered: 0 } };
  for (const instance of usable) {
    const type = snapshot.instanceTypes[instance.instanceType];
    if (!type) continue;
    result.cpu.registered += type.cpu;
    result.cpu.reserved += Math.max(0, type.cpu - instance.free.cpu);
    result.memoryMiB.registered += type.memoryMiB;
    result.memoryMiB.reserved += Math.max(0, type.memoryMiB - instance.free.memoryMiB);
  }
  return result;
}

export function summarize(item: ItemGroup, wait: ZoneWait | undefined): PlacementSummary {
  return {
    ...(wait ? { zones: wait.zones, ...(wait.launch > 0 ? { launchesToReach: wait.launch } : {}) } : {}),
    key: item.key,
    sources: item.sources,
    shape: item.shape,
    distinctInstance: item.distinct,
    ...(item.memberOf ? { memberOf: item.memberOf.text } : {}),
    count: item.total,
    onRegistered: item.onRegistered,
    onLaunching: item.onLaunching,
    onNew: item.onNew,
    unplaced: item.total - item.onRegistered - item.onLaunching - item.onNew,
  };
}

export function explain(facts: {
  reasons: string[];
  snapshot: CapacitySnapshot;
  demandTasks: number;
  totals: CapacityPlan['totals'];
  newInstances: number;
  bound: LowerBound;
  scaleOut: number;
  limitedBy: CapacityPlan['limitedBy'];
  desiredCapacity: number;
  removals: Removal[];
  unplaceable: Unplaceable[];
  requested: number;
  booting: number;
  headroom: ItemGroup | undefined;
  suspendedProcesses: string[];
  heldScaleOut: number;
  heldRemovals: Removal[];
  launchSuspended: boolean;
  launchFailures: LaunchFailure[];
  failingHeld: number;
  recordRaise: boolean;
  waits: ZoneWait[];
  launch: LaunchType | undefined;
  newInstanceSources: NewInstanceSources[];
  /** With the scale-out limited by the maximum: how many new instances it allows. */
  maxAllows: number | undefined;
  uselessUnderMax: number;
}): void {
  const { reasons, snapshot, totals } = facts;
  const lines: string[] = [];
  if (facts.demandTasks === 0) lines.push('no pending demand');
  else {
    lines.push(
      `${facts.demandTasks} pending task(s): ${totals.onRegistered} fit on registered instances, ${totals.onLaunching} on instances booting or requested, ${totals.onNew} need new instances`,
    );
  }
  if (facts.headroom) {
    lines.push(
      `headroom of ${facts.headroom.total} task(s) of ${facts.headroom.shape.cpu} CPU / ${facts.headroom.shape.memoryMiB} MiB kept (${facts.headroom.onNew} on new instances)`,
    );
  }
  if (facts.launchSuspended) {
    if (facts.booting > 0 || facts.requested > 0) {
      lines.push(
        `${facts.booting} instance(s) booting count as capacity on the way; ${facts.requested} requested do not (they launch only once Launch is resumed)`,
      );
    }
  } else if (facts.launchFailures.length > 0) {
    const latest = facts.launchFailures[0] as LaunchFailure;
    const oldest = facts.launchFailures[facts.launchFailures.length - 1] as LaunchFailure;
    lines.push(
      `launches failing on ${snapshot.group.name}: ${facts.launchFailures.length} failed launch(es) since ${oldest.at}, the latest (${latest.status} at ${latest.at}): ${latest.message}`,
    );
    lines.push(
      `${facts.booting} instance(s) booting count as capacity on the way; ${facts.requested} requested do not (Auto Scaling fails to launch them)`,
    );
  } else if (facts.booting + facts.requested > 0) {
    lines.push(
      `${facts.booting} instance(s) booting and ${facts.requested} requested count as capacity on the way`,
    );
  }
  if (facts.newInstances > 0) {
    lines.push(
      `${facts.newInstances} new instance(s) needed (lower bound ${facts.bound.value} by ${facts.bound.by})`,
    );
  }
  if (facts.launch && facts.newInstances > 0) lines.push(facts.launch.reason);
  lines.push(...sourceLines(facts.newInstanceSources));
  if (facts.limitedBy === 'step') lines.push(`scale-out limited to the step of ${snapshot.settings.maxStep}`);
  if (facts.limitedBy === 'max')
    lines.push(`scale-out limited by the group's maximum of ${snapshot.group.max}`);
  for (const wait of facts.waits) {
    if (wait.launch <= 1 || wait.otherZonesFirst === 0) continue;
    const beyondMax = facts.maxAllows !== undefined && wait.launch > facts.maxAllows;
    lines.push(
      `${wait.sources.join(', ')} can run only in ${wait.zones.join(', ')} (memberOf(${wait.memberOf})): Auto Scaling launches in the zone with the fewest instances, so its first new instance there is the ${ordinal(wait.launch)} new instance (${wait.otherZonesFirst} launched in other zones first)${beyondMax ? `; the group's maximum of ${snapshot.group.max} allows ${facts.maxAllows} more: these tasks stay pending until the maximum is raised` : ''}`,
    );
  }
  if (facts.uselessUnderMax > 0) {
    lines.push(
      `${facts.uselessUnderMax} more instance(s) the maximum allows would land only in zones no pending task can use: not launched`,
    );
  }
  const group = snapshot.group.name;
  const trunking = snapshot.group.eniTrunking;
  if (trunking) lines.push(...trunkingLines(snapshot, trunking));
  if (facts.suspendedProcesses.length > 0) {
    lines.push(`processes suspended on ${group}: ${facts.suspendedProcesses.join(', ')}`);
  }
  if (facts.limitedBy === 'launch-suspended') {
    lines.push(
      `no scale-out: Launch is suspended on ${group}; the ${facts.heldScaleOut} new instance(s) needed are not requested (the demand stays pending until Launch is resumed)`,
    );
  }
  const timeout = snapshot.settings.bootTimeoutSeconds;
  if (facts.limitedBy === 'launch-failing') {
    const next = new Date(Date.parse(snapshot.group.failingRaiseAt ?? '') + timeout * 1000).toISOString();
    lines.push(
      `no scale-out: launches are failing on ${snapshot.group.name} and its desired capacity was raised for them at ${snapshot.group.failingRaiseAt}, less than the boot timeout (${timeout} s) ago; the ${facts.failingHeld} more instance(s) needed are not requested before ${next}`,
    );
  } else if (facts.recordRaise) {
    lines.push(
      `launches are failing: desired capacity raised once more for the demand, not again for ${timeout} s while they keep failing`,
    );
  }
  if (facts.heldRemovals.length > 0) {
    lines.push(
      `no removal: Terminate is suspended on ${group}; kept ${facts.heldRemovals.map((removal) => `${removal.instanceId} (${removal.reason})`).join(', ')}`,
    );
  }
  for (const removal of facts.removals)
    lines.push(`remove ${removal.instanceId} (${removal.reason}): ${removal.detail}`);
  for (const item of facts.unplaceable) {
    lines.push(`cannot place ${item.count} task(s) of ${item.sources.join(', ')}: ${item.reason}`);
  }
  lines.push(`desired capacity ${snapshot.group.desired} -> ${facts.desiredCapacity}`);
  reasons.unshift(...lines);
}

/** What ENI trunking changed in the awsvpc counts, and where it could not. */
export function trunkingLines(
  snapshot: CapacitySnapshot,
  trunking: NonNullable<CapacitySnapshot['group']['eniTrunking']>,
): string[] {
  const group = snapshot.group.name;
  const trunked = snapshot.instances.filter((instance) => instance.attributes['ecs.awsvpc-trunk-id']).length;
  const lines = [
    trunking.newInstances
      ? `ENI trunking: the ${trunked} registered instance(s) of ${group} are trunked; new ones count as trunked (awsvpc tasks per instance: ${snapshot.group.instanceTypes.map((type) => `${type} ${snapshot.instanceTypes[type]?.enis ?? 0}`).join(', ')})`
      : `ENI trunking: ${trunked} of ${snapshot.instances.length} registered instance(s) of ${group} are trunked; new ones count as not trunked`,
  ];
  for (const type of trunking.notInTable) {
    lines.push(
      `ENI trunking: ${type} is not in the ECS trunking table; its trunked instances count its ENIs without trunking (${snapshot.instanceTypes[type]?.enis ?? 0}): set its enis in INSTANCE_TYPES`,
    );
  }
  return lines;
}

export const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** Where a zone-constrained demand's new instances are, in Auto Scaling's launch order. */
export interface ZoneWait {
  sources: string[];
  memberOf: string;
  zones: string[];
  /** 1-based position among this plan's new instances of the first that takes one (0: none does). */
  launch: number;
  /** New instances before that one in zones the constraint excludes. */
  otherZonesFirst: number;
}

export function zoneWaits(
  placeable: ItemGroup[],
  newBins: Bin[],
  zonesOf: (item: ItemGroup) => string[],
): Map<number, ZoneWait> {
  const waits = new Map<number, ZoneWait>();
  for (const item of placeable) {
    if (!item.memberOf) continue;
    const zones = zonesOf(item);
    const index = newBins.findIndex((bin) => (bin.contents?.get(item.id) ?? 0) > 0);
    const otherZonesFirst =
      index < 0
        ? 0
        : newBins
            .slice(0, index)
            .filter((bin) => bin.availabilityZone !== undefined && !zones.includes(bin.availabilityZone))
            .length;
    waits.set(item.id, {
      sources: item.sources,
      memberOf: item.memberOf.text,
      zones,
      launch: index + 1,
      otherZonesFirst,
    });
  }
  return waits;
}

/** The group's zones where a new instance can take one task of the item. */
export function allowedZones(
  item: ItemGroup,
  snapshot: CapacitySnapshot,
  template: NewInstanceTemplate,
): string[] {
  return snapshot.group.availabilityZones.filter((zone) =>
    fits(freshBin(snapshot, template, 'new', 'probe', zone), item),
  );
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

export function sourcesOf(newBins: Bin[], items: ItemGroup[]): NewInstanceSources[] {
  const byId = new Map(items.map((item) => [item.id, item]));
  return newBins.map((bin) => ({
    instanceId: bin.id,
    instanceType: bin.instanceType,
    availabilityZone: bin.availabilityZone,
    sources: [
      ...new Set([...(bin.contents?.keys() ?? [])].flatMap((id) => byId.get(id)?.sources ?? [])),
    ].sort(),
  }));
}

/** One line per set of sources: which new instances are for them (the first few named). */
export function sourceLines(instances: NewInstanceSources[]): string[] {
  const groups = new Map<string, NewInstanceSources[]>();
  for (const instance of instances) {
    const key = instance.sources.join(', ');
    const members = groups.get(key);
    if (members) members.push(instance);
    else groups.set(key, [instance]);
  }
  const SHOWN = 6;
  const LINES = 20;
  const lines = [...groups].slice(0, LINES).map(([sources, members]) => {
    const named = members
      .slice(0, SHOWN)
      .map((one) => `${one.instanceId} (${one.availabilityZone ?? 'any zone'})`)
      .join(', ');
    const more = members.length > SHOWN ? ` and ${members.length - SHOWN} more` : '';
    const what =
      sources === ''
        ? "for no task: launched only so that Auto Scaling's zone order reaches the zone a later one needs"
        : `for ${sources}`;
    return `new instance${members.length > 1 ? 's' : ''} ${named}${more} ${what}`;
  });
  if (groups.size > LINES) {
    const rest = [...groups.values()].slice(LINES).reduce((total, members) => total + members.length, 0);
    lines.push(
      `${rest} more new instance(s) for ${groups.size - LINES} other sets of sources (newInstanceSources lists each)`,
    );
  }
  return lines;
}
