/**
 * The disruption budget (issue #24), as a PodDisruptionBudget is to a Kubernetes node drain: a drain
 * does not let its instance go while that would take a REPLICA service below its minimumHealthyPercent
 * of the desired count, or to zero running tasks. Counted per cluster: only RUNNING tasks on container
 * instances that stay (not DRAINING) are counted as surviving, so two instances leaving at once cannot
 * each count on the other's tasks.
 */
import { MAX_ACTION_MS } from './record';

/** One REPLICA service with tasks still on the leaving instance, as observed. */
export interface ServiceBudgetInput {
  name: string;
  desiredCount: number;
  /** The service's deploymentConfiguration.minimumHealthyPercent (ECS's default for REPLICA is 100). */
  minimumHealthyPercent: number;
  /** Its tasks RUNNING on container instances that stay (ACTIVE): what is left once the leaving ones go. */
  runningOnStaying: number;
  /** Its tasks on this instance not yet STOPPED. */
  onInstance: number;
  /** A recent service event says ECS could not place a task (no instance with room). */
  unableToPlace?: boolean | undefined;
}

/** The Auto Scaling group that would give the replacements their room. */
export interface GroupRoom {
  desiredCapacity: number;
  maxSize: number;
}

export interface BudgetInput {
  services: readonly ServiceBudgetInput[];
  group?: GroupRoom | undefined;
}

export type BlockReason = 'below-minimum' | 'to-zero';

export interface BlockedService {
  name: string;
  desiredCount: number;
  minimumHealthy: number;
  /** RUNNING tasks left if the instance went now. */
  runningAfter: number;
  onInstance: number;
  reason: BlockReason;
}

export interface BudgetVerdict {
  blocked: BlockedService[];
  /** Why the replacements have nowhere to go, as far as the observation tells. */
  why: string[];
}

/** ECS's minimum healthy count: ceil(desired × minimumHealthyPercent / 100) (Amazon ECS deployment configuration). */
export function minimumHealthy(desiredCount: number, minimumHealthyPercent: number): number {
  return Math.ceil((Math.max(0, desiredCount) * Math.max(0, minimumHealthyPercent)) / 100);
}

/** The services this instance's going would take below their minimum or to zero, with why. */
export function checkBudget(input: BudgetInput): BudgetVerdict {
  const blocked: BlockedService[] = [];
  for (const service of input.services) {
    if (service.onInstance <= 0 || service.desiredCount <= 0) continue;
    const minimum = minimumHealthy(service.desiredCount, service.minimumHealthyPercent);
    const after = Math.max(0, service.runningOnStaying);
    const reason: BlockReason | undefined =
      after === 0 ? 'to-zero' : after < minimum ? 'below-minimum' : undefined;
    if (!reason) continue;
    blocked.push({
      name: service.name,
      desiredCount: service.desiredCount,
      minimumHealthy: minimum,
      runningAfter: after,
      onInstance: service.onInstance,
      reason,
    });
  }
  blocked.sort((a, b) => a.name.localeCompare(b.name));
  const why: string[] = [];
  if (blocked.length === 0) return { blocked, why };
  const names = new Set(blocked.map((service) => service.name));
  const unplaced = input.services.filter((service) => names.has(service.name) && service.unableToPlace);
  if (unplaced.length > 0)
    why.push(
      `no room to place replacements: ECS reports it was unable to place tasks of ${unplaced.map((s) => s.name).join(', ')}`,
    );
  if (input.group && input.group.desiredCapacity >= input.group.maxSize)
    why.push(`the Auto Scaling group is at its maximum size (${input.group.maxSize})`);
  if (why.length === 0) why.push('replacements are not RUNNING yet on instances that stay');
  return { blocked, why };
}

/** One line per blocked service, for logs and plans. */
export function describeBlocked(service: BlockedService): string {
  const floor =
    service.reason === 'to-zero'
      ? 'zero running tasks'
      : `below its minimum of ${service.minimumHealthy} (desired ${service.desiredCount})`;
  return `${service.name}: ${service.onInstance} task(s) here, ${service.runningAfter} RUNNING on instances that stay: going now would take it to ${floor}`;
}

/**
 * How old a drain must be before its budget is read (each read costs a few ECS calls): ECS normally
 * starts replacements within a minute or two, so a service still short on staying instances after this
 * is blocked, not slow. At the deadline it is read whatever the age.
 */
export const BUDGET_CHECK_AFTER_MS = 5 * 60_000;

/** Margin kept before Auto Scaling's own limit, so the drain ends it with its warning, not the hook's default result. */
export const HOOK_LIMIT_MARGIN_MS = 10 * 60_000;

/**
 * Until when a drain the budget blocks is held past its deadline (epoch ms): the operator's blocked-drain
 * deadline, never past Auto Scaling's limit for one lifecycle action, min(48 h, 100 × heartbeat timeout)
 * (Amazon EC2 Auto Scaling lifecycle hooks), less a margin; never before the ordinary deadline. With the
 * hook's timeout unknown the hold cannot be bounded safely: none.
 */
export function holdUntil(input: {
  startedAt: number;
  deadlineSeconds: number;
  blockedDeadlineSeconds: number;
  heartbeatTimeoutSeconds: number | undefined;
}): number {
  const deadlineAt = input.startedAt + input.deadlineSeconds * 1000;
  if (input.heartbeatTimeoutSeconds === undefined) return deadlineAt;
  const hookLimitMs = Math.min(MAX_ACTION_MS, 100 * input.heartbeatTimeoutSeconds * 1000);
  const held =
    input.startedAt + Math.min(input.blockedDeadlineSeconds * 1000, hookLimitMs - HOOK_LIMIT_MARGIN_MS);
  return Math.max(deadlineAt, held);
}

/** An instance waiting on our hook whose container instance is still ACTIVE: waiting its turn to drain. */
export interface QueuedInstance {
  instanceId: string;
  /** Epoch ms its container instance registered; unknown sorts last. */
  registeredAt: number | undefined;
}

/**
 * The cap on instances of one cluster DRAINING at once (MAX_DRAINING_PER_CLUSTER): which queued
 * instances may be set DRAINING now, oldest instance first (then by id), so an instance refresh drains
 * in waves. Stateless and deterministic: every invocation with the same view picks the same ones, and
 * one that already took its turn counts as DRAINING for the others. A cap of 0 means no cap.
 */
export function drainingTurns(input: {
  cap: number;
  drainingCount: number;
  queued: readonly QueuedInstance[];
}): Set<string> {
  const ordered = [...input.queued].sort(
    (a, b) =>
      (a.registeredAt ?? Number.POSITIVE_INFINITY) - (b.registeredAt ?? Number.POSITIVE_INFINITY) ||
      a.instanceId.localeCompare(b.instanceId),
  );
  if (input.cap <= 0) return new Set(ordered.map((item) => item.instanceId));
  const slots = Math.max(0, input.cap - input.drainingCount);
  return new Set(ordered.slice(0, slots).map((item) => item.instanceId));
}
