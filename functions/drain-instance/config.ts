import * as z from 'zod';
import { standalonePoliciesSchema } from '../../shared/drain/policy';
import { env, loadConfig } from '../../shared/runtime/config';

export const configShape = {
  /** Auto Scaling groups whose instances this function drains (comma-separated); events of others are ignored. */
  AUTO_SCALING_GROUPS: env.list().pipe(z.array(z.string()).min(1, 'expected at least one group name')),
  /** Terminate lifecycle hooks that are ours to complete (comma-separated). */
  LIFECYCLE_HOOK_NAMES: env.list().transform((names) => (names.length > 0 ? names : ['ecs-autopilot-drain'])),
  /** Cluster when neither the hook's metadata ({"cluster": "..."}) nor the group tag ecs-autopilot:cluster names one. */
  DEFAULT_CLUSTER: env.optionalString(),
  /** Only drain into these clusters (comma-separated); empty means any. */
  CLUSTERS: env.list(),
  /** Longest wait for tasks to stop; then the termination continues anyway, with a warning and a metric. */
  DRAIN_DEADLINE_SECONDS: env.seconds(3600, { min: 60, max: 172_800 }),
  /**
   * The operator's last word for a drain the disruption budget holds past DRAIN_DEADLINE_SECONDS (completing
   * would take a service below its minimum): then it completes anyway. Never past Auto Scaling's limit.
   */
  BLOCKED_DRAIN_DEADLINE_SECONDS: env.seconds(172_800, { min: 60, max: 172_800 }),
  /**
   * Most container instances of one cluster DRAINING at once; further leaving instances stay ACTIVE, their
   * hooks heartbeated, and take their turn oldest first (an instance refresh drains in waves). 0: no cap.
   */
  MAX_DRAINING_PER_CLUSTER: env.integer(5, { min: 0, max: 1000 }),
  /** Per group: "wait" or "stop-after:<seconds>" for standalone tasks; key "*" for the others. Default wait. */
  STANDALONE_TASK_POLICY: env.json(standalonePoliciesSchema, {}),
  /** Pause between two looks at a draining instance within one invocation. */
  POLL_INTERVAL_SECONDS: env.seconds(10, { min: 1, max: 120 }),
  /** Longest time between lifecycle heartbeats (also capped at a third of the hook's heartbeat timeout). */
  HEARTBEAT_INTERVAL_SECONDS: env.seconds(120, { min: 10, max: 3600 }),
  /** Most full drain steps (ECS calls) one reconcile pass takes, soonest-expiring hook first; heartbeats are not bounded by it. */
  RECONCILE_MAX_INSTANCES: env.integer(25, { min: 1, max: 500 }),
  /** DynamoDB state table (pk, sk, ttl): drain start times, leases and completions. */
  STATE_TABLE: env.string(),
  /** true: log and return the plan, change nothing. */
  DRY_RUN: env.boolean(false),
};

export type DrainConfig = ReturnType<typeof loadDrainConfig>;

export function loadDrainConfig(source: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(configShape, source);
  return {
    groups: raw.AUTO_SCALING_GROUPS,
    hookNames: raw.LIFECYCLE_HOOK_NAMES,
    defaultCluster: raw.DEFAULT_CLUSTER,
    clusters: raw.CLUSTERS,
    deadlineSeconds: raw.DRAIN_DEADLINE_SECONDS,
    blockedDeadlineSeconds: raw.BLOCKED_DRAIN_DEADLINE_SECONDS,
    maxDrainingPerCluster: raw.MAX_DRAINING_PER_CLUSTER,
    standalonePolicies: raw.STANDALONE_TASK_POLICY,
    pollIntervalSeconds: raw.POLL_INTERVAL_SECONDS,
    heartbeatIntervalSeconds: raw.HEARTBEAT_INTERVAL_SECONDS,
    reconcileMaxInstances: raw.RECONCILE_MAX_INSTANCES,
    table: raw.STATE_TABLE,
    dryRun: raw.DRY_RUN,
  };
}
