import { clientTokenFor, type DueTime, dueMs, runTags, startedByFor } from './identity';
import type { Job } from './job';

/** A RunTask request; the SDK's RunTaskCommandInput accepts it as is. */
export interface RunTaskRequest {
  cluster: string;
  taskDefinition: string;
  count: number;
  clientToken: string;
  startedBy: string;
  tags: { key: string; value: string }[];
  launchType?: Job['launchType'];
  capacityProviderStrategy?: Job['capacityProviderStrategy'];
  platformVersion?: string;
  networkConfiguration?: Job['networkConfiguration'];
  overrides?: Job['overrides'];
  propagateTags?: 'TASK_DEFINITION' | 'NONE';
  enableExecuteCommand?: boolean;
  enableECSManagedTags?: boolean;
  placementConstraints?: Job['placementConstraints'];
  placementStrategy?: Job['placementStrategy'];
}

/**
 * The request for one attempt of a run. Deterministic: the same job, due time, attempt and count give
 * the same request, which is what lets RunTask's clientToken dedupe concurrent invocations.
 */
export function buildRunTaskRequest(
  job: Job,
  cluster: string,
  due: DueTime,
  attempt: number,
  count = job.count,
): RunTaskRequest {
  const request: RunTaskRequest = {
    cluster,
    taskDefinition: job.taskDefinition,
    count,
    clientToken: clientTokenFor(job.name, due, attempt),
    startedBy: startedByFor(job.name, due),
    tags: [...(job.tags ?? []), ...runTags(job.name, due)],
  };
  if (job.launchType) request.launchType = job.launchType;
  if (job.capacityProviderStrategy) request.capacityProviderStrategy = job.capacityProviderStrategy;
  if (job.platformVersion) request.platformVersion = job.platformVersion;
  if (job.networkConfiguration) request.networkConfiguration = job.networkConfiguration;
  if (job.overrides) request.overrides = job.overrides;
  if (job.propagateTags && job.propagateTags !== 'SERVICE') request.propagateTags = job.propagateTags;
  if (job.enableExecuteCommand !== undefined) request.enableExecuteCommand = job.enableExecuteCommand;
  if (job.enableECSManagedTags !== undefined) request.enableECSManagedTags = job.enableECSManagedTags;
  if (job.placementConstraints) request.placementConstraints = job.placementConstraints;
  if (job.placementStrategy) request.placementStrategy = job.placementStrategy;
  return request;
}

/** A run of the job that is still going: tasks ECS has with desired status RUNNING, or a run still trying to start. */
export interface ActiveRun {
  due: DueTime;
  taskArns: string[];
  /** Still trying to start (recorded PENDING in the state table): no task yet, or only some of them. */
  pending: boolean;
}

export type RunDecision =
  | { action: 'already-started'; reason: string; taskArns: string[] }
  | { action: 'skip'; cause: 'suspended' | 'forbid'; reason: string; activeRuns: ActiveRun[] }
  /** A newer due time of the job has come (a backlog): only the most recent runs; `missed` when past its deadline. */
  | {
      action: 'skip';
      cause: 'superseded';
      reason: string;
      newerDue: DueTime;
      missed: boolean;
      activeRuns: [];
    }
  | { action: 'missed'; reason: string }
  | { action: 'run'; reason: string; replace: ActiveRun[] };

export interface RunDecisionInput {
  job: Job;
  due: DueTime;
  now: number;
  /** The job's starting deadline with the configured default applied. */
  startingDeadlineSeconds: number;
  /** Runs of this job that are active, this due time's included. */
  activeRuns: readonly ActiveRun[];
  /** A newer due time of the job that has already come (known from the state table or the schedule). */
  newerDue?: DueTime | undefined;
  /** Suspended by an operator (`jobs suspend`, the `suspended` flag on the job's registry item). */
  suspended?: boolean | undefined;
}

/** Epoch ms after which a run due at `due` may no longer start. */
export const startingDeadlineAt = (due: DueTime, startingDeadlineSeconds: number) =>
  dueMs(due) + startingDeadlineSeconds * 1000;

const describeRuns = (runs: readonly ActiveRun[]) =>
  runs
    .map((run) => {
      const tasks = `${run.taskArns.length} task${run.taskArns.length === 1 ? '' : 's'}`;
      if (!run.pending) return `due ${run.due} (${tasks})`;
      return run.taskArns.length > 0
        ? `due ${run.due} (${tasks}, still starting)`
        : `due ${run.due} (still starting)`;
    })
    .join(', ');

/**
 * What to do with a due run, CronJob style. Order matters: a run already started for this due time is
 * never started again (duplicates, retries); a suspended job starts nothing; a run past its starting
 * deadline is missed whatever the policy; then the concurrency policy decides.
 */
export function decideRun({
  job,
  due,
  now,
  startingDeadlineSeconds,
  activeRuns,
  newerDue,
  suspended,
}: RunDecisionInput): RunDecision {
  const same = activeRuns.filter((run) => run.due === due && run.taskArns.length > 0);
  if (same.length > 0) {
    return {
      action: 'already-started',
      reason: `the run due ${due} already has tasks in ECS`,
      taskArns: same.flatMap((run) => run.taskArns),
    };
  }
  if (job.suspend || suspended) {
    return {
      action: 'skip',
      cause: 'suspended',
      reason: job.suspend
        ? 'the job is suspended (suspend: true)'
        : `the job is suspended (npm run jobs -- resume ${job.name} to resume)`,
      activeRuns: [],
    };
  }
  const deadline = startingDeadlineAt(due, startingDeadlineSeconds);
  // A backlog (deliveries held back, then a burst): as CronJob, only the most recent due time runs. Forbid
  // needs no such rule (a newer due time waits for the older run), so it keeps its order.
  if (newerDue !== undefined && newerDue > due && job.concurrencyPolicy !== 'Forbid') {
    return {
      action: 'skip',
      cause: 'superseded',
      reason: `a newer due time (${newerDue}) has come: with a backlog only the most recent due time runs`,
      newerDue,
      missed: now > deadline,
      activeRuns: [],
    };
  }
  if (now > deadline) {
    const late = Math.round((now - dueMs(due)) / 1000);
    return {
      action: 'missed',
      reason: `started ${late} s after its due time, past startingDeadlineSeconds (${startingDeadlineSeconds} s)`,
    };
  }
  const others = activeRuns.filter((run) => run.due !== due);
  if (others.length === 0) return { action: 'run', reason: 'no other run of the job is active', replace: [] };
  switch (job.concurrencyPolicy) {
    case 'Allow':
      return {
        action: 'run',
        reason: `concurrencyPolicy Allow: runs alongside ${describeRuns(others)}`,
        replace: [],
      };
    case 'Replace':
      return {
        action: 'run',
        reason: `concurrencyPolicy Replace: replaces ${describeRuns(others)}`,
        replace: others,
      };
    case 'Forbid':
      return {
        action: 'skip',
        cause: 'forbid',
        reason: `concurrencyPolicy Forbid: the run ${describeRuns(others)} is still active`,
        activeRuns: others,
      };
  }
}

const replacedPrefix = (jobName: string, oldDue: DueTime) =>
  `ecs-autopilot: run of job ${jobName} due ${oldDue} replaced by the run due `;

/** StopTask reason for a run stopped by a newer one (ECS keeps up to 255 characters). */
export const replacedReason = (jobName: string, oldDue: DueTime, newDue: DueTime) =>
  `${replacedPrefix(jobName, oldDue)}${newDue} (concurrencyPolicy Replace)`;

/**
 * Whether a stopped task of the run due `due` was stopped by a newer run replacing it: ECS reports the
 * StopTask reason as the task's stoppedReason. A task that ended on its own (or was stopped for any other
 * reason) before the replacement's stop took effect is not.
 */
export const stoppedByReplace = (
  task: { stopCode?: string | undefined; stoppedReason?: string | undefined },
  jobName: string,
  due: DueTime,
) => task.stopCode === 'UserInitiated' && (task.stoppedReason ?? '').startsWith(replacedPrefix(jobName, due));
