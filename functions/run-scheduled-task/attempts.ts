// RunTask attempts of a run: retried with backoff while the attempts, the starting deadline and the
// invocation's time allow, asking for capacity when it is short.
import { describeClusters, runTask, stopTask } from '../../shared/aws/ecs';
import {
  conflictResourceIds,
  errorMessage,
  isNoContainerInstancesError,
  kindOf,
} from '../../shared/aws/errors';
import { putEvent } from '../../shared/aws/eventbridge';
import { requestAnnouncement } from '../../shared/capacity/events';
import { taskRequirements } from '../../shared/ecs/requirements';
import { buildRunTaskRequest, type RunTaskRequest, replacedReason } from '../../shared/schedule/decide';
import { dueMs } from '../../shared/schedule/identity';
import {
  backoffMs,
  capacityRequest,
  needsCapacity,
  nextStep,
  SERVICE_ERROR,
  summarizeReasons,
  THROTTLED,
} from '../../shared/schedule/retry';
import { emit, METRIC, type ScheduleContext } from './context';
import { reportInvalidJob } from './job-validation';
import { reportMissed } from './missed-runs';
import { finalizeIfDone } from './outcomes';
import {
  ATTEMPT_MS,
  awsMessage,
  finishStart,
  type RunState,
  type RunSummary,
  resumeAttempt,
  settingsFor,
  startDeadlineOf,
} from './run-state';

export interface AttemptResult {
  taskArns: string[];
  reasons: string[];
  /** The call never took effect (throttled, 5xx): the same clientToken is reissued. */
  reissue: boolean;
  /** ECS refused the job itself (bad network configuration, missing role...). */
  refused?: string;
}

export async function attempt(request: RunTaskRequest): Promise<AttemptResult> {
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
  const deadlineAt = startDeadlineOf(job, state.run, ctx);
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
      if (run) state.lease.given = true;
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
      await finishStart(state, ctx, 'INVALID', ctx.now(), result.refused);
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
export async function endIfReplaced(
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
export async function requestCapacity(
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
