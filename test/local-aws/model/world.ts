/**
 * The simulated ECS + Auto Scaling + SNS world behind the local endpoint. Pure TypeScript, no I/O:
 * time moves only when {@link World.advance} is called, and every random choice comes from a seeded
 * generator, so a scenario replays identically.
 */
import { taskDemand } from './demand';
import { AwsApiError, autoScalingErrors, ecsErrors } from './errors';
import {
  type InstanceRefreshRecord,
  type RefreshPreferences,
  startInstanceRefresh,
} from './instance-refresh';
import { instanceTypeSpec, RESERVED_PORTS } from './instance-types';
import { launchedType } from './mixed-instances';
import { matchesQuery, type QueryTarget } from './query';
import { Random } from './random';
import { Scheduler, type Timer } from './scheduler';
import { scaleInVictims } from './service-scale-in';
import type {
  AutoScalingGroupRecord,
  CapacityProviderRecord,
  CapacityProviderStrategyItem,
  ClusterRecord,
  ContainerDefinition,
  ContainerInstanceRecord,
  ContainerRecord,
  Demand,
  DeploymentConfiguration,
  Ec2InstanceRecord,
  EventEnvelope,
  LifecycleActionRecord,
  LifecycleHookRecord,
  LifecycleState,
  MixedInstancesRecord,
  PlacementConstraint,
  PlacementStrategy,
  Resources,
  ScalingActivity,
  ServiceRecord,
  SnsPublication,
  SnsTopicRecord,
  StopCode,
  Tag,
  TaskDefinitionRecord,
  TaskOverrides,
  TaskRecord,
  TaskScript,
  TaskStatus,
} from './types';
import { containerInstanceView, isoTime, taskView } from './views';

/** How long things take. Every field can be overridden per world. */
export interface Timings {
  /** Launch to the ECS agent registering (Pending -> InService + container instance ACTIVE). */
  bootMs: number;
  /** PROVISIONING for awsvpc tasks (ENI attachment). */
  provisioningMs: number;
  /** PENDING: image pull and container creation. */
  pullMs: number;
  activatingMs: number;
  /** Desired STOPPED to the agent acting on it. */
  stopNoticeMs: number;
  deactivatingMs: number;
  /** STOPPING: SIGTERM, then SIGKILL after the stop timeout (30 s by default in ECS). */
  stoppingMs: number;
  deprovisioningMs: number;
  /** Terminating:Proceed (or Terminating without hooks) to Terminated. */
  shutdownMs: number;
  /** Spot interruption warning to the instance's termination. */
  spotNoticeMs: number;
  /** STOPPED tasks stay describable this long. */
  stoppedRetentionMs: number;
  /** RunTask clientToken memory. */
  clientTokenTtlMs: number;
  /** A service that cannot place a task retries and reports SERVICE_TASK_PLACEMENT_FAILURE this often. */
  placementRetryMs: number;
  /** Consecutive failed starts of a service before SERVICE_TASK_START_IMPAIRED. */
  startImpairedAfter: number;
}

export const DEFAULT_TIMINGS: Timings = {
  bootMs: 90_000,
  provisioningMs: 2_000,
  pullMs: 10_000,
  activatingMs: 1_000,
  stopNoticeMs: 1_000,
  deactivatingMs: 1_000,
  stoppingMs: 30_000,
  deprovisioningMs: 2_000,
  shutdownMs: 30_000,
  spotNoticeMs: 120_000,
  stoppedRetentionMs: 3_600_000,
  clientTokenTtlMs: 24 * 3_600_000,
  placementRetryMs: 60_000,
  startImpairedAfter: 5,
};

export interface WorldOptions {
  /** Start of the simulated clock (epoch ms or ISO string). Default 2025-01-15T03:00:00Z. */
  start?: number | string;
  seed?: number;
  account?: string;
  region?: string;
  timings?: Partial<Timings>;
}

export interface TaskDefinitionInput {
  family: string;
  containerDefinitions: ContainerDefinition[];
  networkMode?: TaskDefinitionRecord['networkMode'];
  cpu?: string;
  memory?: string;
  placementConstraints?: PlacementConstraint[];
  requiresCompatibilities?: string[];
  tags?: Tag[];
  /** Any other field of RegisterTaskDefinition, echoed back by DescribeTaskDefinition. */
  [key: string]: unknown;
}

export interface LaunchSpec {
  cluster: string;
  taskDefinition: string;
  count?: number;
  group?: string;
  startedBy?: string;
  serviceName?: string;
  launchType?: 'EC2';
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  overrides?: TaskOverrides;
  tags?: Tag[];
  /** Only these container instances are considered (StartTask, daemon placement). */
  onInstances?: string[];
  /** Overrides the family's script for these tasks. */
  script?: TaskScript;
}

export interface PlacementFailure {
  arn?: string;
  reason: string;
  detail?: string;
}

export interface LaunchResult {
  tasks: TaskRecord[];
  failures: PlacementFailure[];
}

export interface StartFailureSpec {
  /** Which tasks: by family, service name or full task definition ARN/`family:revision` (any if all absent). */
  family?: string;
  service?: string;
  taskDefinition?: string;
  /** e.g. `CannotPullContainerError: pull image manifest has been retried 7 time(s): ...` */
  stoppedReason: string;
  containerReason?: string;
  exitCode?: number;
  /** How many starts fail; default: every start until cleared. */
  times?: number;
}

interface StartFailureRule extends StartFailureSpec {
  remaining: number;
}

export interface WorldEvent extends EventEnvelope {}

const SERVICE_GROUP = /^service:(.+)$/;
export const AGENT_VERSION = '1.89.0';

export class World {
  readonly account: string;
  readonly region: string;
  readonly timings: Timings;
  private clock: number;
  private readonly rng: Random;
  private readonly scheduler = new Scheduler();
  private readonly clockListeners = new Set<(now: number) => void>();
  private dirty = false;
  private settling = false;

  // State, public for read helpers and the endpoint; mutate only through methods.
  readonly taskDefinitions = new Map<string, TaskDefinitionRecord>();
  readonly clusters = new Map<string, ClusterRecord>();
  readonly capacityProviders = new Map<string, CapacityProviderRecord>();
  readonly containerInstances = new Map<string, ContainerInstanceRecord>();
  readonly ec2 = new Map<string, Ec2InstanceRecord>();
  readonly taskRecords = new Map<string, TaskRecord>();
  readonly serviceRecords = new Map<string, ServiceRecord>();
  readonly groups = new Map<string, AutoScalingGroupRecord>();
  readonly hooks = new Map<string, LifecycleHookRecord[]>();
  readonly actions: LifecycleActionRecord[] = [];
  readonly activities: ScalingActivity[] = [];
  readonly topics = new Map<string, SnsTopicRecord>();
  readonly publications: SnsPublication[] = [];
  /** RunTask idempotency: `cluster|token` -> request fingerprint and result. */
  readonly clientTokens = new Map<
    string,
    { fingerprint: string; taskArns: string[]; failures: PlacementFailure[]; at: number }
  >();

  private readonly emitted: WorldEvent[] = [];
  private taken = 0;
  private readonly liveByInstance = new Map<string, Set<TaskRecord>>();
  private readonly liveByService = new Map<string, Set<TaskRecord>>();
  /** Unstopped tasks by `cluster|group`, for spread placement. */
  private readonly liveByGroup = new Map<string, Set<TaskRecord>>();
  private readonly unplaced = new Set<TaskRecord>();
  private readonly taskTimers = new Map<string, Timer>();
  private readonly familyScripts = new Map<string, TaskScript>();
  private readonly startFailures: StartFailureRule[] = [];
  private readonly serviceRetry = new Map<string, Timer>();
  private readonly placementBlockedAt = new Map<string, number>();
  /** Spread counts kept up to date while one launch places several tasks (undefined outside a launch). */
  private spreadCounts:
    | Map<
        string,
        {
          cluster: string;
          group: string;
          spreadValue: (instance: ContainerInstanceRecord) => string;
          counts: Map<string, number>;
        }
      >
    | undefined;

  constructor(options: WorldOptions = {}) {
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    const start = options.start ?? '2025-01-15T03:00:00.000Z';
    this.clock = typeof start === 'number' ? start : Date.parse(start);
    this.rng = new Random(options.seed ?? 20250115);
  }

  // ---------------------------------------------------------------- clock

  now(): number {
    return this.clock;
  }

  /** Moves the clock by `ms`, running everything that falls due in order: boots, task transitions, exits,
   * service replacement, hook timeouts, terminations. */
  advance(ms: number): void {
    if (ms < 0) throw new Error('advance: time only moves forward');
    const target = this.clock + ms;
    for (;;) {
      const timer = this.scheduler.takeDue(target);
      if (!timer) break;
      this.clock = Math.max(this.clock, timer.at);
      timer.run();
      // Everything due at the same instant runs before the schedulers react (one settle per instant).
      for (let next = this.scheduler.takeDue(this.clock); next; next = this.scheduler.takeDue(this.clock)) {
        next.run();
      }
      this.settle();
    }
    this.clock = target;
    this.settle();
    for (const listener of this.clockListeners) listener(this.clock);
  }

  /** Advances in steps until `done()` holds; returns false if `maxMs` passed first. */
  advanceUntil(done: () => boolean, { maxMs = 3_600_000, stepMs = 1_000 } = {}): boolean {
    const deadline = this.clock + maxMs;
    while (!done()) {
      if (this.clock >= deadline) return false;
      this.advance(Math.min(stepMs, deadline - this.clock));
    }
    return true;
  }

  /** Called after every advance with the new time (e.g. to move a faked Date). Returns an unsubscribe. */
  onClockChange(listener: (now: number) => void): () => void {
    this.clockListeners.add(listener);
    return () => this.clockListeners.delete(listener);
  }

  /** Labels and times of what is scheduled: for debugging a scenario. */
  pendingWork(): { at: number; label: string }[] {
    return this.scheduler.pending().map(({ at, label }) => ({ at, label }));
  }

  private at(delayMs: number, label: string, run: () => void): Timer {
    return this.scheduler.schedule(this.clock + delayMs, label, () => {
      run();
      this.dirty = true;
    });
  }

  // ---------------------------------------------------------------- events

  /** Every EventBridge event emitted so far (full envelopes). */
  events(filter: { detailType?: string; source?: string } = {}): WorldEvent[] {
    return this.emitted.filter(
      (event) =>
        (!filter.detailType || event['detail-type'] === filter.detailType) &&
        (!filter.source || event.source === filter.source),
    );
  }

  /** Events emitted since the last call: what a scenario feeds to the functions next. */
  takeEvents(filter: { detailType?: string; source?: string } = {}): WorldEvent[] {
    const fresh = this.emitted.slice(this.taken);
    this.taken = this.emitted.length;
    return fresh.filter(
      (event) =>
        (!filter.detailType || event['detail-type'] === filter.detailType) &&
        (!filter.source || event.source === filter.source),
    );
  }

  /** An event a function put on the default bus (PutEvents): delivered like the world's own. */
  putEvent(source: string, detailType: string, resources: string[], detail: Record<string, unknown>): string {
    this.emit(source, detailType, resources, detail);
    return (this.emitted.at(-1) as WorldEvent).id;
  }

  private emit(source: string, detailType: string, resources: string[], detail: Record<string, unknown>) {
    this.emitted.push({
      version: '0',
      id: this.rng.uuid(),
      'detail-type': detailType,
      source,
      account: this.account,
      time: new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources,
      detail,
    });
  }

  // ---------------------------------------------------------------- names

  arn(service: string, resource: string): string {
    return `arn:aws:${service}:${this.region}:${this.account}:${resource}`;
  }

  clusterArn(name: string): string {
    return this.arn('ecs', `cluster/${name}`);
  }

  /** Accepts a cluster name or ARN; undefined means `default`, as ECS does. */
  clusterName(nameOrArn: string | undefined): string {
    if (!nameOrArn) return 'default';
    const match = /^arn:aws:ecs:[^:]+:\d+:cluster\/(.+)$/.exec(nameOrArn);
    return match ? (match[1] as string) : nameOrArn;
  }

  /** The cluster, or ClusterNotFoundException as ECS answers. */
  requireCluster(nameOrArn: string | undefined): ClusterRecord {
    const cluster = this.clusters.get(this.clusterName(nameOrArn));
    if (cluster?.status !== 'ACTIVE') throw ecsErrors.clusterNotFound();
    return cluster;
  }

  // ---------------------------------------------------------------- seeding: ECS

  registerTaskDefinition(input: TaskDefinitionInput): TaskDefinitionRecord {
    const {
      family,
      containerDefinitions,
      networkMode,
      cpu,
      memory,
      placementConstraints,
      requiresCompatibilities,
      tags,
      ...extra
    } = input;
    const revisions = [...this.taskDefinitions.values()].filter((d) => d.family === family);
    const revision = revisions.reduce((max, d) => Math.max(max, d.revision), 0) + 1;
    const record: TaskDefinitionRecord = {
      arn: this.arn('ecs', `task-definition/${family}:${revision}`),
      family,
      revision,
      status: 'ACTIVE',
      networkMode: networkMode ?? 'bridge',
      cpu,
      memory,
      containerDefinitions: containerDefinitions.map((c) => ({ essential: true, ...c })),
      placementConstraints: placementConstraints ?? [],
      requiresCompatibilities: requiresCompatibilities ?? ['EC2'],
      registeredAt: this.clock,
      extra,
      tags: tags ?? [],
    };
    this.taskDefinitions.set(record.arn, record);
    return record;
  }

  /** Resolves `family`, `family:rev` or an ARN; a bare family means its latest ACTIVE revision. */
  taskDefinition(reference: string): TaskDefinitionRecord | undefined {
    const byArn = this.taskDefinitions.get(reference);
    if (byArn) return byArn;
    const short = reference.replace(/^arn:aws:ecs:[^:]+:\d+:task-definition\//, '');
    const [family, revision] = short.split(':');
    const candidates = [...this.taskDefinitions.values()].filter((d) => d.family === family);
    if (revision !== undefined) return candidates.find((d) => d.revision === Number(revision));
    return candidates.filter((d) => d.status === 'ACTIVE').sort((a, b) => b.revision - a.revision)[0];
  }

  createCluster(
    name: string,
    options: {
      capacityProviders?: string[];
      defaultCapacityProviderStrategy?: CapacityProviderStrategyItem[];
      tags?: Tag[];
    } = {},
  ): ClusterRecord {
    const record: ClusterRecord = {
      arn: this.clusterArn(name),
      name,
      status: 'ACTIVE',
      capacityProviders: options.capacityProviders ?? [],
      defaultCapacityProviderStrategy: options.defaultCapacityProviderStrategy ?? [],
      tags: options.tags ?? [],
    };
    this.clusters.set(name, record);
    return record;
  }

  createCapacityProvider(options: {
    name: string;
    autoScalingGroup: string;
    managedScaling?: 'ENABLED' | 'DISABLED';
    targetCapacity?: number;
    managedTerminationProtection?: 'ENABLED' | 'DISABLED';
    managedDraining?: 'ENABLED' | 'DISABLED';
    /** Adds it to this cluster's capacity providers. */
    cluster?: string;
    tags?: Tag[];
  }): CapacityProviderRecord {
    const record: CapacityProviderRecord = {
      arn: this.arn('ecs', `capacity-provider/${options.name}`),
      name: options.name,
      groupName: options.autoScalingGroup,
      managedScaling: options.managedScaling ?? 'DISABLED',
      targetCapacity: options.targetCapacity ?? 100,
      managedTerminationProtection: options.managedTerminationProtection ?? 'DISABLED',
      managedDraining: options.managedDraining ?? 'DISABLED',
      tags: options.tags ?? [],
    };
    this.capacityProviders.set(record.name, record);
    const group = this.groups.get(options.autoScalingGroup);
    if (group) {
      group.capacityProviderName = record.name;
      for (const instance of this.containerInstances.values()) {
        if (this.ec2.get(instance.ec2InstanceId)?.groupName === group.name)
          instance.capacityProviderName = record.name;
      }
    }
    if (options.cluster) {
      const cluster = this.requireCluster(options.cluster);
      if (!cluster.capacityProviders.includes(record.name)) cluster.capacityProviders.push(record.name);
    }
    return record;
  }

  createService(options: {
    cluster: string;
    name: string;
    taskDefinition: string;
    desiredCount?: number;
    schedulingStrategy?: 'REPLICA' | 'DAEMON';
    launchType?: 'EC2';
    capacityProviderStrategy?: CapacityProviderStrategyItem[];
    placementConstraints?: PlacementConstraint[];
    placementStrategy?: PlacementStrategy[];
    deploymentConfiguration?: Partial<DeploymentConfiguration>;
    tags?: Tag[];
  }): ServiceRecord {
    const cluster = this.requireCluster(options.cluster);
    const definition = this.taskDefinition(options.taskDefinition);
    if (!definition) throw ecsErrors.client('TaskDefinition not found.');
    const daemon = options.schedulingStrategy === 'DAEMON';
    const record: ServiceRecord = {
      arn: this.arn('ecs', `service/${cluster.name}/${options.name}`),
      name: options.name,
      cluster: cluster.name,
      taskDefinitionArn: definition.arn,
      desiredCount: daemon ? 0 : (options.desiredCount ?? 1),
      schedulingStrategy: daemon ? 'DAEMON' : 'REPLICA',
      launchType: options.launchType,
      capacityProviderStrategy:
        options.capacityProviderStrategy ??
        (options.launchType || daemon ? [] : cluster.defaultCapacityProviderStrategy),
      placementConstraints: options.placementConstraints ?? [],
      placementStrategy:
        options.placementStrategy ??
        (daemon
          ? []
          : [
              { type: 'spread', field: 'attribute:ecs.availability-zone' },
              { type: 'spread', field: 'instanceId' },
            ]),
      deploymentConfiguration: {
        minimumHealthyPercent: options.deploymentConfiguration?.minimumHealthyPercent ?? (daemon ? 0 : 100),
        maximumPercent: options.deploymentConfiguration?.maximumPercent ?? (daemon ? 100 : 200),
      },
      status: 'ACTIVE',
      createdAt: this.clock,
      deploymentId: `ecs-svc/${this.rng.int(10 ** 16)}`,
      events: [],
      consecutiveFailedStarts: 0,
      tags: options.tags ?? [],
    };
    this.serviceRecords.set(`${cluster.name}/${record.name}`, record);
    this.dirty = true;
    this.settle();
    return record;
  }

  /** Changes a service's desired count (what UpdateService would do). */
  setServiceDesiredCount(cluster: string, name: string, desiredCount: number): void {
    const service = this.service(cluster, name);
    if (!service) throw ecsErrors.serviceNotFound();
    service.desiredCount = desiredCount;
    this.dirty = true;
    this.settle();
  }

  /** How tasks of a family behave when they start (standalone jobs: run for a while, exit with a code). */
  setTaskScript(family: string, script: TaskScript): void {
    this.familyScripts.set(family, script);
  }

  /**
   * Makes matching task starts fail the way ECS reports it: STOPPED, stopCode TaskFailedToStart, no
   * startedAt, with the given stoppedReason and container reason. Returns a function that clears it.
   */
  failStarts(spec: StartFailureSpec): () => void {
    const rule: StartFailureRule = { ...spec, remaining: spec.times ?? Number.POSITIVE_INFINITY };
    this.startFailures.push(rule);
    return () => {
      const index = this.startFailures.indexOf(rule);
      if (index >= 0) this.startFailures.splice(index, 1);
    };
  }

  clearStartFailures(): void {
    this.startFailures.length = 0;
  }

  /**
   * Starts standalone tasks as RunTask would, with a script: run for `runForMs` then exit with
   * `exitCode`. Throws the RunTask error if ECS would; placement failures are returned.
   */
  runStandaloneTask(spec: LaunchSpec & { runForMs?: number; exitCode?: number }): LaunchResult {
    const { runForMs, exitCode, ...launch } = spec;
    const script =
      runForMs !== undefined || exitCode !== undefined
        ? { runForMs, exitCode: exitCode ?? 0 }
        : launch.script;
    return this.launch({ ...launch, script });
  }

  // ---------------------------------------------------------------- seeding: Auto Scaling, EC2

  createAutoScalingGroup(options: {
    name: string;
    instanceType: string;
    minSize?: number;
    maxSize?: number;
    desiredCapacity?: number;
    availabilityZones?: string[];
    cluster?: string;
    bootDelayMs?: number;
    spot?: boolean;
    newInstancesProtectedFromScaleIn?: boolean;
    tags?: { key: string; value: string; propagateAtLaunch?: boolean }[];
  }): AutoScalingGroupRecord {
    instanceTypeSpec(options.instanceType);
    const record: AutoScalingGroupRecord = {
      name: options.name,
      arn: this.arn(
        'autoscaling',
        `autoScalingGroup:${this.rng.uuid()}:autoScalingGroupName/${options.name}`,
      ),
      minSize: options.minSize ?? 0,
      maxSize: options.maxSize ?? 10,
      desiredCapacity: 0,
      instanceType: options.instanceType,
      availabilityZones: options.availabilityZones ?? [
        `${this.region}a`,
        `${this.region}b`,
        `${this.region}c`,
      ],
      cluster: options.cluster,
      bootDelayMs: options.bootDelayMs ?? this.timings.bootMs,
      spot: options.spot ?? false,
      newInstancesProtectedFromScaleIn: options.newInstancesProtectedFromScaleIn ?? false,
      tags: (options.tags ?? []).map((tag) => ({ ...tag, propagateAtLaunch: tag.propagateAtLaunch ?? true })),
      createdAt: this.clock,
      launchTemplate: { id: `lt-${this.rng.hex(17)}`, name: `${options.name}-lt`, version: '$Latest' },
    };
    this.groups.set(record.name, record);
    this.hooks.set(record.name, []);
    if (options.desiredCapacity) this.setDesiredCapacity(record.name, options.desiredCapacity);
    return record;
  }

  putLifecycleHook(options: {
    group: string;
    name: string;
    transition?: LifecycleHookRecord['transition'];
    heartbeatTimeoutSeconds?: number;
    defaultResult?: 'CONTINUE' | 'ABANDON';
    notificationMetadata?: string;
  }): LifecycleHookRecord {
    const hooks = this.hooks.get(options.group);
    if (!hooks) throw autoScalingErrors.validation(`Group ${options.group} not found`);
    const record: LifecycleHookRecord = {
      groupName: options.group,
      name: options.name,
      transition: options.transition ?? 'autoscaling:EC2_INSTANCE_TERMINATING',
      heartbeatTimeoutSeconds: options.heartbeatTimeoutSeconds ?? 3600,
      defaultResult: options.defaultResult ?? 'ABANDON',
      notificationMetadata: options.notificationMetadata,
    };
    const existing = hooks.findIndex((hook) => hook.name === record.name);
    if (existing >= 0) hooks[existing] = record;
    else hooks.push(record);
    return record;
  }

  /**
   * Adds `count` instances to a group and raises its desired capacity. `inService: true` (seeding) makes
   * them InService and registered at once; otherwise they boot for the group's boot delay.
   */
  launchInstances(
    groupName: string,
    count: number,
    options: { inService?: boolean; ids?: string[]; availabilityZones?: string[] } = {},
  ): Ec2InstanceRecord[] {
    const group = this.requireGroup(groupName);
    group.desiredCapacity += count;
    group.maxSize = Math.max(group.maxSize, group.desiredCapacity);
    const launched: Ec2InstanceRecord[] = [];
    for (let i = 0; i < count; i++) {
      launched.push(
        this.launchEc2(group, {
          inService: options.inService ?? false,
          id: options.ids?.[i],
          az: options.availabilityZones?.[i],
        }),
      );
    }
    this.dirty = true;
    this.settle();
    return launched;
  }

  /** A container instance outside any Auto Scaling group (registered by hand). */
  registerContainerInstance(options: {
    cluster: string;
    instanceType: string;
    availabilityZone?: string;
    ec2InstanceId?: string;
    attributes?: Record<string, string>;
  }): ContainerInstanceRecord {
    const ec2: Ec2InstanceRecord = {
      instanceId: options.ec2InstanceId ?? `i-0${this.rng.hex(16)}`,
      instanceType: options.instanceType,
      availabilityZone: options.availabilityZone ?? `${this.region}a`,
      cluster: options.cluster,
      lifecycleState: 'InService',
      healthStatus: 'Healthy',
      protectedFromScaleIn: false,
      launchedAt: this.clock,
      spot: false,
    };
    this.ec2.set(ec2.instanceId, ec2);
    const instance = this.registerEc2(ec2, options.cluster, undefined, options.attributes);
    this.settle();
    return instance;
  }

  private launchEc2(
    group: AutoScalingGroupRecord,
    options: { inService: boolean; id?: string; az?: string },
  ): Ec2InstanceRecord {
    const az = options.az ?? this.leastUsedZone(group);
    const ec2: Ec2InstanceRecord = {
      instanceId: options.id ?? `i-0${this.rng.hex(16)}`,
      instanceType: launchedType(group),
      availabilityZone: az,
      groupName: group.name,
      cluster: group.cluster,
      lifecycleState: options.inService ? 'InService' : 'Pending',
      healthStatus: 'Healthy',
      protectedFromScaleIn: group.newInstancesProtectedFromScaleIn,
      launchedAt: this.clock,
      spot: group.spot,
    };
    this.ec2.set(ec2.instanceId, ec2);
    this.activity(
      group,
      ec2.instanceId,
      `Launching a new EC2 instance: ${ec2.instanceId}`,
      'capacity change',
    );
    if (options.inService) this.finishActivities(ec2.instanceId);
    if (options.inService) {
      if (group.cluster) this.registerEc2(ec2, group.cluster, group.capacityProviderName);
    } else {
      this.at(group.bootDelayMs, `boot ${ec2.instanceId}`, () => {
        if (ec2.lifecycleState !== 'Pending') return;
        ec2.lifecycleState = 'InService';
        this.finishActivities(ec2.instanceId);
        if (group.cluster && this.clusters.has(group.cluster)) {
          this.registerEc2(ec2, group.cluster, group.capacityProviderName);
        }
      });
    }
    return ec2;
  }

  private leastUsedZone(group: AutoScalingGroupRecord): string {
    const counts = new Map(group.availabilityZones.map((az) => [az, 0]));
    for (const instance of this.groupInstances(group.name)) {
      if (isActiveLifecycle(instance.lifecycleState)) {
        counts.set(instance.availabilityZone, (counts.get(instance.availabilityZone) ?? 0) + 1);
      }
    }
    return [...counts.entries()].sort((a, b) => a[1] - b[1])[0]?.[0] ?? `${this.region}a`;
  }

  private registerEc2(
    ec2: Ec2InstanceRecord,
    clusterName: string,
    capacityProviderName: string | undefined,
    attributes: Record<string, string> = {},
  ): ContainerInstanceRecord {
    const cluster = this.requireCluster(clusterName);
    const spec = instanceTypeSpec(ec2.instanceType);
    const id = this.rng.hex(32);
    const record: ContainerInstanceRecord = {
      arn: this.arn('ecs', `container-instance/${cluster.name}/${id}`),
      id,
      cluster: cluster.name,
      ec2InstanceId: ec2.instanceId,
      instanceType: ec2.instanceType,
      availabilityZone: ec2.availabilityZone,
      status: 'ACTIVE',
      agentConnected: true,
      registered: {
        cpu: spec.cpu,
        memory: spec.memory,
        ports: [...RESERVED_PORTS],
        portsUdp: [],
        gpus: Array.from({ length: spec.gpus }, (_, i) => `GPU-${ec2.instanceId}-${i}`),
        enis: spec.enis,
      },
      attributes: {
        'ecs.instance-type': ec2.instanceType,
        'ecs.availability-zone': ec2.availabilityZone,
        'ecs.os-type': 'linux',
        'ecs.os-family': 'LINUX',
        'ecs.ami-id': 'ami-0c2b8ca1dad447f8a',
        'ecs.cpu-architecture': 'x86_64',
        'ecs.vpc-id': 'vpc-0abc1234',
        'ecs.subnet-id': 'subnet-0abc1234',
        'ecs.capability.spot': ec2.spot ? 'true' : undefined,
        ...attributes,
      },
      registeredAt: this.clock,
      capacityProviderName,
      version: 1,
      tags: [],
    };
    this.containerInstances.set(record.arn, record);
    this.liveByInstance.set(record.arn, new Set());
    this.emitInstanceChange(record);
    this.dirty = true;
    return record;
  }

  /** Connects or disconnects a container instance's ECS agent (by EC2 id, container instance id or ARN). */
  setAgentConnected(instance: string, connected: boolean): void {
    const record = this.requireContainerInstance(instance);
    if (record.agentConnected === connected) return;
    record.agentConnected = connected;
    this.bumpInstance(record);
    // Transitions the agent could not report resume on reconnection.
    if (connected) for (const task of this.liveByInstance.get(record.arn) ?? []) this.scheduleNext(task);
    this.dirty = true;
    this.settle();
  }

  /**
   * An EC2 Spot interruption: the warning event now, the group's terminate hooks start, and the instance
   * is terminated after the notice period (2 minutes) whatever the hooks say.
   */
  interruptSpot(instanceId: string, action: 'terminate' | 'stop' | 'hibernate' = 'terminate'): void {
    const ec2 = this.ec2.get(instanceId);
    if (!ec2) throw new Error(`interruptSpot: unknown instance ${instanceId}`);
    this.emit(
      'aws.ec2',
      'EC2 Spot Instance Interruption Warning',
      [`arn:aws:ec2:${ec2.availabilityZone}:instance/${instanceId}`],
      { 'instance-id': instanceId, 'instance-action': action },
    );
    const group = ec2.groupName ? this.groups.get(ec2.groupName) : undefined;
    if (group && isActiveLifecycle(ec2.lifecycleState)) {
      this.beginTermination(ec2, group, 'an EC2 Spot Instance interruption notice');
    }
    this.at(this.timings.spotNoticeMs, `spot-terminate ${instanceId}`, () =>
      this.terminateEc2(ec2, `Host EC2 (instance ${instanceId}) terminated.`, 'SpotInterruption'),
    );
    this.settle();
  }

  // ---------------------------------------------------------------- seeding: SNS

  createTopic(name: string): SnsTopicRecord {
    const arn = this.arn('sns', name);
    const existing = this.topics.get(arn);
    if (existing) return existing;
    const record = { arn, name };
    this.topics.set(arn, record);
    return record;
  }

  recordPublication(
    publication: Omit<SnsPublication, 'messageId' | 'publishedAt' | 'textFor'>,
  ): SnsPublication {
    const record: SnsPublication = {
      ...publication,
      messageId: this.rng.uuid(),
      publishedAt: this.clock,
      textFor(protocol = 'email') {
        if (publication.messageStructure !== 'json') return publication.message;
        const entries = JSON.parse(publication.message) as Record<string, string>;
        return entries[protocol] ?? (entries.default as string);
      },
    };
    this.publications.push(record);
    return record;
  }

  snsPublications(topicArn?: string): SnsPublication[] {
    return this.publications.filter((p) => !topicArn || p.topicArn === topicArn);
  }

  // ---------------------------------------------------------------- reads

  /** Tasks, newest last; STOPPED ones are kept for assertions even after ECS would forget them. */
  tasks(
    filter: {
      cluster?: string;
      family?: string;
      service?: string;
      lastStatus?: TaskStatus;
      desiredStatus?: 'RUNNING' | 'STOPPED';
      instance?: string;
      startedBy?: string;
    } = {},
  ): TaskRecord[] {
    const instanceArn = filter.instance ? this.findContainerInstance(filter.instance)?.arn : undefined;
    return [...this.taskRecords.values()].filter(
      (task) =>
        (!filter.cluster || task.cluster === this.clusterName(filter.cluster)) &&
        (!filter.family || task.family === filter.family) &&
        (!filter.service || task.serviceName === filter.service) &&
        (!filter.lastStatus || task.lastStatus === filter.lastStatus) &&
        (!filter.desiredStatus || task.desiredStatus === filter.desiredStatus) &&
        (!filter.instance || task.containerInstanceArn === instanceArn) &&
        (!filter.startedBy || task.startedBy === filter.startedBy),
    );
  }

  task(idOrArn: string): TaskRecord | undefined {
    return this.taskRecords.get(idOrArn) ?? [...this.taskRecords.values()].find((t) => t.id === idOrArn);
  }

  /** Container instances (all statuses), optionally of one cluster. */
  instances(cluster?: string): ContainerInstanceRecord[] {
    return [...this.containerInstances.values()].filter(
      (instance) => !cluster || instance.cluster === this.clusterName(cluster),
    );
  }

  /**
   * An older registration of an EC2 instance's agent left behind in `status` (its agent data wiped and
   * registered again): a record without tasks, listed before the live one.
   */
  addStaleRegistration(
    ec2InstanceId: string,
    status: 'REGISTERING' | 'DEREGISTERING' = 'DEREGISTERING',
  ): ContainerInstanceRecord {
    const live = this.findContainerInstance(ec2InstanceId);
    if (!live) throw new Error(`no container instance for ${ec2InstanceId}`);
    const id = this.rng.hex(32);
    const stale: ContainerInstanceRecord = {
      ...live,
      arn: this.arn('ecs', `container-instance/${live.cluster}/${id}`),
      id,
      status,
      registeredAt: live.registeredAt - 3_600_000,
      version: 1,
    };
    const others = [...this.containerInstances];
    this.containerInstances.clear();
    for (const [arn, record] of [[stale.arn, stale] as const, ...others])
      this.containerInstances.set(arn, record);
    this.liveByInstance.set(stale.arn, new Set());
    return stale;
  }

  /** A container instance by ARN, its id, or its EC2 instance id (the registered, newest one). */
  findContainerInstance(reference: string): ContainerInstanceRecord | undefined {
    const direct = this.containerInstances.get(reference);
    if (direct) return direct;
    const all = [...this.containerInstances.values()];
    return (
      all.find((i) => i.id === reference) ??
      all.filter((i) => i.ec2InstanceId === reference).sort((a, b) => b.registeredAt - a.registeredAt)[0]
    );
  }

  private requireContainerInstance(reference: string): ContainerInstanceRecord {
    const found = this.findContainerInstance(reference);
    if (!found) throw new Error(`Unknown container instance ${reference}`);
    return found;
  }

  /** Free resources of a container instance: registered minus what its unstopped tasks hold. */
  remaining(instance: ContainerInstanceRecord): Resources {
    const free: Resources = {
      cpu: instance.registered.cpu,
      memory: instance.registered.memory,
      ports: [...instance.registered.ports],
      portsUdp: [...instance.registered.portsUdp],
      gpus: [...instance.registered.gpus],
      enis: instance.registered.enis,
    };
    // The registered PORTS list is what is reserved; remaining PORTS lists ports in use too (as ECS does).
    for (const task of this.liveByInstance.get(instance.arn) ?? []) {
      free.cpu -= task.demand.cpu;
      free.memory -= task.demand.memory;
      free.ports.push(...task.demand.ports);
      free.portsUdp.push(...task.demand.portsUdp);
      free.gpus.splice(0, task.demand.gpus);
      free.enis -= task.demand.enis;
    }
    return free;
  }

  taskCounts(instance: ContainerInstanceRecord): { running: number; pending: number } {
    let running = 0;
    let pending = 0;
    for (const task of this.liveByInstance.get(instance.arn) ?? []) {
      if (task.lastStatus === 'RUNNING') running++;
      else if (task.desiredStatus === 'RUNNING' && isBeforeRunning(task.lastStatus)) pending++;
    }
    return { running, pending };
  }

  /** Unstopped tasks on an instance. */
  tasksOn(instance: ContainerInstanceRecord): TaskRecord[] {
    return [...(this.liveByInstance.get(instance.arn) ?? [])];
  }

  services(cluster?: string): ServiceRecord[] {
    return [...this.serviceRecords.values()].filter(
      (s) => !cluster || s.cluster === this.clusterName(cluster),
    );
  }

  service(cluster: string, nameOrArn: string): ServiceRecord | undefined {
    const name = nameOrArn.replace(/^arn:aws:ecs:[^:]+:\d+:service\/(?:[^/]+\/)?/, '');
    return this.serviceRecords.get(`${this.clusterName(cluster)}/${name}`);
  }

  serviceCounts(service: ServiceRecord): { running: number; pending: number } {
    let running = 0;
    let pending = 0;
    for (const task of this.liveByService.get(service.arn) ?? []) {
      if (task.desiredStatus !== 'RUNNING') continue;
      if (task.lastStatus === 'RUNNING') running++;
      else if (isBeforeRunning(task.lastStatus)) pending++;
    }
    return { running, pending };
  }

  group(name: string): (AutoScalingGroupRecord & { instances: Ec2InstanceRecord[] }) | undefined {
    const group = this.groups.get(name);
    return group ? { ...group, instances: this.groupInstances(name) } : undefined;
  }

  private requireGroup(name: string): AutoScalingGroupRecord {
    const group = this.groups.get(name);
    if (!group)
      throw autoScalingErrors.validation(
        `AutoScalingGroup name not found - AutoScalingGroup ${name} not found`,
      );
    return group;
  }

  /** Instances of a group that have not been terminated (as DescribeAutoScalingGroups lists them). */
  groupInstances(name: string): Ec2InstanceRecord[] {
    return [...this.ec2.values()].filter((i) => i.groupName === name && i.lifecycleState !== 'Terminated');
  }

  groupHooks(name: string): LifecycleHookRecord[] {
    return this.hooks.get(name) ?? [];
  }

  lifecycleActions(filter: { instanceId?: string; active?: boolean } = {}): LifecycleActionRecord[] {
    return this.actions.filter(
      (action) =>
        (!filter.instanceId || action.instanceId === filter.instanceId) &&
        (filter.active === undefined || (action.completedAt === undefined) === filter.active),
    );
  }

  /** The query-language view of a container instance (memberOf, ListContainerInstances filter). */
  queryTarget(instance: ContainerInstanceRecord): QueryTarget {
    const live = this.tasksOn(instance);
    const counts = this.taskCounts(instance);
    return {
      instance,
      remaining: this.remaining(instance),
      runningTasksCount: counts.running,
      pendingTasksCount: counts.pending,
      agentVersion: AGENT_VERSION,
      taskGroups: [...new Set(live.map((t) => t.group))],
    };
  }

  // ---------------------------------------------------------------- ECS actions

  /**
   * RunTask's semantics (placement, capacity providers, failures[]); parameter validation is the
   * endpoint's. Throws what ECS throws (unknown cluster or task definition, no container instances).
   */
  launch(spec: LaunchSpec): LaunchResult {
    const cluster = this.requireCluster(spec.cluster);
    const definition = this.taskDefinition(spec.taskDefinition);
    if (!definition) throw ecsErrors.client('TaskDefinition not found.');
    if (spec.launchType && spec.capacityProviderStrategy?.length) {
      throw ecsErrors.invalid(
        'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
      );
    }
    const strategy =
      spec.capacityProviderStrategy?.length || spec.launchType || spec.onInstances
        ? (spec.capacityProviderStrategy ?? [])
        : cluster.defaultCapacityProviderStrategy;
    for (const item of strategy) {
      if (!cluster.capacityProviders.includes(item.capacityProvider)) {
        throw ecsErrors.invalid(
          'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.',
        );
      }
    }
    const managed = strategy.some(
      (item) => this.capacityProviders.get(item.capacityProvider)?.managedScaling === 'ENABLED',
    );
    const registered = this.instances(cluster.name).filter(
      (i) => i.status === 'ACTIVE' || i.status === 'DRAINING',
    );
    if (registered.length === 0 && !managed && !spec.onInstances) {
      throw ecsErrors.invalid('No Container Instances were found in your cluster.');
    }
    const count = spec.count ?? 1;
    const outer = this.spreadCounts;
    this.spreadCounts = outer ?? new Map();
    let result: LaunchResult;
    try {
      result = this.placeAll(cluster, definition, spec, strategy, count);
    } finally {
      this.spreadCounts = outer;
    }
    this.settle();
    return result;
  }

  private placeAll(
    cluster: ClusterRecord,
    definition: TaskDefinitionRecord,
    spec: LaunchSpec,
    strategy: CapacityProviderStrategyItem[],
    count: number,
  ): LaunchResult {
    const tasks: TaskRecord[] = [];
    const failures: PlacementFailure[] = [];
    const placedSoFar = new Map<string, number>();
    for (let index = 0; index < count; index++) {
      const provider = pickProvider(strategy, placedSoFar);
      const demand = taskDemand(definition, spec.overrides);
      const constraints = [...definition.placementConstraints, ...(spec.placementConstraints ?? [])];
      const group =
        spec.group ?? (spec.serviceName ? `service:${spec.serviceName}` : `family:${definition.family}`);
      const choice = this.place({
        cluster: cluster.name,
        demand,
        group,
        constraints,
        strategies: spec.placementStrategy ?? [],
        capacityProvider: provider,
        onInstances: spec.onInstances,
      });
      if ('instance' in choice) {
        tasks.push(this.createTask(cluster, definition, spec, demand, group, provider, choice.instance));
        for (const entry of this.spreadCounts?.values() ?? []) {
          if (entry.cluster !== cluster.name || entry.group !== group) continue;
          const value = entry.spreadValue(choice.instance);
          entry.counts.set(value, (entry.counts.get(value) ?? 0) + 1);
        }
      } else if (provider && this.capacityProviders.get(provider)?.managedScaling === 'ENABLED') {
        // Managed scaling: ECS keeps the task in PROVISIONING until capacity arrives.
        tasks.push(this.createTask(cluster, definition, spec, demand, group, provider, undefined));
      } else {
        failures.push(...choice.failures);
        continue;
      }
      if (provider) placedSoFar.set(provider, (placedSoFar.get(provider) ?? 0) + 1);
    }
    return { tasks, failures: dedupeFailures(failures) };
  }

  /**
   * Sets desired STOPPED; the task then walks through DEACTIVATING/STOPPING/DEPROVISIONING to STOPPED.
   * Stopping a task that is already stopping or stopped changes nothing.
   */
  stopTask(task: TaskRecord, reason: string, stopCode: StopCode = 'UserInitiated'): TaskRecord {
    if (task.desiredStatus === 'STOPPED') return task;
    task.desiredStatus = 'STOPPED';
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.stoppingAt = this.clock;
    this.changed(task);
    if (!task.containerInstanceArn) {
      this.unplaced.delete(task);
      this.finishStop(task);
    } else {
      this.scheduleNext(task);
    }
    this.dirty = true;
    this.settle();
    return task;
  }

  /** ACTIVE <-> DRAINING. Returns the reason ECS gives in failures[] when the change is not allowed. */
  setContainerInstanceStatus(
    instance: ContainerInstanceRecord,
    status: 'ACTIVE' | 'DRAINING',
  ): string | undefined {
    if (instance.status === status) return undefined;
    if (instance.status !== 'ACTIVE' && instance.status !== 'DRAINING') return instance.status;
    instance.status = status;
    this.bumpInstance(instance);
    this.dirty = true;
    this.settle();
    return undefined;
  }

  // ---------------------------------------------------------------- Auto Scaling actions

  setDesiredCapacity(groupName: string, desired: number): void {
    const group = this.requireGroup(groupName);
    if (desired > group.maxSize) {
      throw autoScalingErrors.validation(
        `New SetDesiredCapacity value ${desired} is above max value ${group.maxSize} for the AutoScalingGroup.`,
      );
    }
    if (desired < group.minSize) {
      throw autoScalingErrors.validation(
        `New SetDesiredCapacity value ${desired} is below min value ${group.minSize} for the AutoScalingGroup.`,
      );
    }
    group.desiredCapacity = desired;
    this.dirty = true;
    this.settle();
  }

  updateGroup(
    groupName: string,
    changes: { minSize?: number; maxSize?: number; desiredCapacity?: number },
  ): void {
    const group = this.requireGroup(groupName);
    if (changes.minSize !== undefined) group.minSize = changes.minSize;
    if (changes.maxSize !== undefined) group.maxSize = changes.maxSize;
    if (changes.desiredCapacity !== undefined) group.desiredCapacity = changes.desiredCapacity;
    group.desiredCapacity = Math.min(group.maxSize, Math.max(group.minSize, group.desiredCapacity));
    this.dirty = true;
    this.settle();
  }

  /** Instance refreshes, oldest first (model/instance-refresh.ts). */
  readonly instanceRefreshes: InstanceRefreshRecord[] = [];

  /** StartInstanceRefresh: a rolling refresh of the group's instances in service now. */
  startInstanceRefresh(groupName: string, preferences: RefreshPreferences = {}): InstanceRefreshRecord {
    const group = this.requireGroup(groupName);
    const record = startInstanceRefresh(
      {
        now: () => this.clock,
        newId: () => this.rng.uuid(),
        instances: (name) => this.groupInstances(name),
        replace: (instanceId, cause) => {
          const ec2 = this.ec2.get(instanceId);
          if (!ec2 || !isActiveLifecycle(ec2.lifecycleState)) return;
          this.beginTermination(ec2, group, cause);
          this.dirty = true;
        },
        after: (ms, label, run) => {
          this.at(ms, label, run);
        },
      },
      this.instanceRefreshes,
      group.name,
      preferences,
    );
    this.settle();
    return record;
  }

  /** Gives the group a mixed instances policy (overrides in priority order), or removes it. */
  setMixedInstancesPolicy(
    groupName: string,
    policy: (Partial<MixedInstancesRecord> & { overrides: string[] }) | undefined,
  ): void {
    const group = this.requireGroup(groupName);
    if (!policy) {
      delete group.mixedInstances;
      return;
    }
    for (const type of policy.overrides) instanceTypeSpec(type);
    group.mixedInstances = {
      onDemandAllocationStrategy: 'prioritized',
      spotAllocationStrategy: 'lowest-price',
      onDemandBaseCapacity: 0,
      onDemandPercentageAboveBaseCapacity: 100,
      ...policy,
    };
  }

  /** TerminateInstanceInAutoScalingGroup. */
  terminateInstanceInGroup(instanceId: string, decrement: boolean): ScalingActivity {
    const ec2 = this.ec2.get(instanceId);
    const group = ec2?.groupName ? this.groups.get(ec2.groupName) : undefined;
    if (!ec2 || !group || ec2.lifecycleState === 'Terminated') {
      throw autoScalingErrors.validation(
        `Instance Id not found - No managed instance found for instance ID: ${instanceId}`,
      );
    }
    if (!isActiveLifecycle(ec2.lifecycleState)) {
      // Already on its way out: nothing more to do.
      const existing = this.activities.findLast(
        (a) => a.instanceId === instanceId && a.description.startsWith('Terminating'),
      );
      return (
        existing ??
        this.activity(
          group,
          instanceId,
          `Terminating EC2 instance: ${instanceId}`,
          'an instance already terminating',
        )
      );
    }
    if (decrement) {
      if (group.desiredCapacity <= group.minSize) {
        throw autoScalingErrors.validation(
          `Currently, desiredSize equals minSize (${group.minSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
        );
      }
      group.desiredCapacity -= 1;
    }
    this.dirty = true;
    const activity = this.beginTermination(
      ec2,
      group,
      `user request explicitly terminating instance ${instanceId}${decrement ? ' and updating desired capacity' : ''}`,
    );
    this.settle();
    return activity;
  }

  setInstanceProtection(groupName: string, instanceIds: string[], protect: boolean): void {
    const group = this.requireGroup(groupName);
    const members = instanceIds.map((id) => {
      const ec2 = this.ec2.get(id);
      if (!ec2 || ec2.groupName !== group.name || ec2.lifecycleState === 'Terminated') {
        throw autoScalingErrors.validation(
          `The instance ${id} is not part of Auto Scaling group ${group.name}.`,
        );
      }
      return ec2;
    });
    for (const ec2 of members) ec2.protectedFromScaleIn = protect;
    this.dirty = true;
    this.settle();
  }

  /** CompleteLifecycleAction by token or instance id. */
  completeLifecycleAction(options: {
    group: string;
    hook: string;
    token?: string;
    instanceId?: string;
    result: 'CONTINUE' | 'ABANDON';
  }): void {
    const action = this.activeAction(options);
    this.finishAction(action, options.result, 'api');
    this.settle();
  }

  recordLifecycleActionHeartbeat(options: {
    group: string;
    hook: string;
    token?: string;
    instanceId?: string;
  }): void {
    const action = this.activeAction(options);
    const hook = this.groupHooks(action.groupName).find((h) => h.name === action.hookName);
    action.heartbeats++;
    action.timeoutAt = Math.min(
      action.globalTimeoutAt,
      this.clock + (hook?.heartbeatTimeoutSeconds ?? 3600) * 1000,
    );
    this.scheduleActionTimeout(action);
  }

  private activeAction(options: { group: string; hook: string; token?: string; instanceId?: string }) {
    this.requireGroup(options.group);
    const action = this.actions.find(
      (a) =>
        a.completedAt === undefined &&
        a.groupName === options.group &&
        a.hookName === options.hook &&
        (options.token ? a.token === options.token : a.instanceId === options.instanceId),
    );
    if (!action) {
      throw autoScalingErrors.validation(
        options.token
          ? `No active Lifecycle Action found with token ${options.token}`
          : `No active Lifecycle Action found with instance ID ${options.instanceId}`,
      );
    }
    return action;
  }

  // ---------------------------------------------------------------- placement

  private place(request: {
    cluster: string;
    demand: Demand;
    group: string;
    constraints: PlacementConstraint[];
    strategies: PlacementStrategy[];
    capacityProvider?: string;
    onInstances?: string[];
  }): { instance: ContainerInstanceRecord } | { failures: PlacementFailure[] } {
    const failures: PlacementFailure[] = [];
    let candidates: ContainerInstanceRecord[] = [];
    const pool = request.onInstances
      ? request.onInstances.map((ref) => this.findContainerInstance(ref)).filter((i) => i !== undefined)
      : this.instances(request.cluster);
    for (const instance of pool) {
      if (instance.status !== 'ACTIVE') continue;
      if (request.capacityProvider && instance.capacityProviderName !== request.capacityProvider) continue;
      const reason = this.rejection(instance, request);
      if (reason) failures.push({ arn: instance.arn, reason });
      else candidates.push(instance);
    }
    if (candidates.length === 0) return { failures };
    for (const strategy of request.strategies) {
      candidates = this.applyStrategy(strategy, candidates, request.group, request.cluster);
    }
    return { instance: this.rng.pick(candidates) };
  }

  private rejection(
    instance: ContainerInstanceRecord,
    request: { demand: Demand; group: string; constraints: PlacementConstraint[] },
  ): string | undefined {
    if (!instance.agentConnected) return 'AGENT';
    for (const constraint of request.constraints) {
      if (constraint.type === 'memberOf' && constraint.expression) {
        if (!matchesQuery(constraint.expression, this.queryTarget(instance))) {
          return 'MemberOf placement constraint unsatisfied.';
        }
      }
      if (constraint.type === 'distinctInstance') {
        if (this.tasksOn(instance).some((t) => t.group === request.group && t.desiredStatus === 'RUNNING')) {
          return 'DistinctInstance placement constraint unsatisfied.';
        }
      }
    }
    // Counted without building the remaining-resources lists: this runs for every instance per placement.
    const { demand } = request;
    const live = this.liveByInstance.get(instance.arn) ?? new Set<TaskRecord>();
    let cpu = instance.registered.cpu;
    let memory = instance.registered.memory;
    let gpus = instance.registered.gpus.length;
    let enis = instance.registered.enis;
    for (const task of live) {
      cpu -= task.demand.cpu;
      memory -= task.demand.memory;
      gpus -= task.demand.gpus;
      enis -= task.demand.enis;
    }
    if (demand.cpu > cpu) return 'RESOURCE:CPU';
    if (demand.memory > memory) return 'RESOURCE:MEMORY';
    const portTaken = (port: number, udp: boolean) =>
      (udp ? instance.registered.portsUdp : instance.registered.ports).includes(port) ||
      [...live].some((task) => (udp ? task.demand.portsUdp : task.demand.ports).includes(port));
    if (demand.ports.some((p) => portTaken(p, false)) || demand.portsUdp.some((p) => portTaken(p, true))) {
      return 'RESOURCE:PORTS';
    }
    if (demand.gpus > gpus) return 'RESOURCE:GPU';
    if (demand.enis > enis) return 'RESOURCE:ENI';
    return undefined;
  }

  private applyStrategy(
    strategy: PlacementStrategy,
    candidates: ContainerInstanceRecord[],
    group: string,
    cluster: string,
  ): ContainerInstanceRecord[] {
    if (strategy.type === 'random') return [this.rng.pick(candidates)];
    if (strategy.type === 'binpack') {
      const field = (strategy.field ?? 'memory').toLowerCase() === 'cpu' ? 'cpu' : 'memory';
      const free = candidates.map((c) => this.remaining(c)[field]);
      const least = Math.min(...free);
      return candidates.filter((_, i) => free[i] === least);
    }
    // spread: the value with the fewest tasks of the group across the cluster wins.
    const field = strategy.field ?? 'instanceId';
    const spreadValue = (instance: ContainerInstanceRecord) =>
      field === 'instanceId' || field === 'host'
        ? instance.arn
        : (instance.attributes[field.replace(/^attribute:/, '')] ?? '');
    const key = `${cluster}|${group}|${field}`;
    let counts = this.spreadCounts?.get(key)?.counts;
    if (!counts) {
      counts = new Map<string, number>();
      for (const task of this.liveByGroup.get(`${cluster}|${group}`) ?? []) {
        const instance = this.instanceOf(task);
        if (task.desiredStatus !== 'RUNNING' || !instance) continue;
        if (instance.status !== 'ACTIVE' && instance.status !== 'DRAINING') continue;
        const value = spreadValue(instance);
        counts.set(value, (counts.get(value) ?? 0) + 1);
      }
      this.spreadCounts?.set(key, { cluster, group, spreadValue, counts });
    }
    const seen = counts;
    const fewest = Math.min(...candidates.map((c) => seen.get(spreadValue(c)) ?? 0));
    return candidates.filter((c) => (seen.get(spreadValue(c)) ?? 0) === fewest);
  }

  // ---------------------------------------------------------------- task lifecycle

  private createTask(
    cluster: ClusterRecord,
    definition: TaskDefinitionRecord,
    spec: LaunchSpec,
    demand: Demand,
    group: string,
    capacityProvider: string | undefined,
    instance: ContainerInstanceRecord | undefined,
  ): TaskRecord {
    const id = this.rng.hex(32);
    const arn = this.arn('ecs', `task/${cluster.name}/${id}`);
    const overrides = spec.overrides ?? {};
    const containers: ContainerRecord[] = definition.containerDefinitions.map((c) => {
      const override = overrides.containerOverrides?.find((o) => o.name === c.name);
      return {
        arn: this.arn('ecs', `container/${cluster.name}/${id}/${this.rng.uuid()}`),
        name: c.name,
        image: c.image,
        lastStatus: 'PENDING',
        cpu: override?.cpu ?? c.cpu ?? 0,
        memory: override?.memory ?? c.memory,
        memoryReservation: override?.memoryReservation ?? c.memoryReservation,
        essential: c.essential !== false,
        networkBindings: [],
      };
    });
    const task: TaskRecord = {
      arn,
      id,
      cluster: cluster.name,
      taskDefinitionArn: definition.arn,
      family: definition.family,
      revision: definition.revision,
      capacityProviderName: capacityProvider,
      launchType: 'EC2',
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      group,
      serviceName: spec.serviceName,
      startedBy: spec.startedBy,
      tags: spec.tags ?? [],
      overrides,
      cpu: definition.cpu,
      memory: definition.memory,
      demand,
      placementConstraints: spec.placementConstraints ?? [],
      containers,
      createdAt: this.clock,
      updatedAt: this.clock,
      version: 0,
      script: spec.script ?? this.familyScripts.get(definition.family) ?? {},
      networkMode: definition.networkMode,
    };
    const failure = this.takeStartFailure(task);
    if (failure) task.script = { ...task.script, failToStart: failure };
    this.taskRecords.set(arn, task);
    this.liveSet(this.liveByGroup, `${task.cluster}|${task.group}`).add(task);
    if (spec.serviceName) {
      const service = this.service(cluster.name, spec.serviceName);
      if (service) this.liveSet(this.liveByService, service.arn).add(task);
    }
    if (instance) {
      this.bind(task, instance);
      // Tasks placed at once start PENDING, except awsvpc ones, which first attach their ENI.
      task.lastStatus = task.networkMode === 'awsvpc' ? 'PROVISIONING' : 'PENDING';
      if (task.lastStatus === 'PENDING') task.pullStartedAt = this.clock;
    } else {
      this.unplaced.add(task);
    }
    this.changed(task);
    if (instance) this.scheduleNext(task);
    return task;
  }

  private bind(task: TaskRecord, instance: ContainerInstanceRecord) {
    task.containerInstanceArn = instance.arn;
    task.ec2InstanceId = instance.ec2InstanceId;
    task.availabilityZone = instance.availabilityZone;
    task.capacityProviderName ??= instance.capacityProviderName;
    this.liveSet(this.liveByInstance, instance.arn).add(task);
    const definition = this.taskDefinitions.get(task.taskDefinitionArn);
    let dynamicPort = 32768 + this.rng.int(20000);
    for (const container of task.containers) {
      const mappings =
        definition?.containerDefinitions.find((c) => c.name === container.name)?.portMappings ?? [];
      container.networkBindings = mappings
        .filter(() => task.networkMode === 'bridge' || task.networkMode === 'host')
        .map((m) => ({
          containerPort: m.containerPort ?? 0,
          hostPort: task.networkMode === 'host' ? (m.containerPort ?? 0) : m.hostPort || dynamicPort++,
          protocol: m.protocol ?? 'tcp',
          bindIP: '0.0.0.0',
        }));
    }
  }

  private liveSet(map: Map<string, Set<TaskRecord>>, key: string): Set<TaskRecord> {
    let set = map.get(key);
    if (!set) {
      set = new Set();
      map.set(key, set);
    }
    return set;
  }

  private takeStartFailure(task: TaskRecord): TaskScript['failToStart'] {
    const rule = this.startFailures.find(
      (r) =>
        r.remaining > 0 &&
        (!r.family || r.family === task.family) &&
        (!r.service || r.service === task.serviceName) &&
        (!r.taskDefinition ||
          r.taskDefinition === task.taskDefinitionArn ||
          r.taskDefinition === `${task.family}:${task.revision}`),
    );
    if (!rule) return undefined;
    rule.remaining--;
    return {
      stoppedReason: rule.stoppedReason,
      containerReason: rule.containerReason,
      exitCode: rule.exitCode,
    };
  }

  /** Records a change: version up, updatedAt, and the task state change event. */
  private changed(task: TaskRecord) {
    task.version++;
    task.updatedAt = this.clock;
    const cluster = this.clusters.get(task.cluster);
    this.emit('aws.ecs', 'ECS Task State Change', [task.arn], {
      ...taskView(task, cluster?.arn ?? this.clusterArn(task.cluster), isoTime, { forEvent: true }),
    });
  }

  private setStatus(task: TaskRecord, status: TaskStatus) {
    task.lastStatus = status;
    const containerStatus: TaskStatus = isBeforeRunning(status)
      ? 'PENDING'
      : status === 'DEPROVISIONING' || status === 'STOPPED'
        ? 'STOPPED'
        : 'RUNNING';
    for (const container of task.containers) {
      if (container.lastStatus !== 'STOPPED') container.lastStatus = containerStatus;
    }
    this.changed(task);
    this.dirty = true;
  }

  /** Schedules the task's next transition from its current state. */
  private scheduleNext(task: TaskRecord) {
    this.taskTimers.get(task.arn)?.cancel();
    const timer = this.nextTransition(task);
    if (timer) this.taskTimers.set(task.arn, timer);
    else this.taskTimers.delete(task.arn);
  }

  private nextTransition(task: TaskRecord): Timer | undefined {
    const instance = task.containerInstanceArn
      ? this.containerInstances.get(task.containerInstanceArn)
      : undefined;
    if (!instance?.agentConnected || task.lastStatus === 'STOPPED') return undefined;
    const t = this.timings;
    const step = (delay: number, label: string, run: () => void) =>
      this.at(delay, `${label} ${task.id}`, () => {
        run();
        this.scheduleNext(task);
      });

    if (task.desiredStatus === 'STOPPED') {
      switch (task.lastStatus) {
        case 'PROVISIONING':
        case 'PENDING':
          // Never started: nothing to stop gracefully.
          return step(t.stopNoticeMs, 'stop-before-start', () => this.finishStop(task));
        case 'ACTIVATING':
        case 'RUNNING':
          return step(t.stopNoticeMs, 'deactivate', () => this.setStatus(task, 'DEACTIVATING'));
        case 'DEACTIVATING':
          return step(t.deactivatingMs, 'stopping', () => this.setStatus(task, 'STOPPING'));
        case 'STOPPING': {
          // A container that already exited leaves little to stop.
          const exited = task.stopCode === 'EssentialContainerExited';
          return step(exited ? 1_000 : t.stoppingMs, 'stopped', () => {
            task.executionStoppedAt = this.clock;
            for (const c of task.containers) {
              if (c.lastStatus !== 'STOPPED') {
                c.lastStatus = 'STOPPED';
                // The others are sent SIGTERM once an essential container exits: a process that ends on it
                // exits 143 (128 + 15); one stopped from outside is SIGKILLed after its stop timeout (137).
                c.exitCode ??= exited ? 143 : 137;
              }
            }
            if (task.networkMode === 'awsvpc') this.setStatus(task, 'DEPROVISIONING');
            else this.finishStop(task);
          });
        }
        case 'DEPROVISIONING':
          return step(t.deprovisioningMs, 'deprovisioned', () => this.finishStop(task));
        default:
          return undefined;
      }
    }

    switch (task.lastStatus) {
      case 'PROVISIONING':
        return step(t.provisioningMs, 'pending', () => {
          task.pullStartedAt = this.clock;
          this.setStatus(task, 'PENDING');
        });
      case 'PENDING':
        return step(t.pullMs, 'pulled', () => {
          const failure = task.script.failToStart;
          if (failure) {
            this.failStart(task, failure);
            return;
          }
          task.pullStoppedAt = this.clock;
          this.setStatus(task, 'ACTIVATING');
        });
      case 'ACTIVATING':
        return step(t.activatingMs, 'running', () => {
          task.startedAt = this.clock;
          task.connectivityAt = this.clock;
          this.setStatus(task, 'RUNNING');
          const service = task.serviceName ? this.service(task.cluster, task.serviceName) : undefined;
          if (service) service.consecutiveFailedStarts = 0;
        });
      case 'RUNNING':
        if (task.script.runForMs === undefined) return undefined;
        return this.at(
          Math.max(0, (task.startedAt ?? this.clock) + task.script.runForMs - this.clock),
          `exit ${task.id}`,
          () => {
            const exitCode = task.script.exitCode ?? 0;
            const essential = task.containers.find((c) => c.essential) ?? task.containers[0];
            if (essential) {
              essential.exitCode = exitCode;
              essential.lastStatus = 'STOPPED';
            }
            task.desiredStatus = 'STOPPED';
            task.stopCode = 'EssentialContainerExited';
            task.stoppedReason = 'Essential container in task exited';
            task.stoppingAt = this.clock;
            this.setStatus(task, 'DEACTIVATING');
            this.scheduleNext(task);
          },
        );
      default:
        return undefined;
    }
  }

  private failStart(task: TaskRecord, failure: NonNullable<TaskScript['failToStart']>) {
    task.desiredStatus = 'STOPPED';
    task.stopCode = 'TaskFailedToStart';
    task.stoppedReason = failure.stoppedReason;
    task.stoppingAt = this.clock;
    task.executionStoppedAt = this.clock;
    const essential = task.containers.find((c) => c.essential) ?? task.containers[0];
    for (const container of task.containers) {
      container.lastStatus = 'STOPPED';
      if (container === essential) {
        container.reason = failure.containerReason;
        container.exitCode = failure.exitCode;
      }
    }
    const service = task.serviceName ? this.service(task.cluster, task.serviceName) : undefined;
    if (service) {
      service.consecutiveFailedStarts++;
      if (service.consecutiveFailedStarts === this.timings.startImpairedAfter) {
        this.serviceEvent(
          service,
          `(service ${service.name}) is unable to consistently start tasks successfully.`,
        );
        this.emitServiceAction(service, 'SERVICE_TASK_START_IMPAIRED', 'WARN');
      }
    }
    this.finishStop(task);
  }

  private finishStop(task: TaskRecord) {
    this.taskTimers.get(task.arn)?.cancel();
    this.taskTimers.delete(task.arn);
    task.stoppedAt = this.clock;
    task.executionStoppedAt ??= this.clock;
    task.stoppingAt ??= this.clock;
    for (const c of task.containers) c.lastStatus = 'STOPPED';
    if (task.containerInstanceArn) this.liveByInstance.get(task.containerInstanceArn)?.delete(task);
    if (task.serviceName) {
      const service = this.service(task.cluster, task.serviceName);
      if (service) this.liveByService.get(service.arn)?.delete(task);
    }
    this.liveByGroup.get(`${task.cluster}|${task.group}`)?.delete(task);
    this.unplaced.delete(task);
    this.setStatus(task, 'STOPPED');
  }

  // ---------------------------------------------------------------- Auto Scaling lifecycle

  private activity(
    group: AutoScalingGroupRecord,
    instanceId: string,
    description: string,
    cause: string,
  ): ScalingActivity {
    const activity: ScalingActivity = {
      activityId: this.rng.uuid(),
      groupName: group.name,
      description,
      cause: `At ${new Date(this.clock).toISOString()} ${cause}.`,
      startedAt: this.clock,
      statusCode: 'InProgress',
      instanceId,
    };
    this.activities.push(activity);
    return activity;
  }

  private finishActivities(instanceId: string) {
    for (const activity of this.activities) {
      if (activity.instanceId === instanceId && activity.statusCode === 'InProgress') {
        activity.statusCode = 'Successful';
        activity.endedAt = this.clock;
      }
    }
  }

  private beginTermination(
    ec2: Ec2InstanceRecord,
    group: AutoScalingGroupRecord,
    cause: string,
  ): ScalingActivity {
    const activity = this.activity(
      group,
      ec2.instanceId,
      `Terminating EC2 instance: ${ec2.instanceId}`,
      cause,
    );
    const hooks = this.groupHooks(group.name).filter(
      (h) => h.transition === 'autoscaling:EC2_INSTANCE_TERMINATING',
    );
    if (hooks.length === 0) {
      ec2.lifecycleState = 'Terminating';
      this.at(this.timings.shutdownMs, `terminate ${ec2.instanceId}`, () =>
        this.terminateEc2(ec2, `Host EC2 (instance ${ec2.instanceId}) terminated.`),
      );
      return activity;
    }
    ec2.lifecycleState = 'Terminating:Wait';
    for (const hook of hooks) {
      const action: LifecycleActionRecord = {
        token: this.rng.uuid(),
        groupName: group.name,
        hookName: hook.name,
        instanceId: ec2.instanceId,
        transition: hook.transition,
        startedAt: this.clock,
        timeoutAt: this.clock + hook.heartbeatTimeoutSeconds * 1000,
        globalTimeoutAt: this.clock + Math.min(48 * 3600, 100 * hook.heartbeatTimeoutSeconds) * 1000,
        heartbeats: 0,
      };
      this.actions.push(action);
      this.emit('aws.autoscaling', 'EC2 Instance-terminate Lifecycle Action', [group.arn], {
        LifecycleActionToken: action.token,
        AutoScalingGroupName: group.name,
        LifecycleHookName: hook.name,
        EC2InstanceId: ec2.instanceId,
        LifecycleTransition: hook.transition,
        ...(hook.notificationMetadata !== undefined
          ? { NotificationMetadata: hook.notificationMetadata }
          : {}),
        Origin: 'AutoScalingGroup',
        Destination: 'EC2',
      });
      this.scheduleActionTimeout(action);
    }
    return activity;
  }

  private readonly actionTimers = new Map<string, Timer>();

  private scheduleActionTimeout(action: LifecycleActionRecord) {
    this.actionTimers.get(action.token)?.cancel();
    this.actionTimers.set(
      action.token,
      this.scheduler.schedule(
        action.timeoutAt,
        `hook-timeout ${action.instanceId}/${action.hookName}`,
        () => {
          if (action.completedAt !== undefined) return;
          const hook = this.groupHooks(action.groupName).find((h) => h.name === action.hookName);
          this.finishAction(action, hook?.defaultResult ?? 'ABANDON', 'timeout');
          this.dirty = true;
        },
      ),
    );
  }

  private finishAction(action: LifecycleActionRecord, result: 'CONTINUE' | 'ABANDON', by: 'api' | 'timeout') {
    action.result = result;
    action.completedAt = this.clock;
    action.completedBy = by;
    this.actionTimers.get(action.token)?.cancel();
    const siblings = this.actions.filter(
      (a) => a.instanceId === action.instanceId && a.completedAt === undefined,
    );
    // ABANDON on a terminating instance skips the remaining hooks; the instance terminates either way.
    if (result === 'ABANDON') {
      for (const sibling of siblings) {
        sibling.result = 'ABANDON';
        sibling.completedAt = this.clock;
        sibling.completedBy = by;
        this.actionTimers.get(sibling.token)?.cancel();
      }
    }
    const ec2 = this.ec2.get(action.instanceId);
    if (ec2?.lifecycleState !== 'Terminating:Wait') return;
    if (this.actions.some((a) => a.instanceId === action.instanceId && a.completedAt === undefined)) return;
    ec2.lifecycleState = 'Terminating:Proceed';
    this.at(this.timings.shutdownMs, `terminate ${ec2.instanceId}`, () =>
      this.terminateEc2(ec2, `Host EC2 (instance ${ec2.instanceId}) terminated.`),
    );
    this.dirty = true;
  }

  private terminateEc2(ec2: Ec2InstanceRecord, stoppedReason: string, stopCode?: StopCode) {
    if (ec2.lifecycleState === 'Terminated') return;
    ec2.lifecycleState = 'Terminated';
    ec2.terminatedAt = this.clock;
    this.finishActivities(ec2.instanceId);
    for (const action of this.actions) {
      if (action.instanceId === ec2.instanceId && action.completedAt === undefined) {
        action.completedAt = this.clock;
        action.result = 'ABANDON';
        action.completedBy = 'timeout';
        this.actionTimers.get(action.token)?.cancel();
      }
    }
    for (const instance of this.containerInstances.values()) {
      if (instance.ec2InstanceId !== ec2.instanceId || instance.status === 'INACTIVE') continue;
      for (const task of this.tasksOn(instance)) {
        if (task.desiredStatus === 'RUNNING') {
          task.desiredStatus = 'STOPPED';
          task.stoppedReason = stoppedReason;
          if (stopCode) task.stopCode = stopCode;
        }
        this.finishStop(task);
      }
      instance.agentConnected = false;
      // ECS deregisters container instances whose EC2 instance is gone.
      instance.status = 'INACTIVE';
      this.bumpInstance(instance);
    }
    this.dirty = true;
  }

  // ---------------------------------------------------------------- reconciliation

  /** Runs the schedulers (services, daemons, groups, waiting tasks) until nothing changes at this instant. */
  settle(): void {
    if (this.settling) return;
    this.settling = true;
    try {
      for (let round = 0; this.dirty && round < 50; round++) {
        this.dirty = false;
        this.reconcileGroups();
        this.placeWaitingTasks();
        for (const service of this.serviceRecords.values()) {
          if (service.status !== 'ACTIVE') continue;
          if (service.schedulingStrategy === 'DAEMON') this.reconcileDaemon(service);
          else this.reconcileReplica(service);
        }
        this.stopDaemonsOnDrainedInstances();
      }
    } finally {
      this.settling = false;
    }
  }

  private reconcileGroups() {
    for (const group of this.groups.values()) {
      const active = this.groupInstances(group.name).filter((i) => isActiveLifecycle(i.lifecycleState));
      if (active.length < group.desiredCapacity) {
        for (let i = active.length; i < group.desiredCapacity; i++) {
          this.launchEc2(group, { inService: false });
        }
        this.dirty = true;
      } else if (active.length > group.desiredCapacity) {
        const victims = this.scaleInVictims(active, active.length - group.desiredCapacity);
        for (const victim of victims) {
          this.beginTermination(
            victim,
            group,
            `a user request update of AutoScalingGroup constraints to min: ${group.minSize}, max: ${group.maxSize}, desired: ${group.desiredCapacity} changing the desired capacity`,
          );
        }
        if (victims.length > 0) this.dirty = true;
      }
    }
  }

  /** Default termination policy: unprotected only; the AZ with most instances first, then the oldest. */
  private scaleInVictims(active: Ec2InstanceRecord[], count: number): Ec2InstanceRecord[] {
    const pool = active.filter((i) => !i.protectedFromScaleIn);
    const chosen: Ec2InstanceRecord[] = [];
    while (chosen.length < count && pool.length > 0) {
      const perZone = new Map<string, number>();
      for (const i of active) {
        if (!chosen.includes(i)) perZone.set(i.availabilityZone, (perZone.get(i.availabilityZone) ?? 0) + 1);
      }
      pool.sort(
        (a, b) =>
          (perZone.get(b.availabilityZone) ?? 0) - (perZone.get(a.availabilityZone) ?? 0) ||
          a.launchedAt - b.launchedAt ||
          a.instanceId.localeCompare(b.instanceId),
      );
      chosen.push(pool.shift() as Ec2InstanceRecord);
    }
    return chosen;
  }

  private placeWaitingTasks() {
    for (const task of [...this.unplaced]) {
      const choice = this.place({
        cluster: task.cluster,
        demand: task.demand,
        group: task.group,
        constraints: task.placementConstraints,
        strategies: [],
        capacityProvider: task.capacityProviderName,
      });
      if (!('instance' in choice)) continue;
      this.unplaced.delete(task);
      this.bind(task, choice.instance);
      if (task.networkMode === 'awsvpc') {
        this.scheduleNext(task);
      } else {
        task.pullStartedAt = this.clock;
        this.setStatus(task, 'PENDING');
        this.scheduleNext(task);
      }
    }
  }

  private launchForService(service: ServiceRecord, count: number, onInstances?: string[]): number {
    if (count <= 0) return 0;
    let result: LaunchResult;
    try {
      result = this.launch({
        cluster: service.cluster,
        taskDefinition: service.taskDefinitionArn,
        count,
        serviceName: service.name,
        startedBy: service.deploymentId,
        launchType: service.capacityProviderStrategy.length > 0 ? undefined : 'EC2',
        capacityProviderStrategy: service.capacityProviderStrategy,
        placementConstraints: service.placementConstraints,
        placementStrategy: service.placementStrategy,
        onInstances,
      });
    } catch (error) {
      if (!(error instanceof AwsApiError)) throw error;
      // e.g. no container instances in the cluster: the service waits and reports it.
      this.placementFailed(service, [], error.message);
      return 0;
    }
    if (result.tasks.length > 0) {
      this.serviceEvent(
        service,
        `(service ${service.name}) has started ${result.tasks.length} tasks: ${result.tasks.map((t) => `(task ${t.id})`).join(' ')}.`,
      );
    }
    if (result.failures.length > 0 || result.tasks.length < count)
      this.placementFailed(service, result.failures);
    return result.tasks.length;
  }

  private placementFailed(service: ServiceRecord, failures: PlacementFailure[], why?: string) {
    this.placementBlockedAt.set(service.arn, this.clock);
    const reason =
      failures.find((f) => f.reason.startsWith('RESOURCE:'))?.reason ?? failures[0]?.reason ?? 'RESOURCE:CPU';
    const due =
      service.lastPlacementFailureAt === undefined ||
      this.clock - service.lastPlacementFailureAt >= this.timings.placementRetryMs ||
      service.lastPlacementFailureReason !== reason;
    if (due) {
      service.lastPlacementFailureAt = this.clock;
      service.lastPlacementFailureReason = reason;
      const closest = failures[0]?.arn?.split('/').pop();
      const because = why
        ? ` Reason: ${why}`
        : closest
          ? ` The closest matching (container-instance ${closest}) has insufficient ${reason.replace('RESOURCE:', '').toLowerCase()} available.`
          : '';
      this.serviceEvent(
        service,
        `(service ${service.name}) was unable to place a task because no container instance met all of its requirements.${because}`,
      );
      this.emitServiceAction(service, 'SERVICE_TASK_PLACEMENT_FAILURE', 'ERROR', reason);
    }
    // Retry later even if nothing else changes, as the service scheduler does.
    if (!this.serviceRetry.get(service.arn) || this.serviceRetry.get(service.arn)?.cancelled) {
      this.serviceRetry.set(
        service.arn,
        this.at(this.timings.placementRetryMs, `service-retry ${service.name}`, () =>
          this.serviceRetry.delete(service.arn),
        ),
      );
    }
  }

  private emitServiceAction(service: ServiceRecord, eventName: string, eventType: string, reason?: string) {
    const cluster = this.clusters.get(service.cluster);
    const providers = service.capacityProviderStrategy
      .map((item) => this.capacityProviders.get(item.capacityProvider)?.arn)
      .filter((arn) => arn !== undefined);
    this.emit('aws.ecs', 'ECS Service Action', [service.arn], {
      eventType,
      eventName,
      clusterArn: cluster?.arn ?? this.clusterArn(service.cluster),
      ...(providers.length > 0 ? { capacityProviderArns: providers } : {}),
      ...(reason ? { reason } : {}),
      createdAt: new Date(this.clock).toISOString(),
    });
  }

  private serviceEvent(service: ServiceRecord, message: string) {
    service.events.unshift({ id: this.rng.uuid(), createdAt: this.clock, message });
    service.events.length = Math.min(service.events.length, 100);
  }

  private reconcileReplica(service: ServiceRecord) {
    const live = [...(this.liveByService.get(service.arn) ?? [])].filter(
      (t) => t.desiredStatus === 'RUNNING',
    );
    const onDraining = live.filter((t) => this.instanceOf(t)?.status === 'DRAINING');
    // PENDING (not yet running) tasks on a draining instance stop at once.
    for (const task of onDraining) {
      if (task.lastStatus !== 'RUNNING') {
        this.stopTask(
          task,
          'Service task stopped because the container instance is being drained',
          'ServiceSchedulerInitiated',
        );
      }
    }
    const desired = service.desiredCount;
    const { minimumHealthyPercent, maximumPercent } = service.deploymentConfiguration;
    const maxTotal = Math.max(desired, Math.floor((desired * maximumPercent) / 100));
    const minHealthy = Math.ceil((desired * minimumHealthyPercent) / 100);
    const current = live.filter((t) => t.desiredStatus === 'RUNNING');
    const keep = current.filter((t) => this.instanceOf(t)?.status !== 'DRAINING');
    const draining = current.filter((t) => this.instanceOf(t)?.status === 'DRAINING');

    // Too many (scale-in): stop the extras as ECS does, keeping zones balanced (service-scale-in.ts).
    if (keep.length > desired) {
      const extras = scaleInVictims(keep, keep.length - desired, this.clock, (task) => {
        const instance = this.instanceOf(task);
        return instance ? { zone: instance.availabilityZone, instance: instance.arn } : undefined;
      });
      for (const task of [...extras, ...draining]) {
        this.stopTask(
          task,
          `Scaling activity initiated by (deployment ${service.deploymentId})`,
          'ServiceSchedulerInitiated',
        );
      }
      return;
    }

    // Start replacements within maximumPercent.
    const missing = desired - keep.length;
    const room = maxTotal - current.length;
    // A placement that failed at this very instant is retried later, not in a loop now.
    if (missing > 0 && room > 0 && this.placementBlockedAt.get(service.arn) !== this.clock) {
      this.launchForService(service, Math.min(missing, room));
    }

    // Stop tasks on draining instances while enough RUNNING tasks remain (replacements count once RUNNING).
    let running = [...(this.liveByService.get(service.arn) ?? [])].filter(
      (t) => t.desiredStatus === 'RUNNING' && t.lastStatus === 'RUNNING',
    ).length;
    for (const task of draining) {
      if (task.desiredStatus !== 'RUNNING' || running - 1 < minHealthy) continue;
      this.stopTask(
        task,
        'Service task stopped because the container instance is being drained',
        'ServiceSchedulerInitiated',
      );
      running--;
    }
  }

  private reconcileDaemon(service: ServiceRecord) {
    const covered = new Set(
      [...(this.liveByService.get(service.arn) ?? [])]
        .filter((t) => t.desiredStatus === 'RUNNING')
        .map((t) => t.containerInstanceArn),
    );
    for (const instance of this.instances(service.cluster)) {
      if (instance.status !== 'ACTIVE' || !instance.agentConnected) continue;
      if (covered.has(instance.arn)) continue;
      const fits = service.placementConstraints.every(
        (c) =>
          c.type !== 'memberOf' || !c.expression || matchesQuery(c.expression, this.queryTarget(instance)),
      );
      if (!fits) continue;
      this.launchForService(service, 1, [instance.arn]);
    }
  }

  /** Daemon tasks on a DRAINING instance stop last, once the replica service tasks there have stopped. */
  private stopDaemonsOnDrainedInstances() {
    for (const instance of this.containerInstances.values()) {
      if (instance.status !== 'DRAINING') continue;
      const live = this.tasksOn(instance);
      const daemons = live.filter((t) => this.isDaemonTask(t));
      // After the replica service tasks; standalone tasks do not hold them.
      const replicas = live.filter((t) => t.serviceName !== undefined && !this.isDaemonTask(t));
      if (daemons.length === 0 || replicas.length > 0) continue;
      for (const task of daemons) {
        this.stopTask(
          task,
          'Service task stopped because the container instance is being drained',
          'ServiceSchedulerInitiated',
        );
      }
    }
  }

  isDaemonTask(task: TaskRecord): boolean {
    const name = SERVICE_GROUP.exec(task.group)?.[1];
    return name !== undefined && this.service(task.cluster, name)?.schedulingStrategy === 'DAEMON';
  }

  private instanceOf(task: TaskRecord): ContainerInstanceRecord | undefined {
    return task.containerInstanceArn ? this.containerInstances.get(task.containerInstanceArn) : undefined;
  }

  private bumpInstance(instance: ContainerInstanceRecord) {
    instance.version++;
    this.emitInstanceChange(instance);
  }

  private emitInstanceChange(instance: ContainerInstanceRecord) {
    const cluster = this.clusters.get(instance.cluster);
    this.emit(
      'aws.ecs',
      'ECS Container Instance State Change',
      [instance.arn],
      containerInstanceView(
        instance,
        cluster?.arn ?? this.clusterArn(instance.cluster),
        this.remaining(instance),
        this.taskCounts(instance),
        isoTime,
        { forEvent: true, now: this.clock },
      ),
    );
  }

  /** For the endpoint: whether a STOPPED task is still describable. */
  isRetained(task: TaskRecord): boolean {
    return (
      task.lastStatus !== 'STOPPED' ||
      this.clock - (task.stoppedAt ?? this.clock) < this.timings.stoppedRetentionMs
    );
  }

  /** Re-seeded ids for things the endpoint creates (message ids, request ids). */
  randomId(): string {
    return this.rng.uuid();
  }
}

function isActiveLifecycle(state: LifecycleState): boolean {
  return state === 'Pending' || state === 'InService';
}

function isBeforeRunning(status: TaskStatus): boolean {
  return status === 'PROVISIONING' || status === 'PENDING' || status === 'ACTIVATING';
}

/** Capacity provider for the next task: `base` first, then by weight. */
function pickProvider(
  strategy: CapacityProviderStrategyItem[],
  placed: Map<string, number>,
): string | undefined {
  if (strategy.length === 0) return undefined;
  for (const item of strategy) {
    if ((item.base ?? 0) > (placed.get(item.capacityProvider) ?? 0)) return item.capacityProvider;
  }
  const weighted = strategy.filter((item) => (item.weight ?? 0) > 0);
  const pool = weighted.length > 0 ? weighted : strategy;
  return pool
    .map((item) => ({ item, load: (placed.get(item.capacityProvider) ?? 0) / (item.weight || 1) }))
    .sort((a, b) => a.load - b.load)[0]?.item.capacityProvider;
}

function dedupeFailures(failures: PlacementFailure[]): PlacementFailure[] {
  const seen = new Set<string>();
  return failures.filter((f) => {
    const key = `${f.arn}|${f.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export { AwsApiError };
