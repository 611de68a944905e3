import { Duration } from 'aws-cdk-lib';

/** The terminate lifecycle hook the construct creates on each managed group. */
export const DEFAULT_HOOK_NAME = 'ecs-autopilot-drain';
export const DEFAULT_HEARTBEAT_TIMEOUT = Duration.seconds(300);
