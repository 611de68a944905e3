import { type DueTime, taskIdOf } from './identity';

/**
 * State-table keys of run-scheduled-task (pk `job#...`). Job names can't contain `#` or `*`, so the
 * registry partition `job#*` can't collide with a job's own partition.
 *
 * | pk                | sk                        | item                                              |
 * |-------------------|---------------------------|---------------------------------------------------|
 * | `job#*`           | `<job>`                   | registry: last job definition seen, last outcomes |
 * | `job#<job>`       | `run#<due>`               | one run: status, attempts, tasks, outcome         |
 * | `job#<job>`       | `task#<due>#<taskId>`     | one task of a run: RUNNING/STOPPED facts          |
 * | `job#<job>`       | `alert#<kind>#<key>`      | alert sent once (invalid, missed, failed, ...)    |
 * | `job#<job>`       | `lease`                   | the job's decision lease (observe → decide → claim) |
 */
export const REGISTRY_PK = 'job#*';
export const jobPk = (jobName: string) => `job#${jobName}`;
export const registryKey = (jobName: string) => ({ pk: REGISTRY_PK, sk: jobName });
export const jobLeaseKey = (jobName: string) => ({ pk: jobPk(jobName), sk: 'lease' });
export const RUN_PREFIX = 'run#';
export const runKey = (jobName: string, due: DueTime) => ({ pk: jobPk(jobName), sk: `${RUN_PREFIX}${due}` });
export const taskPrefix = (due: DueTime) => `task#${due}#`;
export const taskKey = (jobName: string, due: DueTime, taskArn: string) => ({
  pk: jobPk(jobName),
  sk: `${taskPrefix(due)}${taskIdOf(taskArn)}`,
});
export const alertKey = (
  jobName: string,
  kind: 'invalid' | 'missed' | 'failed' | 'silent' | 'skipped' | 'long-running',
  key: string,
) => ({
  pk: jobPk(jobName),
  sk: `alert#${kind}#${key}`,
});
