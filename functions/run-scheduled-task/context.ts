import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { TimeBudget } from '../../shared/runtime/time';
import type { ScheduleStore } from '../../shared/state/jobs/store';
import type { Config } from './config';

/** What one invocation works with; tests build it with a fake clock and no sleeping. */
export interface ScheduleContext {
  config: Config;
  store: ScheduleStore;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  budget: TimeBudget;
  /** Lease owner: this invocation's request id. */
  owner: string;
}

/** Alerts about one run (missed, failed) are sent once; the marker outlives any redelivery. */
export const RUN_ALERT_MARKER_SECONDS = 7 * 86_400;
/** A silence alert is sent once per silence: its marker outlives the 90 days a silent job stays registered. */
export const SILENCE_ALERT_MARKER_SECONDS = 91 * 86_400;

/** "The job's cluster no longer exists" is said once per job and cluster: the marker outlives the registry item. */
export const CLUSTER_GONE_ALERT_MARKER_SECONDS = SILENCE_ALERT_MARKER_SECONDS;

export const METRIC = {
  started: 'RunsStarted',
  skipped: 'RunsSkipped',
  missed: 'RunsMissed',
  failed: 'RunsFailed',
  succeeded: 'RunsSucceeded',
  startLatency: 'StartLatency',
  invalidJobs: 'InvalidJobs',
  failedAttempts: 'RunAttemptsFailed',
  capacityRequests: 'CapacityRequests',
  deadlineStops: 'DeadlineStops',
  replaced: 'RunsReplaced',
  silentSchedules: 'SilentSchedules',
} as const;

/** Emits a metric for the whole function and, with a `job` dimension, for the one job (alarms per job). */
export function emit(
  ctx: Pick<ScheduleContext, 'metrics'>,
  name: (typeof METRIC)[keyof typeof METRIC],
  jobName: string,
  value = 1,
  unit: (typeof MetricUnit)[keyof typeof MetricUnit] = MetricUnit.Count,
): void {
  ctx.metrics.addMetric(name, unit, value);
  const perJob = ctx.metrics.singleMetric();
  perJob.addDimension('job', jobName);
  perJob.addMetric(name, unit, value);
}

export { MetricUnit };
