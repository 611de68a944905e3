import { BATCH_CONCURRENCY, mapConcurrent } from '../../shared/aws/batch';
import { describeTaskDefinition, describeTasks, stopTask } from '../../shared/aws/ecs';
import { errorMessage } from '../../shared/aws/errors';
import { silentScheduleAlert } from '../../shared/schedule/alerts';
import { startingDeadlineAt } from '../../shared/schedule/decide';
import { familyOf, type Job } from '../../shared/schedule/job';
import { alertKey } from '../../shared/schedule/keys';
import {
  type DeadlineStop,
  deadlineStops,
  pendingRunAction,
  type SilentSchedule,
  silentSchedules,
} from '../../shared/schedule/reconcile';
import { parseJob } from '../../shared/schedule/validate';
import { alertOnce } from './alerts';
import { emit, METRIC, type ScheduleContext, SILENCE_ALERT_MARKER_SECONDS } from './context';
import { type JobTaskView, jobTasksOfFamily } from './ecs-view';
import { finalizeIfDone, outcomeOfDescribed, recordStopped } from './outcomes';
import { continuePending, type RunSummary } from './run-job';
import type { RegisteredJob, RunRecord } from './store';

/** ECS keeps stopped tasks describable for about an hour; after that an unrecorded outcome is lost. */
const DESCRIBABLE_MS = 60 * 60 * 1000;
/** Time the pass keeps for itself before starting one more resume. */
const RESUME_MS = 20_000;

export interface ReconcileSummary {
  status: 'reconciled' | 'planned';
  dryRun?: true;
  jobs: number;
  deadlineStops: DeadlineStop[];
  resumed: RunSummary[];
  outcomesRecovered: number;
  unknownOutcomes: number;
  skippedJobs: { job: string; reason: string }[];
  /** Jobs whose schedule has gone quiet past their expectEverySeconds. */
  silentSchedules: SilentSchedule[];
}

interface Known {
  record: RegisteredJob;
  job: Job;
}

/**
 * The every-minute pass. Re-reads real state and finishes what events left undone: stops runs past
 * activeDeadlineSeconds, resumes runs left PENDING (their invocation ran out of time or died) or reports
 * them missed, and records outcomes of runs whose stop events were lost.
 */
export async function reconcile(ctx: ScheduleContext): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = {
    status: ctx.config.DRY_RUN ? 'planned' : 'reconciled',
    ...(ctx.config.DRY_RUN ? { dryRun: true as const } : {}),
    jobs: 0,
    deadlineStops: [],
    resumed: [],
    outcomesRecovered: 0,
    unknownOutcomes: 0,
    skippedJobs: [],
    silentSchedules: [],
  };
  const known: Known[] = [];
  for (const record of await ctx.store.listJobs()) {
    const parsed = parseJob(record.job);
    if (parsed.ok) known.push({ record, job: parsed.job });
    else summary.skippedJobs.push({ job: record.name, reason: 'stored definition no longer valid' });
  }
  summary.jobs = known.length;
  if (known.length === 0) return summary;

  // One ListTasks per cluster and family, whatever the number of jobs sharing them.
  const groups = [
    ...new Map(known.map(({ record }) => [`${record.cluster}/${record.family}`, record])).values(),
  ];
  const listed = await mapConcurrent(groups, BATCH_CONCURRENCY, (record) =>
    jobTasksOfFamily(record.cluster, record.family),
  );
  const active = listed.flat();

  const now = ctx.now();
  summary.deadlineStops = deadlineStops(
    known.map(({ record, job }) => ({
      name: job.name,
      cluster: record.cluster,
      family: familyOf(job.taskDefinition),
      activeDeadlineSeconds: job.activeDeadlineSeconds,
    })),
    active,
    now,
  );
  for (const stop of summary.deadlineStops) {
    ctx.logger.warn('Run exceeded its active deadline', { ...stop });
    if (ctx.config.DRY_RUN) continue;
    await stopTask(stop.cluster, stop.taskArn, stop.reason);
    emit(ctx, METRIC.deadlineStops, stop.jobName);
  }

  await mapConcurrent(known, BATCH_CONCURRENCY, async ({ record, job }) => {
    try {
      await reconcileJob(record, job, active, summary, ctx);
    } catch (error) {
      // One job's trouble must not starve the others; the next pass retries it.
      ctx.logger.error('Reconcile failed for a job', { job: job.name, error: errorMessage(error) });
      summary.skippedJobs.push({ job: job.name, reason: errorMessage(error) });
    }
  });
  await alertSilentSchedules(known, summary, ctx);
  ctx.logger.info('Reconciled', {
    jobs: summary.jobs,
    deadlineStops: summary.deadlineStops.length,
    resumed: summary.resumed.length,
    outcomesRecovered: summary.outcomesRecovered,
  });
  return summary;
}

/** One alert per silence for jobs that declare expectEverySeconds and whose due times stopped arriving. */
async function alertSilentSchedules(
  known: readonly Known[],
  summary: ReconcileSummary,
  ctx: ScheduleContext,
) {
  const byName = new Map(known.map((entry) => [entry.job.name, entry]));
  summary.silentSchedules = silentSchedules(
    known.map(({ record, job }) => ({
      name: job.name,
      expectEverySeconds: job.expectEverySeconds,
      startingDeadlineSeconds: job.startingDeadlineSeconds ?? ctx.config.DEFAULT_STARTING_DEADLINE_SECONDS,
      lastSeenAt: record.lastSeenAt,
      lastDue: record.lastDue,
    })),
    ctx.now(),
  );
  for (const silent of summary.silentSchedules) {
    const cluster = byName.get(silent.jobName)?.record.cluster ?? '';
    ctx.logger.warn('Schedule silent: no due time has arrived', { ...silent, cluster });
    if (ctx.config.DRY_RUN) continue;
    try {
      const sent = await alertOnce(
        ctx.store,
        ctx.config.ALERT_TOPIC_ARN,
        // Keyed by the last arrival: one alert per silence, a new one if the job fires and falls silent again.
        alertKey(silent.jobName, 'silent', String(silent.lastSeenAt)),
        silentScheduleAlert({ ...silent, cluster, lastSeenAt: new Date(silent.lastSeenAt).toISOString() }),
        ctx.now(),
        SILENCE_ALERT_MARKER_SECONDS,
      );
      if (sent === 'sent') emit(ctx, METRIC.silentSchedules, silent.jobName);
    } catch (error) {
      // The next pass tries again: alertOnce releases a claim whose publish failed.
      ctx.logger.error('Could not send the silence alert', {
        job: silent.jobName,
        error: errorMessage(error),
      });
    }
  }
}

async function reconcileJob(
  record: RegisteredJob,
  job: Job,
  active: readonly JobTaskView[],
  summary: ReconcileSummary,
  ctx: ScheduleContext,
): Promise<void> {
  const open = await ctx.store.openRuns(job.name, ctx.now());
  if (open.length === 0) return;
  const deadlineSeconds = job.startingDeadlineSeconds ?? ctx.config.DEFAULT_STARTING_DEADLINE_SECONDS;
  for (const run of open) {
    if (run.status === 'PENDING') {
      const action = pendingRunAction(run, startingDeadlineAt(run.due, deadlineSeconds), ctx.now());
      if (action.action === 'busy' || action.action === 'wait') continue;
      if (!ctx.budget.hasTimeFor(RESUME_MS)) return;
      const taskDefinition = await describeTaskDefinition(job.taskDefinition);
      summary.resumed.push(
        await continuePending({ job, cluster: record.cluster, due: run.due, taskDefinition, run }, ctx, {
          maxAttemptsNow: 1,
        }),
      );
    } else if (run.status === 'STARTED') {
      await recoverOutcomes(run, record.cluster, active, summary, ctx);
    }
  }
}

/** Tasks of a started run that ECS no longer wants running: their outcome, when the event never came. */
async function recoverOutcomes(
  run: RunRecord,
  cluster: string,
  active: readonly JobTaskView[],
  summary: ReconcileSummary,
  ctx: ScheduleContext,
): Promise<void> {
  const running = new Set(active.map((task) => task.taskArn));
  const gone = [...(run.taskArns ?? [])].filter((arn) => !running.has(arn));
  if (gone.length === 0) return;
  const recorded = new Set(
    (await ctx.store.tasksOfRun(run.jobName, run.due)).flatMap((task) =>
      task.outcome ? [task.outcome.taskArn] : [],
    ),
  );
  const unrecorded = gone.filter((arn) => !recorded.has(arn));
  if (unrecorded.length === 0) return finalizeIfDone(run.jobName, run.due, ctx);

  const { items, failures } = await describeTasks(cluster, unrecorded);
  const identity = { jobName: run.jobName, due: run.due };
  for (const task of items.filter((candidate) => candidate.lastStatus === 'STOPPED')) {
    const outcome = await outcomeOfDescribed(task, ctx);
    if (ctx.config.DRY_RUN) continue;
    if ((await recordStopped(identity, outcome, ctx)).firstStop) summary.outcomesRecovered++;
  }
  const missing = failures.filter((failure) => failure.reason === 'MISSING').length;
  if (missing > 0 && ctx.now() - (run.startedAt ?? run.createdAt ?? 0) > DESCRIBABLE_MS) {
    // ECS has forgotten the tasks and their stop events never arrived: say so rather than wait forever.
    ctx.logger.warn(
      'Outcome of a run is unknown: its tasks stopped unseen and ECS no longer describes them',
      {
        job: run.jobName,
        due: run.due,
        missing,
      },
    );
    if (!ctx.config.DRY_RUN) {
      await ctx.store.finalizeRun(run.jobName, run.due, 'UNKNOWN', ctx.now(), {
        reason: `${missing} task(s) stopped without a recorded outcome; ECS no longer describes them`,
      });
      summary.unknownOutcomes++;
    }
    return;
  }
  if (!ctx.config.DRY_RUN) await finalizeIfDone(run.jobName, run.due, ctx);
}
