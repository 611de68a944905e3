import { Duration } from 'aws-cdk-lib';
import {
  capacityRequestPattern,
  placementFailurePattern,
  provisioningTaskPattern,
  reconcileSchedule,
} from '../../functions/scale-capacity/rules';
import { ANY_RESOURCE, commonEnvironment, forClusters, list, seconds, stateTable } from './common';
import type { FunctionSpec, SpecContext } from './types';

/** The clusters of the capacity providers it sizes: it acts on nothing else. */
const providerClusters = (ctx: SpecContext) => [
  ...new Set((ctx.props.capacityProviders ?? []).map((p) => p.cluster)),
];

const inProviderClusters = (ctx: SpecContext) => ({
  ArnEquals: { 'ecs:cluster': providerClusters(ctx).map((cluster) => ctx.arns.cluster(cluster)) },
});

export const scaleCapacity: FunctionSpec = {
  name: 'scale-capacity',
  description: 'Sizes Auto Scaling groups from the ECS tasks that must be placed',
  defaults: {
    // The planner is CPU-bound on large clusters; Lambda gives CPU with memory.
    memorySize: 1024,
    timeout: Duration.seconds(60),
    // A failed pass is not worth repeating: the next tick (a minute later) decides from fresh state.
    retryAttempts: 0,
    // Events queue behind the single concurrent pass; one older than this is superseded by a tick.
    maxEventAge: Duration.minutes(5),
    // One controller per group: two passes at once could both scale out for the same demand.
    reservedConcurrentExecutions: 1,
  },

  environment(ctx) {
    const settings = ctx.props.scaleCapacity ?? {};
    return {
      ...commonEnvironment(ctx),
      // `cluster/provider`, or the bare name for the default cluster (what the SAM template can write).
      CAPACITY_PROVIDERS: list(
        (ctx.props.capacityProviders ?? []).map((p) =>
          p.cluster === ctx.defaultCluster ? p.name : `${p.cluster}/${p.name}`,
        ),
      ),
      DEFAULT_CLUSTER: ctx.defaultCluster,
      SCALE_IN_AFTER_SECONDS: seconds(settings.scaleInAfter, 300),
      HEADROOM: String(settings.headroom ?? 0),
      MAX_SCALE_IN: String(settings.maxScaleIn ?? '10%'),
      MAX_STEP: String(settings.maxStep ?? 50),
      CONSOLIDATION: String(settings.consolidation ?? false),
      BOOT_TIMEOUT_SECONDS: seconds(settings.bootTimeout, 600),
      INSTANCE_TYPES: JSON.stringify(settings.instanceTypes ?? {}),
    };
  },

  permissions(ctx) {
    const { arns } = ctx;
    const providers = ctx.props.capacityProviders ?? [];
    const clusters = providerClusters(ctx);
    const groups = [...new Set(providers.map((p) => p.autoScalingGroupName))];
    return [
      {
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeScalingActivities',
          'autoscaling:DescribeLifecycleHooks',
          'autoscaling:DescribeInstanceRefreshes',
        ],
        resources: [ANY_RESOURCE],
        why: "Read the groups' size, instances and protection, recent launch failures and boot times, (for consolidation) that a terminate hook drains what it removes, and instance refreshes under way. These Auto Scaling Describe* actions accept only `*`.",
      },
      {
        actions: [
          'autoscaling:SetDesiredCapacity',
          'autoscaling:SetInstanceProtection',
          'autoscaling:TerminateInstanceInAutoScalingGroup',
          'autoscaling:DescribeWarmPool',
        ],
        resources: groups.map((group) => arns.autoScalingGroup(group)),
        why: "Scale out to what the plan needs; protect busy instances; remove idle ones (with decrement, so drain-instance drains them); read a group's warm pool. Only the capacity providers' groups.",
      },
      {
        actions: ['ecs:DescribeCapacityProviders'],
        resources: providers.map((p) => arns.capacityProvider(p.name)),
        why: 'Find the group behind each capacity provider, and refuse one whose managed scaling is on.',
      },
      {
        actions: ['ecs:DescribeClusters', 'ecs:ListContainerInstances'],
        resources: clusters.map((cluster) => arns.cluster(cluster)),
        why: "Read the cluster's default capacity provider strategy; list its container instances.",
      },
      {
        actions: ['ecs:DescribeContainerInstances'],
        resources: clusters.map((cluster) => arns.containerInstances(cluster)),
        why: 'Free resources, ports and attributes of each instance. Container instance ids are only known at run time.',
      },
      {
        actions: ['ecs:UpdateContainerInstancesState'],
        resources: clusters.map((cluster) => arns.containerInstances(cluster)),
        why: 'Set an idle instance DRAINING just before removing it, so ECS places nothing there while it goes (ACTIVE again if a task landed first).',
      },
      {
        actions: ['ecs:ListServices', 'ecs:ListTasks'],
        resources: [ANY_RESOURCE],
        conditions: inProviderClusters(ctx),
        why: 'Find services short of tasks and tasks waiting in PROVISIONING. These List actions take `*`, narrowed by ecs:cluster.',
      },
      {
        actions: ['ecs:DescribeServices'],
        resources: clusters.map((cluster) => arns.services(cluster)),
        why: 'Desired, running and pending counts and capacity provider strategy of each service.',
      },
      {
        actions: ['ecs:DescribeTasks', 'ecs:GetTaskProtection'],
        resources: clusters.map((cluster) => arns.tasks(cluster)),
        why: 'Shapes and placement constraints of pending tasks; non-daemon tasks per instance; task scale-in protection of consolidation candidates. Task ids are only known at run time.',
      },
      {
        actions: ['ecs:DescribeTaskDefinition'],
        resources: [ANY_RESOURCE],
        why: 'The CPU, memory, ports and GPUs each pending task needs. DescribeTaskDefinition supports no resource-level permissions.',
      },
      stateTable(
        ctx,
        ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        ['capacity#*'],
        'Read capacity requests from run-scheduled-task; keep idle-since, stall and instance-type markers (capacity#...).',
      ),
      stateTable(
        ctx,
        ['dynamodb:Query'],
        ['job#*'],
        "Read-only: run-scheduled-task's job registry and runs, so a scheduled job's next run is planned for one boot ahead.",
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
    const clusters = providerClusters(ctx);
    return [
      {
        id: 'Provisioning',
        description: 'tasks waiting for capacity',
        eventPattern: forClusters(provisioningTaskPattern([]), ctx, clusters),
      },
      {
        id: 'PlacementFailure',
        description: 'service task placement failures',
        eventPattern: forClusters(placementFailurePattern([]), ctx, clusters),
      },
      { id: 'CapacityRequest', description: 'capacity requests', eventPattern: capacityRequestPattern },
      { id: 'Reconcile', description: 'reconcile pass', schedule: reconcileSchedule.expression },
    ];
  },
};
