import type { DueTime } from '../../schedule/identity';
import type { TaskOutcome } from '../../schedule/outcome';
import { jobPk, taskKey, taskPrefix } from '../keys';
import { tryUpdate, update } from '../primitives';
import { TTL_SECONDS, ttlAt } from '../ttl';
import { jobsTable } from './table';

/** One task of a run (pk `job#<job>`, sk `task#<due>#<taskId>`): what its state change events said. */
export interface TaskRecord {
  taskArn: string;
  startedAt?: string;
  stoppedAt?: string;
  outcome?: TaskOutcome;
}

/** First report of the task running: true only for the first caller (StartLatency is emitted once). */
export function recordTaskStarted(
  table: string,
  jobName: string,
  due: DueTime,
  taskArn: string,
  startedAt: string,
  now: number,
): Promise<boolean> {
  return tryUpdate(jobsTable(table), taskKey(jobName, due, taskArn), {
    set: { startedAt },
    setIfNotExists: { taskArn, ttl: ttlAt(now, TTL_SECONDS.task) },
    condition: 'attribute_not_exists(#startedAt)',
  });
}

/**
 * The task's outcome, and its start when the event carries one, in one write; the first of each wins
 * (duplicates and late events change nothing). Says which of them this call recorded first, and the
 * outcome as stored.
 */
export async function recordTaskStopped(
  table: string,
  jobName: string,
  due: DueTime,
  outcome: TaskOutcome,
  now: number,
  startedAt?: string,
): Promise<{ firstStop: boolean; firstStart: boolean; outcome: TaskOutcome }> {
  const old = (await update(
    jobsTable(table),
    taskKey(jobName, due, outcome.taskArn),
    {
      setIfNotExists: {
        stoppedAt: outcome.stoppedAt ?? new Date(now).toISOString(),
        outcome,
        ...(startedAt ? { startedAt } : {}),
        taskArn: outcome.taskArn,
        ttl: ttlAt(now, TTL_SECONDS.task),
      },
    },
    'ALL_OLD',
  )) as Partial<TaskRecord> | undefined;
  return {
    firstStop: old?.stoppedAt === undefined,
    firstStart: startedAt !== undefined && old?.startedAt === undefined,
    outcome: old?.outcome ?? outcome,
  };
}

export function tasksOfRun(table: string, jobName: string, due: DueTime): Promise<TaskRecord[]> {
  return jobsTable(table).query<TaskRecord>({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': jobPk(jobName), ':prefix': taskPrefix(due) },
    ConsistentRead: true,
  });
}
