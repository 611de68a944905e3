import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ScheduleExpression, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as z from 'zod';
import type { JobSchema } from '../shared/schedule/job';

/** An Auto Scaling group whose instances are ECS container instances of one cluster. */
export interface AutoScalingGroupConfig {
  /** The group's name. */
  readonly autoScalingGroupName: string;
  /** The ECS cluster its instances register to (name). Written into the hook's NotificationMetadata. */
  readonly cluster: string;
  /**
   * The terminate lifecycle hook drain-instance answers. Set `create: false` when the group already has
   * one (it must then carry NotificationMetadata `{"cluster": ...}`, or the group the tag
   * `ecs-autopilot:cluster`).
   * @default - a hook named `ecs-autopilot-drain`, heartbeat timeout 5400 s, default result CONTINUE
   */
  readonly lifecycleHook?: {
    readonly create?: boolean;
    readonly name?: string;
    /** 30 s to 7200 s (default 5400 s): how long a stalled drainer holds an instance; drain-instance outlasts an hour-long outage of itself with the default. */
    readonly heartbeatTimeout?: Duration;
  };
  /**
   * What to do with standalone tasks (not stopped by DRAINING) on a draining instance.
   * @default 'wait'
   */
  readonly standaloneTasks?: 'wait' | { readonly stopAfter: Duration };
}

/** A capacity provider scale-capacity sizes (its managed scaling must be DISABLED). */
export interface CapacityProviderConfig {
  readonly name: string;
  readonly cluster: string;
  /** The group behind the capacity provider; also list it in `autoScalingGroups` to drain it. */
  readonly autoScalingGroupName: string;
}

/** Where alerts and alarm notifications go. */
export interface AlertsConfig {
  /**
   * An existing topic. When it is encrypted with a customer managed key, pass `topicKey` too so the
   * functions may publish (and allow cloudwatch.amazonaws.com on the key for alarm notifications).
   * @default - a new topic encrypted with a new customer managed key
   */
  readonly topic?: sns.ITopic;
  readonly topicKey?: kms.IKey;
  /**
   * Where the CloudWatch alarms notify (ALARM and OK), e.g. a paging topic. It must accept
   * cloudwatch.amazonaws.com as publisher (and on its key, when encrypted).
   * @default - the alert topic
   */
  readonly alarmTopic?: sns.ITopic;
  /** Email addresses subscribed to a new topic (each confirms by email). */
  readonly emails?: string[];
  /**
   * A topic AWS Chatbot (Amazon Q Developer in chat applications) subscribes to: detect-failed-start
   * also publishes each message there in Chatbot's custom-notification format, for Slack or Teams.
   * @default - none
   */
  readonly chatTopic?: sns.ITopic;
}

/** A job definition exactly as run-scheduled-task accepts it (shared/schedule/job.ts). */
export type JobDefinition = z.input<typeof JobSchema>;

/** A job run on a schedule by run-scheduled-task. */
export interface JobConfig {
  readonly job: JobDefinition;
  /** `ScheduleExpression.cron({ minute: '0', hour: '2', timeZone: TimeZone.EUROPE_PARIS })`, `.rate(...)`. */
  readonly schedule: ScheduleExpression;
  /** @default TimeWindow.off() */
  readonly timeWindow?: TimeWindow;
  /** @default true */
  readonly enabled?: boolean;
  /**
   * IAM roles the job's task definition (or its overrides) names, which RunTask must pass to ECS
   * (task role and execution role ARNs).
   * @default - none: only task definitions without roles can run
   */
  readonly passRoleArns?: string[];
}

/** Settings every function has. */
export interface FunctionSettings {
  /** @default true */
  readonly enabled?: boolean;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  /** Overrides the construct's `dryRun` for this function. */
  readonly dryRun?: boolean;
  /** Lambda's retries of a failed asynchronous invocation (0-2). */
  readonly retryAttempts?: number;
  /** How long an event may wait in Lambda's asynchronous queue (60 s to 6 h). */
  readonly maxEventAge?: Duration;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

export interface DrainInstanceSettings extends FunctionSettings {
  /** After this long the drain ends: the action completes CONTINUE with the tasks still there logged. */
  readonly drainDeadline?: Duration;
  /** Pause between two looks at a draining instance within one invocation. */
  readonly pollInterval?: Duration;
}

export interface RunScheduledTaskSettings extends FunctionSettings {
  /** For jobs without startingDeadlineSeconds: a run not started this late is missed. @default 900 s */
  readonly defaultStartingDeadline?: Duration;
  /** For jobs without retry.maxAttempts: RunTask attempts before a run is missed. @default 30 */
  readonly retryMaxAttempts?: number;
  /**
   * Task definition families RunTask may start besides those of `jobs` (for jobs scheduled outside
   * the construct, e.g. by your own EventBridge rules).
   */
  readonly taskDefinitionFamilies?: string[];
  /** Task and execution role ARNs RunTask may pass to ECS besides those listed on `jobs`. */
  readonly passRoleArns?: string[];
}

export interface DetectFailedStartSettings extends FunctionSettings {
  /** Repeats of one problem within this window are counted, not sent. @default 15 minutes */
  readonly alertWindow?: Duration;
  /** Alert on tasks stopped on purpose before they ran (user or scheduler initiated). @default false */
  readonly alertOnIntentionalStops?: boolean;
  /** Alert on tasks whose instance went away before they ran (Spot interruption, host stopped). @default false */
  readonly alertOnHostInterruptions?: boolean;
  /**
   * How long a new problem waits before its first message, so a wave of services failing for one cause
   * becomes one message (0 to 300 s). @default 30 seconds
   */
  readonly groupWait?: Duration;
}

export interface ScaleCapacitySettings extends FunctionSettings {
  /** An instance without non-daemon tasks this long may be removed. @default 300 s */
  readonly scaleInAfter?: Duration;
  /** Spare room kept when scaling in: a number of tasks (`2`) or tasks of a size (`'2x512/1024'`). @default 0 */
  readonly headroom?: number | string;
  /** Most instances removed per pass: a count (`3`) or a percentage (`'10%'`). @default '10%' */
  readonly maxScaleIn?: number | string;
  /** Most instances added per decision. @default 50 */
  readonly maxStep?: number;
  /** Drain and remove instances whose tasks fit elsewhere. @default false */
  readonly consolidation?: boolean;
  /** How long a launched instance may take to register before it no longer counts. @default 600 s */
  readonly bootTimeout?: Duration;
  /**
   * What new instances of a type register, for groups that may be at zero:
   * `{ 'm5.large': { cpu: 2048, memoryMiB: 7680, enis: 2 } }`.
   */
  readonly instanceTypes?: Record<string, { cpu: number; memoryMiB: number; gpus?: number; enis?: number }>;
}

export interface EcsAutopilotProps {
  /** The ECS clusters (names) the functions may read and act on. Nothing outside them is granted. */
  readonly clusters: string[];
  /** Used when an event or job names no cluster. @default the first of `clusters` */
  readonly defaultCluster?: string;
  /** Groups drained by drain-instance; a terminate lifecycle hook is created on each. */
  readonly autoScalingGroups?: AutoScalingGroupConfig[];
  /** Capacity providers sized by scale-capacity. */
  readonly capacityProviders?: CapacityProviderConfig[];
  readonly alerts?: AlertsConfig;
  /** Jobs run by run-scheduled-task on EventBridge Scheduler schedules. */
  readonly jobs?: JobConfig[];
  /** Every function logs its plan and changes nothing. @default false */
  readonly dryRun?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** For the state table and log groups. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** X-Ray active tracing (adds xray:PutTraceSegments/PutTelemetryRecords on `*`). @default false */
  readonly tracing?: boolean;
  /** @default true */
  readonly dashboard?: boolean;
  readonly drainInstance?: DrainInstanceSettings;
  readonly runScheduledTask?: RunScheduledTaskSettings;
  readonly detectFailedStart?: DetectFailedStartSettings;
  readonly scaleCapacity?: ScaleCapacitySettings;
}
