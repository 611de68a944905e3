/** Auto Scaling (Query protocol, Version 2011-01-01) over the world. */
import { AwsApiError, autoScalingErrors } from '../model/errors';
import { type InstanceRefreshRecord, percentageComplete } from '../model/instance-refresh';
import { mixedInstancesPolicyView } from '../model/mixed-instances';
import type { AutoScalingGroupRecord, Ec2InstanceRecord } from '../model/types';
import type { World } from '../model/world';
import { paginate } from './pagination';
import { list, type QueryParams, type QueryValue, str, strings } from './query-protocol';

export const AUTOSCALING_VERSION = '2011-01-01';
export const AUTOSCALING_NAMESPACE = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

type Handler = (world: World, params: QueryParams) => unknown;

const validation = autoScalingErrors.validation;
const invalidToken = () => new AwsApiError('InvalidNextToken', 'The token is invalid.');

function required(params: QueryParams, key: string): string {
  const value = str(params, key);
  if (value === undefined || value === '') {
    throw validation(
      `1 validation error detected: Value null at '${lowerFirst(key)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function lowerFirst(text: string) {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function integer(params: QueryParams, key: string): number | undefined {
  const value = str(params, key);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw validation(`Invalid value for ${key}: ${value}`);
  return parsed;
}

function bool(params: QueryParams, key: string): boolean | undefined {
  const value = str(params, key);
  return value === undefined ? undefined : value === 'true';
}

function maxRecords(params: QueryParams, limit: number, fallback: number): number {
  const value = integer(params, 'MaxRecords');
  if (value === undefined) return fallback;
  if (value < 1 || value > limit) {
    throw validation(
      `1 validation error detected: Value '${value}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to ${limit}`,
    );
  }
  return value;
}

function launchTemplate(group: AutoScalingGroupRecord) {
  return {
    LaunchTemplateId: group.launchTemplate.id,
    LaunchTemplateName: group.launchTemplate.name,
    Version: group.launchTemplate.version,
  };
}

function instanceView(world: World, instance: Ec2InstanceRecord, withGroup: boolean) {
  const group = instance.groupName ? world.groups.get(instance.groupName) : undefined;
  return {
    InstanceId: instance.instanceId,
    InstanceType: instance.instanceType,
    ...(withGroup ? { AutoScalingGroupName: instance.groupName } : {}),
    AvailabilityZone: instance.availabilityZone,
    LifecycleState: instance.lifecycleState,
    HealthStatus: instance.healthStatus,
    ...(group ? { LaunchTemplate: launchTemplate(group) } : {}),
    ProtectedFromScaleIn: instance.protectedFromScaleIn,
  };
}

function tagViews(group: AutoScalingGroupRecord) {
  return group.tags.map((tag) => ({
    ResourceId: group.name,
    ResourceType: 'auto-scaling-group',
    Key: tag.key,
    Value: tag.value,
    PropagateAtLaunch: tag.propagateAtLaunch,
  }));
}

function filters(params: QueryParams): { name: string; values: string[] }[] {
  return list(params, 'Filters').map((filter) => {
    const record = filter as { [key: string]: QueryValue };
    return {
      name: typeof record.Name === 'string' ? record.Name : '',
      values: Array.isArray(record.Values)
        ? record.Values.filter((v): v is string => typeof v === 'string')
        : [],
    };
  });
}

function groupMatches(group: AutoScalingGroupRecord, filter: { name: string; values: string[] }): boolean {
  if (filter.name === 'tag-key') return group.tags.some((t) => filter.values.includes(t.key));
  if (filter.name === 'tag-value') return group.tags.some((t) => filter.values.includes(t.value));
  if (filter.name.startsWith('tag:')) {
    const key = filter.name.slice(4);
    return group.tags.some((t) => t.key === key && filter.values.includes(t.value));
  }
  throw validation(`Filter name ${filter.name} is not supported. Supported: tag-key, tag-value, tag:<key>.`);
}

function activityView(activity: World['activities'][number]) {
  return {
    ActivityId: activity.activityId,
    AutoScalingGroupName: activity.groupName,
    Description: activity.description,
    Cause: activity.cause,
    StartTime: new Date(activity.startedAt),
    ...(activity.endedAt !== undefined ? { EndTime: new Date(activity.endedAt) } : {}),
    StatusCode: activity.statusCode,
    Progress: activity.statusCode === 'Successful' ? 100 : 0,
    Details: '{"Subnet ID":"subnet-0abc1234","Availability Zone":"us-east-1a"}',
  };
}

function instanceRefreshView(refresh: InstanceRefreshRecord) {
  return {
    InstanceRefreshId: refresh.id,
    AutoScalingGroupName: refresh.groupName,
    Status: refresh.status,
    ...(refresh.statusReason ? { StatusReason: refresh.statusReason } : {}),
    StartTime: new Date(refresh.startedAt),
    ...(refresh.endedAt !== undefined ? { EndTime: new Date(refresh.endedAt) } : {}),
    PercentageComplete: percentageComplete(refresh),
    InstancesToUpdate: Math.max(0, refresh.toReplace.length - refresh.replaced.length),
    Preferences: {
      MinHealthyPercentage: refresh.minHealthyPercentage,
      ScaleInProtectedInstances: refresh.scaleInProtectedInstances,
    },
  };
}

const handlers: Record<string, Handler> = {
  DescribeAutoScalingGroups(world, params) {
    const names = strings(params, 'AutoScalingGroupNames');
    if (names.length > 100) {
      throw validation(
        "1 validation error detected: Value at 'autoScalingGroupNames' failed to satisfy constraint: Member must have length less than or equal to 100",
      );
    }
    const groupFilters = filters(params);
    const matching = [...world.groups.values()].filter(
      (group) =>
        (names.length === 0 || names.includes(group.name)) &&
        groupFilters.every((f) => groupMatches(group, f)),
    );
    const page = paginate(matching, {
      token: str(params, 'NextToken'),
      pageSize: maxRecords(params, 100, 50),
      scope: { names, groupFilters },
      invalidToken,
    });
    return {
      AutoScalingGroups: page.items.map((group) => ({
        AutoScalingGroupName: group.name,
        AutoScalingGroupARN: group.arn,
        // A group with a mixed instances policy names its launch template there instead.
        ...(group.mixedInstances
          ? { MixedInstancesPolicy: mixedInstancesPolicyView(group.mixedInstances, launchTemplate(group)) }
          : { LaunchTemplate: launchTemplate(group) }),
        MinSize: group.minSize,
        MaxSize: group.maxSize,
        DesiredCapacity: group.desiredCapacity,
        DefaultCooldown: 300,
        AvailabilityZones: group.availabilityZones,
        LoadBalancerNames: [],
        TargetGroupARNs: [],
        HealthCheckType: 'EC2',
        HealthCheckGracePeriod: 300,
        // Warm pool instances (every Warmed:* state, those waiting on a hook on their way into the
        // pool included) are listed by DescribeWarmPool, not here.
        Instances: world
          .groupInstances(group.name)
          .filter((i) => !i.lifecycleState.startsWith('Warmed:'))
          .map((i) => instanceView(world, i, false)),
        ...(world.warmPools.has(group.name)
          ? {
              WarmPoolConfiguration: {
                PoolState: world.warmPools.get(group.name)?.poolState,
                InstanceReusePolicy: { ReuseOnScaleIn: world.warmPools.get(group.name)?.reuseOnScaleIn },
              },
              WarmPoolSize: world
                .groupInstances(group.name)
                .filter((i) => i.lifecycleState === 'Warmed:Stopped').length,
            }
          : {}),
        CreatedTime: new Date(group.createdAt),
        SuspendedProcesses: [],
        VPCZoneIdentifier: 'subnet-0abc1234,subnet-0abc1235,subnet-0abc1236',
        EnabledMetrics: [],
        Tags: tagViews(group),
        TerminationPolicies: ['Default'],
        NewInstancesProtectedFromScaleIn: group.newInstancesProtectedFromScaleIn,
        ServiceLinkedRoleARN: world
          .arn('iam', 'role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling')
          .replace(`:${world.region}:`, '::'),
        CapacityRebalance: false,
      })),
      NextToken: page.nextToken,
    };
  },

  DescribeAutoScalingInstances(world, params) {
    const ids = strings(params, 'InstanceIds');
    if (ids.length > 50) {
      throw validation(
        "1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50",
      );
    }
    const matching = [...world.ec2.values()].filter(
      (i) =>
        i.groupName && i.lifecycleState !== 'Terminated' && (ids.length === 0 || ids.includes(i.instanceId)),
    );
    const page = paginate(matching, {
      token: str(params, 'NextToken'),
      pageSize: maxRecords(params, 50, 50),
      scope: ids,
      invalidToken,
    });
    return {
      AutoScalingInstances: page.items.map((i) => instanceView(world, i, true)),
      NextToken: page.nextToken,
    };
  },

  DescribeLifecycleHooks(world, params) {
    const groupName = required(params, 'AutoScalingGroupName');
    if (!world.groups.has(groupName)) throw validation(`Group ${groupName} not found`);
    const names = strings(params, 'LifecycleHookNames');
    return {
      LifecycleHooks: world
        .groupHooks(groupName)
        .filter((hook) => names.length === 0 || names.includes(hook.name))
        .map((hook) => ({
          LifecycleHookName: hook.name,
          AutoScalingGroupName: hook.groupName,
          LifecycleTransition: hook.transition,
          NotificationMetadata: hook.notificationMetadata,
          HeartbeatTimeout: hook.heartbeatTimeoutSeconds,
          GlobalTimeout: Math.min(172800, 100 * hook.heartbeatTimeoutSeconds),
          DefaultResult: hook.defaultResult,
        })),
    };
  },

  PutLifecycleHook(world, params) {
    const groupName = required(params, 'AutoScalingGroupName');
    const heartbeat = integer(params, 'HeartbeatTimeout');
    if (heartbeat !== undefined && (heartbeat < 30 || heartbeat > 7200)) {
      throw validation('HeartbeatTimeout must be between 30 and 7200 seconds.');
    }
    const transition = str(params, 'LifecycleTransition');
    world.putLifecycleHook({
      group: groupName,
      name: required(params, 'LifecycleHookName'),
      transition:
        transition === 'autoscaling:EC2_INSTANCE_LAUNCHING'
          ? transition
          : 'autoscaling:EC2_INSTANCE_TERMINATING',
      heartbeatTimeoutSeconds: heartbeat,
      defaultResult: str(params, 'DefaultResult') === 'CONTINUE' ? 'CONTINUE' : 'ABANDON',
      notificationMetadata: str(params, 'NotificationMetadata'),
    });
    return {};
  },

  CompleteLifecycleAction(world, params) {
    const result = required(params, 'LifecycleActionResult');
    if (result !== 'CONTINUE' && result !== 'ABANDON') {
      throw validation('LifecycleActionResult must be CONTINUE or ABANDON.');
    }
    const token = str(params, 'LifecycleActionToken');
    const instanceId = str(params, 'InstanceId');
    if (!token && !instanceId)
      throw validation('Either LifecycleActionToken or InstanceId must be specified.');
    world.completeLifecycleAction({
      group: required(params, 'AutoScalingGroupName'),
      hook: required(params, 'LifecycleHookName'),
      token,
      instanceId,
      result,
    });
    return {};
  },

  RecordLifecycleActionHeartbeat(world, params) {
    const token = str(params, 'LifecycleActionToken');
    const instanceId = str(params, 'InstanceId');
    if (!token && !instanceId)
      throw validation('Either LifecycleActionToken or InstanceId must be specified.');
    world.recordLifecycleActionHeartbeat({
      group: required(params, 'AutoScalingGroupName'),
      hook: required(params, 'LifecycleHookName'),
      token,
      instanceId,
    });
    return {};
  },

  SetDesiredCapacity(world, params) {
    const desired = integer(params, 'DesiredCapacity');
    if (desired === undefined) required(params, 'DesiredCapacity');
    world.setDesiredCapacity(required(params, 'AutoScalingGroupName'), desired as number);
    return undefined;
  },

  UpdateAutoScalingGroup(world, params) {
    world.updateGroup(required(params, 'AutoScalingGroupName'), {
      minSize: integer(params, 'MinSize'),
      maxSize: integer(params, 'MaxSize'),
      desiredCapacity: integer(params, 'DesiredCapacity'),
    });
    return undefined;
  },

  TerminateInstanceInAutoScalingGroup(world, params) {
    const decrement = bool(params, 'ShouldDecrementDesiredCapacity');
    if (decrement === undefined) required(params, 'ShouldDecrementDesiredCapacity');
    const activity = world.terminateInstanceInGroup(required(params, 'InstanceId'), decrement as boolean);
    return { Activity: activityView(activity) };
  },

  SetInstanceProtection(world, params) {
    const ids = strings(params, 'InstanceIds');
    if (ids.length === 0) required(params, 'InstanceIds');
    if (ids.length > 50) throw validation('InstanceIds can have at most 50 items.');
    const protect = bool(params, 'ProtectedFromScaleIn');
    if (protect === undefined) required(params, 'ProtectedFromScaleIn');
    world.setInstanceProtection(required(params, 'AutoScalingGroupName'), ids, protect as boolean);
    return {};
  },

  DescribeTags(world, params) {
    const tagFilters = filters(params);
    const all = [...world.groups.values()].flatMap(tagViews);
    const matching = all.filter((tag) =>
      tagFilters.every((filter) => {
        const value =
          filter.name === 'auto-scaling-group'
            ? tag.ResourceId
            : filter.name === 'key'
              ? tag.Key
              : filter.name === 'value'
                ? tag.Value
                : filter.name === 'propagate-at-launch'
                  ? String(tag.PropagateAtLaunch)
                  : undefined;
        if (value === undefined) throw validation(`Filter name ${filter.name} is not supported.`);
        return filter.values.includes(value);
      }),
    );
    const page = paginate(matching, {
      token: str(params, 'NextToken'),
      pageSize: maxRecords(params, 100, 50),
      scope: tagFilters,
      invalidToken,
    });
    return { Tags: page.items, NextToken: page.nextToken };
  },

  DescribeWarmPool(world, params) {
    const groupName = required(params, 'AutoScalingGroupName');
    if (!world.groups.has(groupName)) {
      throw validation(`AutoScalingGroup name not found - AutoScalingGroup ${groupName} not found`);
    }
    const pool = world.warmPools.get(groupName);
    const instances = world
      .groupInstances(groupName)
      .filter((i) => i.lifecycleState.startsWith('Warmed:'))
      .map((i) => instanceView(world, i, false));
    return {
      ...(pool
        ? {
            WarmPoolConfiguration: {
              PoolState: pool.poolState,
              InstanceReusePolicy: { ReuseOnScaleIn: pool.reuseOnScaleIn },
            },
          }
        : {}),
      Instances: instances,
    };
  },

  DescribeInstanceRefreshes(world, params) {
    const groupName = str(params, 'AutoScalingGroupName');
    if (!groupName) {
      throw new AwsApiError('ValidationError', 'AutoScalingGroupName is required.');
    }
    const ids = strings(params, 'InstanceRefreshIds');
    // Newest first, as Auto Scaling lists them.
    const refreshes = world.instanceRefreshes
      .filter((refresh) => refresh.groupName === groupName && (ids.length === 0 || ids.includes(refresh.id)))
      .reverse();
    return { InstanceRefreshes: refreshes.map(instanceRefreshView) };
  },

  StartInstanceRefresh(world, params) {
    const groupName = required(params, 'AutoScalingGroupName');
    if (!world.groups.has(groupName)) {
      throw validation(`AutoScalingGroup name not found - AutoScalingGroup ${groupName} not found`);
    }
    const preferences = params.Preferences;
    const prefs =
      preferences && typeof preferences === 'object' && !Array.isArray(preferences) ? preferences : {};
    const minHealthy = integer(prefs, 'MinHealthyPercentage');
    const protectedInstances = str(prefs, 'ScaleInProtectedInstances');
    const record = world.startInstanceRefresh(groupName, {
      ...(minHealthy !== undefined ? { minHealthyPercentage: minHealthy } : {}),
      ...(protectedInstances === 'Refresh' || protectedInstances === 'Ignore' || protectedInstances === 'Wait'
        ? { scaleInProtectedInstances: protectedInstances }
        : {}),
    });
    return { InstanceRefreshId: record.id };
  },

  DescribeScalingActivities(world, params) {
    const groupName = str(params, 'AutoScalingGroupName');
    const activities = world.activities.filter((a) => !groupName || a.groupName === groupName).reverse();
    const page = paginate(activities, {
      token: str(params, 'NextToken'),
      pageSize: maxRecords(params, 100, 100),
      scope: groupName ?? '',
      invalidToken,
    });
    return { Activities: page.items.map(activityView), NextToken: page.nextToken };
  },
};

export function handleAutoScaling(world: World, action: string, params: QueryParams): unknown {
  const handler = handlers[action];
  if (!handler) {
    throw new AwsApiError('InvalidAction', `The local endpoint does not implement autoscaling:${action}.`);
  }
  return handler(world, params);
}
