import { describeTaskDefinition } from '../../shared/aws/ecs';
import { errorMessage } from '../../shared/aws/errors';
import { failedRunAlert, taskLinks } from '../../shared/schedule/alerts';
import { stoppedByReplace } from '../../shared/schedule/decide';
import { type DueTime, dueMs, identifyTask, type RunIdentity } from '../../shared/schedule/identity';
import type { TaskStateDetail } from '../../shared/schedule/invocation';
import { clusterName, type Job } from '../../shared/schedule/job';
import { decideKillRetry } from '../../shared/schedule/kills';
import {
  runOutcome,
  type StoppedTaskLike,
  type TaskOutcome,
  taskOutcome,
  toIso,
} from '../../shared/schedule/outcome';
import { essentialContainers, parseJob } from '../../shared/schedule/validate';
import type { RegisteredJob, RunRecord } from '../../shared/state/jobs/store';
import { alertKey } from '../../shared/state/keys';
import { alertOnce } from './alerts';
import { emit, METRIC, MetricUnit, RUN_ALERT_MARKER_SECONDS, type ScheduleContext } from './context';

export type OutcomeSummary =
  | { status: 'ignored'; reason: string }
  | {
      status: 'recorded';
      job: string;
      due: DueTime;
      taskArn: string;
      lastStatus: string;
      outcome?: TaskOutcome;
      duplicate: boolean;
      /** The run was killed by the infrastructure and is to start again (retry.infrastructureKills). */
      restart?: true;
    }
  | {
      status: 'planned';
      dryRun: true;
      job: string;
      due: DueTime;
      taskArn: string;
      lastStatus: string;
      outcome?: TaskOutcome;
    };

/** Essential container names of the task's definition; every container counts when it can't be read. */
async function essentialsOf(
  taskDefinitionArn: string | undefined,
  ctx: ScheduleContext,
): Promise<string[] | undefined> {
  if (!taskDefinitionArn) return undefined;
  try {
    return essentialContainers(await describeTaskDefinition(taskDefinitionArn));
  } catch (error) {
    ctx.logger.warn('Could not read the task definition; treating every container as essential', {
      taskDefinitionArn,
      error: errorMessage(error),
    });
    return undefined;
  }
}

/**
 * The job's successContainers, from its registry item (the last definition a due time brought). Read only
 * for tasks of several containers, where it can matter; a job that can't be read lets the default decide.
 */
async function successContainersOf(
  jobName: string,
  containers: number,
  ctx: ScheduleContext,
): Promise<string[] | undefined> {
  if (containers < 2) return undefined;
  try {
    const record = await ctx.store.getJob(jobName);
    const parsed = record ? parseJob(record.job) : undefined;
    return parsed?.ok ? parsed.job.successContainers : undefined;
  } catch (error) {
    ctx.logger.warn('Could not read the job; its essential containers decide', {
      error: errorMessage(error),
    });
    return undefined;
  }
}

/** ECS Task State Change for a task this function started: start latency, outcome, run result. */
export async function handleTaskState(
  detail: TaskStateDetail,
  ctx: ScheduleContext,
): Promise<OutcomeSummary> {
  const identity = identifyTask(detail);
  if (!identity) return { status: 'ignored', reason: 'task not started by run-scheduled-task' };
  if (detail.lastStatus !== 'RUNNING' && detail.lastStatus !== 'STOPPED') {
    return { status: 'ignored', reason: `lastStatus ${detail.lastStatus} carries no outcome` };
  }
  ctx.logger.appendKeys({ job: identity.jobName, due: identity.due });
  const base = {
    job: identity.jobName,
    due: identity.due,
    taskArn: detail.taskArn,
    lastStatus: detail.lastStatus,
  };
  const outcome =
    detail.lastStatus === 'STOPPED'
      ? taskOutcome(
          detail,
          await essentialsOf(detail.taskDefinitionArn, ctx),
          await successContainersOf(identity.jobName, detail.containers?.length ?? 0, ctx),
        )
      : undefined;
  if (ctx.config.dryRun) return { status: 'planned', dryRun: true, ...base, ...(outcome ? { outcome } : {}) };

  const cluster = clusterName(detail.clusterArn);
  if (!outcome) {
    const first = await recordStarted(identity, detail.taskArn, detail.startedAt, ctx);
    return { status: 'recorded', ...base, duplicate: !first };
  }
  const stop = await recordStopped(identity, outcome, ctx, toIso(detail.startedAt));
  const next = await finalizeIfDone(identity.jobName, identity.due, ctx, { cluster, outcome: stop.outcome });
  return {
    status: 'recorded',
    ...base,
    outcome,
    duplicate: !stop.firstStop && !stop.firstStart,
    ...(next === 'restart' ? { restart: true as const } : {}),
  };
}

const emitStartLatency = (
  identity: RunIdentity,
  taskArn: string,
  startedAt: string,
  ctx: ScheduleContext,
) => {
  const latencyMs = Date.parse(startedAt) - dueMs(identity.due);
  emit(ctx, METRIC.startLatency, identity.jobName, Math.max(0, latencyMs), MetricUnit.Milliseconds);
  ctx.logger.info('Task running', { taskArn, startLatencyMs: latencyMs });
};

/** Start latency (due → RUNNING), once per task, from whichever event first carries startedAt. */
async function recordStarted(
  identity: RunIdentity,
  taskArn: string,
  startedAt: string | number | null | undefined,
  ctx: ScheduleContext,
): Promise<boolean> {
  const iso = toIso(startedAt);
  if (!iso) return false;
  const first = await ctx.store.recordTaskStarted(identity.jobName, identity.due, taskArn, iso, ctx.now());
  if (first) emitStartLatency(identity, taskArn, iso, ctx);
  return first;
}

/**
 * Records a stopped task of a run (from its event, or from DescribeTasks in the periodic pass), with its
 * start when known (a STOPPED event that arrives without its RUNNING one still gives StartLatency).
 */
export async function recordStopped(
  identity: RunIdentity,
  outcome: TaskOutcome,
  ctx: ScheduleContext,
  startedAt?: string,
): Promise<{ firstStop: boolean; firstStart: boolean; outcome: TaskOutcome }> {
  const stop = await ctx.store.recordTaskStopped(
    identity.jobName,
    identity.due,
    outcome,
    ctx.now(),
    startedAt,
  );
  if (stop.firstStart && startedAt) emitStartLatency(identity, outcome.taskArn, startedAt, ctx);
  if (stop.firstStop)
    ctx.logger.info('Task stopped', {
      taskArn: outcome.taskArn,
      succeeded: outcome.succeeded,
      summary: outcome.summary,
    });
  return stop;
}

/** Outcome of a stopped task described by ECS (the periodic pass, when an event was lost). */
export async function outcomeOfDescribed(
  task: StoppedTaskLike & { taskDefinitionArn?: string | undefined },
  ctx: ScheduleContext,
  successContainers?: readonly string[],
): Promise<TaskOutcome> {
  return taskOutcome(task, await essentialsOf(task.taskDefinitionArn, ctx), successContainers);
}

/**
 * When every task of a started run has stopped, the run's result: SUCCEEDED or FAILED (MISSED for a run
 * that placed only some of its tasks, REPLACED for one a newer run stopped), decided by one conditional
 * write; a run the pass had to call UNKNOWN is still decided by an outcome that arrives late. The winner
 * emits the metric and updates "last succeeded/failed"; a failed run alerts once (also retried by later
 * callers, so a crash can't lose the alert).
 *
 * `stopped`: the task whose stop was just recorded. The run may not know it yet (its start was never
 * recorded: the event proves it belongs), or may still be starting: it is then written to the run, which
 * tells whoever ends the start phase to finalize. A run whose only task it is needs no read of its tasks.
 */
export async function finalizeIfDone(
  jobName: string,
  due: DueTime,
  ctx: ScheduleContext,
  stopped?: { cluster: string; outcome: TaskOutcome },
): Promise<'restart' | undefined> {
  let run = await ctx.store.getRun(jobName, due);
  // A task killed and started again is no longer the run's: its late or repeated event changes nothing.
  if (stopped && run?.retiredTaskArns?.has(stopped.outcome.taskArn)) return;
  if (stopped && (!run || run.status === 'PENDING' || !run.taskArns?.has(stopped.outcome.taskArn))) {
    run = await ctx.store.adoptTasks(
      jobName,
      stopped.cluster,
      due,
      [stopped.outcome.taskArn],
      ctx.now(),
      true,
    );
  }
  if (!run) return;
  if (run.status === 'FAILED') {
    await alertFailed(run, run.tasks ?? [], ctx);
    return;
  }
  // UNKNOWN was the pass giving up on events that never came: an outcome arriving later still decides.
  if ((run.status !== 'STARTED' && run.status !== 'UNKNOWN') || !run.taskArns || run.taskArns.size === 0)
    return;
  const onlyThis =
    stopped !== undefined && run.taskArns.size === 1 && run.taskArns.has(stopped.outcome.taskArn);
  const outcomes = onlyThis
    ? new Map([[stopped.outcome.taskArn, stopped.outcome]])
    : new Map(
        (await ctx.store.tasksOfRun(jobName, due)).flatMap((record) =>
          record.outcome ? [[record.outcome.taskArn, record.outcome] as const] : [],
        ),
      );
  const tasks = [...run.taskArns].map((arn) => outcomes.get(arn));
  if (tasks.some((task) => task === undefined)) return;
  const done = tasks as TaskOutcome[];
  const result = runOutcome(done);
  // A run that gave up with only some of its tasks placed never did all its work, however they ended: it
  // stays missed (its MissedRun alert said so), never succeeded. A failed task still makes it FAILED.
  const partial = run.taskArns.size < (run.count ?? run.taskArns.size);
  // A run stopped because a newer one replaced it did what the policy asked: no failure, no alert. Judged
  // from how its tasks stopped, not from the intent to replace it: a run that failed on its own before
  // (or instead of) the replacement's stop is a failure.
  const failed = done.filter((task) => !task.succeeded);
  const replaced = failed.length > 0 && failed.every((task) => stoppedByReplace(task, jobName, due));
  const status = result.succeeded ? (partial ? 'MISSED' : 'SUCCEEDED') : replaced ? 'REPLACED' : 'FAILED';
  const now = ctx.now();
  if (status === 'FAILED' && !partial && (await retryAfterKill(run, done, ctx))) return 'restart';
  const fields = {
    outcome: result,
    tasks: done,
    ...(run.status === 'UNKNOWN'
      ? { reason: 'outcome recorded late, after the run was marked UNKNOWN' }
      : status === 'FAILED' && done.some((task) => task.reason === 'DeadlineExceeded')
        ? { reason: 'DeadlineExceeded' }
        : {}),
  };
  if (!(await ctx.store.finalizeRun(jobName, due, status, now, fields))) {
    if (status === 'FAILED') await alertFailed(run, done, ctx);
    return;
  }
  ctx.logger.info(`Run ${status.toLowerCase()}`, {
    failures: result.failures,
    exitCodes: result.exitCodes,
    ...(partial ? { tasks: run.taskArns.size, count: run.count } : {}),
  });
  let registry: RegisteredJob | undefined;
  if (status === 'SUCCEEDED' || status === 'FAILED') {
    emit(ctx, result.succeeded ? METRIC.succeeded : METRIC.failed, jobName);
    registry = await ctx.store.recordJobOutcome(jobName, due, status, now);
    // A success costs no write unless it ends a streak of failures.
    const streakEnds = status === 'SUCCEEDED' && registry?.failStreak !== undefined;
    if (status === 'FAILED' || streakEnds)
      registry = await ctx.store.recordFailStreak(jobName, due, status).catch((error: unknown) => {
        ctx.logger.warn('Could not count the failure streak', { error: errorMessage(error) });
        return undefined;
      });
  }
  if (status === 'FAILED') await alertFailed(run, done, ctx, registry);
}

/**
 * A run the infrastructure killed (retry.infrastructureKills): its killed tasks are started again rather
 * than the run failed. True when the run went back to PENDING (here or by another invocation first); the
 * invocation that saw the stop starts it (restartRun), else the every-minute pass, with the next
 * attempt's clientToken.
 */
async function retryAfterKill(run: RunRecord, done: readonly TaskOutcome[], ctx: ScheduleContext) {
  const job = await jobOf(run.jobName, ctx);
  if (!job?.retry?.infrastructureKills) return false;
  const failed = done.filter((task) => !task.succeeded);
  const now = ctx.now();
  const decision = decideKillRetry({
    job,
    failed,
    retriesSoFar: run.infraRetries ?? 0,
    runStartedAt: run.startedAt ?? run.createdAt,
    startingDeadlineSeconds: job.startingDeadlineSeconds ?? ctx.config.defaultStartingDeadlineSeconds,
    now,
  });
  if (!decision.retry) {
    ctx.logger.info('Run killed by the infrastructure is not retried', { why: decision.why });
    return false;
  }
  const killed = failed.map((task) => task.taskArn);
  const failedAttempts = (run.failedAttempts ?? 0) + 1;
  const retried = await ctx.store.retryKilledRun({
    jobName: run.jobName,
    due: run.due,
    killed,
    survivors: done.filter((task) => task.succeeded).map((task) => task.taskArn),
    retriesSoFar: decision.retriesSoFar,
    failure: { attempt: run.attempt ?? 1, reasons: decision.kills, at: new Date(now).toISOString() },
    failedAttempts,
    restartBy: decision.restartBy,
    now,
    reason: `killed by the infrastructure (${decision.kills.join(', ')}); started again (${decision.retriesSoFar + 1} of ${job.retry.infrastructureKills})`,
  });
  if (retried) {
    emit(ctx, METRIC.killRetries, run.jobName);
    ctx.logger.warn('Run killed by the infrastructure: its tasks start again', {
      kills: decision.kills,
      tasks: killed,
      retry: decision.retriesSoFar + 1,
      restartBy: new Date(decision.restartBy).toISOString(),
    });
    return true;
  }
  // Someone else decided first: retried too when the run is PENDING again.
  return (await ctx.store.getRun(run.jobName, run.due))?.status === 'PENDING';
}

/** The job as its registry item holds it (the last definition a due time brought); undefined if unreadable. */
async function jobOf(jobName: string, ctx: ScheduleContext): Promise<Job | undefined> {
  const record = await ctx.store.getJob(jobName);
  const parsed = record ? parseJob(record.job) : undefined;
  return parsed?.ok ? parsed.job : undefined;
}

/**
 * One alert per failed run, with what a person needs to act: per task its console page, task definition
 * revision and log links, the job's last success and how many runs in a row have failed. Everything but
 * the outcome is best effort: an alert is never held back by a link it could not build.
 */
async function alertFailed(
  run: RunRecord,
  tasks: TaskOutcome[],
  ctx: ScheduleContext,
  registry?: RegisteredJob,
) {
  const build = async () => {
    const job =
      registry ??
      (await ctx.store.getJob(run.jobName).catch((error: unknown) => {
        ctx.logger.warn('Could not read the job for the alert', { error: errorMessage(error) });
        return undefined;
      }));
    // A streak that moved on (a later run failed too) is not this run's: said only when it ends here.
    const streakHere = job?.failStreakLastDue === run.due;
    const definitions = new Map<string, Awaited<ReturnType<typeof describeTaskDefinition>> | undefined>();
    for (const arn of new Set(
      tasks.flatMap((task) => (task.taskDefinitionArn ? [task.taskDefinitionArn] : [])),
    )) {
      definitions.set(
        arn,
        await describeTaskDefinition(arn).catch((error: unknown) => {
          ctx.logger.warn('Could not read the task definition for log links', { error: errorMessage(error) });
          return undefined;
        }),
      );
    }
    const links = Object.fromEntries(
      tasks
        .filter((task) => !task.succeeded)
        .map((task) => [
          task.taskArn,
          taskLinks(
            task.taskArn,
            task.taskDefinitionArn,
            task.taskDefinitionArn ? definitions.get(task.taskDefinitionArn) : undefined,
          ),
        ]),
    );
    return failedRunAlert(run.jobName, run.cluster, run.due, tasks, {
      ...(streakHere ? { streak: job?.failStreak, streakSince: job?.failStreakSince } : {}),
      lastSucceededDue: job?.lastSucceededDue,
      lastSucceededAt:
        job?.lastSucceededAt !== undefined ? new Date(job.lastSucceededAt).toISOString() : undefined,
      links,
      infraRetries: run.infraRetries,
    });
  };
  await alertOnce(
    ctx.store,
    ctx.config.topicArn,
    alertKey(run.jobName, 'failed', run.due),
    build,
    ctx.now(),
    RUN_ALERT_MARKER_SECONDS,
  );
}
