import { consoleLinks, logLocation, type TaskDefinitionLike } from '../failed-start/alert';
import type { DueTime } from './identity';
import type { TaskOutcome } from './outcome';
import type { JobProblem } from './validate';

/** Same shape as shared/aws/sns.ts `Alert`: text for people, data for machines. */
export interface JobAlert {
  subject: string;
  text: string;
  data: Record<string, unknown>;
}

const ALERT_SOURCE = 'ecs-autopilot/run-scheduled-task';

export function invalidJobAlert(jobName: string, problems: readonly JobProblem[], due?: DueTime): JobAlert {
  const lines = problems.map((problem) => `- ${problem.path ? `${problem.path}: ` : ''}${problem.message}`);
  return {
    subject: `Job ${jobName} is invalid: nothing was run`,
    text: [
      `The scheduled job "${jobName}" can't run until its definition is fixed${due ? ` (invocation due ${due})` : ''}.`,
      'Nothing was started. Fix the schedule input:',
      ...lines,
      '',
      'This alert is sent once per job and problem; it repeats daily while the problem stays.',
    ].join('\n'),
    data: { source: ALERT_SOURCE, type: 'InvalidJob', job: jobName, due, problems },
  };
}

export interface MissedRunAlertInput {
  jobName: string;
  cluster: string;
  due: DueTime;
  reason: string;
  /** Failure reasons of the attempts, counted ("RESOURCE:MEMORY ×3"), when there were attempts. */
  attempts?: { count: number; summary: string } | undefined;
  /** Tasks that did start when only part of the run could be placed. */
  startedTasks?: readonly string[] | undefined;
}

export function missedRunAlert(input: MissedRunAlertInput): JobAlert {
  const partial = input.startedTasks && input.startedTasks.length > 0;
  return {
    subject: `Job ${input.jobName} ${partial ? 'partly missed' : 'missed'} its run due ${input.due}`,
    text: [
      `The run of job "${input.jobName}" due ${input.due} on cluster ${input.cluster} ${partial ? 'started only some of its tasks' : 'did not start'}.`,
      `Why: ${input.reason}.`,
      ...(input.attempts ? [`RunTask attempts: ${input.attempts.count} (${input.attempts.summary}).`] : []),
      ...(partial ? [`Started: ${input.startedTasks?.join(', ')}.`] : []),
      'The next due run will be attempted as scheduled.',
    ].join('\n'),
    data: {
      source: ALERT_SOURCE,
      type: 'MissedRun',
      job: input.jobName,
      cluster: input.cluster,
      due: input.due,
      reason: input.reason,
      attempts: input.attempts,
      startedTasks: input.startedTasks,
    },
  };
}

/** Where to look at a failed task: its console page, its task definition revision, its containers' logs. */
export interface TaskLinks {
  task?: string;
  /** `family:revision` the task ran. */
  taskDefinition?: string;
  taskDefinitionLink?: string;
  logs: { container: string; url: string }[];
}

const TASK_ARN =
  /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):\d{12}:task\/([A-Za-z0-9_-]{1,255})\/([A-Za-z0-9-]{1,64})$/;
const TASK_DEFINITION_ARN = /:task-definition\/([A-Za-z0-9_-]{1,255}):(\d+)$/;

/**
 * Links for a failed task, built as detect-failed-start builds them (shared/failed-start/alert.ts: console
 * URLs from a validated Region and encoded parts, awslogs locations from the task definition). A task or
 * task definition ARN that is not one gives no link.
 */
export function taskLinks(
  taskArn: string,
  taskDefinitionArn: string | undefined,
  definition: TaskDefinitionLike | undefined,
): TaskLinks {
  const task = TASK_ARN.exec(taskArn);
  const revision = taskDefinitionArn ? TASK_DEFINITION_ARN.exec(taskDefinitionArn) : null;
  const links: TaskLinks = { logs: [] };
  if (revision) links.taskDefinition = `${revision[1]}:${revision[2]}`;
  if (!task) return links;
  const [, region = '', cluster = '', taskId = ''] = task;
  const console = consoleLinks({
    taskArn,
    taskId,
    clusterArn: '',
    cluster,
    region,
    lastStatus: 'STOPPED',
    group: revision ? `family:${revision[1]}` : '',
    taskDefinitionArn: taskDefinitionArn ?? '',
    taskDefinition: links.taskDefinition ?? '',
    containers: [],
  });
  if (console.task) links.task = console.task;
  if (revision && console.taskDefinition) links.taskDefinitionLink = console.taskDefinition;
  for (const container of definition?.containerDefinitions ?? []) {
    const logs = logLocation(container, taskId, region);
    if (logs) links.logs.push({ container: logs.container, url: logs.url });
  }
  return links;
}

/** What makes a failed-run alert actionable beyond the tasks' own outcome. */
export interface FailedRunContext {
  /** Failed runs of the job in a row, this one included, and the due time of the first of them. */
  streak?: number | undefined;
  streakSince?: DueTime | undefined;
  /** The job's last success (due time, and when it was recorded). */
  lastSucceededDue?: DueTime | undefined;
  lastSucceededAt?: string | undefined;
  /** Per task ARN. */
  links?: Record<string, TaskLinks> | undefined;
  /** Times the run was started again after infrastructure kills. */
  infraRetries?: number | undefined;
}

export function failedRunAlert(
  jobName: string,
  cluster: string,
  due: DueTime,
  tasks: readonly TaskOutcome[],
  context: FailedRunContext = {},
): JobAlert {
  const failed = tasks.filter((task) => !task.succeeded);
  const streak = context.streak !== undefined && context.streak > 1 ? context.streak : undefined;
  const taskLines = failed.flatMap((task) => {
    const links = context.links?.[task.taskArn];
    return [
      `- ${task.taskArn}${links?.taskDefinition ? ` (${links.taskDefinition})` : ''}: ${task.summary}`,
      ...(links?.task ? [`  task: ${links.task}`] : []),
      ...(links?.logs ?? []).map((log) => `  logs of ${log.container}: ${log.url}`),
    ];
  });
  return {
    subject: `Job ${jobName} failed${streak ? ` ${streak} runs in a row` : ''}: run due ${due}`,
    text: [
      `The run of job "${jobName}" due ${due} on cluster ${cluster} failed (${failed.length} of ${tasks.length} task${tasks.length === 1 ? '' : 's'}).`,
      ...(streak
        ? [`It has now failed ${streak} runs in a row, since the run due ${context.streakSince}.`]
        : []),
      context.lastSucceededDue
        ? `Last success: the run due ${context.lastSucceededDue}${context.lastSucceededAt ? ` (finished ${context.lastSucceededAt})` : ''}.`
        : 'No successful run is on record.',
      ...(context.infraRetries
        ? [`It was started again ${context.infraRetries} time(s) after the infrastructure killed it.`]
        : []),
      ...taskLines,
    ].join('\n'),
    data: {
      source: ALERT_SOURCE,
      type: 'FailedRun',
      job: jobName,
      cluster,
      due,
      ...(streak ? { streak, streakSince: context.streakSince } : {}),
      lastSucceededDue: context.lastSucceededDue,
      lastSucceededAt: context.lastSucceededAt,
      ...(context.infraRetries ? { infraRetries: context.infraRetries } : {}),
      tasks: failed.map((task) => ({
        taskArn: task.taskArn,
        taskDefinition: context.links?.[task.taskArn]?.taskDefinition,
        stopCode: task.stopCode,
        stoppedReason: task.stoppedReason,
        containers: task.containers,
        summary: task.summary,
        links: context.links?.[task.taskArn],
      })),
    },
  };
}

export interface SilentScheduleAlertInput {
  jobName: string;
  cluster: string;
  /** When a due time last arrived (ISO), and which. */
  lastSeenAt: string;
  lastDue?: DueTime | undefined;
  silentSeconds: number;
  expectEverySeconds: number;
  allowedSeconds: number;
  /** With the job's schedule: the due time that did not arrive, and the schedule. */
  expectedDue?: string | undefined;
  schedule?: string | undefined;
}

export function silentScheduleAlert(input: SilentScheduleAlertInput): JobAlert {
  const since = input.lastDue ?? input.lastSeenAt;
  return {
    subject: `Job ${input.jobName} has had no due run since ${since}`,
    text: [
      `No due time of job "${input.jobName}" (cluster ${input.cluster}) has arrived for ${input.silentSeconds} s; the last was ${since}, received ${input.lastSeenAt}.`,
      input.expectedDue
        ? `Its schedule ${input.schedule ?? ''} named a due time at ${input.expectedDue}; none arrived by then plus its starting deadline (${input.allowedSeconds} s after the last arrival in all).`
        : `The job expects one at least every ${input.expectEverySeconds} s (expectEverySeconds), plus its starting deadline and an hour for daylight saving: ${input.allowedSeconds} s in all.`,
      'Nothing is being run. Its EventBridge Scheduler schedule (or rule) may be disabled or deleted, or its deliveries failing: check its state and the dead-letter queue.',
      'To pause a job on purpose, set "suspend": true in its input instead: its due times still arrive and are recorded as skipped.',
      `If the job was renamed or retired, nothing is wrong; to forget it, delete its registry item: aws dynamodb delete-item --table-name <STATE_TABLE> --key '{"pk":{"S":"job#*"},"sk":{"S":"${input.jobName}"}}'.`,
      'This alert is sent once per silence; the check starts again with the next due time that arrives.',
    ].join('\n'),
    data: {
      source: ALERT_SOURCE,
      type: 'SilentSchedule',
      job: input.jobName,
      cluster: input.cluster,
      lastSeenAt: input.lastSeenAt,
      lastDue: input.lastDue,
      silentSeconds: input.silentSeconds,
      expectEverySeconds: input.expectEverySeconds,
      allowedSeconds: input.allowedSeconds,
      expectedDue: input.expectedDue,
    },
  };
}

/**
 * A registered job whose cluster ECS no longer knows (deleted, or the job was retired with it): the
 * every-minute pass can't see its tasks. Sent once per job and cluster.
 */
export function clusterGoneAlert(jobName: string, cluster: string, detail: string): JobAlert {
  const problems: JobProblem[] = [
    { path: 'cluster', message: `ECS does not know cluster ${cluster} (${detail})` },
  ];
  return {
    subject: `Job ${jobName}: its cluster ${cluster} no longer exists`,
    text: [
      `The scheduled job "${jobName}" runs on cluster ${cluster}, which ECS no longer knows (${detail}).`,
      'Its due runs can start nothing there, and the every-minute pass can no longer watch its runs.',
      'If the job should still run, point its schedule input at an existing cluster.',
      `If it was retired with its cluster, delete its schedule and its registry item: aws dynamodb delete-item --table-name <STATE_TABLE> --key '{"pk":{"S":"job#*"},"sk":{"S":"${jobName}"}}'.`,
      'This alert is sent once per job and cluster.',
    ].join('\n'),
    data: { source: ALERT_SOURCE, type: 'InvalidJob', job: jobName, cluster, problems },
  };
}

export interface SkipStreakAlertInput {
  jobName: string;
  cluster: string;
  streak: number;
  /** The first due time of the streak and the last one skipped. */
  since: DueTime;
  lastDue: DueTime;
  reason: string;
}

/** Due times skipped one after another because an earlier run is still active (concurrencyPolicy Forbid). */
export function skipStreakAlert(input: SkipStreakAlertInput): JobAlert {
  return {
    subject: `Job ${input.jobName}: ${input.streak} due runs in a row skipped (concurrencyPolicy Forbid)`,
    text: [
      `${input.streak} due times of job "${input.jobName}" (cluster ${input.cluster}) in a row, from ${input.since} to ${input.lastDue}, were skipped: each waited until its starting deadline for an earlier run to end.`,
      `Last reason: ${input.reason}.`,
      'The earlier run may be hung. Check its logs; stop it (aws ecs stop-task) or set activeDeadlineSeconds so a hung run is stopped.',
      'This alert is sent once per streak; the streak ends with the next run that starts.',
    ].join('\n'),
    data: {
      source: ALERT_SOURCE,
      type: 'SkippedRuns',
      job: input.jobName,
      cluster: input.cluster,
      streak: input.streak,
      since: input.since,
      lastDue: input.lastDue,
      reason: input.reason,
    },
  };
}

export interface LongRunAlertInput {
  jobName: string;
  cluster: string;
  due: DueTime;
  ageSeconds: number;
  limitSeconds: number;
  taskArns: readonly string[];
}

/** A run active longer than the job expects (longRunAlertSeconds, by default its schedule's period). */
export function longRunAlert(input: LongRunAlertInput): JobAlert {
  return {
    subject: `Job ${input.jobName}: run due ${input.due} still running`,
    text: [
      `The run of job "${input.jobName}" due ${input.due} on cluster ${input.cluster} has been active for ${input.ageSeconds} s, longer than ${input.limitSeconds} s (longRunAlertSeconds, by default the schedule's period).`,
      `Tasks: ${input.taskArns.join(', ')}.`,
      'With concurrencyPolicy Forbid the next due times wait for it and are skipped at their starting deadline. It is not stopped (set activeDeadlineSeconds for that).',
      'This alert is sent once per run.',
    ].join('\n'),
    data: {
      source: ALERT_SOURCE,
      type: 'LongRun',
      job: input.jobName,
      cluster: input.cluster,
      due: input.due,
      ageSeconds: input.ageSeconds,
      limitSeconds: input.limitSeconds,
      taskArns: input.taskArns,
    },
  };
}

export interface BacklogAlertInput {
  jobName: string;
  cluster: string;
  missed: number;
  firstDue: DueTime;
  lastDue: DueTime;
}

/** Due times of a backlog (deliveries held back, then a burst) that arrived past their starting deadline. */
export function backlogAlert(input: BacklogAlertInput): JobAlert {
  return {
    subject: `Job ${input.jobName} missed ${input.missed} runs due ${input.firstDue} to ${input.lastDue} (a backlog)`,
    text: [
      `${input.missed} due times of job "${input.jobName}" (cluster ${input.cluster}) from ${input.firstDue} to ${input.lastDue} were delivered past their starting deadline, in a burst (throttled or failed deliveries, an outage of this function).`,
      'As a CronJob does, only the most recent due time of a backlog runs; the older ones are recorded skipped. A most recent due time that could not start is alerted on its own.',
      "Check the schedule's delivery metrics and dead-letter queue, and this function's errors and throttles, for what held the deliveries back.",
    ].join('\n'),
    data: {
      source: ALERT_SOURCE,
      type: 'MissedRuns',
      job: input.jobName,
      cluster: input.cluster,
      missed: input.missed,
      firstDue: input.firstDue,
      lastDue: input.lastDue,
    },
  };
}
