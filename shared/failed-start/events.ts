import * as z from 'zod';
import { BadEventError, formatPath } from '../runtime/errors';
import { AWS_LIMITS, cut, ECS_PATTERNS, limited } from '../runtime/limits';

/** EventBridge sources and detail types this function reacts to; rules.ts builds its patterns from them. */
export const TASK_STATE_SOURCE = 'aws.ecs';
export const TASK_STATE_DETAIL_TYPE = 'ECS Task State Change';
export const SCHEDULE_SOURCE = 'aws.events';
export const SCHEDULE_DETAIL_TYPE = 'Scheduled Event';

/** A stopped (or stopping) task as this function sees it, from an event or from DescribeTasks. */
export interface TaskSnapshot {
  taskArn: string;
  taskId: string;
  clusterArn: string;
  cluster: string;
  region: string;
  /**
   * Grows with every change of the task; duplicates carry the same version. Events always carry it;
   * DescribeTasks may omit it (every field of its Task is optional).
   */
  version?: number;
  lastStatus: string;
  desiredStatus?: string;
  /** `service:NAME` or `family:NAME` (or a custom RunTask group). */
  group: string;
  taskDefinitionArn: string;
  /** `api:3` */
  taskDefinition: string;
  startedBy?: string;
  launchType?: string;
  capacityProviderName?: string;
  availabilityZone?: string;
  stopCode?: string;
  stoppedReason?: string;
  createdAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  containers: ContainerSnapshot[];
}

export interface ContainerSnapshot {
  name: string;
  image?: string;
  reason?: string;
  exitCode?: number;
  lastStatus?: string;
}

export type FailedStartEvent =
  | { kind: 'task'; task: TaskSnapshot }
  | { kind: 'reconcile'; time: number | undefined };

// Bounded part by part (shared/runtime/limits.ts): the ARNs become state-table keys.
const TASK_ARN = /^arn:aws[\w-]*:ecs:([a-z0-9-]+):(\d{12}):task\/(?:([^/]+)\/)?([\w-]+)$/;
const CLUSTER_ARN = /^arn:aws[\w-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/(.+)$/;
const TASK_DEFINITION_ARN = /^arn:aws[\w-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/([\w-]+):(\d+)$/;

const nonEmpty = z.string().trim().min(1, 'expected a non-empty string');
/** Empty strings and nulls mean "absent" in events. */
const absentIfBlank = (value: string | null | undefined) =>
  value === null || value === undefined || value.trim() === '' ? undefined : value;
// Free text (reasons, statuses, images, times): any length, cut before it reaches an alert or an item.
const optionalText = z
  .string()
  .nullish()
  .transform((value) => {
    const text = absentIfBlank(value);
    return text === undefined ? undefined : cut(text);
  });
/** An identifier with a documented maximum: refused past it, so no key or call carries more. */
const optionalId = (max: number, what: string) => limited(max, what).nullish().transform(absentIfBlank);

// Objects strip unknown keys rather than rejecting them: AWS adds fields to events without notice.
const container = z.object({
  // ECS's own containers (`~internal~ecs~pause`) break the name pattern, not the length.
  name: nonEmpty.max(AWS_LIMITS.ecsName, `container name is longer than ${AWS_LIMITS.ecsName} characters`),
  image: optionalText,
  reason: optionalText,
  exitCode: z.number().int().nullish(),
  lastStatus: optionalText,
});

const detail = z.object({
  taskArn: z
    .string()
    .regex(
      ECS_PATTERNS.taskArn,
      'expected a task ARN such as arn:aws:ecs:us-east-1:123456789012:task/web/0123 (names up to 255 characters)',
    ),
  clusterArn: z
    .string()
    .regex(
      ECS_PATTERNS.clusterArn,
      'expected a cluster ARN such as arn:aws:ecs:us-east-1:123456789012:cluster/web (a name of up to 255 letters, digits, "-", "_")',
    ),
  taskDefinitionArn: z
    .string()
    .regex(
      ECS_PATTERNS.taskDefinitionArn,
      'expected a task definition ARN ending in family:revision (a family of up to 255 characters)',
    ),
  lastStatus: nonEmpty.transform((text) => cut(text)),
  desiredStatus: optionalText,
  version: z.number({ error: 'expected the task version, a whole number' }).int().nonnegative(),
  group: optionalId(AWS_LIMITS.taskGroup, 'group'),
  startedBy: optionalId(AWS_LIMITS.startedBy, 'startedBy'),
  launchType: optionalText,
  capacityProviderName: optionalId(AWS_LIMITS.ecsName, 'capacityProviderName'),
  availabilityZone: optionalText,
  stopCode: optionalText,
  stoppedReason: optionalText,
  createdAt: optionalText,
  startedAt: optionalText,
  stoppedAt: optionalText,
  containers: z.array(container).default([]),
});

const envelope = z.object({
  source: nonEmpty.max(AWS_LIMITS.eventSource, `source is longer than ${AWS_LIMITS.eventSource} characters`),
  'detail-type': nonEmpty.max(
    AWS_LIMITS.eventDetailType,
    `detail-type is longer than ${AWS_LIMITS.eventDetailType} characters`,
  ),
  time: z.string().optional(),
  region: z.string().optional(),
  detail: z.unknown(),
});

function parseWith<T extends z.ZodType>(schema: T, value: unknown, prefix: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new BadEventError(
    TASK_STATE_DETAIL_TYPE,
    result.error.issues.map((issue) => ({
      path: formatPath([...(prefix ? [prefix] : []), ...issue.path]),
      message: issue.message,
    })),
  );
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

/** Builds the snapshot from fields an event detail and an SDK Task share. */
export function snapshotOf(fields: z.output<typeof detail> | z.output<typeof described>): TaskSnapshot {
  const [, region = '', , , taskId = ''] = TASK_ARN.exec(fields.taskArn) ?? [];
  const [, cluster = ''] = CLUSTER_ARN.exec(fields.clusterArn) ?? [];
  const [, family = '', revision = ''] = TASK_DEFINITION_ARN.exec(fields.taskDefinitionArn) ?? [];
  return withoutUndefined({
    taskArn: fields.taskArn,
    taskId,
    clusterArn: fields.clusterArn,
    cluster,
    region,
    version: fields.version,
    lastStatus: fields.lastStatus,
    desiredStatus: fields.desiredStatus,
    // RunTask without a group gets `family:NAME`; the fallback covers tasks described without one.
    group: fields.group ?? `family:${family}`,
    taskDefinitionArn: fields.taskDefinitionArn,
    taskDefinition: `${family}:${revision}`,
    startedBy: fields.startedBy,
    launchType: fields.launchType,
    capacityProviderName: fields.capacityProviderName,
    availabilityZone: fields.availabilityZone,
    stopCode: fields.stopCode,
    stoppedReason: fields.stoppedReason,
    createdAt: fields.createdAt,
    startedAt: fields.startedAt,
    stoppedAt: fields.stoppedAt,
    containers: fields.containers.map((item) =>
      withoutUndefined({
        name: item.name,
        image: item.image,
        reason: item.reason,
        exitCode: item.exitCode ?? undefined,
        lastStatus: item.lastStatus,
      }),
    ),
  });
}

/**
 * Reads an incoming event: an ECS Task State Change, or the scheduled reconcile tick. Throws
 * BadEventError, naming the field at fault, for anything else or for a task event missing what the
 * function needs. Unknown fields are ignored.
 */
export function parseFailedStartEvent(event: unknown): FailedStartEvent {
  const outer = parseWith(envelope, event, '');
  if (outer.source === SCHEDULE_SOURCE && outer['detail-type'] === SCHEDULE_DETAIL_TYPE) {
    const time = outer.time === undefined ? undefined : Date.parse(outer.time);
    return { kind: 'reconcile', time: time === undefined || Number.isNaN(time) ? undefined : time };
  }
  if (outer.source !== TASK_STATE_SOURCE || outer['detail-type'] !== TASK_STATE_DETAIL_TYPE) {
    throw new BadEventError(TASK_STATE_DETAIL_TYPE, [
      {
        path: 'detail-type',
        message: `expected "${TASK_STATE_DETAIL_TYPE}" from ${TASK_STATE_SOURCE} or the schedule, got "${outer['detail-type']}" from ${outer.source}`,
      },
    ]);
  }
  return { kind: 'task', task: snapshotOf(parseWith(detail, outer.detail, 'detail')) };
}

/** DescribeTasks' Task: what the function needs, with `version` (informational here) allowed absent. */
const described = detail.extend({ version: detail.shape.version.optional() });

type DescribedTask = Parameters<typeof snapshotOfDescribed>[0];

function parseDescribed(task: DescribedTask) {
  return described.safeParse({
    ...task,
    createdAt: task.createdAt?.toISOString(),
    startedAt: task.startedAt?.toISOString(),
    stoppedAt: task.stoppedAt?.toISOString(),
    containers: (task.containers ?? []).filter((item) => item.name),
  });
}

/** Why a described task cannot be read (`path: message` each); empty when it can. */
export function describedTaskIssues(task: DescribedTask): string[] {
  const result = parseDescribed(task);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

/**
 * An SDK Task (DescribeTasks) in the same shape, for the reconcile pass. Undefined if it lacks what the
 * function needs (ids, status); {@link describedTaskIssues} says what.
 */
export function snapshotOfDescribed(task: {
  taskArn?: string | undefined;
  clusterArn?: string | undefined;
  taskDefinitionArn?: string | undefined;
  lastStatus?: string | undefined;
  desiredStatus?: string | undefined;
  version?: number | undefined;
  group?: string | undefined;
  startedBy?: string | undefined;
  launchType?: string | undefined;
  capacityProviderName?: string | undefined;
  availabilityZone?: string | undefined;
  stopCode?: string | undefined;
  stoppedReason?: string | undefined;
  createdAt?: Date | undefined;
  startedAt?: Date | undefined;
  stoppedAt?: Date | undefined;
  containers?:
    | {
        name?: string | undefined;
        image?: string | undefined;
        reason?: string | undefined;
        exitCode?: number | undefined;
        lastStatus?: string | undefined;
      }[]
    | undefined;
}): TaskSnapshot | undefined {
  const result = parseDescribed(task);
  return result.success ? snapshotOf(result.data) : undefined;
}
