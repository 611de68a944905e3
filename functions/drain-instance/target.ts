import type { LifecycleHook } from '@aws-sdk/client-auto-scaling';
import {
  describeAutoScalingGroups,
  describeAutoScalingInstances,
  describeLifecycleHooks,
} from '../../shared/aws/autoscaling';
import { clusterName, resolveCluster, type TagLike } from '../../shared/drain/cluster';
import { type DrainEvent, TERMINATING_TRANSITION } from '../../shared/drain/events';
import type { DrainConfig } from './config';
import type { DrainTarget } from './runtime';

/** Either a target to drain, or why the event is not ours to act on (logged, nothing changed). */
export type Resolution =
  | { target: DrainTarget }
  | { ignored: string; group?: string; cluster?: string }
  | { failed: string; group?: string };

/** Terminate hooks of a group that this function completes. */
export function ourTerminateHooks(hooks: readonly LifecycleHook[], config: DrainConfig): LifecycleHook[] {
  return hooks.filter(
    (hook) =>
      hook.LifecycleTransition === TERMINATING_TRANSITION &&
      hook.LifecycleHookName !== undefined &&
      config.hookNames.includes(hook.LifecycleHookName),
  );
}

/** Cluster for a group: hook metadata, else the group's tag (read only when needed), else the default. */
export async function clusterForGroup(
  group: string,
  metadata: string | undefined,
  config: DrainConfig,
  groupTags?: readonly TagLike[],
): Promise<{ cluster: string } | { failed: string } | { ignored: string; cluster: string }> {
  let resolved = resolveCluster({ metadata });
  if (!resolved) {
    const tags = groupTags ?? (await describeAutoScalingGroups([group]))[0]?.Tags;
    resolved = resolveCluster({ groupTags: tags, defaultCluster: config.defaultCluster });
  }
  if (!resolved) {
    return {
      failed: `no cluster for group ${group}: set the hook's NotificationMetadata to {"cluster":"<name>"}, tag the group ecs-autopilot:cluster, or set DEFAULT_CLUSTER`,
    };
  }
  const cluster = clusterName(resolved.cluster);
  if (config.clusters.length > 0 && !config.clusters.map(clusterName).includes(cluster)) {
    return { ignored: `cluster ${cluster} is not one of CLUSTERS (${config.clusters.join(', ')})`, cluster };
  }
  return { cluster };
}

export async function resolveLifecycle(
  event: Extract<DrainEvent, { kind: 'lifecycle' }>,
  config: DrainConfig,
  now: number,
): Promise<Resolution> {
  const { group, hook } = event;
  if (!config.groups.includes(group)) {
    return {
      ignored: `group ${group} is not one of AUTO_SCALING_GROUPS (${config.groups.join(', ')})`,
      group,
    };
  }
  if (!config.hookNames.includes(hook)) {
    return {
      ignored: `hook ${hook} is not one of LIFECYCLE_HOOK_NAMES (${config.hookNames.join(', ')})`,
      group,
    };
  }
  const hooks = await describeLifecycleHooks(group);
  const ours = hooks.find((candidate) => candidate.LifecycleHookName === hook);
  const cluster = await clusterForGroup(group, event.metadata ?? ours?.NotificationMetadata, config);
  if ('failed' in cluster) return { failed: cluster.failed, group };
  if ('ignored' in cluster) return { ignored: cluster.ignored, group, cluster: cluster.cluster };
  return {
    target: {
      instanceId: event.instanceId,
      group,
      hook,
      cluster: cluster.cluster,
      trigger: 'lifecycle',
      cause: event.destination === 'WarmPool' ? 'warm-pool' : 'terminate',
      token: event.token,
      hookTimerFrom: Math.min(event.time ?? now, now),
      heartbeatTimeoutSeconds: ours?.HeartbeatTimeout,
      hookDefaultResult: ours?.DefaultResult,
    },
  };
}

export async function resolveSpot(
  event: Extract<DrainEvent, { kind: 'spot' }>,
  config: DrainConfig,
): Promise<Resolution> {
  const [instance] = await describeAutoScalingInstances([event.instanceId]);
  const group = instance?.AutoScalingGroupName;
  if (!group) return { ignored: `${event.instanceId} is not in an Auto Scaling group` };
  if (!config.groups.includes(group)) {
    return {
      ignored: `group ${group} is not one of AUTO_SCALING_GROUPS (${config.groups.join(', ')})`,
      group,
    };
  }
  const [ours] = ourTerminateHooks(await describeLifecycleHooks(group), config);
  const cluster = await clusterForGroup(group, ours?.NotificationMetadata, config);
  if ('failed' in cluster) return { failed: cluster.failed, group };
  if ('ignored' in cluster) return { ignored: cluster.ignored, group, cluster: cluster.cluster };
  return {
    target: {
      instanceId: event.instanceId,
      group,
      hook: undefined,
      cluster: cluster.cluster,
      trigger: 'spot',
      cause: 'spot',
      token: undefined,
      hookTimerFrom: undefined,
      heartbeatTimeoutSeconds: undefined,
      // The warning comes two minutes before EC2 interrupts the instance (Amazon EC2 User Guide).
      interruptionAt: (event.time ?? Date.now()) + SPOT_NOTICE_MS,
    },
  };
}

/** A Spot interruption notice's lead time. */
export const SPOT_NOTICE_MS = 120_000;
