import { describeTaskDefinition } from '../../shared/aws/ecs';
import { errorMessage } from '../../shared/aws/errors';
import { failedRunAlert } from '../../shared/schedule/alerts';
import { stoppedByReplace } from '../../shared/schedule/decide';
import { type DueTime, dueMs, identifyTask, type RunIdentity } from '../../shared/schedule/identity';
import type { TaskStateDetail } from '../../shared/schedule/invocation';
import { clusterName } from '../../shared/schedule/job';
import {
  runOutcome,
  type StoppedTaskLike,
  type TaskOutcome,
  taskOutcome,
  toIso,
} from '../../shared/schedule/outcome';
import { essentialContainers, parseJob } from '../../shared/schedule/validate';
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
  if (ctx.config.DRY_RUN)
    return { status: 'planned', dryRun: true, ...base, ...(outcome ? { outcome } : {}) };

  const cluster = clusterName(detail.clusterArn);
  if (!outcome) {
    const first = await recordStarted(identity, detail.taskArn, detail.startedAt, ctx);
    return { status: 'recorded', ...base, duplicate: !first };
  }
  const stop = await recordStopped(identity, outcome, ctx, toIso(detail.startedAt));
  await finalizeIfDone(identity.jobName, identity.due, ctx, { cluster, outcome: stop.outcome });
  return { status: 'recorded', ...base, outcome, duplicate: !stop.firstStop && !stop.firstStart };
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
): Promise<void> {
  let run = await ctx.store.getRun(jobName, due);
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
  if (run.status === 'FAILED') return alertFailed(jobName, run.cluster, due, run.tasks ?? [], ctx);
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
    if (status === 'FAILED') await alertFailed(jobName, run.cluster, due, done, ctx);
    return;
  }
  ctx.logger.info(`Run ${status.toLowerCase()}`, {
    failures: result.failures,
    exitCodes: result.exitCodes,
    ...(partial ? { tasks: run.taskArns.size, count: run.count } : {}),
  });
  if (status === 'SUCCEEDED' || status === 'FAILED') {
    emit(ctx, result.succeeded ? METRIC.succeeded : METRIC.failed, jobName);
    await ctx.store.recordJobOutcome(jobName, due, status, now);
  }
  if (status === 'FAILED') await alertFailed(jobName, run.cluster, due, done, ctx);
}

async function alertFailed(
  jobName: string,
  cluster: string,
  due: DueTime,
  tasks: TaskOutcome[],
  ctx: ScheduleContext,
) {
  await alertOnce(
    ctx.store,
    ctx.config.ALERT_TOPIC_ARN,
    alertKey(jobName, 'failed', due),
    failedRunAlert(jobName, cluster, due, tasks),
    ctx.now(),
    RUN_ALERT_MARKER_SECONDS,
  );
}
