/**
 * Size limits for what events carry. Identifiers get the maximum AWS documents for them and are refused
 * past it (AWS never sends longer, and would refuse them in a call anyway). Free text is accepted at any
 * length and cut, with a visible marker, before it reaches an alert, a state-table item or a log field.
 */
import * as z from 'zod';

/**
 * Free text is cut past this many characters. ECS keeps stoppedReason and container reasons up to 1024
 * characters (shared/failed-start/classify.ts ECS_REASON_MAX), so real text is never cut; a hostile 200 KB string
 * becomes about 1 KB, and an alert (sent as six copies in one SNS message) stays far under 256 KB.
 */
export const TEXT_MAX = 1024;

/** Documented maxima of the identifiers the functions read from events (characters). */
export const AWS_LIMITS = {
  /** PutEvents: Source 1-256, DetailType 1-128, each Resources entry 0-2048. */
  eventSource: 256,
  eventDetailType: 128,
  eventResource: 2048,
  /** EventBridge event ids and Scheduler execution ids are 36-character UUIDs; 128 leaves room for other invokers. */
  eventId: 128,
  /** ECS cluster, service, family, container and capacity provider names: 1-255 letters, digits, - and _. */
  ecsName: 255,
  /** RunTask/StartTask startedBy: up to 128 characters. */
  startedBy: 128,
  /** Task group: up to 255 characters (task-groups.html), `service:` + a 255-character service name. */
  taskGroup: 'service:'.length + 255,
  /** Auto Scaling group names (CreateAutoScalingGroup: XmlStringMaxLen255) and hook names (AsciiStringMaxLen255). */
  autoScalingName: 255,
  /** CompleteLifecycleAction/RecordLifecycleActionHeartbeat: LifecycleActionToken, fixed length 36 (a UUID). */
  lifecycleActionToken: 36,
  /** PutLifecycleHook: NotificationMetadata 1-1023. */
  notificationMetadata: 1023,
} as const;

/** `…[cut, N more characters]`, never splitting a surrogate pair. */
export function cut(text: string, max = TEXT_MAX): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…[cut, ${text.length - end} more characters]`;
}

/** A string field of free text: any length accepted, cut to {@link TEXT_MAX}. */
export const freeText = () => z.string().transform((text) => cut(text));

/** A string of at most `max` characters; the refusal says which limit. */
export const limited = (max: number, what: string) =>
  z.string().max(max, `${what} is longer than ${max} characters, the most AWS allows`);

const PARTITION = 'arn:aws[a-z-]{0,16}';
const REGION = '[a-z0-9-]{1,32}';
const ECS_NAME = `[A-Za-z0-9_-]{1,${AWS_LIMITS.ecsName}}`;
const ECS_ARN_PREFIX = `${PARTITION}:ecs:${REGION}:\\d{12}:`;

/**
 * ECS identifiers, bounded part by part so a key built from them stays within DynamoDB's key sizes.
 * Task ids are 32 hex digits (older ARNs: a 36-character UUID); 255 leaves room for any future form.
 */
export const ECS_PATTERNS = {
  name: new RegExp(`^${ECS_NAME}$`),
  clusterArn: new RegExp(`^${ECS_ARN_PREFIX}cluster/(${ECS_NAME})$`),
  clusterNameOrArn: new RegExp(`^(?:${ECS_ARN_PREFIX}cluster/)?(${ECS_NAME})$`),
  taskArn: new RegExp(`^${ECS_ARN_PREFIX}task/(?:${ECS_NAME}/)?${ECS_NAME}$`),
  taskDefinitionArn: new RegExp(`^${ECS_ARN_PREFIX}task-definition/${ECS_NAME}:\\d{1,10}$`),
  containerInstanceArn: new RegExp(`^${ECS_ARN_PREFIX}container-instance/(?:${ECS_NAME}/)?${ECS_NAME}$`),
  capacityProviderArn: new RegExp(`^${ECS_ARN_PREFIX}capacity-provider/${ECS_NAME}$`),
} as const;

/** Auto Scaling's character set for group names: XML characters, no other control characters. */
export const AUTO_SCALING_GROUP_NAME = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]+$/u;
/** Lifecycle hook names: letters, digits, `-`, `_` and `/`. */
export const LIFECYCLE_HOOK_NAME = /^[A-Za-z0-9\-_/]+$/;
