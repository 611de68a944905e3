/**
 * Warm pools: an Auto Scaling group with a warm pool takes its warmed instances first when the
 * desired capacity rises, and they join in a fraction of a cold boot ("Warm pools for Amazon EC2 Auto
 * Scaling", Auto Scaling user guide). The planner's desired capacity is the same either way; what
 * changes is how soon the capacity is there (the lead of foreseen demand, foresight.ts) and whether
 * the pool is large enough for the bursts it meets, which the plan reports.
 */
import type { CapacitySnapshot } from './snapshot';

/**
 * A warmed instance: started (Stopped pool) and registered with ECS, assumed until measured. ECS's
 * agent registers a pool instance only once it leaves the pool (ECS_WARM_POOLS_CHECK, "Configuring
 * pre-initialized instances for your Amazon ECS Auto Scaling group", ECS developer guide).
 */
export const DEFAULT_WARM_BOOT_SECONDS = 40;

export interface WarmPoolUse {
  /** Warmed instances ready to join. */
  ready: number;
  /** Of this pass's scale-out, instances the pool gives. */
  fromPool: number;
  /** And instances launched cold. */
  cold: number;
  bootSeconds: number;
  /** Instances the pool lacked for this scale-out (a pool this much larger would have covered it). */
  shortBy: number;
}

export function warmBootSeconds(snapshot: CapacitySnapshot): number | undefined {
  const pool = snapshot.group.warmPool;
  if (!pool) return undefined;
  return pool.bootSeconds ?? DEFAULT_WARM_BOOT_SECONDS;
}

export function warmPoolUse(snapshot: CapacitySnapshot, scaleOut: number): WarmPoolUse | undefined {
  const pool = snapshot.group.warmPool;
  if (!pool) return undefined;
  const launches = Math.max(0, scaleOut);
  const fromPool = Math.min(pool.ready, launches);
  return {
    ready: pool.ready,
    fromPool,
    cold: launches - fromPool,
    bootSeconds: pool.bootSeconds ?? DEFAULT_WARM_BOOT_SECONDS,
    shortBy: launches - fromPool,
  };
}

export function warmPoolReason(use: WarmPoolUse, coldBootSeconds: number): string | undefined {
  if (use.fromPool + use.cold === 0) return undefined;
  const cold =
    use.cold > 0
      ? `; ${use.cold} more boot cold (~${coldBootSeconds} s): a pool of ${use.ready + use.shortBy} would have covered this scale-out`
      : '';
  return `warm pool: ${use.fromPool} of the ${use.fromPool + use.cold} new instance(s) join from it (~${use.bootSeconds} s, ${use.ready} ready)${cold}`;
}
