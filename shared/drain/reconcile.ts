import { type DrainRecord, isEarlierAction, isOpen, leaseHeldByOther } from './record';

/** One instance waiting in a lifecycle wait state, on a group that has one of our hooks. */
export interface KeepAliveCandidate {
  instanceId: string;
  /** The hook's heartbeat timeout in seconds. */
  heartbeatTimeoutSeconds: number;
}

/**
 * What our hook said of an instance in this pass, before the state table was read:
 * - `ours`: a heartbeat on our hook just went through: the instance waits on it;
 * - `recent`: this container's heartbeat went through less than an interval ago (not asked again);
 * - `not-ours`: Auto Scaling answered "no active lifecycle action" on our hook (another hook holds it,
 *   or our action ended);
 * - `unknown`: not asked (dry run) or the call failed.
 */
export type HookAnswer = 'ours' | 'recent' | 'not-ours' | 'unknown';

export interface ReconcileCandidate extends KeepAliveCandidate {
  /** Its Auto Scaling lifecycle state now. */
  state: string;
  answer: HookAnswer;
  /** Epoch ms of the last heartbeat this container knows of (this pass's or a recent one). */
  beatAt: number | undefined;
  /** The drain recorded for it; undefined when none, or when the state table could not be read. */
  record: DrainRecord | undefined;
}

export interface ReconcilePlanInput<T extends ReconcileCandidate> {
  candidates: readonly T[];
  /** This invocation, as a lease holder. */
  owner: string;
  now: number;
  /** Dry run: nothing was asked; an instance with no drain is planned as if it were ours. */
  dryRun: boolean;
}

export interface ReconcilePlan<T extends ReconcileCandidate> {
  /** Held by a live invocation's lease: its work already. */
  elsewhere: T[];
  /** Our action ended under an open drain (expired, completed by someone else): a lost hook to report. */
  lost: T[];
  /** Waits on someone else's hook, with no open drain of ours. */
  notOurs: T[];
  /** Neither a drain nor an answer (the heartbeat failed, or was not due): the next pass asks again. */
  unknown: T[];
  /**
   * Full steps (the ECS calls), most urgent first, bounded by the caller: instances our heartbeat just
   * found waiting with no drain of their action (a lost event), then open drains by when their hook
   * expires, soonest first.
   */
  steps: T[];
  /** Of `steps`, those our heartbeat found with no drain of their current action. */
  found: T[];
}

/** The longest time between two heartbeats of a hook: the configured interval, at most a third of its timeout. */
export function heartbeatIntervalFor(configuredSeconds: number, heartbeatTimeoutSeconds: number): number {
  return Math.max(1, Math.min(configuredSeconds, Math.floor(heartbeatTimeoutSeconds / 3)));
}

/** Whether the record is a drain of the action the instance waits on now (open, not an earlier action). */
export function isCurrentDrain(record: DrainRecord | undefined, now: number): record is DrainRecord {
  return record !== undefined && isOpen(record) && !isEarlierAction(record, undefined, now);
}

/** Epoch ms the hook's action expires unless its timer is restarted; -Infinity when unknown. */
export function hookExpiresAt(restartedAt: number | undefined, heartbeatTimeoutSeconds: number): number {
  return restartedAt === undefined ? Number.NEGATIVE_INFINITY : restartedAt + heartbeatTimeoutSeconds * 1000;
}

/** The latest restart of the hook's timer known: the record's heartbeat or this container's. */
export function lastRestart(candidate: Pick<ReconcileCandidate, 'beatAt' | 'record'>): number | undefined {
  const times = [candidate.beatAt, candidate.record?.lastHeartbeatAt].filter((at) => at !== undefined);
  return times.length > 0 ? Math.max(...times) : undefined;
}

export interface HeartbeatsDueInput<T extends KeepAliveCandidate> {
  candidates: readonly T[];
  /** This container's last successful heartbeat per instance (epoch ms). */
  lastBeats: ReadonlyMap<string, number>;
  now: number;
  /** HEARTBEAT_INTERVAL_SECONDS; capped per hook at a third of its timeout. */
  heartbeatIntervalSeconds: number;
  /** Time until the next pass can reach an instance (the schedule's period). */
  periodSeconds: number;
}

/**
 * The first thing a reconcile pass does, from Auto Scaling's view alone (no state table): a heartbeat
 * on our hook for every waiting instance, unless this container's own heartbeat went through recently
 * enough that the next pass is still in time. Those never heartbeated here (a lost event, a cold
 * container, a drain run elsewhere) come first, then by when their hook would expire. The heartbeat is
 * also the question "does it wait on our hook?": a lost table, lost events or a new container therefore
 * never cost a hook its timer.
 */
export function heartbeatsDue<T extends KeepAliveCandidate>(
  input: HeartbeatsDueInput<T>,
): { due: T[]; recent: T[] } {
  const nextPass = input.now + input.periodSeconds * 1000;
  const due: T[] = [];
  const recent: T[] = [];
  for (const candidate of input.candidates) {
    const last = input.lastBeats.get(candidate.instanceId);
    const intervalMs =
      heartbeatIntervalFor(input.heartbeatIntervalSeconds, candidate.heartbeatTimeoutSeconds) * 1000;
    // Overdue by the next pass: waiting for it would leave a gap longer than the interval.
    if (last === undefined || last > input.now || nextPass - last > intervalMs) due.push(candidate);
    else recent.push(candidate);
  }
  const expiry = (candidate: T) =>
    hookExpiresAt(input.lastBeats.get(candidate.instanceId), candidate.heartbeatTimeoutSeconds);
  due.sort((a, b) => expiry(a) - expiry(b) || a.instanceId.localeCompare(b.instanceId));
  return { due, recent };
}

/**
 * The reconcile pass's decision, once heartbeats went out and the state table was read (or not): which
 * drains lost their hook, which instances wait on someone else's hook, which take a full step and in
 * what order.
 */
export function planReconcile<T extends ReconcileCandidate>(input: ReconcilePlanInput<T>): ReconcilePlan<T> {
  const { now, owner } = input;
  const plan: ReconcilePlan<T> = { elsewhere: [], lost: [], notOurs: [], unknown: [], steps: [], found: [] };
  const open: T[] = [];
  for (const candidate of input.candidates) {
    const { record, answer } = candidate;
    const current = isCurrentDrain(record, now);
    if (current && leaseHeldByOther(record, owner, now)) plan.elsewhere.push(candidate);
    else if (answer === 'not-ours') (current ? plan.lost : plan.notOurs).push(candidate);
    else if (current) open.push(candidate);
    // Only a heartbeat that just went through proves a new action of ours (a recent one may be a
    // drain completed since, lingering on another hook).
    else if (answer === 'ours' || (input.dryRun && answer === 'unknown')) plan.found.push(candidate);
    else plan.unknown.push(candidate);
  }
  const expiry = (candidate: T) => hookExpiresAt(lastRestart(candidate), candidate.heartbeatTimeoutSeconds);
  open.sort((a, b) => expiry(a) - expiry(b) || a.instanceId.localeCompare(b.instanceId));
  plan.found.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  plan.steps = [...plan.found, ...open];
  return plan;
}

/**
 * Instances past their wait (Auto Scaling let them go) whose drain is still open and leased by no live
 * invocation: their action ended without our completion, the hook expired or someone completed it.
 */
export function actionsEndedUnderUs<T extends { record: DrainRecord | undefined }>(
  leaving: readonly T[],
  owner: string,
  now: number,
): (T & { record: DrainRecord })[] {
  return leaving.filter(
    (candidate): candidate is T & { record: DrainRecord } =>
      candidate.record !== undefined &&
      isOpen(candidate.record) &&
      !leaseHeldByOther(candidate.record, owner, now),
  );
}
