import type { ContainerInstance } from '@aws-sdk/client-ecs';
import { recordLifecycleActionHeartbeat } from '../../shared/aws/autoscaling';
import { findContainerInstanceByEc2Id, setContainerInstancesDraining } from '../../shared/aws/ecs';
import { errorMessage, kindOf } from '../../shared/aws/errors';
import { BUDGET_CHECK_AFTER_MS, holdUntil } from '../../shared/drain/budget';
import { maskToken } from '../../shared/drain/events';
import { type DrainPlan, describeTask, planDrain } from '../../shared/drain/plan';
import { policyFor } from '../../shared/drain/policy';
import {
  type DrainOrigin,
  type DrainRecord,
  hashToken,
  isEarlierAction,
  isOpen,
  leaseHeldByOther,
  MAX_ACTION_MS,
} from '../../shared/drain/record';
import {
  acquireLease,
  createDrain,
  getDrain,
  recordDrainProgress,
  releaseLease,
  restartDrain,
} from '../../shared/state/drain';
import { act, taskList } from './act';
import { bestEffort, decided } from './bookkeeping';
import { observe } from './observe';
import { type DrainContext, type DrainTarget, type InstanceOutcome, instanceKeys } from './runtime';
import { checkGroupSetup } from './setup-checks';
import { busyPerSweep, clusterSweep } from './sweep';
import { hasDrainingTurn } from './turns';

/** Time one observe-decide-act step may take, on top of the timeBudget margin. */
export const STEP_RESERVE_MS = 5_000;

export interface DrainOptions {
  origin: DrainOrigin;
  /** `loop`: keep going while the invocation has time (event-driven); `once`: one step (reconcile). */
  mode: 'loop' | 'once';
  /** A completed drain is a past action: the reconcile heartbeat found our hook holding the instance again. */
  restartCompleted?: boolean;
  /** The drain as the caller just read it (reconcile): an open one need not be recorded again. */
  known?: DrainRecord | undefined;
  /** The caller already heartbeated the hook and set DRAINING (the reconcile pass does both first). */
  secured?: boolean;
  /** The instance is gone from its Auto Scaling group (the sweep of open drains): lost, whatever ECS says. */
  vanished?: boolean;
}

const latest = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

/** What the safety step did before any state-table call. */
interface Secured {
  /** Epoch ms of the heartbeat it sent, when it went through. */
  heartbeatAt?: number | undefined;
  /** Auto Scaling answered "no active lifecycle action": ours ended (completed, expired). */
  actionGone: boolean;
  /** The container instance as read (status DRAINING once set), when the read went through. */
  instance?: { instance: ContainerInstance | undefined };
}

/**
 * Safety first (issue #15): a heartbeat on the hook, then DRAINING, before the drain record is read or
 * written, so a state table that is down, throttled or slow never costs the hook its timer or lets ECS
 * place more tasks on the leaving instance. Both are idempotent; a failure here is retried by the
 * drain's own steps.
 */
async function secureFirst(target: DrainTarget, runtime: DrainContext): Promise<Secured> {
  const { logger } = runtime;
  const keys = instanceKeys(target);
  const secured: Secured = { actionGone: false };
  if (target.trigger === 'lifecycle' && target.hook) {
    const at = Date.now();
    try {
      const answer = await recordLifecycleActionHeartbeat({
        group: target.group,
        hook: target.hook,
        instanceId: target.instanceId,
        token: target.token,
      });
      if (answer === 'done') {
        secured.heartbeatAt = at;
        runtime.heartbeats.set(target.instanceId, at);
      } else secured.actionGone = true;
    } catch (error) {
      logger.warn('First heartbeat failed; the drain retries it', { ...keys, error: errorMessage(error) });
    }
  }
  // An action already over (a late duplicate event) must not leave a reused instance DRAINING.
  if (secured.actionGone) return secured;
  try {
    let instance = await findContainerInstanceByEc2Id(target.cluster, target.instanceId);
    const turn =
      instance?.status === 'ACTIVE' && target.trigger === 'lifecycle'
        ? await hasDrainingTurn(target, runtime)
        : true;
    if (!turn) logger.info('Waiting its turn to drain (MAX_DRAINING_PER_CLUSTER); left ACTIVE', keys);
    if (turn && instance?.status === 'ACTIVE' && instance.containerInstanceArn) {
      const { failures } = await setContainerInstancesDraining(target.cluster, [
        instance.containerInstanceArn,
      ]);
      if (failures.length > 0) {
        logger.warn('Could not set the container instance DRAINING', { ...keys, failures });
      } else {
        logger.info('Container instance set DRAINING', {
          ...keys,
          containerInstanceArn: instance.containerInstanceArn,
        });
        instance = { ...instance, status: 'DRAINING' };
        decided(target, 'set-draining', [
          'at once, before any bookkeeping: ECS places no new task on it and starts its service tasks elsewhere',
        ]);
      }
    }
    secured.instance = { instance };
  } catch (error) {
    if (kindOf(error) === 'not-found') throw error; // the cluster: configuration, reported by the caller
    logger.warn('Setting DRAINING failed; the drain retries it', { ...keys, error: errorMessage(error) });
  }
  return secured;
}

function heartbeatIntervalSeconds(target: DrainTarget, configured: number): number {
  if (target.heartbeatTimeoutSeconds === undefined) return configured;
  return Math.max(1, Math.min(configured, Math.floor(target.heartbeatTimeoutSeconds / 3)));
}

function newRecord(
  target: DrainTarget,
  origin: DrainOrigin,
  now: number,
  lease?: { owner: string; until: number },
): DrainRecord {
  return {
    instanceId: target.instanceId,
    group: target.group,
    hook: target.hook,
    cluster: target.cluster,
    cause: target.cause,
    origin,
    tokenHash: target.token ? hashToken(target.token) : undefined,
    startedAt: now,
    lastHeartbeatAt: target.hookTimerFrom,
    completedAt: undefined,
    outcome: undefined,
    leaseOwner: lease?.owner,
    leaseUntil: lease?.until,
  };
}

/** Auto Scaling's limit for one lifecycle action: min(48 h, 100 × heartbeat timeout). */
const hookLimitMs = (heartbeatTimeoutSeconds: number) =>
  Math.min(MAX_ACTION_MS, 100 * heartbeatTimeoutSeconds * 1000);

function leaseMs(runtime: DrainContext) {
  return 2 * runtime.config.pollIntervalSeconds * 1000 + 60_000;
}

function plan(
  target: DrainTarget,
  record: DrainRecord,
  observation: Awaited<ReturnType<typeof observe>>,
  runtime: DrainContext,
  context: { drainUnderway: boolean; vanished: boolean } = { drainUnderway: true, vanished: false },
) {
  const { config } = runtime;
  return planDrain({
    trigger: target.trigger,
    cause: target.cause,
    instanceId: target.instanceId,
    group: target.group,
    instance: observation.instance,
    deregistered: observation.deregistered,
    drainUnderway: context.drainUnderway,
    vanished: context.vanished,
    tasks: observation.tasks,
    daemonServices: observation.daemonServices,
    policy: policyFor(config.standalonePolicies, target.group),
    startedAt: record.startedAt,
    deadlineSeconds: config.deadlineSeconds,
    lastHeartbeatAt: record.lastHeartbeatAt,
    heartbeatIntervalSeconds: heartbeatIntervalSeconds(target, config.heartbeatIntervalSeconds),
    now: Date.now(),
    interruptionAt: target.interruptionAt,
    stopTimeouts: observation.stopTimeouts,
    budget: observation.budget,
    drainingTurn: observation.drainingTurn,
    holdUntil: holdUntil({
      startedAt: record.startedAt,
      deadlineSeconds: config.deadlineSeconds,
      blockedDeadlineSeconds: config.blockedDeadlineSeconds,
      heartbeatTimeoutSeconds: target.heartbeatTimeoutSeconds,
    }),
  });
}

/** The disruption budget is read once the drain is old enough to be blocked rather than slow. */
const readsBudget = (target: DrainTarget, record: DrainRecord, runtime: DrainContext, now: number) =>
  target.trigger === 'lifecycle' &&
  now - record.startedAt >= Math.min(BUDGET_CHECK_AFTER_MS, runtime.config.deadlineSeconds * 1000);

/** The plan as a dry run reports it, and as logs show it: instance, tasks still there, actions. */
export function describePlan(result: DrainPlan) {
  return {
    verdict: result.verdict,
    containerInstanceArn: result.containerInstanceArn,
    instanceStatus: result.instanceStatus,
    remainingTasks: result.remaining.length,
    tasksStillRunning: taskList(result.remaining.map(describeTask)),
    daemonTasksIgnored: result.daemonTasksIgnored,
    deadlineAt: new Date(result.deadlineAt).toISOString(),
    stopStandaloneAt:
      result.stopStandaloneAt === undefined ? undefined : new Date(result.stopStandaloneAt).toISOString(),
    actions: result.actions.map((action) =>
      action.type === 'stop-standalone-tasks'
        ? { type: action.type, tasks: action.tasks.map((task) => task.taskArn), reason: action.reason }
        : action.type === 'complete-continue'
          ? { type: action.type, reason: action.reason, remaining: action.remaining.length }
          : action,
    ),
    notes: result.notes,
  };
}

/** Dry run: the same observation and plan, no write of any kind. */
async function dryRun(target: DrainTarget, runtime: DrainContext): Promise<InstanceOutcome> {
  const now = Date.now();
  const stored = await getDrain(runtime.config.table, target.instanceId);
  const record =
    stored &&
    isOpen(stored) &&
    !isEarlierAction(stored, target.token ? hashToken(target.token) : undefined, now)
      ? stored
      : newRecord(target, 'reconcile', now);
  const observation = await observe(
    target,
    runtime,
    undefined,
    undefined,
    readsBudget(target, record, runtime, now),
  );
  const result = plan(target, record, observation, runtime);
  const described = describePlan(result);
  runtime.logger.info('Dry run: drain plan (nothing applied)', { ...instanceKeys(target), plan: described });
  return {
    instanceId: target.instanceId,
    group: target.group,
    cluster: target.cluster,
    outcome: 'planned',
    verdict: result.verdict,
    remainingTasks: result.remaining.length,
    plan: described,
  };
}

/**
 * Records the drain (or finds the one already recorded), so every invocation measures deadline and
 * stop-after from one start time; counts DrainsStarted once per drain.
 */
async function begin(target: DrainTarget, options: DrainOptions, runtime: DrainContext) {
  const { config, logger, metrics } = runtime;
  const now = Date.now();
  const tokenHash = target.token ? hashToken(target.token) : undefined;
  const { known } = options;
  if (known && isOpen(known) && !isEarlierAction(known, tokenHash, now))
    return { record: known, created: false };
  // A drain we record is leased to us in the same write.
  const lease = { owner: runtime.owner, until: now + leaseMs(runtime) };
  let { created, record } = await createDrain(config.table, newRecord(target, options.origin, now, lease));
  if (
    !created &&
    (isEarlierAction(record, tokenHash, now) || (options.restartCompleted && !isOpen(record)))
  ) {
    ({ created, record } = await restartDrain(
      config.table,
      newRecord(target, options.origin, now, lease),
      record.startedAt,
    ));
  }
  if (created) {
    metrics.addMetric('DrainsStarted', 'Count', 1);
    decided(target, 'drain-started', [
      `${target.cause === 'spot' ? 'Spot interruption warning' : `${target.cause} lifecycle action (hook ${target.hook ?? '-'})`}, seen by ${options.origin}`,
      `deadline ${config.deadlineSeconds} s`,
    ]);
    logger.info('Drain started', {
      ...instanceKeys(target),
      origin: options.origin,
      lifecycleActionToken: maskToken(target.token),
      deadlineSeconds: config.deadlineSeconds,
      standalonePolicy: policyFor(config.standalonePolicies, target.group),
    });
    const hookTimeout = target.heartbeatTimeoutSeconds;
    if (hookTimeout !== undefined && config.deadlineSeconds * 1000 > hookLimitMs(hookTimeout)) {
      logger.warn('The drain deadline is longer than Auto Scaling lets this hook wait', {
        ...instanceKeys(target),
        deadlineSeconds: config.deadlineSeconds,
        hookLimitSeconds: hookLimitMs(hookTimeout) / 1000,
        effect: "the hook's default result applies when its limit passes, whatever the drain",
      });
    }
    return { record, created };
  }
  if (isOpen(record) && target.token && (record.tokenHash === undefined || record.hook !== target.hook)) {
    // The action's event after a Spot warning or a reconcile pass: the drain continues, now with its token.
    const lastHeartbeatAt = Math.max(record.lastHeartbeatAt ?? 0, target.hookTimerFrom ?? 0) || undefined;
    await recordDrainProgress(config.table, target.instanceId, {
      tokenHash,
      hook: target.hook,
      lastHeartbeatAt,
    });
    record = { ...record, tokenHash, hook: target.hook, lastHeartbeatAt };
  }
  return { record, created };
}

/**
 * Drains one instance: observe, decide with the pure policy, act; then, in `loop` mode, sleep and go
 * again while the invocation has time. A lease keeps overlapping invocations (duplicate events, the
 * reconcile pass) off the same instance; the next pass picks up wherever this one stopped.
 */
export async function runDrain(
  target: DrainTarget,
  options: DrainOptions,
  runtime: DrainContext,
): Promise<InstanceOutcome> {
  if (runtime.config.dryRun) return dryRun(target, runtime);
  const { config, logger, budget, owner } = runtime;
  const keys = instanceKeys(target);
  const base = { instanceId: target.instanceId, group: target.group, cluster: target.cluster };

  const secured = options.secured ? { actionGone: false } : await secureFirst(target, runtime);
  // After the safety step: a setup that works against the drain is warned about once per container.
  if (target.trigger === 'lifecycle') await checkGroupSetup(target, runtime);
  const started: DrainTarget =
    secured.heartbeatAt === undefined ? target : { ...target, hookTimerFrom: secured.heartbeatAt };
  let degraded = false;
  const begun = await bestEffort(runtime, 'drain record not read or written', keys, undefined, () =>
    begin(started, options, runtime),
  );
  let record: DrainRecord;
  if (begun) record = begun.record;
  else {
    // No shared start: measured from the hook's start when known, else from now (later, never sooner).
    degraded = true;
    const now = Date.now();
    record = {
      ...newRecord(started, options.origin, now),
      startedAt: Math.min(target.hookTimerFrom ?? now, now),
    };
  }
  if (!isOpen(record)) {
    logger.info('Drain already completed; nothing to do', { ...keys, outcome: record.outcome });
    return { ...base, outcome: 'already-completed', reason: record.outcome };
  }
  if (secured.heartbeatAt !== undefined && secured.heartbeatAt > (record.lastHeartbeatAt ?? 0))
    record = { ...record, lastHeartbeatAt: secured.heartbeatAt };
  // Our action is gone: the first pass's heartbeat confirms it and reports the lost hook.
  if (secured.actionGone) record = { ...record, lastHeartbeatAt: undefined };
  // A Spot warning cannot wait for another invocation's next pass (two minutes): its one pass runs
  // beside it; every action is idempotent, the lease only saves duplicate work. Without the table
  // there is no lease: every action is idempotent, and one completion is what Auto Scaling keeps.
  const urgent = target.trigger === 'spot';
  let holdsLease = begun?.created ?? false;
  if (!holdsLease && !urgent && !degraded) {
    const leased = leaseHeldByOther(record, owner, Date.now())
      ? undefined
      : await bestEffort(runtime, 'lease not taken', keys, null, () =>
          acquireLease(config.table, target.instanceId, owner, Date.now(), Date.now() + leaseMs(runtime)),
        );
    if (leased === undefined) {
      logger.info('Another invocation is draining this instance', keys);
      return { ...base, outcome: 'in-progress-elsewhere' };
    }
    if (leased === null) degraded = true;
    else {
      record = {
        ...leased,
        lastHeartbeatAt: secured.actionGone
          ? undefined
          : latest(record.lastHeartbeatAt, leased.lastHeartbeatAt),
      };
      holdsLease = true;
    }
  }

  let passes = 0;
  let seenArn = record.containerInstanceArn;
  let standaloneStopped = 0;
  let lastPlan: DrainPlan | undefined;
  let released = !holdsLease;
  let lookedAgain = false;
  /** Polls the cluster's sweep answered instead of a full look of this instance. */
  let looksSkipped = 0;
  /**
   * Sleeps one poll interval and renews the lease; says how the drain ends when it must (`null`: no
   * time left in this invocation, the reconcile pass continues).
   */
  const pause = async (): Promise<InstanceOutcome | null | undefined> => {
    const pollMs = config.pollIntervalSeconds * 1000;
    if (!budget.hasTimeFor(pollMs + STEP_RESERVE_MS)) return null;
    await runtime.sleep(pollMs);
    if (holdsLease && (record.leaseUntil ?? 0) - Date.now() < leaseMs(runtime) / 2) {
      const renewed = await bestEffort(runtime, 'lease not renewed', keys, null, () =>
        acquireLease(config.table, target.instanceId, owner, Date.now(), Date.now() + leaseMs(runtime)),
      );
      if (renewed === null) {
        // The table went away: go on without the lease rather than stop draining.
        holdsLease = false;
        released = true;
      } else if (!renewed) {
        released = true;
        return {
          ...base,
          outcome: 'in-progress-elsewhere',
          passes,
          standaloneTasksStopped: standaloneStopped,
        };
      } else {
        record = { ...renewed, lastHeartbeatAt: latest(record.lastHeartbeatAt, renewed.lastHeartbeatAt) };
      }
      if (!isOpen(record)) {
        released = true;
        return { ...base, outcome: 'already-completed', passes, reason: record.outcome };
      }
    }
    return undefined;
  };

  /**
   * Between two full looks, the cluster's shared sweep (sweep.ts) may show the instance still busy:
   * then nothing can have changed for this drain but the clock, and the look is skipped unless the
   * clock makes something due before the next interval (a heartbeat, stop-after, the deadline).
   */
  const stillBusyPerSweep = async (previous: DrainPlan): Promise<boolean> => {
    if (options.mode !== 'loop' || degraded || target.trigger !== 'lifecycle') return false;
    if (previous.verdict !== 'waiting' || previous.remaining.length === 0) return false;
    const horizon = Date.now() + config.pollIntervalSeconds * 1000;
    if (previous.deadlineAt <= horizon) return false;
    if (previous.stopStandaloneAt !== undefined && previous.stopStandaloneAt <= horizon) return false;
    const sweep = await bestEffort(runtime, 'cluster sweep not read', keys, undefined, () =>
      clusterSweep({
        table: config.table,
        cluster: target.cluster,
        now: Date.now,
        maxAgeMs: config.pollIntervalSeconds * 1000,
        owner,
        sleep: runtime.sleep,
      }),
    );
    return busyPerSweep(sweep, seenArn, previous.daemonTasksIgnored);
  };

  try {
    while (budget.hasTimeFor(STEP_RESERVE_MS)) {
      if (lastPlan && !lookedAgain && (await stillBusyPerSweep(lastPlan))) {
        looksSkipped++;
        const heartbeatEvery = heartbeatIntervalSeconds(target, config.heartbeatIntervalSeconds) * 1000;
        if (record.lastHeartbeatAt === undefined || Date.now() - record.lastHeartbeatAt >= heartbeatEvery) {
          // Keeping the hook's timer needs no look at the tasks: only the heartbeat of the last plan.
          const result = await act(
            { ...lastPlan, actions: [{ type: 'heartbeat' }] },
            target,
            record,
            runtime,
          );
          if (result.heartbeatAt !== undefined) record = { ...record, lastHeartbeatAt: result.heartbeatAt };
          if (result.finished) {
            released = true;
            return {
              ...base,
              outcome: 'action-ended',
              passes,
              standaloneTasksStopped: standaloneStopped,
              reason: 'lifecycle action no longer active',
            };
          }
        }
        const ended = await pause();
        if (ended === null) break;
        if (ended) return ended;
        continue;
      }
      passes++;
      const known = passes === 1 ? secured.instance : undefined;
      const seen = seenArn ? { containerInstanceArn: seenArn, since: record.startedAt } : undefined;
      const observation = await observe(
        target,
        runtime,
        known,
        seen,
        readsBudget(target, record, runtime, Date.now()),
      );
      lastPlan = plan(target, record, observation, runtime, {
        drainUnderway: seenArn !== undefined,
        vanished: options.vanished === true,
      });
      if (
        observation.instance?.containerInstanceArn &&
        seenArn !== observation.instance.containerInstanceArn
      ) {
        seenArn = observation.instance.containerInstanceArn;
        const arn = seenArn;
        if (!degraded) {
          await bestEffort(runtime, 'container instance not recorded', keys, undefined, () =>
            recordDrainProgress(config.table, target.instanceId, { containerInstanceArn: arn }),
          );
        }
      }
      logger.info('Drain pass', { ...keys, pass: passes, plan: describePlan(lastPlan) });
      const result = await act(lastPlan, target, record, runtime);
      standaloneStopped += result.standaloneStopped;
      if (result.heartbeatAt !== undefined) record = { ...record, lastHeartbeatAt: result.heartbeatAt };
      if (result.finished) {
        released = true; // completion removed the lease
        if (result.lost) {
          return {
            ...base,
            outcome: 'instance-lost',
            verdict: lastPlan.verdict,
            passes,
            reason: lastPlan.notes.join('; '),
            remainingTasks: result.lost,
          };
        }
        if (result.actionEnded) {
          return {
            ...base,
            outcome: 'action-ended',
            passes,
            standaloneTasksStopped: standaloneStopped,
            reason: 'lifecycle action no longer active',
          };
        }
        return {
          ...base,
          outcome: 'completed',
          verdict: lastPlan.verdict,
          passes,
          standaloneTasksStopped: standaloneStopped,
          remainingTasks: lastPlan.remaining.length,
        };
      }
      if (lastPlan.final) {
        // A Spot pass: the instance goes in two minutes; any terminate hook that follows continues this drain.
        return {
          ...base,
          outcome: 'spot-drain-started',
          verdict: lastPlan.verdict,
          passes,
          standaloneTasksStopped: standaloneStopped,
          remainingTasks: lastPlan.remaining.length,
        };
      }
      // DRAINING was just set on an idle instance: look again right away before completing.
      if (lastPlan.verdict === 'draining-started' && !lookedAgain) {
        lookedAgain = true;
        continue;
      }
      lookedAgain = false;
      if (options.mode === 'once') break;
      const ended = await pause();
      if (ended === null) break;
      if (ended) return ended;
    }
  } finally {
    if (looksSkipped > 0) runtime.metrics.addMetric('DrainLooksShared', 'Count', looksSkipped);
    if (!released) {
      await bestEffort(runtime, 'lease not released', keys, undefined, () =>
        releaseLease(config.table, target.instanceId, owner, lastPlan?.remaining.length),
      );
    }
  }
  if (!lastPlan) {
    logger.info('No time left in this invocation; the reconcile pass continues the drain', keys);
    return { ...base, outcome: 'deferred', reason: 'no time left in this invocation' };
  }
  logger.info('Drain continues in a later pass', {
    ...keys,
    passes,
    remainingTasks: lastPlan.remaining.length,
  });
  return {
    ...base,
    outcome: 'waiting',
    verdict: lastPlan.verdict,
    passes,
    standaloneTasksStopped: standaloneStopped,
    remainingTasks: lastPlan.remaining.length,
  };
}
