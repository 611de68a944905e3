import * as z from 'zod';
import { BadEventError } from '../runtime/errors';
import {
  AUTO_SCALING_GROUP_NAME,
  AWS_LIMITS,
  cut,
  freeText,
  LIFECYCLE_HOOK_NAME,
  limited,
} from '../runtime/limits';

/** EventBridge sources and detail types this function reacts to; rules.ts builds its patterns from them. */
export const LIFECYCLE_SOURCE = 'aws.autoscaling';
export const LIFECYCLE_DETAIL_TYPE = 'EC2 Instance-terminate Lifecycle Action';
export const SPOT_SOURCE = 'aws.ec2';
export const SPOT_DETAIL_TYPE = 'EC2 Spot Instance Interruption Warning';
export const SCHEDULE_SOURCE = 'aws.events';
export const SCHEDULE_DETAIL_TYPE = 'Scheduled Event';

export const TERMINATING_TRANSITION = 'autoscaling:EC2_INSTANCE_TERMINATING';
export const TEST_NOTIFICATION = 'autoscaling:TEST_NOTIFICATION';

export type DrainEvent =
  | {
      kind: 'lifecycle';
      /** When the action started (the event's time), epoch ms; the hook's timer runs from here. */
      time: number | undefined;
      group: string;
      hook: string;
      instanceId: string;
      token: string;
      metadata: string | undefined;
      /** `WarmPool` when the instance goes back to the warm pool instead of being terminated. */
      destination: string | undefined;
    }
  | { kind: 'test-notification'; group: string | undefined }
  | { kind: 'not-terminating'; group: string; instanceId: string | undefined; transition: string }
  | { kind: 'spot'; time: number | undefined; instanceId: string; action: string }
  | { kind: 'reconcile'; time: number | undefined };

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const instanceId = z.string().regex(INSTANCE_ID, 'expected an EC2 instance id such as i-0a1b2c3d4e5f60001');
const nonEmpty = z.string().trim().min(1, 'expected a non-empty string');
const bounded = (max: number, what: string) =>
  limited(max, what).trim().min(1, 'expected a non-empty string');

// Objects strip unknown keys rather than rejecting them: AWS adds fields to events without notice.
const envelope = z.object({
  source: bounded(AWS_LIMITS.eventSource, 'source'),
  'detail-type': bounded(AWS_LIMITS.eventDetailType, 'detail-type'),
  time: freeText().optional(),
  detail: z.record(z.string(), z.unknown()),
});

// Names and the token go back to Auto Scaling in CompleteLifecycleAction: held to what it accepts.
const lifecycleDetail = z.object({
  AutoScalingGroupName: bounded(AWS_LIMITS.autoScalingName, 'AutoScalingGroupName').regex(
    AUTO_SCALING_GROUP_NAME,
    'expected an Auto Scaling group name (no control characters)',
  ),
  LifecycleHookName: bounded(AWS_LIMITS.autoScalingName, 'LifecycleHookName').regex(
    LIFECYCLE_HOOK_NAME,
    'expected a lifecycle hook name (letters, digits, "-", "_", "/")',
  ),
  EC2InstanceId: instanceId,
  LifecycleActionToken: z
    .string()
    .length(AWS_LIMITS.lifecycleActionToken, 'expected a lifecycle action token: a 36-character UUID'),
  // Compared with the transitions this function knows; any other is only reported.
  LifecycleTransition: nonEmpty.transform((text) => cut(text)),
  NotificationMetadata: limited(AWS_LIMITS.notificationMetadata, 'NotificationMetadata').optional(),
  Origin: freeText().optional(),
  Destination: freeText().optional(),
});

const spotDetail = z.object({
  'instance-id': instanceId,
  'instance-action': freeText().optional(),
});

/** The group a test notification names, when it names one: only reported, so cut. */
function groupOf(record: Record<string, unknown>): string | undefined {
  const group = record.AutoScalingGroupName;
  return typeof group === 'string' ? cut(group) : undefined;
}

function epochMs(time: string | undefined): number | undefined {
  if (time === undefined) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms;
}

function isTestNotification(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return record.Event === TEST_NOTIFICATION || record.LifecycleTransition === TEST_NOTIFICATION;
}

function parseWith<T extends z.ZodType>(source: string, schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw BadEventError.fromZod(source, result.error);
  return result.data;
}

/**
 * Classifies an incoming event. Throws BadEventError for anything this function cannot act on: not an
 * EventBridge event, a source or detail type it is not subscribed to, or a detail missing what it needs.
 */
export function parseDrainEvent(event: unknown): DrainEvent {
  // Auto Scaling's test message, as EventBridge or as the raw notification a queue would carry.
  if (isTestNotification(event)) {
    return { kind: 'test-notification', group: groupOf(event as Record<string, unknown>) };
  }
  const { source, 'detail-type': detailType, time, detail } = parseWith('EventBridge event', envelope, event);
  if (source === LIFECYCLE_SOURCE && detailType === LIFECYCLE_DETAIL_TYPE) {
    if (isTestNotification(detail)) return { kind: 'test-notification', group: groupOf(detail) };
    const parsed = parseWith(
      'lifecycle action event',
      z.object({ detail: lifecycleDetail.partial({ LifecycleActionToken: true }) }),
      { detail },
    ).detail;
    if (parsed.LifecycleTransition !== TERMINATING_TRANSITION) {
      return {
        kind: 'not-terminating',
        group: parsed.AutoScalingGroupName,
        instanceId: parsed.EC2InstanceId,
        transition: parsed.LifecycleTransition,
      };
    }
    const action = parseWith('lifecycle action event', z.object({ detail: lifecycleDetail }), {
      detail,
    }).detail;
    return {
      kind: 'lifecycle',
      time: epochMs(time),
      group: action.AutoScalingGroupName,
      hook: action.LifecycleHookName,
      instanceId: action.EC2InstanceId,
      token: action.LifecycleActionToken,
      metadata: action.NotificationMetadata,
      destination: action.Destination,
    };
  }
  if (source === SPOT_SOURCE && detailType === SPOT_DETAIL_TYPE) {
    const spot = parseWith('Spot interruption warning', z.object({ detail: spotDetail }), { detail }).detail;
    return {
      kind: 'spot',
      time: epochMs(time),
      instanceId: spot['instance-id'],
      action: spot['instance-action'] ?? 'terminate',
    };
  }
  if (source === SCHEDULE_SOURCE && detailType === SCHEDULE_DETAIL_TYPE) {
    return { kind: 'reconcile', time: epochMs(time) };
  }
  throw new BadEventError('EventBridge event', [
    {
      path: 'detail-type',
      message: `drain-instance does not handle "${detailType}" from "${source}"; it handles "${LIFECYCLE_DETAIL_TYPE}" (${LIFECYCLE_SOURCE}), "${SPOT_DETAIL_TYPE}" (${SPOT_SOURCE}) and "${SCHEDULE_DETAIL_TYPE}" (${SCHEDULE_SOURCE})`,
    },
  ]);
}

/** Enough of a lifecycle token to match it in logs, never the whole secret-like value. */
export function maskToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  return token.length <= 8 ? '…' : `${token.slice(0, 8)}…`;
}
