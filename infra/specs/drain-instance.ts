import { Duration } from 'aws-cdk-lib';
import {
  lifecycleActionPattern,
  reconcileSchedule,
  spotInterruptionPattern,
} from '../../functions/drain-instance/rules';
import { DEFAULT_HOOK_NAME } from '../constants';
import { ANY_RESOURCE, commonEnvironment, inClusters, list, seconds, stateTable } from './common';
import type { FunctionSpec } from './types';

const DRAIN_DEADLINE_SECONDS = 3600;
const POLL_INTERVAL_SECONDS = 10;

export const drainInstance: FunctionSpec = {
  name: 'drain-instance',
  description: 'Drains ECS container instances before Auto Scaling terminates them',
  defaults: {
    memorySize: 256,
    // One invocation follows a drain for up to this long, then the every-minute pass takes over.
    timeout: Duration.minutes(5),
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
  },

  environment(ctx) {
    const settings = ctx.props.drainInstance ?? {};
    const groups = ctx.props.autoScalingGroups ?? [];
    const standalone = Object.fromEntries(
      groups.flatMap((group) =>
        group.standaloneTasks && group.standaloneTasks !== 'wait'
          ? [[group.autoScalingGroupName, `stop-after:${group.standaloneTasks.stopAfter.toSeconds()}`]]
          : [],
      ),
    );
    return {
      ...commonEnvironment(ctx),
      AUTO_SCALING_GROUPS: list(groups.map((group) => group.autoScalingGroupName)),
      LIFECYCLE_HOOK_NAMES: list(groups.map((group) => group.lifecycleHook?.name ?? DEFAULT_HOOK_NAME)),
      DEFAULT_CLUSTER: ctx.defaultCluster,
      CLUSTERS: list(ctx.props.clusters),
      DRAIN_DEADLINE_SECONDS: seconds(settings.drainDeadline, DRAIN_DEADLINE_SECONDS),
      POLL_INTERVAL_SECONDS: seconds(settings.pollInterval, POLL_INTERVAL_SECONDS),
      STANDALONE_TASK_POLICY: JSON.stringify(standalone),
    };
  },

  permissions(ctx) {
    const { arns, props } = ctx;
    const clusters = props.clusters;
    const stopsTasks = (props.autoScalingGroups ?? []).some(
      (group) => group.standaloneTasks !== undefined && group.standaloneTasks !== 'wait',
    );
    const groups = (props.autoScalingGroups ?? []).map((group) =>
      arns.autoScalingGroup(group.autoScalingGroupName),
    );
    return [
      {
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeLifecycleHooks',
        ],
        // Auto Scaling's Describe* actions support no resource-level permissions.
        resources: [ANY_RESOURCE],
        why: 'Find instances waiting on our hooks (Terminating:Wait), the group of a Spot instance, the cluster tag and hook metadata. Auto Scaling Describe* actions accept only `*`.',
      },
      {
        actions: [
          'autoscaling:CompleteLifecycleAction',
          'autoscaling:RecordLifecycleActionHeartbeat',
          'autoscaling:DescribeWarmPool',
        ],
        resources: groups,
        why: "Keep the terminate hook alive while tasks drain, then let the termination continue; list a warm pool's instances (those waiting on the hook on their way into it are listed only there); only on the configured groups.",
      },
      {
        actions: ['ecs:ListContainerInstances'],
        resources: clusters.map((cluster) => arns.cluster(cluster)),
        why: 'Find the container instance of an EC2 instance (filter ec2InstanceId == ...).',
      },
      {
        actions: ['ecs:DescribeClusters'],
        resources: clusters.map((cluster) => arns.cluster(cluster)),
        why: "The cluster's capacity providers, once per group and container: is ECS managed draining on beside our hook?",
      },
      {
        actions: ['ecs:DescribeCapacityProviders'],
        // The providers are whatever the cluster uses, known only at run time.
        resources: [arns.capacityProvider('*')],
        why: 'Warn when ECS managed draining is enabled on the capacity provider of a drained group (two drainers).',
      },
      {
        actions: ['ecs:DescribeContainerInstances', 'ecs:UpdateContainerInstancesState'],
        resources: clusters.map((cluster) => arns.containerInstances(cluster)),
        why: 'Read the instance status and set it DRAINING. Container instance ids are only known at run time, hence `<cluster>/*`.',
      },
      {
        actions: ['ecs:ListTasks'],
        // ListTasks is authorized on `*` narrowed by the ecs:cluster condition key.
        resources: [ANY_RESOURCE],
        conditions: inClusters(ctx),
        why: 'List the tasks on the draining instance, both desired statuses. Scoped to the clusters by the ecs:cluster condition.',
      },
      {
        actions: ['ecs:DescribeTasks'],
        resources: clusters.map((cluster) => arns.tasks(cluster)),
        why: "Decide 'drained' from each task's lastStatus. Task ids are only known at run time, hence `<cluster>/*`.",
      },
      ...(stopsTasks
        ? [
            {
              actions: ['ecs:StopTask'],
              resources: clusters.map((cluster) => arns.tasks(cluster)),
              why: 'Stop standalone tasks still running after their stop-after delay (granted only when a group has a stop-after policy).',
            },
          ]
        : []),
      {
        actions: ['ecs:DescribeServices'],
        resources: clusters.map((cluster) => arns.services(cluster)),
        why: "Recognise DAEMON services, whose tasks ECS stops last and a drain does not wait for; read the REPLICA services' desired count, minimum healthy percent and placement events for the disruption budget.",
      },
      {
        actions: ['ecs:DescribeTaskDefinition'],
        resources: [ANY_RESOURCE],
        why: "Spot: each task's stopTimeout, weighed against the two minutes' time left; a blocked service's task size, for the room asked of scale-capacity. DescribeTaskDefinition supports no resource-level permissions.",
      },
      stateTable(
        ctx,
        ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        ['drain#*'],
        'Record when each drain started (the deadline counts from it) and its completion, with conditional writes so overlapping invocations agree.',
      ),
      stateTable(
        ctx,
        ['dynamodb:PutItem'],
        // Exactly `capacity#<cluster>` (cluster names hold no `#`): not scale-capacity's own markers.
        clusters.map((cluster) => `capacity#${cluster}`),
        "A drain the disruption budget blocks asks scale-capacity for its replacements' room: a capacity request under capacity#<cluster> exactly, as run-scheduled-task writes them.",
      ),
      stateTable(
        ctx,
        ['dynamodb:PutItem'],
        ['decision#*'],
        'Write-only: decision records about instances (decision#...), read by the why and status commands; removed by TTL after 14 days.',
      ),
    ];
  },

  triggers(ctx) {
    const groups = (ctx.props.autoScalingGroups ?? []).map((group) => group.autoScalingGroupName);
    return [
      {
        id: 'LifecycleAction',
        description: 'terminate lifecycle actions of the managed groups',
        eventPattern: lifecycleActionPattern(groups),
      },
      {
        id: 'SpotInterruption',
        description: 'Spot interruption warnings',
        eventPattern: { ...spotInterruptionPattern },
      },
      { id: 'Reconcile', description: 'reconcile pass', schedule: reconcileSchedule.expression },
    ];
  },
};
