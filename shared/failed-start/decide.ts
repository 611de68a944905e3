import { neverRan } from '../ecs/lifecycle';
import type { Repeats } from './alert';
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

export interface ItemKey {
  pk: string;
  sk: string;
}

/** One item per stopped task: it is counted once whatever its version, duplicates or event order. */
export const markerKey = (taskArn: string): ItemKey => ({ pk: `failure#task#${taskArn}`, sk: 'task' });

/** One item per problem: (cluster, group, category). */
export const problemKey = (
  task: Pick<TaskSnapshot, 'clusterArn' | 'group'>,
  category: Category,
): ItemKey => ({
  pk: `failure#${task.clusterArn}#${task.group}#${category}`,
  sk: 'window',
});

/** Markers outlive EventBridge's 24 h of retries; problem items outlive their quiet window by a week. */
export const MARKER_TTL_SECONDS = 2 * 24 * 3600;
export const PROBLEM_TTL_AFTER_WINDOW_SECONDS = 7 * 24 * 3600;

export const ttlAt = (epochMs: number, afterSeconds: number) => Math.ceil(epochMs / 1000) + afterSeconds;

/** Progress of one task through count → alert, so a crashed invocation can be finished by another. */
export type MarkerStage = 'claimed' | 'counted' | 'done';

/** What the problem window said about this failure. */
export type CountOutcome =
  | { kind: 'alert'; repeats: Repeats }
  | { kind: 'suppressed'; failedInWindow: number; quietUntil: number; lastAlertAt: number };

/** The problem item as stored. */
export interface ProblemWindow {
  windowStartedAt?: number;
  quietUntil?: number;
  suppressed?: number;
}

/** Reads the update's old item when a window was (re)opened: the first failure after the quiet time. */
export function openedWindow(
  old: ProblemWindow | undefined,
  now: number,
  windowSeconds: number,
): CountOutcome {
  const quietUntil = now + windowSeconds * 1000;
  const failedMeanwhile = old?.suppressed ?? 0;
  if (old?.windowStartedAt === undefined || failedMeanwhile === 0) {
    return { kind: 'alert', repeats: { kind: 'first', windowSeconds, quietUntil } };
  }
  return {
    kind: 'alert',
    repeats: { kind: 'again', failedMeanwhile, lastAlertAt: old.windowStartedAt, windowSeconds, quietUntil },
  };
}

/** What a dry run would do with this failure, from a read of the problem item. */
export function predict(window: ProblemWindow | undefined, now: number, windowSeconds: number): CountOutcome {
  if (window?.quietUntil !== undefined && window.quietUntil > now) {
    return {
      kind: 'suppressed',
      failedInWindow: (window.suppressed ?? 0) + 1,
      quietUntil: window.quietUntil,
      lastAlertAt: window.windowStartedAt ?? now,
    };
  }
  return openedWindow(window, now, windowSeconds);
}
