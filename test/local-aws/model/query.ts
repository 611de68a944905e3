/**
 * The ECS cluster query language (memberOf constraints, ListContainerInstances filters), evaluated
 * against a simulated container instance with the project's own parser and evaluator (shared/ecs/query).
 */
import type { InstanceView } from '../../../shared/ecs/container-instance';
import {
  type Expr,
  evaluate,
  parse,
  QueryEvaluationError,
  QuerySyntaxError,
} from '../../../shared/ecs/query';
import type { ContainerInstanceRecord, Resources } from './types';

export { QueryEvaluationError, QuerySyntaxError };

/** What the query language can look at on a container instance. */
export interface QueryTarget {
  instance: ContainerInstanceRecord;
  remaining: Resources;
  runningTasksCount: number;
  pendingTasksCount: number;
  agentVersion: string;
  taskGroups: string[];
}

const cache = new Map<string, Expr>();

/** Parses (cached); throws QuerySyntaxError with the position of the problem. */
export function parseQuery(expression: string): Expr {
  let parsed = cache.get(expression);
  if (!parsed) {
    parsed = parse(expression);
    cache.set(expression, parsed);
  }
  return parsed;
}

function resources(value: Resources) {
  return {
    cpu: value.cpu,
    memoryMiB: value.memory,
    gpus: value.gpus.length,
    ports: { tcp: value.ports, udp: value.portsUdp },
    enis: value.enis,
  };
}

function view(target: QueryTarget): InstanceView {
  const { instance } = target;
  return {
    arn: instance.arn,
    ec2InstanceId: instance.ec2InstanceId,
    status: instance.status,
    agentConnected: instance.agentConnected,
    registered: resources(instance.registered),
    remaining: resources(target.remaining),
    attributes: instance.attributes,
    runningTasksCount: target.runningTasksCount,
    pendingTasksCount: target.pendingTasksCount,
    registeredAt: new Date(instance.registeredAt),
    agentVersion: target.agentVersion,
    capacityProviderName: instance.capacityProviderName,
    taskGroups: target.taskGroups,
  };
}

export function matchesQuery(expression: string, target: QueryTarget): boolean {
  return evaluate(parseQuery(expression), view(target));
}
