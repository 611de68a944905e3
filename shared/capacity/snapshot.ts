/**
 * The planner's input: everything scale-capacity knows about one capacity provider's group at one
 * moment. It is plain JSON so that a pass can be saved, replayed and edited (`npm run plan`); the
 * format is documented field by field in functions/scale-capacity/README.md.
 */
import * as z from 'zod';
import type { ResourceShape } from '../ecs/requirements';

const count = z.number().int().min(0);
const ports = z.array(z.number().int().min(0).max(65535)).default([]);
const isoTime = z.iso.datetime({ offset: true });

/** What one task reserves; the same form as shared/ecs ResourceShape. */
export const shapeSchema = z.object({
  cpu: count.describe('CPU units (1 vCPU = 1024)'),
  memoryMiB: count,
  gpus: count.default(0),
  hostPorts: z.object({ tcp: ports, udp: ports }).default({ tcp: [], udp: [] }),
  enis: count.default(0).describe('1 for awsvpc tasks'),
});

/** What a new instance of a type registers with ECS (before daemon tasks). */
export const instanceTypeSchema = z.object({
  cpu: count.min(1),
  memoryMiB: count.min(1),
  gpus: count.default(0),
  /** ENIs available to awsvpc tasks: the type's ENI limit minus the primary interface. */
  enis: count.default(0),
  pricePerHour: z
    .number()
    .min(0)
    .optional()
    .describe('On-Demand price (any currency): orders the types for lowest-price allocation strategies'),
});

const freeSchema = z.object({
  cpu: count,
  memoryMiB: count,
  gpus: count.default(0),
  enis: count.default(0),
});

export const registeredInstanceSchema = z.object({
  id: z.string().min(1).describe('EC2 instance id'),
  arn: z.string().optional().describe('container instance ARN'),
  instanceType: z.string().min(1),
  availabilityZone: z.string().optional(),
  lifecycleState: z.string().default('InService').describe('Auto Scaling lifecycle state'),
  healthStatus: z
    .string()
    .optional()
    .describe('Auto Scaling health status: Unhealthy ones are being replaced, not planned on'),
  status: z.string().default('ACTIVE').describe('ECS container instance status'),
  agentConnected: z.boolean().default(true),
  protectedFromScaleIn: z.boolean().default(false),
  registeredAt: isoTime.optional(),
  free: freeSchema.describe('remaining resources as ECS reports them'),
  portsInUse: z.object({ tcp: ports, udp: ports }).default({ tcp: [], udp: [] }),
  attributes: z.record(z.string(), z.string()).default({}),
  taskGroups: z.array(z.string()).default([]),
  tasks: count.default(0).describe('running + pending tasks, daemon tasks included'),
  nonDaemonTasks: count.nullable().default(0).describe('null when not known exactly'),
  idleSince: isoTime.nullable().default(null),
  movableTasks: z
    .array(
      z.object({
        shape: shapeSchema,
        group: z.string().optional(),
        distinctInstance: z.boolean().default(false),
        memberOf: z.string().optional().describe('its service and task definition memberOf, combined'),
        protected: z
          .boolean()
          .optional()
          .describe('task scale-in protection enabled (UpdateTaskProtection / GetTaskProtection)'),
        protectedUntil: isoTime.optional().describe("the protection's expirationDate"),
      }),
    )
    .optional()
    .describe('non-daemon service tasks, listed for consolidation candidates only'),
  pinnedTasks: count.default(0).describe('tasks that cannot move (standalone tasks)'),
  protectedTasks: count
    .optional()
    .describe('tasks with scale-in protection in force (UpdateTaskProtection): never consolidated'),
});

export const launchingInstanceSchema = z.object({
  id: z.string().min(1),
  instanceType: z.string().min(1),
  availabilityZone: z.string().optional(),
  lifecycleState: z.string().default('Pending'),
  launchedAt: isoTime,
});

export const demandSchema = z.object({
  source: z.string().min(1).describe('where it came from: service:api, task:<arn>, request:<job>'),
  group: z.string().optional().describe('task group (service:NAME or family:NAME)'),
  count: count.min(1),
  shape: shapeSchema,
  distinctInstance: z.boolean().default(false),
  memberOf: z.string().optional().describe('cluster query language expression'),
  newInstancesOnly: z
    .boolean()
    .default(false)
    .describe('ECS failed to place it where the simulation said it fits: plan it on new instances'),
  newInstancesSince: isoTime
    .optional()
    .describe(
      'with newInstancesOnly: instances registered since this time were launched for it and count too',
    ),
  unplaceable: z
    .string()
    .optional()
    .describe('ECS keeps failing to place it even on instances launched for it: reported, not scaled for'),
});

/**
 * A scheduled job's next run, foreseen from its schedule (run-scheduled-task's job registry): its
 * tasks are planned as demand once the run is due within the group's boot plus a margin, so an
 * instance has registered when it starts.
 */
export const foreseenSchema = z.object({
  source: z.literal('job'),
  job: z.string().min(1).describe('job name'),
  dueAt: isoTime.describe('the run’s due time'),
  count: count.min(1).describe('tasks the run starts'),
  shape: shapeSchema,
  group: z.string().optional().describe('task group (family:NAME)'),
  distinctInstance: z.boolean().default(false),
  memberOf: z.string().optional().describe('cluster query language expression'),
  concurrencyPolicy: z.enum(['Allow', 'Forbid', 'Replace']).default('Allow'),
  activeTasks: count.default(0).describe("tasks of the job's earlier runs still running or starting"),
});

/** A launch Auto Scaling tried and failed (a scaling activity with StatusCode Failed or Cancelled). */
export const launchFailureSchema = z.object({
  at: isoTime,
  status: z.string().min(1).describe('Failed or Cancelled'),
  message: z.string().describe("Auto Scaling's StatusMessage"),
});

export const settingsSchema = z.object({
  scaleInAfterSeconds: count.default(300),
  maxStep: count.min(1).default(10),
  maxScaleIn: z
    .object({ count: count.optional(), percent: z.number().min(0).max(100).optional() })
    .default({ percent: 10 }),
  headroom: z.object({ tasks: count, shape: shapeSchema.optional() }).default({ tasks: 0 }),
  consolidation: z.boolean().default(false),
  bootTimeoutSeconds: count.default(600),
  foresightMarginSeconds: count
    .optional()
    .describe('added to the boot time: how long before its due time a job is planned for (default 75)'),
});

export const snapshotSchema = z.object({
  version: z.literal(1).default(1),
  takenAt: isoTime.optional(),
  cluster: z.string().min(1),
  capacityProvider: z.string().min(1),
  group: z.object({
    name: z.string().min(1),
    min: count,
    max: count,
    desired: count,
    availabilityZones: z.array(z.string()).default([]),
    instanceTypes: z.array(z.string()).min(1).describe('types the group launches'),
    mixedInstances: z
      .object({
        onDemandAllocationStrategy: z.string().default('prioritized'),
        spotAllocationStrategy: z.string().default('lowest-price'),
        onDemandBaseCapacity: count.default(0),
        onDemandPercentageAboveBaseCapacity: z.number().min(0).max(100).default(100),
      })
      .optional()
      .describe(
        "the group's mixed instances policy (InstancesDistribution); instanceTypes in override order",
      ),
    suspendedProcesses: z
      .array(z.string())
      .optional()
      .describe('Auto Scaling processes suspended on the group: Launch holds scale-out, Terminate removals'),
    launchFailures: z
      .array(launchFailureSchema)
      .optional()
      .describe('failed launches since the last launch that did not fail, newest first (scaling activities)'),
    failingRaiseAt: isoTime
      .optional()
      .describe('when scale-capacity last raised the desired capacity while launches were failing'),
    boot: z
      .object({
        seconds: z.number().min(0).describe('launch to registration, median of the recent launches'),
        samples: count.describe('launches measured'),
      })
      .optional()
      .describe('measured from scaling activities and container instance registrations'),
    warmPool: z
      .object({
        ready: count.describe(
          'instances warmed and ready to join (Warmed:Stopped, Warmed:Running, Warmed:Hibernated)',
        ),
        warming: count.default(0).describe('instances still being prepared for the pool (Warmed:Pending...)'),
        poolState: z.string().optional().describe('Stopped, Running or Hibernated'),
        minSize: count.optional(),
        bootSeconds: z.number().min(0).optional().describe('a pool instance, start to registration'),
      })
      .optional()
      .describe("the group's warm pool (DescribeWarmPool): launches take its instances first"),
    eniTrunking: z
      .object({
        newInstances: z.boolean().describe('every registered instance is trunked: new ones count as trunked'),
        notInTable: z.array(z.string()).default([]).describe('trunked types the ECS table lacks'),
      })
      .optional()
      .describe('present when a registered instance carries ecs.awsvpc-trunk-id'),
  }),
  instanceTypes: z.record(z.string(), instanceTypeSchema),
  newInstanceAttributes: z.record(z.string(), z.string()).default({}),
  daemonOverhead: shapeSchema.default({
    cpu: 0,
    memoryMiB: 0,
    gpus: 0,
    hostPorts: { tcp: [], udp: [] },
    enis: 0,
  }),
  unreadDaemons: z
    .array(z.string())
    .optional()
    .describe(
      'daemon services whose task definition could not be read (not in daemonOverhead): their room is measured on registered instances',
    ),
  settings: settingsSchema.default(settingsSchema.parse({})),
  instances: z.array(registeredInstanceSchema).default([]),
  launching: z.array(launchingInstanceSchema).default([]),
  demand: z.array(demandSchema).default([]),
  foreseen: z.array(foreseenSchema).optional().describe("scheduled jobs' next runs (job registry)"),
});

export type Shape = ResourceShape;
export type InstanceTypeResources = z.output<typeof instanceTypeSchema>;
export type RegisteredInstance = z.output<typeof registeredInstanceSchema>;
export type LaunchingInstance = z.output<typeof launchingInstanceSchema>;
export type Demand = z.output<typeof demandSchema>;
export type LaunchFailure = z.output<typeof launchFailureSchema>;
export type Foreseen = z.output<typeof foreseenSchema>;
export type CapacitySettings = z.output<typeof settingsSchema>;
export type CapacitySnapshot = z.output<typeof snapshotSchema>;
/** What a snapshot file may omit: every defaulted field. */
export type CapacitySnapshotInput = z.input<typeof snapshotSchema>;

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

/** Parses and checks a snapshot; problems are named by their JSON path. */
export function parseSnapshot(input: unknown): CapacitySnapshot {
  const result = snapshotSchema.safeParse(input);
  if (!result.success) {
    throw new SnapshotError(`Invalid capacity snapshot:\n${z.prettifyError(result.error)}`);
  }
  const snapshot = result.data;
  const missing = [
    ...snapshot.group.instanceTypes,
    ...snapshot.instances.map((instance) => instance.instanceType),
    ...snapshot.launching.map((instance) => instance.instanceType),
  ].filter((type) => !snapshot.instanceTypes[type]);
  if (missing.length > 0) {
    throw new SnapshotError(
      `Invalid capacity snapshot: instanceTypes has no resources for ${[...new Set(missing)].join(', ')}`,
    );
  }
  if (snapshot.group.min > snapshot.group.max) {
    throw new SnapshotError(
      `Invalid capacity snapshot: group.min ${snapshot.group.min} > max ${snapshot.group.max}`,
    );
  }
  return snapshot;
}
