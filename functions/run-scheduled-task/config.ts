import { env, loadConfig } from '../../shared/runtime/config';

/** Environment of run-scheduled-task, validated at cold start. */
export const configShape = {
  // DynamoDB state table (pk, sk, ttl): job registry, runs, outcomes, alert markers, capacity requests.
  STATE_TABLE: env.string(),
  // SNS topic for invalid jobs, missed runs and failed runs.
  ALERT_TOPIC_ARN: env.string(),
  // true: log and return the plan (RunTask request, stops, skips) and change nothing.
  DRY_RUN: env.boolean(false),
  // Cluster for jobs that don't name one.
  DEFAULT_CLUSTER: env.optionalString(),
  // Starting deadline for jobs that don't set startingDeadlineSeconds (covers a scale-out from zero).
  DEFAULT_STARTING_DEADLINE_SECONDS: env.seconds(900, { min: 10, max: 23 * 3600 }),
  // RunTask attempts per run before it is reported missed, for jobs that don't set retry.maxAttempts.
  RETRY_MAX_ATTEMPTS: env.integer(30, { min: 1, max: 100 }),
  // First backoff after a failed attempt; doubles (with jitter) up to RETRY_MAX_DELAY_SECONDS.
  RETRY_INITIAL_DELAY_SECONDS: env.seconds(10, { min: 1, max: 300 }),
  // Longest backoff between attempts.
  RETRY_MAX_DELAY_SECONDS: env.seconds(60, { min: 1, max: 900 }),
  // Finished runs kept per job in the state table (newest first).
  RUN_HISTORY: env.integer(20, { min: 1, max: 1000 }),
  // An invalid job is alerted again after this long if it is still invalid.
  INVALID_JOB_REALERT_SECONDS: env.seconds(86_400, { min: 60 }),
};

export type Config = ReturnType<typeof loadScheduleConfig>;

/** The environment as the code reads it: camelCase, as the other functions' configs. */
export function loadScheduleConfig(source: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(configShape, source);
  return {
    table: raw.STATE_TABLE,
    topicArn: raw.ALERT_TOPIC_ARN,
    dryRun: raw.DRY_RUN,
    defaultCluster: raw.DEFAULT_CLUSTER,
    defaultStartingDeadlineSeconds: raw.DEFAULT_STARTING_DEADLINE_SECONDS,
    retryMaxAttempts: raw.RETRY_MAX_ATTEMPTS,
    retryInitialDelaySeconds: raw.RETRY_INITIAL_DELAY_SECONDS,
    retryMaxDelaySeconds: raw.RETRY_MAX_DELAY_SECONDS,
    runHistory: raw.RUN_HISTORY,
    invalidJobRealertSeconds: raw.INVALID_JOB_REALERT_SECONDS,
  };
}
