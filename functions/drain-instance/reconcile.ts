import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import {
  describeAutoScalingGroups,
  describeLifecycleHooks,
  recordLifecycleActionHeartbeat,
} from '../../shared/aws/autoscaling';
import { BATCH_CONCURRENCY, mapConcurrent } from '../../shared/aws/batch';
import { getDrains } from '../../shared/aws/drain-state';
import { errorMessage, kindOf } from '../../shared/aws/errors';
import {
  type DrainRecord,
  isEarlierAction,
  isOpen,
  leaseHeldByOther,
  reconcileOrder,
} from '../../shared/drain/record';
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

/** Below two reconcile periods, a drain left to the pass can lose its hook between two heartbeats. */
export const MIN_HOOK_TIMEOUT_SECONDS = 120;

interface Candidate {
  instanceId: string;
  group: AutoScalingGroup;
  state: string;
  record: DrainRecord | undefined;
}

export interface ReconcileResult {
  waiting: number;
  instances: InstanceOutcome[];
  /** Left for the next pass: over RECONCILE_MAX_INSTANCES or out of time. */
  deferred: number;
}

/**
 * The every-minute pass: re-reads which instances of the configured groups wait in a terminate state
 * and carries each drain one step forward, so a lost event, a timed-out invocation or a crash never
 * leaves an instance behind. Bounded work per pass, most overdue first.
 */
export async function reconcile(runtime: DrainRuntime): Promise<ReconcileResult> {
  const { config, logger } = runtime;
  const groups = await describeAutoScalingGroups(config.groups);
  const missing = config.groups.filter(
    (name) => !groups.some((group) => group.AutoScalingGroupName === name),
  );
  if (missing.length > 0) logger.warn('Configured Auto Scaling groups not found', { groups: missing });

  const waiting = groups.flatMap((group) =>
    (group.Instances ?? [])
      .filter((instance) => instance.InstanceId && WAITING_STATES.has(instance.LifecycleState ?? ''))
      .map((instance) => ({
        instanceId: instance.InstanceId as string,
        group,
        state: instance.LifecycleState as string,
      })),
  );
  if (waiting.length === 0) return { waiting: 0, instances: [], deferred: 0 };

  const records = await getDrains(
    config.table,
    waiting.map((instance) => instance.instanceId),
  );
  const now = Date.now();
  const outcomes: InstanceOutcome[] = [];
  const candidates: Candidate[] = [];
  for (const instance of waiting) {
    const record = records.get(instance.instanceId);
    if (record && isOpen(record) && leaseHeldByOther(record, runtime.owner, now)) {
      outcomes.push({
        instanceId: instance.instanceId,
        group: instance.group.AutoScalingGroupName,
        cluster: record.cluster,
        outcome: 'in-progress-elsewhere',
      });
    } else {
      candidates.push({ ...instance, record });
    }
  }
  const ordered = reconcileOrder(candidates);
  const chosen = ordered.slice(0, config.reconcileMaxInstances);
  let deferred = ordered.length - chosen.length;

  const hooksByGroup = new Map(
    await Promise.all(
      [...new Set(chosen.map((candidate) => candidate.group.AutoScalingGroupName as string))].map(
        async (name) => [name, await describeLifecycleHooks(name)] as const,
      ),
    ),
  );

  const results = await mapConcurrent(chosen, BATCH_CONCURRENCY, async (candidate) => {
    if (!runtime.budget.hasTimeFor(STEP_RESERVE_MS)) {
      deferred++;
      return undefined;
    }
    try {
      return await reconcileOne(
        candidate,
        hooksByGroup.get(candidate.group.AutoScalingGroupName as string) ?? [],
        runtime,
      );
    } catch (error) {
      // One instance failing must not hold back the others; the next pass tries it again.
      logger.error('Reconcile of an instance failed', {
        instanceId: candidate.instanceId,
        autoScalingGroup: candidate.group.AutoScalingGroupName,
        errorKind: kindOf(error),
        error: errorMessage(error),
      });
      runtime.metrics.addMetric('DrainErrors', 'Count', 1);
      return {
        instanceId: candidate.instanceId,
        group: candidate.group.AutoScalingGroupName,
        outcome: 'failed',
        reason: errorMessage(error),
      } satisfies InstanceOutcome;
    }
  });
  outcomes.push(...results.filter((result) => result !== undefined));
  if (deferred > 0) logger.info('Instances left for the next reconcile pass', { deferred });
  return { waiting: waiting.length, instances: outcomes, deferred };
}

async function reconcileOne(
  candidate: Candidate,
  groupHooks: Awaited<ReturnType<typeof describeLifecycleHooks>>,
  runtime: DrainRuntime,
): Promise<InstanceOutcome> {
  const { config, logger } = runtime;
  const groupName = candidate.group.AutoScalingGroupName as string;
  const base = { instanceId: candidate.instanceId, group: groupName };
  const hooks = ourTerminateHooks(groupHooks, config);
  const [hook] = hooks;
  if (!hook?.LifecycleHookName) {
    logger.warn('Instance waits in a terminate state but the group has none of our hooks', {
      ...base,
      hookNames: config.hookNames,
    });
    return {
      ...base,
      outcome: 'not-ours',
      reason: `group has none of the hooks ${config.hookNames.join(', ')}`,
    };
  }
  if (hooks.length > 1) {
    logger.warn('Group has several of our terminate hooks; completing the first only', {
      ...base,
      hooks: hooks.map((item) => item.LifecycleHookName),
    });
  }
  if ((hook.HeartbeatTimeout ?? 3600) < MIN_HOOK_TIMEOUT_SECONDS) {
    logger.warn('Hook heartbeat timeout too short for the every-minute pass to keep it alive', {
      ...base,
      hook: hook.LifecycleHookName,
      heartbeatTimeoutSeconds: hook.HeartbeatTimeout,
      advice: `use ${MIN_HOOK_TIMEOUT_SECONDS} s or more (300 s is a good default)`,
    });
  }
  const cluster = await clusterForGroup(
    groupName,
    hook.NotificationMetadata,
    config,
    candidate.group.Tags ?? [],
  );
  if ('failed' in cluster) {
    logger.error('Cannot drain: no cluster', { ...base, reason: cluster.failed });
    return { ...base, outcome: 'failed', reason: cluster.failed };
  }
  if ('ignored' in cluster)
    return { ...base, cluster: cluster.cluster, outcome: 'ignored', reason: cluster.ignored };

  const now = Date.now();
  const target: DrainTarget = {
    instanceId: candidate.instanceId,
    group: groupName,
    hook: hook.LifecycleHookName,
    cluster: cluster.cluster,
    trigger: 'lifecycle',
    cause: candidate.state === 'Warmed:Pending:Wait' ? 'warm-pool' : 'terminate',
    token: undefined,
    hookTimerFrom: undefined,
    heartbeatTimeoutSeconds: hook.HeartbeatTimeout,
  };
  const record = candidate.record;
  const known = record !== undefined && isOpen(record) && !isEarlierAction(record, undefined, now);
  if (!known && !config.dryRun) {
    // No open drain: is the instance waiting on *our* hook, or on someone else's (a launch hook into the
    // warm pool, another tool's terminate hook after ours completed)? A heartbeat answers without harm.
    const probe = await recordLifecycleActionHeartbeat({
      group: groupName,
      hook: target.hook as string,
      instanceId: target.instanceId,
    });
    if (probe === 'already-done') {
      logger.debug('Instance is not waiting on our hook', { ...base, state: candidate.state });
      return {
        ...base,
        cluster: target.cluster,
        outcome: 'not-ours',
        reason: `not waiting on hook ${target.hook}`,
      };
    }
    target.hookTimerFrom = now;
    logger.info('Found a drain without a live invocation (lost event or past action)', {
      ...base,
      state: candidate.state,
      recorded: record !== undefined,
    });
  }
  return runDrain(
    target,
    { origin: 'reconcile', mode: 'once', restartCompleted: !known, known: record },
    runtime,
  );
}
