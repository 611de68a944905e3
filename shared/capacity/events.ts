/**
 * The events scale-capacity reacts to. Each only says "look at this cluster now": every pass reads
 * fresh state, so a duplicate, late or lost event changes when a decision is made, never what it is.
 */
import * as z from 'zod';
import { BadEventError } from '../runtime/errors';
import { AWS_LIMITS, cut, ECS_PATTERNS, limited } from '../runtime/limits';

export const SCHEDULE_SOURCE = 'aws.events';
export const SCHEDULE_DETAIL_TYPE = 'Scheduled Event';
export const ECS_SOURCE = 'aws.ecs';
export const TASK_STATE_DETAIL_TYPE = 'ECS Task State Change';
export const SERVICE_ACTION_DETAIL_TYPE = 'ECS Service Action';
export const PLACEMENT_FAILURE = 'SERVICE_TASK_PLACEMENT_FAILURE';
/** A capacity request announced on a bus (the state-table item is what counts; this only wakes us). */
export const REQUEST_SOURCE = 'ecs-autopilot';
export const REQUEST_DETAIL_TYPE = 'Capacity Request';

export type CapacityEvent =
  | { kind: 'tick'; time: number | undefined }
  | {
      kind: 'provisioning';
      time: number | undefined;
      cluster: string;
      capacityProvider: string | undefined;
      taskArn: string;
      /** `service:NAME` or `family:NAME`, when the event says. */
      group: string | undefined;
    }
  | {
      kind: 'placement-failure';
      time: number | undefined;
      cluster: string;
      capacityProviders: string[];
      service: string | undefined;
      reason: string | undefined;
    }
  | { kind: 'request'; time: number | undefined; cluster: string; capacityProvider: string | undefined }
  | { kind: 'ignored'; reason: string };

const nonEmpty = z.string().trim().min(1, 'expected a non-empty string');
const bounded = (max: number, what: string) =>
  limited(max, what).trim().min(1, 'expected a non-empty string');
/** Compared with known values, otherwise only reported: any length, cut. */
const reported = nonEmpty.transform((text) => cut(text));
const ecsId = (pattern: RegExp, example: string) =>
  z
    .string()
    .regex(pattern, `expected ${example} (names up to ${AWS_LIMITS.ecsName} letters, digits, "-", "_")`);
const clusterArn = ecsId(
  ECS_PATTERNS.clusterArn,
  'a cluster ARN such as arn:aws:ecs:us-east-1:123456789012:cluster/web',
);
const capacityProviderName = ecsId(ECS_PATTERNS.name, 'a capacity provider name');

// Unknown keys are stripped, not rejected: AWS adds event fields without notice.
const envelope = z.object({
  source: bounded(AWS_LIMITS.eventSource, 'source'),
  'detail-type': bounded(AWS_LIMITS.eventDetailType, 'detail-type'),
  time: z.string().optional(),
  resources: z.array(limited(AWS_LIMITS.eventResource, 'a resource')).optional(),
  detail: z.record(z.string(), z.unknown()),
});

// Empty optional names mean "none", as before.
const taskDetail = z.object({
  clusterArn,
  taskArn: ecsId(ECS_PATTERNS.taskArn, 'a task ARN such as arn:aws:ecs:us-east-1:123456789012:task/web/0123'),
  lastStatus: reported,
  group: z
    .string()
    .transform((text) => cut(text))
    .optional(),
  capacityProviderName: z.union([z.literal(''), capacityProviderName]).optional(),
  containerInstanceArn: z
    .union([z.literal(''), ecsId(ECS_PATTERNS.containerInstanceArn, 'a container instance ARN')])
    .optional(),
});

const serviceDetail = z.object({
  eventName: reported,
  clusterArn,
  capacityProviderArns: z
    .array(ecsId(ECS_PATTERNS.capacityProviderArn, 'a capacity provider ARN'))
    .optional(),
  reason: z
    .string()
    .transform((text) => cut(text))
    .optional(),
});

const requestDetail = z.object({
  cluster: ecsId(ECS_PATTERNS.clusterNameOrArn, 'a cluster name or ARN'),
  capacityProvider: z.union([z.literal(''), capacityProviderName]).optional(),
});

/** What run-scheduled-task says when it writes a capacity request; `*` (any group) is no provider. */
export interface RequestAnnouncementInput {
  cluster: string;
  capacityProvider: string;
  jobName: string;
  due: string;
  taskDefinition: string;
  cpu: number;
  memoryMiB: number;
  gpus: number;
  count: number;
}

/** The `Capacity Request` event for a request just written: scale-capacity passes at once, not at its next tick. */
export function requestAnnouncement(request: RequestAnnouncementInput) {
  const { capacityProvider, ...rest } = request;
  return {
    source: REQUEST_SOURCE,
    detailType: REQUEST_DETAIL_TYPE,
    detail: { ...rest, ...(capacityProvider === '*' ? {} : { capacityProvider }) },
  };
}

/** `arn:aws:ecs:...:cluster/web` or `web` -> `web`. */
export function nameFromArn(arnOrName: string): string {
  return arnOrName.slice(arnOrName.lastIndexOf('/') + 1);
}

function epochMs(time: string | undefined): number | undefined {
  if (time === undefined) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `at` is where `value` sits in the event, so a refusal names the field by its full path. */
function parseWith<T extends z.ZodType>(
  source: string,
  schema: T,
  value: unknown,
  at: PropertyKey[] = [],
): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw BadEventError.fromZod(source, result.error, at);
  return result.data;
}

/** Throws BadEventError for anything that is not one of the events above, well formed. */
export function parseCapacityEvent(event: unknown): CapacityEvent {
  const outer = parseWith('EventBridge event', envelope, event);
  const time = epochMs(outer.time);
  const source = outer.source;
  const detailType = outer['detail-type'];

  if (source === SCHEDULE_SOURCE && detailType === SCHEDULE_DETAIL_TYPE) return { kind: 'tick', time };

  if (source === ECS_SOURCE && detailType === TASK_STATE_DETAIL_TYPE) {
    const detail = parseWith(TASK_STATE_DETAIL_TYPE, taskDetail, outer.detail, ['detail']);
    if (detail.lastStatus !== 'PROVISIONING') {
      return { kind: 'ignored', reason: `task ${detail.taskArn} is ${detail.lastStatus}, not PROVISIONING` };
    }
    if (detail.containerInstanceArn) {
      return { kind: 'ignored', reason: `task ${detail.taskArn} is already placed on an instance` };
    }
    return {
      kind: 'provisioning',
      time,
      cluster: nameFromArn(detail.clusterArn),
      capacityProvider: detail.capacityProviderName || undefined,
      taskArn: detail.taskArn,
      group: detail.group || undefined,
    };
  }

  if (source === ECS_SOURCE && detailType === SERVICE_ACTION_DETAIL_TYPE) {
    const detail = parseWith(SERVICE_ACTION_DETAIL_TYPE, serviceDetail, outer.detail, ['detail']);
    if (detail.eventName !== PLACEMENT_FAILURE) {
      return { kind: 'ignored', reason: `service action ${detail.eventName} is not ${PLACEMENT_FAILURE}` };
    }
    const serviceArn = outer.resources?.find((arn) => arn.includes(':service/'));
    return {
      kind: 'placement-failure',
      time,
      cluster: nameFromArn(detail.clusterArn),
      capacityProviders: (detail.capacityProviderArns ?? []).map(nameFromArn),
      service: serviceArn ? nameFromArn(serviceArn) : undefined,
      reason: detail.reason,
    };
  }

  if (source === REQUEST_SOURCE && detailType === REQUEST_DETAIL_TYPE) {
    const detail = parseWith(REQUEST_DETAIL_TYPE, requestDetail, outer.detail, ['detail']);
    return {
      kind: 'request',
      time,
      cluster: nameFromArn(detail.cluster),
      capacityProvider: detail.capacityProvider || undefined,
    };
  }

  throw new BadEventError('EventBridge event', [
    {
      path: 'detail-type',
      message: `expected a Scheduled Event, ${TASK_STATE_DETAIL_TYPE} (PROVISIONING), ${SERVICE_ACTION_DETAIL_TYPE} (${PLACEMENT_FAILURE}) or ${REQUEST_DETAIL_TYPE}; got ${source} / ${detailType}`,
    },
  ]);
}
