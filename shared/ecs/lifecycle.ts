/**
 * Task lifecycle rules. Inputs are structural: an SDK Task (Dates) and an ECS Task State Change event
 * detail (ISO strings) both pass straight in.
 */

/** Task states in the order a task moves through them. */
export const TASK_STATES = [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
  'DELETED',
] as const;

export type TaskState = (typeof TASK_STATES)[number];

export type Timestamp = Date | string | number;

export interface TaskLike {
  lastStatus?: string | undefined;
  desiredStatus?: string | undefined;
  startedAt?: Timestamp | null | undefined;
  stoppedAt?: Timestamp | null | undefined;
  stopCode?: string | undefined;
  stoppedReason?: string | undefined;
  group?: string | undefined;
  startedBy?: string | undefined;
}

export const TASK_FAILED_TO_START = 'TaskFailedToStart';

/**
 * Stop codes of a task stopped because its host went away, not because of the task: a Spot reclaim
 * (`SpotInterruption`), a termination notice for the instance (`TerminationNotice`), or ECS replacing
 * it after its infrastructure failed a health check (`InfrastructureHealth`). Values of the API's
 * `TaskStopCode` ("Stopped tasks error codes", Amazon ECS Developer Guide).
 */
export const HOST_INTERRUPTION_STOP_CODES = [
  'SpotInterruption',
  'TerminationNotice',
  'InfrastructureHealth',
] as const;

/** The task was stopped because its host went away (see {@link HOST_INTERRUPTION_STOP_CODES}). */
export function isHostInterruption(task: Pick<TaskLike, 'stopCode'>): boolean {
  return (HOST_INTERRUPTION_STOP_CODES as readonly (string | undefined)[]).includes(task.stopCode);
}

/** Position of a state in TASK_STATES; undefined for states ECS may add later. */
export function stateIndex(status: string | undefined): number | undefined {
  const index = TASK_STATES.indexOf(status as TaskState);
  return index === -1 ? undefined : index;
}

/** Whether `status` is `reference` or a later state. Unknown states compare false. */
export function isAtOrAfter(status: string | undefined, reference: TaskState): boolean {
  const index = stateIndex(status);
  return index !== undefined && index >= TASK_STATES.indexOf(reference);
}

const hasTime = (value: Timestamp | null | undefined): boolean =>
  value !== undefined && value !== null && value !== '' && !Number.isNaN(new Date(value).getTime());

/**
 * A task stopped without ever running: STOPPED (or DELETED) with no startedAt, or stopped with
 * stopCode TaskFailedToStart.
 */
export function neverRan(task: TaskLike): boolean {
  if (task.stopCode === TASK_FAILED_TO_START) return true;
  return isTerminal(task) && !hasTime(task.startedAt);
}

/**
 * The task reached RUNNING at some point. startedAt is the evidence; without it only a current
 * RUNNING status counts, since a task can pass through STOPPING and STOPPED without ever running.
 */
export function hasReachedRunning(task: TaskLike): boolean {
  if (neverRan(task)) return false;
  return hasTime(task.startedAt) || task.lastStatus === 'RUNNING';
}

/** STOPPED or DELETED: nothing more will happen to the task. Accepts a task or its lastStatus. */
export function isTerminal(taskOrStatus: TaskLike | string | undefined): boolean {
  const status = typeof taskOrStatus === 'string' ? taskOrStatus : taskOrStatus?.lastStatus;
  return status === 'STOPPED' || status === 'DELETED';
}

/** Told to stop (desiredStatus STOPPED) or already past RUNNING, but not yet terminal. */
export function isStopping(task: TaskLike): boolean {
  if (isTerminal(task)) return false;
  return task.desiredStatus === 'STOPPED' || isAtOrAfter(task.lastStatus, 'DEACTIVATING');
}

export type TaskGroup =
  | { kind: 'service'; name: string }
  | { kind: 'family'; name: string }
  /** A group set by RunTask's `group` parameter, e.g. "database". */
  | { kind: 'custom'; name: string };

/** The task's group: `service:NAME`, `family:NAME`, or a custom group; undefined when absent. */
export function groupOf(task: Pick<TaskLike, 'group'>): TaskGroup | undefined {
  const group = task.group?.trim();
  if (!group) return undefined;
  for (const kind of ['service', 'family'] as const) {
    const prefix = `${kind}:`;
    if (group.startsWith(prefix) && group.length > prefix.length)
      return { kind, name: group.slice(prefix.length) };
  }
  return { kind: 'custom', name: group };
}

/** Started by a service scheduler: group `service:...` or startedBy `ecs-svc/...`. */
export function isServiceTask(task: Pick<TaskLike, 'group' | 'startedBy'>): boolean {
  return groupOf(task)?.kind === 'service' || (task.startedBy?.startsWith('ecs-svc/') ?? false);
}
