import {
  LIFECYCLE_DETAIL_TYPE,
  LIFECYCLE_SOURCE,
  SCHEDULE_DETAIL_TYPE,
  SCHEDULE_SOURCE,
  SPOT_DETAIL_TYPE,
  SPOT_SOURCE,
} from '../../shared/drain/events';

export {
  LIFECYCLE_DETAIL_TYPE,
  LIFECYCLE_SOURCE,
  SCHEDULE_DETAIL_TYPE,
  SCHEDULE_SOURCE,
  SPOT_DETAIL_TYPE,
  SPOT_SOURCE,
};

/** Terminate lifecycle actions of the given groups (scale-in, refresh, replacement, warm-pool return). */
export function lifecycleActionPattern(groups: readonly string[]) {
  return {
    source: [LIFECYCLE_SOURCE],
    'detail-type': [LIFECYCLE_DETAIL_TYPE],
    detail: { AutoScalingGroupName: [...groups] },
  };
}

/** Spot interruption warnings; the handler keeps only instances of the configured groups. */
export const spotInterruptionPattern = {
  source: [SPOT_SOURCE],
  'detail-type': [SPOT_DETAIL_TYPE],
} as const;

/** The reconcile pass: finishes drains whose event was lost or whose invocation ran out of time. */
export const reconcileSchedule = { expression: 'rate(1 minute)' } as const;
