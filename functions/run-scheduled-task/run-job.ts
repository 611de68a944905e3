import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { describeClusters, describeTaskDefinition, runTask, stopTask } from '../../shared/aws/ecs';
import {
  AwsOperationError,
  conflictResourceIds,
  errorMessage,
  isNoContainerInstancesError,
  kindOf,
} from '../../shared/aws/errors';
import { putEvent } from '../../shared/aws/eventbridge';
import { requestAnnouncement } from '../../shared/capacity/events';
import { taskRequirements } from '../../shared/ecs/requirements';
import {
  clusterGoneAlert,
  invalidJobAlert,
  missedRunAlert,
  skipStreakAlert,
} from '../../shared/schedule/alerts';
import {
  type ActiveRun,
  buildRunTaskRequest,
  decideRun,
  type RunDecision,
  type RunTaskRequest,
  replacedReason,
  startingDeadlineAt,
} from '../../shared/schedule/decide';
import { nextDueAfter, scheduleOf } from '../../shared/schedule/expression';
import { type DueTime, dueFromMs, dueMs } from '../../shared/schedule/identity';
import { clusterName, familyOf, type Job } from '../../shared/schedule/job';
import { pendingRunAction } from '../../shared/schedule/reconcile';
import {
  backoffMs,
  capacityRequest,
  needsCapacity,
  nextStep,
  type RetrySettings,
  retrySettings,
  SERVICE_ERROR,
  summarizeReasons,
  THROTTLED,
} from '../../shared/schedule/retry';
import { type JobProblem, parseJob, validateJob } from '../../shared/schedule/validate';
import type { ReplacedRun, RunRecord } from '../../shared/state/jobs/store';
import { alertKey } from '../../shared/state/keys';
import { alertOnce } from './alerts';
import {
  CLUSTER_GONE_ALERT_MARKER_SECONDS,
  emit,
  METRIC,
  RUN_ALERT_MARKER_SECONDS,
  type ScheduleContext,
} from './context';
import { type JobTaskView, jobTasksOfFamily } from './ecs-view';
import { finalizeIfDone } from './outcomes';

/** Time one RunTask attempt and its bookkeeping may take, so an attempt is not started without it. */
const ATTEMPT_MS = 15_000;

export type RunSummary =
  | { status: 'invalid-job'; job: string; problems: JobProblem[]; alert: 'sent' | 'already-sent' | 'planned' }
  | { status: 'started'; job: string; due: DueTime; taskArns: string[]; attempts: number }
  | { status: 'already-started'; job: string; due: DueTime; taskArns: string[] }
  | { status: 'already-decided'; job: string; due: DueTime; runStatus: string; reason?: string | undefined }
  | { status: 'in-progress'; job: string; due: DueTime; leaseUntil?: number | undefined }
  | { status: 'skipped'; job: string; due: DueTime; reason: string }
  | { status: 'waiting'; job: string; due: DueTime; until: string; reason: string }
  | { status: 'missed'; job: string; due: DueTime; reason: string }
  | { status: 'retrying'; job: string; due: DueTime; nextAttemptAt: string; reasons: string[] }
  | { status: 'superseded'; job: string; due: DueTime }
  | { status: 'planned'; job: string; due: DueTime; dryRun: true; plan: RunPlan };

/** What a dry run prints: the decision, and the RunTask request or stops it would make. */
export interface RunPlan {
  decision: RunDecision;
  runTask?: RunTaskRequest;
  stopTasks?: { taskArn: string; reason: string }[];
  supersede?: DueTime[];
}

const startingDeadlineSeconds = (job: Job, ctx: ScheduleContext) =>
  job.startingDeadlineSeconds ?? ctx.config.DEFAULT_STARTING_DEADLINE_SECONDS;

const settingsFor = (job: Job, ctx: ScheduleContext): RetrySettings =>
  retrySettings(job, {
    maxAttempts: ctx.config.RETRY_MAX_ATTEMPTS,
    initialDelaySeconds: ctx.config.RETRY_INITIAL_DELAY_SECONDS,
    maxDelaySeconds: ctx.config.RETRY_MAX_DELAY_SECONDS,
  });

/** What AWS said, without our operation prefix (the alert adds its own context). */
const awsMessage = (error: unknown) => errorMessage(error instanceof AwsOperationError ? error.cause : error);

/** A name to file an invalid job under, even when the job's own name is unusable. */
function nameForAlerts(raw: unknown): string {
  const name = (raw as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) return name;
  return 'unnamed-job';
}

/** Stable key for "this job has these problems", so the same problems alert once. */
function problemKey(problems: readonly JobProblem[]): string {
  const text = problems
    .map((problem) => `${problem.path}: ${problem.message}`)
    .sort()
    .join('\n');
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

export async function reportInvalidJob(
  jobName: string,
  problems: JobProblem[],
  due: DueTime | undefined,
  ctx: ScheduleContext,
): Promise<RunSummary> {
  ctx.logger.error('Invalid job: nothing run', { job: jobName, due, problems });
  if (ctx.config.DRY_RUN) return { status: 'invalid-job', job: jobName, problems, alert: 'planned' };
  emit(ctx, METRIC.invalidJobs, jobName);
  if (due) await ctx.store.touchJob(jobName, due, ctx.now());
  const alert = await alertOnce(
    ctx.store,
    ctx.config.ALERT_TOPIC_ARN,
    alertKey(jobName, 'invalid', problemKey(problems)),
    invalidJobAlert(jobName, problems, due),
    ctx.now(),
    ctx.config.INVALID_JOB_REALERT_SECONDS,
  );
  return { status: 'invalid-job', job: jobName, problems, alert };
}

/**
 * The cluster of a job that ran there no longer exists (deleted, often with the job retired on purpose):
 * said once per job and cluster, by a run left starting there or by the periodic pass, whichever first.
 */
export async function reportClusterGone(
  jobName: string,
  cluster: string,
  error: unknown,
  ctx: ScheduleContext,
): Promise<'sent' | 'already-sent' | 'planned'> {
  const name = clusterName(cluster);
  ctx.logger.warn('The cluster of a job no longer exists', { job: jobName, cluster: name });
  if (ctx.config.DRY_RUN) return 'planned';
  const sent = await alertOnce(
    ctx.store,
    ctx.config.ALERT_TOPIC_ARN,
    alertKey(jobName, 'invalid', `cluster-gone#${name}`),
    clusterGoneAlert(jobName, name, awsMessage(error)),
    ctx.now(),
    CLUSTER_GONE_ALERT_MARKER_SECONDS,
  );
  if (sent === 'sent') emit(ctx, METRIC.invalidJobs, jobName);
  return sent;
}

/** Validation with the task definition: a job ECS would refuse is reported before anything runs. */
async function validated(
  rawJob: unknown,
  due: DueTime | undefined,
  ctx: ScheduleContext,
): Promise<{ job: Job; cluster: string; taskDefinition: TaskDefinition } | RunSummary> {
  const parsed = parseJob(rawJob);
  if (!parsed.ok) return reportInvalidJob(nameForAlerts(rawJob), parsed.problems, due, ctx);
  const job = parsed.job;
  const cluster = job.cluster ?? ctx.config.DEFAULT_CLUSTER;
  if (!cluster) {
    return reportInvalidJob(
      job.name,
      [{ path: 'cluster', message: 'no cluster: set cluster in the job or DEFAULT_CLUSTER on the function' }],
      due,
      ctx,
    );
  }
  let taskDefinition: TaskDefinition;
  try {
    taskDefinition = await describeTaskDefinition(job.taskDefinition);
  } catch (error) {
    const kind = kindOf(error);
    if (kind !== 'invalid' && kind !== 'not-found') throw error;
    return reportInvalidJob(
      job.name,
      [
        {
          path: 'taskDefinition',
          message: `ECS can't describe task definition ${job.taskDefinition}: ${awsMessage(error)}`,
        },
      ],
      due,
      ctx,
    );
  }
  const problems = validateJob(job, taskDefinition, {
    startingDeadlineSeconds: ctx.config.DEFAULT_STARTING_DEADLINE_SECONDS,
  });
  if (problems.length > 0) return reportInvalidJob(job.name, problems, due, ctx);
  return { job, cluster, taskDefinition };
}

/** The problem to report when ECS answers that the job's cluster does not exist. */
const unknownCluster = (cluster: string, error: unknown): JobProblem => ({
  path: 'cluster',
  message: `ECS does not know cluster ${cluster} (${awsMessage(error)}): check its name, or that it still exists`,
});

/** Runs of the job that are active: tasks in ECS (desired RUNNING) and runs of other due times still starting. */
async function observeActiveRuns(
  job: Job,
  cluster: string,
  open: readonly RunRecord[],
  ctx: ScheduleContext,
): Promise<ActiveRun[]> {
  const tasks = await jobTasksOfFamily(cluster, familyOf(job.taskDefinition));
  const byDue = new Map<DueTime, ActiveRun>();
  for (const task of tasks.filter((candidate) => candidate.jobName === job.name)) {
    const run = byDue.get(task.due) ?? { due: task.due, taskArns: [], pending: false };
    run.taskArns.push(task.taskArn);
    byDue.set(task.due, run);
  }
  const now = ctx.now();
  for (const run of open) {
    // A run waiting for an earlier one (Forbid) has started nothing and holds no one back.
    if (run.status !== 'PENDING' || run.waiting) continue;
    const placed = byDue.get(run.due);
    // Part of it runs and it is still placing the rest: Replace must also end its start.
    if (placed) placed.pending = true;
    else if (now <= startingDeadlineAt(run.due, startingDeadlineSeconds(job, ctx)))
      byDue.set(run.due, { due: run.due, taskArns: [], pending: true });
  }
  return [...byDue.values()];
}

/** The attempt to (re)issue: the last one again when its result was never recorded (a crash). */
function resumeAttempt(run: RunRecord): number {
  const issued = run.attempt ?? 0;
  const failed = run.lastFailure?.attempt ?? 0;
  return issued > failed ? issued : issued + 1;
}

/** A due run of a job, from the Scheduler or a scheduled rule. */
export async function handleRun(
  input: { job: unknown; due: DueTime; via: string },
  ctx: ScheduleContext,
): Promise<RunSummary> {
  const checked = await validated(input.job, input.due, ctx);
  if ('status' in checked) return checked;
  const { job, cluster, taskDefinition } = checked;
  const due = input.due;
  ctx.logger.appendKeys({ job: job.name, due });
  const state = { job, cluster, due, taskDefinition };
  // Dry run writes nothing, the lease included.
  const outcome = ctx.config.DRY_RUN
    ? await decideAndClaim(state, ctx)
    : await withJobLease(job.name, ctx, () => decideAndClaim(state, ctx));
  if ('status' in outcome) return outcome;
  if ('resume' in outcome) return continuePending({ ...state, run: outcome.resume }, ctx);
  let summary: RunSummary;
  try {
    summary = await act(outcome.decision, { ...state, run: outcome.run }, ctx);
  } finally {
    await release(job.name, due, ctx);
  }
  if (outcome.trimHistory) await trimHistory(job, ctx);
  return summary;
}

/** Longest wait between two tries of a job's decision lease held by another invocation. */
const JOB_LEASE_WAIT_MAX_MS = 2_000;

/** Another invocation of the job held its decision lease for as long as this one could wait. */
export class JobBusyError extends Error {
  constructor(jobName: string) {
    super(
      `job ${jobName}: another invocation held the job's decision lease for as long as this one could wait; the due time is left to the Scheduler's retry`,
    );
    this.name = 'JobBusyError';
  }
}

/**
 * Runs `work` holding the job's decision lease (see ScheduleStore.acquireJobLease). The lease lasts as
 * long as the holder's invocation may (its crash frees it at its timeout); a waiter backs off while it
 * has time, then throws so the due time is redelivered (Scheduler and Lambda retry) rather than lost.
 */
async function withJobLease<T>(jobName: string, ctx: ScheduleContext, work: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    const until = ctx.now() + ctx.budget.remainingMs() + ATTEMPT_MS;
    if (await ctx.store.acquireJobLease(jobName, ctx.owner, ctx.now(), until)) break;
    const delayMs = Math.min(JOB_LEASE_WAIT_MAX_MS, 100 * 2 ** tries) * (0.5 + ctx.random() / 2);
    if (!ctx.budget.hasTimeFor(delayMs + ATTEMPT_MS)) throw new JobBusyError(jobName);
    if (tries === 0) ctx.logger.info('Another invocation is deciding a run of the job; waiting for it');
    await ctx.sleep(delayMs);
  }
  try {
    return await work();
  } finally {
    await ctx.store.releaseJobLease(jobName, ctx.owner).catch((error: unknown) => {
      ctx.logger.warn('Could not release the job lease; it expires by itself', {
        error: errorMessage(error),
      });
    });
  }
}

/**
 * A due time of the job newer than `due` that has already come: one the state table holds a run of, or
 * the next one the job's schedule names (or, without a schedule, the longest gap it declares) when that
 * is already past. Only a backlog has one.
 */
function newerDueTime(job: Job, due: DueTime, runs: readonly RunRecord[], now: number): DueTime | undefined {
  const known = runs
    .map((run) => run.due)
    .filter((other) => other > due)
    .sort()
    .at(-1);
  if (known) return known;
  const schedule = scheduleOf(job);
  const next = schedule
    ? nextDueAfter(schedule, dueMs(due))
    : job.expectEverySeconds !== undefined
      ? dueMs(due) + job.expectEverySeconds * 1000
      : undefined;
  return next !== undefined && next <= now ? dueFromMs(next) : undefined;
}

type Claimed =
  | RunSummary
  | { resume: RunRecord }
  | { decision: RunDecision; run: RunRecord; trimHistory: boolean };

/** Observe → decide → claim for one due time; under the job's lease, so policies hold across due times. */
async function decideAndClaim(
  { job, cluster, due, taskDefinition }: Omit<RunState, 'run'>,
  ctx: ScheduleContext,
): Promise<Claimed> {
  // This due time's run and the job's other open runs (for the concurrency policy), in one read.
  const { run: existing, open } = await ctx.store.runAndOpenRuns(job.name, due, ctx.now());
  if (existing && existing.status !== 'PENDING') {
    ctx.logger.info('Run already decided: duplicate invocation', { runStatus: existing.status });
    // A redelivery after a failed publish must still send the missed-run alert (alertOnce dedupes).
    if (existing.status === 'MISSED' && !ctx.config.DRY_RUN)
      await sendMissedAlert(
        { job, cluster, due, taskDefinition, run: existing },
        existing.reason ?? 'missed',
        ctx,
      );
    return {
      status: 'already-decided',
      job: job.name,
      due,
      runStatus: existing.status,
      reason: existing.reason,
    };
  }
  if (
    existing?.leaseUntil !== undefined &&
    existing.leaseUntil > ctx.now() &&
    existing.leaseOwner !== ctx.owner
  ) {
    ctx.logger.info('Run in progress in another invocation', { leaseUntil: existing.leaseUntil });
    return { status: 'in-progress', job: job.name, due, leaseUntil: existing.leaseUntil };
  }

  if (existing) {
    // Left behind between attempts: its backoff is respected (the periodic pass continues it on time).
    const action = pendingRunAction(
      existing,
      startingDeadlineAt(due, startingDeadlineSeconds(job, ctx)),
      ctx.now(),
    );
    if (action.action === 'wait' && existing.waiting) {
      return {
        status: 'waiting',
        job: job.name,
        due,
        until: new Date(action.until).toISOString(),
        reason: existing.reason ?? 'an earlier run is still active',
      };
    }
    if (action.action === 'wait') {
      return {
        status: 'retrying',
        job: job.name,
        due,
        nextAttemptAt: new Date(action.until).toISOString(),
        reasons: existing.lastFailure?.reasons ?? [],
      };
    }
    return { resume: existing };
  }

  let activeRuns: ActiveRun[];
  try {
    activeRuns = await observeActiveRuns(job, cluster, open, ctx);
  } catch (error) {
    // The first call that names the cluster: a typo, or a cluster deleted under its schedule.
    if (kindOf(error) !== 'not-found') throw error;
    return reportInvalidJob(job.name, [unknownCluster(cluster, error)], due, ctx);
  }
  const decision = decideRun({
    job,
    due,
    now: ctx.now(),
    startingDeadlineSeconds: startingDeadlineSeconds(job, ctx),
    activeRuns,
    newerDue: newerDueTime(job, due, open, ctx.now()),
  });
  ctx.logger.info('Decision', { decision: decision.action, reason: decision.reason });

  if (ctx.config.DRY_RUN) {
    return { status: 'planned', job: job.name, due, dryRun: true, plan: plan(decision, job, cluster, due) };
  }

  const registered = await ctx.store.registerJob(job, cluster, due, ctx.now());
  // A run about to call RunTask notes its first attempt with the claim, and the runs it replaces.
  const claim = await claimFor(job, cluster, due, ctx, {
    ...(decision.action === 'run' ? { attempt: 1, replacing: decision.replace } : {}),
  });
  if (!claim.claimed) return notOurs(job, due, claim.run);
  return { decision, run: claim.run, trimHistory: registered.trimHistory };
}

/** Trims the run history to the job's limits; never worth failing the run for (the next trim catches up). */
async function trimHistory(job: Job, ctx: ScheduleContext) {
  try {
    const trimmed = await ctx.store.trimHistory(
      job.name,
      {
        succeeded: job.successfulRunsHistoryLimit ?? ctx.config.RUN_HISTORY,
        failed: job.failedRunsHistoryLimit ?? ctx.config.RUN_HISTORY,
        skipped: ctx.config.RUN_HISTORY,
      },
      ctx.now(),
      { budget: ctx.budget },
    );
    if (trimmed > 0) ctx.logger.debug('Trimmed run history', { trimmed });
  } catch (error) {
    ctx.logger.warn('Could not trim the run history; a later run does', { error: errorMessage(error) });
  }
}

function claimFor(
  job: Job,
  cluster: string,
  due: DueTime,
  ctx: ScheduleContext,
  extra: { attempt?: number; replacing?: ReplacedRun[] } = {},
) {
  return ctx.store.claimRun({
    jobName: job.name,
    cluster,
    due,
    count: job.count,
    owner: ctx.owner,
    now: ctx.now(),
    leaseUntil: ctx.now() + ctx.budget.remainingMs() + ATTEMPT_MS,
    ...extra,
  });
}

/** Runs whose lease this invocation gave up with a decision (finishStart): no release call needed. */
const leaseGiven = new WeakMap<ScheduleContext, Set<string>>();
const leaseId = (jobName: string, due: DueTime) => `${jobName}/${due}`;

/** Ends the start phase of a run we hold (see ScheduleStore.finishStart), noting the lease is given up. */
async function finishStart(
  ctx: ScheduleContext,
  ...args: Parameters<ScheduleContext['store']['finishStart']>
): Promise<boolean> {
  const decided = await ctx.store.finishStart(...args);
  if (decided) noteLeaseGiven(ctx, args[0], args[1]);
  return decided;
}

function noteLeaseGiven(ctx: ScheduleContext, jobName: string, due: DueTime) {
  const given = leaseGiven.get(ctx) ?? new Set<string>();
  given.add(leaseId(jobName, due));
  leaseGiven.set(ctx, given);
}

function notOurs(job: Job, due: DueTime, run: RunRecord): RunSummary {
  return run.status === 'PENDING'
    ? { status: 'in-progress', job: job.name, due, leaseUntil: run.leaseUntil }
    : { status: 'already-decided', job: job.name, due, runStatus: run.status, reason: run.reason };
}

async function release(jobName: string, due: DueTime, ctx: ScheduleContext) {
  if (leaseGiven.get(ctx)?.delete(leaseId(jobName, due))) return;
  await ctx.store.releaseLease(jobName, due, ctx.owner).catch((error: unknown) => {
    ctx.logger.warn('Could not release the run lease; it expires by itself', { error: errorMessage(error) });
  });
}

/**
 * A run recorded PENDING whose invocation ran out of time or died: the decision to run was made, so
 * it continues where it stopped (or is reported missed past its deadline). Used by a late duplicate
 * invocation and by the periodic pass.
 */
export async function continuePending(
  state: RunState,
  ctx: ScheduleContext,
  options: { maxAttemptsNow?: number } = {},
): Promise<RunSummary> {
  const { job, cluster, due } = state;
  const deadlineAt = startingDeadlineAt(due, startingDeadlineSeconds(job, ctx));
  const pastDeadline = ctx.now() > deadlineAt;
  if (ctx.config.DRY_RUN) {
    const decision: RunDecision = pastDeadline
      ? { action: 'missed', reason: 'still not started at its starting deadline' }
      : { action: 'run', reason: 'continues a run left PENDING', replace: [] };
    return {
      status: 'planned',
      job: job.name,
      due,
      dryRun: true,
      plan: plan(decision, job, cluster, due, state.run),
    };
  }
  const claim = await claimFor(job, cluster, due, ctx);
  if (!claim.claimed) return notOurs(job, due, claim.run);
  const run = claim.run;
  try {
    const current = { ...state, run };
    if (run.waiting) {
      return pastDeadline
        ? await skipForbidden(current, run.reason ?? 'an earlier run was still active', ctx)
        : await decideWaiting(current, ctx);
    }
    const failures = run.failures ?? [];
    const attempts = failures.length
      ? { count: run.failedAttempts ?? failures.length, summary: summarizeReasons(failures) }
      : undefined;
    let ofFamily: JobTaskView[];
    try {
      ofFamily = await jobTasksOfFamily(cluster, familyOf(job.taskDefinition));
    } catch (error) {
      if (kindOf(error) !== 'not-found') throw error;
      // The cluster was deleted while the run was starting: nothing can start there, whatever the deadline.
      await finishStart(
        ctx,
        job.name,
        due,
        ctx.owner,
        'INVALID',
        ctx.now(),
        `cluster ${cluster} no longer exists`,
      );
      if (run.capacityRequest) await ctx.store.deleteCapacityRequest(run.capacityRequest);
      const alert = await reportClusterGone(job.name, cluster, error, ctx);
      return { status: 'invalid-job', job: job.name, problems: [unknownCluster(cluster, error)], alert };
    }
    // Tasks of this due time that ECS has but our record lacks (an attempt whose answer was lost).
    const inEcs = ofFamily
      .filter((task) => task.jobName === job.name && task.due === due)
      .map((task) => task.taskArn)
      .filter((arn) => !run.taskArns?.has(arn));
    if (inEcs.length > 0) {
      await ctx.store.addStartedTasks(job.name, due, inEcs, ctx.now());
      current.run = { ...run, taskArns: new Set([...(run.taskArns ?? []), ...inEcs]) };
    }
    const started = [...(current.run.taskArns ?? [])];
    if (pastDeadline) {
      return reportMissed(
        current,
        `not started by its starting deadline (${new Date(deadlineAt).toISOString()})`,
        ctx,
        attempts,
        started,
      );
    }
    // A Replace whose stops did not all succeed: redone before anything starts.
    if (run.replacing?.length) await stopReplaced(current, run.replacing, ctx);
    return await attemptLoop(current, ctx, options);
  } finally {
    await release(job.name, due, ctx);
  }
}

function plan(decision: RunDecision, job: Job, cluster: string, due: DueTime, existing?: RunRecord): RunPlan {
  if (decision.action !== 'run') return { decision };
  const started = existing?.taskArns?.size ?? 0;
  return {
    decision,
    runTask: buildRunTaskRequest(
      job,
      cluster,
      due,
      existing ? resumeAttempt(existing) : 1,
      job.count - started,
    ),
    stopTasks: decision.replace.flatMap((run) =>
      run.taskArns.map((taskArn) => ({ taskArn, reason: replacedReason(job.name, run.due, due) })),
    ),
    supersede: decision.replace.filter((run) => run.pending).map((run) => run.due),
  };
}

export interface RunState {
  job: Job;
  cluster: string;
  due: DueTime;
  taskDefinition: TaskDefinition;
  run: RunRecord;
}

async function act(decision: RunDecision, state: RunState, ctx: ScheduleContext): Promise<RunSummary> {
  const { job, due } = state;
  const now = ctx.now();
  switch (decision.action) {
    case 'already-started': {
      await ctx.store.addStartedTasks(job.name, due, decision.taskArns, now);
      await finishStart(ctx, job.name, due, ctx.owner, 'STARTED', now, decision.reason);
      await finalizeIfDone(job.name, due, ctx);
      return { status: 'already-started', job: job.name, due, taskArns: decision.taskArns };
    }
    case 'skip': {
      if (decision.cause === 'forbid') return waitForEarlierRun(state, decision.reason, ctx);
      if (decision.cause === 'superseded')
        return skipSuperseded(state, decision.reason, decision.missed, ctx);
      ctx.logger.warn('Run skipped', { reason: decision.reason });
      if (await finishStart(ctx, job.name, due, ctx.owner, 'SKIPPED', now, decision.reason)) {
        emit(ctx, METRIC.skipped, job.name);
      }
      return { status: 'skipped', job: job.name, due, reason: decision.reason };
    }
    case 'missed':
      return reportMissed(state, decision.reason, ctx);
    case 'run': {
      await stopReplaced(state, decision.replace, ctx);
      return attemptLoop(state, ctx);
    }
  }
}

/** How often a run waiting for an earlier one (Forbid) is decided again: the periodic pass's cadence. */
const FORBID_RECHECK_MS = 60_000;

/**
 * concurrencyPolicy Forbid found an earlier run active. The due time is not dropped at once: the earlier
 * run may end in time (an hourly job that takes 61 minutes), so it waits, decided again every minute by the
 * periodic pass (or a redelivery) until its starting deadline, when it is skipped.
 */
async function waitForEarlierRun(state: RunState, reason: string, ctx: ScheduleContext): Promise<RunSummary> {
  const { job, due } = state;
  const deadlineAt = startingDeadlineAt(due, startingDeadlineSeconds(job, ctx));
  const until = Math.min(ctx.now() + FORBID_RECHECK_MS, deadlineAt);
  if (ctx.now() >= deadlineAt) return skipForbidden(state, reason, ctx);
  if (await ctx.store.waitForActiveRun(job.name, due, ctx.owner, until, reason))
    noteLeaseGiven(ctx, job.name, due);
  ctx.logger.info('Waiting for an earlier run to end (concurrencyPolicy Forbid)', {
    reason,
    until: new Date(until).toISOString(),
  });
  return { status: 'waiting', job: job.name, due, until: new Date(until).toISOString(), reason };
}

/**
 * A due time still held back by an earlier run at its starting deadline: SKIPPED, counted in the job's
 * skip streak, which alerts once when it reaches alertAfterSkips (a hung run would otherwise cost every
 * later run in silence, each skip looking like a schedule that fires).
 */
async function skipForbidden(state: RunState, reason: string, ctx: ScheduleContext): Promise<RunSummary> {
  const { job, cluster, due } = state;
  const final = `${reason} until its starting deadline`;
  ctx.logger.warn('Run skipped', { reason: final });
  if (await finishStart(ctx, job.name, due, ctx.owner, 'SKIPPED', ctx.now(), final)) {
    emit(ctx, METRIC.skipped, job.name);
    const streak = await ctx.store.recordForbidSkip(job.name, due);
    if (streak && streak.skipStreak >= job.alertAfterSkips) {
      await alertOnce(
        ctx.store,
        ctx.config.ALERT_TOPIC_ARN,
        alertKey(job.name, 'skipped', streak.skipStreakSince),
        skipStreakAlert({
          jobName: job.name,
          cluster: clusterName(cluster),
          streak: streak.skipStreak,
          since: streak.skipStreakSince,
          lastDue: due,
          reason,
        }),
        ctx.now(),
        RUN_ALERT_MARKER_SECONDS,
      );
    }
  }
  return { status: 'skipped', job: job.name, due, reason: final };
}

/**
 * A due time of a backlog that a newer one supersedes: SKIPPED. One past its starting deadline is also a
 * missed run, counted for the backlog's single alert (sent by the periodic pass once the burst is over)
 * rather than alerted on its own: a burst of late deliveries must not page once per due time.
 */
async function skipSuperseded(
  state: RunState,
  reason: string,
  missed: boolean,
  ctx: ScheduleContext,
): Promise<RunSummary> {
  const { job, due } = state;
  ctx.logger.warn('Run skipped', { reason, missed });
  if (await finishStart(ctx, job.name, due, ctx.owner, 'SKIPPED', ctx.now(), reason)) {
    emit(ctx, missed ? METRIC.missed : METRIC.skipped, job.name);
    if (missed) await ctx.store.recordBacklogMiss(job.name, due, ctx.now());
  }
  return { status: 'skipped', job: job.name, due, reason };
}

/**
 * A run waiting for an earlier one, decided again under the job's lease: it starts (and from then on
 * holds the others back) only if nothing else of the job is active.
 */
async function decideWaiting(state: RunState, ctx: ScheduleContext): Promise<RunSummary> {
  const { job, cluster, due } = state;
  const decision = await withJobLease(job.name, ctx, async () => {
    const open = (await ctx.store.openRuns(job.name, ctx.now())).filter((run) => run.due !== due);
    const decided = decideRun({
      job,
      due,
      now: ctx.now(),
      startingDeadlineSeconds: startingDeadlineSeconds(job, ctx),
      activeRuns: await observeActiveRuns(job, cluster, open, ctx),
    });
    if (decided.action === 'run' && !(await ctx.store.stopWaiting(job.name, due, ctx.owner)))
      return undefined;
    return decided;
  });
  if (!decision) return { status: 'superseded', job: job.name, due };
  ctx.logger.info('Decision', { decision: decision.action, reason: decision.reason });
  return act(decision, state, ctx);
}

/**
 * Stops the runs this one replaces (concurrencyPolicy Replace) before it starts, so they never overlap.
 * A run still starting is superseded first (its starter stops at its next conditional write). A started
 * run is noted replaced only once its tasks' stops succeeded; a stop that fails throws with the run left
 * PENDING and its `replacing` list kept, so the invocation that resumes it (Lambda's retry, a duplicate,
 * the periodic pass) redoes the stops first. Stopping a task already stopped is harmless.
 */
async function stopReplaced(state: RunState, runs: readonly ReplacedRun[], ctx: ScheduleContext) {
  const { job, cluster, due } = state;
  if (runs.length === 0) return;
  for (const old of runs) {
    const reason = replacedReason(job.name, old.due, due);
    // A run that finished starting meanwhile is no longer PENDING: it is then handled like a started one.
    const superseded =
      old.pending &&
      (await ctx.store.supersedePending(job.name, old.due, due, reason, ctx.now(), old.taskArns));
    for (const taskArn of old.taskArns) await stopTask(cluster, taskArn, reason);
    if (!superseded && old.taskArns.length > 0) await ctx.store.markReplaced(job.name, old.due, due);
    ctx.logger.info('Replaced an active run', { replacedDue: old.due, tasks: old.taskArns });
    emit(ctx, METRIC.replaced, job.name);
  }
  await ctx.store.clearReplacing(job.name, due, ctx.owner);
}

/** Reports a run that could not start: run record MISSED (or STARTED when part of it runs), metric, one alert. */
async function reportMissed(
  state: RunState,
  reason: string,
  ctx: ScheduleContext,
  attempts?: { count: number; summary: string },
  startedTasks: string[] = [],
): Promise<RunSummary> {
  const { job, due } = state;
  const now = ctx.now();
  ctx.logger.error('Run missed', { reason, attempts, startedTasks });
  const status = startedTasks.length > 0 ? 'STARTED' : 'MISSED';
  const decided = await finishStart(ctx, job.name, due, ctx.owner, status, now, reason);
  if (decided) emit(ctx, METRIC.missed, job.name);
  // Sent even when another invocation decided first: alertOnce makes it one alert, and a crash between
  // the decision and the alert is healed here.
  await sendMissedAlert(state, reason, ctx, attempts, startedTasks);
  if (state.run.capacityRequest) await ctx.store.deleteCapacityRequest(state.run.capacityRequest);
  if (status === 'STARTED') await finalizeIfDone(job.name, due, ctx);
  return { status: 'missed', job: job.name, due, reason };
}

async function sendMissedAlert(
  state: RunState,
  reason: string,
  ctx: ScheduleContext,
  attempts?: { count: number; summary: string },
  startedTasks: string[] = [],
) {
  const failures = state.run.failures ?? [];
  const tried =
    attempts ??
    (failures.length
      ? { count: state.run.failedAttempts ?? failures.length, summary: summarizeReasons(failures) }
      : undefined);
  await alertOnce(
    ctx.store,
    ctx.config.ALERT_TOPIC_ARN,
    alertKey(state.job.name, 'missed', state.due),
    missedRunAlert({
      jobName: state.job.name,
      cluster: state.cluster,
      due: state.due,
      reason,
      attempts: tried,
      startedTasks,
    }),
    ctx.now(),
    RUN_ALERT_MARKER_SECONDS,
  );
}

interface AttemptResult {
  taskArns: string[];
  reasons: string[];
  /** The call never took effect (throttled, 5xx): the same clientToken is reissued. */
  reissue: boolean;
  /** ECS refused the job itself (bad network configuration, missing role...). */
  refused?: string;
}

async function attempt(request: RunTaskRequest): Promise<AttemptResult> {
  try {
    const response = await runTask(request);
    return {
      taskArns: (response.tasks ?? []).map((task) => task.taskArn).filter((arn): arn is string => !!arn),
      // ECS reports a failure per container instance tried: one reason each is enough.
      reasons: [...new Set((response.failures ?? []).map((failure) => failure.reason ?? 'UNKNOWN'))],
      reissue: false,
    };
  } catch (error) {
    const kind = kindOf(error);
    if (kind === 'throttled') return { taskArns: [], reasons: [THROTTLED], reissue: true };
    if (kind === 'transient') return { taskArns: [], reasons: [SERVICE_ERROR], reissue: true };
    if (kind === 'conflict') {
      // Same token, different parameters: the tasks that token started are this run's.
      const ids = conflictResourceIds(error);
      return { taskArns: ids, reasons: ids.length ? [] : ['CONFLICT'], reissue: false };
    }
    if (isNoContainerInstancesError(error))
      return { taskArns: [], reasons: ['NO_CONTAINER_INSTANCES'], reissue: false };
    if (kind === 'invalid' || kind === 'not-found')
      return { taskArns: [], reasons: [], reissue: false, refused: awsMessage(error) };
    throw error;
  }
}

/**
 * Starts the run's tasks, retrying failures with backoff while the attempts, the starting deadline and
 * this invocation's time allow; out of time, the run is left PENDING for the periodic pass.
 */
export async function attemptLoop(
  state: RunState,
  ctx: ScheduleContext,
  options: { maxAttemptsNow?: number } = {},
): Promise<RunSummary> {
  const { job, cluster, due } = state;
  const settings = settingsFor(job, ctx);
  const deadlineAt = startingDeadlineAt(due, startingDeadlineSeconds(job, ctx));
  const started = new Set(state.run.taskArns ?? []);
  const failures = [...(state.run.failures ?? [])];
  let failedAttempts = state.run.failedAttempts ?? 0;
  let attemptNumber = resumeAttempt(state.run);
  let capacityKey = state.run.capacityRequest;
  let attemptsNow = 0;
  // The claim may have noted the first attempt already (run.attempt as claimed, nothing failed since).
  let noted = state.run.attempt === attemptNumber ? attemptNumber : undefined;
  // Tasks this invocation placed: stopped again if a newer run replaced this one meanwhile.
  const placedHere: string[] = [];

  for (;;) {
    // Checked before any RunTask: tasks adopted from an earlier, interrupted attempt may already be all.
    if (started.size >= job.count) {
      // The tasks, STARTED and the lease released in one write; it also says whether a task's stop was
      // recorded while the run was starting, the only case where the run may already be over.
      const run = await ctx.store.finishStarted(job.name, due, ctx.owner, [...started], ctx.now());
      if (run) noteLeaseGiven(ctx, job.name, due);
      else if (await endIfReplaced(state, placedHere, capacityKey, ctx))
        return { status: 'superseded', job: job.name, due };
      if (capacityKey) await ctx.store.deleteCapacityRequest(capacityKey);
      emit(ctx, METRIC.started, job.name);
      await ctx.store.resetSkipStreak(job.name).catch((error: unknown) => {
        ctx.logger.warn('Could not reset the skip streak', { error: errorMessage(error) });
      });
      ctx.logger.info('Run started', {
        tasks: [...started],
        attempt: attemptNumber,
        lateBySeconds: (ctx.now() - dueMs(due)) / 1000,
      });
      if (!run || (run.stoppedTasks?.size ?? 0) > 0) await finalizeIfDone(job.name, due, ctx);
      return { status: 'started', job: job.name, due, taskArns: [...started], attempts: attemptNumber };
    }
    if (
      noted !== attemptNumber &&
      !(await ctx.store.recordAttempt(job.name, due, ctx.owner, attemptNumber))
    ) {
      ctx.logger.info('Run taken over or decided elsewhere; stopping here');
      return { status: 'superseded', job: job.name, due };
    }
    noted = undefined;
    attemptsNow++;
    const request = buildRunTaskRequest(job, cluster, due, attemptNumber, job.count - started.size);
    const result = await attempt(request);

    if (result.refused) {
      await finishStart(ctx, job.name, due, ctx.owner, 'INVALID', ctx.now(), result.refused);
      return reportInvalidJob(
        job.name,
        [{ path: '', message: `ECS refused RunTask: ${result.refused}` }],
        due,
        ctx,
      );
    }
    const fresh = result.taskArns.filter((arn) => !started.has(arn));
    for (const arn of fresh) started.add(arn);
    placedHere.push(...fresh);
    // All tasks known: the top of the loop records them and finishes the start in one write.
    if (started.size >= job.count) continue;
    if (fresh.length > 0) await ctx.store.addStartedTasks(job.name, due, fresh, ctx.now());

    failedAttempts++;
    const failure = {
      attempt: attemptNumber,
      reasons: result.reasons,
      at: new Date(ctx.now()).toISOString(),
    };
    failures.push(failure);
    emit(ctx, METRIC.failedAttempts, job.name);
    ctx.logger.warn('RunTask attempt failed', {
      attempt: attemptNumber,
      reasons: result.reasons,
      started: started.size,
    });

    if (needsCapacity(result.reasons))
      capacityKey =
        (await requestCapacity(state, result.reasons, job.count - started.size, deadlineAt, ctx, {
          announce: !capacityKey,
        })) ?? capacityKey;

    const delayMs = backoffMs(failedAttempts, settings, ctx.random);
    let step = nextStep({
      now: ctx.now(),
      failedAttempts,
      delayMs,
      deadlineAt,
      settings,
      remainingMs: ctx.budget.remainingMs(),
      attemptMs: ATTEMPT_MS,
    });
    if (
      step.step === 'retry' &&
      options.maxAttemptsNow !== undefined &&
      attemptsNow >= options.maxAttemptsNow
    ) {
      step = { step: 'hand-over', nextAttemptAt: ctx.now() + delayMs };
    }
    const nextAttemptAt = step.step === 'give-up' ? ctx.now() : ctx.now() + delayMs;
    const stillOurs = await ctx.store.recordAttemptFailure(
      job.name,
      due,
      ctx.owner,
      failure,
      failedAttempts,
      nextAttemptAt,
      capacityKey,
    );
    if (!stillOurs) {
      await endIfReplaced(state, placedHere, capacityKey, ctx);
      return { status: 'superseded', job: job.name, due };
    }

    if (step.step === 'give-up') {
      return reportMissed(
        { ...state, run: { ...state.run, ...(capacityKey ? { capacityRequest: capacityKey } : {}) } },
        `could not place the task${job.count > 1 ? 's' : ''}: ${step.reason}`,
        ctx,
        { count: failures.length, summary: summarizeReasons(failures) },
        [...started],
      );
    }
    if (step.step === 'hand-over') {
      ctx.logger.info('Out of time in this invocation; the periodic pass continues', {
        nextAttemptAt: new Date(step.nextAttemptAt).toISOString(),
      });
      return {
        status: 'retrying',
        job: job.name,
        due,
        nextAttemptAt: new Date(step.nextAttemptAt).toISOString(),
        reasons: result.reasons,
      };
    }
    await ctx.sleep(step.delayMs);
    if (!result.reissue) attemptNumber++;
  }
}

/**
 * A newer run replaced this one while this invocation was still placing its tasks (concurrencyPolicy
 * Replace): the tasks it placed after the newer run stopped the others are stopped too, and its capacity
 * request withdrawn. True when so.
 */
async function endIfReplaced(
  state: RunState,
  taskArns: readonly string[],
  capacityKey: { pk: string; sk: string } | undefined,
  ctx: ScheduleContext,
) {
  if (taskArns.length === 0 && !capacityKey) return false;
  const run = await ctx.store.getRun(state.job.name, state.due);
  if (!run?.replacedBy || (run.status !== 'REPLACED' && run.status !== 'SKIPPED')) return false;
  const reason = replacedReason(state.job.name, state.due, run.replacedBy);
  await ctx.store.addStartedTasks(state.job.name, state.due, taskArns, ctx.now());
  for (const taskArn of taskArns) await stopTask(state.cluster, taskArn, reason);
  if (capacityKey) await ctx.store.deleteCapacityRequest(capacityKey);
  ctx.logger.info('Replaced while starting: stopped the tasks placed meanwhile', { tasks: taskArns });
  return true;
}

/**
 * Writes the capacity request scale-capacity reads. Returns its key, or undefined for Fargate. The run's
 * first request is also announced on the bus, so scale-capacity acts within seconds rather than at its
 * next tick; later attempts only refresh the item.
 */
async function requestCapacity(
  state: RunState,
  reasons: string[],
  count: number,
  deadlineAt: number,
  ctx: ScheduleContext,
  options: { announce: boolean },
): Promise<{ pk: string; sk: string } | undefined> {
  const { job, cluster } = state;
  let clusterDefaultStrategy: { capacityProvider?: string | undefined }[] | undefined;
  if (!job.launchType && !job.capacityProviderStrategy) {
    const { items } = await describeClusters([cluster]);
    clusterDefaultStrategy = items[0]?.defaultCapacityProviderStrategy;
  }
  const shape = taskRequirements(state.taskDefinition, job.overrides);
  const request = capacityRequest({
    job,
    cluster,
    due: state.due,
    now: ctx.now(),
    deadlineAt,
    shape,
    count,
    reasons,
    clusterDefaultStrategy,
  });
  if (!request) return undefined;
  await ctx.store.putCapacityRequest(request);
  emit(ctx, METRIC.capacityRequests, job.name);
  if (options.announce) {
    try {
      await putEvent(requestAnnouncement(request));
    } catch (error) {
      // Only a wake-up: scale-capacity's every-minute pass reads the request item anyway.
      ctx.logger.warn('Could not announce the capacity request; the next tick finds it', {
        error: errorMessage(error),
      });
    }
  }
  ctx.logger.info('Capacity requested', {
    pk: request.pk,
    sk: request.sk,
    cpu: request.cpu,
    memoryMiB: request.memoryMiB,
    count,
  });
  return { pk: request.pk, sk: request.sk };
}
