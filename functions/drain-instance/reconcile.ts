import type { AutoScalingGroup, LifecycleHook } from '@aws-sdk/client-auto-scaling';
import {
  describeAutoScalingGroups,
  describeLifecycleHooks,
  recordLifecycleActionHeartbeat,
} from '../../shared/aws/autoscaling';
import { BATCH_CONCURRENCY, mapConcurrent } from '../../shared/aws/batch';
import { getReconcileState, recordDrainProgress, rememberNotOurs } from '../../shared/aws/drain-state';
import { errorMessage, kindOf } from '../../shared/aws/errors';
import {
  actionsEndedUnderUs,
  notOursRecheckAt,
  planReconcile,
  type ReconcileCandidate,
  type ReconcilePlan,
} from '../../shared/drain/reconcile';
import { reportActionEnded } from './act';
import { runDrain, STEP_RESERVE_MS } from './drain';
import type { DrainRuntime, DrainTarget, InstanceOutcome } from './runtime';
import { clusterForGroup, ourTerminateHooks } from './target';

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

/** Time one heartbeat or probe may take (one Auto Scaling call, one state write), on top of the margin. */
export const KEEP_ALIVE_RESERVE_MS = 1_000;

/** A group with waiting instances, as far as the pass is concerned: our hook and its cluster, or why not. */
type GroupContext =
  | { name: string; hook: LifecycleHook & { LifecycleHookName: string }; cluster: string }
  | { name: string; outcome: 'not-ours' | 'ignored' | 'failed'; reason: string; cluster?: string };

interface Candidate extends ReconcileCandidate {
  group: Extract<GroupContext, { hook: unknown }>;
}

export interface ReconcileResult {
  waiting: number;
  instances: InstanceOutcome[];
  /** Left for the next pass: over RECONCILE_MAX_INSTANCES or out of time. */
  deferred: number;
  /** Heartbeats sent to keep open drains' hooks alive (besides those of full steps). */
  heartbeats: number;
  /** Instances without a drain asked, by a heartbeat on our hook, whether they wait on it. */
  probes: number;
}

/**
 * The every-minute pass: re-reads which instances of the configured groups wait in a lifecycle wait
 * state and carries each drain forward, so a lost event, a timed-out invocation or a crash never leaves
 * an instance behind. First the cheap calls that keep every hook alive (heartbeats, probes), bounded
 * only by the invocation's time; then full drain steps, soonest-expiring hook first, at most
 * RECONCILE_MAX_INSTANCES of them.
 */
export async function reconcile(runtime: DrainRuntime): Promise<ReconcileResult> {
  const { config, logger } = runtime;
  const groups = await describeAutoScalingGroups(config.groups);
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
  const waiting = inState(WAITING_STATES);
  // Let go by Auto Scaling: an open drain among them lost its hook (checked only while they are listed).
  const leaving = inState(PROCEED_STATES);
  const result: ReconcileResult = {
    waiting: waiting.length,
    instances: [],
    deferred: 0,
    heartbeats: 0,
    probes: 0,
  };
  if (waiting.length === 0 && leaving.length === 0) return result;

  const contexts = new Map(
    await Promise.all(
      [...new Set([...waiting, ...leaving].map((instance) => instance.group))].map(
        async (group) => [group, await groupContext(group, runtime)] as const,
      ),
    ),
  );
  const eligible: Omit<Candidate, 'record' | 'notOurs'>[] = [];
  for (const instance of waiting) {
    const context = contexts.get(instance.group) as GroupContext;
    const base = { instanceId: instance.instanceId, group: context.name };
    if ('outcome' in context) {
      result.instances.push({
        ...base,
        cluster: context.cluster,
        outcome: context.outcome,
        reason: context.reason,
      });
      continue;
    }
    eligible.push({
      instanceId: instance.instanceId,
      state: instance.state,
      group: context,
      heartbeatTimeoutSeconds: context.hook.HeartbeatTimeout ?? 3600,
    });
  }
  const gone = leaving.flatMap((instance) => {
    const context = contexts.get(instance.group) as GroupContext;
    return 'outcome' in context
      ? []
      : [{ ...instance, group: context, heartbeatTimeoutSeconds: context.hook.HeartbeatTimeout ?? 3600 }];
  });
  if (eligible.length === 0 && gone.length === 0) return result;

  const state = await getReconcileState(
    config.table,
    [...eligible.map((candidate) => candidate.instanceId), ...gone.map((instance) => instance.instanceId)],
    { budget: runtime.budget },
  );
  // Unread state is unknown, not absent: those instances take the no-record path (a probe of the hook,
  // conditional writes), which never assumes there is no drain.
  if (state.unread.length > 0) {
    logger.warn('Drain state of some instances could not be read; they are probed as unrecorded', {
      instances: state.unread,
      error: state.error ? errorMessage(state.error) : 'unprocessed keys',
    });
  }
  if (!config.dryRun) {
    const ended = actionsEndedUnderUs(
      gone.map((instance) => ({ ...instance, record: state.drains.get(instance.instanceId) })),
      runtime.owner,
      Date.now(),
    );
    for (const instance of ended) {
      const candidate = { ...instance, record: instance.record, notOurs: undefined };
      try {
        if (await reportActionEnded(targetFor(candidate, undefined), instance.record, runtime)) {
          result.instances.push({
            ...baseOf(candidate),
            outcome: 'action-ended',
            reason: `lifecycle action ended without our completion (now ${instance.state})`,
            remainingTasks: instance.record.remainingTasks,
          });
        }
      } catch (error) {
        // The next pass looks again while the instance is listed.
        result.instances.push(
          failed(candidate, 'Reporting an ended lifecycle action failed', error, runtime),
        );
      }
    }
  }
  if (eligible.length === 0) return result;
  const candidates: Candidate[] = eligible.map((candidate) => ({
    ...candidate,
    record: state.drains.get(candidate.instanceId),
    notOurs: state.notOurs.get(candidate.instanceId),
  }));
  const plan = planReconcile({
    candidates,
    owner: runtime.owner,
    now: Date.now(),
    heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
    periodSeconds: RECONCILE_PERIOD_SECONDS,
  });
  for (const candidate of plan.elsewhere)
    result.instances.push({ ...baseOf(candidate), outcome: 'in-progress-elsewhere' });
  for (const candidate of plan.remembered) {
    result.instances.push({
      ...baseOf(candidate),
      outcome: 'not-ours',
      reason: `waits on another hook (probed at ${new Date(candidate.notOurs?.checkedAt ?? 0).toISOString()})`,
    });
  }

  const steps = config.dryRun ? dryRunSteps(plan, runtime) : await keepAlive(plan, result, runtime);
  const chosen = steps.slice(0, config.reconcileMaxInstances);
  result.deferred += steps.length - chosen.length;

  const outcomes = await mapConcurrent(chosen, BATCH_CONCURRENCY, async (step) => {
    if (!runtime.budget.hasTimeFor(STEP_RESERVE_MS)) {
      result.deferred++;
      return undefined;
    }
    try {
      return await stepOne(step, runtime);
    } catch (error) {
      return failed(step.candidate, 'Reconcile of an instance failed', error, runtime);
    }
  });
  result.instances.push(...outcomes.filter((outcome) => outcome !== undefined));
  if (result.deferred > 0)
    logger.info('Instances left for the next reconcile pass', { deferred: result.deferred });
  return result;
}

/** Our hook on the group and the cluster it drains into, resolved once per pass and group. */
async function groupContext(group: AutoScalingGroup, runtime: DrainRuntime): Promise<GroupContext> {
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
      advice: `use ${MIN_HOOK_TIMEOUT_SECONDS} s or more (300 s is a good default)`,
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

interface Step {
  candidate: Candidate;
  /** Our probe just found the instance waiting on our hook with no drain of this action recorded. */
  found: boolean;
  /** Epoch ms of that probe: the hook's timer restarted then. */
  hookTimerFrom?: number | undefined;
}

/** Dry run: no heartbeat, no probe; instances without a drain are planned like the open ones. */
function dryRunSteps(plan: ReconcilePlan<Candidate>, runtime: DrainRuntime): Step[] {
  if (plan.keepAlive.length > 0) {
    runtime.logger.info('Dry run: heartbeats and probes the pass would send (nothing sent)', {
      heartbeats: plan.keepAlive
        .filter((item) => item.kind === 'heartbeat')
        .map((item) => item.candidate.instanceId),
      probes: plan.keepAlive.filter((item) => item.kind === 'probe').map((item) => item.candidate.instanceId),
    });
  }
  return [
    ...plan.unknown.map((candidate) => ({ candidate, found: true })),
    ...plan.steps.map((candidate) => ({ candidate, found: false })),
  ];
}

/**
 * Sends the plan's heartbeats and probes, most urgent first, while the invocation has time. Returns the
 * full steps to take: instances the probes found to be ours first (a lost event: their hook's age is
 * unknown), then the open drains whose action is still there.
 */
async function keepAlive(
  plan: ReconcilePlan<Candidate>,
  result: ReconcileResult,
  runtime: DrainRuntime,
): Promise<Step[]> {
  const { config, logger, budget } = runtime;
  const found: Step[] = [];
  const ended = new Set<string>();
  const beats = new Map<string, number>();
  let missed = 0;
  await mapConcurrent(plan.keepAlive, BATCH_CONCURRENCY, async ({ candidate, kind }) => {
    if (!budget.hasTimeFor(KEEP_ALIVE_RESERVE_MS)) {
      if (kind === 'heartbeat') missed++;
      else result.deferred++;
      return;
    }
    const target = targetFor(candidate, undefined);
    try {
      const at = Date.now();
      const answer = await recordLifecycleActionHeartbeat({
        group: target.group,
        hook: target.hook as string,
        instanceId: target.instanceId,
      });
      if (kind === 'probe') {
        result.probes++;
        // Waits on our hook with no drain of this action recorded: the probe was its first heartbeat.
        if (answer === 'done') {
          found.push({ candidate, found: true, hookTimerFrom: at });
          return;
        }
        // Waits on someone else's hook: not probed again before the mark's recheck time.
        await rememberNotOurs(config.table, {
          instanceId: candidate.instanceId,
          state: candidate.state,
          checkedAt: at,
          recheckAt: notOursRecheckAt(at, candidate.heartbeatTimeoutSeconds, RECONCILE_PERIOD_SECONDS),
        });
        logger.debug('Instance is not waiting on our hook', { ...baseOf(candidate), state: candidate.state });
        result.instances.push({
          ...baseOf(candidate),
          outcome: 'not-ours',
          reason: `not waiting on hook ${target.hook}`,
        });
        return;
      }
      if (answer === 'done') {
        await recordDrainProgress(config.table, candidate.instanceId, { lastHeartbeatAt: at });
        beats.set(candidate.instanceId, at);
        result.heartbeats++;
        return;
      }
      ended.add(candidate.instanceId);
      if (candidate.record && (await reportActionEnded(target, candidate.record, runtime))) {
        result.instances.push({
          ...baseOf(candidate),
          outcome: 'action-ended',
          reason: 'lifecycle action no longer active',
          remainingTasks: candidate.record.remainingTasks,
        });
      }
    } catch (error) {
      // One instance failing must not hold back the others; its full step (if any) or the next pass retries.
      result.instances.push(failed(candidate, `Reconcile ${kind} failed`, error, runtime));
    }
  });
  if (missed > 0) {
    logger.error('Out of time before every due heartbeat was sent: hooks at risk of expiring', {
      heartbeatsMissed: missed,
      advice: 'raise the function timeout or the hooks’ heartbeat timeout',
    });
    result.deferred += missed;
  }
  const open = plan.steps
    .filter((candidate) => !ended.has(candidate.instanceId))
    .map((candidate) => {
      const at = beats.get(candidate.instanceId);
      // The step then sees the heartbeat just sent, and sends none of its own.
      const record =
        at === undefined || !candidate.record
          ? candidate.record
          : { ...candidate.record, lastHeartbeatAt: at };
      return { candidate: { ...candidate, record }, found: false };
    });
  found.sort((a, b) => a.candidate.instanceId.localeCompare(b.candidate.instanceId));
  return [...found, ...open];
}

function targetFor(candidate: Candidate, hookTimerFrom: number | undefined): DrainTarget {
  return {
    instanceId: candidate.instanceId,
    group: candidate.group.name,
    hook: candidate.group.hook.LifecycleHookName,
    cluster: candidate.group.cluster,
    trigger: 'lifecycle',
    cause: candidate.state === 'Warmed:Pending:Wait' ? 'warm-pool' : 'terminate',
    token: undefined,
    hookTimerFrom,
    heartbeatTimeoutSeconds: candidate.group.hook.HeartbeatTimeout,
  };
}

/** One full drain step: observe, decide, act, once. */
function stepOne({ candidate, found, hookTimerFrom }: Step, runtime: DrainRuntime): Promise<InstanceOutcome> {
  const target = targetFor(candidate, hookTimerFrom);
  if (found && !runtime.config.dryRun) {
    runtime.logger.info('Found a drain without a live invocation (lost event or past action)', {
      ...baseOf(candidate),
      state: candidate.state,
      recorded: candidate.record !== undefined,
    });
  }
  return runDrain(
    target,
    {
      origin: 'reconcile',
      mode: 'once',
      restartCompleted: found,
      known: found ? undefined : candidate.record,
    },
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
  runtime: DrainRuntime,
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
