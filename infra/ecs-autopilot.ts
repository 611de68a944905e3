import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { schedulerTargetInput } from '../functions/run-scheduled-task/rules';
import { clusterName, parseJob, validateJob } from '../shared/schedule';
import {
  ALARM_PERIOD,
  type AlarmKind,
  alarmDescription,
  autopilotMetric,
  CAPACITY_ALARMS,
  DRAIN_ALARMS,
  METRIC_ALARM_SETTINGS,
  NOT_INVOKED_PERIOD,
} from './alarms';
import { Arns } from './arns';
import { DEFAULT_HEARTBEAT_TIMEOUT, DEFAULT_HOOK_NAME } from './constants';
import { dashboardWidgets } from './dashboard';
import { AutopilotFunction, RUNTIME } from './function';
import { acknowledge, grantPermissions, type Permission } from './permissions';
import type { EcsAutopilotProps, FunctionSettings, JobConfig } from './props';
import { FUNCTION_SPECS } from './specs';
import { DEFAULT_STARTING_DEADLINE_SECONDS } from './specs/run-scheduled-task';
import type { FunctionName, FunctionSpec, RawEventPattern, SpecContext } from './specs/types';

/** Settings property of the construct for each function. */
const SETTINGS_KEY = {
  'drain-instance': 'drainInstance',
  'run-scheduled-task': 'runScheduledTask',
  'detect-failed-start': 'detectFailedStart',
  'scale-capacity': 'scaleCapacity',
} as const satisfies Record<FunctionName, keyof EcsAutopilotProps>;

/**
 * ecs-autopilot in one construct: the four functions with their triggers, least-privilege roles, the
 * state table, the alert topic, dead-letter queues, lifecycle hooks, job schedules, alarms and a
 * dashboard. Drop it into an existing stack.
 */
export class EcsAutopilot extends Construct {
  readonly table: dynamodb.Table;
  readonly topic: sns.ITopic;
  /** The functions, by name; a function switched off is absent. */
  readonly functions: Partial<Record<FunctionName, AutopilotFunction>> = {};
  /** Asynchronous invocations that failed every attempt, one queue per function. */
  readonly failedInvocations: Partial<Record<FunctionName, sqs.Queue>> = {};
  /** Events and scheduled invocations EventBridge could not deliver. */
  readonly undeliveredEvents: sqs.Queue;
  /** Alert emails SNS could not deliver (only with `alerts.emails`). */
  undeliveredAlerts?: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** What each function's role is granted beyond its logs and failure queue, with the reasons. */
  readonly permissions: Partial<Record<FunctionName, Permission[]>> = {};
  readonly dashboard?: cloudwatch.Dashboard;
  readonly scheduleGroup?: scheduler.ScheduleGroup;

  private readonly arns = new Arns(this);
  private topicKey?: kms.IKey;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: EcsAutopilotProps,
  ) {
    super(scope, id);
    validateProps(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.table = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'ttl',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });

    this.topic = props.alerts?.topic ?? this.createTopic();
    this.undeliveredEvents = this.deadLetterQueue(
      'UndeliveredEvents',
      'events EventBridge could not deliver',
    );

    const defaultCluster = props.defaultCluster ?? props.clusters[0];
    for (const spec of FUNCTION_SPECS) {
      const settings: FunctionSettings = props[SETTINGS_KEY[spec.name]] ?? {};
      if (settings.enabled === false) continue;
      this.addFunction(spec, {
        props,
        defaultCluster,
        settings,
        dryRun: settings.dryRun ?? props.dryRun ?? false,
        arns: this.arns,
        table: this.table,
        topic: this.topic,
        topicKeyArn: (props.alerts?.topicKey ?? this.topicKey)?.keyArn,
      });
    }

    this.addLifecycleHooks();
    this.scheduleGroup = this.addJobSchedules();
    this.addAlarms();
    if (props.dashboard !== false) {
      this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
        widgets: dashboardWidgets(this.functions, this.failedInvocations, this.undeliveredEvents),
      });
    }
  }

  private createTopic(): sns.Topic {
    const key = new kms.Key(this, 'AlertKey', {
      description: 'ecs-autopilot alert topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch alarms publish to the encrypted topic with this key.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.topicKey = key;
    const topic = new sns.Topic(this, 'Alerts', { masterKey: key, enforceSSL: true });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm:*' }),
          },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    const emails = this.props.alerts?.emails ?? [];
    if (emails.length > 0) {
      const undelivered = this.deadLetterQueue('UndeliveredAlerts', 'alert emails SNS could not deliver');
      this.undeliveredAlerts = undelivered;
      for (const email of emails) {
        topic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue: undelivered }));
      }
    }
    return topic;
  }

  /** An encrypted, TLS-only queue that keeps messages 14 days: the end of the line for failures. */
  private deadLetterQueue(id: string, what: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const reason = `This queue is itself the dead-letter queue for ${what}; a dead-letter queue behind it would only move the same messages, and an alarm watches its depth.`;
    acknowledge(queue, 'AwsSolutions-SQS3', reason);
    acknowledge(queue, 'Serverless-SQSRedrivePolicy', reason);
    return queue;
  }

  private addFunction(spec: FunctionSpec, ctx: SpecContext): void {
    const { settings } = ctx;
    const failures = this.deadLetterQueue(
      `${pascal(spec.name)}Failures`,
      `asynchronous invocations of ${spec.name} that failed every attempt`,
    );
    const fn = new AutopilotFunction(this, pascal(spec.name), {
      functionDir: spec.name,
      description: spec.description,
      memorySize: settings.memorySize ?? spec.defaults.memorySize,
      timeout: settings.timeout ?? spec.defaults.timeout,
      retryAttempts: settings.retryAttempts ?? spec.defaults.retryAttempts,
      maxEventAge: settings.maxEventAge ?? spec.defaults.maxEventAge,
      reservedConcurrentExecutions: spec.defaults.reservedConcurrentExecutions,
      logRetention: this.props.logRetention ?? RetentionDays.ONE_MONTH,
      logRemovalPolicy: this.props.removalPolicy ?? RemovalPolicy.RETAIN,
      onFailureQueue: failures,
      tracing: this.props.tracing ?? false,
      environment: {
        POWERTOOLS_LOG_LEVEL: settings.logLevel ?? 'INFO',
        ...spec.environment(ctx),
      },
    });
    const permissions = spec.permissions(ctx);
    grantPermissions(fn.role as iam.IRole, permissions);
    this.permissions[spec.name] = permissions;
    this.acknowledgeFunctionFindings(fn);

    for (const trigger of spec.triggers(ctx)) {
      const rule = new events.Rule(this, `${pascal(spec.name)}${trigger.id}`, {
        description: `ecs-autopilot ${spec.name}: ${trigger.description}`,
        ...('schedule' in trigger
          ? { schedule: events.Schedule.expression(trigger.schedule) }
          : { eventPattern: toCdkPattern(trigger.eventPattern) }),
      });
      rule.addTarget(
        new targets.LambdaFunction(fn, {
          deadLetterQueue: this.undeliveredEvents,
          retryAttempts: 185,
          // A late tick is worthless (the next one comes a minute later); a late event still matters.
          maxEventAge: 'schedule' in trigger ? Duration.minutes(10) : Duration.hours(24),
        }),
      );
    }
    this.functions[spec.name] = fn;
    this.failedInvocations[spec.name] = failures;
  }

  private acknowledgeFunctionFindings(fn: AutopilotFunction): void {
    const runtimeReason = `Pinned to ${RUNTIME.name}: the bundle targets node22 (esbuild) and is tested for it; moving to a newer runtime is a deliberate, tested upgrade.`;
    acknowledge(fn, 'AwsSolutions-L1', runtimeReason);
    acknowledge(fn, 'Serverless-LambdaLatestVersion', runtimeReason);
    acknowledge(
      fn,
      'Serverless-LambdaDLQ',
      'Failed asynchronous invocations go to an SQS on-failure destination (EventInvokeConfig), which records the error and request context; a DeadLetterConfig as well would deliver every failure twice.',
    );
    if (this.props.tracing) {
      acknowledge(
        fn.role as iam.IRole,
        'AwsSolutions-IAM5',
        'Tracing is on: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
        ['Resource::*'],
      );
    } else {
      acknowledge(
        fn,
        'Serverless-LambdaTracing',
        'Tracing is opt-in (prop `tracing`): the functions log structured JSON with the event id as correlation id and emit EMF metrics, and X-Ray would need xray:Put* on `*`.',
      );
    }
  }

  private addLifecycleHooks(): void {
    if (!this.functions['drain-instance']) return;
    for (const group of this.props.autoScalingGroups ?? []) {
      const hook = group.lifecycleHook ?? {};
      if (hook.create === false) continue;
      new autoscaling.CfnLifecycleHook(this, `DrainHook${pascal(group.autoScalingGroupName)}`, {
        autoScalingGroupName: group.autoScalingGroupName,
        lifecycleHookName: hook.name ?? DEFAULT_HOOK_NAME,
        lifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        heartbeatTimeout: (hook.heartbeatTimeout ?? DEFAULT_HEARTBEAT_TIMEOUT).toSeconds(),
        // If ecs-autopilot is down, the instance still terminates once the heartbeat runs out.
        defaultResult: 'CONTINUE',
        notificationMetadata: JSON.stringify({ cluster: group.cluster }),
      });
    }
  }

  private addJobSchedules(): scheduler.ScheduleGroup | undefined {
    const runner = this.functions['run-scheduled-task'];
    const jobs = this.props.jobs ?? [];
    if (!runner || jobs.length === 0) return undefined;
    const group = new scheduler.ScheduleGroup(this, 'Jobs', {});
    const role = new iam.Role(this, 'JobsSchedulerRole', {
      description: 'ecs-autopilot: EventBridge Scheduler invokes run-scheduled-task with each job',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    for (const entry of jobs) {
      const { job, schedule, timeWindow, enabled } = entry;
      new scheduler.Schedule(this, `Job${pascal(job.name)}`, {
        scheduleGroup: group,
        description: `ecs-autopilot job ${job.name}`,
        schedule,
        timeWindow: timeWindow ?? scheduler.TimeWindow.off(),
        enabled: enabled ?? true,
        target: new InvokeFunction(runner, {
          role,
          input: scheduler.ScheduleTargetInput.fromText(schedulerTargetInput(jobWithSchedule(entry))),
          deadLetterQueue: this.undeliveredEvents,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      });
    }
    return group;
  }

  private addAlarms(): void {
    const action = new SnsAction(this.props.alerts?.alarmTopic ?? this.topic);
    const add = (
      id: string,
      kind: AlarmKind,
      subject: string,
      metric: cloudwatch.Metric,
      options: AlarmOptions,
    ) => {
      const alarm = metric.createAlarm(this, id, {
        alarmDescription: alarmDescription(kind, subject),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
    };
    const once = { evaluationPeriods: 1 };
    for (const [name, fn] of Object.entries(this.functions)) {
      const id = pascal(name);
      const period = ALARM_PERIOD;
      add(`${id}Errors`, 'Errors', name, fn.metricErrors({ period, statistic: 'Sum' }), once);
      add(`${id}Throttles`, 'Throttles', name, fn.metricThrottles({ period, statistic: 'Sum' }), once);
      // Every function has a periodic pass (rate of 5 minutes at most): silence means it stopped.
      add(
        `${id}NotInvoked`,
        'NotInvoked',
        name,
        fn.metricInvocations({ period: NOT_INVOKED_PERIOD, statistic: 'Sum' }),
        {
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
      );
    }
    const depth = (queue: sqs.IQueue) =>
      queue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' });
    for (const [name, queue] of Object.entries(this.failedInvocations)) {
      add(`${pascal(name)}FailuresWaiting`, 'FailuresWaiting', `${name} failure queue`, depth(queue), once);
    }
    add(
      'UndeliveredEventsWaiting',
      'UndeliveredEventsWaiting',
      'undelivered events queue',
      depth(this.undeliveredEvents),
      once,
    );
    if (this.undeliveredAlerts) {
      add(
        'UndeliveredAlertsWaiting',
        'UndeliveredAlertsWaiting',
        'undelivered alerts queue',
        depth(this.undeliveredAlerts),
        once,
      );
    }
    if (this.functions['drain-instance']) {
      for (const metricName of DRAIN_ALARMS) {
        const { statistic, periods } = METRIC_ALARM_SETTINGS[metricName];
        add(
          metricName,
          metricName,
          'drain-instance',
          autopilotMetric('drain-instance', metricName, statistic),
          {
            evaluationPeriods: periods,
          },
        );
      }
    }
    if (this.functions['scale-capacity']) {
      for (const provider of this.props.capacityProviders ?? []) {
        for (const metricName of CAPACITY_ALARMS) {
          const { statistic, periods } = METRIC_ALARM_SETTINGS[metricName];
          add(
            `ScaleCapacity${metricName}${pascal(provider.name)}`,
            metricName,
            `scale-capacity ${provider.name}`,
            autopilotMetric('scale-capacity', metricName, statistic, { CapacityProvider: provider.name }),
            { evaluationPeriods: periods, ...(periods > 1 ? { datapointsToAlarm: periods } : {}) },
          );
        }
      }
    }
  }
}

type AlarmOptions = Omit<cloudwatch.CreateAlarmOptions, 'threshold'> & { threshold?: number };

function validateProps(props: EcsAutopilotProps): void {
  if (props.clusters.length === 0) throw new Error('EcsAutopilot: `clusters` must name at least one cluster');
  const known = new Set(props.clusters);
  const unknown = (cluster: string | undefined) => cluster !== undefined && !known.has(cluster);
  if (unknown(props.defaultCluster)) {
    throw new Error(`EcsAutopilot: defaultCluster ${props.defaultCluster} is not in clusters`);
  }
  for (const group of props.autoScalingGroups ?? []) {
    if (unknown(group.cluster)) {
      throw new Error(
        `EcsAutopilot: group ${group.autoScalingGroupName} names cluster ${group.cluster}, not in clusters`,
      );
    }
    const timeout = group.lifecycleHook?.heartbeatTimeout?.toSeconds();
    if (timeout !== undefined && (timeout < 30 || timeout > 7200)) {
      throw new Error(`EcsAutopilot: heartbeat timeout of ${group.autoScalingGroupName} must be 30-7200 s`);
    }
  }
  const groupWait = props.detectFailedStart?.groupWait?.toSeconds();
  if (groupWait !== undefined && (groupWait < 0 || groupWait > 300)) {
    throw new Error('EcsAutopilot: detectFailedStart.groupWait must be 0-300 s');
  }
  if (props.drainInstance?.enabled !== false && (props.autoScalingGroups ?? []).length === 0) {
    throw new Error(
      'EcsAutopilot: drain-instance needs `autoScalingGroups` to drain; list them, or set drainInstance: { enabled: false }',
    );
  }
  const names = new Set<string>();
  const jobs = props.jobs ?? [];
  const startingDeadlineSeconds =
    props.runScheduledTask?.defaultStartingDeadline?.toSeconds() ?? DEFAULT_STARTING_DEADLINE_SECONDS;
  for (const entry of jobs) {
    const { job } = entry;
    // The construct's margin first (stricter than the function's own room check, which follows).
    checkWindow(props, entry);
    const parsed = parseJob(jobWithSchedule(entry));
    const problems = parsed.ok
      ? validateJob(parsed.job, undefined, { startingDeadlineSeconds })
      : parsed.problems;
    if (problems.length > 0) {
      const where = typeof job.name === 'string' ? job.name : JSON.stringify(job).slice(0, 60);
      throw new Error(
        `EcsAutopilot: job ${where} is invalid: ${problems.map((p) => `${p.path || 'job'}: ${p.message}`).join('; ')}`,
      );
    }
    if (names.has(job.name)) throw new Error(`EcsAutopilot: two jobs are named ${job.name}`);
    names.add(job.name);
    const cluster = clusterName(job.cluster ?? props.defaultCluster ?? props.clusters[0]);
    if (unknown(cluster))
      throw new Error(`EcsAutopilot: job ${job.name} runs in cluster ${cluster}, not in clusters`);
  }
  if (props.scaleCapacity?.enabled !== false && (props.capacityProviders ?? []).length === 0) {
    throw new Error(
      'EcsAutopilot: scale-capacity needs `capacityProviders` to size; list them, or set scaleCapacity: { enabled: false }',
    );
  }
  const drained = new Set((props.autoScalingGroups ?? []).map((group) => group.autoScalingGroupName));
  for (const provider of props.capacityProviders ?? []) {
    // scale-capacity removes instances through the group's terminate hook: drain-instance must answer it.
    if (props.drainInstance?.enabled !== false && !drained.has(provider.autoScalingGroupName)) {
      throw new Error(
        `EcsAutopilot: capacity provider ${provider.name} scales group ${provider.autoScalingGroupName}, which is not in autoScalingGroups: its instances would be terminated undrained`,
      );
    }
    if (unknown(provider.cluster)) {
      throw new Error(
        `EcsAutopilot: capacity provider ${provider.name} names cluster ${provider.cluster}, not in clusters`,
      );
    }
  }
}

/**
 * Scheduler may invoke a job anywhere in its flexible window, and the run's starting deadline counts
 * from the scheduled time (`<aws.scheduler.scheduled-time>`, "Adding context attributes", EventBridge
 * Scheduler User Guide): a deadline no longer than the window misses the runs invoked late in it. Five
 * minutes beyond the window leave room to retry RunTask while capacity arrives.
 */
export const WINDOW_MARGIN_SECONDS = 300;

function checkWindow(props: EcsAutopilotProps, entry: JobConfig | undefined): void {
  const window = entry?.timeWindow?.maxWindow?.toSeconds();
  if (!entry || window === undefined) return;
  const deadline =
    entry.job.startingDeadlineSeconds ??
    props.runScheduledTask?.defaultStartingDeadline?.toSeconds() ??
    DEFAULT_STARTING_DEADLINE_SECONDS;
  if (deadline < window + WINDOW_MARGIN_SECONDS) {
    throw new Error(
      `EcsAutopilot: job ${entry.job.name} has a ${window / 60}-minute flexible window but a starting deadline of ${deadline} s: runs invoked late in the window would be missed; give it a startingDeadlineSeconds of at least ${window + WINDOW_MARGIN_SECONDS} or a shorter window`,
    );
  }
}

/**
 * The job as its schedule invokes it: with the schedule's expression, time zone and flexible window,
 * from which run-scheduled-task computes due times, silence, long runs and the window/deadline check
 * (functions/run-scheduled-task/README.md, "schedule"). A job that names them itself must agree.
 */
export function jobWithSchedule(entry: JobConfig): JobConfig['job'] {
  const window = entry.timeWindow?.maxWindow?.toMinutes();
  const fromSchedule: Partial<JobConfig['job']> = {
    schedule: entry.schedule.expressionString,
    ...(entry.schedule.timeZone ? { timeZone: entry.schedule.timeZone.timezoneName } : {}),
    ...(window ? { flexibleTimeWindowMinutes: window } : {}),
  };
  for (const [field, value] of Object.entries(fromSchedule)) {
    const own = (entry.job as Record<string, unknown>)[field];
    if (own !== undefined && own !== value) {
      throw new Error(
        `EcsAutopilot: job ${entry.job.name} has ${field} ${JSON.stringify(own)} but its schedule says ${JSON.stringify(value)}; leave ${field} out of the job (the construct passes it)`,
      );
    }
  }
  return { ...entry.job, ...fromSchedule };
}

/** `drain-instance` → `DrainInstance`; also makes group and job names safe for construct ids. */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/** EventBridge's pattern keys → the CDK's EventPattern fields (only `detail-type` differs). */
export function toCdkPattern(pattern: RawEventPattern): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  return { ...rest, ...(detailType === undefined ? {} : { detailType }) } as events.EventPattern;
}

/** Scheduler's Lambda target, granting invoke on the function only (not on its versions, `:*`). */
class InvokeFunction extends schedulerTargets.LambdaInvoke {
  constructor(
    private readonly fn: AutopilotFunction,
    props: schedulerTargets.ScheduleTargetBaseProps,
  ) {
    super(fn, props);
  }

  protected override addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.fn.functionArn] }),
    );
  }
}
