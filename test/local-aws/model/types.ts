/** Records of the simulated world. Times are epoch milliseconds on the world's clock. */

export type TaskStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

export const TASK_STATUS_ORDER: readonly TaskStatus[] = [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
];

export type StopCode =
  | 'TaskFailedToStart'
  | 'EssentialContainerExited'
  | 'UserInitiated'
  | 'ServiceSchedulerInitiated'
  | 'SpotInterruption'
  | 'TerminationNotice';

export type ContainerInstanceStatus = 'REGISTERING' | 'ACTIVE' | 'DRAINING' | 'DEREGISTERING' | 'INACTIVE';

export type LifecycleState =
  | 'Pending'
  | 'InService'
  | 'Terminating'
  | 'Terminating:Wait'
  | 'Terminating:Proceed'
  | 'Terminated';

export interface Tag {
  key: string;
  value: string;
}

export interface Resources {
  cpu: number;
  memory: number;
  /** Reserved TCP host ports. */
  ports: number[];
  portsUdp: number[];
  /** GPU ids. */
  gpus: string[];
  /** Network interfaces available to awsvpc tasks (trunking off: the type's limit minus the primary). */
  enis: number;
}

/** What one task needs from the instance it lands on. */
export interface Demand {
  cpu: number;
  memory: number;
  ports: number[];
  portsUdp: number[];
  gpus: number;
  enis: number;
}

export interface PortMapping {
  containerPort?: number;
  hostPort?: number;
  protocol?: 'tcp' | 'udp';
}

export interface ContainerDefinition {
  name: string;
  image: string;
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  essential?: boolean;
  portMappings?: PortMapping[];
  resourceRequirements?: { type: string; value: string }[];
  logConfiguration?: { logDriver: string; options?: Record<string, string> };
  environment?: { name: string; value: string }[];
  [key: string]: unknown;
}

export interface PlacementConstraint {
  type: 'distinctInstance' | 'memberOf';
  expression?: string;
}

export interface PlacementStrategy {
  type: 'binpack' | 'spread' | 'random';
  field?: string;
}

export interface TaskDefinitionRecord {
  arn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  networkMode: 'bridge' | 'awsvpc' | 'host' | 'none';
  cpu?: string;
  memory?: string;
  containerDefinitions: ContainerDefinition[];
  placementConstraints: PlacementConstraint[];
  requiresCompatibilities: string[];
  registeredAt: number;
  /** Everything else the caller registered, echoed by DescribeTaskDefinition. */
  extra: Record<string, unknown>;
  tags: Tag[];
}

export interface CapacityProviderStrategyItem {
  capacityProvider: string;
  weight?: number;
  base?: number;
}

export interface ClusterRecord {
  arn: string;
  name: string;
  status: 'ACTIVE' | 'INACTIVE';
  capacityProviders: string[];
  defaultCapacityProviderStrategy: CapacityProviderStrategyItem[];
  tags: Tag[];
}

export interface CapacityProviderRecord {
  arn: string;
  name: string;
  groupName: string;
  managedScaling: 'ENABLED' | 'DISABLED';
  targetCapacity: number;
  managedTerminationProtection: 'ENABLED' | 'DISABLED';
  managedDraining: 'ENABLED' | 'DISABLED';
  tags: Tag[];
}

export interface ContainerInstanceRecord {
  arn: string;
  id: string;
  cluster: string;
  ec2InstanceId: string;
  instanceType: string;
  availabilityZone: string;
  status: ContainerInstanceStatus;
  statusReason?: string;
  agentConnected: boolean;
  registered: Resources;
  attributes: Record<string, string | undefined>;
  registeredAt: number;
  capacityProviderName?: string;
  /** Grows with every change, as in the container instance state change event. */
  version: number;
  tags: Tag[];
}

export interface Ec2InstanceRecord {
  instanceId: string;
  instanceType: string;
  availabilityZone: string;
  groupName?: string;
  cluster?: string;
  lifecycleState: LifecycleState;
  healthStatus: 'Healthy' | 'Unhealthy';
  protectedFromScaleIn: boolean;
  launchedAt: number;
  spot: boolean;
  terminatedAt?: number;
}

export interface ContainerRecord {
  arn: string;
  name: string;
  image: string;
  lastStatus: TaskStatus;
  exitCode?: number;
  reason?: string;
  cpu: number;
  memory?: number;
  memoryReservation?: number;
  essential: boolean;
  networkBindings: { containerPort: number; hostPort: number; protocol: 'tcp' | 'udp'; bindIP: string }[];
}

export interface TaskOverrides {
  cpu?: string;
  memory?: string;
  containerOverrides?: {
    name?: string;
    cpu?: number;
    memory?: number;
    memoryReservation?: number;
    command?: string[];
    environment?: { name?: string; value?: string }[];
    [key: string]: unknown;
  }[];
  [key: string]: unknown;
}

/** How a task will behave once placed; set by the seed, the scenario or {@link World.failStarts}. */
export interface TaskScript {
  /** Runs this long after RUNNING, then exits with `exitCode`; absent = runs until stopped. */
  runForMs?: number;
  exitCode?: number;
  /** Fails before it ever runs (e.g. CannotPullContainerError). */
  failToStart?: { stoppedReason: string; containerReason?: string; exitCode?: number };
}

export interface TaskRecord {
  arn: string;
  id: string;
  cluster: string;
  taskDefinitionArn: string;
  family: string;
  revision: number;
  containerInstanceArn?: string;
  ec2InstanceId?: string;
  availabilityZone?: string;
  capacityProviderName?: string;
  launchType: 'EC2';
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  group: string;
  serviceName?: string;
  startedBy?: string;
  tags: Tag[];
  overrides: TaskOverrides;
  cpu?: string;
  memory?: string;
  demand: Demand;
  /** Host ports actually bound on the instance (fixed ports of the definition). */
  placementConstraints: PlacementConstraint[];
  containers: ContainerRecord[];
  createdAt: number;
  updatedAt: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  connectivityAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  stopCode?: StopCode;
  stoppedReason?: string;
  version: number;
  script: TaskScript;
  networkMode: TaskDefinitionRecord['networkMode'];
  /** Task scale-in protection (UpdateTaskProtection): in force until `expiresAt` (epoch ms). */
  protection?: { expiresAt: number };
}

export interface DeploymentConfiguration {
  minimumHealthyPercent: number;
  maximumPercent: number;
}

export interface ServiceRecord {
  arn: string;
  name: string;
  cluster: string;
  taskDefinitionArn: string;
  desiredCount: number;
  schedulingStrategy: 'REPLICA' | 'DAEMON';
  launchType?: 'EC2';
  capacityProviderStrategy: CapacityProviderStrategyItem[];
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  deploymentConfiguration: DeploymentConfiguration;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  createdAt: number;
  deploymentId: string;
  /** Newest first, as DescribeServices returns them. */
  events: { id: string; createdAt: number; message: string }[];
  lastPlacementFailureAt?: number;
  lastPlacementFailureReason?: string;
  consecutiveFailedStarts: number;
  tags: Tag[];
}

export interface LifecycleHookRecord {
  groupName: string;
  name: string;
  transition: 'autoscaling:EC2_INSTANCE_TERMINATING' | 'autoscaling:EC2_INSTANCE_LAUNCHING';
  heartbeatTimeoutSeconds: number;
  defaultResult: 'CONTINUE' | 'ABANDON';
  notificationMetadata?: string;
}

export interface LifecycleActionRecord {
  token: string;
  groupName: string;
  hookName: string;
  instanceId: string;
  transition: LifecycleHookRecord['transition'];
  startedAt: number;
  /** Heartbeat timeout deadline, moved by RecordLifecycleActionHeartbeat. */
  timeoutAt: number;
  /** min(48 h, 100 x heartbeat timeout) after the start. */
  globalTimeoutAt: number;
  heartbeats: number;
  result?: 'CONTINUE' | 'ABANDON';
  completedAt?: number;
  completedBy?: 'api' | 'timeout';
}

export interface AutoScalingGroupRecord {
  name: string;
  arn: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  instanceType: string;
  availabilityZones: string[];
  /** Cluster the instances' ECS agent registers with (from the launch template user data). */
  cluster?: string;
  capacityProviderName?: string;
  bootDelayMs: number;
  spot: boolean;
  newInstancesProtectedFromScaleIn: boolean;
  tags: (Tag & { propagateAtLaunch: boolean })[];
  createdAt: number;
  launchTemplate: { id: string; name: string; version: string };
  /** A mixed instances policy: the overrides replace `instanceType` (model/mixed-instances.ts). */
  mixedInstances?: MixedInstancesRecord;
}

export interface MixedInstancesRecord {
  /** Instance types in priority order (LaunchTemplate.Overrides). */
  overrides: string[];
  onDemandAllocationStrategy: 'prioritized' | 'lowest-price';
  spotAllocationStrategy: string;
  onDemandBaseCapacity: number;
  onDemandPercentageAboveBaseCapacity: number;
}

export interface ScalingActivity {
  activityId: string;
  groupName: string;
  description: string;
  cause: string;
  startedAt: number;
  endedAt?: number;
  statusCode: 'InProgress' | 'Successful';
  /** The instance the activity is about. */
  instanceId: string;
}

export interface SnsTopicRecord {
  arn: string;
  name: string;
}

export interface SnsPublication {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  messageStructure?: string;
  messageAttributes: Record<string, { dataType: string; value?: string }>;
  publishedAt: number;
  /** What a subscriber of `protocol` receives (the JSON entry for it, else `default`). */
  textFor(protocol?: string): string;
}

/** An EventBridge event exactly as delivered to a Lambda target. */
export interface EventEnvelope<Detail = Record<string, unknown>> {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Detail;
}
