import * as z from 'zod';

/**
 * A scheduled job: what to run (the RunTask parameters) and how to schedule it (CronJob-like
 * semantics). Field by field documentation lives in functions/run-scheduled-task/README.md; the
 * comments here say what each field does and which ECS rule bounds it.
 *
 * The job is written by people, so unknown keys are rejected (a typo such as `concurencyPolicy` must
 * not silently fall back to a default). Event envelopes, written by AWS, are parsed leniently elsewhere.
 */

export const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

/** Letters, digits, `-` and `_`: the characters `startedBy` accepts, so the name can travel in it. */
export const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * RunTask keeps a clientToken for 24 hours. A starting deadline longer than that would let a late
 * duplicate start a second run, so the deadline stays an hour inside the token's lifetime.
 */
export const MAX_STARTING_DEADLINE_SECONDS = 23 * 3600;
/** A monthly schedule's longest gap; well inside the 90 days a silent job stays registered. */
export const MAX_EXPECT_EVERY_SECONDS = 31 * 86_400;

/** Limits from the RunTask API reference (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html). */
export const RUN_TASK_LIMITS = {
  count: 10,
  capacityProviders: 20,
  tags: 50,
  overridesBytes: 8192,
  placementConstraints: 10,
  placementStrategies: 5,
  startedBy: 128,
  tagKey: 128,
  tagValue: 256,
} as const;

const positiveInt = (what: string, min: number, max: number) =>
  z
    .number({ error: `${what} must be a whole number` })
    .int(`${what} must be a whole number`)
    .min(min, `${what} must be at least ${min}`)
    .max(max, `${what} must be at most ${max}`);

const nonEmpty = (what: string) => z.string({ error: `${what} must be a string` }).min(1, `${what} is empty`);

/** ECS names: letters, digits, hyphens, underscores, up to 255 characters. */
const ECS_NAME = '[A-Za-z0-9_-]{1,255}';
const ARN_PREFIX = 'arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d{12}:';
const TASK_DEFINITION_PATTERN = new RegExp(`^(${ARN_PREFIX}task-definition/)?${ECS_NAME}(:[1-9]\\d*)?$`);
const CLUSTER_PATTERN = new RegExp(`^(${ARN_PREFIX}cluster/)?${ECS_NAME}$`);

const capacityProviderItem = z.strictObject({
  capacityProvider: nonEmpty('capacityProvider').regex(
    new RegExp(`^${ECS_NAME}$`),
    'capacityProvider must be a capacity provider name (letters, digits, "-", "_")',
  ),
  weight: positiveInt('weight', 0, 1000).optional(),
  base: positiveInt('base', 0, 100_000).optional(),
});

const keyValue = z.strictObject({ name: nonEmpty('name'), value: z.string() });

const containerOverride = z.strictObject({
  name: nonEmpty('container name').max(
    255,
    'container name is longer than 255 characters, the most ECS allows',
  ),
  command: z.array(z.string()).optional(),
  environment: z.array(keyValue).optional(),
  environmentFiles: z.array(z.strictObject({ value: nonEmpty('value'), type: z.literal('s3') })).optional(),
  cpu: positiveInt('container cpu', 0, 196_608).optional(),
  memory: positiveInt('container memory', 4, 10_000_000).optional(),
  memoryReservation: positiveInt('container memoryReservation', 4, 10_000_000).optional(),
  resourceRequirements: z
    .array(z.strictObject({ type: z.enum(['GPU', 'InferenceAccelerator']), value: nonEmpty('value') }))
    .optional(),
});

const taskOverride = z.strictObject({
  containerOverrides: z.array(containerOverride).optional(),
  /** Task-level CPU as ECS accepts it: "1024", "1 vCPU", "0.25 vcpu". */
  cpu: nonEmpty('overrides.cpu').optional(),
  /** Task-level memory as ECS accepts it: "2048", "2 GB", "2GB". */
  memory: nonEmpty('overrides.memory').optional(),
  executionRoleArn: nonEmpty('executionRoleArn').optional(),
  taskRoleArn: nonEmpty('taskRoleArn').optional(),
  ephemeralStorage: z
    .strictObject({ sizeInGiB: positiveInt('ephemeralStorage.sizeInGiB', 21, 200) })
    .optional(),
  inferenceAcceleratorOverrides: z
    .array(z.strictObject({ deviceName: z.string().optional(), deviceType: z.string().optional() }))
    .optional(),
});

const tag = z.strictObject({
  key: z
    .string()
    .min(1, 'tag key is empty')
    .max(RUN_TASK_LIMITS.tagKey, `tag key is longer than ${RUN_TASK_LIMITS.tagKey} characters`),
  value: z
    .string()
    .max(RUN_TASK_LIMITS.tagValue, `tag value is longer than ${RUN_TASK_LIMITS.tagValue} characters`),
});

const retry = z.strictObject({
  /** RunTask attempts before the run is reported missed; the starting deadline bounds them too. */
  maxAttempts: positiveInt('retry.maxAttempts', 1, 100).optional(),
  /** First backoff delay; doubles each attempt (with jitter) up to maxDelaySeconds. */
  initialDelaySeconds: positiveInt('retry.initialDelaySeconds', 1, 300).optional(),
  maxDelaySeconds: positiveInt('retry.maxDelaySeconds', 1, 900).optional(),
  /**
   * Opt-in: a run whose tasks the infrastructure killed (Spot or Fargate reclaim, a drain's stop, a host
   * gone, a start failed for a transient reason) is started again, up to this many times per run.
   */
  infrastructureKills: positiveInt('retry.infrastructureKills', 0, 10).optional(),
});

export const JobSchema = z.strictObject({
  /** Unique per job; appears in startedBy, tags, the state table and alerts. */
  name: z
    .string({ error: 'name is required' })
    .regex(
      JOB_NAME_PATTERN,
      'name must be 1-64 letters, digits, "-" or "_", starting with a letter or digit (it is carried in startedBy)',
    ),
  /** Cluster name or ARN; DEFAULT_CLUSTER when omitted. */
  cluster: nonEmpty('cluster')
    .regex(CLUSTER_PATTERN, 'cluster must be a cluster name (letters, digits, "-", "_") or a cluster ARN')
    .optional(),
  /** `family`, `family:revision` or a task definition ARN. Pin a revision for repeatable runs. */
  taskDefinition: z
    .string({ error: 'taskDefinition is required' })
    .regex(
      TASK_DEFINITION_PATTERN,
      'taskDefinition must be a family ("report"), a family and revision ("report:7") or a task definition ARN',
    ),
  launchType: z.enum(['EC2', 'FARGATE', 'EXTERNAL']).optional(),
  capacityProviderStrategy: z
    .array(capacityProviderItem)
    .min(1, 'capacityProviderStrategy is empty: omit it to use the cluster default')
    .max(
      RUN_TASK_LIMITS.capacityProviders,
      `capacityProviderStrategy has more than ${RUN_TASK_LIMITS.capacityProviders} items (RunTask's limit)`,
    )
    .optional(),
  platformVersion: nonEmpty('platformVersion').optional(),
  networkConfiguration: z
    .strictObject({
      awsvpcConfiguration: z.strictObject({
        subnets: z.array(nonEmpty('subnet')).min(1, 'subnets is empty').max(16, 'at most 16 subnets'),
        securityGroups: z.array(nonEmpty('security group')).max(5, 'at most 5 security groups').optional(),
        assignPublicIp: z.enum(['ENABLED', 'DISABLED']).optional(),
      }),
    })
    .optional(),
  overrides: taskOverride.optional(),
  /** Tasks per run, 1-10 (RunTask's limit per call). */
  count: positiveInt('count', 1, RUN_TASK_LIMITS.count).default(1),
  tags: z.array(tag).optional(),
  propagateTags: z
    .enum(['TASK_DEFINITION', 'NONE', 'SERVICE'], { error: 'propagateTags must be TASK_DEFINITION or NONE' })
    .optional(),
  enableExecuteCommand: z.boolean().optional(),
  enableECSManagedTags: z.boolean().optional(),
  placementConstraints: z
    .array(
      z.strictObject({ type: z.enum(['distinctInstance', 'memberOf']), expression: z.string().optional() }),
    )
    .max(
      RUN_TASK_LIMITS.placementConstraints,
      `more than ${RUN_TASK_LIMITS.placementConstraints} placementConstraints (RunTask's limit)`,
    )
    .optional(),
  placementStrategy: z
    .array(z.strictObject({ type: z.enum(['random', 'spread', 'binpack']), field: z.string().optional() }))
    .max(
      RUN_TASK_LIMITS.placementStrategies,
      `more than ${RUN_TASK_LIMITS.placementStrategies} placementStrategy items (RunTask's limit)`,
    )
    .optional(),
  /** Allow: runs overlap. Forbid (default): skip while a run is active. Replace: stop it, then run. */
  concurrencyPolicy: z.enum(CONCURRENCY_POLICIES).default('Forbid'),
  /** A run not started this long after its due time is missed. Default from config (900 s). */
  startingDeadlineSeconds: positiveInt(
    'startingDeadlineSeconds',
    10,
    MAX_STARTING_DEADLINE_SECONDS,
  ).optional(),
  /**
   * The job's EventBridge Scheduler expression (`cron(...)`, `rate(...)`, `at(...)`), as on its schedule.
   * Optional; with it, expected due times, silence and the long-run bound come from the schedule itself,
   * daylight saving included.
   */
  schedule: nonEmpty('schedule').max(256, 'schedule is longer than 256 characters').optional(),
  /** The schedule's time zone (ScheduleExpressionTimezone, an IANA name). UTC by default. */
  timeZone: nonEmpty('timeZone').max(64, 'timeZone is longer than 64 characters').optional(),
  /** The schedule's flexible time window (minutes), when it has one: it must leave the starting deadline room. */
  flexibleTimeWindowMinutes: positiveInt('flexibleTimeWindowMinutes', 1, 1440).optional(),
  /**
   * The containers whose exit decides whether a task succeeded (all must exit 0 by themselves). Default:
   * the essential containers that ended by themselves; an essential sidecar ECS stopped after the main
   * container exited (SIGTERM 143, SIGKILL 137) does not fail the run.
   */
  successContainers: z
    .array(nonEmpty('container name'))
    .min(1, 'successContainers is empty: omit it to let the essential containers decide')
    .max(10, 'successContainers names more than 10 containers')
    .optional(),
  /** A run older than this (from the run's start) is stopped by the periodic pass (DeadlineExceeded). No limit by default. */
  activeDeadlineSeconds: positiveInt('activeDeadlineSeconds', 1, 30 * 24 * 3600).optional(),
  /**
   * The longest gap between two due times of the job's schedule. When no due time has arrived for this
   * long plus the starting deadline, the periodic pass alerts once: the schedule may be disabled or
   * deleted, or its deliveries failing. Up to 31 days (a monthly schedule). No check by default.
   */
  expectEverySeconds: positiveInt('expectEverySeconds', 60, MAX_EXPECT_EVERY_SECONDS).optional(),
  /**
   * A run still active this long (from its start) alerts once: it outlives its period, and with Forbid
   * the next due times wait for it and may be skipped. Default with Forbid: expectEverySeconds, else the
   * schedule's period; none with Allow or Replace.
   */
  longRunAlertSeconds: positiveInt('longRunAlertSeconds', 60, 30 * 24 * 3600).optional(),
  /** This many due times in a row skipped by Forbid (an earlier run still active) alert once. */
  alertAfterSkips: positiveInt('alertAfterSkips', 1, 1000).default(3),
  /** Succeeded runs kept in the state table (newest first). Default: RUN_HISTORY. */
  successfulRunsHistoryLimit: positiveInt('successfulRunsHistoryLimit', 0, 1000).optional(),
  /** Failed, missed, replaced and unknown runs kept. Default: RUN_HISTORY. */
  failedRunsHistoryLimit: positiveInt('failedRunsHistoryLimit', 0, 1000).optional(),
  retry: retry.optional(),
  /** true: due runs are skipped (recorded, not run); active runs are left alone. */
  suspend: z.boolean().default(false),
});

/** A job as the user wrote it (defaults not applied). */
export type JobInput = z.input<typeof JobSchema>;
/** A parsed job, defaults applied. */
export type Job = z.output<typeof JobSchema>;

/** Family of a task definition reference: `report`, `report:7` or an ARN `.../task-definition/report:7`. */
export function familyOf(taskDefinition: string): string {
  const name = taskDefinition.includes('/')
    ? taskDefinition.slice(taskDefinition.lastIndexOf('/') + 1)
    : taskDefinition;
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(0, colon);
}

/** Short cluster name from a name or ARN (`arn:aws:ecs:...:cluster/web` → `web`). */
export function clusterName(cluster: string): string {
  return cluster.includes('/') ? cluster.slice(cluster.lastIndexOf('/') + 1) : cluster;
}
