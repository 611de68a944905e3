import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { describeLifecycleHooks } from '../../shared/aws/autoscaling';
import {
  describeContainerInstances,
  listContainerInstanceArns,
  setContainerInstancesStatus,
} from '../../shared/aws/ecs';
import { errorMessage } from '../../shared/aws/errors';
import { warmReturn } from '../../shared/drain/warm-pool';
import { getDrains, recordDrainProgress } from '../../shared/state/drain';
import { bestEffort } from './bookkeeping';
import type { DrainContext, InstanceOutcome } from './runtime';
import { clusterForGroup, ourTerminateHooks } from './target';

/**
 * Warm pools (#24): an instance drained on its way into the warm pool keeps its container instance
 * DRAINING (ECS keeps the status while it is stopped), so back in service it takes no task. For groups
 * with a warm pool, the pass looks for in-service instances whose container instance is DRAINING (one
 * ListContainerInstances per such group, nothing more in the usual case) and sets ACTIVE those our drain
 * sent to the pool ({@link warmReturn}); one it cannot tell about is reported as stranded capacity
 * (error, `WarmPoolCapacityStranded`).
 */
export async function reactivateWarmReturns(
  groups: readonly AutoScalingGroup[],
  runtime: DrainContext,
): Promise<InstanceOutcome[]> {
  const { config, logger, metrics } = runtime;
  const outcomes: InstanceOutcome[] = [];
  for (const group of groups.filter((item) => item.WarmPoolConfiguration && item.AutoScalingGroupName)) {
    const name = group.AutoScalingGroupName as string;
    const inService = new Set(
      (group.Instances ?? [])
        .filter((instance) => instance.LifecycleState === 'InService')
        .flatMap((instance) => instance.InstanceId ?? []),
    );
    if (inService.size === 0) continue;
    try {
      const [hook] = ourTerminateHooks(await describeLifecycleHooks(name), config);
      const resolved = await clusterForGroup(name, hook?.NotificationMetadata, config, group.Tags ?? []);
      if (!('cluster' in resolved) || 'ignored' in resolved) continue;
      const cluster = resolved.cluster;
      const draining = await listContainerInstanceArns(cluster, { status: 'DRAINING' });
      if (draining.length === 0) continue;
      const back = (await describeContainerInstances(cluster, draining)).items.filter((item) =>
        inService.has(item.ec2InstanceId ?? ''),
      );
      if (back.length === 0) continue;
      const read = await bestEffort(
        runtime,
        'warm-pool returns not read',
        { autoScalingGroup: name },
        undefined,
        () =>
          getDrains(
            config.table,
            back.map((item) => item.ec2InstanceId as string),
          ),
      );
      for (const instance of back) {
        const instanceId = instance.ec2InstanceId as string;
        const keys = { instanceId, autoScalingGroup: name, cluster, cause: 'warm-pool' };
        const decision = warmReturn(
          read?.drains.get(instanceId),
          read === undefined || read.unread.includes(instanceId),
        );
        if (decision.action === 'leave') {
          logger.debug('In service and DRAINING, left as it is', { ...keys, reason: decision.reason });
          continue;
        }
        if (decision.action === 'reactivate' && !config.dryRun) {
          const { failures } = await setContainerInstancesStatus(
            cluster,
            [instance.containerInstanceArn as string],
            'ACTIVE',
          );
          if (failures.length === 0) {
            logger.info('Back from the warm pool: container instance set ACTIVE again', {
              ...keys,
              containerInstanceArn: instance.containerInstanceArn,
            });
            await bestEffort(runtime, 'warm-pool return not recorded', keys, undefined, () =>
              recordDrainProgress(config.table, instanceId, { returnedAt: Date.now() }),
            );
            outcomes.push({
              instanceId,
              group: name,
              cluster,
              outcome: 'reactivated',
              reason: decision.reason,
            });
            continue;
          }
          decision.reason = `ECS refused ACTIVE: ${JSON.stringify(failures)}`;
        }
        if (decision.action === 'reactivate' && config.dryRun) {
          outcomes.push({ instanceId, group: name, cluster, outcome: 'planned', reason: 'would set ACTIVE' });
          continue;
        }
        logger.error(
          'Capacity stranded: an instance back from the warm pool stays DRAINING, ECS places nothing on it',
          {
            ...keys,
            containerInstanceArn: instance.containerInstanceArn,
            reason: decision.reason,
            todo: 'set it ACTIVE (aws ecs update-container-instances-state --status ACTIVE) once nothing else drains it',
          },
        );
        metrics.addMetric('WarmPoolCapacityStranded', 'Count', 1);
        outcomes.push({ instanceId, group: name, cluster, outcome: 'failed', reason: decision.reason });
      }
    } catch (error) {
      logger.warn('Warm-pool returns not checked in this pass', {
        autoScalingGroup: name,
        error: errorMessage(error),
      });
    }
  }
  return outcomes;
}
