import type { ContainerInstance, Task } from '@aws-sdk/client-ecs';
import {
  describeContainerInstances,
  describeServices,
  describeTasks,
  findContainerInstanceByEc2Id,
  listTaskArnsAnyDesiredStatus,
} from '../../shared/aws/ecs';
import { type DrainTaskLike, diedWithHost, servicesToClassify } from '../../shared/drain/plan';
import type { DrainRuntime, DrainTarget } from './runtime';

export interface Observation {
  instance: ContainerInstance | undefined;
  /** With no live registration: the deregistered one, and the tasks that died with the host since `since`. */
  deregistered?: { containerInstanceArn: string | undefined; died: DrainTaskLike[] } | undefined;
  tasks: Task[];
  daemonServices: Set<string>;
}

/**
 * Reads what the drain policy needs: the container instance, every task on it whatever its desired
 * status (ListTasks alone hides tasks already told to stop), and which of their services are DAEMONs.
 */
export async function observe(
  target: DrainTarget,
  runtime: DrainRuntime,
  /** The container instance as the safety step just read (and maybe set DRAINING): not read again. */
  known?: { instance: ContainerInstance | undefined },
  /**
   * The registration a previous look saw, and when the drain started: with no live registration, whether
   * it went INACTIVE and which tasks died with the host since.
   */
  seen?: { containerInstanceArn: string; since: number },
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
  return { instance, tasks, daemonServices };
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
