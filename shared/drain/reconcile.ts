import { type DrainRecord, isEarlierAction, isOpen, leaseHeldByOther } from './record';

/**
 * What a reconcile pass remembers of an instance whose probe answered "no active action on our hook"
 * (item `drain#<instanceId>` / `not-ours`): it waits on someone else's hook (a launch hook into the warm
 * pool, a slower terminate hook after ours completed). Valid while the instance stays in that state.
 */
export interface NotOursMark {
  instanceId: string;
  /** The lifecycle state the probe saw. */
  state: string;
  /** Epoch ms of the probe. */
  checkedAt: number;
  /** Epoch ms after which the instance is probed again. */
  recheckAt: number;
}

/** One instance waiting in a lifecycle wait state, on a group that has one of our hooks. */
export interface ReconcileCandidate {
  instanceId: string;
  /** Its Auto Scaling lifecycle state now. */
  state: string;
  record: DrainRecord | undefined;
  notOurs: NotOursMark | undefined;
  /** The hook's heartbeat timeout in seconds. */
  heartbeatTimeoutSeconds: number;
}

export interface ReconcilePlanInput<T extends ReconcileCandidate> {
  candidates: readonly T[];
  /** This invocation, as a lease holder. */
  owner: string;
  now: number;
  /** HEARTBEAT_INTERVAL_SECONDS; capped per hook at a third of its timeout. */
  heartbeatIntervalSeconds: number;
  /** Time until the next pass can reach an instance (the schedule's period). */
  periodSeconds: number;
}

export interface ReconcilePlan<T extends ReconcileCandidate> {
  /** Held by a live invocation's lease: its work already. */
  elsewhere: T[];
  /** Known to wait on another hook, not due for another probe. */
  remembered: T[];
  /**
   * Cheap calls first, each one Auto Scaling call and no ECS call, most urgent first, as many as the
   * invocation's time allows: heartbeats for open drains whose heartbeat would be overdue before the next
   * pass, and probes (a heartbeat on our hook) of instances we hold no drain for.
   */
  keepAlive: { candidate: T; kind: 'heartbeat' | 'probe' }[];
  /**
   * Open drains in order for a full step (the ECS calls), by when their hook expires, soonest first;
   * the caller bounds them by RECONCILE_MAX_INSTANCES, after the instances its probes found to be ours.
   */
  steps: T[];
  /** Instances without a drain of their current action: probed in keepAlive, or in a dry run planned. */
  unknown: T[];
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
export function hookExpiresAt(record: DrainRecord | undefined, heartbeatTimeoutSeconds: number): number {
  const restarted = record?.lastHeartbeatAt;
  return restarted === undefined ? Number.NEGATIVE_INFINITY : restarted + heartbeatTimeoutSeconds * 1000;
}

/** Whether a not-ours mark still stands: same lifecycle state, not yet due for another probe. */
export function remembersNotOurs(candidate: ReconcileCandidate, now: number): boolean {
  const mark = candidate.notOurs;
  return mark !== undefined && mark.state === candidate.state && now < mark.recheckAt;
}

/**
 * When a not-ours instance is probed again: early enough that, had the answer been wrong (our action
 * not yet visible at the probe), the next probe still restarts our hook's timer before it runs out, with
 * a pass to spare; never sooner than the next pass.
 */
export function notOursRecheckAt(now: number, heartbeatTimeoutSeconds: number, periodSeconds: number) {
  return now + Math.max(periodSeconds, heartbeatTimeoutSeconds - 2 * periodSeconds) * 1000;
}

/**
 * The reconcile pass's decision. Keeping hooks alive is separated from drain steps: a heartbeat costs one
 * Auto Scaling call and no ECS call, so every open drain whose heartbeat would be overdue before the next
 * pass gets one, bounded by time only; full steps (ECS calls), bounded by the caller, go to the drains
 * whose hooks expire soonest. Instances known to wait on another hook take neither.
 */
export function planReconcile<T extends ReconcileCandidate>(input: ReconcilePlanInput<T>): ReconcilePlan<T> {
  const { now, owner } = input;
  const elsewhere: T[] = [];
  const remembered: T[] = [];
  const unknown: T[] = [];
  const open: T[] = [];
  for (const candidate of input.candidates) {
    const { record } = candidate;
    if (isCurrentDrain(record, now)) {
      if (leaseHeldByOther(record, owner, now)) elsewhere.push(candidate);
      else open.push(candidate);
    } else if (remembersNotOurs(candidate, now)) remembered.push(candidate);
    else unknown.push(candidate);
  }
  const expiry = (candidate: T) => hookExpiresAt(candidate.record, candidate.heartbeatTimeoutSeconds);
  const byUrgency = (a: T, b: T) => expiry(a) - expiry(b) || a.instanceId.localeCompare(b.instanceId);
  open.sort(byUrgency);
  unknown.sort((a, b) => a.instanceId.localeCompare(b.instanceId));

  // Overdue by the next pass: waiting for it would leave a gap longer than the interval.
  const nextPass = now + input.periodSeconds * 1000;
  const dueHeartbeats = open.filter((candidate) => {
    const last = candidate.record?.lastHeartbeatAt;
    const intervalMs =
      heartbeatIntervalFor(input.heartbeatIntervalSeconds, candidate.heartbeatTimeoutSeconds) * 1000;
    return last === undefined || nextPass - last > intervalMs;
  });
  // An instance with no drain recorded may be a lost event whose hook has run for an unknown time: first.
  const keepAlive = [
    ...unknown.map((candidate) => ({ candidate, kind: 'probe' as const })),
    ...dueHeartbeats.map((candidate) => ({ candidate, kind: 'heartbeat' as const })),
  ];
  return { elsewhere, remembered, keepAlive, steps: open, unknown };
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
