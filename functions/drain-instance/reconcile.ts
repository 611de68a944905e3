import type { AutoScalingGroup, LifecycleHook } from '@aws-sdk/client-auto-scaling';
import {
  describeAutoScalingGroups,
  describeAutoScalingInstances,
  describeLifecycleHooks,
  describeWarmPool,
  recordLifecycleActionHeartbeat,
} from '../../shared/aws/autoscaling';
import { BATCH_CONCURRENCY, chunk, mapConcurrent } from '../../shared/aws/batch';
import {
  describeContainerInstances,
  listContainerInstanceArns,
  setContainerInstancesDraining,
} from '../../shared/aws/ecs';
import { errorMessage, kindOf } from '../../shared/aws/errors';
import { drainingTurns } from '../../shared/drain/budget';
import {
  actionsEndedUnderUs,
  type HookAnswer,
  heartbeatsDue,
  isCurrentDrain,
  planReconcile,
  type ReconcileCandidate,
} from '../../shared/drain/reconcile';
import { type DrainRecord, isOpen, leaseHeldByOther } from '../../shared/drain/record';
import { forgetOpenDrains, getDrains, getOpenDrainIds, recordDrainProgress } from '../../shared/state/drain';
import { reportActionEnded } from './act';
import { bestEffort } from './bookkeeping';
import { runDrain, STEP_RESERVE_MS } from './drain';
import type { DrainContext, DrainTarget, InstanceOutcome } from './runtime';
import { clusterForGroup, ourTerminateHooks } from './target';
import { asQueued } from './turns';
import { reactivateWarmReturns } from './warm-return';

/**
 * Lifecycle states of an instance held by a terminate hook: leaving the group, going back to the warm
 * pool (instance reuse on scale-in), or leaving the warm pool.
 */
export const WAITING_STATES: ReadonlySet<string> = new Set([
  'Terminating:Wait',
  'Warmed:Pending:Wait',
  'Warmed:Terminating:Wait',
]);

/** States right after a wait: the lifecycle action is over and the instance goes on (terminates, or the pool). */
export const PROCEED_STATES: ReadonlySet<string> = new Set([
  'Terminating:Proceed',
  'Warmed:Pending:Proceed',
  'Warmed:Terminating:Proceed',
]);

/** Below two reconcile periods, a drain left to the pass can lose its hook between two heartbeats. */
export const MIN_HOOK_TIMEOUT_SECONDS = 120;

/** The schedule's period (rules.ts `rate(1 minute)`): how long until the next pass can reach a drain. */
export const RECONCILE_PERIOD_SECONDS = 60;

/** Time one heartbeat may take (one Auto Scaling call), on top of the margin. */
export const KEEP_ALIVE_RESERVE_MS = 1_000;

/** A group with waiting instances, as far as the pass is concerned: our hook and its cluster, or why not. */
type GroupContext =
  | { name: string; hook: LifecycleHook & { LifecycleHookName: string }; cluster: string }
  | { name: string; outcome: 'not-ours' | 'ignored' | 'failed'; reason: string; cluster?: string };

type OurGroup = Extract<GroupContext, { hook: unknown }>;

interface Waiting {
  instanceId: string;
  state: string;
  group: OurGroup;
  heartbeatTimeoutSeconds: number;
}

interface Candidate extends ReconcileCandidate {
  group: OurGroup;
}

export interface ReconcileResult {
  waiting: number;
  instances: InstanceOutcome[];
  /** Left for the next pass: over RECONCILE_MAX_INSTANCES or out of time. */
  deferred: number;
  /** Heartbeats on our hook that went through in this pass (besides those of full steps). */
  heartbeats: number;
  /** The state table could not be read: the pass ran on Auto Scaling's and ECS's word alone. */
  stateTableUnavailable?: boolean;
}

/**
 * ECS calls one full step makes at most, for the pass's API budget: find the container instance (list,
 * describe), list its tasks (RUNNING and STOPPED) and describe them, all cluster resource reads.
 */
const STEP_CALLS = {
  'ecs:ListContainerInstances': 1,
  'ecs:DescribeContainerInstances': 1,
  'ecs:ListTasks': 2,
  'ecs:DescribeTasks': 1,
};
const stepCalls = (steps: number) =>
  Object.fromEntries(Object.entries(STEP_CALLS).map(([operation, n]) => [operation, n * steps]));

/** Instances compared in one ListContainerInstances filter (`ec2InstanceId in [...]`). */
const DRAINING_LOOKUP_BATCH = 50;

/**
 * The every-minute pass. It finds the instances waiting on our hook from Auto Scaling itself (lifecycle
 * wait states of the configured groups), not from the state table, and in this order:
 * 1. a heartbeat on our hook for each of them (unless this container sent one recently enough), which
 *    also tells which wait on it: safety needs nothing but Auto Scaling;
 * 2. DRAINING for those found ours, a few ECS calls per cluster;
 * 3. then the state table: drains whose hook was lost are reported, and full drain steps (observe,
 *    decide, act) go to the instances found without a drain first, then to open drains by when their
 *    hook expires, at most RECONCILE_MAX_INSTANCES. A table that cannot be read degrades this part to
 *    steps without records; it never stops 1 and 2.
 */
export async function reconcile(runtime: DrainContext): Promise<ReconcileResult> {
  const groups = await describeAutoScalingGroups(runtime.config.groups);
  const result = await passOverWaiting(await withWarmPoolInstances(groups, runtime), runtime);
  // Instances back from the warm pool still DRAINING from the drain that sent them there.
  if (runtime.budget.hasTimeFor(STEP_RESERVE_MS))
    result.instances.push(...(await reactivateWarmReturns(groups, runtime)));
  // Last, as bookkeeping: drains whose instance left between two passes.
  if (!runtime.config.dryRun && runtime.budget.hasTimeFor(STEP_RESERVE_MS)) {
    const inGroups = new Set(
      groups.flatMap((group) => (group.Instances ?? []).flatMap((instance) => instance.InstanceId ?? [])),
    );
    try {
      await sweepVanished(inGroups, result, runtime);
    } catch (error) {
      runtime.logger.error('Sweep of drains whose instance left its group failed', {
        errorKind: kindOf(error),
        error: errorMessage(error),
      });
      runtime.metrics.addMetric('DrainErrors', 'Count', 1);
    }
  }
  return result;
}

/**
 * Instances on their way into or out of a warm pool (Warmed:*) are listed by DescribeWarmPool, not in
 * the group's Instances (Auto Scaling API Reference, DescribeWarmPool), so for a group with a pool the
 * pass reads it too: an instance waiting on our hook in Warmed:Pending:Wait is then heartbeated and
 * drained like any other. A failed read leaves the pool's instances to the next pass (and their events).
 */
async function withWarmPoolInstances(
  groups: AutoScalingGroup[],
  runtime: DrainContext,
): Promise<AutoScalingGroup[]> {
  return Promise.all(
    groups.map(async (group) => {
      if (!group.WarmPoolConfiguration || !group.AutoScalingGroupName) return group;
      try {
        const { instances } = await describeWarmPool(group.AutoScalingGroupName);
        const listed = new Set((group.Instances ?? []).map((instance) => instance.InstanceId));
        return {
          ...group,
          Instances: [
            ...(group.Instances ?? []),
            ...instances.filter((instance) => !listed.has(instance.InstanceId)),
          ],
        };
      } catch (error) {
        runtime.logger.warn('Warm pool not read; its instances wait for the next pass', {
          autoScalingGroup: group.AutoScalingGroupName,
          errorKind: kindOf(error),
          error: errorMessage(error),
        });
        return group;
      }
    }),
  );
}

async function passOverWaiting(groups: AutoScalingGroup[], runtime: DrainContext): Promise<ReconcileResult> {
  const { config, logger } = runtime;
  const missing = config.groups.filter(
    (name) => !groups.some((group) => group.AutoScalingGroupName === name),
  );
  if (missing.length > 0) logger.warn('Configured Auto Scaling groups not found', { groups: missing });

  const inState = (states: ReadonlySet<string>) =>
    groups.flatMap((group) =>
      (group.Instances ?? [])
        .filter((instance) => instance.InstanceId && states.has(instance.LifecycleState ?? ''))
        .map((instance) => ({
          instanceId: instance.InstanceId as string,
          group,
          state: instance.LifecycleState as string,
        })),
    );
  const waitingNow = inState(WAITING_STATES);
  // Let go by Auto Scaling: an open drain among them lost its hook (checked only while they are listed).
  const leaving = inState(PROCEED_STATES);
  const result: ReconcileResult = { waiting: waitingNow.length, instances: [], deferred: 0, heartbeats: 0 };
  const listed = new Set([...waitingNow, ...leaving].map((instance) => instance.instanceId));
  for (const id of runtime.heartbeats.keys()) if (!listed.has(id)) runtime.heartbeats.delete(id);
  if (waitingNow.length === 0 && leaving.length === 0) return result;

  const contexts = new Map(
    await Promise.all(
      [...new Set([...waitingNow, ...leaving].map((instance) => instance.group))].map(
        async (group) => [group, await groupContext(group, runtime)] as const,
      ),
    ),
  );
  const ours = (instance: { instanceId: string; group: AutoScalingGroup; state: string }) => {
    const context = contexts.get(instance.group) as GroupContext;
    if ('outcome' in context) return { context };
    const waiting: Waiting = {
      instanceId: instance.instanceId,
      state: instance.state,
      group: context,
      heartbeatTimeoutSeconds: context.hook.HeartbeatTimeout ?? 3600,
    };
    return { waiting };
  };
  const eligible: Waiting[] = [];
  for (const instance of waitingNow) {
    const { waiting, context } = ours(instance);
    if (waiting) eligible.push(waiting);
    else if (context) {
      result.instances.push({
        instanceId: instance.instanceId,
        group: context.name,
        cluster: context.cluster,
        outcome: context.outcome,
        reason: context.reason,
      });
    }
  }
  const gone = leaving.flatMap((instance) => {
    const { waiting } = ours(instance);
    return waiting ? [waiting] : [];
  });
  if (eligible.length === 0 && gone.length === 0) return result;

  // 1 and 2: safety, from Auto Scaling and ECS alone.
  const answers = config.dryRun
    ? new Map<string, HookAnswer>()
    : await heartbeatFirst(eligible, result, runtime);
  if (!config.dryRun)
    await drainingFirst(
      eligible.filter((w) => answers.get(w.instanceId) === 'ours'),
      runtime,
    );

  // 3: bookkeeping.
  const read = await bestEffort(runtime, 'drains not read', {}, undefined, () =>
    getDrains(
      config.table,
      [...eligible, ...gone].map((instance) => instance.instanceId),
      { budget: runtime.budget },
    ),
  );
  if (!read) result.stateTableUnavailable = true;
  // Unread records are unknown, not absent: those instances take the no-record path, whose writes are
  // conditional and never assume there is no drain.
  else if (read.unread.length > 0) {
    logger.warn('Drain state of some instances could not be read; they go on as unrecorded', {
      instances: read.unread,
    });
  }
  const drains = read?.drains;
  const recordOf = (id: string) => drains?.get(id);

  if (!config.dryRun && drains) {
    const ended = actionsEndedUnderUs(
      gone.map((instance) => ({ ...instance, record: recordOf(instance.instanceId) })),
      runtime.owner,
      Date.now(),
    );
    for (const instance of ended) {
      const candidate = toCandidate(instance, 'not-ours', instance.record, runtime);
      await reportLost(candidate, instance.record, `now ${instance.state}`, result, runtime);
    }
  }
  if (eligible.length === 0) return result;
  const candidates = eligible.map((waiting) =>
    toCandidate(waiting, answers.get(waiting.instanceId) ?? 'unknown', recordOf(waiting.instanceId), runtime),
  );
  const plan = planReconcile({ candidates, owner: runtime.owner, now: Date.now(), dryRun: config.dryRun });
  for (const candidate of plan.elsewhere)
    result.instances.push({ ...baseOf(candidate), outcome: 'in-progress-elsewhere' });
  for (const candidate of plan.notOurs) {
    result.instances.push({
      ...baseOf(candidate),
      outcome: 'not-ours',
      reason: `not waiting on hook ${candidate.group.hook.LifecycleHookName}`,
    });
  }
  for (const candidate of plan.lost) {
    await reportLost(
      candidate,
      candidate.record as DrainRecord,
      'lifecycle action no longer active',
      result,
      runtime,
    );
  }
  if (!config.dryRun && drains) await noteHeartbeats(plan.steps, runtime);

  if (config.dryRun && plan.steps.length > 0) {
    logger.info('Dry run: heartbeats and DRAINING the pass would send first (nothing sent)', {
      instances: eligible.map((waiting) => waiting.instanceId),
    });
  }
  const found = new Set(plan.found);
  const chosen = plan.steps.slice(0, config.reconcileMaxInstances);
  result.deferred += plan.steps.length - chosen.length;

  // Steps run a few at a time: each asks room for itself and for the steps still running. The first
  // always runs, so a pass whose heartbeats and DRAINING spent the budget still moves one drain on.
  let running = 0;
  let started = 0;
  let outOfBudget = false;
  const outcomes = await mapConcurrent(chosen, BATCH_CONCURRENCY, async (candidate) => {
    outOfBudget ||= started > 0 && runtime.apiBudget?.hasRoomFor(stepCalls(running + 1)) === false;
    if (outOfBudget || !runtime.budget.hasTimeFor(STEP_RESERVE_MS)) {
      result.deferred++;
      return undefined;
    }
    running++;
    started++;
    try {
      return await stepOne(candidate, found.has(candidate), runtime);
    } catch (error) {
      return failed(candidate, 'Reconcile of an instance failed', error, runtime);
    } finally {
      running--;
    }
  });
  result.instances.push(...outcomes.filter((outcome) => outcome !== undefined));
  runtime.metrics.addMetric('PassWorkDeferred', 'Count', result.deferred);
  if (result.deferred > 0) {
    logger.info('Instances left for the next reconcile pass', {
      deferred: result.deferred,
      ...(runtime.apiBudget ? { apiCallsSpent: runtime.apiBudget.spent() } : {}),
    });
  }
  return result;
}

/**
 * Open drains whose instance is in none of the configured groups any more, nor known to Auto Scaling
 * (warm-pool instances are not listed in their group): it left between two passes, terminated by
 * another hook's ABANDON, Spot, or a person. Each is closed as `instance-lost` (DrainHookLost, the
 * tasks that died named while ECS still describes them). Ids of drains already closed are dropped.
 */
async function sweepVanished(inGroups: ReadonlySet<string>, result: ReconcileResult, runtime: DrainContext) {
  const { config } = runtime;
  const ids = await bestEffort(runtime, 'open drains not read', {}, [] as string[], () =>
    getOpenDrainIds(config.table),
  );
  const outside = ids.filter((id) => !inGroups.has(id));
  if (outside.length === 0) return;
  const known = new Set(
    (await describeAutoScalingInstances(outside)).flatMap((instance) => instance.InstanceId ?? []),
  );
  const vanished = outside.filter((id) => !known.has(id));
  if (vanished.length === 0) return;
  const { drains, unread } = await getDrains(config.table, vanished, { budget: runtime.budget });
  const now = Date.now();
  // An id whose record could not be read is unknown, and stays in the index for the next sweep.
  const closed = vanished.filter((id) => {
    const record = drains.get(id);
    return !unread.includes(id) && (!record || !isOpen(record));
  });
  await forgetOpenDrains(config.table, closed);
  const lost = [...drains.values()].filter(
    (record) =>
      isOpen(record) && config.groups.includes(record.group) && !leaseHeldByOther(record, runtime.owner, now),
  );
  const outcomes = await mapConcurrent(lost, BATCH_CONCURRENCY, async (record) => {
    const target: DrainTarget = {
      instanceId: record.instanceId,
      group: record.group,
      hook: record.hook,
      cluster: record.cluster,
      trigger: 'lifecycle',
      cause: record.cause,
      token: undefined,
      hookTimerFrom: undefined,
      heartbeatTimeoutSeconds: undefined,
    };
    try {
      return await runDrain(
        target,
        { origin: 'reconcile', mode: 'once', known: record, secured: true, vanished: true },
        runtime,
      );
    } catch (error) {
      runtime.logger.error('Closing a drain whose instance left its group failed', {
        instanceId: record.instanceId,
        autoScalingGroup: record.group,
        errorKind: kindOf(error),
        error: errorMessage(error),
      });
      runtime.metrics.addMetric('DrainErrors', 'Count', 1);
      return undefined;
    }
  });
  result.instances.push(...outcomes.filter((outcome) => outcome !== undefined));
}

function toCandidate(
  waiting: Waiting,
  answer: HookAnswer,
  record: DrainRecord | undefined,
  runtime: DrainContext,
): Candidate {
  return { ...waiting, answer, record, beatAt: runtime.heartbeats.get(waiting.instanceId) };
}

async function reportLost(
  candidate: Candidate,
  record: DrainRecord,
  reason: string,
  result: ReconcileResult,
  runtime: DrainContext,
) {
  try {
    if (await reportActionEnded(targetFor(candidate), record, runtime)) {
      result.instances.push({
        ...baseOf(candidate),
        outcome: 'action-ended',
        reason: `lifecycle action ended without our completion (${reason})`,
        remainingTasks: record.remainingTasks,
      });
    }
  } catch (error) {
    // The next pass looks again while the instance is listed.
    result.instances.push(failed(candidate, 'Reporting an ended lifecycle action failed', error, runtime));
  }
}

/**
 * A heartbeat on our hook for every waiting instance this container has not heartbeated recently,
 * most urgent first, while the invocation has time. Its answer says whether the instance waits on our
 * hook; no state-table call comes before it.
 */
async function heartbeatFirst(
  eligible: readonly Waiting[],
  result: ReconcileResult,
  runtime: DrainContext,
): Promise<Map<string, HookAnswer>> {
  const { config, logger, budget } = runtime;
  const { due, recent } = heartbeatsDue({
    candidates: eligible,
    lastBeats: runtime.heartbeats,
    now: Date.now(),
    heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
    periodSeconds: RECONCILE_PERIOD_SECONDS,
  });
  const answers = new Map<string, HookAnswer>(recent.map((waiting) => [waiting.instanceId, 'recent']));
  let missed = 0;
  await mapConcurrent(due, BATCH_CONCURRENCY, async (waiting) => {
    if (!budget.hasTimeFor(KEEP_ALIVE_RESERVE_MS)) {
      missed++;
      answers.set(waiting.instanceId, 'unknown');
      return;
    }
    try {
      const at = Date.now();
      const answer = await recordLifecycleActionHeartbeat({
        group: waiting.group.name,
        hook: waiting.group.hook.LifecycleHookName,
        instanceId: waiting.instanceId,
      });
      if (answer === 'done') {
        runtime.heartbeats.set(waiting.instanceId, at);
        result.heartbeats++;
        answers.set(waiting.instanceId, 'ours');
      } else {
        runtime.heartbeats.delete(waiting.instanceId);
        answers.set(waiting.instanceId, 'not-ours');
      }
    } catch (error) {
      // One instance failing must not hold back the others; its full step (if any) or the next pass retries.
      answers.set(waiting.instanceId, 'unknown');
      logger.warn('Reconcile heartbeat failed', {
        instanceId: waiting.instanceId,
        autoScalingGroup: waiting.group.name,
        errorKind: kindOf(error),
        error: errorMessage(error),
      });
    }
  });
  if (missed > 0) {
    logger.error('Out of time before every due heartbeat was sent: hooks at risk of expiring', {
      heartbeatsMissed: missed,
      advice: 'raise the function timeout or the hooks’ heartbeat timeout',
    });
    result.deferred += missed;
  }
  return answers;
}

/**
 * DRAINING for instances found waiting on our hook, before any state-table call: one
 * ListContainerInstances (status ACTIVE) per cluster and 50 instances, one update per 10 found.
 * Failures are logged; the full step of each drain sets DRAINING again.
 */
async function drainingFirst(found: readonly Waiting[], runtime: DrainContext): Promise<void> {
  const byCluster = new Map<string, string[]>();
  for (const waiting of found) {
    byCluster.set(waiting.group.cluster, [
      ...(byCluster.get(waiting.group.cluster) ?? []),
      waiting.instanceId,
    ]);
  }
  for (const [cluster, ids] of byCluster) {
    try {
      const arns = (
        await mapConcurrent(chunk(ids, DRAINING_LOOKUP_BATCH), BATCH_CONCURRENCY, (batch) =>
          listContainerInstanceArns(cluster, {
            filter: `ec2InstanceId in [${batch.map((id) => `'${id}'`).join(', ')}]`,
            status: 'ACTIVE',
          }),
        )
      ).flat();
      if (arns.length === 0) continue;
      const allowed = await withinCap(cluster, arns, runtime);
      if (allowed.length === 0) continue;
      const { failures } = await setContainerInstancesDraining(cluster, allowed);
      runtime.logger.info('Container instances set DRAINING', {
        cluster,
        containerInstanceArns: allowed,
        failures,
      });
    } catch (error) {
      runtime.logger.warn('Setting DRAINING failed; each drain step retries it', {
        cluster,
        instances: ids,
        errorKind: kindOf(error),
        error: errorMessage(error),
      });
    }
  }
}

/**
 * Under MAX_DRAINING_PER_CLUSTER, the ACTIVE instances (of those waiting on our hooks) that may go
 * DRAINING now, oldest first; the others wait their turn, heartbeated. No cap: all of them.
 */
async function withinCap(cluster: string, activeArns: string[], runtime: DrainContext): Promise<string[]> {
  const cap = runtime.config.maxDrainingPerCluster;
  if (cap <= 0) return activeArns;
  const [draining, { items }] = await Promise.all([
    listContainerInstanceArns(cluster, { status: 'DRAINING' }),
    describeContainerInstances(cluster, activeArns),
  ]);
  const turns = drainingTurns({ cap, drainingCount: draining.length, queued: items.map(asQueued) });
  const allowed = items.filter((item) => turns.has(item.ec2InstanceId ?? ''));
  if (allowed.length < items.length) {
    runtime.logger.info('Instances waiting their turn to drain (MAX_DRAINING_PER_CLUSTER)', {
      cluster,
      cap,
      draining: draining.length,
      waiting: items.filter((item) => !turns.has(item.ec2InstanceId ?? '')).map((item) => item.ec2InstanceId),
    });
  }
  return allowed.flatMap((item) => item.containerInstanceArn ?? []);
}

/** Records the heartbeats this pass sent for open drains (bookkeeping: a failure changes nothing). */
async function noteHeartbeats(candidates: readonly Candidate[], runtime: DrainContext): Promise<void> {
  const fresh = candidates.filter(
    (candidate) =>
      candidate.answer === 'ours' &&
      isCurrentDrain(candidate.record, Date.now()) &&
      (candidate.beatAt ?? 0) > (candidate.record?.lastHeartbeatAt ?? 0),
  );
  await mapConcurrent(fresh, BATCH_CONCURRENCY, (candidate) =>
    bestEffort(runtime, 'heartbeat not recorded', baseOf(candidate), undefined, () =>
      recordDrainProgress(runtime.config.table, candidate.instanceId, { lastHeartbeatAt: candidate.beatAt }),
    ),
  );
}

/** Our hook on the group and the cluster it drains into, resolved once per pass and group. */
async function groupContext(group: AutoScalingGroup, runtime: DrainContext): Promise<GroupContext> {
  const { config, logger } = runtime;
  const name = group.AutoScalingGroupName as string;
  const hooks = ourTerminateHooks(await describeLifecycleHooks(name), config);
  const [hook] = hooks;
  if (!hook?.LifecycleHookName) {
    logger.warn('Instances wait in a lifecycle state but the group has none of our hooks', {
      autoScalingGroup: name,
      hookNames: config.hookNames,
    });
    return {
      name,
      outcome: 'not-ours',
      reason: `group has none of the hooks ${config.hookNames.join(', ')}`,
    };
  }
  if (hooks.length > 1) {
    logger.warn('Group has several of our terminate hooks; completing the first only', {
      autoScalingGroup: name,
      hooks: hooks.map((item) => item.LifecycleHookName),
    });
  }
  if ((hook.HeartbeatTimeout ?? 3600) < MIN_HOOK_TIMEOUT_SECONDS) {
    logger.warn('Hook heartbeat timeout too short for the every-minute pass to keep it alive', {
      autoScalingGroup: name,
      hook: hook.LifecycleHookName,
      heartbeatTimeoutSeconds: hook.HeartbeatTimeout,
      advice: `use ${MIN_HOOK_TIMEOUT_SECONDS} s or more (the templates use 5400 s)`,
    });
  }
  const cluster = await clusterForGroup(name, hook.NotificationMetadata, config, group.Tags ?? []);
  if ('failed' in cluster) {
    logger.error('Cannot drain: no cluster', { autoScalingGroup: name, reason: cluster.failed });
    return { name, outcome: 'failed', reason: cluster.failed };
  }
  if ('ignored' in cluster)
    return { name, outcome: 'ignored', reason: cluster.ignored, cluster: cluster.cluster };
  return { name, hook: { ...hook, LifecycleHookName: hook.LifecycleHookName }, cluster: cluster.cluster };
}

function targetFor(candidate: Candidate): DrainTarget {
  return {
    instanceId: candidate.instanceId,
    group: candidate.group.name,
    hook: candidate.group.hook.LifecycleHookName,
    cluster: candidate.group.cluster,
    trigger: 'lifecycle',
    cause: candidate.state === 'Warmed:Pending:Wait' ? 'warm-pool' : 'terminate',
    token: undefined,
    hookTimerFrom: candidate.beatAt,
    heartbeatTimeoutSeconds: candidate.group.hook.HeartbeatTimeout,
    hookDefaultResult: candidate.group.hook.DefaultResult,
  };
}

/** One full drain step: observe, decide, act, once (heartbeat and DRAINING went first, above). */
function stepOne(candidate: Candidate, found: boolean, runtime: DrainContext): Promise<InstanceOutcome> {
  const target = targetFor(candidate);
  if (found && !runtime.config.dryRun) {
    runtime.logger.info('Found a drain without a live invocation (lost event or past action)', {
      ...baseOf(candidate),
      state: candidate.state,
      recorded: candidate.record !== undefined,
    });
  }
  // The record as read, with the heartbeat this pass sent: the step sends none of its own.
  const known =
    found || !candidate.record
      ? undefined
      : {
          ...candidate.record,
          lastHeartbeatAt:
            Math.max(candidate.record.lastHeartbeatAt ?? 0, candidate.beatAt ?? 0) || undefined,
        };
  return runDrain(
    target,
    { origin: 'reconcile', mode: 'once', restartCompleted: found, known, secured: !runtime.config.dryRun },
    runtime,
  );
}

const baseOf = (candidate: Candidate) => ({
  instanceId: candidate.instanceId,
  group: candidate.group.name,
  cluster: candidate.group.cluster,
});

function failed(
  candidate: Candidate,
  message: string,
  error: unknown,
  runtime: DrainContext,
): InstanceOutcome {
  runtime.logger.error(message, {
    instanceId: candidate.instanceId,
    autoScalingGroup: candidate.group.name,
    errorKind: kindOf(error),
    error: errorMessage(error),
  });
  runtime.metrics.addMetric('DrainErrors', 'Count', 1);
  return { ...baseOf(candidate), outcome: 'failed', reason: errorMessage(error) };
}
