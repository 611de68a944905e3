/**
 * One pass per capacity provider the event concerns: observe -> plan -> act, each decision logged
 * with its reasons and measured. Every pass starts from fresh state, so running it twice, or for a
 * duplicate event, decides the same thing and changes nothing more.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

import { describeAutoScalingGroups, setInstanceProtection } from '../../shared/aws/autoscaling';
import { describeCapacityProviders, listTaskArnsUpTo } from '../../shared/aws/ecs';
import type { CapacityEvent } from '../../shared/capacity/events';
import { type GuardedPlan, guardPlan, type HeldRemoval } from '../../shared/capacity/guard';
import { type CapacityPlan, planCapacity } from '../../shared/capacity/planner';
import { applyStall, stallChanged, stallsAfter } from '../../shared/capacity/stall';
import type { Observability } from '../../shared/runtime/observability';
import { type ActResult, applyPlan } from './act';
import { observeBoot } from './boot';
import type { ProviderRef, ScaleCapacityConfig } from './config';
import { recordCapacityDecisions } from './decisions';
import { addForeseenRuns } from './foresight';
import {
  CapacityProviderRefused,
  type ClusterReads,
  groupNameOf,
  type Observation,
  observe,
  readCluster,
} from './observe';
import { observeWarmPool } from './warm-pool';

export interface PassDeps extends Observability {
  config: ScaleCapacityConfig;
  now: () => number;
  /**
   * When this execution environment last started a successful pass, per provider. With reserved
   * concurrency 1, a burst of PROVISIONING events (one per task) queues up behind the running pass;
   * each one a pass has already seen is answered at once instead of re-reading the cluster.
   */
  passes?: Map<string, number>;
  /**
   * Standalone tasks a PROVISIONING event named (ARN -> cluster, first seen): every pass of their
   * cluster, ticks included, describes them again until they leave PROVISIONING, so one whose event
   * queued behind another pass is still planned (only service tasks are in deficits).
   */
  waiting?: WaitingTasks;
  /**
   * When a pass last listed every task of a family (`cluster/family` -> the start of the invocation
   * whose passes all succeeded). A fan-out job's burst of standalone PROVISIONING events is found by
   * the first event's pass; the events of the others, older than that listing, are answered at once.
   */
  familyScans?: Map<string, number>;
}

export type WaitingTasks = Map<string, { cluster: string; since: number }>;
/** How long a standalone PROVISIONING task is looked for, and how many at most (DescribeTasks calls). */
const WAITING_FOR_MS = 15 * 60_000;
const WAITING_MAX = 500;

/** EventBridge times are whole seconds, and ECS list calls lag a little: a pass this much later saw the event. */
const SEEN_AFTER_MS = 5_000;
/**
 * ECS retries a service's placement about once a minute and sends a new SERVICE_TASK_PLACEMENT_FAILURE
 * each time it fails again: a failure this much older than a finished pass has been retried since, so
 * the newer event (if any) speaks for it.
 */
const PLACEMENT_RETRIED_AFTER_MS = 65_000;

export interface ProviderOutcome {
  cluster: string;
  capacityProvider: string;
  status: 'applied' | 'planned' | 'refused' | 'failed' | 'released';
  error?: string;
  desiredCapacity?: number;
  scaleOut?: number;
  removed?: string[];
  unplaceable?: number;
  lowerBound?: number;
  reasons?: string[];
  /** Auto Scaling processes suspended on the group (Launch holds scale-out, Terminate removals). */
  suspendedProcesses?: string[];
  /** Launches Auto Scaling failed since its last one that did not (StatusMessage of the latest). */
  launchFailures?: { count: number; latest: string };
  /** Instances whose ECS agent has been disconnected for 5 minutes or more, and since when. */
  disconnectedAgents?: { instanceId: string; since: string }[];
  /** Why this pass's view was partial (it removed nothing it could not see). */
  partial?: string[];
  /** Removals the plan made and this pass held back, each with why. */
  held?: { instanceId: string; reason: string; heldBecause: HeldRemoval['heldBecause'] }[];
  /** In dry run: the whole plan, the actions it would take. */
  plan?: CapacityPlan;
  failures?: ActResult['outcomes'];
}

export interface CapacitySummary {
  status: 'done' | 'dry-run' | 'ignored';
  reason?: string;
  providers: ProviderOutcome[];
}

/** An act step failed for a reason other than "already done": Lambda retries the event. */
export class CapacityPassFailed extends Error {
  override readonly name = 'CapacityPassFailed';
}

export async function handleCapacityEvent(event: CapacityEvent, deps: PassDeps): Promise<CapacitySummary> {
  if (event.kind === 'ignored') {
    deps.logger.info('Event ignored', { reason: event.reason });
    return { status: 'ignored', reason: event.reason, providers: [] };
  }
  const targets = targetsOf(event, deps.config.providers);
  if (targets.length === 0) {
    const reason = `no managed capacity provider for cluster ${'cluster' in event ? event.cluster : '?'}`;
    deps.logger.info('Event ignored', { reason });
    return { status: 'ignored', reason, providers: [] };
  }

  const reads = new Map<string, ClusterReads>();
  const outcomes: ProviderOutcome[] = [];
  const unseen = targets.filter((target) => !seenByLaterPass(event, target, deps));
  if (unseen.length === 0) {
    const reason = `a pass that started after this event has already planned for ${subjectOf(event)}`;
    deps.logger.info('Event ignored', { reason });
    deps.metrics.addMetric('WakeUpsCoalesced', MetricUnit.Count, 1);
    return { status: 'ignored', reason, providers: [] };
  }
  const familyScan = await scanFamily(event, deps);
  for (const target of unseen) {
    if (deps.config.releaseProtection.includes(target)) {
      outcomes.push(await releaseProtection(target, deps));
      continue;
    }
    let clusterReads = reads.get(target.cluster);
    if (!clusterReads) {
      clusterReads = readCluster(target.cluster);
      // Read failures surface in the pass that awaits them.
      for (const promise of Object.values(clusterReads)) (promise as Promise<unknown>).catch(() => undefined);
      reads.set(target.cluster, clusterReads);
    }
    outcomes.push(await pass(target, event, clusterReads, deps));
  }

  const failed = outcomes.filter((outcome) => outcome.status === 'failed');
  if (failed.length > 0) {
    throw new CapacityPassFailed(
      failed.map((outcome) => `${outcome.cluster}/${outcome.capacityProvider}: ${outcome.error}`).join('; '),
    );
  }
  if (familyScan?.complete) deps.familyScans?.set(familyScan.key, familyScan.at);
  return { status: deps.config.dryRun ? 'dry-run' : 'done', providers: outcomes };
}

function targetsOf(
  event: Exclude<CapacityEvent, { kind: 'ignored' }>,
  providers: ProviderRef[],
): ProviderRef[] {
  if (event.kind === 'tick') return providers;
  const inCluster = providers.filter((provider) => provider.cluster === event.cluster);
  const named =
    event.kind === 'placement-failure'
      ? event.capacityProviders
      : event.capacityProvider && event.capacityProvider !== '*'
        ? [event.capacityProvider]
        : [];
  return named.length === 0
    ? inCluster
    : inCluster.filter((provider) => named.includes(provider.capacityProvider));
}

async function pass(
  target: ProviderRef,
  event: Exclude<CapacityEvent, { kind: 'ignored' }>,
  reads: ClusterReads,
  deps: PassDeps,
): Promise<ProviderOutcome> {
  const { config, logger } = deps;
  const base = { cluster: target.cluster, capacityProvider: target.capacityProvider };
  const now = deps.now();
  // The first provider listed for a cluster also takes demand meant for any of its instances.
  const anyInstance = config.providers.find((provider) => provider.cluster === target.cluster) === target;
  let observation: Observation;
  try {
    observation = await observe({
      ...target,
      table: config.table,
      settings: config.settings,
      now,
      anyInstance,
      instanceTypes: config.instanceTypes,
      reads,
      provisioningTasks: provisioningTasks(event, target, deps, now),
    });
  } catch (error) {
    if (error instanceof CapacityProviderRefused) {
      logger.error('Capacity provider refused', { ...base, reason: error.message });
      metric(deps, target, 'Refused', 1);
      return { ...base, status: 'refused', error: error.message };
    }
    logger.error('Observe failed', { ...base, error: error as Error });
    return { ...base, status: 'failed', error: (error as Error).message };
  }
  // The group's measured boot (boot.ts) and warm pool (warm-pool.ts), then scheduled jobs' runs due
  // within the lead they give (foresight.ts).
  observation.notes.push(
    ...(await observeBoot(observation.snapshot, {
      table: config.table,
      groupName: observation.groupName,
      now,
      dryRun: config.dryRun,
    })),
    ...(await observeWarmPool(observation.snapshot, {
      groupName: observation.groupName,
      hasWarmPool: observation.hasWarmPool === true,
    })),
    ...(await addForeseenRuns(observation.snapshot, { table: config.table, reads, anyInstance, now })),
  );
  for (const note of observation.notes) logger.info('Observation note', { ...base, note });
  forgetPlaced(deps.waiting, target.cluster, observation.stillProvisioning);

  const started = performance.now();
  const decide = (): GuardedPlan =>
    guardPlan(
      planCapacity(observation.snapshot, now),
      {
        partial: observation.partial,
        protectedIds: observation.protectedIds,
        liveInstances: observation.liveInstances,
        refreshReplacements: observation.refreshReplacements,
        releaseProtection: observation.releaseProtection,
      },
      observation.snapshot.settings,
    );
  let decision = decide();
  let plan = decision.plan;
  const stalls = stallsAfter(
    event.kind === 'placement-failure' && event.service
      ? { service: event.service, reason: event.reason }
      : undefined,
    plan.placements,
    observation.stallMarkers,
    observation.snapshot.instances,
    now,
  );
  const changed = stalls.filter((stall) => stallChanged(stall, observation.stallMarkers.get(stall.source)));
  if (changed.length > 0) {
    // ECS failed again, a retry later, where the simulation says the tasks fit: plan them on new
    // instances; or it failed even there: report them instead of buying more.
    const bySource = new Map(changed.map((stall) => [stall.source, stall]));
    for (const demand of observation.snapshot.demand) {
      const stall = bySource.get(demand.source);
      if (stall) applyStall(demand, stall, now);
    }
    decision = decide();
    plan = decision.plan;
  }
  const decisionMs = performance.now() - started;
  const { held } = decision;
  if (observation.partial.length > 0) {
    // Said once per pass, with what it kept from doing, so a partial ECS answer is never silent.
    logger.warn('Partial view', {
      ...base,
      group: observation.groupName,
      partial: observation.partial,
      removalsHeld: held
        .filter((removal) => removal.heldBecause === 'partial-view')
        .map((removal) => removal.instanceId),
    });
    metric(deps, target, 'PartialView', 1);
  }

  logger.info('Capacity decision', {
    ...base,
    group: observation.groupName,
    dryRun: config.dryRun,
    desiredCapacity: { from: plan.currentDesired, to: plan.desiredCapacity },
    scaleOut: plan.scaleOut,
    removals: plan.removals,
    ...(held.length > 0 ? { removalsHeld: held } : {}),
    protect: plan.protect,
    unprotect: plan.unprotect,
    unplaceable: plan.unplaceable,
    lowerBound: plan.lowerBound,
    gap: plan.gap,
    decisionMs: Math.round(decisionMs * 10) / 10,
    reasons: plan.reasons,
    ...(plan.suspended.processes.length > 0 ? { suspendedProcesses: plan.suspended.processes } : {}),
  });
  if (plan.suspended.scaleOut > 0 || plan.suspended.removals.length > 0) {
    // An operator froze the group (or Auto Scaling suspended Launch itself): say what waits on it.
    logger.warn('Held by suspended Auto Scaling processes', {
      ...base,
      group: observation.groupName,
      suspendedProcesses: plan.suspended.processes,
      scaleOutHeld: plan.suspended.scaleOut,
      removalsHeld: plan.suspended.removals.map((removal) => removal.instanceId),
      pendingTasks: plan.demand.tasks,
    });
  }
  if (plan.launchFailures) {
    // Auto Scaling cannot launch what was asked: say why, in its own words.
    const latest = plan.launchFailures.failures[0];
    logger.warn('Launches failing', {
      ...base,
      group: observation.groupName,
      failures: plan.launchFailures.failures.length,
      statusCode: latest?.status,
      statusMessage: latest?.message,
      since: plan.launchFailures.failures.at(-1)?.at,
      requestedNotLaunched: plan.launchFailures.requested,
      scaleOutHeld: plan.launchFailures.heldScaleOut,
      pendingTasks: plan.demand.tasks,
    });
  }
  if (observation.disconnectedAgents.length > 0) {
    // ECS places nothing on them and their tasks' states are frozen: say so, with since when.
    logger.warn('Agents disconnected', {
      ...base,
      group: observation.groupName,
      instances: observation.disconnectedAgents,
    });
  }
  metric(deps, target, 'DisconnectedAgents', observation.disconnectedAgents.length);
  recordMetrics(deps, target, plan, decisionMs);

  const outcome: ProviderOutcome = {
    ...base,
    status: config.dryRun ? 'planned' : 'applied',
    desiredCapacity: plan.desiredCapacity,
    scaleOut: plan.scaleOut,
    unplaceable: plan.unplaceable.reduce((sum, item) => sum + item.count, 0),
    lowerBound: plan.lowerBound,
    reasons: plan.reasons,
    ...(observation.partial.length > 0 ? { partial: observation.partial } : {}),
    ...(observation.disconnectedAgents.length > 0
      ? { disconnectedAgents: observation.disconnectedAgents }
      : {}),
    ...(held.length > 0
      ? {
          held: held.map((removal) => ({
            instanceId: removal.instanceId,
            reason: removal.reason,
            heldBecause: removal.heldBecause,
          })),
        }
      : {}),
    ...(plan.suspended.processes.length > 0 ? { suspendedProcesses: plan.suspended.processes } : {}),
    ...(plan.launchFailures
      ? {
          launchFailures: {
            count: plan.launchFailures.failures.length,
            latest: plan.launchFailures.failures[0]?.message ?? '',
          },
        }
      : {}),
  };
  if (config.dryRun) {
    deps.passes?.set(passKey(target), now);
    return { ...outcome, plan, removed: [] };
  }

  const result = await applyPlan({
    table: config.table,
    plan,
    base: decision.base,
    observation,
    now,
    stalls,
    clock: deps.now,
  });
  recordScaling(deps, target, decision, result);
  await recordCapacityDecisions(config.table, plan, result, logger);
  const failures = result.outcomes.filter((item) => item.result === 'failed');
  if (failures.length > 0) {
    logger.error('Some actions failed', { ...base, failures });
    return {
      ...outcome,
      status: 'failed',
      removed: result.removed,
      failures,
      error: failures.map((f) => `${f.action} ${f.target}: ${f.detail}`).join('; '),
    };
  }
  deps.passes?.set(passKey(target), now);
  return { ...outcome, removed: result.removed };
}

/**
 * RELEASE_PROTECTION: scale-capacity no longer drives this provider's group. Busy instances it
 * protected would keep that protection for ever (nothing else clears it) and hold back Auto Scaling's
 * own scale-in, instance refresh and maximum lifetime; so each pass gives it back, and does nothing
 * else. Idempotent: an instance already unprotected is not touched.
 */
async function releaseProtection(target: ProviderRef, deps: PassDeps): Promise<ProviderOutcome> {
  const base = { cluster: target.cluster, capacityProvider: target.capacityProvider };
  try {
    const { items } = await describeCapacityProviders([target.capacityProvider]);
    const provider = items[0];
    if (!provider?.autoScalingGroupProvider?.autoScalingGroupArn) {
      return {
        ...base,
        status: 'refused',
        error: `capacity provider ${target.capacityProvider} has no Auto Scaling group`,
      };
    }
    if (provider.autoScalingGroupProvider.managedTerminationProtection === 'ENABLED') {
      // ECS sets and clears protection itself then: not ours to release.
      return {
        ...base,
        status: 'released',
        reasons: ['managed termination protection is ENABLED: ECS owns protection'],
      };
    }
    const group = groupNameOf(provider);
    const [details] = await describeAutoScalingGroups([group]);
    const protectedIds = (details?.Instances ?? [])
      .filter((instance) => instance.ProtectedFromScaleIn && instance.InstanceId)
      .map((instance) => instance.InstanceId as string);
    const reason =
      protectedIds.length === 0
        ? `RELEASE_PROTECTION: no instance of ${group} is protected from scale-in`
        : `RELEASE_PROTECTION: scale-in protection given back on ${protectedIds.join(', ')}`;
    deps.logger.info('Protection released', {
      ...base,
      group,
      instances: protectedIds,
      dryRun: deps.config.dryRun,
    });
    if (protectedIds.length > 0 && !deps.config.dryRun)
      await setInstanceProtection(group, protectedIds, false);
    return { ...base, status: 'released', reasons: [reason] };
  } catch (error) {
    deps.logger.error('Releasing protection failed', { ...base, error: error as Error });
    return { ...base, status: 'failed', error: (error as Error).message };
  }
}

const passKey = (target: ProviderRef) => `${target.cluster}/${target.capacityProvider}`;

/** The task the event names, and the standalone PROVISIONING tasks of the cluster still waiting. */
function provisioningTasks(
  event: Exclude<CapacityEvent, { kind: 'ignored' }>,
  target: ProviderRef,
  deps: PassDeps,
  now: number,
): string[] {
  const waiting = deps.waiting;
  const named = event.kind === 'provisioning' ? event.taskArn : undefined;
  if (
    waiting &&
    event.kind === 'provisioning' &&
    !event.group?.startsWith('service:') &&
    !waiting.has(event.taskArn) &&
    waiting.size < WAITING_MAX
  ) {
    waiting.set(event.taskArn, { cluster: event.cluster, since: now });
  }
  const arns = new Set<string>(named ? [named] : []);
  for (const [arn, entry] of waiting ?? []) {
    if (now - entry.since > WAITING_FOR_MS) waiting?.delete(arn);
    else if (entry.cluster === target.cluster) arns.add(arn);
  }
  return [...arns];
}

/** Remembered tasks of the cluster no longer PROVISIONING (placed, stopped or gone) are dropped. */
function forgetPlaced(waiting: WaitingTasks | undefined, cluster: string, stillProvisioning: string[]) {
  if (!waiting) return;
  const still = new Set(stillProvisioning);
  for (const [arn, entry] of waiting) if (entry.cluster === cluster && !still.has(arn)) waiting.delete(arn);
}

/**
 * An event a later, successful pass has already answered (with reserved concurrency 1 a burst queues
 * behind the running pass; answering those at once, with no AWS call, makes a storm cost a handful of
 * passes): a service's PROVISIONING task (every pass counts a service's missing tasks in its
 * deficit), a capacity request (an item every pass reads), a standalone task whose family a later
 * pass listed whole, and a placement failure ECS has retried since. Ticks always get their pass.
 */
function seenByLaterPass(
  event: Exclude<CapacityEvent, { kind: 'ignored' }>,
  target: ProviderRef,
  deps: PassDeps,
): boolean {
  if (event.kind === 'tick' || event.time === undefined) return false;
  const started = deps.passes?.get(passKey(target));
  if (started === undefined) return false;
  switch (event.kind) {
    // The request is a state-table item, written before its event: every pass reads them all.
    case 'request':
      return started >= event.time + SEEN_AFTER_MS;
    case 'placement-failure':
      return started >= event.time + PLACEMENT_RETRIED_AFTER_MS;
    case 'provisioning': {
      if (event.group?.startsWith('service:')) return started >= event.time + SEEN_AFTER_MS;
      // Known and described by a later pass (every pass of the cluster describes the waiting tasks).
      const known = deps.waiting?.get(event.taskArn);
      if (known && started >= Math.max(event.time + SEEN_AFTER_MS, known.since)) return true;
      const scanned = deps.familyScans?.get(familyKey(event.cluster, event.group));
      return scanned !== undefined && scanned >= event.time + SEEN_AFTER_MS;
    }
  }
}

const familyKey = (cluster: string, group: string | undefined) => `${cluster}/${group ?? ''}`;

function subjectOf(event: Exclude<CapacityEvent, { kind: 'ignored' }>): string {
  switch (event.kind) {
    case 'provisioning':
      return `task ${event.taskArn}`;
    case 'placement-failure':
      return `service ${event.service ?? '?'} (ECS has retried its placement since)`;
    case 'request':
      return `the capacity requests of cluster ${event.cluster}`;
    case 'tick':
      return 'this tick';
  }
}

/**
 * A standalone PROVISIONING task not yet known: list its family's tasks (bounded), so the pass plans
 * for every task of a fan-out at once and the burst's other events are answered without a pass.
 * Says when it listed, and whether the listing was complete.
 */
async function scanFamily(
  event: Exclude<CapacityEvent, { kind: 'ignored' }>,
  deps: PassDeps,
): Promise<{ key: string; at: number; complete: boolean } | undefined> {
  const waiting = deps.waiting;
  if (!waiting || !deps.familyScans || event.kind !== 'provisioning') return undefined;
  if (!event.group?.startsWith('family:') || waiting.has(event.taskArn)) return undefined;
  const room = WAITING_MAX - waiting.size;
  if (room <= 0) return undefined;
  const now = deps.now();
  try {
    const listed = await listTaskArnsUpTo(
      event.cluster,
      { family: event.group.slice('family:'.length), desiredStatus: 'RUNNING' },
      room,
    );
    for (const arn of listed.items.slice(0, room)) {
      if (!waiting.has(arn)) waiting.set(arn, { cluster: event.cluster, since: now });
    }
    return {
      key: familyKey(event.cluster, event.group),
      at: now,
      complete: listed.complete && listed.items.length <= room,
    };
  } catch (error) {
    // The event's own task is still described by the pass: the listing only saves later passes.
    deps.logger.warn('Listing the family of a PROVISIONING task failed', {
      cluster: event.cluster,
      group: event.group,
      error: error as Error,
    });
    return undefined;
  }
}

/**
 * ScaleOut and ScaleIn: what happened (the instances added to the desired capacity, the instances
 * removed), with what was asked beside it (ScaleOutRequested, ScaleInRequested) so a raise or a
 * removal that did not happen shows. Each is also given per Reason: why instances were added
 * (pending tasks, headroom) or removed (idle, never-registered, consolidation), and why removals
 * were held (ScaleInHeld: partial-view, protected, max-scale-in, instance-refresh).
 */
function recordScaling(deps: PassDeps, target: ProviderRef, decision: GuardedPlan, result: ActResult) {
  const { plan, held } = decision;
  const outReason = plan.totals.onNew > 0 ? 'pending-tasks' : 'headroom';
  const added = result.desiredCapacity !== undefined ? result.desiredCapacity - result.raisedFrom : 0;
  metric(deps, target, 'ScaleOutRequested', plan.scaleOut);
  metric(deps, target, 'ScaleOut', added);
  if (plan.scaleOut > 0) {
    metric(deps, target, 'ScaleOutRequested', plan.scaleOut, MetricUnit.Count, outReason);
    metric(deps, target, 'ScaleOut', added, MetricUnit.Count, outReason);
  }
  metric(deps, target, 'ScaleInRequested', plan.removals.length);
  metric(deps, target, 'ScaleIn', result.removed.length);
  const removed = new Set(result.removed);
  const byReason = new Map<string, { asked: number; done: number }>();
  for (const removal of plan.removals) {
    const entry = byReason.get(removal.reason) ?? { asked: 0, done: 0 };
    entry.asked++;
    if (removed.has(removal.instanceId)) entry.done++;
    byReason.set(removal.reason, entry);
  }
  for (const [reason, { asked, done }] of byReason) {
    metric(deps, target, 'ScaleInRequested', asked, MetricUnit.Count, reason);
    metric(deps, target, 'ScaleIn', done, MetricUnit.Count, reason);
  }
  const heldBy = new Map<string, number>();
  for (const removal of held) heldBy.set(removal.heldBecause, (heldBy.get(removal.heldBecause) ?? 0) + 1);
  for (const [reason, count] of heldBy) metric(deps, target, 'ScaleInHeld', count, MetricUnit.Count, reason);
}

function recordMetrics(deps: PassDeps, target: ProviderRef, plan: CapacityPlan, decisionMs: number) {
  const pending = plan.demand.tasks;
  metric(deps, target, 'PendingTasks', pending);
  metric(deps, target, 'PlannedInstances', plan.desiredCapacity);
  metric(deps, target, 'ActualInstances', plan.instances.usable + plan.instances.launching);
  metric(deps, target, 'NewInstancesNeeded', plan.newInstances);
  metric(deps, target, 'LowerBound', plan.lowerBound);
  metric(deps, target, 'UnplaceableTasks', plan.totals.unplaced);
  metric(deps, target, 'LaunchFailures', plan.launchFailures?.failures.length ?? 0);
  metric(deps, target, 'CpuReserved', plan.utilization.cpu.reserved);
  metric(deps, target, 'CpuRegistered', plan.utilization.cpu.registered);
  metric(deps, target, 'MemoryReserved', plan.utilization.memoryMiB.reserved, MetricUnit.Megabytes);
  metric(deps, target, 'MemoryRegistered', plan.utilization.memoryMiB.registered, MetricUnit.Megabytes);
  metric(deps, target, 'DecisionTime', decisionMs, MetricUnit.Milliseconds);
}

function metric(
  deps: PassDeps,
  target: ProviderRef,
  name: string,
  value: number,
  unit: Unit = MetricUnit.Count,
  reason?: string,
) {
  const single = deps.metrics.singleMetric();
  single.addDimension('CapacityProvider', target.capacityProvider);
  if (reason) single.addDimension('Reason', reason);
  single.addMetric(name, unit, value);
}
