import type { Task } from '@aws-sdk/client-ecs';
import { describeTasks, listTaskArns } from '../../shared/aws/ecs';
import { type DueTime, identifyTask } from '../../shared/schedule/identity';
import { clusterName } from '../../shared/schedule/job';

/** A task started by run-scheduled-task, as ECS describes it. Times in epoch ms. */
export interface JobTaskView {
  taskArn: string;
  cluster: string;
  jobName: string;
  due: DueTime;
  lastStatus?: string | undefined;
  desiredStatus?: string | undefined;
  createdAt?: number | undefined;
  startedAt?: number | undefined;
}

/**
 * Tasks of a family that ECS still wants running and that this function started, whatever the job.
 * ListTasks can't combine startedBy with other filters, so runs are listed by family and desired status
 * and recognised by the startedBy (or tags) DescribeTasks returns.
 */
export async function jobTasksOfFamily(cluster: string, family: string): Promise<JobTaskView[]> {
  const arns = await listTaskArns(cluster, { family, desiredStatus: 'RUNNING' });
  if (arns.length === 0) return [];
  const { items } = await describeTasks(cluster, arns);
  return items.flatMap((task) => {
    const identity = identifyTask(task);
    if (!identity || !task.taskArn) return [];
    return [
      {
        taskArn: task.taskArn,
        cluster: clusterName(cluster),
        jobName: identity.jobName,
        due: identity.due,
        lastStatus: task.lastStatus,
        desiredStatus: task.desiredStatus,
        createdAt: task.createdAt?.getTime(),
        startedAt: task.startedAt?.getTime(),
      },
    ];
  });
}

/**
 * Tasks of one run (job and due time) that ECS has stopped and still describes (about an hour). ListTasks
 * can't combine startedBy with desiredStatus (startedBy must be its only filter, and alone it lists only
 * RUNNING): the family's stopped tasks are listed and the run's recognised by startedBy (or tags).
 */
export async function stoppedTasksOfRun(
  cluster: string,
  family: string,
  jobName: string,
  due: DueTime,
): Promise<(Task & { taskArn: string })[]> {
  const arns = await listTaskArns(cluster, { family, desiredStatus: 'STOPPED' });
  if (arns.length === 0) return [];
  const { items } = await describeTasks(cluster, arns);
  return items.filter((task): task is Task & { taskArn: string } => {
    const identity = identifyTask(task);
    return !!task.taskArn && identity?.jobName === jobName && identity.due === due;
  });
}
