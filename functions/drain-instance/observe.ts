import type { ContainerInstance, Task } from '@aws-sdk/client-ecs';
import { describeAutoScalingGroups } from '../../shared/aws/autoscaling';
import {
  describeContainerInstances,
  describeServices,
  describeTaskDefinition,
  describeTasks,
  findContainerInstanceByEc2Id,
  listContainerInstanceArns,
  listTaskArns,
  listTaskArnsAnyDesiredStatus,
} from '../../shared/aws/ecs';
import { checkBudget, type GroupRoom, type ServiceBudgetInput } from '../../shared/drain/budget';
import {
  type BudgetObservation,
  DEFAULT_STOP_TIMEOUT_SECONDS,
  type DrainTaskLike,
  diedWithHost,
  type RoomRequest,
  roleOf,
  servicesToClassify,
} from '../../shared/drain/plan';
import { groupOf, isTerminal } from '../../shared/ecs/lifecycle';
import { taskRequirements } from '../../shared/ecs/requirements';
import { primaryProvider } from '../../shared/schedule/retry';
import type { DrainContext, DrainTarget } from './runtime';
import { hasDrainingTurn } from './turns';

export interface Observation {
  instance: ContainerInstance | undefined;
  /** With no live registration: the deregistered one, and the tasks that died with the host since `since`. */
  deregistered?: { containerInstanceArn: string | undefined; died: DrainTaskLike[] } | undefined;
  tasks: Task[];
  daemonServices: Set<string>;
  /** Spot: longest container stop timeout (seconds) per task definition of the tasks still running. */
  stopTimeouts?: Map<string, number> | undefined;
  /** The disruption budget, when asked for and service tasks are still there. */
  budget?: BudgetObservation | undefined;
  /** ACTIVE under a cap: whether it may be set DRAINING now. */
  drainingTurn?: boolean | undefined;
}

/**
 * Reads what the drain policy needs: the container instance, every task on it whatever its desired
 * status (ListTasks alone hides tasks already told to stop), and which of their services are DAEMONs.
 */
export async function observe(
  target: DrainTarget,
  runtime: DrainContext,
  /** The container instance as the safety step just read (and maybe set DRAINING): not read again. */
  known?: { instance: ContainerInstance | undefined },
  /**
   * The registration a previous look saw, and when the drain started: with no live registration, whether
   * it went INACTIVE and which tasks died with the host since.
   */
  seen?: { containerInstanceArn: string; since: number },
  /** Read the disruption budget too (the drain is old enough, or at its deadline). */
  withBudget = false,
): Promise<Observation> {
  const { cluster, instanceId } = target;
  const instance = known ? known.instance : await findContainerInstanceByEc2Id(cluster, instanceId);
  if (!instance?.containerInstanceArn) {
    const deregistered = seen === undefined ? undefined : await lostRegistration(target, seen);
    return { instance: undefined, deregistered, tasks: [], daemonServices: new Set() };
  }
  const arns = await listTaskArnsAnyDesiredStatus(cluster, {
    containerInstance: instance.containerInstanceArn,
  });
  // A task that aged out between list and describe comes back as a failure (MISSING): it is gone.
  const tasks = arns.length > 0 ? (await describeTasks(cluster, arns)).items : [];
  const strategies = runtime.serviceStrategies;
  const unknown = servicesToClassify(tasks).filter((name) => !strategies.has(`${cluster}/${name}`));
  if (unknown.length > 0) {
    const { items } = await describeServices(cluster, unknown);
    for (const service of items) {
      if (service.serviceName) {
        strategies.set(`${cluster}/${service.serviceName}`, service.schedulingStrategy ?? 'REPLICA');
      }
    }
    // A service that could not be described is not known to be a DAEMON: its tasks are waited for.
    for (const name of unknown)
      if (!strategies.has(`${cluster}/${name}`)) strategies.set(`${cluster}/${name}`, 'UNKNOWN');
  }
  const daemonServices = new Set(
    servicesToClassify(tasks).filter((name) => strategies.get(`${cluster}/${name}`) === 'DAEMON'),
  );
  const stopTimeouts = target.trigger === 'spot' ? await readStopTimeouts(tasks, runtime) : undefined;
  const budget = withBudget
    ? await readBudget(target, runtime, instance.containerInstanceArn, tasks, daemonServices)
    : undefined;
  const drainingTurn =
    target.trigger === 'lifecycle' && instance.status === 'ACTIVE' && runtime.config.maxDrainingPerCluster > 0
      ? await hasDrainingTurn(target, runtime)
      : undefined;
  return { instance, tasks, daemonServices, stopTimeouts, budget, drainingTurn };
}

/**
 * The budget's cluster-wide reads (DRAINING instances, a service's running tasks, the group), shared for
 * a few seconds by the drains of one container: a pass stepping 25 drains of one cluster reads them once.
 */
const BUDGET_READ_TTL_MS = 15_000;
const budgetReads = new Map<string, { at: number; value: Promise<unknown> }>();

function shared<T>(key: string, read: () => Promise<T>): Promise<T> {
  const now = Date.now();
  const hit = budgetReads.get(key);
  if (hit && now - hit.at >= 0 && now - hit.at < BUDGET_READ_TTL_MS) return hit.value as Promise<T>;
  const value = read();
  budgetReads.set(key, { at: now, value });
  value.catch(() => budgetReads.delete(key));
  return value;
}

/** How recent a service event saying ECS could not place a task must be to count as "no room". */
const UNPLACED_EVENT_MS = 15 * 60_000;
const UNABLE_TO_PLACE = /was unable to place a task/;

/**
 * The disruption budget's view, per cluster: for each REPLICA service with tasks still here, its desired
 * count and minimum, and its RUNNING tasks on instances that stay (every DRAINING instance of the cluster
 * counts as leaving). A failed read leaves the budget unknown: logged, and the drain goes on as before.
 */
async function readBudget(
  target: DrainTarget,
  runtime: DrainContext,
  instanceArn: string,
  tasks: readonly Task[],
  daemonServices: ReadonlySet<string>,
): Promise<BudgetObservation | undefined> {
  const { cluster } = target;
  const here = new Map<string, number>();
  for (const task of tasks) {
    if (isTerminal(task) || roleOf(task, daemonServices) !== 'service') continue;
    const group = groupOf(task);
    if (group?.kind === 'service') here.set(group.name, (here.get(group.name) ?? 0) + 1);
  }
  if (here.size === 0) return undefined;
  try {
    const now = Date.now();
    const [{ items: services }, draining, groups] = await Promise.all([
      describeServices(cluster, [...here.keys()]),
      shared(`draining/${cluster}`, () => listContainerInstanceArns(cluster, { status: 'DRAINING' })),
      shared(`group/${target.group}`, () => describeAutoScalingGroups([target.group])),
    ]);
    const leaving = new Set([...draining, instanceArn]);
    const inputs: ServiceBudgetInput[] = [];
    const shapes = new Map<string, Omit<RoomRequest, 'count' | 'service'>>();
    for (const service of services) {
      const name = service.serviceName;
      if (!name || service.schedulingStrategy === 'DAEMON') continue;
      const running = await shared(`running/${cluster}/${name}`, async () => {
        const arns = await listTaskArns(cluster, { serviceName: name, desiredStatus: 'RUNNING' });
        return arns.length > 0 ? (await describeTasks(cluster, arns)).items : [];
      });
      inputs.push({
        name,
        desiredCount: service.desiredCount ?? 0,
        minimumHealthyPercent: service.deploymentConfiguration?.minimumHealthyPercent ?? 100,
        runningOnStaying: running.filter(
          (task) => task.lastStatus === 'RUNNING' && !leaving.has(task.containerInstanceArn ?? ''),
        ).length,
        onInstance: here.get(name) ?? 0,
        unableToPlace: (service.events ?? []).some(
          (event) =>
            UNABLE_TO_PLACE.test(event.message ?? '') &&
            now - (event.createdAt?.getTime() ?? 0) <= UNPLACED_EVENT_MS,
        ),
      });
      if (service.taskDefinition) {
        const definition = await describeTaskDefinition(service.taskDefinition);
        const shape = taskRequirements(definition);
        shapes.set(name, {
          capacityProvider: primaryProvider(service.capacityProviderStrategy) ?? '*',
          taskDefinition: service.taskDefinition,
          cpu: shape.cpu,
          memoryMiB: shape.memoryMiB,
          gpus: shape.gpus,
        });
      }
    }
    const group = groups.find((item) => item.AutoScalingGroupName === target.group);
    const room: GroupRoom | undefined =
      group?.DesiredCapacity !== undefined && group.MaxSize !== undefined
        ? { desiredCapacity: group.DesiredCapacity, maxSize: group.MaxSize }
        : undefined;
    return { verdict: checkBudget({ services: inputs, group: room }), shapes };
  } catch (error) {
    runtime.logger.warn('Disruption budget not read; the drain goes on without it', {
      cluster,
      instanceId: target.instanceId,
      error: String(error),
    });
    return undefined;
  }
}

/** Each running task definition's longest container stopTimeout (cached per revision). */
async function readStopTimeouts(tasks: readonly Task[], runtime: DrainContext) {
  const arns = [
    ...new Set(tasks.filter((task) => !isTerminal(task)).flatMap((task) => task.taskDefinitionArn ?? [])),
  ];
  const timeouts = new Map<string, number>();
  await Promise.all(
    arns.map(async (arn) => {
      try {
        const definition = await describeTaskDefinition(arn);
        const values = (definition.containerDefinitions ?? []).flatMap((c) => c.stopTimeout ?? []);
        timeouts.set(arn, values.length > 0 ? Math.max(...values) : DEFAULT_STOP_TIMEOUT_SECONDS);
      } catch (error) {
        runtime.logger.debug('Task definition not read; its stop timeout taken as the default', {
          taskDefinitionArn: arn,
          error: String(error),
        });
      }
    }),
  );
  return timeouts;
}

/**
 * The registration a previous look saw, when it is now INACTIVE (deregistered: the host terminated, or
 * someone deregistered it), and the tasks on it that died with the host since the drain started. ECS
 * lists no INACTIVE registration, but describes one by ARN for a while after.
 */
async function lostRegistration(target: DrainTarget, seen: { containerInstanceArn: string; since: number }) {
  const { cluster } = target;
  const { items } = await describeContainerInstances(cluster, [seen.containerInstanceArn]);
  const registration = items.find((item) => item.containerInstanceArn === seen.containerInstanceArn);
  if (registration?.status !== 'INACTIVE') return undefined;
  let died: DrainTaskLike[] = [];
  try {
    const taskArns = await listTaskArnsAnyDesiredStatus(cluster, {
      containerInstance: seen.containerInstanceArn,
    });
    if (taskArns.length > 0) died = diedWithHost((await describeTasks(cluster, taskArns)).items, seen.since);
  } catch {
    // Naming the dead tasks is a courtesy: the loss is reported without them.
  }
  return { containerInstanceArn: seen.containerInstanceArn, died };
}
