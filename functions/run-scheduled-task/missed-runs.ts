// Runs that could not start (MISSED, one alert each) and due times of a backlog a newer one supersedes.
import { missedRunAlert } from '../../shared/schedule/alerts';
import { summarizeReasons } from '../../shared/schedule/retry';
import { alertKey } from '../../shared/state/keys';
import { alertOnce } from './alerts';
import { emit, METRIC, RUN_ALERT_MARKER_SECONDS, type ScheduleContext } from './context';
import { finalizeIfDone } from './outcomes';
import { finishStart, type RunState, type RunSummary } from './run-state';

/** Reports a run that could not start: run record MISSED (or STARTED when part of it runs), metric, one alert. */
export async function reportMissed(
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
  const decided = await finishStart(state, ctx, status, now, reason);
  if (decided) emit(ctx, METRIC.missed, job.name);
  // Sent even when another invocation decided first: alertOnce makes it one alert, and a crash between
  // the decision and the alert is healed here.
  await sendMissedAlert(state, reason, ctx, attempts, startedTasks);
  if (state.run.capacityRequest) await ctx.store.deleteCapacityRequest(state.run.capacityRequest);
  if (status === 'STARTED') await finalizeIfDone(job.name, due, ctx);
  return { status: 'missed', job: job.name, due, reason };
}

export async function sendMissedAlert(
  state: Pick<RunState, 'job' | 'cluster' | 'due' | 'run'>,
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
    ctx.config.topicArn,
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

/**
 * A due time of a backlog that a newer one supersedes: SKIPPED. One past its starting deadline is also a
 * missed run, counted for the backlog's single alert (sent by the periodic pass once the burst is over)
 * rather than alerted on its own: a burst of late deliveries must not page once per due time.
 */
export async function skipSuperseded(
  state: RunState,
  reason: string,
  missed: boolean,
  ctx: ScheduleContext,
): Promise<RunSummary> {
  const { job, due } = state;
  ctx.logger.warn('Run skipped', { reason, missed });
  if (await finishStart(state, ctx, 'SKIPPED', ctx.now(), reason)) {
    emit(ctx, missed ? METRIC.missed : METRIC.skipped, job.name);
    if (missed) await ctx.store.recordBacklogMiss(job.name, due, ctx.now());
  }
  return { status: 'skipped', job: job.name, due, reason };
}
