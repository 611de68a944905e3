import * as z from 'zod';
import { BadEventError, formatPath } from '../runtime/errors';
import { AWS_LIMITS, cut, ECS_PATTERNS, freeText, limited } from '../runtime/limits';
import { type DueTime, normalizeDue } from './identity';

/**
 * The events run-scheduled-task accepts. Envelopes come from AWS and are parsed leniently (AWS adds
 * fields without notice); the job inside is checked strictly later, so its problems can be alerted.
 *
 * 1. EventBridge Scheduler, target input (the function's documented input shape):
 *    `{ "job": {...}, "scheduledTime": "<aws.scheduler.scheduled-time>",
 *       "executionId": "<aws.scheduler.execution-id>", "attemptNumber": "<aws.scheduler.attempt-number>" }`
 *    (`executionId` and `attemptNumber` are optional and only logged).
 * 2. A scheduled EventBridge rule whose input transformer puts the job under `detail.job`:
 *    the Scheduled Event envelope (`source` aws.events, `detail-type` Scheduled Event, `time`) with
 *    `detail: { "job": {...} }`. The due time is the event's `time`.
 * 3. The every-minute reconcile tick: a Scheduled Event with no job in `detail`.
 * 4. ECS Task State Change for tasks this function started (RUNNING, STOPPED): outcomes.
 */

export const SCHEDULED_EVENT = { source: 'aws.events', detailType: 'Scheduled Event' } as const;
export const TASK_STATE_CHANGE = { source: 'aws.ecs', detailType: 'ECS Task State Change' } as const;

const dueTime = (field: string) =>
  z.string({ error: `${field} is required (an ISO 8601 date-time)` }).transform((value, ctx): DueTime => {
    // The refusal quotes the value: cut, so a huge one can't swell the answer and the log.
    const due = normalizeDue(value);
    if (due) return due;
    ctx.addIssue({
      code: 'custom',
      message: value.startsWith('<aws.')
        ? `${field} is the unreplaced placeholder ${cut(value, 64)}: the schedule's input must be set on an EventBridge Scheduler target`
        : `${field} must be an ISO 8601 date-time such as 2024-06-01T02:00:00Z, got ${JSON.stringify(cut(value, 64))}`,
    });
    return z.NEVER;
  });

const schedulerInput = z.looseObject({
  job: z.unknown().refine((job) => job !== undefined && job !== null, 'job is required'),
  scheduledTime: dueTime('scheduledTime'),
  // The execution id becomes the logs' correlation id.
  executionId: limited(AWS_LIMITS.eventId, 'executionId').optional(),
  attemptNumber: z.union([freeText(), z.number()]).optional(),
  scheduleArn: freeText().optional(),
});

const envelope = z.looseObject({
  id: limited(AWS_LIMITS.eventId, 'id').optional(),
  source: limited(AWS_LIMITS.eventSource, 'source'),
  'detail-type': limited(AWS_LIMITS.eventDetailType, 'detail-type'),
  time: z.string().optional(),
  resources: z.array(limited(AWS_LIMITS.eventResource, 'a resource')).optional(),
  detail: z.unknown(),
});

const scheduledDetail = z.looseObject({ job: z.unknown().optional() }).nullish();

// Timestamps and free text are stored and alerted: cut. Identifiers are held to ECS's limits.
const timestamp = z.union([freeText(), z.number()]).nullish();
const text = freeText().optional();
const ecsId = (pattern: RegExp, field: string, example: string) =>
  z
    .string({ error: `detail.${field} is required` })
    .regex(pattern, `expected ${example} (names up to ${AWS_LIMITS.ecsName} letters, digits, "-", "_")`);

/** ECS tag limits: keys 1-128 characters, values up to 256. */
const TAG_KEY_MAX = 128;
const TAG_VALUE_MAX = 256;

/** The fields of an ECS Task State Change detail this function reads; the rest is kept and ignored. */
export const TaskStateDetailSchema = z.looseObject({
  taskArn: ecsId(ECS_PATTERNS.taskArn, 'taskArn', 'a task ARN'),
  clusterArn: ecsId(ECS_PATTERNS.clusterArn, 'clusterArn', 'a cluster ARN'),
  lastStatus: z.string({ error: 'detail.lastStatus is required' }).transform((value) => cut(value)),
  desiredStatus: text,
  startedBy: limited(AWS_LIMITS.startedBy, 'startedBy').optional(),
  group: limited(AWS_LIMITS.taskGroup, 'group').optional(),
  taskDefinitionArn: z
    .string()
    .regex(ECS_PATTERNS.taskDefinitionArn, 'expected a task definition ARN ending in family:revision')
    .optional(),
  createdAt: timestamp,
  startedAt: timestamp,
  stoppingAt: timestamp,
  stoppedAt: timestamp,
  stopCode: text,
  stoppedReason: text,
  version: z.number().optional(),
  containers: z
    .array(
      z.looseObject({
        name: limited(AWS_LIMITS.ecsName, 'container name').optional(),
        // Read by the failed-start classifier (registry of the image): a string, cut.
        image: text,
        exitCode: z.number().nullish(),
        reason: text,
        lastStatus: text,
      }),
    )
    .optional(),
  // Only a fallback for recognising our tasks: entries that aren't key/value pairs within ECS's tag
  // limits are dropped, not refused.
  tags: z
    .array(z.unknown())
    .optional()
    .transform((tags) =>
      tags?.flatMap((tag) => {
        const { key, value } = (typeof tag === 'object' && tag !== null ? tag : {}) as Record<
          string,
          unknown
        >;
        return typeof key === 'string' &&
          typeof value === 'string' &&
          key.length <= TAG_KEY_MAX &&
          value.length <= TAG_VALUE_MAX
          ? [{ key, value }]
          : [];
      }),
    ),
});
export type TaskStateDetail = z.infer<typeof TaskStateDetailSchema>;

export type Invocation =
  | { kind: 'run'; job: unknown; due: DueTime; via: 'scheduler' | 'rule'; executionId?: string | undefined }
  | { kind: 'reconcile' }
  | { kind: 'task-state'; detail: TaskStateDetail; eventId?: string | undefined };

const SOURCE = 'run-scheduled-task event';

function parseOrThrow<T extends z.ZodType>(
  schema: T,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new BadEventError(
    SOURCE,
    result.error.issues.map((issue) => ({
      path: formatPath([...prefix, ...issue.path]),
      message: issue.message,
    })),
  );
}

/** Classifies and parses an incoming event; throws BadEventError for anything it can't act on. */
export function parseInvocation(event: unknown): Invocation {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new BadEventError(SOURCE, [{ path: '', message: 'expected a JSON object' }]);
  }
  if ('source' in event || 'detail-type' in event) {
    const parsed = parseOrThrow(envelope, event);
    if (parsed.source === SCHEDULED_EVENT.source && parsed['detail-type'] === SCHEDULED_EVENT.detailType) {
      const detail = parseOrThrow(scheduledDetail, parsed.detail, ['detail']);
      if (detail?.job === undefined) return { kind: 'reconcile' };
      const due = parseOrThrow(dueTime('time'), parsed.time, ['time']);
      return { kind: 'run', job: detail.job, due, via: 'rule', executionId: parsed.id };
    }
    if (
      parsed.source === TASK_STATE_CHANGE.source &&
      parsed['detail-type'] === TASK_STATE_CHANGE.detailType
    ) {
      return {
        kind: 'task-state',
        detail: parseOrThrow(TaskStateDetailSchema, parsed.detail, ['detail']),
        eventId: parsed.id,
      };
    }
    throw new BadEventError(SOURCE, [
      {
        path: 'detail-type',
        message: `unexpected event ${parsed.source} / ${parsed['detail-type']}; expected a Scheduled Event or an ECS Task State Change`,
      },
    ]);
  }
  if ('job' in event || 'scheduledTime' in event) {
    const parsed = parseOrThrow(schedulerInput, event);
    return {
      kind: 'run',
      job: parsed.job,
      due: parsed.scheduledTime,
      via: 'scheduler',
      executionId: parsed.executionId,
    };
  }
  throw new BadEventError(SOURCE, [
    {
      path: '',
      message:
        'not a run-scheduled-task event: expected a Scheduler input { job, scheduledTime }, a Scheduled Event, or an ECS Task State Change',
    },
  ]);
}
