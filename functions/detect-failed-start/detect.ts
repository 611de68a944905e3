import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { BATCH_CONCURRENCY, mapConcurrent } from '../../shared/aws/batch';
import { describeTaskDefinition, describeTasks, listTaskArns } from '../../shared/aws/ecs';
import { errorMessage } from '../../shared/aws/errors';
import { type Alert, publishAlert } from '../../shared/aws/sns';
import {
  buildAlert,
  type ContainerView,
  containerViews,
  type Repeats,
  signalsOf,
} from '../../shared/failed-start/alert';
import { type Classification, classify } from '../../shared/failed-start/classify';
import {
  type CountOutcome,
  failureTime,
  notReportable,
  predict,
  screen,
} from '../../shared/failed-start/decide';
import {
  type FailedStartEvent,
  snapshotOfDescribed,
  type TaskSnapshot,
} from '../../shared/failed-start/events';
import type { TimeBudget } from '../../shared/runtime/time';
import { parseStartedBy } from '../../shared/schedule/identity';
import type { FailedStartConfig } from './config';
import {
  claimTask,
  countedBefore,
  countFailure,
  markDone,
  markIgnored,
  readMarker,
  readMarkers,
  readProblem,
  registeredJob,
  releaseClaim,
  settled,
} from './store';

/** What one invocation works with; built by the handler and passed down so each step stays testable. */
export interface DetectRuntime {
  config: FailedStartConfig;
  logger: Logger;
  metrics: Metrics;
  budget: TimeBudget;
  /** Identifies this invocation as the holder of a task's lease (the Lambda request id). */
  owner: string;
  now: () => number;
}

/** Time kept back for one task's steps when deciding whether a reconcile pass can take another. */
const STEP_RESERVE_MS = 3_000;

export type TaskResult =
  | { task: string; status: 'ignored'; reason: 'not-stopped' | 'ran-then-stopped' }
  | {
      task: string;
      status: 'ignored';
      reason: 'intentional-stop' | 'host-interruption';
      category: string;
      entryId: string;
    }
  | { task: string; status: 'ignored'; reason: 'scheduled-job-run'; job: string; due: string }
  | { task: string; status: 'duplicate'; reason: 'already-handled' | 'in-progress-elsewhere' }
  /** Periodic pass only: this task's handling failed; the next pass tries it again. */
  | { task: string; status: 'failed'; error: string }
  | {
      task: string;
      status: 'alerted';
      problem: string;
      category: string;
      entryId: string;
      messageId?: string;
    }
  | {
      task: string;
      status: 'counted';
      problem: string;
      category: string;
      entryId: string;
      failedInWindow: number;
    }
  | {
      task: string;
      status: 'planned';
      category: string;
      entryId: string;
      /** What a live run would do, judged from the state table as it is. */
      plan: { action: 'alert' | 'count' | 'nothing'; alert?: Alert; failedInWindow?: number };
    };

export interface DetectSummary {
  status: 'ok';
  dryRun: boolean;
  results: TaskResult[];
  /** Reconcile passes only: stopped tasks looked at, and those left for the next pass for lack of time. */
  scanned?: number;
  deferred?: number;
  /** Reconcile passes only: clusters that could not be read this pass (deleted, access denied). */
  skippedClusters?: { cluster: string; reason: string }[];
}

const problemLabel = (task: TaskSnapshot, classification: Classification) =>
  `${task.cluster}/${task.group}/${classification.category}`;

/** The task definition for links and images; never worth failing the alert for. */
async function taskDefinitionOf(task: TaskSnapshot, logger: Logger) {
  try {
    return await describeTaskDefinition(task.taskDefinitionArn);
  } catch (error) {
    logger.warn('Task definition unavailable; alerting without its details', {
      taskDefinition: task.taskDefinitionArn,
      error: errorMessage(error),
    });
    return undefined;
  }
}

function emitFailedStart(metrics: Metrics, task: TaskSnapshot, classification: Classification): void {
  const metric = metrics.singleMetric();
  metric.addDimensions({ cluster: task.cluster, group: task.group, category: classification.category });
  metric.addMetric('FailedStarts', MetricUnit.Count, 1);
}

function alertFor(
  task: TaskSnapshot,
  classification: Classification,
  containers: ContainerView[],
  repeats: Repeats,
) {
  return buildAlert({ task, classification, containers, repeats });
}

/**
 * The job run a task belongs to, when run-scheduled-task started it: its startedBy names a job, and
 * the scheduler's registry (the state table) knows that job, in this cluster, with this task family. A
 * startedBy that merely looks like a job's is anyone's to set (RunTask takes any text): not trusted.
 */
async function jobRunOf(task: TaskSnapshot, runtime: DetectRuntime) {
  const run = parseStartedBy(task.startedBy);
  if (!run) return undefined;
  try {
    const job = await registeredJob(runtime.config.table, run.jobName);
    const family = task.taskDefinition.split(':')[0];
    if (job?.cluster === task.cluster && job.family === family) return run;
    runtime.logger.info('startedBy looks like a job run, but the scheduler has no such job here', {
      task: task.taskArn,
      startedBy: task.startedBy,
    });
  } catch (error) {
    // Unknown: alert. Two alerts for one failure beat none.
    runtime.logger.warn('Could not read the job registry; treating the task as no job run', {
      task: task.taskArn,
      error: errorMessage(error),
    });
  }
  return undefined;
}

/** Observe -> decide -> act for one stopped task. Idempotent: the same task twice gives one count. */
export async function handleTask(task: TaskSnapshot, runtime: DetectRuntime): Promise<TaskResult> {
  const { config, logger } = runtime;
  const screened = screen(task);
  if (screened !== 'failed-to-start') {
    logger.debug('Not a failure to start', { task: task.taskArn, reason: screened });
    return { task: task.taskArn, status: 'ignored', reason: screened };
  }
  // run-scheduled-task alerts on each failed run of its jobs, with this same diagnosis: one alert, not two.
  const run = await jobRunOf(task, runtime);
  if (run) {
    if (!config.dryRun) await markIgnored(config.table, task, 'scheduled-job-run', runtime.now());
    logger.info('Failed start left to run-scheduled-task', {
      task: task.taskArn,
      job: run.jobName,
      due: run.due,
    });
    return {
      task: task.taskArn,
      status: 'ignored',
      reason: 'scheduled-job-run',
      job: run.jobName,
      due: run.due,
    };
  }

  const definition = await taskDefinitionOf(task, logger);
  const containers = containerViews(task, definition);
  const classification = classify(signalsOf(task, containers));
  const described = { category: classification.category, entryId: classification.entryId };
  logger.info('Task failed to start', {
    task: task.taskArn,
    group: task.group,
    ...described,
    summary: classification.summary,
  });
  const ignored = notReportable(classification, config);
  if (ignored) {
    if (!config.dryRun) await markIgnored(config.table, task, ignored, runtime.now());
    return { task: task.taskArn, status: 'ignored', reason: ignored, ...described };
  }

  const now = runtime.now();
  const at = failureTime(task, now);
  if (config.dryRun) return plan(task, classification, containers, runtime, at);

  // The lease ends when this invocation would have timed out; a later one may then take over.
  const leaseUntil = now + runtime.budget.remainingMs() + STEP_RESERVE_MS;
  const claim = await claimTask(config.table, task, runtime.owner, now, leaseUntil);
  if (claim.kind === 'done' || claim.kind === 'busy') {
    logger.info('Task already handled', { task: task.taskArn, claim: claim.kind });
    return {
      task: task.taskArn,
      status: 'duplicate',
      reason: claim.kind === 'done' ? 'already-handled' : 'in-progress-elsewhere',
    };
  }

  let outcome: CountOutcome;
  if (claim.kind === 'resumed' && claim.marker.stage === 'counted' && claim.marker.outcome) {
    // A previous invocation counted the task but did not finish: do not count it twice.
    outcome = claim.marker.outcome;
    logger.info('Resuming a task left half done', { task: task.taskArn, outcome: outcome.kind });
  } else {
    // A taken-over task may have been counted already, its invocation dying before it could say so: the
    // window tells (it owes the alert, or was the last failure counted).
    const before =
      claim.kind === 'resumed'
        ? await countedBefore(config.table, task, classification.category, config.windowSeconds)
        : undefined;
    outcome =
      before ?? (await countFailure(config.table, task, classification.category, at, config.windowSeconds));
    if (!before) emitFailedStart(runtime.metrics, task, classification);
  }
  // No write between the count and the alert: the window's owedBy records the debt until markDone.
  const counted = { category: classification.category, outcome };

  const problem = problemLabel(task, classification);
  if (outcome.kind === 'suppressed') {
    await markDone(config.table, task, runtime.owner, counted);
    logger.info('Failure counted, alert already sent for this problem', {
      problem,
      failedInWindow: outcome.failedInWindow,
    });
    return {
      task: task.taskArn,
      status: 'counted',
      problem,
      ...described,
      failedInWindow: outcome.failedInWindow,
    };
  }

  const alert = alertFor(task, classification, containers, outcome.repeats);
  let messageId: string | undefined;
  try {
    messageId = await publishAlert(config.topicArn, alert);
  } catch (error) {
    // Give the claim back (keeping the count) and fail the invocation: Lambda's retry publishes.
    await releaseClaim(config.table, task, runtime.owner, counted).catch((release: unknown) =>
      logger.warn('Could not release the claim; the periodic pass will finish the alert', {
        task: task.taskArn,
        error: errorMessage(release),
      }),
    );
    throw error;
  }
  await markDone(config.table, task, runtime.owner, counted, messageId);
  logger.info('Alert sent', { problem, subject: alert.subject, messageId });
  return {
    task: task.taskArn,
    status: 'alerted',
    problem,
    ...described,
    ...(messageId ? { messageId } : {}),
  };
}

/** Dry run: reads the state table (never writes it) to say whether a live run would alert. */
async function plan(
  task: TaskSnapshot,
  classification: Classification,
  containers: ContainerView[],
  runtime: DetectRuntime,
  now: number,
): Promise<TaskResult> {
  const { config, logger } = runtime;
  const described = { category: classification.category, entryId: classification.entryId };
  const marker = await readMarker(config.table, task.taskArn);
  if (marker) {
    return { task: task.taskArn, status: 'planned', ...described, plan: { action: 'nothing' } };
  }
  const outcome = predict(
    await readProblem(config.table, task, classification.category),
    now,
    config.windowSeconds,
  );
  if (outcome.kind === 'suppressed') {
    logger.info('Dry run: would count the failure, not alert', { failedInWindow: outcome.failedInWindow });
    return {
      task: task.taskArn,
      status: 'planned',
      ...described,
      plan: { action: 'count', failedInWindow: outcome.failedInWindow },
    };
  }
  const alert = alertFor(task, classification, containers, outcome.repeats);
  logger.info('Dry run: would send this alert', { subject: alert.subject, text: alert.text });
  return { task: task.taskArn, status: 'planned', ...described, plan: { action: 'alert', alert } };
}

/**
 * The periodic pass: stopped tasks of the configured clusters (ECS keeps them about an hour) go
 * through handleTask; markers make it a no-op for tasks already handled from their event.
 */
export async function reconcile(runtime: DetectRuntime): Promise<DetectSummary> {
  const { config, logger } = runtime;
  const results: TaskResult[] = [];
  let scanned = 0;
  let deferred = 0;
  const skippedClusters: { cluster: string; reason: string }[] = [];
  for (const cluster of config.clusters) {
    let listed: Awaited<ReturnType<typeof describeTasks>>;
    try {
      listed = await describeTasks(cluster, await listTaskArns(cluster, { desiredStatus: 'STOPPED' }));
    } catch (error) {
      // One cluster that can't be read (deleted, access denied) must not hide the others' failures.
      logger.error('Could not read the stopped tasks of a cluster; skipped this pass', {
        cluster,
        error: errorMessage(error),
      });
      skippedClusters.push({ cluster, reason: errorMessage(error) });
      continue;
    }
    const { items, failures } = listed;
    if (failures.length > 0) logger.warn('Some stopped tasks could not be described', { cluster, failures });
    const failed = items
      .map((item) => snapshotOfDescribed(item))
      .filter((task): task is TaskSnapshot => task !== undefined && screen(task) === 'failed-to-start');
    scanned += items.length;
    // Tasks already handled from their event are the normal case: one batched read of their markers
    // leaves only the others to claim (a dry run reads each marker itself).
    const markers = config.dryRun
      ? new Map()
      : await readMarkers(
          config.table,
          failed.map((task) => task.taskArn),
        );
    const now = runtime.now();
    const candidates = failed.filter((task) => !settled(markers.get(task.taskArn), now));
    const outcomes = await mapConcurrent(
      candidates,
      BATCH_CONCURRENCY,
      async (task): Promise<TaskResult | undefined> => {
        if (!runtime.budget.hasTimeFor(STEP_RESERVE_MS)) return undefined;
        try {
          return await handleTask(task, runtime);
        } catch (error) {
          // One task that fails (SNS down, a throttled write) must not hide the others: the next pass retries it.
          logger.error('Could not handle a stopped task; the next pass retries it', {
            task: task.taskArn,
            error: errorMessage(error),
          });
          return { task: task.taskArn, status: 'failed', error: errorMessage(error) };
        }
      },
    );
    for (const outcome of outcomes) {
      if (!outcome) deferred++;
      // Tasks already handled from their event are the normal case; the summary lists the rest.
      else if (outcome.status !== 'duplicate') results.push(outcome);
    }
  }
  const acted = results.filter((result) => result.status === 'alerted' || result.status === 'counted');
  if (acted.length > 0)
    logger.info('Reconcile pass found failures no event had reported', { count: acted.length });
  return {
    status: 'ok',
    dryRun: config.dryRun,
    results,
    scanned,
    deferred,
    ...(skippedClusters.length > 0 ? { skippedClusters } : {}),
  };
}

export async function handleEvent(event: FailedStartEvent, runtime: DetectRuntime): Promise<DetectSummary> {
  if (event.kind === 'reconcile') return reconcile(runtime);
  const result = await handleTask(event.task, runtime);
  return { status: 'ok', dryRun: runtime.config.dryRun, results: [result] };
}
