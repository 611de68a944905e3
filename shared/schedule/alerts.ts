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

export function failedRunAlert(
  jobName: string,
  cluster: string,
  due: DueTime,
  tasks: readonly TaskOutcome[],
): JobAlert {
  const failed = tasks.filter((task) => !task.succeeded);
  return {
    subject: `Job ${jobName} failed: run due ${due}`,
    text: [
      `The run of job "${jobName}" due ${due} on cluster ${cluster} failed (${failed.length} of ${tasks.length} task${tasks.length === 1 ? '' : 's'}).`,
      ...failed.map((task) => `- ${task.taskArn}: ${task.summary}`),
    ].join('\n'),
    data: {
      source: ALERT_SOURCE,
      type: 'FailedRun',
      job: jobName,
      cluster,
      due,
      tasks: failed.map((task) => ({
        taskArn: task.taskArn,
        stopCode: task.stopCode,
        stoppedReason: task.stoppedReason,
        containers: task.containers,
        summary: task.summary,
      })),
    },
  };
}
