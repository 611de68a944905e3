/**
 * Which instance type a mixed instances group launches next, under its allocation strategies, so
 * new instances are planned as that type rather than as the first override. "Allocation strategies
 * for multiple instance types" and InstancesDistribution in the Amazon EC2 Auto Scaling
 * documentation: On-Demand `prioritized` launches the overrides in order, `lowest-price` the
 * cheapest; Spot `capacity-optimized-prioritized` honours the order on a best-effort basis, the
 * others choose by price and capacity (not knowable here: the cheapest is assumed, and said).
 */
import type { CapacitySnapshot, Shape } from './snapshot';

export type Purchase = 'on-demand' | 'spot';

export interface LaunchType {
  /** The types the plan's new instances are (two when On-Demand and Spot choose differently). */
  instanceTypes: string[];
  purchase: Purchase[];
  /** The choice rests on prices or capacity Auto Scaling weighs and the plan cannot see. */
  assumed: boolean;
  reason: string;
}

const BY_PRIORITY = new Set(['prioritized', 'capacity-optimized-prioritized']);

/** Undefined without a mixed instances policy in the snapshot (or with one type): nothing to choose. */
export function launchType(snapshot: CapacitySnapshot, shapes: readonly Shape[]): LaunchType | undefined {
  const { group } = snapshot;
  const policy = group.mixedInstances;
  const overrides = group.instanceTypes;
  if (!policy || new Set(overrides).size < 2) return undefined;
  // The On-Demand base is filled first, then each launch is On-Demand at the percentage above it.
  const percent =
    group.desired < policy.onDemandBaseCapacity ? 100 : policy.onDemandPercentageAboveBaseCapacity;
  const purchase: Purchase[] =
    percent >= 100 ? ['on-demand'] : percent <= 0 ? ['spot'] : ['on-demand', 'spot'];
  const overhead = snapshot.daemonOverhead;
  const holds = (type: string, shape: Shape) => {
    const resources = snapshot.instanceTypes[type];
    return (
      resources !== undefined &&
      shape.cpu <= resources.cpu - overhead.cpu &&
      shape.memoryMiB <= resources.memoryMiB - overhead.memoryMiB &&
      shape.gpus <= resources.gpus - overhead.gpus &&
      shape.enis <= resources.enis - overhead.enis
    );
  };
  const held = (type: string) => shapes.filter((shape) => holds(type, shape)).length;
  const most = Math.max(0, ...overrides.map(held));
  const priced = overrides.every((type) => snapshot.instanceTypes[type]?.pricePerHour !== undefined);
  const size = (type: string) => {
    const resources = snapshot.instanceTypes[type];
    return [resources?.pricePerHour ?? 0, resources?.cpu ?? 0, resources?.memoryMiB ?? 0];
  };
  const cheapestFirst = [...overrides].sort((a, b) => {
    const [pa = 0, ca = 0, ma = 0] = size(a);
    const [pb = 0, cb = 0, mb = 0] = size(b);
    return priced ? pa - pb : ca - cb || ma - mb;
  });
  const choices = purchase.map((kind) => {
    const strategy = kind === 'on-demand' ? policy.onDemandAllocationStrategy : policy.spotAllocationStrategy;
    const ordered = BY_PRIORITY.has(strategy) ? overrides : cheapestFirst;
    // The first in that order that holds the most of the demand (all of it, normally).
    const type = ordered.find((candidate) => held(candidate) === most) ?? (ordered[0] as string);
    const passed = ordered.slice(0, ordered.indexOf(type));
    const label = `${kind === 'on-demand' ? 'On-Demand' : 'Spot'} ${strategy}`;
    const why = BY_PRIORITY.has(strategy)
      ? `the first override in priority order that holds the demand (${label})`
      : `assumed the cheapest override that holds the demand (${label}; ${priced ? 'by the prices given' : 'no prices known: the smallest type taken as the cheapest'}), Auto Scaling may launch another`;
    const skipped =
      passed.length > 0
        ? `; ${passed.join(', ')}, before it, cannot hold all of the demand (Auto Scaling launches ${passed[0]} first while it has capacity: give the large tasks their own capacity provider)`
        : '';
    return {
      type,
      assumed: !BY_PRIORITY.has(strategy) || strategy === 'capacity-optimized-prioritized',
      text: `${type}, ${why}${skipped}`,
    };
  });
  const instanceTypes = [...new Set(choices.map((choice) => choice.type))];
  return {
    instanceTypes,
    purchase,
    assumed: choices.some((choice) => choice.assumed),
    reason: `mixed instances: new instances planned as ${choices.map((choice) => choice.text).join('; and as ')}${instanceTypes.length > 1 ? ' (each resource the smaller of the two)' : ''}; the next pass re-plans from what registered`,
  };
}
