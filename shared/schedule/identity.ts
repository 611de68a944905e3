import { createHash } from 'node:crypto';

/**
 * How a run is named in ECS. `startedBy` carries job and due time (ListTasks can't combine a startedBy
 * filter with others, so runs are found by family and then recognised by this value); tags repeat both
 * for people browsing the console; the clientToken makes RunTask idempotent per job, due time and attempt.
 */

export const STARTED_BY_PREFIX = 'ecs-autopilot/';
export const JOB_TAG = 'ecs-autopilot:job';
export const DUE_TAG = 'ecs-autopilot:due';
/** Tag keys under this prefix belong to ecs-autopilot; jobs may not set them. */
export const RESERVED_TAG_PREFIX = 'ecs-autopilot:';

/** Due times are kept to the second, in UTC: `2024-06-01T02:00:00Z`. They sort as strings. */
export type DueTime = string;

/** Parses an ISO 8601 date-time into a normalised due time, or undefined when it isn't one. */
export function normalizeDue(text: string): DueTime | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text.trim()))
    return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  return dueFromMs(ms);
}

export function dueFromMs(ms: number): DueTime {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export const dueMs = (due: DueTime): number => Date.parse(due);

/** `2024-06-01T02:00:00Z` → `20240601T020000Z` (startedBy allows no `:`). */
const compactDue = (due: DueTime) => due.replace(/[-:]/g, '');

function expandDue(compact: string): DueTime | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(compact);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  return normalizeDue(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
}

/** `ecs-autopilot/<job>/<yyyymmddThhmmssZ>`: at most 14 + 64 + 1 + 16 = 95 of the 128 characters allowed. */
export function startedByFor(jobName: string, due: DueTime): string {
  return `${STARTED_BY_PREFIX}${jobName}/${compactDue(due)}`;
}

export interface RunIdentity {
  jobName: string;
  due: DueTime;
}

/** The job and due time a task was started for, when it was started by this function. */
export function parseStartedBy(startedBy: string | undefined): RunIdentity | undefined {
  if (!startedBy?.startsWith(STARTED_BY_PREFIX)) return undefined;
  const rest = startedBy.slice(STARTED_BY_PREFIX.length);
  const slash = rest.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const due = expandDue(rest.slice(slash + 1));
  const jobName = rest.slice(0, slash);
  return due && /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(jobName) ? { jobName, due } : undefined;
}

export interface TaskIdentityLike {
  startedBy?: string | undefined;
  tags?: readonly { key?: string | undefined; value?: string | undefined }[] | undefined;
}

/** startedBy first; the tags as a fallback (e.g. a task started by hand with the same tags). */
export function identifyTask(task: TaskIdentityLike): RunIdentity | undefined {
  const fromStartedBy = parseStartedBy(task.startedBy);
  if (fromStartedBy) return fromStartedBy;
  const jobName = task.tags?.find((tag) => tag.key === JOB_TAG)?.value;
  const dueText = task.tags?.find((tag) => tag.key === DUE_TAG)?.value;
  const due = dueText ? normalizeDue(dueText) : undefined;
  return jobName && due ? { jobName, due } : undefined;
}

export function runTags(jobName: string, due: DueTime): { key: string; value: string }[] {
  return [
    { key: JOB_TAG, value: jobName },
    { key: DUE_TAG, value: due },
  ];
}

/**
 * RunTask clientToken: 64 hex characters (within the 64 ASCII characters allowed), the same for every
 * invocation that handles this job, due time and attempt, so duplicates and retries of one attempt start
 * one set of tasks. A new attempt (after a placement failure) gets a new token: ECS would otherwise answer
 * with the first attempt's result. ECS scopes tokens to the cluster, so the cluster needs no place here.
 */
export function clientTokenFor(jobName: string, due: DueTime, attempt: number): string {
  return createHash('sha256').update(`ecs-autopilot\n${jobName}\n${due}\n${attempt}`).digest('hex');
}

/** Task id from a task ARN (`arn:aws:ecs:...:task/web/0123...` → `0123...`). */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}
