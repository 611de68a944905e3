import {
  type Activity,
  AutoScalingClient,
  type AutoScalingGroup,
  type AutoScalingInstanceDetails,
  CompleteLifecycleActionCommand,
  DescribeInstanceRefreshesCommand,
  DescribeLifecycleHooksCommand,
  DescribeWarmPoolCommand,
  type Instance,
  type InstanceRefresh,
  type LifecycleHook,
  paginateDescribeAutoScalingGroups,
  paginateDescribeAutoScalingInstances,
  paginateDescribeScalingActivities,
  RecordLifecycleActionHeartbeatCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type WarmPoolConfiguration,
} from '@aws-sdk/client-auto-scaling';
import { BATCH_CONCURRENCY, chunk, mapConcurrent } from './batch';
import { clientConfig } from './client-config';
import { call, kindOf } from './errors';

/** Built once per container; reused by every invocation. */
export const autoScaling = new AutoScalingClient(clientConfig);

/** API limits per call (Auto Scaling API reference). */
export const AUTOSCALING_LIMITS = {
  describeGroupsNames: 100,
  describeGroupsPageSize: 100,
  describeInstancesIds: 50,
  setInstanceProtectionIds: 50,
} as const;

export async function describeAutoScalingGroups(names: readonly string[]): Promise<AutoScalingGroup[]> {
  const pages = await mapConcurrent(
    chunk(names, AUTOSCALING_LIMITS.describeGroupsNames),
    BATCH_CONCURRENCY,
    async (batch) => {
      const groups: AutoScalingGroup[] = [];
      const paginator = paginateDescribeAutoScalingGroups(
        { client: autoScaling, pageSize: AUTOSCALING_LIMITS.describeGroupsPageSize },
        { AutoScalingGroupNames: batch },
      );
      await call('autoscaling:DescribeAutoScalingGroups', batch.join(','), async () => {
        for await (const page of paginator) groups.push(...(page.AutoScalingGroups ?? []));
      });
      return groups;
    },
  );
  return pages.flat();
}

export async function describeAutoScalingInstances(
  ids: readonly string[],
): Promise<AutoScalingInstanceDetails[]> {
  const pages = await mapConcurrent(
    chunk(ids, AUTOSCALING_LIMITS.describeInstancesIds),
    BATCH_CONCURRENCY,
    async (batch) => {
      const instances: AutoScalingInstanceDetails[] = [];
      const paginator = paginateDescribeAutoScalingInstances({ client: autoScaling }, { InstanceIds: batch });
      await call('autoscaling:DescribeAutoScalingInstances', batch.join(','), async () => {
        for await (const page of paginator) instances.push(...(page.AutoScalingInstances ?? []));
      });
      return instances;
    },
  );
  return pages.flat();
}

export async function describeLifecycleHooks(group: string): Promise<LifecycleHook[]> {
  const { LifecycleHooks } = await call('autoscaling:DescribeLifecycleHooks', group, () =>
    autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: group })),
  );
  return LifecycleHooks ?? [];
}

export interface LifecycleActionRef {
  group: string;
  hook: string;
  instanceId: string;
  /** When absent, the instance id identifies the action (what a reconcile pass has). */
  token?: string;
}

/** `already-done` when the action was completed or expired before: success for an idempotent caller. */
export type LifecycleOutcome = 'done' | 'already-done';

async function lifecycleCall(operation: string, action: LifecycleActionRef, run: () => Promise<unknown>) {
  try {
    await call(operation, `${action.group}/${action.instanceId}`, run);
    return 'done' as const;
  } catch (error) {
    if (kindOf(error) === 'already-done') return 'already-done' as const;
    throw error;
  }
}

function actionParams(action: LifecycleActionRef) {
  return {
    AutoScalingGroupName: action.group,
    LifecycleHookName: action.hook,
    InstanceId: action.instanceId,
    ...(action.token ? { LifecycleActionToken: action.token } : {}),
  };
}

export function completeLifecycleAction(
  action: LifecycleActionRef,
  result: 'CONTINUE' | 'ABANDON',
): Promise<LifecycleOutcome> {
  return lifecycleCall('autoscaling:CompleteLifecycleAction', action, () =>
    autoScaling.send(
      new CompleteLifecycleActionCommand({ ...actionParams(action), LifecycleActionResult: result }),
    ),
  );
}

export function recordLifecycleActionHeartbeat(action: LifecycleActionRef): Promise<LifecycleOutcome> {
  return lifecycleCall('autoscaling:RecordLifecycleActionHeartbeat', action, () =>
    autoScaling.send(new RecordLifecycleActionHeartbeatCommand(actionParams(action))),
  );
}

export async function setDesiredCapacity(group: string, desiredCapacity: number): Promise<void> {
  await call('autoscaling:SetDesiredCapacity', group, () =>
    autoScaling.send(
      new SetDesiredCapacityCommand({
        AutoScalingGroupName: group,
        DesiredCapacity: desiredCapacity,
        HonorCooldown: false,
      }),
    ),
  );
}

/** Terminates one instance and lowers the desired capacity, so the group does not replace it. */
export async function terminateInstanceAndDecrement(instanceId: string): Promise<void> {
  await call('autoscaling:TerminateInstanceInAutoScalingGroup', instanceId, () =>
    autoScaling.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: instanceId,
        ShouldDecrementDesiredCapacity: true,
      }),
    ),
  );
}

export async function setInstanceProtection(
  group: string,
  ids: readonly string[],
  protect: boolean,
): Promise<void> {
  await mapConcurrent(chunk(ids, AUTOSCALING_LIMITS.setInstanceProtectionIds), BATCH_CONCURRENCY, (batch) =>
    call('autoscaling:SetInstanceProtection', group, () =>
      autoScaling.send(
        new SetInstanceProtectionCommand({
          AutoScalingGroupName: group,
          InstanceIds: batch,
          ProtectedFromScaleIn: protect,
        }),
      ),
    ),
  );
}

/**
 * A group's scaling activities, newest first, back to `since` (epoch ms): Auto Scaling's record of
 * when each instance was launched, which DescribeAutoScalingGroups does not give.
 */
export async function describeScalingActivities(group: string, since: number): Promise<Activity[]> {
  const activities: Activity[] = [];
  const paginator = paginateDescribeScalingActivities(
    { client: autoScaling, pageSize: 100 },
    { AutoScalingGroupName: group },
  );
  await call('autoscaling:DescribeScalingActivities', group, async () => {
    for await (const page of paginator) {
      const items = page.Activities ?? [];
      activities.push(...items);
      // Newest first: a page entirely older than `since` ends the walk.
      if (items.length > 0 && items.every((activity) => (activity.StartTime?.getTime() ?? 0) < since)) break;
    }
  });
  return activities;
}

/**
 * The group's instance refreshes, newest first (the first page: Auto Scaling runs at most one at a
 * time, and the newest tells whether one is under way).
 */
export async function describeInstanceRefreshes(group: string): Promise<InstanceRefresh[]> {
  const { InstanceRefreshes } = await call('autoscaling:DescribeInstanceRefreshes', group, () =>
    autoScaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: group, MaxRecords: 10 })),
  );
  return InstanceRefreshes ?? [];
}

/** The group's warm pool: its configuration and its instances, every page (DescribeWarmPool). */
export async function describeWarmPool(
  group: string,
): Promise<{ configuration: WarmPoolConfiguration | undefined; instances: Instance[] }> {
  const instances: Instance[] = [];
  let configuration: WarmPoolConfiguration | undefined;
  let token: string | undefined;
  do {
    const page = await call('autoscaling:DescribeWarmPool', group, () =>
      autoScaling.send(
        new DescribeWarmPoolCommand({ AutoScalingGroupName: group, MaxRecords: 100, NextToken: token }),
      ),
    );
    configuration ??= page.WarmPoolConfiguration;
    instances.push(...(page.Instances ?? []));
    token = page.NextToken;
  } while (token);
  return { configuration, instances };
}
