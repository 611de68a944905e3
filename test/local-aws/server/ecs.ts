/** ECS (JSON 1.1, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`) over the world. */
import { createHash } from 'node:crypto';
import { AwsApiError, ecsErrors } from '../model/errors';
import { matchesQuery, parseQuery, QueryEvaluationError, QuerySyntaxError } from '../model/query';
import type {
  CapacityProviderStrategyItem,
  ContainerInstanceRecord,
  PlacementConstraint,
  PlacementStrategy,
  Tag,
  TaskOverrides,
  TaskRecord,
} from '../model/types';
import {
  clusterView,
  containerInstanceView,
  ecsTags,
  epochSeconds,
  serviceView,
  taskDefinitionView,
  taskView,
} from '../model/views';
import type { World } from '../model/world';
import { taskProtectionHandlers } from './ecs-task-protection';
import { paginate } from './pagination';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';

type Input = Record<string, unknown>;
type Handler = (world: World, input: Input) => unknown;

const invalid = ecsErrors.invalid;

function optString(input: Input, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${key} must be a string.`);
  return value;
}

function stringList(input: Input, key: string): string[] | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalid(`${key} must be a list of strings.`);
  }
  return value as string[];
}

function optNumber(input: Input, key: string): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw invalid(`${key} must be a number.`);
  return value;
}

function pageSize(input: Input, fallback: number): number {
  const maxResults = optNumber(input, 'maxResults');
  if (maxResults === undefined) return fallback;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
    throw invalid('maxResults must be between 1 and 100.');
  }
  return maxResults;
}

const invalidToken = () => invalid('Invalid nextToken');

function tagsOf(input: Input): Tag[] {
  const value = input.tags;
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid('tags must be a list.');
  return value.map((tag: { key?: unknown; value?: unknown }) => {
    if (typeof tag?.key !== 'string' || tag.key.length === 0)
      throw invalid('Tag keys must be non-empty strings.');
    return { key: tag.key, value: typeof tag.value === 'string' ? tag.value : '' };
  });
}

function findTask(world: World, cluster: string, reference: string): TaskRecord | undefined {
  const task = world.task(reference);
  return task && task.cluster === cluster && world.isRetained(task) ? task : undefined;
}

function findInstance(world: World, cluster: string, reference: string): ContainerInstanceRecord | undefined {
  const instance =
    world.containerInstances.get(reference) ?? world.instances(cluster).find((i) => i.id === reference);
  return instance && instance.cluster === cluster ? instance : undefined;
}

function describeTask(world: World, task: TaskRecord, includeTags: boolean) {
  return taskView(task, world.clusterArn(task.cluster), epochSeconds, { includeTags });
}

function describeInstance(world: World, instance: ContainerInstanceRecord, includeTags: boolean) {
  return containerInstanceView(
    instance,
    world.clusterArn(instance.cluster),
    world.remaining(instance),
    world.taskCounts(instance),
    epochSeconds,
    { includeTags },
  );
}

function includes(input: Input, value: string): boolean {
  return (stringList(input, 'include') ?? []).includes(value);
}

/** Stable JSON of a request (sorted keys) for clientToken comparison. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Input)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const handlers: Record<string, Handler> = {
  ListClusters(world, input) {
    const page = paginate(
      [...world.clusters.values()].filter((c) => c.status === 'ACTIVE'),
      {
        token: optString(input, 'nextToken'),
        pageSize: pageSize(input, 100),
        scope: 'clusters',
        invalidToken,
      },
    );
    return { clusterArns: page.items.map((c) => c.arn), nextToken: page.nextToken };
  },

  DescribeClusters(world, input) {
    const names = stringList(input, 'clusters') ?? ['default'];
    if (names.length > 100) throw invalid('clusters can have at most 100 items.');
    const clusters = [];
    const failures = [];
    for (const reference of names) {
      const cluster = world.clusters.get(world.clusterName(reference));
      if (!cluster) {
        failures.push({
          arn: reference.startsWith('arn:') ? reference : world.clusterArn(reference),
          reason: 'MISSING',
        });
        continue;
      }
      const instances = world
        .instances(cluster.name)
        .filter((i) => i.status === 'ACTIVE' || i.status === 'DRAINING');
      const tasks = world.tasks({ cluster: cluster.name }).filter((t) => t.lastStatus !== 'STOPPED');
      clusters.push(
        clusterView(
          cluster,
          {
            registeredContainerInstancesCount: instances.length,
            runningTasksCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
            pendingTasksCount: tasks.filter((t) => t.lastStatus !== 'RUNNING').length,
            activeServicesCount: world.services(cluster.name).filter((s) => s.status === 'ACTIVE').length,
          },
          { tags: includes(input, 'TAGS'), settings: includes(input, 'SETTINGS') },
        ),
      );
    }
    return { clusters, failures };
  },

  DescribeCapacityProviders(world, input) {
    const names = stringList(input, 'capacityProviders');
    if (names && names.length > 100) throw invalid('capacityProviders can have at most 100 items.');
    const failures: { arn: string; reason: string }[] = [];
    const found = names
      ? names.flatMap((reference) => {
          const name = reference.replace(/^arn:aws:ecs:[^:]+:\d+:capacity-provider\//, '');
          const provider = world.capacityProviders.get(name);
          if (!provider) failures.push({ arn: reference, reason: 'MISSING' });
          return provider ? [provider] : [];
        })
      : [...world.capacityProviders.values()];
    const page = paginate(found, {
      token: optString(input, 'nextToken'),
      pageSize: pageSize(input, 10),
      scope: names ?? 'all',
      invalidToken,
    });
    return {
      capacityProviders: page.items.map((provider) => ({
        capacityProviderArn: provider.arn,
        name: provider.name,
        status: 'ACTIVE',
        autoScalingGroupProvider: {
          autoScalingGroupArn: world.groups.get(provider.groupName)?.arn ?? provider.groupName,
          managedScaling: {
            status: provider.managedScaling,
            targetCapacity: provider.targetCapacity,
            minimumScalingStepSize: 1,
            maximumScalingStepSize: 10000,
            instanceWarmupPeriod: 300,
          },
          managedTerminationProtection: provider.managedTerminationProtection,
          managedDraining: provider.managedDraining,
        },
        updateStatus: 'UPDATE_COMPLETE',
        tags: includes(input, 'TAGS') ? ecsTags(provider.tags) : undefined,
      })),
      failures,
      nextToken: page.nextToken,
    };
  },

  ListContainerInstances(world, input) {
    const cluster = world.requireCluster(optString(input, 'cluster'));
    const filter = optString(input, 'filter');
    const status = optString(input, 'status');
    const statuses = ['ACTIVE', 'DRAINING', 'REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED'];
    if (status !== undefined && !statuses.includes(status)) {
      throw invalid(`status must be one of ${statuses.join(', ')}.`);
    }
    if (filter !== undefined) {
      try {
        parseQuery(filter);
      } catch (error) {
        if (error instanceof QuerySyntaxError) throw invalid(`Invalid filter expression: ${error.message}`);
        throw error;
      }
    }
    const matching = world.instances(cluster.name).filter((instance) => {
      // Without a status, ECS lists every status but INACTIVE (ListContainerInstances, API reference).
      const statusMatches = status ? instance.status === status : instance.status !== 'INACTIVE';
      if (!statusMatches || !filter) return statusMatches;
      try {
        return matchesQuery(filter, world.queryTarget(instance));
      } catch (error) {
        if (error instanceof QueryEvaluationError)
          throw invalid(`Invalid filter expression: ${error.message}`);
        throw error;
      }
    });
    const page = paginate(matching, {
      token: optString(input, 'nextToken'),
      pageSize: pageSize(input, 100),
      scope: { cluster: cluster.name, filter, status },
      invalidToken,
    });
    return { containerInstanceArns: page.items.map((i) => i.arn), nextToken: page.nextToken };
  },

  DescribeContainerInstances(world, input) {
    const cluster = world.requireCluster(optString(input, 'cluster'));
    const references = stringList(input, 'containerInstances') ?? [];
    if (references.length === 0) throw invalid('Container instances cannot be empty.');
    if (references.length > 100) {
      throw invalid('Too many containerInstances were provided. A maximum of 100 is allowed.');
    }
    const containerInstances = [];
    const failures = [];
    for (const reference of references) {
      const instance = findInstance(world, cluster.name, reference);
      if (instance) containerInstances.push(describeInstance(world, instance, includes(input, 'TAGS')));
      else failures.push({ arn: reference, reason: 'MISSING' });
    }
    return { containerInstances, failures };
  },

  UpdateContainerInstancesState(world, input) {
    const cluster = world.requireCluster(optString(input, 'cluster'));
    const references = stringList(input, 'containerInstances') ?? [];
    const status = optString(input, 'status');
    if (references.length === 0) throw invalid('Container instances cannot be empty.');
    if (references.length > 10) {
      throw invalid('Too many containerInstances were provided. A maximum of 10 is allowed.');
    }
    if (status !== 'ACTIVE' && status !== 'DRAINING') {
      throw invalid('Container instance status must be ACTIVE or DRAINING.');
    }
    const containerInstances = [];
    const failures = [];
    for (const reference of references) {
      const instance = findInstance(world, cluster.name, reference);
      if (!instance) {
        failures.push({ arn: reference, reason: 'MISSING' });
        continue;
      }
      const refused = world.setContainerInstanceStatus(instance, status);
      if (refused) {
        failures.push({
          arn: instance.arn,
          reason: refused,
          detail: `The container instance is ${refused}; only ACTIVE and DRAINING instances can change status.`,
        });
      } else {
        containerInstances.push(describeInstance(world, instance, false));
      }
    }
    return { containerInstances, failures };
  },

  ListTasks(world, input) {
    const cluster = world.requireCluster(optString(input, 'cluster'));
    const startedBy = optString(input, 'startedBy');
    const family = optString(input, 'family');
    const serviceName = optString(input, 'serviceName');
    const containerInstance = optString(input, 'containerInstance');
    const launchType = optString(input, 'launchType');
    const requestedStatus = optString(input, 'desiredStatus');
    if (
      startedBy !== undefined &&
      [family, serviceName, containerInstance, launchType, requestedStatus].some((f) => f !== undefined)
    ) {
      // The API reference: "When you specify startedBy as the filter, it must be the only filter that you use."
      throw invalid('startedBy must be the only filter when it is specified.');
    }
    if (requestedStatus !== undefined && !['RUNNING', 'PENDING', 'STOPPED'].includes(requestedStatus)) {
      throw invalid('desiredStatus must be one of RUNNING, PENDING, STOPPED.');
    }
    const desiredStatus = requestedStatus ?? (startedBy === undefined ? 'RUNNING' : undefined);
    const instance = containerInstance ? findInstance(world, cluster.name, containerInstance) : undefined;
    const service = serviceName ? world.service(cluster.name, serviceName) : undefined;
    if (serviceName && !service) throw ecsErrors.serviceNotFound();
    const matching = world
      .tasks({ cluster: cluster.name })
      .filter(
        (task) =>
          world.isRetained(task) &&
          (desiredStatus === undefined || task.desiredStatus === desiredStatus) &&
          (!family || task.family === family) &&
          (!service || task.group === `service:${service.name}`) &&
          (!containerInstance || (instance !== undefined && task.containerInstanceArn === instance.arn)) &&
          (!launchType || task.launchType === launchType) &&
          (startedBy === undefined || task.startedBy === startedBy),
      );
    const page = paginate(matching, {
      token: optString(input, 'nextToken'),
      pageSize: pageSize(input, 100),
      scope: {
        cluster: cluster.name,
        startedBy,
        family,
        serviceName,
        containerInstance,
        launchType,
        desiredStatus,
      },
      invalidToken,
    });
    return { taskArns: page.items.map((t) => t.arn), nextToken: page.nextToken };
  },

  DescribeTasks(world, input) {
    const cluster = world.requireCluster(optString(input, 'cluster'));
    const references = stringList(input, 'tasks') ?? [];
    if (references.length === 0) throw invalid('Tasks cannot be empty.');
    if (references.length > 100) throw invalid('Too many tasks were provided. A maximum of 100 is allowed.');
    const tasks = [];
    const failures = [];
    for (const reference of references) {
      const task = findTask(world, cluster.name, reference);
      if (task) tasks.push(describeTask(world, task, includes(input, 'TAGS')));
      else failures.push({ arn: reference, reason: 'MISSING' });
    }
    return { tasks, failures };
  },

  StopTask(world, input) {
    const cluster = world.requireCluster(optString(input, 'cluster'));
    const reference = optString(input, 'task');
    if (!reference) throw invalid('task must be specified.');
    const reason = optString(input, 'reason');
    if (reason !== undefined && reason.length > 255) throw invalid('reason can be at most 255 characters.');
    if (!/^(arn:aws:ecs:[^:]+:\d{12}:task\/[^/]+\/)?[0-9a-f]{32}$/.test(reference)) {
      throw invalid('Task Identifier is invalid');
    }
    const task = findTask(world, cluster.name, reference);
    if (!task) throw invalid('The referenced task was not found.');
    world.stopTask(task, reason ?? 'Task stopped by user', 'UserInitiated');
    return { task: describeTask(world, task, false) };
  },

  RunTask(world, input) {
    const cluster = world.requireCluster(optString(input, 'cluster'));
    const taskDefinition = optString(input, 'taskDefinition');
    if (!taskDefinition) throw invalid('taskDefinition must be specified.');
    const count = optNumber(input, 'count') ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 10) throw invalid('count must be between 1 and 10.');
    const startedBy = optString(input, 'startedBy');
    if (startedBy !== undefined && startedBy.length > 128)
      throw invalid('startedBy can be at most 128 characters.');
    const tags = tagsOf(input);
    if (tags.length > 50) throw invalid('Tags can have at most 50 items.');
    const launchType = optString(input, 'launchType');
    const strategy =
      (input.capacityProviderStrategy as CapacityProviderStrategyItem[] | undefined) ?? undefined;
    if (strategy && strategy.length > 20)
      throw invalid('capacityProviderStrategy can have at most 20 items.');
    if (launchType && strategy && strategy.length > 0) {
      throw invalid(
        'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
      );
    }
    if (launchType !== undefined && launchType !== 'EC2') {
      throw invalid(`The local endpoint models the EC2 launch type only (got ${launchType}).`);
    }
    const constraints = (input.placementConstraints as PlacementConstraint[] | undefined) ?? [];
    if (constraints.length > 10) throw invalid('placementConstraints can have at most 10 items.');
    const strategies = (input.placementStrategy as PlacementStrategy[] | undefined) ?? [];
    if (strategies.length > 5) throw invalid('placementStrategy can have at most 5 items.');
    for (const constraint of constraints) {
      if (constraint.type === 'memberOf') {
        try {
          parseQuery(constraint.expression ?? '');
        } catch (error) {
          if (error instanceof QuerySyntaxError)
            throw invalid(`Invalid placement constraint expression: ${error.message}`);
          throw error;
        }
      }
    }
    if (input.propagateTags === 'SERVICE') {
      throw invalid(
        'The propagateTags value SERVICE is not supported for RunTask. Use TASK_DEFINITION or NONE.',
      );
    }
    const overrides = (input.overrides as TaskOverrides | undefined) ?? {};
    if (Buffer.byteLength(JSON.stringify(overrides)) > 8192) {
      throw invalid('Container Overrides length must be at most 8192');
    }
    const group = optString(input, 'group');
    const clientToken = optString(input, 'clientToken');
    if (clientToken !== undefined && (clientToken.length > 64 || !/^[\x20-\x7e]+$/.test(clientToken))) {
      throw invalid('clientToken must be 1 to 64 ASCII characters.');
    }

    const { clientToken: _token, ...params } = input;
    const fingerprint = createHash('sha256').update(canonical(params)).digest('hex');
    const tokenKey = clientToken ? `${cluster.name}|${clientToken}` : undefined;
    if (tokenKey) {
      const previous = world.clientTokens.get(tokenKey);
      if (previous && world.now() - previous.at < world.timings.clientTokenTtlMs) {
        if (previous.fingerprint !== fingerprint) {
          const conflict = ecsErrors.conflict(
            'The RunTask request could not be processed due to conflicts. The provided clientToken is already in use with a different RunTask request. The resourceIds are the existing task ARNs which are already associated with the clientToken.',
          );
          conflict.extra = { resourceIds: previous.taskArns };
          throw conflict;
        }
        return {
          tasks: previous.taskArns
            .map((arn) => world.task(arn))
            .filter((task) => task !== undefined)
            .map((task) => describeTask(world, task, false)),
          failures: previous.failures,
        };
      }
    }

    const result = world.launch({
      cluster: cluster.name,
      taskDefinition,
      count,
      group,
      startedBy,
      launchType: launchType === 'EC2' ? 'EC2' : undefined,
      capacityProviderStrategy: strategy,
      placementConstraints: constraints,
      placementStrategy: strategies,
      overrides,
      tags,
    });
    if (tokenKey) {
      world.clientTokens.set(tokenKey, {
        fingerprint,
        taskArns: result.tasks.map((t) => t.arn),
        failures: result.failures,
        at: world.now(),
      });
    }
    return { tasks: result.tasks.map((t) => describeTask(world, t, false)), failures: result.failures };
  },

  StartTask(world, input) {
    const cluster = world.requireCluster(optString(input, 'cluster'));
    const taskDefinition = optString(input, 'taskDefinition');
    if (!taskDefinition) throw invalid('taskDefinition must be specified.');
    const references = stringList(input, 'containerInstances') ?? [];
    if (references.length === 0 || references.length > 10) {
      throw invalid('containerInstances must have between 1 and 10 items.');
    }
    const tasks = [];
    const failures = [];
    for (const reference of references) {
      const instance = findInstance(world, cluster.name, reference);
      if (!instance) {
        failures.push({ arn: reference, reason: 'MISSING' });
        continue;
      }
      if (instance.status === 'INACTIVE') {
        failures.push({ arn: instance.arn, reason: 'INACTIVE' });
        continue;
      }
      const result = world.launch({
        cluster: cluster.name,
        taskDefinition,
        group: optString(input, 'group'),
        startedBy: optString(input, 'startedBy'),
        overrides: (input.overrides as TaskOverrides | undefined) ?? {},
        tags: tagsOf(input),
        onInstances: [instance.arn],
      });
      tasks.push(...result.tasks.map((t) => describeTask(world, t, false)));
      failures.push(...result.failures);
    }
    return { tasks, failures };
  },

  RegisterTaskDefinition(world, input) {
    const family = optString(input, 'family');
    if (!family || !/^[A-Za-z0-9_-]{1,255}$/.test(family)) {
      throw ecsErrors.client('Family contains invalid characters or is empty.');
    }
    const containerDefinitions = input.containerDefinitions;
    if (!Array.isArray(containerDefinitions) || containerDefinitions.length === 0) {
      throw ecsErrors.client('Container list cannot be empty.');
    }
    const definition = world.registerTaskDefinition({
      ...(input as Parameters<World['registerTaskDefinition']>[0]),
      tags: tagsOf(input),
    });
    return { taskDefinition: taskDefinitionView(definition, epochSeconds), tags: ecsTags(definition.tags) };
  },

  DescribeTaskDefinition(world, input) {
    const reference = optString(input, 'taskDefinition');
    if (!reference) throw ecsErrors.client('taskDefinition must be specified.');
    const definition = world.taskDefinition(reference);
    if (!definition) throw ecsErrors.client('Unable to describe task definition.');
    return {
      taskDefinition: taskDefinitionView(definition, epochSeconds),
      tags: includes(input, 'TAGS') ? ecsTags(definition.tags) : undefined,
    };
  },

  ListServices(world, input) {
    const cluster = world.requireCluster(optString(input, 'cluster'));
    const launchType = optString(input, 'launchType');
    const schedulingStrategy = optString(input, 'schedulingStrategy');
    const matching = world
      .services(cluster.name)
      .filter(
        (s) =>
          s.status === 'ACTIVE' &&
          (!schedulingStrategy || s.schedulingStrategy === schedulingStrategy) &&
          (!launchType || s.launchType === launchType),
      );
    // ListServices answers 10 per page unless maxResults says otherwise.
    const page = paginate(matching, {
      token: optString(input, 'nextToken'),
      pageSize: pageSize(input, 10),
      scope: { cluster: cluster.name, launchType, schedulingStrategy },
      invalidToken,
    });
    return { serviceArns: page.items.map((s) => s.arn), nextToken: page.nextToken };
  },

  DescribeServices(world, input) {
    const cluster = world.requireCluster(optString(input, 'cluster'));
    const references = stringList(input, 'services') ?? [];
    if (references.length === 0) throw invalid('Services cannot be empty.');
    if (references.length > 10) throw invalid('Too many services were provided. A maximum of 10 is allowed.');
    const services = [];
    const failures = [];
    for (const reference of references) {
      const service = world.service(cluster.name, reference);
      if (service) {
        services.push(
          serviceView(
            service,
            cluster.arn,
            world.serviceCounts(service),
            epochSeconds,
            includes(input, 'TAGS'),
          ),
        );
      } else {
        failures.push({
          arn: reference.startsWith('arn:')
            ? reference
            : world.arn('ecs', `service/${cluster.name}/${reference}`),
          reason: 'MISSING',
        });
      }
    }
    return { services, failures };
  },

  UpdateService(world, input) {
    const cluster = world.requireCluster(optString(input, 'cluster'));
    const reference = optString(input, 'service');
    const service = reference ? world.service(cluster.name, reference) : undefined;
    if (!service) throw ecsErrors.serviceNotFound();
    const desiredCount = optNumber(input, 'desiredCount');
    if (desiredCount !== undefined) world.setServiceDesiredCount(cluster.name, service.name, desiredCount);
    return { service: serviceView(service, cluster.arn, world.serviceCounts(service), epochSeconds, false) };
  },

  ...taskProtectionHandlers,

  ListTagsForResource(world, input) {
    const arn = optString(input, 'resourceArn');
    if (!arn) throw invalid('resourceArn must be specified.');
    const tags =
      world.task(arn)?.tags ??
      [...world.serviceRecords.values()].find((s) => s.arn === arn)?.tags ??
      [...world.clusters.values()].find((c) => c.arn === arn)?.tags ??
      world.containerInstances.get(arn)?.tags ??
      world.taskDefinitions.get(arn)?.tags ??
      [...world.capacityProviders.values()].find((p) => p.arn === arn)?.tags;
    if (!tags) throw invalid('The specified resource is not found.');
    return { tags: ecsTags(tags) };
  },
};

export function ecsOperations(): string[] {
  return Object.keys(handlers);
}

/** Runs one ECS operation; throws AwsApiError for the error answers. */
export function handleEcs(world: World, operation: string, input: Input): unknown {
  const handler = handlers[operation];
  if (!handler) {
    throw new AwsApiError(
      'UnknownOperationException',
      `The local endpoint does not implement ecs:${operation}.`,
    );
  }
  return handler(world, input);
}
