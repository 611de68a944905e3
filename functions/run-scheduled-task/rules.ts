import { STARTED_BY_PREFIX } from '../../shared/schedule/identity';
import { SCHEDULED_EVENT, TASK_STATE_CHANGE } from '../../shared/schedule/invocation';
import type { JobInput } from '../../shared/schedule/job';

/**
 * How run-scheduled-task is triggered. The deployment imports these; the handler routes on the same
 * source/detail-type constants (shared/schedule/invocation.ts).
 */

export { SCHEDULED_EVENT, TASK_STATE_CHANGE };

/** Outcomes: state changes of tasks this function started (startedBy `ecs-autopilot/<job>/<due>`). */
export const taskStateChangePattern = {
  source: [TASK_STATE_CHANGE.source],
  'detail-type': [TASK_STATE_CHANGE.detailType],
  detail: {
    startedBy: [{ prefix: STARTED_BY_PREFIX }],
    lastStatus: ['RUNNING', 'STOPPED'],
  },
} as const;

/**
 * The periodic pass: enforces activeDeadlineSeconds, resumes runs an invocation left behind (timeout,
 * crash) and records outcomes whose events were lost. A plain Scheduled Event (no job in detail).
 */
export const reconcileSchedule = {
  expression: 'rate(1 minute)',
  description: 'ecs-autopilot run-scheduled-task: deadlines, left-behind runs, lost outcomes',
} as const;

/** Matches the scheduled rules that invoke this function (the tick and per-job rules). */
export const scheduledEventPattern = {
  source: [SCHEDULED_EVENT.source],
  'detail-type': [SCHEDULED_EVENT.detailType],
} as const;

/** EventBridge Scheduler context attributes, replaced by Scheduler when it invokes the target. */
export const SCHEDULER_PLACEHOLDERS = {
  scheduledTime: '<aws.scheduler.scheduled-time>',
  executionId: '<aws.scheduler.execution-id>',
  attemptNumber: '<aws.scheduler.attempt-number>',
} as const;

/** The Scheduler target `Input` for a job (a JSON string, placeholders left for Scheduler to fill). */
export function schedulerTargetInput(job: JobInput): string {
  return JSON.stringify({
    job,
    scheduledTime: SCHEDULER_PLACEHOLDERS.scheduledTime,
    executionId: SCHEDULER_PLACEHOLDERS.executionId,
    attemptNumber: SCHEDULER_PLACEHOLDERS.attemptNumber,
  });
}

/**
 * An EventBridge rule target input transformer for a job: keeps the Scheduled Event envelope (its `time`
 * is the due time) and puts the job under `detail.job`. String placeholders are quoted, as EventBridge
 * requires in a JSON template.
 */
export function ruleInputTransformer(job: JobInput): {
  inputPathsMap: Record<string, string>;
  inputTemplate: string;
} {
  return {
    inputPathsMap: {
      id: '$.id',
      time: '$.time',
      account: '$.account',
      region: '$.region',
      resources: '$.resources',
    },
    inputTemplate: `{"version":"0","id":"<id>","detail-type":"${SCHEDULED_EVENT.detailType}","source":"${SCHEDULED_EVENT.source}","account":"<account>","time":"<time>","region":"<region>","resources":<resources>,"detail":{"job":${JSON.stringify(job)}}}`,
  };
}
