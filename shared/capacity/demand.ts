/**
 * Pure rules for turning ECS services into demand: which capacity provider a service's tasks land
 * on, how many of its missing tasks that provider must host, and its placement constraints.
 */

export interface StrategyItem {
  capacityProvider?: string | undefined;
  weight?: number | undefined;
  base?: number | undefined;
}

/**
 * How many of `tasks` tasks a capacity provider strategy puts on `provider`: `base` tasks first go
 * to the provider that has one, the rest split by weight (ECS's documented behaviour). Rounding
 * follows a largest-remainder split, so the shares add up to `tasks`.
 */
export function strategyShare(strategy: readonly StrategyItem[], provider: string, tasks: number): number {
  const items = strategy.filter((item) => item.capacityProvider);
  if (tasks <= 0 || items.length === 0) return 0;
  if (items.length === 1) return items[0]?.capacityProvider === provider ? tasks : 0;
  let left = tasks;
  const shares = new Map<string, number>();
  for (const item of items) {
    const base = Math.min(left, Math.max(0, item.base ?? 0));
    if (base > 0) {
      shares.set(item.capacityProvider as string, base);
      left -= base;
    }
  }
  const weighted = items.filter((item) => (item.weight ?? 0) > 0);
  const totalWeight = weighted.reduce((sum, item) => sum + (item.weight ?? 0), 0);
  if (left > 0 && totalWeight > 0) {
    const exact = weighted.map((item) => ({
      name: item.capacityProvider as string,
      value: (left * (item.weight ?? 0)) / totalWeight,
    }));
    let given = 0;
    for (const entry of exact) {
      const whole = Math.floor(entry.value);
      shares.set(entry.name, (shares.get(entry.name) ?? 0) + whole);
      given += whole;
    }
    const byRemainder = [...exact].sort(
      (a, b) => b.value - Math.floor(b.value) - (a.value - Math.floor(a.value)),
    );
    for (let index = 0; given < left; index++, given++) {
      const entry = byRemainder[index % byRemainder.length];
      if (entry) shares.set(entry.name, (shares.get(entry.name) ?? 0) + 1);
    }
  }
  return shares.get(provider) ?? 0;
}

export interface ServiceLike {
  serviceName?: string | undefined;
  status?: string | undefined;
  schedulingStrategy?: string | undefined;
  launchType?: string | undefined;
  capacityProviderStrategy?: readonly StrategyItem[] | undefined;
  desiredCount?: number | undefined;
  runningCount?: number | undefined;
  pendingCount?: number | undefined;
  taskDefinition?: string | undefined;
  deploymentConfiguration?: { maximumPercent?: number | undefined } | undefined;
  placementConstraints?:
    | readonly { type?: string | undefined; expression?: string | undefined }[]
    | undefined;
  deployments?:
    | readonly {
        status?: string | undefined;
        taskDefinition?: string | undefined;
        desiredCount?: number | undefined;
        runningCount?: number | undefined;
        pendingCount?: number | undefined;
      }[]
    | undefined;
  /** Blue/green (CODE_DEPLOY) and EXTERNAL deployment controllers keep their counts here. */
  taskSets?: readonly TaskSetLike[] | undefined;
  /**
   * Running and pending tasks of the service (its primary deployment) per capacity provider, from
   * the tasks' `capacityProviderName`: where they really are, when known.
   */
  tasksByProvider?: Readonly<Record<string, number>> | undefined;
}

export interface TaskSetLike {
  id?: string | undefined;
  status?: string | undefined;
  taskDefinition?: string | undefined;
  launchType?: string | undefined;
  capacityProviderStrategy?: readonly StrategyItem[] | undefined;
  computedDesiredCount?: number | undefined;
  runningCount?: number | undefined;
  pendingCount?: number | undefined;
}

export interface ServiceDemand {
  service: string;
  taskDefinition: string;
  /** Tasks still to place on this provider. */
  missing: number;
  /**
   * Tasks ECS may still start for the whole service under its maximumPercent:
   * floor(desired x maximumPercent / 100) minus the running + pending tasks of all its deployments.
   */
  room: number;
  distinctInstance: boolean;
  /** memberOf expressions of the service (the task definition's are added by the caller). */
  memberOf: string[];
}

/** ECS's default maximumPercent for a replica service. */
export const DEFAULT_MAXIMUM_PERCENT = 200;

/**
 * The tasks a replica service still has to place on `provider`. During a deployment the primary
 * deployment's numbers count: it is the one starting tasks. ECS never runs more than
 * floor(desiredCount x maximumPercent / 100) tasks of the service at once, old deployments' included,
 * so a rolling deployment starts at most that many minus those running or pending (with
 * maximumPercent 100 it stops old tasks first and starts the new ones in their place). Those ECS
 * will start next are split by the strategy, as ECS places them. A service uses the provider through its
 * own strategy, the cluster's default when it has neither strategy nor launch type, or (launch type
 * EC2, any instance) when `anyInstance` says this provider takes such demand.
 */
export function serviceDemand(
  service: ServiceLike,
  provider: string,
  clusterDefault: readonly StrategyItem[],
  anyInstance: boolean,
): ServiceDemand | undefined {
  if (service.status !== 'ACTIVE' || service.schedulingStrategy === 'DAEMON') return undefined;
  const strategy = strategyOf(service, provider, clusterDefault, anyInstance);
  if (!strategy.some((item) => item.capacityProvider === provider)) return undefined;

  const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  const desired = primary?.desiredCount ?? service.desiredCount ?? 0;
  const started =
    (primary?.runningCount ?? service.runningCount ?? 0) +
    (primary?.pendingCount ?? service.pendingCount ?? 0);
  const room = roomUnderMaximumPercent(service, desired);
  const startable = Math.min(Math.max(0, desired - started), room);
  const missing = providerDeficit(strategy, provider, started, startable, service.tasksByProvider);
  const taskDefinition = primary?.taskDefinition ?? service.taskDefinition;
  if (!taskDefinition) return undefined;
  return {
    service: service.serviceName ?? 'unknown',
    taskDefinition,
    missing,
    room,
    ...constraintsOf(service),
  };
}

/**
 * How many of the `startable` tasks ECS will place on `provider`. Without knowing where the started
 * tasks are, they are taken to follow the strategy, and the provider gets its share of the new total
 * less its share of the started. Knowing it (`tasksByProvider`), each new task goes to the provider
 * furthest below its share of the total so far, as ECS evens the split toward the strategy: a
 * provider that could not launch its share earlier gets what it lacks, not just its weight.
 */
export function providerDeficit(
  strategy: readonly StrategyItem[],
  provider: string,
  started: number,
  startable: number,
  tasksByProvider: Readonly<Record<string, number>> | undefined,
): number {
  if (!tasksByProvider) {
    return Math.max(
      0,
      strategyShare(strategy, provider, started + startable) - strategyShare(strategy, provider, started),
    );
  }
  const names = [
    ...new Set(strategy.map((item) => item.capacityProvider).filter((name) => name !== undefined)),
  ];
  if (!names.includes(provider)) return 0;
  const counts = new Map(names.map((name) => [name, tasksByProvider[name] ?? 0]));
  for (let placed = 1; placed <= startable; placed++) {
    let best: string | undefined;
    let bestLack = Number.NEGATIVE_INFINITY;
    for (const name of names) {
      const lack = strategyShare(strategy, name, started + placed) - (counts.get(name) ?? 0);
      if (lack > bestLack) {
        bestLack = lack;
        best = name;
      }
    }
    if (best !== undefined) counts.set(best, (counts.get(best) ?? 0) + 1);
  }
  return (counts.get(provider) ?? 0) - (tasksByProvider[provider] ?? 0);
}

/**
 * Which providers a service's (or task set's) tasks go to: its own strategy, the cluster's default
 * when it has neither strategy nor launch type, or (launch type EC2, any instance) the provider when
 * `anyInstance` says it takes such demand.
 */
export function strategyOf(
  owner: { capacityProviderStrategy?: readonly StrategyItem[] | undefined; launchType?: string | undefined },
  provider: string,
  clusterDefault: readonly StrategyItem[],
  anyInstance: boolean,
): readonly StrategyItem[] {
  const own = owner.capacityProviderStrategy ?? [];
  if (own.length > 0) return own;
  if (owner.launchType === 'EC2') return anyInstance ? [{ capacityProvider: provider, weight: 1 }] : [];
  if (owner.launchType) return [];
  return clusterDefault;
}

function constraintsOf(service: ServiceLike): Pick<ServiceDemand, 'distinctInstance' | 'memberOf'> {
  const constraints = service.placementConstraints ?? [];
  return {
    distinctInstance: constraints.some((constraint) => constraint.type === 'distinctInstance'),
    memberOf: constraints
      .filter((constraint) => constraint.type === 'memberOf' && constraint.expression)
      .map((constraint) => constraint.expression as string),
  };
}

/**
 * The tasks a service still has to place on `provider`, one entry per task definition. A service
 * with task sets (blue/green CODE_DEPLOY, EXTERNAL deployment controllers) keeps its counts there:
 * each task set misses computedDesiredCount - running - pending tasks of its own task definition,
 * split by its own strategy (else the service's, else the cluster default); the constraints are the
 * service's. Other services: serviceDemand.
 */
export function serviceDemands(
  service: ServiceLike,
  provider: string,
  clusterDefault: readonly StrategyItem[],
  anyInstance: boolean,
): ServiceDemand[] {
  const taskSets = service.taskSets ?? [];
  if (taskSets.length === 0) {
    const demand = serviceDemand(service, provider, clusterDefault, anyInstance);
    return demand ? [demand] : [];
  }
  if (service.status !== 'ACTIVE' || service.schedulingStrategy === 'DAEMON') return [];
  const constraints = constraintsOf(service);
  // The PRIMARY task set first: it alone carries the service's room for draining replacements.
  const ordered = [...taskSets].sort(
    (a, b) => Number(b.status === 'PRIMARY') - Number(a.status === 'PRIMARY'),
  );
  const demands: ServiceDemand[] = [];
  for (const taskSet of ordered) {
    if (!taskSet.taskDefinition) continue;
    const strategy = strategyOf(
      {
        capacityProviderStrategy: taskSet.capacityProviderStrategy?.length
          ? taskSet.capacityProviderStrategy
          : service.capacityProviderStrategy,
        launchType: taskSet.launchType ?? service.launchType,
      },
      provider,
      clusterDefault,
      anyInstance,
    );
    if (!strategy.some((item) => item.capacityProvider === provider)) continue;
    const started = (taskSet.runningCount ?? 0) + (taskSet.pendingCount ?? 0);
    const startable = Math.max(0, (taskSet.computedDesiredCount ?? 0) - started);
    const missing = Math.max(
      0,
      strategyShare(strategy, provider, started + startable) - strategyShare(strategy, provider, started),
    );
    demands.push({
      service: service.serviceName ?? 'unknown',
      taskDefinition: taskSet.taskDefinition,
      missing,
      room: missing,
      ...constraints,
    });
  }
  // Replacements for tasks on draining instances start under the service's maximumPercent.
  const first = demands[0];
  if (first) {
    const missing = demands.reduce((total, demand) => total + demand.missing, 0);
    const room = roomUnderMaximumPercent(service, service.desiredCount ?? 0);
    first.room = first.missing + Math.max(0, room - missing);
  }
  return demands;
}

/**
 * Tasks ECS may still start for a service: floor(desiredCount x maximumPercent / 100) less the running
 * and pending tasks of every deployment (the service totals when it lists none).
 */
export function roomUnderMaximumPercent(service: ServiceLike, primaryDesired: number): number {
  const desired = service.desiredCount ?? primaryDesired;
  const maximumPercent = service.deploymentConfiguration?.maximumPercent ?? DEFAULT_MAXIMUM_PERCENT;
  const ceiling = Math.floor((desired * maximumPercent) / 100);
  const deployments = service.deployments ?? [];
  const started =
    deployments.length > 0
      ? deployments.reduce(
          (sum, deployment) => sum + (deployment.runningCount ?? 0) + (deployment.pendingCount ?? 0),
          0,
        )
      : (service.runningCount ?? 0) + (service.pendingCount ?? 0);
  return Math.max(0, ceiling - started);
}

/** Several memberOf constraints all have to hold. */
export function combineMemberOf(expressions: readonly string[]): string | undefined {
  const unique = [...new Set(expressions.map((expression) => expression.trim()).filter(Boolean))];
  if (unique.length === 0) return undefined;
  if (unique.length === 1) return unique[0];
  return unique.map((expression) => `(${expression})`).join(' and ');
}
