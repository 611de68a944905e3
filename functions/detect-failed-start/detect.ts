import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Task } from '@aws-sdk/client-ecs';
import { BATCH_CONCURRENCY, mapConcurrent } from '../../shared/aws/batch';
import { describeServices, describeTasks, listTaskArns, listTaskArnsPage } from '../../shared/aws/ecs';
import { errorMessage, kindOf } from '../../shared/aws/errors';
import { type Alert, publishAlert, publishRaw } from '../../shared/aws/sns';
import {
  buildAlert,
  composeMessage,
  containerViews,
  groupParts,
  type Notification,
  signalsOf,
} from '../../shared/failed-start/alert';
import { type Classification, classify } from '../../shared/failed-start/classify';
import {
  type Counted,
  causeOf,
  EPISODE_EXPIRY_MS,
  failureTime,
  type Incident,
  type IncidentRef,
  type MessageKind,
  messageKindOf,
  notReportable,
  owesFiring,
  quietSince,
  repeatAfterMs,
  screen,
} from '../../shared/failed-start/decide';
import {
  describedTaskIssues,
  type FailedStartEvent,
  snapshotOfDescribed,
  type TaskSnapshot,
} from '../../shared/failed-start/events';
import type { Category } from '../../shared/failed-start/taxonomy';
import type { LeasingContext } from '../../shared/runtime/context';
import { parseStartedBy } from '../../shared/schedule/identity';
import {
  claimTask,
  markDone,
  markIgnored,
  readMarker,
  readMarkers,
  registeredJob,
  releaseClaim,
  settled,
} from '../../shared/state/failures';
import type { FailedStartConfig } from './config';
import {
  claimMessage,
  finishCounting,
  finishMessage,
  forgetIncident,
  incidentPk,
  indexIncident,
  openIncidentPks,
  readIncident,
  readIncidents,
  recordFailure,
  releaseMessage,
} from './incidents';
import { type PassState, readPassState, writePassState } from './pass-state';
import { taskDefinitionFor } from './task-definitions';

/** What one invocation of detect-failed-start works with (shared/runtime/context.ts). */
export interface DetectContext extends LeasingContext<FailedStartConfig> {
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
      /** Which message of the problem this invocation sent. */
      message: MessageKind;
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
  /**
   * Reconcile passes only: stopped tasks listed, and those left for the next pass (over the describe cap,
   * or for lack of time).
   */
  scanned?: number;
  deferred?: number;
  /** Reconcile passes only: clusters whose list of stopped tasks was longer than the cap: read on next pass. */
  carried?: number;
  /** Reconcile passes only: stopped tasks described without the fields needed to check them (logged). */
  unreadable?: number;
  /** Reconcile passes only: clusters that could not be read this pass (deleted, access denied). */
  skippedClusters?: { cluster: string; reason: string }[];
  /** Reconcile passes only: messages of open problems sent by this pass (owed firing, repeats, resolved). */
  messages?: { problem: string; kind: MessageKind; messageId?: string }[];
}

/** The task definition for links and images; never worth failing the alert for. */
async function taskDefinitionOf(task: TaskSnapshot, runtime: DetectContext) {
  const { config, logger } = runtime;
  try {
    return await taskDefinitionFor(config.table, task.taskDefinitionArn, {
      write: !config.dryRun,
      now: runtime.now(),
      onStoreError: (error) =>
        logger.warn('Could not keep the task definition in the state table', { error: errorMessage(error) }),
    });
  } catch (error) {
    logger.warn('Task definition unavailable; alerting without its details', {
      taskDefinition: task.taskDefinitionArn,
      error: errorMessage(error),
    });
    return undefined;
  }
}

/**
 * FailedStarts per (cluster), (cluster, group) and (cluster, group, category): one alarm covers a cluster
 * or a service whatever the reason, and the finest set still says why.
 */
function emitFailedStart(metrics: Metrics, task: TaskSnapshot, classification: Classification): void {
  // One EMF record per dimension set: Powertools warns (a non-JSON log line) when one record carries a
  // key in several sets.
  const sets: Record<string, string>[] = [
    { cluster: task.cluster },
    { cluster: task.cluster, group: task.group },
    { cluster: task.cluster, group: task.group, category: classification.category },
  ];
  for (const dimensions of sets) {
    const metric = metrics.singleMetric();
    metric.addDimensions(dimensions);
    metric.addMetric('FailedStarts', MetricUnit.Count, 1);
  }
}

/**
 * The job run a task belongs to, when run-scheduled-task started it: its startedBy names a job, and
 * the scheduler's registry (the state table) knows that job, in this cluster, with this task family. A
 * startedBy that merely looks like a job's is anyone's to set (RunTask takes any text): not trusted.
 */
async function jobRunOf(task: TaskSnapshot, runtime: DetectContext) {
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
export async function handleTask(task: TaskSnapshot, runtime: DetectContext): Promise<TaskResult> {
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

  const definition = await taskDefinitionOf(task, runtime);
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
  const ref = incidentRefOf(task, classification);
  const failure = {
    group: task.group,
    family: familyOf(task),
    taskArn: task.taskArn,
    detail: buildAlert({ task, classification, containers }),
  };
  if (config.dryRun) return plan(task, ref, failure, described, runtime, at);

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

  let counted: Counted;
  let failures: number;
  let opened = false;
  let dueAt: number | undefined;
  if (claim.kind === 'resumed' && claim.marker.stage === 'counted' && claim.marker.outcome) {
    // A previous invocation counted the task, then could not send what was due: do not count it twice.
    counted = claim.marker.outcome;
    failures = 0;
    logger.info('Resuming a task left half done', { task: task.taskArn });
  } else {
    // One write counts the failure and records the task in the problem's `counting` set, only if it is
    // not there: a takeover of a task whose invocation died after counting it does not count it again.
    const recorded = await recordFailure(config.table, ref, failure, at, now, {
      waitMs: config.groupWaitSeconds * 1000,
      windowSeconds: config.windowSeconds,
    });
    counted = { incidentPk: ref.pk, episode: recorded.incident.episode };
    failures = recorded.incident.failures;
    if (recorded.kind === 'counted-before') {
      // The problem may have been opened by the invocation that died before it could list it as open.
      await indexIncident(config.table, ref.pk);
      logger.info('Resuming a task counted by an invocation that died', { task: task.taskArn });
    } else emitFailedStart(runtime.metrics, task, classification);
    opened = recorded.kind === 'opened';
    dueAt = recorded.incident.dueAt;
    if (recorded.kind === 'late') {
      await finish(task, runtime, { category: classification.category, outcome: counted });
      logger.info('Failure from before the problem was resolved, read late: counted, nothing sent', {
        problem: ref.pk,
      });
      return {
        task: task.taskArn,
        status: 'counted',
        problem: ref.pk,
        ...described,
        failedInWindow: failures,
      };
    }
  }

  let sent: Sent | undefined;
  try {
    sent = await sendIfDue(counted, runtime, opened ? dueAt : undefined);
  } catch (error) {
    // Give the claim back (keeping the count) and fail the invocation: Lambda's retry sends what is due.
    await releaseClaim(config.table, task, runtime.owner, {
      category: classification.category,
      outcome: counted,
    }).catch((release: unknown) =>
      logger.warn('Could not release the claim; the periodic pass will send what is due', {
        task: task.taskArn,
        error: errorMessage(release),
      }),
    );
    throw error;
  }
  await finish(task, runtime, { category: classification.category, outcome: counted }, sent?.messageId);
  if (!sent) {
    logger.info('Failure counted; no message due for this problem', { problem: ref.pk, failures });
    return { task: task.taskArn, status: 'counted', problem: ref.pk, ...described, failedInWindow: failures };
  }
  return {
    task: task.taskArn,
    status: 'alerted',
    problem: ref.pk,
    ...described,
    message: sent.kind,
    ...(sent.messageId ? { messageId: sent.messageId } : {}),
  };
}

/**
 * Marks the task done and then, if this invocation still held it, takes it out of its problem's
 * `counting` set (in that order: a takeover between the two stops at the marker).
 */
async function finish(
  task: TaskSnapshot,
  runtime: DetectContext,
  counted: { category: Category; outcome: Counted },
  messageId?: string,
): Promise<void> {
  const { config, logger } = runtime;
  if (!(await markDone(config.table, task, runtime.owner, counted, messageId))) return;
  await finishCounting(config.table, counted.outcome.incidentPk, task.taskArn).catch((error: unknown) =>
    // Left behind, the entry costs the problem's item a few bytes and nothing else.
    logger.warn('Could not clear the task from its problem', {
      task: task.taskArn,
      error: errorMessage(error),
    }),
  );
}

const familyOf = (task: TaskSnapshot) => task.taskDefinition.split(':')[0] ?? task.taskDefinition;

function incidentRefOf(task: TaskSnapshot, classification: Classification): IncidentRef {
  const cause = causeOf(classification.category, classification.facts, task.group);
  return {
    pk: incidentPk(task.clusterArn, classification.category, cause.key),
    cluster: task.cluster,
    clusterArn: task.clusterArn,
    category: classification.category,
    causeKey: cause.key,
    ...(cause.label ? { causeLabel: cause.label } : {}),
  };
}

interface Sent {
  kind: MessageKind;
  messageId?: string;
}

/** How long one message's sender holds it: a publish takes well under a second, with SDK retries a few. */
const MESSAGE_LEASE_MS = 30_000;

/**
 * Sends the problem's firing or repeat message if one is due. The invocation that opened the problem
 * first waits out the grouping wait (when it has the time), so failures of the same cause arriving
 * meanwhile are in the same message; any later invocation or the periodic pass sends it otherwise.
 */
async function sendIfDue(
  counted: Counted,
  runtime: DetectContext,
  waitUntil?: number,
): Promise<Sent | undefined> {
  const { config } = runtime;
  if (waitUntil !== undefined) {
    const wait = waitUntil - runtime.now();
    if (wait > 0) {
      if (runtime.budget.remainingMs() - STEP_RESERVE_MS < wait) return undefined;
      await runtime.sleep(wait);
    }
  }
  const now = runtime.now();
  const claimed = await claimMessage(
    config.table,
    { pk: counted.incidentPk, episode: counted.episode },
    runtime.owner,
    now,
    MESSAGE_LEASE_MS,
    { due: true },
  );
  if (!claimed) return undefined;
  if (claimed.state === 'firing' && claimed.failures <= claimed.notifiedFailures) {
    await releaseMessage(config.table, claimed.pk, runtime.owner);
    return undefined;
  }
  return sendFiring(claimed, runtime, now);
}

async function sendFiring(incident: Incident, runtime: DetectContext, now: number): Promise<Sent> {
  const { config } = runtime;
  const kind = messageKindOf(incident);
  const alertsSent = incident.alertsSent + 1;
  const nextDueAt = now + repeatAfterMs(alertsSent, config.windowSeconds);
  const message = composeMessage({ incident, kind, now, nextDueAt });
  const messageId = await deliver(message, incident, runtime);
  await finishMessage(config.table, incident, runtime.owner, {
    kind: 'firing',
    at: now,
    told: incident.failures,
    alertsSent,
    nextDueAt,
    subject: message.subject,
  });
  runtime.logger.info('Problem message sent', {
    problem: incident.pk,
    kind,
    subject: message.subject,
    messageId,
  });
  return { kind, ...(messageId ? { messageId } : {}) };
}

/** Publishes to the alerts topic (and the chat topic, when set); gives the message back if SNS fails. */
async function deliver(
  message: Notification,
  incident: Incident,
  runtime: DetectContext,
): Promise<string | undefined> {
  const { config, logger, metrics } = runtime;
  let messageId: string | undefined;
  try {
    messageId = await publishAlert(config.topicArn, message);
  } catch (error) {
    await releaseMessage(config.table, incident.pk, runtime.owner).catch((release: unknown) =>
      logger.warn('Could not give the message back; it is sent once its lease ends', {
        problem: incident.pk,
        error: errorMessage(release),
      }),
    );
    throw error;
  }
  const chatTopic = config.chatTopicArn;
  if (chatTopic) {
    try {
      await publishRaw(chatTopic, JSON.stringify(message.chat), message.attributes);
    } catch (error) {
      // The alert itself went out: chat is a second copy, so its failure is reported, not retried.
      logger.error('Could not publish the chat notification', {
        problem: incident.pk,
        error: errorMessage(error),
      });
      metrics.addMetric('ChatDeliveryFailed', MetricUnit.Count, 1);
    }
  }
  return messageId;
}

/** Dry run: reads the state table (never writes it) to say whether a live run would send a message. */
async function plan(
  task: TaskSnapshot,
  ref: IncidentRef,
  failure: { group: string; family: string; taskArn: string; detail: Alert },
  described: { category: Category; entryId: string },
  runtime: DetectContext,
  at: number,
): Promise<TaskResult> {
  const { config, logger } = runtime;
  const now = runtime.now();
  const marker = await readMarker(config.table, task.taskArn);
  if (marker) return { task: task.taskArn, status: 'planned', ...described, plan: { action: 'nothing' } };
  const current = await readIncident(config.table, ref.pk);
  const member = {
    ...failure,
    failures: 1,
    firstFailureAt: at,
    lastFailureAt: at,
    lastTaskArn: task.taskArn,
  };
  const open =
    current &&
    !(current.state === 'resolved' && (current.resolvedAt === undefined || at > current.resolvedAt)) &&
    current.lastFailureAt >= at - EPISODE_EXPIRY_MS;
  if (open && (current.state === 'pending' || current.dueAt > now)) {
    logger.info('Dry run: would count the failure, not send', { failures: current.failures + 1 });
    return {
      task: task.taskArn,
      status: 'planned',
      ...described,
      plan: { action: 'count', failedInWindow: current.failures + 1 },
    };
  }
  const incident: Incident = open
    ? {
        ...current,
        failures: current.failures + 1,
        lastFailureAt: Math.max(current.lastFailureAt, at),
        members: [...current.members.filter((item) => item.group !== failure.group), member],
      }
    : {
        ...ref,
        episode: (current?.episode ?? 0) + 1,
        state: 'pending',
        episodeStartedAt: at,
        lastFailureAt: at,
        failures: 1,
        totalFailures: (current?.totalFailures ?? 0) + 1,
        notifiedFailures: 0,
        alertsSent: 0,
        dueAt: now,
        ...(current ? { recurredAfter: current.resolvedAt ?? current.lastFailureAt } : {}),
        members: [member],
      };
  const kind = messageKindOf(incident);
  const alert = composeMessage({
    incident,
    kind,
    now,
    nextDueAt: now + repeatAfterMs(incident.alertsSent + 1, config.windowSeconds),
  });
  logger.info('Dry run: would send this message', { subject: alert.subject, text: alert.text });
  return { task: task.taskArn, status: 'planned', ...described, plan: { action: 'alert', alert } };
}

/**
 * The periodic pass: stopped tasks of the configured clusters (ECS keeps them about an hour) that no
 * event settled go through handleTask. Its cost is bounded per cluster whatever the incident: it lists
 * at most RECONCILE_MAX_LISTED tasks, continuing where the last pass stopped; skips the tasks it looked
 * at before (markers read in batch, and the pass item's looked-at tasks); and describes at most
 * RECONCILE_MAX_DESCRIBED of the others, in listing order. What is left is reported (summary and
 * metrics) and read by the next pass.
 */
export async function reconcile(runtime: DetectContext): Promise<DetectSummary> {
  const { config, logger } = runtime;
  const results: TaskResult[] = [];
  const counts = { scanned: 0, deferred: 0, unreadable: 0, carried: 0 };
  const skippedClusters: { cluster: string; reason: string }[] = [];
  const ranByCluster = new Map<string, Readonly<Record<string, number>>>();
  for (const cluster of config.clusters) {
    let looked: Awaited<ReturnType<typeof lookAtCluster>>;
    try {
      looked = await lookAtCluster(cluster, runtime);
    } catch (error) {
      // One cluster that can't be read (deleted, access denied) must not hide the others' failures.
      logger.error('Could not read the stopped tasks of a cluster; skipped this pass', {
        cluster,
        error: errorMessage(error),
      });
      skippedClusters.push({ cluster, reason: errorMessage(error) });
      continue;
    }
    const { failed, pass } = looked;
    ranByCluster.set(cluster, pass.ranAt);
    counts.scanned += looked.listed;
    counts.unreadable += looked.unreadable;
    counts.deferred += looked.deferred;
    if (pass.nextToken) counts.carried++;
    const outcomes = await mapConcurrent(
      failed,
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
      if (!outcome) counts.deferred++;
      // Tasks already handled from their event are the normal case; the summary lists the rest.
      else if (outcome.status !== 'duplicate') results.push(outcome);
    }
    if (!config.dryRun) {
      await writePassState(config.table, cluster, pass, looked.previous, looked.startedAt).catch(
        (error: unknown) =>
          // The next pass then looks at some tasks again: more calls, nothing missed.
          logger.warn('Could not record where the pass left off', { cluster, error: errorMessage(error) }),
      );
    }
  }
  // Work left for the next pass is said, never silently dropped.
  if (counts.deferred > 0) runtime.metrics.addMetric('ReconcileDeferred', MetricUnit.Count, counts.deferred);
  if (counts.carried > 0)
    runtime.metrics.addMetric('ReconcileListingCarried', MetricUnit.Count, counts.carried);
  const messages = config.dryRun ? [] : await sweepProblems(runtime, ranByCluster);
  const acted = results.filter((result) => result.status === 'alerted' || result.status === 'counted');
  if (acted.length > 0)
    logger.info('Reconcile pass found failures no event had reported', { count: acted.length });
  return {
    status: 'ok',
    dryRun: config.dryRun,
    results,
    scanned: counts.scanned,
    deferred: counts.deferred,
    ...(counts.carried > 0 ? { carried: counts.carried } : {}),
    ...(counts.unreadable > 0 ? { unreadable: counts.unreadable } : {}),
    ...(skippedClusters.length > 0 ? { skippedClusters } : {}),
    ...(messages.length > 0 ? { messages } : {}),
  };
}

const taskIdOf = (taskArn: string) => taskArn.slice(taskArn.lastIndexOf('/') + 1);

/**
 * One cluster's share of a pass, within its caps: the stopped tasks listed from where the last pass
 * stopped, those neither looked at before nor settled by a marker described, and the ones that failed to
 * start returned for handling. `pass` is where the next pass starts.
 */
async function lookAtCluster(cluster: string, runtime: DetectContext) {
  const { config, logger } = runtime;
  const startedAt = runtime.now();
  const previous = await readPassState(config.table, cluster).catch((error: unknown) => {
    logger.warn('Could not read where the last pass left off; starting over', {
      cluster,
      error: errorMessage(error),
    });
    return { seen: {}, ranAt: {} } as PassState;
  });
  // At most RECONCILE_MAX_LISTED tasks, from where the last pass stopped.
  const arns: string[] = [];
  let nextToken = previous.nextToken;
  do {
    let page: Awaited<ReturnType<typeof listTaskArnsPage>>;
    try {
      page = await listTaskArnsPage(cluster, { desiredStatus: 'STOPPED' }, nextToken);
    } catch (error) {
      // A token ECS no longer takes: start the list over (anything else is the cluster's problem).
      if (!nextToken || kindOf(error) !== 'invalid') throw error;
      logger.info('The carried ListTasks position is no longer valid; listing from the start', { cluster });
      nextToken = undefined;
      continue;
    }
    arns.push(...page.arns);
    nextToken = page.nextToken;
  } while (nextToken && arns.length < config.reconcileMaxListed);

  const seen = { ...previous.seen };
  const ranAt = { ...previous.ranAt };
  const noteRan = (task: Task) => {
    const started = task.startedAt?.getTime();
    if (started === undefined || !task.group || task.group.startsWith('service:')) return;
    ranAt[task.group] = Math.max(ranAt[task.group] ?? 0, started);
  };
  const unseen = [...new Set(arns)].filter((arn) => !(taskIdOf(arn) in seen));
  // Tasks already handled from their event are the normal case: one batched read of their markers
  // leaves only the others (a dry run reads each marker itself, when it handles the task).
  const read: Awaited<ReturnType<typeof readMarkers>> = config.dryRun
    ? { markers: new Map(), unread: 0 }
    : await readMarkers(config.table, unseen, { budget: runtime.budget });
  // An unread marker is unknown: the task goes on to the claim, whose conditional write finds it.
  if (read.unread > 0) {
    logger.warn('Some failure markers could not be read; their tasks are claimed one by one', {
      cluster,
      unread: read.unread,
      ...(read.error ? { error: errorMessage(read.error) } : {}),
    });
  }
  const unknown = unseen.filter((arn) => !settled(read.markers.get(arn), startedAt));
  const toDescribe = unknown.slice(0, config.reconcileMaxDescribed);
  const { items, failures } =
    toDescribe.length > 0 ? await describeTasks(cluster, toDescribe) : { items: [], failures: [] };
  if (failures.length > 0) logger.warn('Some stopped tasks could not be described', { cluster, failures });
  for (const item of items) noteRan(item);
  const snapshots = items.map((item) => snapshotOfDescribed(item));
  // A task ECS described without what the function needs is unknown, not absent: said and counted.
  const unreadableHere = items.filter((_, index) => snapshots[index] === undefined);
  if (unreadableHere.length > 0) {
    logger.warn('Some stopped tasks were described without the fields needed to check them', {
      cluster,
      count: unreadableHere.length,
      tasks: unreadableHere.slice(0, 10).map((item) => ({
        taskArn: item.taskArn,
        issues: describedTaskIssues(item),
      })),
    });
  }
  const failed: TaskSnapshot[] = [];
  for (const task of snapshots) {
    if (!task) continue;
    const screened = screen(task);
    if (screened === 'failed-to-start') failed.push(task);
    // Ran, then stopped: nothing to do now or later; remembered so the next passes skip it unread.
    else if (screened === 'ran-then-stopped') {
      const stoppedAt = Date.parse(task.stoppedAt ?? '');
      seen[taskIdOf(task.taskArn)] = Number.isFinite(stoppedAt) ? stoppedAt : startedAt;
    }
  }
  const deferred = unknown.length - toDescribe.length;
  if (deferred > 0 || nextToken)
    logger.info('Pass capped: the rest is read by the next pass', {
      cluster,
      listed: arns.length,
      deferred,
      listingCarried: nextToken !== undefined,
    });
  const pass: PassState = { ...(nextToken ? { nextToken } : {}), seen, ranAt };
  return {
    listed: arns.length,
    failed,
    unreadable: unreadableHere.length,
    deferred,
    pass,
    previous,
    startedAt,
  };
}

/**
 * The periodic pass over open problems: sends what an invocation that died left owed (a first message
 * after the grouping wait, a repeat due with new failures) and the resolved message of each problem
 * quiet for the window whose services run their desired count and whose families ran a task. Each
 * problem on its own: one that fails is logged and tried again next pass.
 */
async function sweepProblems(
  runtime: DetectContext,
  ranByCluster: ReadonlyMap<string, Readonly<Record<string, number>>>,
): Promise<{ problem: string; kind: MessageKind; messageId?: string }[]> {
  const { config, logger } = runtime;
  const sent: { problem: string; kind: MessageKind; messageId?: string }[] = [];
  let incidents: Incident[];
  try {
    incidents = await readIncidents(config.table, await openIncidentPks(config.table));
  } catch (error) {
    logger.error('Could not read the open problems; their messages wait for the next pass', {
      error: errorMessage(error),
    });
    return sent;
  }
  for (const incident of incidents) {
    if (!runtime.budget.hasTimeFor(STEP_RESERVE_MS)) break;
    const now = runtime.now();
    try {
      if (incident.state === 'resolved' || now - incident.lastFailureAt > EPISODE_EXPIRY_MS) {
        // Resolved (index left behind), or quiet for a day with no way to tell health (a deleted cluster).
        await forgetIncident(config.table, incident.pk);
        continue;
      }
      // Quiet and healthy again: resolved (its message says how many failed in all), before any repeat.
      const health = quietSince(incident, now, config.windowSeconds)
        ? await healthOf(incident, ranByCluster.get(incident.cluster) ?? {}, runtime)
        : { healthy: false };
      if (!health.healthy) {
        if (!owesFiring(incident, now)) continue;
        const claimed = await claimMessage(config.table, incident, runtime.owner, now, MESSAGE_LEASE_MS, {
          due: true,
        });
        if (claimed) sent.push({ problem: incident.pk, ...(await sendFiring(claimed, runtime, now)) });
        continue;
      }
      const claimed = await claimMessage(config.table, incident, runtime.owner, now, MESSAGE_LEASE_MS, {
        quietAt: incident.lastFailureAt,
      });
      if (!claimed) continue;
      const message = composeMessage({
        incident: claimed,
        kind: 'resolved',
        now,
        resolution: health.resolution,
      });
      const messageId = await deliver(message, claimed, runtime);
      await finishMessage(config.table, claimed, runtime.owner, { kind: 'resolved', at: now });
      logger.info('Problem resolved', { problem: incident.pk, subject: message.subject, messageId });
      sent.push({ problem: incident.pk, kind: 'resolved', ...(messageId ? { messageId } : {}) });
    } catch (error) {
      logger.error('Could not finish a problem this pass; the next pass tries again', {
        problem: incident.pk,
        error: errorMessage(error),
      });
    }
  }
  return sent;
}

/**
 * Whether every service and family of a problem is healthy again: a service runs its desired count (or
 * is gone), a family ran a task since its last failure. Unknown (a call failed) is not healthy.
 */
async function healthOf(
  incident: Incident,
  ranAt: Readonly<Record<string, number>>,
  runtime: DetectContext,
): Promise<{ healthy: boolean; resolution?: string }> {
  const services = incident.members.filter((member) => member.group.startsWith('service:'));
  const families = incident.members.filter((member) => !member.group.startsWith('service:'));
  const said: string[] = [];
  if (services.length > 0) {
    const names = services.map((member) => groupParts(member.group).name);
    const { items } = await describeServices(incident.cluster, names);
    for (const name of names) {
      const service = items.find((item) => item.serviceName === name);
      if (service?.status !== 'ACTIVE') continue; // deleted or being deleted: nothing left to fail
      const running = service.runningCount ?? 0;
      const desired = service.desiredCount ?? 0;
      if (running < desired) {
        runtime.logger.debug('Problem quiet, service still short of its desired count', {
          name,
          running,
          desired,
        });
        return { healthy: false };
      }
    }
    said.push(
      names.length === 1
        ? `service ${names[0]} runs its desired count`
        : `its ${names.length} services run their desired counts`,
    );
  }
  for (const member of families) {
    const ranSince = (task: Task) =>
      task.group === member.group &&
      task.startedAt !== undefined &&
      task.startedAt.getTime() > member.lastFailureAt;
    // A task of it seen by a pass (stopped since) started after the last failure; else one running now.
    if ((ranAt[member.group] ?? 0) > member.lastFailureAt) continue;
    const running = await listTaskArns(incident.cluster, { family: member.family, desiredStatus: 'RUNNING' });
    const { items } = running.length > 0 ? await describeTasks(incident.cluster, running) : { items: [] };
    if (!items.some(ranSince)) return { healthy: false };
  }
  if (families.length > 0)
    said.push(
      families.length === 1
        ? `task family ${groupParts(families[0]?.group ?? '').name} ran a task`
        : `its ${families.length} task families ran tasks`,
    );
  return { healthy: true, resolution: said.join(' and ') };
}

export async function handleEvent(event: FailedStartEvent, runtime: DetectContext): Promise<DetectSummary> {
  if (event.kind === 'reconcile') return reconcile(runtime);
  const result = await handleTask(event.task, runtime);
  return { status: 'ok', dryRun: runtime.config.dryRun, results: [result] };
}
