/** Demand as the simulation places it: item groups by shape and constraints, headroom, and why some never fit. */
import { shapeKey } from '../ecs/requirements';
import { newInstanceTemplate } from './bins';
import type { NewInstanceTemplate } from './lower-bound';
import { dominantSize, type ItemGroup, type MemberOf, makeItemGroup } from './packing';
import { HEADROOM_SOURCE, type Unplaceable } from './plan';
import type { CapacitySnapshot, Shape } from './snapshot';

/** Pending demand grouped by shape and constraints, as the simulation places it. */
export function groupDemand(
  snapshot: CapacitySnapshot,
  compile: (expression: string) => MemberOf,
): { items: ItemGroup[]; unplaceable: Unplaceable[] } {
  const byKey = new Map<string, ItemGroup>();
  const compiled = new Map<string, MemberOf | Error>();
  const unplaceable = new Map<string, Unplaceable>();
  for (const demand of snapshot.demand) {
    const shape = normalizeShape(demand.shape);
    const constraint = demand.memberOf?.trim() || undefined;
    const group = demand.group ?? (demand.distinctInstance ? demand.source : undefined);
    const since =
      demand.newInstancesOnly && demand.newInstancesSince ? Date.parse(demand.newInstancesSince) : undefined;
    const key = `${shapeKey(shape)};distinct=${demand.distinctInstance ? group : '-'};memberOf=${constraint ?? '-'}${demand.newInstancesOnly ? `;new-only${since !== undefined ? `@${since}` : ''}` : ''}`;
    if (demand.unplaceable) {
      // ECS keeps failing where new instances were bought for it: reported, not scaled for again.
      unplaceable.set(`${key};${demand.source}`, {
        key,
        sources: [demand.source],
        count: demand.count,
        kind: 'placement-failure',
        reason: demand.unplaceable,
      });
      continue;
    }
    let memberOf: MemberOf | undefined;
    if (constraint !== undefined) {
      let result = compiled.get(constraint);
      if (!result) {
        try {
          result = compile(constraint);
        } catch (error) {
          result = error instanceof Error ? error : new Error(String(error));
        }
        compiled.set(constraint, result);
      }
      if (result instanceof Error) {
        const known = unplaceable.get(key);
        if (known) {
          known.count += demand.count;
          if (!known.sources.includes(demand.source)) known.sources.push(demand.source);
        } else {
          unplaceable.set(key, {
            key,
            sources: [demand.source],
            count: demand.count,
            kind: 'constraint',
            reason: `memberOf(${constraint}) is not a valid cluster query: ${result.message}`,
          });
        }
        continue;
      }
      memberOf = result;
    }
    const known = byKey.get(key);
    if (known) {
      known.total += demand.count;
      known.remaining += demand.count;
      if (!known.sources.includes(demand.source)) known.sources.push(demand.source);
      // Several task groups share the shape: track the first one for task:group.
      continue;
    }
    byKey.set(
      key,
      makeItemGroup({
        key,
        shape,
        group,
        distinct: demand.distinctInstance,
        memberOf,
        sources: [demand.source],
        count: demand.count,
        newInstancesOnly: demand.newInstancesOnly,
        newInstancesSince: since,
      }),
    );
  }
  return { items: [...byKey.values()], unplaceable: [...unplaceable.values()] };
}

export function normalizeShape(shape: Shape): Shape {
  const sorted = (ports: number[]) => [...new Set(ports)].sort((a, b) => a - b);
  return { ...shape, hostPorts: { tcp: sorted(shape.hostPorts.tcp), udp: sorted(shape.hostPorts.udp) } };
}

export function whyUnplaceable(
  item: ItemGroup,
  snapshot: CapacitySnapshot,
  template: NewInstanceTemplate,
): Unplaceable {
  const base = { key: item.key, sources: item.sources, count: item.remaining };
  const types = snapshot.group.instanceTypes.join(', ');
  const overhead = snapshot.daemonOverhead;
  const after = (what: number) => (what > 0 ? ` after ${what} reserved by daemon tasks` : '');
  const shape = item.shape;
  if (shape.cpu > template.cpu) {
    return {
      ...base,
      kind: 'too-large',
      reason: `needs ${shape.cpu} CPU units; a new ${types} instance offers ${template.cpu}${after(overhead.cpu)} (RESOURCE:CPU)`,
    };
  }
  if (shape.memoryMiB > template.memoryMiB) {
    return {
      ...base,
      kind: 'too-large',
      reason: `needs ${shape.memoryMiB} MiB; a new ${types} instance offers ${template.memoryMiB} MiB${after(overhead.memoryMiB)} (RESOURCE:MEMORY)`,
    };
  }
  if (shape.gpus > template.gpus) {
    return {
      ...base,
      kind: 'too-large',
      reason: `needs ${shape.gpus} GPU(s); a new ${types} instance has ${template.gpus} (RESOURCE:GPU)`,
    };
  }
  if (shape.enis > template.enis) {
    return {
      ...base,
      kind: 'too-large',
      reason: `needs ${shape.enis} ENI(s) for awsvpc; a new ${types} instance has ${template.enis} for tasks (RESOURCE:ENI)`,
    };
  }
  const daemonPorts = [
    ...shape.hostPorts.tcp.filter((port) => overhead.hostPorts.tcp.includes(port)),
    ...shape.hostPorts.udp.filter((port) => overhead.hostPorts.udp.includes(port)),
  ];
  if (daemonPorts.length > 0) {
    return {
      ...base,
      kind: 'host-port',
      reason: `host port ${daemonPorts.join(', ')} is taken by a daemon task on every instance (RESOURCE:PORTS)`,
    };
  }
  const zones = snapshot.group.availabilityZones.join(', ') || 'unknown zones';
  return {
    ...base,
    kind: 'constraint',
    reason: `memberOf(${item.memberOf?.text}) matches no registered instance of ${snapshot.group.name} with room, and no new ${types} instance (zones ${zones}, attributes ${JSON.stringify(snapshot.newInstanceAttributes)})`,
  };
}

/** Headroom: room for N more tasks of a reference shape, placed after the real demand. */
export function headroomItem(snapshot: CapacitySnapshot, placeable: ItemGroup[]): ItemGroup | undefined {
  const { tasks, shape } = snapshot.settings.headroom;
  if (tasks <= 0) return undefined;
  const template = newInstanceTemplate(snapshot);
  const reference =
    shape ??
    placeable
      .map((item) => item.shape)
      .sort(
        (a, b) =>
          dominantSize(b, template.cpu || 1, template.memoryMiB || 1) -
          dominantSize(a, template.cpu || 1, template.memoryMiB || 1),
      )[0];
  if (!reference) return undefined;
  const normalized = normalizeShape(reference);
  if (normalized.cpu > template.cpu || normalized.memoryMiB > template.memoryMiB) return undefined;
  return makeItemGroup({
    key: `${shapeKey(normalized)};headroom`,
    shape: normalized,
    group: undefined,
    distinct: false,
    memberOf: undefined,
    sources: [HEADROOM_SOURCE],
    count: tasks,
  });
}
