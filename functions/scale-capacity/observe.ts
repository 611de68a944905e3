/**
 * Observe: builds a planner snapshot for one capacity provider from ECS, Auto Scaling and the state
 * table. Reads are batched at the API limits and shared between providers of the same cluster in
 * one pass; task definitions are cached per revision for the life of the container.
 */
import type {
  Instance as AsgInstance,
  AutoScalingGroup,
  InstanceRefresh,
} from '@aws-sdk/client-auto-scaling';
import type {
  CapacityProvider,
  Cluster,
  ContainerInstance,
  Failure,
  ProtectedTask,
  Service,
  Task,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import {
  describeAutoScalingGroups,
  describeInstanceRefreshes,
  describeLifecycleHooks,
  describeScalingActivities,
} from '../../shared/aws/autoscaling';
import { BATCH_CONCURRENCY, mapConcurrent } from '../../shared/aws/batch';
import {
  type Described,
  describeCapacityProviders,
  describeClusters,
  describeContainerInstances,
  describeServices,
  describeTaskDefinition,
  describeTasks,
  getTaskProtection,
  listContainerInstanceArns,
  listServiceArns,
  listTaskArns,
} from '../../shared/aws/ecs';
import { combineMemberOf, type StrategyItem, serviceDemands } from '../../shared/capacity/demand';
import { nameFromArn } from '../../shared/capacity/events';
import { estimateInstanceType, trunkTaskEnis } from '../../shared/capacity/instance-types';
import { launchFailuresOf } from '../../shared/capacity/launches';
import { compileMemberOf } from '../../shared/capacity/member-of';
import type {
  CapacitySettings,
  CapacitySnapshot,
  Demand,
  InstanceTypeResources,
  LaunchFailure,
  LaunchingInstance,
  RegisteredInstance,
} from '../../shared/capacity/snapshot';
import { applyStall } from '../../shared/capacity/stall';
import { type InstanceView, toInstanceView } from '../../shared/ecs/container-instance';
import { type ResourceShape, taskRequirements } from '../../shared/ecs/requirements';
import {
  type RememberedTypes,
  readCapacityRequests,
  readFailingRaise,
  readIdleMarkers,
  readRememberedTypes,
  readSeenMarkers,
  readStallMarkers,
  type StallMarker,
} from '../../shared/state/capacity';

/** A capacity provider scale-capacity must not drive: it says why, for the log and the caller. */
export class CapacityProviderRefused extends Error {
  override readonly name = 'CapacityProviderRefused';
}

export const TYPE_TAG = 'ecs-autopilot:instance-type';
export const ATTRIBUTE_TAG_PREFIX = 'ecs-autopilot:attribute:';
/** Attributes that differ between instances of one group, so never promised to a new one. */
const PER_INSTANCE_ATTRIBUTES = new Set([
  'ecs.availability-zone',
  'ecs.instance-type',
  'ecs.ami-id',
  'ecs.subnet-id',
  'ecs.awsvpc-trunk-id',
]);

/** Reads of a whole cluster, made once per pass and shared by its providers. */
export interface ClusterReads {
  cluster: Promise<Cluster | undefined>;
  /** With the `failures[]` ECS answered instead of some of them (MISSING, ...). */
  containerInstances: Promise<Described<ContainerInstance>>;
  services: Promise<Described<Service>>;
}

export function readCluster(cluster: string): ClusterReads {
  return {
    cluster: describeClusters([cluster]).then(({ items }) => items[0]),
    containerInstances: listContainerInstanceArns(cluster).then(async (arns) =>
      arns.length === 0 ? { items: [], failures: [] } : describeContainerInstances(cluster, arns),
    ),
    services: listServiceArns(cluster).then(async (arns) =>
      arns.length === 0 ? { items: [], failures: [] } : describeServices(cluster, arns.map(nameFromArn)),
    ),
  };
}

/** A read's `failures[]` in words, for the partial-view reasons. */
function failuresText(operation: string, what: string, failures: readonly Failure[], of: number): string {
  const reasons = [...new Set(failures.map((failure) => failure.reason ?? 'unknown'))].join(', ');
  const named = failures
    .slice(0, 5)
    .map((failure) => failure.arn ?? '?')
    .join(', ');
  return `${operation} answered ${failures.length} of ${of} ${what} with failures (${reasons}: ${named}${failures.length > 5 ? ', ...' : ''})`;
}

export interface ObserveOptions {
  cluster: string;
  capacityProvider: string;
  table: string;
  settings: CapacitySettings;
  now: number;
  /** Takes demand meant for any instance of the cluster (`*` requests, launch type EC2 services). */
  anyInstance: boolean;
  /** Resources per instance type from the configuration; win over everything else. */
  instanceTypes?: Record<string, InstanceTypeResources>;
  /** PROVISIONING tasks named by events. */
  provisioningTasks?: readonly string[];
  reads?: ClusterReads;
  /** Idle instances whose tasks are listed to confirm they run only daemon tasks. */
  verifyLimit?: number;
}

export interface Observation {
  snapshot: CapacitySnapshot;
  groupName: string;
  /** EC2 instance id -> container instance ARN, for draining before removal. */
  containerInstanceArns: Map<string, string>;
  /** Idle markers of instances no longer in the group. */
  staleIdleMarkers: string[];
  stallMarkers: Map<string, StallMarker>;
  /** What to remember about the group's types, when it changed. */
  rememberTypes: RememberedTypes | undefined;
  /** Of the PROVISIONING tasks asked about, those still waiting for an instance (any provider). */
  stillProvisioning: string[];
  /**
   * Why this view is partial: a read answered `failures[]` for some of what it was asked, or was cut
   * short. Empty when complete. A partial pass may add capacity but removes nothing it could not see.
   */
  partial: string[];
  /** Instances of the group Auto Scaling protects from scale-in (any lifecycle state). */
  protectedIds: Set<string>;
  /** Instances of the group InService or Pending: with the desired capacity, the base for a raise. */
  liveInstances: number;
  /** Unregistered instances whose launch time Auto Scaling did not give, first seen now: remembered. */
  firstSeen: string[];
  /** First-seen markers of instances no longer unregistered in the group. */
  staleSeenMarkers: string[];
  /** Agents disconnected for AGENT_DISCONNECTED_REPORT_MS or longer, with since when (first seen so). */
  disconnectedAgents: { instanceId: string; since: string }[];
  /** Disconnected agents with since when: their markers are renewed. */
  agentMarkers: { instanceId: string; since: string }[];
  /** The instance refresh under way on the group, if any. */
  refresh: { id: string; status: string; startedAt: string } | undefined;
  /** Instances the refresh launched (registered since it started): not removed as idle while it runs. */
  refreshReplacements: Set<string>;
  /**
   * Instances an instance refresh (launched before it) or the group's maximum instance lifetime must
   * replace: their scale-in protection is given back so Auto Scaling can (the terminate hook drains them).
   */
  releaseProtection: Set<string>;
  /** Task groups of the cluster's daemon services (`service:NAME`): they never hold an instance. */
  daemonGroups: Set<string>;
  /**
   * Instances scale-capacity set DRAINING to remove them, still InService: a pass stopped between the
   * two. The next pass finishes the removal (or sets them ACTIVE again if a task is on them).
   */
  removing: { instanceId: string; arn: string; since: string }[];
  /** The group has a warm pool (functions/scale-capacity/warm-pool.ts reads it). */
  hasWarmPool?: boolean;
  notes: string[];
}

const IN_GROUP = /^(Pending|Pending:Wait|Pending:Proceed|InService)$/;
/** An agent disconnected this long is reported (the agent reconnects by itself after brief blips). */
export const AGENT_DISCONNECTED_REPORT_MS = 5 * 60_000;

export async function observe(options: ObserveOptions): Promise<Observation> {
  const { cluster, capacityProvider, table, settings, now } = options;
  const notes: string[] = [];
  const partial: string[] = [];
  const provider = await capacityProviderOf(capacityProvider);
  const groupName = groupNameOf(provider);
  const reads = options.reads ?? readCluster(cluster);

  const [
    groups,
    clusterInfo,
    containerInstanceRead,
    serviceRead,
    idleMarkers,
    stallMarkers,
    requests,
    remembered,
    refreshes,
  ] = await Promise.all([
    describeAutoScalingGroups([groupName]),
    reads.cluster,
    reads.containerInstances,
    reads.services,
    readIdleMarkers(table, cluster, capacityProvider, now),
    readStallMarkers(table, cluster, capacityProvider, now),
    readCapacityRequests(table, cluster, capacityProvider, options.anyInstance, now),
    readRememberedTypes(table, cluster, capacityProvider, now),
    describeInstanceRefreshes(groupName).catch((error: unknown) => {
      notes.push(`${groupName}: instance refreshes could not be read (${(error as Error).message})`);
      return [] as InstanceRefresh[];
    }),
  ]);
  const containerInstances = containerInstanceRead.items;
  const services = serviceRead.items;
  if (containerInstanceRead.failures.length > 0) {
    // An instance ECS did not describe may be any instance of the group, busy or not: unregistered
    // ones cannot be told from it this pass.
    partial.push(
      failuresText(
        'ecs:DescribeContainerInstances',
        'container instance(s)',
        containerInstanceRead.failures,
        containerInstances.length + containerInstanceRead.failures.length,
      ),
    );
  }
  if (serviceRead.failures.length > 0) {
    partial.push(
      failuresText(
        'ecs:DescribeServices',
        'service(s)',
        serviceRead.failures,
        services.length + serviceRead.failures.length,
      ),
    );
  }
  const group = groups[0];
  if (!group)
    throw new CapacityProviderRefused(`Auto Scaling group ${groupName} of ${capacityProvider} not found`);
  if (!clusterInfo) throw new CapacityProviderRefused(`cluster ${cluster} not found`);
  refuseCapacityInOtherUnits(group, capacityProvider);
  const suspendedProcesses = suspendedProcessesOf(group, notes);

  const asgInstances = (group.Instances ?? []).filter((instance) => instance.InstanceId);
  const inGroup = new Map(asgInstances.map((instance) => [instance.InstanceId as string, instance]));
  const registered = containerInstances.filter(
    (instance) => instance.ec2InstanceId !== undefined && inGroup.has(instance.ec2InstanceId),
  );
  const registeredIds = new Set(registered.map((instance) => instance.ec2InstanceId as string));

  // Services: daemons reserve room on every instance; replicas using this provider bring demand.
  const active = services.filter((service) => service.status === 'ACTIVE');
  const daemons = active.filter((service) => service.schedulingStrategy === 'DAEMON');
  const daemonGroups = new Set(daemons.map((service) => `service:${service.serviceName}`));
  const clusterDefault: StrategyItem[] = clusterInfo.defaultCapacityProviderStrategy ?? [];
  const byProvider = await tasksByProviderOf(
    cluster,
    capacityProvider,
    active,
    clusterDefault,
    partial,
    notes,
  );
  const replicas = active.flatMap((service) =>
    serviceDemands(
      { ...service, tasksByProvider: byProvider.get(service.serviceName ?? '') },
      capacityProvider,
      clusterDefault,
      options.anyInstance,
    ),
  );

  const definitions = await loadDefinitions([
    ...daemons.map((service) => service.taskDefinition),
    ...replicas.map((replica) => replica.taskDefinition),
    ...requests.map((request) => request.taskDefinition),
  ]);
  const shapeOf = (arn: string | undefined) => {
    const definition = arn ? definitions.get(arn) : undefined;
    return definition ? taskRequirements(definition) : undefined;
  };

  // Instance types: what the group launches and what each registers.
  const types = groupInstanceTypes(group, asgInstances, remembered);
  const views = registered.map((instance) => toInstanceView(instance));
  const resources = typeResources(types, views, remembered, options.instanceTypes ?? {}, notes);
  for (const type of types) {
    if (!resources[type]) {
      throw new CapacityProviderRefused(
        `cannot tell what a new ${type} instance of ${groupName} registers: add it to INSTANCE_TYPES (e.g. {"${type}":{"cpu":2048,"memoryMiB":7680,"enis":2}})`,
      );
    }
  }
  if (types.length === 0) {
    throw new CapacityProviderRefused(
      `cannot tell which instance type ${groupName} launches (no instances, no mixed instances policy): tag the group ${TYPE_TAG}=<type>`,
    );
  }
  for (const view of views) {
    const type = view.attributes['ecs.instance-type'];
    if (type && !resources[type]) resources[type] = resourcesFromView(view);
  }
  const trunking = eniTrunking(views, resources, options.instanceTypes ?? {});
  // New instances take the trunk's task ENIs when the group's instances are trunked; what is
  // remembered for a group at zero stays the count without trunking.
  const newInstanceTypes = trunking.newInstances ? trunking.forNewInstances(types) : resources;

  // Daemons run only where their constraints hold: a new instance carries those that hold for any
  // type and zone it may have; a registered one those that hold for it.
  const newAttributes = newInstanceAttributes(group, views);
  const daemonHolds = daemons.map((service) => daemonConstraint(service, definitions));
  const newViews = newInstanceViews(types, group.AvailabilityZones ?? [], newAttributes);
  // A daemon whose task definition cannot be read still runs on new instances: named, so the planner
  // measures its room on registered instances instead of leaving it out.
  const unreadDaemons = daemons
    .filter((service) => !service.taskDefinition || !definitions.has(service.taskDefinition))
    .map((service) => service.serviceName ?? service.serviceArn ?? '?');
  if (unreadDaemons.length > 0) {
    notes.push(
      `daemon task definition(s) not readable for ${unreadDaemons.join(', ')}: their room on new instances is measured on registered ones`,
    );
  }
  const daemonOverhead = sumShapes(
    daemons.map((service, index) =>
      newViews.some((view) => daemonHolds[index]?.(view) ?? true)
        ? shapeOf(service.taskDefinition)
        : undefined,
    ),
  );

  // Registered instances.
  const instances: RegisteredInstance[] = registered.map((instance, index) => {
    const view = views[index] as InstanceView;
    const ec2 = inGroup.get(instance.ec2InstanceId as string) as AsgInstance;
    const type = view.attributes['ecs.instance-type'] ?? ec2.InstanceType ?? types[0] ?? 'unknown';
    const tasks = view.runningTasksCount + view.pendingTasksCount;
    const estimated = tasks - daemonHolds.filter((holds) => holds?.(view) ?? true).length;
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(view.attributes)) attributes[name] = value ?? '';
    const typeEnis = trunking.taskEnis(type, isTrunked(view));
    // Auto Scaling replaces an Unhealthy instance (ReplaceUnhealthy): the planner plans nothing on it
    // and neither removes nor protects it; it stays in the count of the desired capacity until replaced.
    if (ec2.HealthStatus?.toLowerCase() === 'unhealthy') {
      notes.push(
        `${instance.ec2InstanceId}: Auto Scaling marks it Unhealthy; not planned on (Auto Scaling replaces it)`,
      );
    }
    return {
      id: instance.ec2InstanceId as string,
      arn: view.arn,
      instanceType: type,
      availabilityZone: view.attributes['ecs.availability-zone'] ?? ec2.AvailabilityZone,
      lifecycleState: ec2.LifecycleState ?? 'InService',
      ...(ec2.HealthStatus ? { healthStatus: ec2.HealthStatus } : {}),
      status: view.status,
      agentConnected: view.agentConnected,
      protectedFromScaleIn: ec2.ProtectedFromScaleIn ?? false,
      ...(view.registeredAt ? { registeredAt: view.registeredAt.toISOString() } : {}),
      free: {
        cpu: view.remaining.cpu,
        memoryMiB: view.remaining.memoryMiB,
        gpus: view.remaining.gpus,
        enis: Math.max(0, typeEnis - eniAttachments(instance, view.attributes[TRUNK_ATTRIBUTE])),
      },
      portsInUse: view.remaining.ports,
      attributes,
      taskGroups: [],
      tasks,
      // Only daemons may be running when the count says so: confirmed below for removal candidates.
      nonDaemonTasks: tasks === 0 ? 0 : estimated > 0 ? estimated : null,
      idleSince: idleMarkers.get(instance.ec2InstanceId as string)?.since ?? null,
      pinnedTasks: 0,
    };
  });

  await confirmIdle(cluster, instances, daemonGroups, settings, now, options.verifyLimit ?? 50, partial);
  const consolidation = settings.consolidation && (await drainsOnTermination(groupName, notes));
  if (consolidation) {
    const movedServices = await listMovableTasks(
      cluster,
      instances,
      daemonGroups,
      resources,
      settings,
      active,
      partial,
    );
    // Where their siblings run, so a distinctInstance task is never moved next to one.
    if (movedServices.length > 0) await markServiceInstances(cluster, movedServices, instances, partial);
  }

  // Service tasks on DRAINING instances: ECS starts their replacements elsewhere before stopping them.
  const draining = await drainingReplacements(cluster, instances, daemonGroups, active, partial);
  const replaced = new Set<string>();
  for (const replica of replicas) {
    const onDraining = draining.get(`service:${replica.service}`) ?? 0;
    // A service with task sets has one replica per task set: its first (PRIMARY) takes them.
    if (onDraining <= 0 || replaced.has(replica.service)) continue;
    replaced.add(replica.service);
    // Replacements start within maximumPercent too; beyond it ECS stops old tasks first (a deficit later).
    const replacements = Math.min(onDraining, Math.max(0, replica.room - replica.missing));
    replica.missing += replacements;
    notes.push(
      `service ${replica.service}: ${onDraining} task(s) on draining instances need replacements elsewhere${replacements < onDraining ? `; ${replacements} can start now under its maximumPercent` : ''}`,
    );
  }

  // Which instances already run a task of each distinctInstance service with tasks to place.
  const distinct = replicas.filter((replica) => replica.distinctInstance && replica.missing > 0);
  if (distinct.length > 0) await markServiceInstances(cluster, distinct, instances, partial);

  // Launched but not registered: when, from the group's scaling activities. They also tell whether
  // Auto Scaling fails to launch the desired capacity it has not launched yet.
  const { launching, launchFailures, firstSeen, unregisteredIds, seenMarkers } = await launchActivity(
    group,
    asgInstances,
    registeredIds,
    types,
    settings,
    now,
    // Read only when an unregistered instance has no launch activity (rare): no cost otherwise.
    () => readSeenMarkers(table, cluster, capacityProvider, now),
    notes,
  );
  const failingRaiseAt =
    launchFailures.length > 0 ? await readFailingRaise(table, cluster, capacityProvider, now) : undefined;
  if (launchFailures.length > 0) {
    const latest = launchFailures[0] as LaunchFailure;
    notes.push(
      `${groupName}: ${launchFailures.length} launch(es) failed since the last launch that did not, the latest (${latest.status} at ${latest.at}): ${latest.message}`,
    );
  }

  // Demand.
  const demand: Demand[] = [];
  const byService = new Map<string, Demand>();
  for (const replica of replicas) {
    if (replica.missing <= 0) continue;
    const definition = definitions.get(replica.taskDefinition);
    const shape = shapeOf(replica.taskDefinition);
    if (!shape || !definition) {
      notes.push(
        `service ${replica.service}: task definition ${replica.taskDefinition} not readable; skipped`,
      );
      continue;
    }
    const source = `service:${replica.service}`;
    const item: Demand = {
      source,
      group: source,
      count: replica.missing,
      shape,
      distinctInstance: replica.distinctInstance,
      newInstancesOnly: false,
    };
    applyStall(item, stallMarkers.get(source), now);
    const memberOf = combineMemberOf([...replica.memberOf, ...definitionMemberOf(definition)]);
    if (memberOf) item.memberOf = memberOf;
    demand.push(item);
    byService.set(source, item);
  }
  for (const request of requests) {
    const fromDefinition = shapeOf(request.taskDefinition);
    const shape: ResourceShape = {
      cpu: request.cpu,
      memoryMiB: request.memoryMiB,
      gpus: request.gpus,
      hostPorts: fromDefinition?.hostPorts ?? { tcp: [], udp: [] },
      enis: fromDefinition?.enis ?? 0,
    };
    const definition = request.taskDefinition ? definitions.get(request.taskDefinition) : undefined;
    const memberOf = definition ? combineMemberOf(definitionMemberOf(definition)) : undefined;
    demand.push({
      source: `request:${request.jobName}#${request.due}`,
      group: definition?.family ? `family:${definition.family}` : undefined,
      count: request.count,
      shape,
      distinctInstance: false,
      newInstancesOnly: false,
      ...(memberOf ? { memberOf } : {}),
    });
  }
  let stillProvisioning: string[] = [];
  if (options.provisioningTasks && options.provisioningTasks.length > 0) {
    stillProvisioning = await addProvisioningTasks(
      cluster,
      capacityProvider,
      options,
      byService,
      demand,
      notes,
    );
  }

  // Headroom is counted in tasks of the largest service shape on this provider unless given.
  const headroom = { ...settings.headroom };
  if (headroom.tasks > 0 && !headroom.shape) {
    const shapes = replicas
      .map((replica) => shapeOf(replica.taskDefinition))
      .filter((shape) => shape !== undefined);
    const largest = shapes.sort(
      (a, b) => b.cpu / 1024 + b.memoryMiB / 4096 - (a.cpu / 1024 + a.memoryMiB / 4096),
    )[0];
    if (largest) headroom.shape = { ...largest, hostPorts: { tcp: [], udp: [] } };
  }

  const groupIds = new Set(asgInstances.map((instance) => instance.InstanceId as string));
  const snapshot: CapacitySnapshot = {
    version: 1,
    takenAt: new Date(now).toISOString(),
    cluster,
    capacityProvider,
    group: {
      name: groupName,
      min: group.MinSize ?? 0,
      max: group.MaxSize ?? 0,
      desired: group.DesiredCapacity ?? 0,
      availabilityZones: group.AvailabilityZones ?? [],
      instanceTypes: types,
      ...mixedInstancesOf(group),
      ...(suspendedProcesses.length > 0 ? { suspendedProcesses } : {}),
      ...(launchFailures.length > 0 ? { launchFailures } : {}),
      ...(failingRaiseAt ? { failingRaiseAt } : {}),
      ...(trunking.seen
        ? {
            eniTrunking: { newInstances: trunking.newInstances, notInTable: [...trunking.notInTable].sort() },
          }
        : {}),
    },
    instanceTypes: newInstanceTypes,
    newInstanceAttributes: newAttributes,
    daemonOverhead,
    ...(unreadDaemons.length > 0 ? { unreadDaemons } : {}),
    settings: { ...settings, headroom, consolidation },
    instances,
    launching,
    demand,
  };
  const learned = { instanceTypes: types, resources: pick(resources, types) };
  return {
    snapshot,
    groupName,
    containerInstanceArns: new Map(instances.map((instance) => [instance.id, instance.arn ?? ''])),
    staleIdleMarkers: [...idleMarkers.keys()].filter((id) => !groupIds.has(id)),
    stallMarkers,
    rememberTypes:
      registered.length > 0 && JSON.stringify(learned) !== JSON.stringify(remembered) ? learned : undefined,
    stillProvisioning,
    partial,
    protectedIds: new Set(
      asgInstances
        .filter((instance) => instance.ProtectedFromScaleIn)
        .map((instance) => instance.InstanceId as string),
    ),
    liveInstances: asgInstances.filter((instance) => IN_GROUP.test(instance.LifecycleState ?? '')).length,
    firstSeen,
    staleSeenMarkers: seenMarkers ? [...seenMarkers.keys()].filter((id) => !unregisteredIds.has(id)) : [],
    ...(await agentsOf(
      instances,
      () => readSeenMarkers(table, cluster, capacityProvider, now, 'agent'),
      now,
    )),
    ...replacementsOf(group, refreshes, instances, now, notes),
    daemonGroups,
    hasWarmPool: group.WarmPoolConfiguration !== undefined,
    removing: instances
      .filter(
        (instance) =>
          instance.status === 'DRAINING' &&
          instance.lifecycleState === 'InService' &&
          instance.arn &&
          idleMarkers.get(instance.id)?.removingAt,
      )
      .map((instance) => ({
        instanceId: instance.id,
        arn: instance.arn as string,
        since: idleMarkers.get(instance.id)?.since ?? new Date(now).toISOString(),
      })),
    notes,
  };
}

async function capacityProviderOf(name: string): Promise<CapacityProvider> {
  const { items } = await describeCapacityProviders([name]);
  const provider = items[0];
  if (!provider || provider.status === 'INACTIVE') {
    throw new CapacityProviderRefused(`capacity provider ${name} not found (or INACTIVE)`);
  }
  const group = provider.autoScalingGroupProvider;
  if (!group?.autoScalingGroupArn) {
    throw new CapacityProviderRefused(`capacity provider ${name} has no Auto Scaling group (Fargate?)`);
  }
  if (group.managedScaling?.status === 'ENABLED') {
    throw new CapacityProviderRefused(
      `capacity provider ${name} has managed scaling ENABLED, so ECS already sizes ${groupNameOf(provider)}; two controllers on one group fight. Turn managed scaling off (aws ecs update-capacity-provider --name ${name} --auto-scaling-group-provider managedScaling={status=DISABLED}) or remove ${name} from CAPACITY_PROVIDERS.`,
    );
  }
  return provider;
}

/**
 * The planner counts the desired capacity in instances. A group that counts it in weights (a mixed
 * instances policy with WeightedCapacity) or in vCPUs / MiB (attribute-based instance type selection)
 * would be sized in the wrong unit: its "desired minus instances" looks like instances on the way,
 * which absorb the demand and nothing is ever launched. Refused until weights are modelled.
 */
function refuseCapacityInOtherUnits(group: AutoScalingGroup, capacityProvider: string): void {
  const name = group.AutoScalingGroupName ?? '?';
  const unit = group.DesiredCapacityType;
  if (unit && unit !== 'units') {
    throw new CapacityProviderRefused(
      `Auto Scaling group ${name} of ${capacityProvider} counts its desired capacity in ${unit} (DesiredCapacityType), not in instances; scale-capacity sizes groups in instances and would read ${group.DesiredCapacity ?? 0} ${unit} as ${group.DesiredCapacity ?? 0} instances. Use DesiredCapacityType units or remove ${capacityProvider} from CAPACITY_PROVIDERS.`,
    );
  }
  const weighted = [
    ...(group.MixedInstancesPolicy?.LaunchTemplate?.Overrides ?? []).map((override) => ({
      what: 'instance requirements',
      type: override.InstanceType,
      weight: override.WeightedCapacity,
    })),
    ...(group.Instances ?? []).map((instance) => ({
      what: instance.InstanceId ?? '?',
      type: instance.InstanceType,
      weight: instance.WeightedCapacity,
    })),
  ].filter((entry) => entry.weight !== undefined && entry.weight.trim() !== '' && Number(entry.weight) !== 1);
  const first = weighted[0];
  if (first) {
    throw new CapacityProviderRefused(
      `Auto Scaling group ${name} of ${capacityProvider} weights its instances (WeightedCapacity ${first.weight} for ${first.type ?? first.what}), so its desired capacity counts units, not instances; scale-capacity sizes groups in instances and would take the extra units for instances on the way. Set every WeightedCapacity to 1 (or none) or remove ${capacityProvider} from CAPACITY_PROVIDERS.`,
    );
  }
}

/**
 * The group's suspended Auto Scaling processes (SuspendProcesses), named in a note with the reason
 * Auto Scaling gives (a person, or Auto Scaling itself after repeated launch failures).
 */
function suspendedProcessesOf(group: AutoScalingGroup, notes: string[]): string[] {
  const suspended = (group.SuspendedProcesses ?? []).filter((process) => process.ProcessName);
  if (suspended.length > 0) {
    notes.push(
      `${group.AutoScalingGroupName ?? '?'} has suspended processes: ${suspended
        .map(
          (process) =>
            `${process.ProcessName}${process.SuspensionReason ? ` (${process.SuspensionReason})` : ''}`,
        )
        .join(', ')}`,
    );
  }
  return [...new Set(suspended.map((process) => process.ProcessName as string))];
}

export function groupNameOf(provider: CapacityProvider): string {
  const arn = provider.autoScalingGroupProvider?.autoScalingGroupArn ?? '';
  const marker = 'autoScalingGroupName/';
  return arn.includes(marker) ? arn.slice(arn.indexOf(marker) + marker.length) : arn;
}

async function loadDefinitions(arns: (string | undefined)[]): Promise<Map<string, TaskDefinition>> {
  const unique = [...new Set(arns.filter((arn): arn is string => Boolean(arn)))];
  const loaded = await mapConcurrent(unique, BATCH_CONCURRENCY, async (arn) => {
    try {
      return [arn, await describeTaskDefinition(arn)] as const;
    } catch {
      return [arn, undefined] as const;
    }
  });
  return new Map(
    loaded.filter((entry): entry is readonly [string, TaskDefinition] => entry[1] !== undefined),
  );
}

function definitionMemberOf(definition: TaskDefinition): string[] {
  return (definition.placementConstraints ?? [])
    .filter((constraint) => constraint.type === 'memberOf' && constraint.expression)
    .map((constraint) => constraint.expression as string);
}

function sumShapes(shapes: (ResourceShape | undefined)[]): ResourceShape {
  const total: ResourceShape = { cpu: 0, memoryMiB: 0, gpus: 0, hostPorts: { tcp: [], udp: [] }, enis: 0 };
  for (const shape of shapes) {
    if (!shape) continue;
    total.cpu += shape.cpu;
    total.memoryMiB += shape.memoryMiB;
    total.gpus += shape.gpus;
    total.enis += shape.enis;
    total.hostPorts.tcp.push(...shape.hostPorts.tcp);
    total.hostPorts.udp.push(...shape.hostPorts.udp);
  }
  return total;
}

/**
 * The types new instances may be: the mixed instances policy's, else those running now, else the
 * group's tag, else what was remembered while the group had instances.
 */
function groupInstanceTypes(
  group: AutoScalingGroup,
  instances: AsgInstance[],
  remembered: RememberedTypes | undefined,
): string[] {
  const overrides = (group.MixedInstancesPolicy?.LaunchTemplate?.Overrides ?? [])
    .map((override) => override.InstanceType)
    .filter((type): type is string => Boolean(type));
  if (overrides.length > 0) return [...new Set(overrides)];
  const running = instances
    .map((instance) => instance.InstanceType)
    .filter((type): type is string => Boolean(type));
  if (running.length > 0) return [...new Set(running)];
  const tag = group.Tags?.find((candidate) => candidate.Key === TYPE_TAG)?.Value;
  if (tag) {
    return tag
      .split(',')
      .map((type) => type.trim())
      .filter(Boolean);
  }
  return remembered?.instanceTypes ?? [];
}

/** Configuration first, then the least any registered instance of the type offers, then memory, then the estimate. */
function typeResources(
  types: string[],
  views: InstanceView[],
  remembered: RememberedTypes | undefined,
  configured: Record<string, InstanceTypeResources>,
  notes: string[],
): Record<string, InstanceTypeResources> {
  const result: Record<string, InstanceTypeResources> = {};
  for (const type of types) {
    const seen = views.filter((view) => view.attributes['ecs.instance-type'] === type).map(resourcesFromView);
    const estimate = estimateInstanceType(type);
    const learned =
      seen.length > 0
        ? {
            cpu: Math.min(...seen.map((resource) => resource.cpu)),
            memoryMiB: Math.min(...seen.map((resource) => resource.memoryMiB)),
            gpus: Math.min(...seen.map((resource) => resource.gpus)),
            enis: estimate?.enis ?? configured[type]?.enis ?? remembered?.resources[type]?.enis ?? 0,
          }
        : undefined;
    const chosen = configured[type] ?? learned ?? remembered?.resources[type] ?? estimate;
    if (chosen && !configured[type] && !learned && !remembered?.resources[type]) {
      notes.push(
        `${type}: no instance registered yet; estimated ${chosen.cpu} CPU units, ${chosen.memoryMiB} MiB`,
      );
    }
    if (chosen) result[type] = { ...chosen, gpus: chosen.gpus ?? 0, enis: chosen.enis ?? 0 };
  }
  return result;
}

function resourcesFromView(view: InstanceView): InstanceTypeResources {
  const type = view.attributes['ecs.instance-type'];
  return {
    cpu: view.registered.cpu,
    memoryMiB: view.registered.memoryMiB,
    gpus: view.registered.gpus,
    enis: (type ? estimateInstanceType(type)?.enis : undefined) ?? 0,
  };
}

const pick = <T>(record: Record<string, T>, names: string[]) =>
  Object.fromEntries(
    names.filter((name) => record[name] !== undefined).map((name) => [name, record[name] as T]),
  );

/** Task ENIs attached to the instance, as ECS lists them; the trunk interface itself is not one. */
function eniAttachments(instance: ContainerInstance, trunkId: string | undefined): number {
  return (instance.attachments ?? []).filter(
    (attachment) =>
      /eni|networkinterface/i.test(attachment.type ?? '') &&
      attachment.status !== 'DELETED' &&
      !(trunkId && (attachment.details ?? []).some((detail) => detail.value === trunkId)),
  ).length;
}

/** Set by ECS on container instances registered with a trunk interface (awsvpcTrunking). */
const TRUNK_ATTRIBUTE = 'ecs.awsvpc-trunk-id';
const isTrunked = (view: InstanceView) => Boolean(view.attributes[TRUNK_ATTRIBUTE]);

/**
 * ENI trunking: a trunked instance takes as many awsvpc tasks as its trunk has branch interfaces
 * (the ECS table in instance-types.ts), not its ENI limit. New instances count as trunked only when
 * every registered instance of the group is: the account setting applies to instances launched after
 * it, so one untrunked instance leaves it in doubt. INSTANCE_TYPES `enis` wins; a type the table
 * lacks keeps its ENIs without trunking and is named in the plan.
 */
function eniTrunking(
  views: InstanceView[],
  resources: Record<string, InstanceTypeResources>,
  configured: Record<string, InstanceTypeResources>,
) {
  const notInTable = new Set<string>();
  const taskEnis = (type: string, trunked: boolean): number => {
    const override = configured[type]?.enis;
    if (override !== undefined) return override;
    const plain = resources[type]?.enis ?? 0;
    if (!trunked) return plain;
    const trunk = trunkTaskEnis(type);
    if (trunk === undefined) notInTable.add(type);
    return trunk ?? plain;
  };
  const newInstances = views.length > 0 && views.every(isTrunked);
  return {
    seen: views.some(isTrunked),
    newInstances,
    notInTable,
    taskEnis,
    forNewInstances: (types: string[]) => {
      const result = { ...resources };
      for (const type of types) {
        const resource = resources[type];
        if (resource) result[type] = { ...resource, enis: taskEnis(type, true) };
      }
      return result;
    },
  };
}

/**
 * A daemon's memberOf (service and task definition), as a test of an instance; undefined when it has
 * none. One that cannot be evaluated here (invalid, or on task groups) is assumed to hold everywhere.
 */
function daemonConstraint(
  service: Service,
  definitions: Map<string, TaskDefinition>,
): ((view: InstanceView) => boolean) | undefined {
  const definition = service.taskDefinition ? definitions.get(service.taskDefinition) : undefined;
  const expression = combineMemberOf([
    ...(service.placementConstraints ?? [])
      .filter((constraint) => constraint.type === 'memberOf' && constraint.expression)
      .map((constraint) => constraint.expression as string),
    ...(definition ? definitionMemberOf(definition) : []),
  ]);
  if (!expression) return undefined;
  try {
    const memberOf = compileMemberOf(expression);
    if (memberOf.usesTaskGroups) return undefined;
    return (view) => memberOf.test(view);
  } catch {
    return undefined;
  }
}

/** What a new instance of the group may look like to the cluster query language: each type and zone. */
function newInstanceViews(
  types: string[],
  zones: string[],
  attributes: Record<string, string>,
): InstanceView[] {
  const none = { cpu: 0, memoryMiB: 0, gpus: 0, ports: { tcp: [], udp: [] }, enis: 0 };
  return types.flatMap((type) =>
    (zones.length > 0 ? zones : [undefined]).map((zone) => ({
      arn: '',
      ec2InstanceId: undefined,
      status: 'ACTIVE' as const,
      agentConnected: true,
      registered: none,
      remaining: none,
      attributes: {
        ...attributes,
        'ecs.instance-type': type,
        ...(zone ? { 'ecs.availability-zone': zone } : {}),
      },
      runningTasksCount: 0,
      pendingTasksCount: 0,
    })),
  );
}

/** Attributes every registered instance shares (so a new one will have them), plus the group's tags. */
function newInstanceAttributes(group: AutoScalingGroup, views: InstanceView[]): Record<string, string> {
  const result: Record<string, string> = {};
  const active = views.filter((view) => view.status === 'ACTIVE');
  const first = active[0];
  if (first) {
    for (const [name, value] of Object.entries(first.attributes)) {
      if (PER_INSTANCE_ATTRIBUTES.has(name)) continue;
      if (active.every((view) => view.attributes[name] === value)) result[name] = value ?? '';
    }
  }
  for (const tag of group.Tags ?? []) {
    if (tag.Key?.startsWith(ATTRIBUTE_TAG_PREFIX))
      result[tag.Key.slice(ATTRIBUTE_TAG_PREFIX.length)] = tag.Value ?? '';
  }
  return result;
}

/**
 * The tasks on one instance, and whether that is all of them: a task ECS listed but answered in
 * DescribeTasks' `failures[]` is still there as far as anyone knows.
 */
async function tasksOn(
  cluster: string,
  containerInstanceArn: string,
): Promise<{ tasks: Task[]; failures: Failure[]; listed: number }> {
  const arns = await listTaskArns(cluster, { containerInstance: containerInstanceArn });
  if (arns.length === 0) return { tasks: [], failures: [], listed: 0 };
  const { items, failures } = await describeTasks(cluster, arns);
  return { tasks: items.filter((task) => task.lastStatus !== 'STOPPED'), failures, listed: arns.length };
}

/**
 * Replacements still to start for the service tasks on the group's DRAINING instances, per task
 * group. ECS replaces a draining instance's service tasks by starting new ones elsewhere first (then
 * stops the old ones, within minimumHealthyPercent), so they need room the deficit does not show:
 * the old tasks still count as running. Replacements already started show as running + pending above
 * the desired count and are subtracted. Standalone tasks are not replaced, daemon tasks stop last.
 */
async function drainingReplacements(
  cluster: string,
  instances: RegisteredInstance[],
  daemonGroups: Set<string>,
  services: Service[],
  partial: string[],
): Promise<Map<string, number>> {
  const drainingInstances = instances.filter((instance) => instance.status === 'DRAINING' && instance.arn);
  const onDraining = new Map<string, number>();
  if (drainingInstances.length === 0) return onDraining;
  const lists = await mapConcurrent(drainingInstances, BATCH_CONCURRENCY, async (instance) => {
    const { tasks, failures, listed } = await tasksOn(cluster, instance.arn as string);
    if (failures.length > 0)
      partial.push(failuresText('ecs:DescribeTasks', `task(s) on draining ${instance.id}`, failures, listed));
    return tasks;
  });
  for (const task of lists.flat()) {
    const group = task.group ?? '';
    // Listed tasks have desired status RUNNING: those already told to stop were replaced.
    if (!group.startsWith('service:') || daemonGroups.has(group)) continue;
    onDraining.set(group, (onDraining.get(group) ?? 0) + 1);
  }
  const result = new Map<string, number>();
  for (const service of services) {
    const group = `service:${service.serviceName}`;
    const tasks = onDraining.get(group);
    if (!tasks) continue;
    const started = Math.max(
      0,
      (service.runningCount ?? 0) + (service.pendingCount ?? 0) - (service.desiredCount ?? 0),
    );
    result.set(group, Math.max(0, tasks - started));
  }
  return result;
}

/**
 * Instances whose task count says "maybe only daemons" and that have been idle long enough to be
 * removed: their tasks are listed to be sure before anything acts on it.
 */
async function confirmIdle(
  cluster: string,
  instances: RegisteredInstance[],
  daemonGroups: Set<string>,
  settings: CapacitySettings,
  now: number,
  limit: number,
  partial: string[],
): Promise<void> {
  const due = instances
    .filter(
      (instance) =>
        instance.nonDaemonTasks === null &&
        instance.idleSince !== null &&
        now - Date.parse(instance.idleSince) >= settings.scaleInAfterSeconds * 1000 &&
        instance.arn,
    )
    .slice(0, limit);
  await mapConcurrent(due, BATCH_CONCURRENCY, async (instance) => {
    const { tasks, failures, listed } = await tasksOn(cluster, instance.arn as string);
    if (failures.length > 0) {
      // Not confirmed: it stays "not known exactly", never removed on a guess.
      partial.push(failuresText('ecs:DescribeTasks', `task(s) on ${instance.id}`, failures, listed));
      return;
    }
    instance.nonDaemonTasks = tasks.filter((task) => !daemonGroups.has(task.group ?? '')).length;
    instance.taskGroups = [...new Set(tasks.map((task) => task.group ?? '').filter(Boolean))];
  });
}

/**
 * Consolidation removes busy instances with TerminateInstanceInAutoScalingGroup: only a terminate
 * lifecycle hook (drain-instance's) drains them first; without one their tasks would be killed.
 */
async function drainsOnTermination(groupName: string, notes: string[]): Promise<boolean> {
  const hooks = await describeLifecycleHooks(groupName);
  if (hooks.some((hook) => hook.LifecycleTransition === 'autoscaling:EC2_INSTANCE_TERMINATING')) return true;
  notes.push(
    `consolidation refused for ${groupName}: it has no autoscaling:EC2_INSTANCE_TERMINATING lifecycle hook, so a consolidated instance's tasks would be killed, not drained (deploy drain-instance's hook on the group)`,
  );
  return false;
}

/**
 * For consolidation: the least used busy instances and the tasks they would have to move, each with
 * its service's distinctInstance and memberOf (ECS places the replacements under them). Returns the
 * distinctInstance services among them.
 */
async function listMovableTasks(
  cluster: string,
  instances: RegisteredInstance[],
  daemonGroups: Set<string>,
  resources: Record<string, InstanceTypeResources>,
  settings: CapacitySettings,
  services: Service[],
  partial: string[],
): Promise<{ service: string }[]> {
  const byGroup = new Map(services.map((service) => [`service:${service.serviceName}`, service]));
  const distinctServices = new Set<string>();
  const use = (instance: RegisteredInstance) => {
    const type = resources[instance.instanceType];
    if (!type) return 1;
    return Math.max(1 - instance.free.cpu / type.cpu, 1 - instance.free.memoryMiB / type.memoryMiB);
  };
  const candidates = instances
    .filter(
      (instance) =>
        instance.status === 'ACTIVE' &&
        instance.lifecycleState === 'InService' &&
        (instance.nonDaemonTasks ?? 1) > 0 &&
        use(instance) < 0.5 &&
        instance.arn,
    )
    .sort((a, b) => use(a) - use(b))
    .slice(0, Math.max(2, Math.min(10, (settings.maxScaleIn.count ?? 5) * 2)));
  await mapConcurrent(candidates, BATCH_CONCURRENCY, async (instance) => {
    const listing = await tasksOn(cluster, instance.arn as string);
    if (listing.failures.length > 0) {
      // Its tasks are not all known: not a consolidation candidate this pass.
      partial.push(
        failuresText('ecs:DescribeTasks', `task(s) on ${instance.id}`, listing.failures, listing.listed),
      );
      return;
    }
    const tasks = listing.tasks.filter((task) => !daemonGroups.has(task.group ?? ''));
    const protection = await protectionOf(cluster, instance.id, tasks, partial);
    // Not known which of its tasks are protected from scale-in: not a consolidation candidate.
    if (!protection) return;
    const definitions = await loadDefinitions(tasks.map((task) => task.taskDefinitionArn));
    const movable: NonNullable<RegisteredInstance['movableTasks']> = [];
    let pinned = 0;
    for (const task of tasks) {
      const definition = task.taskDefinitionArn ? definitions.get(task.taskDefinitionArn) : undefined;
      // Draining replaces service tasks elsewhere; standalone tasks would hold the instance.
      if (!task.group?.startsWith('service:') || !definition) {
        pinned++;
        continue;
      }
      const service = byGroup.get(task.group);
      const constraints = service?.placementConstraints ?? [];
      const distinctInstance = constraints.some((constraint) => constraint.type === 'distinctInstance');
      if (distinctInstance && service?.serviceName) distinctServices.add(service.serviceName);
      const memberOf = combineMemberOf([
        ...constraints
          .filter((constraint) => constraint.type === 'memberOf' && constraint.expression)
          .map((constraint) => constraint.expression as string),
        ...definitionMemberOf(definition),
      ]);
      const protectedTask = protection.get(task.taskArn ?? '');
      movable.push({
        shape: taskRequirements(definition, task.overrides),
        group: task.group,
        distinctInstance,
        ...(memberOf ? { memberOf } : {}),
        ...(protectedTask?.protectionEnabled
          ? {
              protected: true,
              ...(protectedTask.expirationDate
                ? { protectedUntil: protectedTask.expirationDate.toISOString() }
                : {}),
            }
          : {}),
      });
    }
    instance.protectedTasks = [...protection.values()].filter((task) => task.protectionEnabled).length;
    instance.nonDaemonTasks = tasks.length;
    instance.movableTasks = movable;
    instance.pinnedTasks = pinned;
    instance.taskGroups = [...new Set(tasks.map((task) => task.group ?? '').filter(Boolean))];
  });
  return [...distinctServices].map((service) => ({ service }));
}

async function markServiceInstances(
  cluster: string,
  services: { service: string }[],
  instances: RegisteredInstance[],
  partial: string[],
): Promise<void> {
  const byArn = new Map(instances.map((instance) => [instance.arn, instance]));
  await mapConcurrent(services, BATCH_CONCURRENCY, async ({ service }) => {
    const arns = await listTaskArns(cluster, { serviceName: service });
    if (arns.length === 0) return;
    const { items, failures } = await describeTasks(cluster, arns);
    if (failures.length > 0)
      partial.push(failuresText('ecs:DescribeTasks', `task(s) of service ${service}`, failures, arns.length));
    for (const task of items) {
      const instance = task.containerInstanceArn ? byArn.get(task.containerInstanceArn) : undefined;
      const group = `service:${service}`;
      if (instance && !instance.taskGroups.includes(group)) instance.taskGroups.push(group);
    }
  });
}

async function launchActivity(
  group: AutoScalingGroup,
  instances: AsgInstance[],
  registeredIds: Set<string>,
  types: string[],
  settings: CapacitySettings,
  now: number,
  readMarkers: () => Promise<Map<string, string>>,
  notes: string[],
): Promise<{
  launching: LaunchingInstance[];
  launchFailures: LaunchFailure[];
  firstSeen: string[];
  unregisteredIds: Set<string>;
  /** The first-seen markers, when they were read. */
  seenMarkers?: Map<string, string>;
}> {
  const inGroup = instances.filter((instance) => IN_GROUP.test(instance.LifecycleState ?? ''));
  const unregistered = inGroup.filter((instance) => !registeredIds.has(instance.InstanceId as string));
  const unregisteredIds = new Set(unregistered.map((instance) => instance.InstanceId as string));
  // Desired capacity the group has not launched: are its launches failing?
  const unlaunched = (group.DesiredCapacity ?? 0) > inGroup.length;
  if (unregistered.length === 0 && !unlaunched)
    return { launching: [], launchFailures: [], firstSeen: [], unregisteredIds };
  const windowStart = now - settings.bootTimeoutSeconds * 1000 - 60_000;
  const activities = await describeScalingActivities(group.AutoScalingGroupName as string, windowStart);
  const launchFailures = unlaunched
    ? launchFailuresOf(activities, now - settings.bootTimeoutSeconds * 1000)
    : [];
  const launchedAt = new Map<string, number>();
  for (const activity of activities) {
    const id = /\bi-[0-9a-f]{8,17}\b/.exec(activity.Description ?? '')?.[0];
    if (id && activity.StartTime && !launchedAt.has(id)) launchedAt.set(id, activity.StartTime.getTime());
  }
  const firstSeen: string[] = [];
  const seenMarkers = unregistered.some((instance) => !launchedAt.has(instance.InstanceId as string))
    ? await readMarkers()
    : undefined;
  const launching = unregistered.map((instance) => {
    const id = instance.InstanceId as string;
    let at = launchedAt.get(id);
    if (at === undefined) {
      // No launch activity for it: its launch time is unknown, not old (activities can be missing,
      // or older than the window). Counted from when it was first seen unregistered, the latest it
      // can have launched, so the boot timeout never ends early on a guess.
      const seen = seenMarkers?.get(id);
      at = seen ? Date.parse(seen) : now;
      if (!seen) firstSeen.push(id);
      notes.push(
        `${id}: not registered and no launch activity from Auto Scaling, launch time unknown; boot timeout counted from when first seen (${new Date(at).toISOString()})`,
      );
    }
    return {
      id,
      instanceType: instance.InstanceType ?? types[0] ?? 'unknown',
      ...(instance.AvailabilityZone ? { availabilityZone: instance.AvailabilityZone } : {}),
      lifecycleState: instance.LifecycleState ?? 'Pending',
      launchedAt: new Date(at).toISOString(),
    };
  });
  return { launching, launchFailures, firstSeen, unregisteredIds, ...(seenMarkers ? { seenMarkers } : {}) };
}

/** Tasks waiting in PROVISIONING that an event named, if they still wait. */
async function addProvisioningTasks(
  cluster: string,
  capacityProvider: string,
  options: ObserveOptions,
  byService: Map<string, Demand>,
  demand: Demand[],
  notes: string[],
): Promise<string[]> {
  const { items } = await describeTasks(cluster, [...new Set(options.provisioningTasks)]);
  const provisioning = items.filter(
    (task) => task.lastStatus === 'PROVISIONING' && !task.containerInstanceArn,
  );
  const waiting = provisioning.filter(
    (task) =>
      task.capacityProviderName === capacityProvider || (!task.capacityProviderName && options.anyInstance),
  );
  const definitions = await loadDefinitions(waiting.map((task) => task.taskDefinitionArn));
  const perService = new Map<string, number>();
  for (const task of waiting) {
    const definition = task.taskDefinitionArn ? definitions.get(task.taskDefinitionArn) : undefined;
    if (!definition) {
      notes.push(`task ${task.taskArn}: task definition not readable; skipped`);
      continue;
    }
    const group = task.group ?? `family:${definition.family}`;
    const service = byService.get(group);
    if (service) {
      // Service tasks are already in its deficit; count them there if the deficit is smaller.
      perService.set(group, (perService.get(group) ?? 0) + 1);
      continue;
    }
    const memberOf = combineMemberOf(definitionMemberOf(definition));
    demand.push({
      source: `task:${nameFromArn(task.taskArn ?? '')}`,
      group,
      count: 1,
      shape: taskRequirements(definition, task.overrides),
      distinctInstance: false,
      newInstancesOnly: false,
      ...(memberOf ? { memberOf } : {}),
    });
  }
  for (const [group, count] of perService) {
    const service = byService.get(group);
    if (service) service.count = Math.max(service.count, count);
  }
  return provisioning.map((task) => task.taskArn ?? '').filter(Boolean);
}

/**
 * Disconnected agents, read only when there is one: since when each has been (its marker, kept while
 * it stays disconnected: renewed each pass with a short TTL, so it lapses soon after it reconnects),
 * reported once disconnected long enough.
 */
async function agentsOf(
  instances: RegisteredInstance[],
  readMarkers: () => Promise<Map<string, string>>,
  now: number,
): Promise<Pick<Observation, 'disconnectedAgents' | 'agentMarkers'>> {
  const disconnected = instances.filter(
    (instance) =>
      !instance.agentConnected && (instance.status === 'ACTIVE' || instance.status === 'DRAINING'),
  );
  if (disconnected.length === 0) return { disconnectedAgents: [], agentMarkers: [] };
  const markers = await readMarkers();
  const since = (id: string) => markers.get(id) ?? new Date(now).toISOString();
  return {
    disconnectedAgents: disconnected
      .filter((instance) => now - Date.parse(since(instance.id)) >= AGENT_DISCONNECTED_REPORT_MS)
      .map((instance) => ({ instanceId: instance.id, since: since(instance.id) })),
    agentMarkers: disconnected.map((instance) => ({ instanceId: instance.id, since: since(instance.id) })),
  };
}

/** Auto Scaling runs one instance refresh at a time; these statuses mean it is still under way. */
const REFRESH_UNDER_WAY = new Set(['Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking']);

/**
 * What an instance refresh or the maximum instance lifetime is replacing. Scale-in protection holds
 * both back: a refresh with the default ScaleInProtectedInstances=Wait waits on protected instances
 * and fails after an hour, and protected instances are not replaced for their lifetime. Instances
 * registered before the refresh started are to be replaced; those registered since are its
 * replacements (launch before terminate may leave them idle for a while). The registration time
 * stands for the launch time: a little later, so an instance is never taken as older than it is.
 */
function replacementsOf(
  group: AutoScalingGroup,
  refreshes: InstanceRefresh[],
  instances: RegisteredInstance[],
  now: number,
  notes: string[],
): Pick<Observation, 'refresh' | 'refreshReplacements' | 'releaseProtection'> {
  const underWay = refreshes.find((refresh) => REFRESH_UNDER_WAY.has(refresh.Status ?? ''));
  const startedAt = underWay?.StartTime?.getTime() ?? (underWay ? now : undefined);
  const lifetimeMs = group.MaxInstanceLifetime ? group.MaxInstanceLifetime * 1000 : undefined;
  const releaseProtection = new Set<string>();
  const refreshReplacements = new Set<string>();
  const expired: string[] = [];
  let toReplace = 0;
  for (const instance of instances) {
    const registeredAt = instance.registeredAt ? Date.parse(instance.registeredAt) : undefined;
    if (startedAt !== undefined) {
      if (registeredAt !== undefined && registeredAt >= startedAt) refreshReplacements.add(instance.id);
      else {
        releaseProtection.add(instance.id);
        toReplace++;
      }
    }
    if (lifetimeMs !== undefined && registeredAt !== undefined && now - registeredAt >= lifetimeMs) {
      releaseProtection.add(instance.id);
      expired.push(instance.id);
    }
  }
  if (underWay) {
    notes.push(
      `instance refresh ${underWay.InstanceRefreshId ?? '?'} ${underWay.Status} on ${group.AutoScalingGroupName ?? '?'} since ${new Date(startedAt ?? now).toISOString()}: scale-in protection given back on the ${toReplace} instance(s) it replaces; its ${refreshReplacements.size} replacement(s) are not removed as idle while it runs`,
    );
  }
  if (expired.length > 0) {
    notes.push(
      `${expired.length} instance(s) past the group's maximum instance lifetime (${group.MaxInstanceLifetime} s): scale-in protection given back so Auto Scaling replaces them: ${expired.join(', ')}`,
    );
  }
  return {
    refresh: underWay
      ? {
          id: underWay.InstanceRefreshId ?? '?',
          status: underWay.Status ?? '?',
          startedAt: new Date(startedAt ?? now).toISOString(),
        }
      : undefined,
    refreshReplacements,
    releaseProtection,
  };
}

/**
 * The group's mixed instances policy as the planner reads it (InstancesDistribution, with Auto
 * Scaling's defaults for what it leaves out: prioritized On-Demand for a list of overrides,
 * lowest-price Spot, no On-Demand base, 100 % On-Demand above it). The overrides' order is the
 * snapshot's instanceTypes.
 */
function mixedInstancesOf(group: AutoScalingGroup): Pick<CapacitySnapshot['group'], 'mixedInstances'> {
  const policy = group.MixedInstancesPolicy;
  const overrides = (policy?.LaunchTemplate?.Overrides ?? []).filter((override) => override.InstanceType);
  if (!policy || overrides.length === 0) return {};
  const distribution = policy.InstancesDistribution ?? {};
  return {
    mixedInstances: {
      onDemandAllocationStrategy: distribution.OnDemandAllocationStrategy ?? 'prioritized',
      spotAllocationStrategy: distribution.SpotAllocationStrategy ?? 'lowest-price',
      onDemandBaseCapacity: distribution.OnDemandBaseCapacity ?? 0,
      onDemandPercentageAboveBaseCapacity: distribution.OnDemandPercentageAboveBaseCapacity ?? 100,
    },
  };
}

/**
 * Task scale-in protection of a consolidation candidate's service tasks (standalone tasks pin the
 * instance anyway), by task ARN; undefined when it could not be read in full (said in `partial`).
 */
async function protectionOf(
  cluster: string,
  instanceId: string,
  tasks: readonly Task[],
  partial: string[],
): Promise<Map<string, ProtectedTask> | undefined> {
  const arns = tasks
    .filter((task) => task.group?.startsWith('service:') && task.taskArn)
    .map((task) => task.taskArn as string);
  if (arns.length === 0) return new Map();
  try {
    const { items, failures } = await getTaskProtection(cluster, arns);
    if (failures.length > 0) {
      partial.push(failuresText('ecs:GetTaskProtection', `task(s) on ${instanceId}`, failures, arns.length));
      return undefined;
    }
    return new Map(items.map((task) => [task.taskArn ?? '', task]));
  } catch (error) {
    partial.push(`ecs:GetTaskProtection for the tasks on ${instanceId} failed (${(error as Error).message})`);
    return undefined;
  }
}

/**
 * Where the started tasks of each service with tasks to place run, per capacity provider (the tasks'
 * `capacityProviderName`), read only for services whose strategy spreads them over this provider and
 * another: ECS evens the split, so the deficit goes where the tasks are short, not by the weights.
 * Tasks of other deployments than the primary are left out. A read with failures leaves the service
 * to its weights.
 */
async function tasksByProviderOf(
  cluster: string,
  capacityProvider: string,
  services: readonly Service[],
  clusterDefault: readonly StrategyItem[],
  partial: string[],
  notes: string[],
): Promise<Map<string, Record<string, number>>> {
  const spread = services.filter((service) => {
    if (service.schedulingStrategy === 'DAEMON' || (service.taskSets ?? []).length > 0) return false;
    const strategy: readonly StrategyItem[] =
      (service.capacityProviderStrategy ?? []).length > 0
        ? (service.capacityProviderStrategy ?? [])
        : service.launchType
          ? []
          : clusterDefault;
    const providers = new Set(strategy.map((item) => item.capacityProvider).filter(Boolean));
    const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY') ?? service;
    const started = (primary.runningCount ?? 0) + (primary.pendingCount ?? 0);
    return providers.size > 1 && providers.has(capacityProvider) && (primary.desiredCount ?? 0) > started;
  });
  const result = new Map<string, Record<string, number>>();
  await mapConcurrent(spread, BATCH_CONCURRENCY, async (service) => {
    const name = service.serviceName ?? '';
    let read: Described<Task>;
    try {
      const arns = await listTaskArns(cluster, { serviceName: name });
      read = arns.length === 0 ? { items: [], failures: [] } : await describeTasks(cluster, arns);
    } catch (error) {
      notes.push(
        `service ${name}: its tasks could not be listed (${(error as Error).message}); split by weights`,
      );
      return;
    }
    const { items, failures } = read;
    if (failures.length > 0) {
      partial.push(
        failuresText(
          'ecs:DescribeTasks',
          `task(s) of service ${name}`,
          failures,
          items.length + failures.length,
        ),
      );
      return;
    }
    const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
    const counts: Record<string, number> = {};
    for (const task of items) {
      if (task.lastStatus === 'STOPPED' || task.desiredStatus === 'STOPPED' || !task.capacityProviderName)
        continue;
      // A deployment's tasks carry its id in startedBy.
      if (primary?.id && task.startedBy && task.startedBy !== primary.id) continue;
      counts[task.capacityProviderName] = (counts[task.capacityProviderName] ?? 0) + 1;
    }
    result.set(name, counts);
  });
  return result;
}
