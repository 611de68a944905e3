/**
 * Auto Scaling's launches, as its scaling activities record them: whether the desired capacity it has
 * not launched yet is on the way, or its launches keep failing.
 */
import type { Activity } from '@aws-sdk/client-auto-scaling';
import type { LaunchFailure } from './snapshot';

/** Auto Scaling's description of a launch activity, successful or not. */
const LAUNCH_ACTIVITY = /^Launching a new EC2 instance/i;
const FAILED_ACTIVITY = new Set(['Failed', 'Cancelled']);

/**
 * Launches that failed since the last launch that did not (one that succeeded or is under way),
 * newest first, among the activities since the boot timeout: while there are any, Auto Scaling is not
 * launching the desired capacity it has not launched yet (InsufficientInstanceCapacity, an invalid
 * launch template, a subnet out of addresses, no Spot capacity).
 */
export function launchFailuresOf(activities: readonly Activity[], since: number): LaunchFailure[] {
  const launches = activities
    .filter((activity) => LAUNCH_ACTIVITY.test(activity.Description ?? '') && activity.StartTime)
    .filter((activity) => (activity.StartTime as Date).getTime() >= since)
    .sort((a, b) => (b.StartTime as Date).getTime() - (a.StartTime as Date).getTime());
  const failures: LaunchFailure[] = [];
  for (const activity of launches) {
    if (!FAILED_ACTIVITY.has(activity.StatusCode ?? '')) break;
    failures.push({
      at: (activity.StartTime as Date).toISOString(),
      status: activity.StatusCode as string,
      message: activity.StatusMessage ?? activity.Description ?? 'no status message',
    });
  }
  return failures;
}
