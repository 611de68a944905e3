import type { DueTime } from './identity';

/** What the periodic pass knows about a job from the state table (the last definition it saw). */
export interface KnownJob {
  name: string;
  cluster: string;
  family: string;
  activeDeadlineSeconds?: number | undefined;
}

/** A task of a job that ECS still wants running. Times in epoch ms. */
export interface ActiveTask {
  taskArn: string;
  cluster: string;
  jobName: string;
  due: DueTime;
  createdAt?: number | undefined;
  startedAt?: number | undefined;
}

export interface DeadlineStop {
  taskArn: string;
  cluster: string;
  jobName: string;
  due: DueTime;
  ageSeconds: number;
  reason: string;
}

/**
 * Tasks to stop because their run has been active longer than activeDeadlineSeconds. A run's age counts
 * from its task's creation (so time stuck in PROVISIONING or pulling counts, as CronJob counts from the
 * job's start), falling back to startedAt, then the due time.
 */
export function deadlineStops(
  jobs: readonly KnownJob[],
  tasks: readonly ActiveTask[],
  now: number,
): DeadlineStop[] {
  const deadlines = new Map(jobs.map((job) => [job.name, job.activeDeadlineSeconds]));
  const stops: DeadlineStop[] = [];
  for (const task of tasks) {
    const limit = deadlines.get(task.jobName);
    if (limit === undefined) continue;
    const since = task.createdAt ?? task.startedAt ?? Date.parse(task.due);
    const ageSeconds = Math.floor((now - since) / 1000);
    if (ageSeconds < limit) continue;
    stops.push({
      taskArn: task.taskArn,
      cluster: task.cluster,
      jobName: task.jobName,
      due: task.due,
      ageSeconds,
      reason: `ecs-autopilot: job ${task.jobName} run due ${task.due} exceeded activeDeadlineSeconds (${limit} s): active for ${ageSeconds} s`,
    });
  }
  return stops;
}

/** The parts of a PENDING run record the decision reads. Times in epoch ms. */
export interface PendingRunView {
  due: DueTime;
  leaseUntil?: number | undefined;
  nextAttemptAt?: number | undefined;
}

export type PendingRunAction =
  | { action: 'resume' }
  | { action: 'busy'; until: number }
  | { action: 'wait'; until: number }
  | { action: 'missed' };

/**
 * What the periodic pass does with a run still trying to start: leave it to the invocation holding its
 * lease, report it missed once its starting deadline has passed, wait for its backoff, or resume it
 * (an invocation that ran out of time or crashed left it behind).
 */
export function pendingRunAction(run: PendingRunView, deadlineAt: number, now: number): PendingRunAction {
  if (run.leaseUntil !== undefined && run.leaseUntil > now) return { action: 'busy', until: run.leaseUntil };
  if (now > deadlineAt) return { action: 'missed' };
  if (run.nextAttemptAt !== undefined && run.nextAttemptAt > now)
    return { action: 'wait', until: run.nextAttemptAt };
  return { action: 'resume' };
}
