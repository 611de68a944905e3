/**
 * The yardstick: plain first-fit decreasing, one task at a time, largest (by dominant resource)
 * first, onto new instances of the group's type. What a simple autoscaler would compute; the
 * benchmark prints it beside the planner on the same workloads.
 */

import { compileMemberOf } from '../shared/capacity/member-of';
import {
  type Bin,
  dominantSize,
  fits,
  type ItemGroup,
  makeItemGroup,
  newBin,
  place,
} from '../shared/capacity/packing';
import { newInstanceTemplate } from '../shared/capacity/planner';
import type { CapacitySnapshot } from '../shared/capacity/snapshot';
import { shapeKey } from '../shared/ecs/requirements';

/** New instances plain FFD needs for the snapshot's demand (registered instances are ignored). */
export function firstFitDecreasingInstances(snapshot: CapacitySnapshot): number {
  const template = newInstanceTemplate(snapshot);
  const type = snapshot.instanceTypes[snapshot.group.instanceTypes[0] ?? ''];
  const tasks: ItemGroup[] = [];
  for (const demand of snapshot.demand) {
    const item = makeItemGroup({
      key: shapeKey(demand.shape),
      shape: demand.shape,
      group: demand.group ?? demand.source,
      distinct: demand.distinctInstance,
      memberOf: demand.memberOf ? compileMemberOf(demand.memberOf) : undefined,
      sources: [demand.source],
      count: demand.count,
    });
    for (let copy = 0; copy < demand.count; copy++) tasks.push(item);
  }
  const size = (item: ItemGroup) => dominantSize(item.shape, template.cpu || 1, template.memoryMiB || 1);
  tasks.sort((a, b) => size(b) - size(a));
  const zones = snapshot.group.availabilityZones;
  const bins: Bin[] = [];
  for (const task of tasks) {
    let target = bins.find((bin) => fits(bin, task));
    if (!target) {
      const fresh = newBin({
        kind: 'new',
        id: `ffd-${bins.length + 1}`,
        instanceType: snapshot.group.instanceTypes[0] ?? 'unknown',
        availabilityZone: zones.length > 0 ? zones[bins.length % zones.length] : undefined,
        capacityCpu: type?.cpu ?? 1,
        capacityMemory: type?.memoryMiB ?? 1,
        cpu: template.cpu,
        memoryMiB: template.memoryMiB,
        gpus: template.gpus,
        enis: template.enis,
        tcp: new Set(snapshot.daemonOverhead.hostPorts.tcp),
        udp: new Set(snapshot.daemonOverhead.hostPorts.udp),
        attributes: { ...snapshot.newInstanceAttributes },
        registeredAt: undefined,
        tasks: 0,
        alternativeTypes: undefined,
      });
      if (!fits(fresh, task)) continue;
      bins.push(fresh);
      target = fresh;
    }
    place(target, task);
  }
  return bins.length;
}
