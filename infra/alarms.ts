import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE } from '../shared/runtime/metrics-namespace';

/**
 * Every alarm ecs-autopilot raises, as data: the construct creates them from this list, the SAM template
 * carries the same ones (test/infra/sam-drift.test.ts), and infra/README.md's alarm table is printed from
 * it (test/infra/alarms.test.ts). Each one is a signal that a task was killed, a drain or scaling
 * stopped, an alert was not delivered, or a periodic pass stopped running.
 */
export type AlarmKind =
  | 'Errors'
  | 'Throttles'
  | 'NotInvoked'
  | 'FailuresWaiting'
  | 'UndeliveredEventsWaiting'
  | 'UndeliveredAlertsWaiting'
  | 'DrainHookLost'
  | 'DrainDeadlineExpired'
  | 'DrainErrors'
  | 'DrainBlocked'
  | 'WarmPoolCapacityStranded'
  | 'Refused'
  | 'UnplaceableTasks'
  | 'LaunchFailures';

export interface AlarmDoc {
  /** Per what the alarm exists: one per function, per failure queue, per capacity provider, or once. */
  readonly per: 'function' | 'queue' | 'provider' | 'deployment';
  /** The metric behind it, as the README names it. */
  readonly metric: string;
  /** What it means when it fires. */
  readonly means: string;
  /** What the operator does. */
  readonly todo: string;
}

export const ALARM_DOCS: Record<AlarmKind, AlarmDoc> = {
  Errors: {
    per: 'function',
    metric: 'AWS/Lambda Errors ≥ 1 in 5 min',
    means: 'An invocation threw; Lambda retries it, then parks it in the function’s failure queue.',
    todo: 'Read the function’s log group (Logs Insights, level ERROR); the next periodic pass finishes what the event started once the cause is fixed.',
  },
  Throttles: {
    per: 'function',
    metric: 'AWS/Lambda Throttles ≥ 1 in 5 min',
    means: 'Lambda refused invocations for lack of concurrency: events wait, drains and scaling pause.',
    todo: 'Check the account’s unreserved concurrency and other functions’ bursts; scale-capacity runs one at a time on purpose (its throttles under event bursts are harmless if NotInvoked stays OK).',
  },
  NotInvoked: {
    per: 'function',
    metric: 'AWS/Lambda Invocations < 1 for 20 min (missing data breaches)',
    means:
      'The periodic pass stopped running: its rule is disabled or deleted, the function is throttled to zero, or the deployment is broken. Lost events are then never finished.',
    todo: 'Check the function’s EventBridge rules are ENABLED, its reserved concurrency is not 0, and its recent deployments; invoke it once by hand (npm run invoke) to see it work.',
  },
  FailuresWaiting: {
    per: 'queue',
    metric: 'AWS/SQS ApproximateNumberOfMessagesVisible ≥ 1',
    means: 'An asynchronous invocation failed every attempt (or grew too old) and was parked with its error.',
    todo: 'Read the message (request context and error), fix the cause, then redrive it to the function or delete it.',
  },
  UndeliveredEventsWaiting: {
    per: 'deployment',
    metric: 'AWS/SQS ApproximateNumberOfMessagesVisible ≥ 1',
    means:
      'EventBridge (a rule or a job schedule) could not invoke a function: the event or the job run was lost.',
    todo: 'Read the message attributes (ERROR_CODE, RULE_ARN); fix the permission or function; a lost lifecycle action is finished by the drain pass, a lost job run must be started by hand.',
  },
  UndeliveredAlertsWaiting: {
    per: 'deployment',
    metric: 'AWS/SQS ApproximateNumberOfMessagesVisible ≥ 1',
    means: 'SNS could not deliver an alert to an email subscription: someone missed an alert.',
    todo: 'Read the alert in the queue; check the subscription is confirmed and the address valid.',
  },
  DrainHookLost: {
    per: 'deployment',
    metric: 'EcsAutopilot DrainHookLost ≥ 1 in 5 min (service drain-instance)',
    means:
      'A terminate lifecycle action expired or was completed by someone else before the drain ended: the instance went away with tasks possibly still on it.',
    todo: 'Find the instance in drain-instance’s log; check the heartbeat timeout and that the function ran (Errors, Throttles, NotInvoked); services replace their tasks, standalone tasks are lost.',
  },
  DrainDeadlineExpired: {
    per: 'deployment',
    metric: 'EcsAutopilot DrainDeadlineExpired ≥ 1 in 5 min (service drain-instance)',
    means:
      'A drain ran past its deadline and the termination continued with tasks still running: they were killed.',
    todo: 'See which tasks were left (log "deadline"); give them a shorter stopTimeout, raise the drain deadline, or set a stop-after policy for standalone tasks.',
  },
  DrainErrors: {
    per: 'deployment',
    metric: 'EcsAutopilot DrainErrors ≥ 1 in 5 min (service drain-instance)',
    means:
      'Draining one instance failed (an AWS call was refused or failed); the pass carries on with the others and retries it next minute.',
    todo: 'Read the error in drain-instance’s log (instance id, operation); permissions or throttling are the usual causes.',
  },
  DrainBlocked: {
    per: 'deployment',
    metric: 'EcsAutopilot DrainBlocked ≥ 1 in 5 min (service drain-instance)',
    means:
      'A drain is held by the disruption budget: letting the instance go would take a service below its minimum healthy percent (or to zero), its replacements having no room. The instance is held, past the drain deadline up to the blocked-drain deadline.',
    todo: 'Read drain-instance’s warning “Drain blocked” (services and why); give the group room (max size, failing launches) or lower the service’s minimum; scale-capacity, where deployed, was asked for room.',
  },
  WarmPoolCapacityStranded: {
    per: 'deployment',
    metric: 'EcsAutopilot WarmPoolCapacityStranded ≥ 1 in 5 min (service drain-instance)',
    means:
      'An instance drained on its way into the warm pool came back into service but could not be set ACTIVE again: Auto Scaling counts it, ECS places nothing on it.',
    todo: 'Read drain-instance’s error “Capacity stranded” (instance, why); set the container instance ACTIVE (aws ecs update-container-instances-state) or terminate it; check the state table and ecs:UpdateContainerInstancesState are reachable.',
  },
  Refused: {
    per: 'provider',
    metric: 'EcsAutopilot Refused ≥ 1 in 5 min (service scale-capacity, per CapacityProvider)',
    means:
      'scale-capacity refuses to size the capacity provider (managed scaling on, unknown instance type, group missing): no scaling for it.',
    todo: 'Read the reason in scale-capacity’s log ("Capacity provider refused"); turn managed scaling off or declare the instance type (instanceTypes).',
  },
  UnplaceableTasks: {
    per: 'provider',
    metric: 'EcsAutopilot UnplaceableTasks ≥ 1 for 10 min (service scale-capacity, per CapacityProvider)',
    means:
      'Tasks wait for capacity that no instance type of the group can give (too large, constraints, ports): adding instances will not place them.',
    todo: 'Read the plan in scale-capacity’s log (npm run plan for a dry run); change the task size or constraints, or add an instance type to the group.',
  },
  LaunchFailures: {
    per: 'provider',
    metric: 'EcsAutopilot LaunchFailures ≥ 1 for 10 min (service scale-capacity, per CapacityProvider)',
    means: 'Auto Scaling keeps failing to launch instances for the provider’s group: scale-out is stalled.',
    todo: 'Read the group’s scaling activities (Auto Scaling’s reason is also in the log): quotas, Spot capacity, launch template, subnets.',
  },
};

/** The description an alarm carries, the same in the construct and template.yaml. */
export function alarmDescription(kind: AlarmKind, subject: string): string {
  const doc = ALARM_DOCS[kind];
  return `ecs-autopilot ${subject}: ${doc.means} ${doc.todo}`;
}

export const ALARM_PERIOD = Duration.minutes(5);
/** NotInvoked: two 10-minute periods without an invocation (the slowest periodic pass runs every 5). */
export const NOT_INVOKED_PERIOD = Duration.minutes(10);

/** The drain metrics alarmed on (namespace EcsAutopilot, dimension service=drain-instance). */
export const DRAIN_ALARMS = [
  'DrainHookLost',
  'DrainDeadlineExpired',
  'DrainErrors',
  'DrainBlocked',
  'WarmPoolCapacityStranded',
] as const;
/** scale-capacity's per-provider metrics alarmed on (dimensions CapacityProvider and service). */
export const CAPACITY_ALARMS = ['Refused', 'UnplaceableTasks', 'LaunchFailures'] as const;

/** One of the functions' own EMF metrics (Powertools adds the `service` dimension). */
export function autopilotMetric(
  service: string,
  metricName: string,
  statistic: 'Sum' | 'Maximum',
  extra: Record<string, string> = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { ...extra, service },
    statistic,
    period: ALARM_PERIOD,
  });
}

/** How many 5-minute periods must breach for each kind of the functions' own metrics. */
export const METRIC_ALARM_SETTINGS: Record<
  (typeof DRAIN_ALARMS)[number] | (typeof CAPACITY_ALARMS)[number],
  { statistic: 'Sum' | 'Maximum'; periods: number }
> = {
  DrainHookLost: { statistic: 'Sum', periods: 1 },
  DrainDeadlineExpired: { statistic: 'Sum', periods: 1 },
  DrainErrors: { statistic: 'Sum', periods: 1 },
  DrainBlocked: { statistic: 'Sum', periods: 1 },
  WarmPoolCapacityStranded: { statistic: 'Sum', periods: 1 },
  Refused: { statistic: 'Sum', periods: 1 },
  // Gauges written at every pass: a pass or two of them is an ordinary moment, ten minutes is not.
  UnplaceableTasks: { statistic: 'Maximum', periods: 2 },
  LaunchFailures: { statistic: 'Maximum', periods: 2 },
};

/** The README's alarm table (test/infra/alarms.test.ts checks infra/README.md carries it). */
export function alarmTable(): string {
  const lines = ['| alarm | one per | metric | what it means | what to do |', '|---|---|---|---|---|'];
  for (const [kind, doc] of Object.entries(ALARM_DOCS)) {
    lines.push(`| ${kind} | ${doc.per} | ${doc.metric} | ${doc.means} | ${doc.todo} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(alarmTable());
