import { capacityRequestKey } from '../state/keys';
import { ttlAt } from '../state/ttl';
import { type DueTime, dueMs } from './identity';
import { clusterName, type Job } from './job';
import { effectiveLaunchType } from './validate';

/**
 * Why an attempt started nothing. RunTask placement failures come back in `failures[]` with a
 * `reason` (RESOURCE:CPU, AGENT, ...); API errors are given a reason of our own in the same form.
 */
export type AttemptFailureKind = 'capacity' | 'agent' | 'placement' | 'throttled' | 'transient' | 'other';

/** Reason recorded when ECS answers InvalidParameterException "No Container Instances were found". */
export const NO_CONTAINER_INSTANCES = 'NO_CONTAINER_INSTANCES';
export const THROTTLED = 'THROTTLED';
export const SERVICE_ERROR = 'SERVICE_ERROR';

export function classifyFailureReason(reason: string): AttemptFailureKind {
  if (reason.startsWith('RESOURCE:') || reason === NO_CONTAINER_INSTANCES) return 'capacity';
  if (reason === 'AGENT') return 'agent';
  if (reason === 'LOCATION' || reason === 'ATTRIBUTE' || reason === 'MISSING' || reason === 'INACTIVE')
    return 'placement';
  if (reason === THROTTLED) return 'throttled';
  if (reason === SERVICE_ERROR) return 'transient';
  return 'other';
}

/** Capacity failures ask the scale-capacity function for instances as well as being retried. */
export const needsCapacity = (reasons: readonly string[]) =>
  reasons.some((reason) => classifyFailureReason(reason) === 'capacity');

export interface RetrySettings {
  maxAttempts: number;
  initialDelaySeconds: number;
  maxDelaySeconds: number;
}

export function retrySettings(job: Pick<Job, 'retry'>, defaults: RetrySettings): RetrySettings {
  const initialDelaySeconds = job.retry?.initialDelaySeconds ?? defaults.initialDelaySeconds;
  return {
    maxAttempts: job.retry?.maxAttempts ?? defaults.maxAttempts,
    initialDelaySeconds,
    maxDelaySeconds: Math.max(initialDelaySeconds, job.retry?.maxDelaySeconds ?? defaults.maxDelaySeconds),
  };
}

/**
 * Delay before the attempt after `failedAttempts` failures: exponential, capped, with "equal jitter"
 * (half fixed, half random) so the many jobs due at 02:00 don't retry in lockstep.
 */
export function backoffMs(
  failedAttempts: number,
  settings: RetrySettings,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 30);
  const base = Math.min(settings.maxDelaySeconds, settings.initialDelaySeconds * 2 ** exponent) * 1000;
  return Math.round(base / 2 + random() * (base / 2));
}

export type NextStep =
  | { step: 'retry'; delayMs: number }
  /** Deadline and attempts allow another try, but this invocation has no time: the periodic pass continues. */
  | { step: 'hand-over'; nextAttemptAt: number }
  | { step: 'give-up'; reason: string };

export interface NextStepInput {
  now: number;
  /** Attempts that failed so far for this run (this one included). */
  failedAttempts: number;
  delayMs: number;
  deadlineAt: number;
  settings: RetrySettings;
  /** Milliseconds this invocation may still spend (after its safety margin). */
  remainingMs: number;
  /** Time one attempt needs (the RunTask call and the bookkeeping around it). */
  attemptMs: number;
}

/** Retry while attempts and the starting deadline allow; hand over to the periodic pass when out of time. */
export function nextStep(input: NextStepInput): NextStep {
  const { now, failedAttempts, delayMs, deadlineAt, settings } = input;
  if (failedAttempts >= settings.maxAttempts) {
    return { step: 'give-up', reason: `all ${settings.maxAttempts} attempts failed (retry.maxAttempts)` };
  }
  const nextAttemptAt = now + delayMs;
  if (nextAttemptAt > deadlineAt) {
    return {
      step: 'give-up',
      reason: `the starting deadline (${new Date(deadlineAt).toISOString()}) passes before the next attempt could run`,
    };
  }
  if (delayMs + input.attemptMs > input.remainingMs) return { step: 'hand-over', nextAttemptAt };
  return { step: 'retry', delayMs };
}

/** Failure reasons of all attempts, counted: "RESOURCE:MEMORY ×3, AGENT ×1". */
export function summarizeReasons(attempts: readonly { reasons: readonly string[] }[]): string {
  const counts = new Map<string, number>();
  for (const attempt of attempts) {
    for (const reason of new Set(attempt.reasons)) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts].map(([reason, count]) => `${reason} ×${count}`).join(', ') || 'no reason given';
}

/**
 * A request for capacity, read by scale-capacity from the state table: pk `capacity#<cluster>`,
 * sk `<capacityProvider>#<job>#<due>`. The provider is the one the job's tasks would land on (the job's
 * strategy, else the cluster default); `*` when no provider applies (launchType EC2), meaning any group
 * of the cluster. Fargate needs no instances, so Fargate jobs request nothing.
 */
export interface CapacityRequest {
  pk: string;
  sk: string;
  cluster: string;
  capacityProvider: string;
  jobName: string;
  due: DueTime;
  /** Per task: CPU units, MiB, GPUs. */
  cpu: number;
  memoryMiB: number;
  gpus: number;
  /** Tasks still to place. */
  count: number;
  taskDefinition: string;
  /** The job's own placement constraints (distinctInstance, memberOf), when it has any. */
  placementConstraints?: Job['placementConstraints'];
  reasons: string[];
  requestedAt: string;
  /** Epoch seconds: the run's starting deadline, after which the request is moot. */
  ttl: number;
}

export interface CapacityProviderItem {
  capacityProvider?: string | undefined;
  weight?: number | undefined;
  base?: number | undefined;
}

/** The provider the first task of a strategy lands on: the one with a base, else the heaviest weight. */
export function primaryProvider(strategy: readonly CapacityProviderItem[] | undefined): string | undefined {
  const items = (strategy ?? []).filter((item) => item.capacityProvider);
  const withBase = items.find((item) => (item.base ?? 0) > 0);
  if (withBase) return withBase.capacityProvider;
  return [...items].sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0))[0]?.capacityProvider;
}

export interface CapacityRequestInput {
  job: Job;
  cluster: string;
  due: DueTime;
  now: number;
  deadlineAt: number;
  shape: { cpu: number; memoryMiB: number; gpus: number };
  count: number;
  reasons: string[];
  /** The cluster's default capacity provider strategy, used when the job names none. */
  clusterDefaultStrategy?: readonly CapacityProviderItem[] | undefined;
}

export function capacityRequest(input: CapacityRequestInput): CapacityRequest | undefined {
  const { job } = input;
  const launchType = effectiveLaunchType(job);
  if (launchType === 'FARGATE') return undefined;
  const provider = job.launchType
    ? '*'
    : (primaryProvider(job.capacityProviderStrategy ?? input.clusterDefaultStrategy) ?? '*');
  if (provider === 'FARGATE' || provider === 'FARGATE_SPOT') return undefined;
  const cluster = clusterName(input.cluster);
  return {
    ...capacityRequestKey(cluster, provider, job.name, input.due),
    cluster,
    capacityProvider: provider,
    jobName: job.name,
    due: input.due,
    cpu: input.shape.cpu,
    memoryMiB: input.shape.memoryMiB,
    gpus: input.shape.gpus,
    count: input.count,
    taskDefinition: job.taskDefinition,
    reasons: [...new Set(input.reasons)],
    requestedAt: new Date(input.now).toISOString(),
    ttl: ttlAt(Math.max(input.deadlineAt, dueMs(input.due))),
    ...(job.placementConstraints?.length ? { placementConstraints: job.placementConstraints } : {}),
  };
}
