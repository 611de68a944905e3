/** ecs:UpdateTaskProtection and ecs:GetTaskProtection over the world (model/task-protection.ts). */
import { ecsErrors } from '../model/errors';
import { isProtected, MAX_PROTECTION_MINUTES, setProtection } from '../model/task-protection';
import type { TaskRecord } from '../model/types';
import type { World } from '../model/world';

type Input = Record<string, unknown>;

function taskReferences(input: Input, limit: number): string[] {
  const value = input.tasks;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw ecsErrors.invalid('tasks must be a list of strings.');
  }
  if (value.length === 0) throw ecsErrors.invalid('Tasks cannot be empty.');
  if (value.length > limit) {
    throw ecsErrors.invalid(`Too many tasks were provided. A maximum of ${limit} is allowed.`);
  }
  return value as string[];
}

function clusterOf(world: World, input: Input): string {
  const cluster = input.cluster;
  if (typeof cluster !== 'string' || cluster.length === 0)
    throw ecsErrors.invalid('cluster must be specified.');
  return world.requireCluster(cluster).name;
}

function view(task: TaskRecord, now: number) {
  const enabled = isProtected(task, now);
  return {
    taskArn: task.arn,
    protectionEnabled: enabled,
    ...(enabled && task.protection ? { expirationDate: task.protection.expiresAt / 1000 } : {}),
  };
}

/** Each reference's task in the cluster, or the failure ECS answers for it. */
function resolve(world: World, cluster: string, references: string[]) {
  const found: TaskRecord[] = [];
  const failures: { arn: string; reason: string; detail?: string }[] = [];
  for (const reference of references) {
    const task = world.task(reference);
    if (!task || task.cluster !== cluster || !world.isRetained(task)) {
      failures.push({ arn: reference, reason: 'MISSING' });
    } else if (!task.serviceName) {
      failures.push({
        arn: task.arn,
        reason: 'TASK_NOT_VALID',
        detail: 'The task is not part of a service; only service tasks can be protected.',
      });
    } else found.push(task);
  }
  return { found, failures };
}

export const taskProtectionHandlers: Record<string, (world: World, input: Input) => unknown> = {
  UpdateTaskProtection(world, input) {
    const cluster = clusterOf(world, input);
    const references = taskReferences(input, 10);
    const enabled = input.protectionEnabled;
    if (typeof enabled !== 'boolean') throw ecsErrors.invalid('protectionEnabled must be specified.');
    const minutes = input.expiresInMinutes;
    if (
      minutes !== undefined &&
      (typeof minutes !== 'number' ||
        !Number.isInteger(minutes) ||
        minutes < 1 ||
        minutes > MAX_PROTECTION_MINUTES)
    ) {
      throw ecsErrors.invalid(`expiresInMinutes must be between 1 and ${MAX_PROTECTION_MINUTES}.`);
    }
    const { found, failures } = resolve(world, cluster, references);
    for (const task of found) setProtection(task, enabled, world.now(), minutes as number | undefined);
    return { protectedTasks: found.map((task) => view(task, world.now())), failures };
  },

  GetTaskProtection(world, input) {
    const cluster = clusterOf(world, input);
    const { found, failures } = resolve(world, cluster, taskReferences(input, 100));
    return { protectedTasks: found.map((task) => view(task, world.now())), failures };
  },
};
