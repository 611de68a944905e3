import type { ContainerInstance, Task } from '@aws-sdk/client-ecs';
import {
  describeServices,
  describeTasks,
  findContainerInstanceByEc2Id,
  listTaskArnsAnyDesiredStatus,
} from '../../shared/aws/ecs';
import { servicesToClassify } from '../../shared/drain/plan';
import type { DrainRuntime, DrainTarget } from './runtime';

export interface Observation {
  instance: ContainerInstance | undefined;
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
): Promise<Observation> {
  const { cluster, instanceId } = target;
  const instance = known ? known.instance : await findContainerInstanceByEc2Id(cluster, instanceId);
  if (!instance?.containerInstanceArn) return { instance: undefined, tasks: [], daemonServices: new Set() };
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
