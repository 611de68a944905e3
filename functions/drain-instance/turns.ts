import type { ContainerInstance } from '@aws-sdk/client-ecs';
import { describeAutoScalingGroups } from '../../shared/aws/autoscaling';
import { BATCH_CONCURRENCY, chunk, mapConcurrent } from '../../shared/aws/batch';
import { describeContainerInstances, listContainerInstanceArns } from '../../shared/aws/ecs';
import { errorMessage } from '../../shared/aws/errors';
import { drainingTurns, type QueuedInstance } from '../../shared/drain/budget';
import { type DrainContext, type DrainTarget, instanceKeys } from './runtime';

/** Lifecycle states of instances leaving through a terminate hook (as reconcile.ts's WAITING_STATES). */
const LEAVING_STATES: ReadonlySet<string> = new Set([
  'Terminating:Wait',
  'Warmed:Pending:Wait',
  'Warmed:Terminating:Wait',
]);
const LOOKUP_BATCH = 50;

/** The queued (still ACTIVE) container instances of `cluster` among these EC2 ids, with their registration time. */
export async function queuedInstances(
  cluster: string,
  ec2Ids: readonly string[],
): Promise<ContainerInstance[]> {
  const arns = (
    await mapConcurrent(chunk([...new Set(ec2Ids)], LOOKUP_BATCH), BATCH_CONCURRENCY, (batch) =>
      listContainerInstanceArns(cluster, {
        filter: `ec2InstanceId in [${batch.map((id) => `'${id}'`).join(', ')}]`,
        status: 'ACTIVE',
      }),
    )
  ).flat();
  return arns.length > 0 ? (await describeContainerInstances(cluster, arns)).items : [];
}

export const asQueued = (instance: ContainerInstance): QueuedInstance => ({
  instanceId: instance.ec2InstanceId ?? '',
  registeredAt: instance.registeredAt?.getTime(),
});

/**
 * Whether this instance may be set DRAINING now under MAX_DRAINING_PER_CLUSTER: the cluster's DRAINING
 * instances take the slots, then the instances leaving through our groups' hooks are served oldest first
 * ({@link drainingTurns}). A failed look lets it drain: the cap paces drains, DRAINING is what keeps
 * tasks off a leaving instance.
 */
export async function hasDrainingTurn(target: DrainTarget, runtime: DrainContext): Promise<boolean> {
  const cap = runtime.config.maxDrainingPerCluster;
  if (cap <= 0) return true;
  try {
    const [draining, groups] = await Promise.all([
      listContainerInstanceArns(target.cluster, { status: 'DRAINING' }),
      describeAutoScalingGroups(runtime.config.groups),
    ]);
    const leaving = groups.flatMap((group) =>
      (group.Instances ?? [])
        .filter((instance) => LEAVING_STATES.has(instance.LifecycleState ?? ''))
        .flatMap((instance) => instance.InstanceId ?? []),
    );
    // Room for every leaving instance at once (already DRAINING ones counted twice): no queue to order.
    if (draining.length + new Set([...leaving, target.instanceId]).size <= cap) return true;
    const queued = await queuedInstances(target.cluster, [...leaving, target.instanceId]);
    const turns = drainingTurns({ cap, drainingCount: draining.length, queued: queued.map(asQueued) });
    return turns.has(target.instanceId);
  } catch (error) {
    runtime.logger.warn('Draining turn not checked; the instance drains now', {
      ...instanceKeys(target),
      error: errorMessage(error),
    });
    return true;
  }
}
