import { errorMessage, kindOf } from '../../shared/aws/errors';
import { type DrainEvent, maskToken } from '../../shared/drain/events';
import { runDrain } from './drain';
import { reconcile } from './reconcile';
import type { DrainContext, DrainTarget, InstanceOutcome } from './runtime';
import { type Resolution, resolveLifecycle, resolveSpot } from './target';

/** What the handler answers: one entry per instance it looked at; in dry run each carries its plan. */
export interface DrainSummary {
  trigger: DrainEvent['kind'];
  dryRun: boolean;
  instances: InstanceOutcome[];
  /** Why the whole event was set aside (test notification, foreign group, other hook...). */
  ignored?: string;
  /** Reconcile: instances found waiting in a terminate state, and those left for the next pass. */
  waiting?: number;
  deferred?: number;
  /** Reconcile: heartbeats on our hook that went through before any drain step. */
  heartbeats?: number;
  /** Reconcile: the state table could not be read; the pass ran on Auto Scaling's and ECS's word. */
  stateTableUnavailable?: boolean;
}

export async function handleDrainEvent(event: DrainEvent, runtime: DrainContext): Promise<DrainSummary> {
  const { logger, config } = runtime;
  const summary = { trigger: event.kind, dryRun: config.dryRun, instances: [] as InstanceOutcome[] };
  switch (event.kind) {
    case 'test-notification':
      logger.info('Auto Scaling test notification acknowledged; nothing to do', {
        autoScalingGroup: event.group,
      });
      return { ...summary, ignored: 'autoscaling:TEST_NOTIFICATION' };
    case 'not-terminating':
      logger.warn('Lifecycle event for another transition ignored', { ...event });
      return { ...summary, ignored: `transition ${event.transition} is not a termination` };
    case 'reconcile': {
      const result = await reconcile(runtime);
      logger.info('Reconcile pass done', {
        waiting: result.waiting,
        deferred: result.deferred,
        heartbeats: result.heartbeats,
        stateTableUnavailable: result.stateTableUnavailable,
        outcomes: result.instances.map((outcome) => `${outcome.instanceId}: ${outcome.outcome}`),
      });
      return { ...summary, ...result };
    }
    case 'lifecycle':
    case 'spot': {
      const resolution =
        event.kind === 'lifecycle'
          ? await resolveLifecycle(event, config, Date.now())
          : await resolveSpot(event, config);
      const context = {
        instanceId: event.instanceId,
        ...(event.kind === 'lifecycle'
          ? {
              lifecycleHook: event.hook,
              autoScalingGroup: event.group,
              lifecycleActionToken: maskToken(event.token),
            }
          : { spotAction: event.action }),
      };
      if (!('target' in resolution)) return setAside(resolution, context, summary, runtime);
      const outcome = await drainOrExplain(resolution.target, event.kind, runtime);
      logger.info('Drain invocation done', { ...context, ...outcome, plan: undefined });
      return { ...summary, instances: [outcome] };
    }
  }
}

function setAside(
  resolution: Exclude<Resolution, { target: DrainTarget }>,
  context: { instanceId: string },
  summary: DrainSummary,
  runtime: DrainContext,
): DrainSummary {
  if ('failed' in resolution) {
    runtime.logger.error('Cannot drain instance', { ...context, reason: resolution.failed });
    runtime.metrics.addMetric('DrainErrors', 'Count', 1);
    return {
      ...summary,
      instances: [
        {
          instanceId: context.instanceId,
          group: resolution.group,
          outcome: 'failed',
          reason: resolution.failed,
        },
      ],
    };
  }
  runtime.logger.info('Event ignored: not ours to drain', { ...context, reason: resolution.ignored });
  return {
    ...summary,
    ignored: resolution.ignored,
    instances: [
      {
        instanceId: context.instanceId,
        group: resolution.group,
        cluster: resolution.cluster,
        outcome: 'ignored',
        reason: resolution.ignored,
      },
    ],
  };
}

async function drainOrExplain(
  target: DrainTarget,
  kind: 'lifecycle' | 'spot',
  runtime: DrainContext,
): Promise<InstanceOutcome> {
  try {
    return await runDrain(target, { origin: kind, mode: kind === 'lifecycle' ? 'loop' : 'once' }, runtime);
  } catch (error) {
    // A missing cluster is configuration, not a passing fault: say so rather than have Lambda retry it.
    if (kindOf(error) !== 'not-found') throw error;
    const reason = `cluster ${target.cluster} not found: ${errorMessage(error)}`;
    runtime.logger.error('Cannot drain instance', {
      instanceId: target.instanceId,
      autoScalingGroup: target.group,
      reason,
    });
    runtime.metrics.addMetric('DrainErrors', 'Count', 1);
    return {
      instanceId: target.instanceId,
      group: target.group,
      cluster: target.cluster,
      outcome: 'failed',
      reason,
    };
  }
}
