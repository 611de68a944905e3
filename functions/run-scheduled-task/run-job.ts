// A due run of a job: observe the job's active runs, decide by its policy under the job's lease, claim
// the run, then act (start it, wait for an earlier run, skip it); also the resume of a run left behind.
import { describeTaskDefinition, stopTask } from '../../shared/aws/ecs';
import { errorMessage, kindOf } from '../../shared/aws/errors';
import { skipStreakAlert } from '../../shared/schedule/alerts';
import {
  type ActiveRun,
  buildRunTaskRequest,
  decideRun,
  type RunDecision,
  replacedReason,
  startingDeadlineAt,
} from '../../shared/schedule/decide';
import { nextDueAfter, scheduleOf } from '../../shared/schedule/expression';
import { type DueTime, dueFromMs, dueMs } from '../../shared/schedule/identity';
import { clusterName, familyOf, type Job } from '../../shared/schedule/job';
import { toIso } from '../../shared/schedule/outcome';
import { pendingRunAction } from '../../shared/schedule/reconcile';
import { summarizeReasons } from '../../shared/schedule/retry';
import { parseJob } from '../../shared/schedule/validate';
import type { ReplacedRun, RunRecord } from '../../shared/state/jobs/store';
import { alertKey } from '../../shared/state/keys';
import { alertOnce } from './alerts';
import { attemptLoop } from './attempts';
import { emit, METRIC, RUN_ALERT_MARKER_SECONDS, type ScheduleContext } from './context';
import { type JobTaskView, jobTasksOfFamily, stoppedTasksOfRun } from './ecs-view';
import { reportClusterGone, reportInvalidJob, unknownCluster, validated } from './job-validation';
import { reportMissed, sendMissedAlert, skipSuperseded } from './missed-runs';
import { finalizeIfDone, outcomeOfDescribed, recordStopped } from './outcomes';
import {
  ATTEMPT_MS,
  claimFor,
  finishStart,
  notOurs,
  type RunPlan,
  type RunState,
  type RunSummary,
  release,
  resumeAttempt,
  startDeadlineOf,
  startingDeadlineSeconds,
} from './run-state';

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
    else if (now <= startDeadlineOf(job, run, ctx))
      byDue.set(run.due, { due: run.due, taskArns: [], pending: true });
  }
  return [...byDue.values()];
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
  const state = { job, cluster, due, taskDefinition, lease: { given: false } };
  // Dry run writes nothing, the lease included.
  const outcome = ctx.config.dryRun
    ? await decideAndClaim(state, ctx)
    : await withJobLease(job.name, ctx, () => decideAndClaim(state, ctx));
  if ('status' in outcome) return outcome;
  if ('resume' in outcome)
    return continuePending({ job, cluster, due, taskDefinition, run: outcome.resume }, ctx);
  let summary: RunSummary;
  try {
    summary = await act(outcome.decision, { ...state, run: outcome.run }, ctx);
  } finally {
    await release(state, ctx);
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
  { job, cluster, due }: Omit<RunState, 'run' | 'lease' | 'taskDefinition'>,
  ctx: ScheduleContext,
): Promise<Claimed> {
  // This due time's run and the job's other open runs (for the concurrency policy), in one read.
  const { run: existing, open } = await ctx.store.runAndOpenRuns(job.name, due, ctx.now());
  if (existing && existing.status !== 'PENDING') {
    ctx.logger.info('Run already decided: duplicate invocation', { runStatus: existing.status });
    // A redelivery after a failed publish must still send the missed-run alert (alertOnce dedupes).
    if (existing.status === 'MISSED' && !ctx.config.dryRun)
      await sendMissedAlert({ job, cluster, due, run: existing }, existing.reason ?? 'missed', ctx);
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
    const action = pendingRunAction(existing, startDeadlineOf(job, existing, ctx), ctx.now());
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
  // Registered before deciding: the write answers whether an operator suspended the job (jobs suspend).
  const registered = ctx.config.dryRun
    ? { trimHistory: false, suspended: (await ctx.store.getJob(job.name))?.suspended === true }
    : await ctx.store.registerJob(job, cluster, due, ctx.now());
  const decision = decideRun({
    job,
    due,
    now: ctx.now(),
    startingDeadlineSeconds: startingDeadlineSeconds(job, ctx),
    activeRuns,
    newerDue: newerDueTime(job, due, open, ctx.now()),
    suspended: registered.suspended,
  });
  ctx.logger.info('Decision', { decision: decision.action, reason: decision.reason });

  if (ctx.config.dryRun) {
    return { status: 'planned', job: job.name, due, dryRun: true, plan: plan(decision, job, cluster, due) };
  }

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
        succeeded: job.successfulRunsHistoryLimit ?? ctx.config.runHistory,
        failed: job.failedRunsHistoryLimit ?? ctx.config.runHistory,
        skipped: ctx.config.runHistory,
      },
      ctx.now(),
      { budget: ctx.budget },
    );
    if (trimmed > 0) ctx.logger.debug('Trimmed run history', { trimmed });
  } catch (error) {
    ctx.logger.warn('Could not trim the run history; a later run does', { error: errorMessage(error) });
  }
}

/**
 * A run recorded PENDING whose invocation ran out of time or died: the decision to run was made, so
 * it continues where it stopped (or is reported missed past its deadline). Used by a late duplicate
 * invocation and by the periodic pass.
 */
export async function continuePending(
  state: Omit<RunState, 'lease'>,
  ctx: ScheduleContext,
  options: { maxAttemptsNow?: number } = {},
): Promise<RunSummary> {
  const { job, cluster, due } = state;
  const deadlineAt = startDeadlineOf(job, state.run, ctx);
  const pastDeadline = ctx.now() > deadlineAt;
  if (ctx.config.dryRun) {
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
  // This invocation's hold on the run, shared by all it does with it.
  const current: RunState = { ...state, run, lease: { given: false } };
  try {
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
      await finishStart(current, ctx, 'INVALID', ctx.now(), `cluster ${cluster} no longer exists`);
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
    // And those that already stopped (a short task, its events not yet seen): adopted with their outcome,
    // never started again by replaying the attempt's clientToken.
    if (run.attempt !== undefined) current.run = await adoptStoppedTasks(current, ctx);
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
    await release(current, ctx);
  }
}

/**
 * Starts again, at once, a run the infrastructure killed (outcomes.ts retryAfterKill put it back to
 * PENDING): the job as its registry item holds it, in the run's own cluster. Best effort: whatever goes
 * wrong here, the every-minute pass continues the run.
 */
export async function restartRun(
  jobName: string,
  due: DueTime,
  ctx: ScheduleContext,
): Promise<RunSummary | undefined> {
  try {
    const record = await ctx.store.getJob(jobName);
    const parsed = record ? parseJob(record.job) : undefined;
    const run = await ctx.store.getRun(jobName, due);
    if (!parsed?.ok || run?.status !== 'PENDING') return undefined;
    const taskDefinition = await describeTaskDefinition(parsed.job.taskDefinition);
    return await continuePending({ job: parsed.job, cluster: run.cluster, due, taskDefinition, run }, ctx);
  } catch (error) {
    ctx.logger.warn('Could not start the killed run again now; the every-minute pass does', {
      error: errorMessage(error),
    });
    return undefined;
  }
}

/**
 * Tasks of the run that ECS has already stopped but the record lacks (the attempt's answer was lost, and
 * so far its events): each is recorded with its outcome and adopted as stopped, so the run's start ends
 * and finalizes it. A task killed and started again (retiredTaskArns) is no longer the run's.
 */
async function adoptStoppedTasks(state: RunState, ctx: ScheduleContext): Promise<RunRecord> {
  const { job, cluster, due, run } = state;
  const stopped = (await stoppedTasksOfRun(cluster, familyOf(job.taskDefinition), job.name, due)).filter(
    (task) => !run.taskArns?.has(task.taskArn) && !run.retiredTaskArns?.has(task.taskArn),
  );
  if (stopped.length === 0) return run;
  for (const task of stopped) {
    const outcome = await outcomeOfDescribed(task, ctx, job.successContainers);
    await recordStopped({ jobName: job.name, due }, outcome, ctx, toIso(task.startedAt));
  }
  const arns = stopped.map((task) => task.taskArn);
  ctx.logger.info('Adopted tasks of the run that already stopped', { tasks: arns });
  const adopted = await ctx.store.adoptTasks(job.name, cluster, due, arns, ctx.now(), true);
  return { ...run, taskArns: new Set([...(run.taskArns ?? []), ...(adopted?.taskArns ?? arns)]) };
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

async function act(decision: RunDecision, state: RunState, ctx: ScheduleContext): Promise<RunSummary> {
  const { job, due } = state;
  const now = ctx.now();
  switch (decision.action) {
    case 'already-started': {
      await ctx.store.addStartedTasks(job.name, due, decision.taskArns, now);
      await finishStart(state, ctx, 'STARTED', now, decision.reason);
      await finalizeIfDone(job.name, due, ctx);
      return { status: 'already-started', job: job.name, due, taskArns: decision.taskArns };
    }
    case 'skip': {
      if (decision.cause === 'forbid') return waitForEarlierRun(state, decision.reason, ctx);
      if (decision.cause === 'superseded')
        return skipSuperseded(state, decision.reason, decision.missed, ctx);
      ctx.logger.warn('Run skipped', { reason: decision.reason });
      if (await finishStart(state, ctx, 'SKIPPED', now, decision.reason)) {
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
  if (await ctx.store.waitForActiveRun(job.name, due, ctx.owner, until, reason)) state.lease.given = true;
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
  if (await finishStart(state, ctx, 'SKIPPED', ctx.now(), final)) {
    emit(ctx, METRIC.skipped, job.name);
    const streak = await ctx.store.recordForbidSkip(job.name, due);
    if (streak && streak.skipStreak >= job.alertAfterSkips) {
      await alertOnce(
        ctx.store,
        ctx.config.topicArn,
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
      // Suspended meanwhile (jobs suspend): the waiting due time is skipped, not started.
      suspended: (await ctx.store.getJob(job.name))?.suspended === true,
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
