import { neverRan } from '../ecs/lifecycle';
import { TTL_SECONDS } from '../state/ttl';
import type { Classification } from './classify';
import { isIntentional, isInterruption } from './classify';
import type { TaskSnapshot } from './events';
import type { Category } from './taxonomy';

/** Why a stopped-task event needs no alert, before any classification. */
export type ScreenResult = 'not-stopped' | 'ran-then-stopped' | 'failed-to-start';

/**
 * Only tasks that stopped without ever running are failures to start. A task that ran and then
 * stopped is another story (crash, deployment) and not this function's business.
 */
export function screen(task: TaskSnapshot): ScreenResult {
  if (task.lastStatus !== 'STOPPED' && task.lastStatus !== 'DELETED') return 'not-stopped';
  return neverRan(task) ? 'failed-to-start' : 'ran-then-stopped';
}

export interface DecideOptions {
  alertOnIntentionalStops: boolean;
  alertOnHostInterruptions: boolean;
}

/**
 * Why a failure to start is not alerted, if it is not: a stop on purpose (a user, a deployment scaling
 * in pending tasks) or an instance that went away under it (Spot, host stop; ECS places a replacement),
 * unless configured to alert on those too.
 */
export function notReportable(
  classification: Classification,
  options: DecideOptions,
): 'intentional-stop' | 'host-interruption' | undefined {
  if (isIntentional(classification.category) && !options.alertOnIntentionalStops) return 'intentional-stop';
  if (isInterruption(classification.category) && !options.alertOnHostInterruptions)
    return 'host-interruption';
  return undefined;
}

/**
 * When the failure happened: the task's stoppedAt, so an event that arrives late (a lost event found by
 * the periodic pass, a retry) falls in the window of when it failed, not of when it was read. Processing
 * time when stoppedAt is missing, unreadable or in the future (a skewed clock).
 */
export function failureTime(task: Pick<TaskSnapshot, 'stoppedAt'>, now: number): number {
  const at = task.stoppedAt === undefined ? Number.NaN : Date.parse(task.stoppedAt);
  return Number.isNaN(at) || at > now ? now : at;
}

export type Severity = 'critical' | 'warning' | 'info';
export type AlertStatus = 'firing' | 'resolved';

/** Categories that ECS's own retries usually get past (Fargate capacity, agent or Docker hiccups). */
const TRANSIENT: readonly Category[] = ['capacity', 'platform-internal'];

/**
 * The severity a filter policy routes on (README: "Severity"):
 * - `critical`: a service failing for a cause its scheduler's retries will not fix (bad image, denied
 *   secret, missing log group...): it stays short of its desired count until someone acts;
 * - `warning`: a task family or RunTask group (standalone tasks and jobs: no scheduler keeps trying), or
 *   a service failing for a transient cause (capacity, platform hiccups);
 * - `info`: stops on purpose and host interruptions (when alerting on them is turned on), and every
 *   resolved message.
 */
export function severityOf(category: Category, group: string, status: AlertStatus = 'firing'): Severity {
  if (status === 'resolved' || isIntentional(category) || isInterruption(category)) return 'info';
  if (!group.startsWith('service:') || TRANSIENT.includes(category)) return 'warning';
  return 'critical';
}

/** Where the alerts come from, in the `source` message attribute and in the JSON. */
export const ALERT_SOURCE = 'ecs-autopilot.detect-failed-start';

// --- State table layout (one table for the project; this function owns the `failure#` prefix) -------

// The keys and TTLs are the state package's (shared/state/keys.ts, ttl.ts), named here as before.
export type { ItemKey } from '../state/keys';
export { failureMarkerKey as markerKey } from '../state/keys';
export { ttlAt } from '../state/ttl';

/** Markers outlive EventBridge's 24 h of retries; incident items outlive their last failure by a week. */
export const MARKER_TTL_SECONDS = TTL_SECONDS.failureMarker;
export const PROBLEM_TTL_AFTER_WINDOW_SECONDS = TTL_SECONDS.incidentAfterWindow;

/** Progress of one task through count → alert, so a crashed invocation can be finished by another. */
export type MarkerStage = 'claimed' | 'counted' | 'done';

/** What a task's marker remembers of its count: the incident and episode it was counted in. */
export interface Counted {
  incidentPk: string;
  episode: number;
}

// --- Lifecycle of a problem: firing -> repeating (backing off) -> resolved -----------------------

/**
 * One problem ("incident"): the failures of one root cause in one cluster, across the services and task
 * families it hits. Its key is (cluster, category, cause): the cause detail (the secret, the registry,
 * the image repository, the file system...) when the category names one that services share, else the
 * service or family itself.
 */
export interface IncidentRef {
  pk: string;
  cluster: string;
  clusterArn: string;
  category: Category;
  /** What the failures share: `group:service:api`, `secret:arn:...`, `registry:docker.io`... */
  causeKey: string;
  /** The cause in a few words for people (`secret db-password`), when shared across groups. */
  causeLabel?: string;
}

/** The latest failure of one service or family in the incident, and how many it had. */
export interface IncidentMember {
  group: string;
  family: string;
  failures: number;
  firstFailureAt: number;
  lastFailureAt: number;
  lastTaskArn: string;
  /** The per-task alert of its latest failure (already redacted): what failed, why, the fix, links. */
  detail?: { subject: string; text: string; data: Record<string, unknown> };
}

export type IncidentState = 'pending' | 'firing' | 'resolved';

export interface Incident extends IncidentRef {
  episode: number;
  state: IncidentState;
  /** When the first failure of this episode happened (stoppedAt). */
  episodeStartedAt: number;
  lastFailureAt: number;
  /** Failures in this episode, and in all episodes. */
  failures: number;
  totalFailures: number;
  /** Failures the last message already told about. */
  notifiedFailures: number;
  alertsSent: number;
  /** When the next message may go: the end of the grouping wait, then of each repeat interval. */
  dueAt: number;
  lastAlertAt?: number;
  resolvedAt?: number;
  /** This episode followed a quiet one: when that one ended (resolved, or its last failure). */
  recurredAfter?: number;
  sendingBy?: string;
  sendingUntil?: number;
  /** The latest task counted. */
  lastTaskArn?: string;
  /**
   * Tasks counted here whose invocation has not yet marked them done: the count and this entry are one
   * write, so a takeover of such a task knows it was counted, whatever happened after.
   */
  counting?: readonly string[];
  /** The subject of its first message, kept for all the others (mail threads). */
  subject?: string;
  members: IncidentMember[];
}

/** A quiet this long ends an episode even when no resolved message could be sent (a deleted service). */
export const EPISODE_EXPIRY_MS = 24 * 3600 * 1000;
/** Repeats back off to this interval at most. */
export const REPEAT_MAX_MS = 4 * 3600 * 1000;

/**
 * How long after the n-th message of an episode the next one may go: the window (15 min by default),
 * then twice it, four times it, then every 4 hours (Alertmanager's repeat_interval default).
 */
export function repeatAfterMs(messagesSent: number, windowSeconds: number): number {
  const base = windowSeconds * 1000;
  if (messagesSent <= 1) return base;
  if (messagesSent === 2) return 2 * base;
  if (messagesSent === 3) return 4 * base;
  return Math.max(REPEAT_MAX_MS, 4 * base);
}

/** What the next message of an incident is. */
export type MessageKind = 'new' | 'recurred' | 'repeat' | 'resolved';

export function messageKindOf(incident: Pick<Incident, 'state' | 'recurredAfter'>): MessageKind {
  if (incident.state === 'pending') return incident.recurredAfter === undefined ? 'new' : 'recurred';
  return 'repeat';
}

/**
 * Whether the periodic pass owes a firing message now: the grouping wait is over and nothing was sent
 * (the invocation that opened it died), or a repeat is due and failures came since the last message.
 */
export function owesFiring(incident: Incident, now: number): boolean {
  if (incident.state === 'resolved' || incident.dueAt > now) return false;
  if (incident.sendingUntil !== undefined && incident.sendingUntil > now) return false;
  return incident.state === 'pending' || incident.failures > incident.notifiedFailures;
}

/** Quiet long enough to ask whether the services and families are healthy again. */
export function quietSince(incident: Incident, now: number, windowSeconds: number): boolean {
  return incident.state === 'firing' && now - incident.lastFailureAt >= windowSeconds * 1000;
}

const imageRepository = (image: string) =>
  image.replace(/@sha256:[0-9a-f]+$/i, '').replace(/:[\w][\w.-]*$/, '');
const imageRegistry = (image: string) => {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && /[.:]|^localhost$/.test(first) ? first : 'docker.io';
};

/**
 * The cause a wave of failures shares, from the classifier's facts: one secret denied to 30 services,
 * one registry refusing pulls, one repository missing a tag, one file system, one target group; a
 * cluster's Fargate capacity or network path. Otherwise the service or family alone.
 */
export function causeOf(
  category: Category,
  facts: Readonly<Record<string, string>>,
  group: string,
): { key: string; label?: string } {
  const own = { key: `group:${group}` };
  switch (category) {
    case 'secrets':
      return facts.secret
        ? { key: `secret:${facts.secret}`, label: `secret ${facts.secret.split(':').pop()}` }
        : own;
    case 'registry-auth':
      return facts.image
        ? { key: `registry:${imageRegistry(facts.image)}`, label: `registry ${imageRegistry(facts.image)}` }
        : own;
    case 'image-pull':
      return facts.image
        ? { key: `image:${imageRepository(facts.image)}`, label: `image ${imageRepository(facts.image)}` }
        : own;
    case 'storage':
      return facts.fileSystem
        ? { key: `fs:${facts.fileSystem}`, label: `file system ${facts.fileSystem}` }
        : own;
    case 'health-check':
      return facts.targetGroup
        ? {
            key: `tg:${facts.targetGroup}`,
            label: `target group ${facts.targetGroup.split('/').slice(-2, -1)[0] ?? facts.targetGroup}`,
          }
        : own;
    case 'capacity':
      return { key: 'cluster', label: 'capacity' };
    case 'network':
      return { key: 'cluster', label: 'network path' };
    default:
      return own;
  }
}
