import { env, loadConfig } from '../../shared/runtime/config';

export const configShape = {
  /** DynamoDB state table (pk, sk, ttl): per-task markers and per-problem alert windows. */
  STATE_TABLE: env.string(),
  /** SNS topic that receives the alerts (email text, JSON for SQS/Lambda/HTTP subscribers). */
  ALERT_TOPIC_ARN: env.string(),
  /** After a problem's first message, the next no sooner than this (then twice, four times it, then every 4 h); also the quiet time before it can be resolved. */
  ALERT_WINDOW_SECONDS: env.seconds(900, { min: 60, max: 86_400 }),
  /** How long a new problem waits before its first message, so a wave of services failing for one cause becomes one message. */
  GROUP_WAIT_SECONDS: env.seconds(30, { min: 0, max: 300 }),
  /** Optional SNS topic for AWS Chatbot (Amazon Q Developer in chat applications): gets its custom-notification format. */
  CHAT_TOPIC_ARN: env.optionalString(),
  /** true: also alert on tasks stopped on purpose before running (StopTask, a deployment scaling in pending tasks). */
  ALERT_ON_INTENTIONAL_STOPS: env.boolean(false),
  /** true: also alert on tasks whose instance went away before they ran (Spot interruption, host stopped): ECS replaces them. */
  ALERT_ON_HOST_INTERRUPTIONS: env.boolean(false),
  /** Clusters the reconcile pass looks at for failures whose event was lost (comma-separated); default DEFAULT_CLUSTER. */
  CLUSTERS: env.list(),
  /** Cluster the reconcile pass looks at when CLUSTERS is empty. */
  DEFAULT_CLUSTER: env.optionalString(),
  /** Periodic pass, per cluster: stopped tasks listed at most (ListTasks pages of 100); the rest of the list is read by the next pass. */
  RECONCILE_MAX_LISTED: env.integer(1_000, { min: 100, max: 100_000 }),
  /** Periodic pass, per cluster: tasks described at most (DescribeTasks calls of 100), among those no marker settles and not looked at before; the rest wait for the next pass. */
  RECONCILE_MAX_DESCRIBED: env.integer(300, { min: 100, max: 10_000 }),
  /** true: log the classification and the alert it would send; write and publish nothing. */
  DRY_RUN: env.boolean(false),
};

export type FailedStartConfig = ReturnType<typeof loadFailedStartConfig>;

export function loadFailedStartConfig(source: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(configShape, source);
  const clusters = raw.CLUSTERS.length > 0 ? raw.CLUSTERS : raw.DEFAULT_CLUSTER ? [raw.DEFAULT_CLUSTER] : [];
  return {
    table: raw.STATE_TABLE,
    topicArn: raw.ALERT_TOPIC_ARN,
    windowSeconds: raw.ALERT_WINDOW_SECONDS,
    groupWaitSeconds: raw.GROUP_WAIT_SECONDS,
    chatTopicArn: raw.CHAT_TOPIC_ARN,
    alertOnIntentionalStops: raw.ALERT_ON_INTENTIONAL_STOPS,
    alertOnHostInterruptions: raw.ALERT_ON_HOST_INTERRUPTIONS,
    clusters,
    reconcileMaxListed: raw.RECONCILE_MAX_LISTED,
    reconcileMaxDescribed: raw.RECONCILE_MAX_DESCRIBED,
    dryRun: raw.DRY_RUN,
  };
}
