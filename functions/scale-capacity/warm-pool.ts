/**
 * Observe, warm pool: when the group has one (DescribeAutoScalingGroups names its configuration), its
 * ready and warming instances (DescribeWarmPool) for the planner (shared/capacity/warm-pool.ts).
 * Lifecycle states: "Warm pool instance lifecycle", Auto Scaling user guide.
 */
import type { Instance } from '@aws-sdk/client-auto-scaling';
import { describeWarmPool } from '../../shared/aws/autoscaling';
import type { CapacitySnapshot } from '../../shared/capacity/snapshot';

/** Warmed and ready to join: stopped, running or hibernated in the pool. */
const READY = new Set(['Warmed:Stopped', 'Warmed:Running', 'Warmed:Hibernated']);
/** Still being prepared for the pool (its first boot, a lifecycle hook). */
const WARMING = /^Warmed:Pending/;

export function warmPoolOf(
  instances: readonly Pick<Instance, 'LifecycleState' | 'HealthStatus'>[],
  poolState: string | undefined,
  minSize: number | undefined,
  bootSeconds: number | undefined,
): NonNullable<CapacitySnapshot['group']['warmPool']> {
  const healthy = instances.filter((instance) => instance.HealthStatus !== 'Unhealthy');
  return {
    ready: healthy.filter((instance) => READY.has(instance.LifecycleState ?? '')).length,
    warming: healthy.filter((instance) => WARMING.test(instance.LifecycleState ?? '')).length,
    ...(poolState ? { poolState } : {}),
    ...(minSize !== undefined ? { minSize } : {}),
    ...(bootSeconds !== undefined ? { bootSeconds } : {}),
  };
}

/**
 * Sets `snapshot.group.warmPool` (in place) for a group with a warm pool. A pool that cannot be read
 * leaves the planner planning cold boots (slower, never wrong), with a note.
 */
export async function observeWarmPool(
  snapshot: CapacitySnapshot,
  input: { groupName: string; hasWarmPool: boolean; bootSeconds?: number },
): Promise<string[]> {
  if (!input.hasWarmPool) return [];
  try {
    const { configuration, instances } = await describeWarmPool(input.groupName);
    if (!configuration) return [];
    snapshot.group.warmPool = warmPoolOf(
      instances,
      configuration.PoolState,
      configuration.MinSize,
      input.bootSeconds,
    );
    return [];
  } catch (error) {
    return [`${input.groupName}: warm pool not read this pass (${(error as Error).message})`];
  }
}
