import { nextDueAfter, type Schedule } from './expression';
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
 * from its start, the creation of its first task (so time stuck in PROVISIONING or pulling counts, as CronJob counts from the
 * job's start), falling back to startedAt, then the due time.
 */
export function deadlineStops(
  jobs: readonly KnownJob[],
  tasks: readonly ActiveTask[],
  now: number,
): DeadlineStop[] {
  const deadlines = new Map(jobs.map((job) => [job.name, job.activeDeadlineSeconds]));
  // A run's age counts from its start: its first task's creation, whatever task is looked at.
  const runStart = new Map<string, number>();
  const startOf = (task: ActiveTask) => task.createdAt ?? task.startedAt ?? Date.parse(task.due);
  for (const task of tasks) {
    const key = `${task.jobName}/${task.due}`;
    runStart.set(key, Math.min(runStart.get(key) ?? Number.POSITIVE_INFINITY, startOf(task)));
  }
  const stops: DeadlineStop[] = [];
  for (const task of tasks) {
    const limit = deadlines.get(task.jobName);
    if (limit === undefined) continue;
    const since = runStart.get(`${task.jobName}/${task.due}`) ?? startOf(task);
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

/** A job as the long-run check sees it: the age past which a run alerts (undefined: not checked). */
export interface LongRunLimit {
  name: string;
  longRunAlertSeconds?: number | undefined;
}

export interface LongRun {
  jobName: string;
  cluster: string;
  due: DueTime;
  ageSeconds: number;
  limitSeconds: number;
  taskArns: string[];
}

/**
 * Runs active longer than their job's limit, one entry per run. A run's age counts from its start: the
 * earliest creation of its tasks (falling back to their start, then the due time).
 */
export function longRuns(
  jobs: readonly LongRunLimit[],
  tasks: readonly ActiveTask[],
  now: number,
): LongRun[] {
  const limits = new Map(jobs.map((job) => [job.name, job.longRunAlertSeconds]));
  const runs = new Map<string, Omit<LongRun, 'ageSeconds'> & { since: number }>();
  for (const task of tasks) {
    const limitSeconds = limits.get(task.jobName);
    if (limitSeconds === undefined) continue;
    const key = `${task.jobName}/${task.due}`;
    const since = task.createdAt ?? task.startedAt ?? Date.parse(task.due);
    const run = runs.get(key) ?? {
      cluster: task.cluster,
      jobName: task.jobName,
      due: task.due,
      since,
      limitSeconds,
      taskArns: [],
    };
    run.since = Math.min(run.since, since);
    run.taskArns.push(task.taskArn);
    runs.set(key, run);
  }
  const long: LongRun[] = [];
  for (const { since, ...run } of runs.values()) {
    const ageSeconds = Math.floor((now - since) / 1000);
    if (ageSeconds >= run.limitSeconds) long.push({ ...run, ageSeconds });
  }
  return long;
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

/** A registered job as the silence check sees it. Times in epoch ms. */
export interface ScheduleHeartbeat {
  name: string;
  expectEverySeconds?: number | undefined;
  /** The job's own schedule: the next due time is computed from it (daylight saving included). */
  schedule?: Schedule | undefined;
  flexibleTimeWindowMinutes?: number | undefined;
  startingDeadlineSeconds: number;
  /** When a due time of the job last arrived (any decision: run, skip, missed). */
  lastSeenAt?: number | undefined;
  /** That due time, for the alert. */
  lastDue?: DueTime | undefined;
}

export interface SilentSchedule {
  jobName: string;
  lastSeenAt: number;
  lastDue?: DueTime | undefined;
  silentSeconds: number;
  expectEverySeconds: number;
  /**
   * The silence allowed: the expected gap, plus the starting deadline (a due time may arrive that late),
   * plus an hour for a daylight-saving change (Scheduler's cron follows the schedule's time zone).
   */
  allowedSeconds: number;
  /** With a schedule: the due time that did not arrive (ISO). */
  expectedDue?: string | undefined;
}

/** Scheduler invokes within a minute of the due time; a delivery may take a few retries more. */
export const DELIVERY_GRACE_SECONDS = 300;

/** A cron schedule in a time zone with daylight saving has one gap an hour longer each autumn. */
export const DST_SHIFT_SECONDS = 3600;

/**
 * Jobs whose schedule has gone quiet: no due time has arrived for longer than the gap the job declares
 * (`expectEverySeconds`) plus its starting deadline and an hour for daylight saving. A disabled or deleted schedule, or deliveries that
 * keep failing, start nothing and so are otherwise never noticed. Jobs without the setting aren't checked.
 */
export function silentSchedules(jobs: readonly ScheduleHeartbeat[], now: number): SilentSchedule[] {
  const silent: SilentSchedule[] = [];
  for (const job of jobs) {
    if (job.lastSeenAt === undefined) continue;
    if (job.schedule) {
      const found = silentBySchedule(job, job.schedule, job.lastSeenAt, now);
      if (found) silent.push(found);
      continue;
    }
    if (job.expectEverySeconds === undefined) continue;
    const allowedSeconds = job.expectEverySeconds + job.startingDeadlineSeconds + DST_SHIFT_SECONDS;
    const silentSeconds = Math.floor((now - job.lastSeenAt) / 1000);
    if (silentSeconds <= allowedSeconds) continue;
    silent.push({
      jobName: job.name,
      lastSeenAt: job.lastSeenAt,
      lastDue: job.lastDue,
      silentSeconds,
      expectEverySeconds: job.expectEverySeconds,
      allowedSeconds,
    });
  }
  return silent;
}

/**
 * Silence measured against the schedule itself: the due time after the last one that arrived, plus its
 * starting deadline, flexible window and a delivery grace. A daylight-saving gap (a cron time that does
 * not exist is skipped) is then no silence, and a one-time schedule that has fired is never silent.
 */
function silentBySchedule(
  job: ScheduleHeartbeat,
  schedule: Schedule,
  lastSeenAt: number,
  now: number,
): SilentSchedule | undefined {
  const anchor = job.lastDue ? Date.parse(job.lastDue) : lastSeenAt;
  const next = nextDueAfter(schedule, anchor);
  if (next === undefined) return undefined;
  const allowedUntil =
    next +
    (job.startingDeadlineSeconds + (job.flexibleTimeWindowMinutes ?? 0) * 60 + DELIVERY_GRACE_SECONDS) * 1000;
  if (now <= allowedUntil) return undefined;
  return {
    jobName: job.name,
    lastSeenAt,
    lastDue: job.lastDue,
    silentSeconds: Math.floor((now - lastSeenAt) / 1000),
    expectEverySeconds: Math.round((next - anchor) / 1000),
    allowedSeconds: Math.floor((allowedUntil - lastSeenAt) / 1000),
    expectedDue: new Date(next).toISOString(),
  };
}
