import {
  ECS_SOURCE,
  PLACEMENT_FAILURE,
  REQUEST_DETAIL_TYPE,
  REQUEST_SOURCE,
  SCHEDULE_DETAIL_TYPE,
  SCHEDULE_SOURCE,
  SERVICE_ACTION_DETAIL_TYPE,
  TASK_STATE_DETAIL_TYPE,
} from '../../shared/capacity/events';

export {
  ECS_SOURCE,
  PLACEMENT_FAILURE,
  REQUEST_DETAIL_TYPE,
  REQUEST_SOURCE,
  SCHEDULE_DETAIL_TYPE,
  SCHEDULE_SOURCE,
  SERVICE_ACTION_DETAIL_TYPE,
  TASK_STATE_DETAIL_TYPE,
};

/** Tasks waiting for capacity (not yet on an instance) in the given clusters (ARNs). */
export function provisioningTaskPattern(clusterArns: readonly string[]) {
  return {
    source: [ECS_SOURCE],
    'detail-type': [TASK_STATE_DETAIL_TYPE],
    detail: {
      clusterArn: [...clusterArns],
      lastStatus: ['PROVISIONING'],
      containerInstanceArn: [{ exists: false }],
    },
  };
}

/** A service could not place a task: a scale-out is decided seconds later rather than at the next tick. */
export function placementFailurePattern(clusterArns: readonly string[]) {
  return {
    source: [ECS_SOURCE],
    'detail-type': [SERVICE_ACTION_DETAIL_TYPE],
    detail: { clusterArn: [...clusterArns], eventName: [PLACEMENT_FAILURE] },
  };
}

/**
 * A capacity request announced on the bus (optional: the request itself is the state-table item that
 * run-scheduled-task writes, and the tick reads it anyway).
 */
export const capacityRequestPattern = {
  source: [REQUEST_SOURCE],
  'detail-type': [REQUEST_DETAIL_TYPE],
} as const;

/** The reconcile pass: every decision is re-made from fresh state each minute. */
export const reconcileSchedule = { expression: 'rate(1 minute)' } as const;
