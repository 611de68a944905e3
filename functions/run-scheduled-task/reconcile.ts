import { BATCH_CONCURRENCY, mapConcurrent } from '../../shared/aws/batch';
import { describeTaskDefinition, describeTasks, stopTask } from '../../shared/aws/ecs';
import { errorMessage, kindOf } from '../../shared/aws/errors';
import { backlogAlert, longRunAlert, silentScheduleAlert } from '../../shared/schedule/alerts';
import { startingDeadlineAt } from '../../shared/schedule/decide';
import { periodMs, scheduleOf } from '../../shared/schedule/expression';
import { familyOf, type Job } from '../../shared/schedule/job';
import {
  type DeadlineStop,
  deadlineStops,
  type LongRun,
  longRuns,
  pendingRunAction,
  type SilentSchedule,
  silentSchedules,
} from '../../shared/schedule/reconcile';
import { parseJob } from '../../shared/schedule/validate';
import type { RegisteredJob, RunRecord } from '../../shared/state/jobs/store';
import { alertKey } from '../../shared/state/keys';
import { alertOnce } from './alerts';
import {
  emit,
  METRIC,
  RUN_ALERT_MARKER_SECONDS,
  type ScheduleContext,
  SILENCE_ALERT_MARKER_SECONDS,
} from './context';
import { type JobTaskView, jobTasksOfFamily } from './ecs-view';
import { finalizeIfDone, outcomeOfDescribed, recordStopped } from './outcomes';
import { continuePending, type RunSummary, reportClusterGone } from './run-job';

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
  /** Runs active past their job's longRunAlertSeconds (alerted once each). */
  longRuns: LongRun[];
}

interface Known {
  record: RegisteredJob;
  job: Job;
}

/** A job with the runs the pass may have to finish (PENDING or STARTED, in the recent window). */
interface Watched extends Known {
  open: RunRecord[];
}

/** The job's tasks are listed per cluster and family: the job's own, and each open run's (a job may move). */
const groupKey = (cluster: string, family: string) => `${cluster}/${family}`;

/** What ListTasks said for each (cluster, family): its job tasks, or why it could not be listed. */
interface Listing {
  tasks: Map<string, JobTaskView[]>;
  failed: Map<string, { cluster: string; error: unknown }>;
}

/**
 * The every-minute pass. Re-reads real state and finishes what events left undone: stops runs past
 * activeDeadlineSeconds, resumes runs left PENDING (their invocation ran out of time or died) or reports
 * them missed, and records outcomes of runs whose stop events were lost. A cluster it can't read (deleted,
 * ListTasks denied) costs only the jobs there: they are skipped, never taken for runs whose tasks are gone.
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
    longRuns: [],
  };
  const known: Known[] = [];
  for (const record of await ctx.store.listJobs()) {
    const parsed = parseJob(record.job);
    if (parsed.ok) known.push({ record, job: parsed.job });
    else summary.skippedJobs.push({ job: record.name, reason: 'stored definition no longer valid' });
  }
  summary.jobs = known.length;
  if (known.length === 0) return summary;
  const skip = (job: string, reason: string) => {
    if (!summary.skippedJobs.some((skipped) => skipped.job === job))
      summary.skippedJobs.push({ job, reason });
  };

  // Open runs first: their tasks are listed in each run's own cluster.
  const watched: Watched[] = await mapConcurrent(known, BATCH_CONCURRENCY, async (entry) => {
    try {
      return { ...entry, open: await ctx.store.openRuns(entry.job.name, ctx.now()) };
    } catch (error) {
      ctx.logger.error('Could not read the open runs of a job', {
        job: entry.job.name,
        error: errorMessage(error),
      });
      skip(entry.job.name, errorMessage(error));
      return { ...entry, open: [] };
    }
  });
  const listing = await listJobTasks(watched, ctx);
  const active = [...listing.tasks.values()].flat();

  const now = ctx.now();
  // Only tasks that were listed can be stopped: a cluster that could not be read stops nothing.
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
    try {
      await stopTask(stop.cluster, stop.taskArn, stop.reason);
      emit(ctx, METRIC.deadlineStops, stop.jobName);
    } catch (error) {
      // The next pass tries again; the other stops and jobs go on.
      ctx.logger.error('Could not stop a run past its active deadline', {
        ...stop,
        error: errorMessage(error),
      });
    }
  }

  await alertLongRuns(known, active, summary, ctx);

  await mapConcurrent(watched, BATCH_CONCURRENCY, async (entry) => {
    const unreadable = unreadableGroups(entry, listing);
    if (unreadable.length > 0) {
      skip(entry.job.name, unreadable.map(({ error }) => errorMessage(error)).join('; '));
    }
    try {
      await reconcileJob(entry, listing, summary, ctx);
    } catch (error) {
      // One job's trouble must not starve the others; the next pass retries it.
      ctx.logger.error('Reconcile failed for a job', { job: entry.job.name, error: errorMessage(error) });
      skip(entry.job.name, errorMessage(error));
    }
  });
  await alertClustersGone(known, listing, ctx);
  await alertSilentSchedules(known, summary, ctx);
  await alertBacklogs(known, ctx);
  ctx.logger.info('Reconciled', {
    jobs: summary.jobs,
    deadlineStops: summary.deadlineStops.length,
    resumed: summary.resumed.length,
    outcomesRecovered: summary.outcomesRecovered,
    skippedJobs: summary.skippedJobs.length,
  });
  return summary;
}

/**
 * One ListTasks per cluster and family, whatever the number of jobs and runs sharing them. A group that
 * can't be listed is recorded as such, so its runs are left alone this pass rather than read as stopped.
 */
async function listJobTasks(watched: readonly Watched[], ctx: ScheduleContext): Promise<Listing> {
  const groups = new Map<string, { cluster: string; family: string }>();
  for (const { record, open } of watched) {
    groups.set(groupKey(record.cluster, record.family), { cluster: record.cluster, family: record.family });
    for (const run of open)
      groups.set(groupKey(run.cluster, record.family), { cluster: run.cluster, family: record.family });
  }
  const listing: Listing = { tasks: new Map(), failed: new Map() };
  await mapConcurrent([...groups], BATCH_CONCURRENCY, async ([key, { cluster, family }]) => {
    try {
      listing.tasks.set(key, await jobTasksOfFamily(cluster, family));
    } catch (error) {
      ctx.logger.error('Could not list the job tasks of a cluster; its jobs are skipped this pass', {
        cluster,
        family,
        error: errorMessage(error),
      });
      listing.failed.set(key, { cluster, error });
    }
  });
  return listing;
}

/** The groups a job needs (its own cluster's, its open runs') that could not be listed. */
function unreadableGroups(entry: Watched, listing: Listing) {
  const keys = new Set([
    groupKey(entry.record.cluster, entry.record.family),
    ...entry.open.map((run) => groupKey(run.cluster, entry.record.family)),
  ]);
  return [...keys].flatMap((key) => {
    const failed = listing.failed.get(key);
    return failed ? [failed] : [];
  });
}

/**
 * A job whose own cluster ECS no longer knows (deleted, often with the job retired on purpose) is said
 * once: its due runs can't start and the pass can't watch it, and nothing else would tell.
 */
async function alertClustersGone(known: readonly Known[], listing: Listing, ctx: ScheduleContext) {
  for (const { record, job } of known) {
    const failed = listing.failed.get(groupKey(record.cluster, record.family));
    if (!failed || kindOf(failed.error) !== 'not-found') continue;
    try {
      await reportClusterGone(job.name, record.cluster, failed.error, ctx);
    } catch (error) {
      // The next pass tries again: alertOnce releases a claim whose publish failed.
      ctx.logger.error('Could not send the cluster-gone alert', {
        job: job.name,
        error: errorMessage(error),
      });
    }
  }
}

/**
 * One alert per run active past its job's bound (longRunAlertSeconds, by default the schedule's period):
 * with Forbid it holds the next due times back, and nothing else says so while it runs. A job whose
 * activeDeadlineSeconds comes first is left to that stop.
 */
async function alertLongRuns(
  known: readonly Known[],
  active: readonly JobTaskView[],
  summary: ReconcileSummary,
  ctx: ScheduleContext,
) {
  summary.longRuns = longRuns(
    known.map(({ job }) => {
      // The default bound (the period) only matters where a long run holds the next due times back.
      const schedule = job.concurrencyPolicy === 'Forbid' ? scheduleOf(job) : undefined;
      const period = schedule && periodMs(schedule, ctx.now());
      const byDefault =
        job.concurrencyPolicy !== 'Forbid'
          ? undefined
          : (job.expectEverySeconds ?? (period ? Math.round(period / 1000) : undefined));
      const limit = job.longRunAlertSeconds ?? byDefault;
      const stoppedFirst =
        job.activeDeadlineSeconds !== undefined && limit !== undefined && job.activeDeadlineSeconds <= limit;
      return { name: job.name, longRunAlertSeconds: stoppedFirst ? undefined : limit };
    }),
    active,
    ctx.now(),
  );
  for (const long of summary.longRuns) {
    ctx.logger.warn('Run active longer than expected', { ...long });
    if (ctx.config.DRY_RUN) continue;
    try {
      await alertOnce(
        ctx.store,
        ctx.config.ALERT_TOPIC_ARN,
        alertKey(long.jobName, 'long-running', long.due),
        longRunAlert(long),
        ctx.now(),
        RUN_ALERT_MARKER_SECONDS,
      );
    } catch (error) {
      ctx.logger.error('Could not send the long-run alert', {
        job: long.jobName,
        error: errorMessage(error),
      });
    }
  }
}

/** A backlog's misses are alerted once the burst has been quiet this long, so the count is whole. */
const BACKLOG_QUIET_MS = 120_000;

/** One alert per backlog: the due times a burst of late deliveries brought past their deadline. */
async function alertBacklogs(known: readonly Known[], ctx: ScheduleContext) {
  for (const { record, job } of known) {
    const { backlogMissed, backlogFirstDue, backlogLastDue, backlogLastAt } = record;
    if (!backlogMissed || !backlogFirstDue || backlogLastAt === undefined) continue;
    if (ctx.now() - backlogLastAt < BACKLOG_QUIET_MS || ctx.config.DRY_RUN) continue;
    try {
      await alertOnce(
        ctx.store,
        ctx.config.ALERT_TOPIC_ARN,
        alertKey(job.name, 'missed', `backlog#${backlogFirstDue}`),
        backlogAlert({
          jobName: job.name,
          cluster: record.cluster,
          missed: backlogMissed,
          firstDue: backlogFirstDue,
          lastDue: backlogLastDue ?? backlogFirstDue,
        }),
        ctx.now(),
        RUN_ALERT_MARKER_SECONDS,
      );
      await ctx.store.clearBacklog(job.name, backlogLastAt);
    } catch (error) {
      ctx.logger.error('Could not send the backlog alert', { job: job.name, error: errorMessage(error) });
    }
  }
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
      schedule: scheduleOf(job),
      flexibleTimeWindowMinutes: job.flexibleTimeWindowMinutes,
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
        silentScheduleAlert({
          ...silent,
          cluster,
          lastSeenAt: new Date(silent.lastSeenAt).toISOString(),
          schedule: byName.get(silent.jobName)?.job.schedule,
        }),
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
  { job, open }: Watched,
  listing: Listing,
  summary: ReconcileSummary,
  ctx: ScheduleContext,
): Promise<void> {
  const family = familyOf(job.taskDefinition);
  const deadlineSeconds = job.startingDeadlineSeconds ?? ctx.config.DEFAULT_STARTING_DEADLINE_SECONDS;
  for (const run of open) {
    if (run.status === 'PENDING') {
      const action = pendingRunAction(run, startingDeadlineAt(run.due, deadlineSeconds), ctx.now());
      if (action.action === 'busy' || action.action === 'wait') continue;
      if (!ctx.budget.hasTimeFor(RESUME_MS)) return;
      const taskDefinition = await describeTaskDefinition(job.taskDefinition);
      // In the run's own cluster: its clientTokens, and any task it started, are there.
      summary.resumed.push(
        await continuePending({ job, cluster: run.cluster, due: run.due, taskDefinition, run }, ctx, {
          maxAttemptsNow: 1,
        }),
      );
    } else if (run.status === 'STARTED') {
      const tasks = listing.tasks.get(groupKey(run.cluster, family));
      // Not listed (the cluster could not be read): its tasks may well be running; never guess "gone".
      if (!tasks) continue;
      await recoverOutcomes(run, tasks, summary, ctx, job.successContainers);
    }
  }
}

/** Tasks of a started run that ECS no longer wants running: their outcome, when the event never came. */
async function recoverOutcomes(
  run: RunRecord,
  active: readonly JobTaskView[],
  summary: ReconcileSummary,
  ctx: ScheduleContext,
  successContainers?: readonly string[],
): Promise<void> {
  const cluster = run.cluster;
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
    const outcome = await outcomeOfDescribed(task, ctx, successContainers);
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
