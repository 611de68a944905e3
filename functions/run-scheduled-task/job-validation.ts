// A job is validated before anything runs; an invalid job, or one whose cluster is gone, is alerted once.
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { describeTaskDefinition } from '../../shared/aws/ecs';
import { kindOf } from '../../shared/aws/errors';
import { clusterGoneAlert, invalidJobAlert } from '../../shared/schedule/alerts';
import type { DueTime } from '../../shared/schedule/identity';
import { clusterName, type Job } from '../../shared/schedule/job';
import { type JobProblem, parseJob, validateJob } from '../../shared/schedule/validate';
import { alertKey } from '../../shared/state/keys';
import { alertOnce } from './alerts';
import { CLUSTER_GONE_ALERT_MARKER_SECONDS, emit, METRIC, type ScheduleContext } from './context';
import { awsMessage, type RunSummary } from './run-state';

/** A name to file an invalid job under, even when the job's own name is unusable. */
export function nameForAlerts(raw: unknown): string {
  const name = (raw as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) return name;
  return 'unnamed-job';
}

/** Stable key for "this job has these problems", so the same problems alert once. */
export function problemKey(problems: readonly JobProblem[]): string {
  const text = problems
    .map((problem) => `${problem.path}: ${problem.message}`)
    .sort()
    .join('\n');
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

export async function reportInvalidJob(
  jobName: string,
  problems: JobProblem[],
  due: DueTime | undefined,
  ctx: ScheduleContext,
): Promise<RunSummary> {
  ctx.logger.error('Invalid job: nothing run', { job: jobName, due, problems });
  if (ctx.config.dryRun) return { status: 'invalid-job', job: jobName, problems, alert: 'planned' };
  emit(ctx, METRIC.invalidJobs, jobName);
  if (due) await ctx.store.touchJob(jobName, due, ctx.now());
  const alert = await alertOnce(
    ctx.store,
    ctx.config.topicArn,
    alertKey(jobName, 'invalid', problemKey(problems)),
    invalidJobAlert(jobName, problems, due),
    ctx.now(),
    ctx.config.invalidJobRealertSeconds,
  );
  return { status: 'invalid-job', job: jobName, problems, alert };
}

/**
 * The cluster of a job that ran there no longer exists (deleted, often with the job retired on purpose):
 * said once per job and cluster, by a run left starting there or by the periodic pass, whichever first.
 */
export async function reportClusterGone(
  jobName: string,
  cluster: string,
  error: unknown,
  ctx: ScheduleContext,
): Promise<'sent' | 'already-sent' | 'planned'> {
  const name = clusterName(cluster);
  ctx.logger.warn('The cluster of a job no longer exists', { job: jobName, cluster: name });
  if (ctx.config.dryRun) return 'planned';
  const sent = await alertOnce(
    ctx.store,
    ctx.config.topicArn,
    alertKey(jobName, 'invalid', `cluster-gone#${name}`),
    clusterGoneAlert(jobName, name, awsMessage(error)),
    ctx.now(),
    CLUSTER_GONE_ALERT_MARKER_SECONDS,
  );
  if (sent === 'sent') emit(ctx, METRIC.invalidJobs, jobName);
  return sent;
}

/** Validation with the task definition: a job ECS would refuse is reported before anything runs. */
export async function validated(
  rawJob: unknown,
  due: DueTime | undefined,
  ctx: ScheduleContext,
): Promise<{ job: Job; cluster: string; taskDefinition: TaskDefinition } | RunSummary> {
  const parsed = parseJob(rawJob);
  if (!parsed.ok) return reportInvalidJob(nameForAlerts(rawJob), parsed.problems, due, ctx);
  const job = parsed.job;
  const cluster = job.cluster ?? ctx.config.defaultCluster;
  if (!cluster) {
    return reportInvalidJob(
      job.name,
      [{ path: 'cluster', message: 'no cluster: set cluster in the job or DEFAULT_CLUSTER on the function' }],
      due,
      ctx,
    );
  }
  let taskDefinition: TaskDefinition;
  try {
    taskDefinition = await describeTaskDefinition(job.taskDefinition);
  } catch (error) {
    const kind = kindOf(error);
    if (kind !== 'invalid' && kind !== 'not-found') throw error;
    return reportInvalidJob(
      job.name,
      [
        {
          path: 'taskDefinition',
          message: `ECS can't describe task definition ${job.taskDefinition}: ${awsMessage(error)}`,
        },
      ],
      due,
      ctx,
    );
  }
  const problems = validateJob(job, taskDefinition, {
    startingDeadlineSeconds: ctx.config.defaultStartingDeadlineSeconds,
  });
  if (problems.length > 0) return reportInvalidJob(job.name, problems, due, ctx);
  return { job, cluster, taskDefinition };
}

/** The problem to report when ECS answers that the job's cluster does not exist. */
export const unknownCluster = (cluster: string, error: unknown): JobProblem => ({
  path: 'cluster',
  message: `ECS does not know cluster ${cluster} (${awsMessage(error)}): check its name, or that it still exists`,
});
