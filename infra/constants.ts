import { Duration } from 'aws-cdk-lib';

/** The terminate lifecycle hook the construct creates on each managed group. */
export const DEFAULT_HOOK_NAME = 'ecs-autopilot-drain';
/**
 * 90 minutes: an outage of drain-instance, its table or its schedule of up to an hour (plus a heartbeat
 * interval and a pass) kills no task; a dead automation holds a leaving instance that long after its
 * last heartbeat before the hook's CONTINUE (see functions/drain-instance/README.md).
 */
export const DEFAULT_HEARTBEAT_TIMEOUT = Duration.seconds(5400);
