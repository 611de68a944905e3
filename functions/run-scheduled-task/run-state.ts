// What one due run is while it is being decided and started: its state, its summary, the deadlines and
// retry settings it is held to, and its lease (claimed, given up with a decision, released).
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { AwsOperationError, errorMessage } from '../../shared/aws/errors';
import { type RunDecision, type RunTaskRequest, startingDeadlineAt } from '../../shared/schedule/decide';
import type { DueTime } from '../../shared/schedule/identity';
import type { Job } from '../../shared/schedule/job';
import { type RetrySettings, retrySettings } from '../../shared/schedule/retry';
import type { JobProblem } from '../../shared/schedule/validate';
import type { ReplacedRun, RunRecord } from '../../shared/state/jobs/store';
import type { ScheduleContext } from './context';

/** Time one RunTask attempt and its bookkeeping may take, so an attempt is not started without it. */
export const ATTEMPT_MS = 15_000;

export type RunSummary =
  | { status: 'invalid-job'; job: string; problems: JobProblem[]; alert: 'sent' | 'already-sent' | 'planned' }
  | { status: 'started'; job: string; due: DueTime; taskArns: string[]; attempts: number }
  | { status: 'already-started'; job: string; due: DueTime; taskArns: string[] }
  | { status: 'already-decided'; job: string; due: DueTime; runStatus: string; reason?: string | undefined }
  | { status: 'in-progress'; job: string; due: DueTime; leaseUntil?: number | undefined }
  | { status: 'skipped'; job: string; due: DueTime; reason: string }
  | { status: 'waiting'; job: string; due: DueTime; until: string; reason: string }
  | { status: 'missed'; job: string; due: DueTime; reason: string }
  | { status: 'retrying'; job: string; due: DueTime; nextAttemptAt: string; reasons: string[] }
  | { status: 'superseded'; job: string; due: DueTime }
  | { status: 'planned'; job: string; due: DueTime; dryRun: true; plan: RunPlan };

/** What a dry run prints: the decision, and the RunTask request or stops it would make. */
export interface RunPlan {
  decision: RunDecision;
  runTask?: RunTaskRequest;
  stopTasks?: { taskArn: string; reason: string }[];
  supersede?: DueTime[];
}

export interface RunState {
  job: Job;
  cluster: string;
  due: DueTime;
  taskDefinition: TaskDefinition;
  run: RunRecord;
  /** Shared by everything one invocation does with the run (see RunLease). */
  lease: RunLease;
}

export const startingDeadlineSeconds = (job: Job, ctx: ScheduleContext) =>
  job.startingDeadlineSeconds ?? ctx.config.defaultStartingDeadlineSeconds;

/** When a run may start by: its due time's starting deadline, or a restart's own after an infrastructure kill. */
export const startDeadlineOf = (job: Job, run: Pick<RunRecord, 'due' | 'restartBy'>, ctx: ScheduleContext) =>
  run.restartBy ?? startingDeadlineAt(run.due, startingDeadlineSeconds(job, ctx));

export const settingsFor = (job: Job, ctx: ScheduleContext): RetrySettings =>
  retrySettings(job, {
    maxAttempts: ctx.config.retryMaxAttempts,
    initialDelaySeconds: ctx.config.retryInitialDelaySeconds,
    maxDelaySeconds: ctx.config.retryMaxDelaySeconds,
  });

/** What AWS said, without our operation prefix (the alert adds its own context). */
export const awsMessage = (error: unknown) =>
  errorMessage(error instanceof AwsOperationError ? error.cause : error);

/** The attempt to (re)issue: the last one again when its result was never recorded (a crash). */
export function resumeAttempt(run: RunRecord): number {
  const issued = run.attempt ?? 0;
  const failed = run.lastFailure?.attempt ?? 0;
  return issued > failed ? issued : issued + 1;
}

export function claimFor(
  job: Job,
  cluster: string,
  due: DueTime,
  ctx: ScheduleContext,
  extra: { attempt?: number; replacing?: ReplacedRun[] } = {},
) {
  return ctx.store.claimRun({
    jobName: job.name,
    cluster,
    due,
    count: job.count,
    owner: ctx.owner,
    now: ctx.now(),
    leaseUntil: ctx.now() + ctx.budget.remainingMs() + ATTEMPT_MS,
    ...extra,
  });
}

export function notOurs(job: Job, due: DueTime, run: RunRecord): RunSummary {
  return run.status === 'PENDING'
    ? { status: 'in-progress', job: job.name, due, leaseUntil: run.leaseUntil }
    : { status: 'already-decided', job: job.name, due, runStatus: run.status, reason: run.reason };
}

/** This invocation gave up the run's lease with a decision (finishStart): no release call is needed then. */
export interface RunLease {
  given: boolean;
}

/** Ends the start phase of a run we hold (see ScheduleStore.finishStart), noting the lease is given up. */
export async function finishStart(
  state: Pick<RunState, 'job' | 'due' | 'lease'>,
  ctx: ScheduleContext,
  status: Parameters<ScheduleContext['store']['finishStart']>[3],
  now: number,
  reason?: string,
): Promise<boolean> {
  const decided = await ctx.store.finishStart(state.job.name, state.due, ctx.owner, status, now, reason);
  if (decided) state.lease.given = true;
  return decided;
}

/** Releases the run's lease, unless a decision already gave it up. */
export async function release(state: Pick<RunState, 'job' | 'due' | 'lease'>, ctx: ScheduleContext) {
  if (state.lease.given) return;
  await ctx.store.releaseLease(state.job.name, state.due, ctx.owner).catch((error: unknown) => {
    ctx.logger.warn('Could not release the run lease; it expires by itself', { error: errorMessage(error) });
  });
}
