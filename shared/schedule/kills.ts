import { classify } from '../failed-start/classify';
import type { Category } from '../failed-start/taxonomy';
import type { Job } from './job';
import type { TaskOutcome } from './outcome';

/**
 * The start of the reason drain-instance gives the standalone tasks it stops (stop-after, or at once on a
 * Spot warning): `stopReason` in shared/drain/plan.ts.
 */
export const DRAIN_STOP_REASON = /^Stopped by ecs-autopilot: draining EC2 instance /;

/**
 * Categories of a start failure that another attempt may well get past: no capacity now, or an error
 * inside ECS, the agent or Docker. A task definition, image or permission problem fails again.
 */
const TRANSIENT_START_CATEGORIES: ReadonlySet<Category> = new Set([
  'capacity',
  'platform-internal',
  'host-or-spot',
]);

/**
 * Why the infrastructure, not the job, ended a task, in a word for the run's history; undefined when the
 * task ended by itself, was stopped by a person or a deadline, or failed to start for a lasting reason.
 * Spot and Fargate reclaims (stop codes `SpotInterruption`, `TerminationNotice`), a drain's stop, a host
 * that went away, and a start that failed for a transient reason (failed-start taxonomy's categories).
 */
export function infrastructureKill(task: TaskOutcome): string | undefined {
  if (task.succeeded || task.reason === 'DeadlineExceeded') return undefined;
  if (task.stopCode === 'SpotInterruption' || task.stopCode === 'TerminationNotice') return task.stopCode;
  if (DRAIN_STOP_REASON.test(task.stoppedReason ?? '')) return 'drain';
  if (task.stopCode === 'UserInitiated' || task.stopCode === 'EssentialContainerExited') return undefined;
  const { category } = classify({
    stoppedReason: task.stoppedReason,
    stopCode: task.stopCode,
    containers: task.containers,
  });
  if (category === 'host-or-spot') return 'host-gone';
  if (task.neverRan && TRANSIENT_START_CATEGORIES.has(category)) return `TaskFailedToStart (${category})`;
  return undefined;
}

export type KillRetry =
  | { retry: true; kills: string[]; restartBy: number; retriesSoFar: number }
  | { retry: false; why: string };

/**
 * Whether a run whose failed tasks were all killed by the infrastructure starts them again: opt-in
 * (`retry.infrastructureKills`, like a Kubernetes Job's backoffLimit with a pod failure policy that
 * ignores disruptions), at most that many times per run, and only while it can still start in time:
 * within the starting deadline counted from the kill, and before the run's active deadline (from its start).
 * The retry keeps the run (same due time, startedBy, record); only its RunTask clientToken is new.
 */
export function decideKillRetry(input: {
  job: Pick<Job, 'retry' | 'activeDeadlineSeconds'>;
  failed: readonly TaskOutcome[];
  retriesSoFar: number;
  runStartedAt: number | undefined;
  startingDeadlineSeconds: number;
  now: number;
}): KillRetry {
  const limit = input.job.retry?.infrastructureKills ?? 0;
  if (limit === 0 || input.failed.length === 0) return { retry: false, why: 'not opted in' };
  const kills = input.failed.map(infrastructureKill);
  if (kills.some((kill) => kill === undefined))
    return { retry: false, why: 'a task failed for a reason of its own' };
  if (input.retriesSoFar >= limit)
    return {
      retry: false,
      why: `retried ${input.retriesSoFar} time(s) already (retry.infrastructureKills ${limit})`,
    };
  const activeEnd =
    input.job.activeDeadlineSeconds !== undefined && input.runStartedAt !== undefined
      ? input.runStartedAt + input.job.activeDeadlineSeconds * 1000
      : Number.POSITIVE_INFINITY;
  if (input.now >= activeEnd) return { retry: false, why: "past the run's activeDeadlineSeconds" };
  return {
    retry: true,
    kills: [...new Set(kills as string[])],
    restartBy: Math.min(input.now + input.startingDeadlineSeconds * 1000, activeEnd),
    retriesSoFar: input.retriesSoFar,
  };
}
