import {
  SCHEDULE_DETAIL_TYPE,
  SCHEDULE_SOURCE,
  TASK_STATE_DETAIL_TYPE,
  TASK_STATE_SOURCE,
} from '../../shared/failed-start/events';

export { SCHEDULE_DETAIL_TYPE, SCHEDULE_SOURCE, TASK_STATE_DETAIL_TYPE, TASK_STATE_SOURCE };

/**
 * Stopped tasks that may never have run: stopCode TaskFailedToStart, or no startedAt. The rule drops
 * the far more numerous stops of tasks that ran (deployments, scale-in, jobs that finished); the
 * function still checks every event itself.
 */
export const stoppedBeforeRunningPattern = {
  source: [TASK_STATE_SOURCE],
  'detail-type': [TASK_STATE_DETAIL_TYPE],
  detail: {
    lastStatus: ['STOPPED'],
    $or: [{ stopCode: ['TaskFailedToStart'] }, { startedAt: [{ exists: false }] }],
  },
} as const;

/**
 * The reconcile pass: lists each cluster's stopped tasks (ECS keeps them about an hour) and runs those
 * that never ran through the same idempotent path, so a lost event or a crashed invocation still ends
 * in one alert.
 */
export const reconcileSchedule = { expression: 'rate(5 minutes)' } as const;
