import * as z from 'zod';
import { BadEventError } from '../runtime/errors';

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

// Objects strip unknown keys rather than rejecting them: AWS adds fields to events without notice.
const envelope = z.object({
  source: nonEmpty,
  'detail-type': nonEmpty,
  time: z.string().optional(),
  detail: z.record(z.string(), z.unknown()),
});

const lifecycleDetail = z.object({
  AutoScalingGroupName: nonEmpty,
  LifecycleHookName: nonEmpty,
  EC2InstanceId: instanceId,
  LifecycleActionToken: nonEmpty,
  LifecycleTransition: nonEmpty,
  NotificationMetadata: z.string().optional(),
  Origin: z.string().optional(),
  Destination: z.string().optional(),
});

const spotDetail = z.object({
  'instance-id': instanceId,
  'instance-action': z.string().optional(),
});

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
    const group = (event as Record<string, unknown>).AutoScalingGroupName;
    return { kind: 'test-notification', group: typeof group === 'string' ? group : undefined };
  }
  const { source, 'detail-type': detailType, time, detail } = parseWith('EventBridge event', envelope, event);
  if (source === LIFECYCLE_SOURCE && detailType === LIFECYCLE_DETAIL_TYPE) {
    if (isTestNotification(detail)) {
      const group = detail.AutoScalingGroupName;
      return { kind: 'test-notification', group: typeof group === 'string' ? group : undefined };
    }
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
