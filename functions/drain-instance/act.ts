import { completeLifecycleAction, recordLifecycleActionHeartbeat } from '../../shared/aws/autoscaling';
import { BATCH_CONCURRENCY, mapConcurrent } from '../../shared/aws/batch';
import { setContainerInstancesDraining, stopTask } from '../../shared/aws/ecs';
import { kindOf } from '../../shared/aws/errors';
import { describeBlocked } from '../../shared/drain/budget';
import { type DrainPlan, describeTask } from '../../shared/drain/plan';
import type { DrainRecord } from '../../shared/drain/record';
import {
  markActionEnded,
  markDrainCompleted,
  markInstanceLost,
  recordDrainProgress,
} from '../../shared/state/drain';
import { bestEffort, decided, pendingDecisions } from './bookkeeping';
import { requestRoom } from './room';
import { type DrainContext, type DrainTarget, instanceKeys } from './runtime';
import { managedDrainingOn } from './setup-checks';

export interface ActResult {
  /** The lifecycle action is over: we completed it, or Auto Scaling says it no longer exists. */
  finished: boolean;
  /** We completed it; reported once thanks to the conditional mark, whoever else tried too. */
  completion?: 'counted' | 'already-counted' | undefined;
  actionEnded?: boolean | undefined;
  /** The instance was lost under the drain: how many tasks died with it. */
  lost?: number | undefined;
  standaloneStopped: number;
  heartbeatAt?: number | undefined;
}

/** How many task ARNs a log line names before summarising the rest. */
const LOGGED_TASKS = 50;

export function taskList(arns: readonly string[]) {
  return arns.length <= LOGGED_TASKS
    ? arns
    : [...arns.slice(0, LOGGED_TASKS), `…and ${arns.length - LOGGED_TASKS} more`];
}

/**
 * Applies a plan in order. Every step is idempotent, so a repeat (retry, overlap) changes nothing.
 * Then writes the decisions made (best effort, after the actions).
 */
export async function act(
  plan: DrainPlan,
  target: DrainTarget,
  record: DrainRecord,
  runtime: DrainContext,
): Promise<ActResult> {
  try {
    return await applySteps(plan, target, record, runtime);
  } finally {
    await pendingDecisions.flush(runtime.config.table, runtime.logger);
  }
}

async function applySteps(
  plan: DrainPlan,
  target: DrainTarget,
  record: DrainRecord,
  runtime: DrainContext,
): Promise<ActResult> {
  const { logger, metrics, config } = runtime;
  const keys = instanceKeys(target);
  const action = {
    group: target.group,
    hook: target.hook ?? '',
    instanceId: target.instanceId,
    token: target.token,
  };
  const result: ActResult = { finished: false, standaloneStopped: 0 };

  for (const step of plan.actions) {
    switch (step.type) {
      case 'set-draining': {
        const { failures } = await setContainerInstancesDraining(target.cluster, [step.containerInstanceArn]);
        if (failures.length > 0)
          logger.warn('Could not set the container instance DRAINING', { ...keys, failures });
        else {
          logger.info('Container instance set DRAINING', {
            ...keys,
            containerInstanceArn: step.containerInstanceArn,
          });
          decided(target, 'set-draining', [
            'ECS places no new task on a DRAINING instance and starts its service tasks elsewhere',
          ]);
        }
        break;
      }
      case 'stop-standalone-tasks': {
        const stopped = await mapConcurrent(step.tasks, BATCH_CONCURRENCY, async (task) => {
          try {
            await stopTask(target.cluster, task.taskArn, step.reason);
            return true;
          } catch (error) {
            // Stopped meanwhile (by itself or by another invocation): the effect we wanted.
            if (kindOf(error) === 'already-done' || kindOf(error) === 'not-found') return false;
            throw error;
          }
        });
        result.standaloneStopped = stopped.filter(Boolean).length;
        if (result.standaloneStopped > 0) {
          metrics.addMetric('StandaloneTasksStopped', 'Count', result.standaloneStopped);
          decided(target, 'tasks-stopped', [
            `${result.standaloneStopped} standalone task(s): ${step.reason}`,
          ]);
        }
        logger.info('Standalone tasks stopped', {
          ...keys,
          tasks: taskList(step.tasks.map((task) => task.taskArn)),
          reason: step.reason,
        });
        break;
      }
      case 'heartbeat': {
        if (!target.hook) break;
        const at = Date.now();
        const outcome = await recordLifecycleActionHeartbeat(action);
        if (outcome === 'already-done') {
          // Completed by someone else, or expired: nothing holds the instance for us any more.
          runtime.heartbeats.delete(target.instanceId);
          await reportActionEnded(target, { ...record, remainingTasks: plan.remaining.length }, runtime);
          return { ...result, finished: true, actionEnded: true };
        }
        runtime.heartbeats.set(target.instanceId, at);
        result.heartbeatAt = at;
        await bestEffort(runtime, 'heartbeat not recorded', keys, undefined, () =>
          recordDrainProgress(config.table, target.instanceId, {
            lastHeartbeatAt: at,
            remainingTasks: plan.remaining.length,
          }),
        );
        logger.debug('Lifecycle heartbeat recorded', keys);
        break;
      }
      case 'complete-continue': {
        if (!target.hook) break;
        const outcome = await completeLifecycleAction(action, 'CONTINUE');
        runtime.heartbeats.delete(target.instanceId);
        const now = Date.now();
        // Unrecorded, the completion is still reported (maybe twice): better than not at all.
        const counted = await bestEffort(runtime, 'completion not recorded', keys, true, () =>
          markDrainCompleted(config.table, target.instanceId, now, step.reason),
        );
        const durationSeconds = Math.max(0, Math.round((now - record.startedAt) / 1000));
        const details = {
          ...keys,
          reason: step.reason,
          lifecycleResult: outcome,
          durationSeconds,
          remainingTasks: step.remaining.length,
        };
        decided(target, step.reason === 'deadline-expired' ? 'deadline-expired' : 'hook-completed', [
          `${step.reason}: lifecycle action completed with CONTINUE${outcome === 'done' ? '' : ` (${outcome})`}`,
          `${step.remaining.length} task(s) still on it after ${durationSeconds} s`,
        ]);
        if (step.reason === 'deadline-expired') {
          logger.warn('Drain deadline passed: termination continues with tasks still on the instance', {
            ...details,
            deadlineSeconds: config.deadlineSeconds,
            tasks: taskList(step.remaining.map(describeTask)),
            ...(managedDrainingOn(target).length > 0
              ? {
                  note: `ECS managed draining is enabled on capacity provider ${managedDrainingOn(target).join(', ')}: ECS may still be draining this instance under its own hook`,
                }
              : {}),
            ...(step.belowMinimum
              ? {
                  blockedDeadlineSeconds: config.blockedDeadlineSeconds,
                  servicesBelowMinimum: step.belowMinimum.map(describeBlocked),
                }
              : {}),
          });
        } else {
          logger.info('Drain complete: lifecycle action completed with CONTINUE', details);
        }
        if (counted) {
          metrics.addMetric('DrainsCompleted', 'Count', 1);
          metrics.addMetric('DrainDuration', 'Seconds', durationSeconds);
          if (step.reason === 'deadline-expired') metrics.addMetric('DrainDeadlineExpired', 'Count', 1);
        }
        return { ...result, finished: true, completion: counted ? 'counted' : 'already-counted' };
      }
      case 'warn-cut-short': {
        logger.warn(
          'Spot: tasks whose stop timeout is longer than the time left will be killed before it runs out',
          {
            ...keys,
            secondsLeft: step.secondsLeft,
            tasks: taskList(
              step.tasks.map(
                ({ task, stopTimeoutSeconds }) => `${describeTask(task)} stopTimeout ${stopTimeoutSeconds} s`,
              ),
            ),
          },
        );
        break;
      }
      case 'close-lost': {
        // Nothing to drain any more; the action (if still open) is let go, and the loss reported once.
        if (step.completeHook && target.hook) await completeLifecycleAction(action, 'CONTINUE');
        runtime.heartbeats.delete(target.instanceId);
        const closed = await bestEffort(runtime, 'lost instance not recorded', keys, true, () =>
          markInstanceLost(config.table, target.instanceId, runtime.owner, Date.now()),
        );
        if (closed) {
          decided(target, 'instance-lost', [
            `deregistered or gone before the drain finished; ${step.died.length} task(s) died with it`,
          ]);
          logger.error(
            'Instance lost mid-drain: deregistered or gone before the drain finished; its tasks died with it',
            {
              ...keys,
              containerInstanceArn: plan.containerInstanceArn,
              drainStartedAt: new Date(record.startedAt).toISOString(),
              tasksDied: taskList(step.died.map(describeTask)),
              notes: plan.notes,
            },
          );
          metrics.addMetric('DrainHookLost', 'Count', 1);
        }
        return { ...result, finished: true, lost: step.died.length };
      }
      case 'report-blocked': {
        metrics.addMetric('DrainBlocked', 'Count', 1);
        logger.warn(
          'Drain blocked by the disruption budget: completing now would take services below their minimum',
          {
            ...keys,
            blockedServices: step.services.map(describeBlocked),
            why: step.why,
            heldPastDeadlineUntil:
              step.heldUntil === undefined ? undefined : new Date(step.heldUntil).toISOString(),
            roomRequested: step.room.map(
              (room) =>
                `${room.service}: ${room.count} × ${room.cpu} CPU units, ${room.memoryMiB} MiB on ${room.capacityProvider}`,
            ),
          },
        );
        // Bookkeeping: a request scale-capacity may not even read must never hold the drain back.
        const now = Date.now();
        for (const room of step.room) {
          await bestEffort(runtime, 'room not requested', keys, undefined, () =>
            requestRoom(config.table, target.cluster, target.instanceId, room, step.why, now),
          );
        }
        break;
      }
      case 'wait':
        break;
    }
  }
  return result;
}

/**
 * A heartbeat found our lifecycle action gone while the drain was still open, so with tasks still on the
 * instance: the hook expired (its default result terminates the instance) or someone completed it. Closes
 * the drain and reports it once (error log + `DrainHookLost`), unless another invocation holds the lease
 * (it may be completing the action right now) or closed the drain first.
 */
export async function reportActionEnded(
  target: DrainTarget,
  record: DrainRecord,
  runtime: DrainContext,
): Promise<boolean> {
  const { logger, metrics, config } = runtime;
  const now = Date.now();
  const closed = await bestEffort(runtime, 'ended action not recorded', instanceKeys(target), true, () =>
    markActionEnded(config.table, target.instanceId, runtime.owner, now),
  );
  if (!closed) return false;
  decided(target, 'hook-ended', [
    `the lifecycle action ended (expired, or completed by someone else) with ${record.remainingTasks ?? '?'} task(s) left`,
  ]);
  const details = {
    ...instanceKeys(target),
    remainingTasks: record.remainingTasks,
    drainStartedAt: new Date(record.startedAt).toISOString(),
    lastHeartbeatAt:
      record.lastHeartbeatAt === undefined ? undefined : new Date(record.lastHeartbeatAt).toISOString(),
    heartbeatTimeoutSeconds: target.heartbeatTimeoutSeconds,
  };
  if (record.cause === 'spot' || record.hook === undefined) {
    // Spot reclaims the instance in two minutes whatever the hook does.
    logger.warn('Lifecycle action no longer active; drain ends here', details);
    return true;
  }
  logger.error(
    'Lifecycle hook lost: the action ended (expired, or completed by someone else) before the drain finished; the instance terminates with its tasks',
    details,
  );
  metrics.addMetric('DrainHookLost', 'Count', 1);
  return true;
}
