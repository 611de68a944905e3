import type { BatchOptions, WriteRequest } from '../../aws/dynamodb';
import type { DueTime } from '../../schedule/identity';
import { clusterName } from '../../schedule/job';
import type { TaskOutcome } from '../../schedule/outcome';
import { type ItemKey, jobPk, RUN_PREFIX, runKey } from '../keys';
import {
  heldBy,
  leaseFree,
  releaseLease as release,
  tryUpdate,
  tryUpdateReturning,
  update,
  updateOrRead,
} from '../primitives';
import { TTL_SECONDS, ttlAt } from '../ttl';
import { jobsTable } from './table';

export type RunStatus =
  | 'PENDING'
  | 'STARTED'
  | 'SKIPPED'
  | 'MISSED'
  | 'INVALID'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'REPLACED'
  | 'UNKNOWN';
export const FINAL_STATUSES: readonly RunStatus[] = [
  'SKIPPED',
  'MISSED',
  'INVALID',
  'SUCCEEDED',
  'FAILED',
  'REPLACED',
  'UNKNOWN',
];

export interface AttemptFailure {
  attempt: number;
  reasons: string[];
  at: string;
}

/** One run of a job (pk `job#<job>`, sk `run#<due>`). Times are epoch ms unless named ...Iso. */
export interface RunRecord {
  jobName: string;
  cluster: string;
  due: DueTime;
  status: RunStatus;
  /** Tasks requested. */
  count?: number;
  taskArns?: Set<string>;
  /** Tasks whose stop was recorded while the run was still starting: the start's end finalizes it. */
  stoppedTasks?: Set<string>;
  /** Last RunTask attempt issued (its clientToken may have started tasks we never heard of). */
  attempt?: number;
  failedAttempts?: number;
  failures?: AttemptFailure[];
  lastFailure?: AttemptFailure;
  nextAttemptAt?: number;
  leaseOwner?: string;
  leaseUntil?: number;
  reason?: string;
  capacityRequest?: { pk: string; sk: string };
  createdAt?: number;
  startedAt?: number;
  finishedAt?: number;
  outcome?: {
    succeeded: boolean;
    failures: string[];
    exitCodes: Record<string, Record<string, number | null>>;
  };
  /** Outcome of each task, once the run is final. */
  tasks?: TaskOutcome[];
  /** A trimmed run: only its status is kept, until RunTask forgets its clientToken (see trimHistory). */
  marker?: boolean;
  /** Due time of the run that replaced this one (concurrencyPolicy Replace), noted once its tasks were stopped. */
  replacedBy?: DueTime;
  /**
   * The runs this one replaces (concurrencyPolicy Replace) whose stops are not all done yet: noted with the
   * claim, cleared once every stop succeeded, so an invocation that resumes the run redoes them first.
   */
  replacing?: ReplacedRun[];
  /**
   * concurrencyPolicy Forbid found an earlier run active: this one waits (PENDING, not counted as active)
   * and is decided again at nextAttemptAt, until its starting deadline.
   */
  waiting?: boolean;
}

/** A run being replaced: its due time, the tasks to stop, whether it was still starting. */
export interface ReplacedRun {
  due: DueTime;
  taskArns: string[];
  pending: boolean;
}

/** Window of runs the periodic pass looks at for unfinished work. */
export const OPEN_RUN_WINDOW_MS = 2 * 86_400 * 1000;

const MAX_RECORDED_FAILURES = 20;
/**
 * RunTask remembers a clientToken for 24 hours ("RunTask", Amazon ECS API Reference, clientToken):
 * until then a duplicate of a trimmed run must still be answered from its marker. An hour of margin.
 */
const CLIENT_TOKEN_LIFETIME_MS = 25 * 3_600_000;

/** Writes only the holder of a PENDING run's lease may make. */
function ownedPending(owner: string) {
  const held = heldBy(owner);
  return {
    condition: `#status = :pending AND ${held.condition}`,
    values: { ':pending': 'PENDING', ...held.values },
  };
}

export function getRun(table: string, jobName: string, due: DueTime): Promise<RunRecord | undefined> {
  return jobsTable(table).get<RunRecord>(runKey(jobName, due));
}

/**
 * Creates the run as PENDING, or takes over a PENDING run whose lease has expired, under a lease held
 * by `owner` until `leaseUntil`. Returns the record either way; `claimed` says whether we hold it.
 */
export async function claimRun(
  table: string,
  input: {
    jobName: string;
    cluster: string;
    due: DueTime;
    count: number;
    owner: string;
    now: number;
    leaseUntil: number;
    /** The RunTask attempt about to be made, noted with the claim (saves recordAttempt's write). */
    attempt?: number;
    /** Runs this one replaces, noted before their stops (see RunRecord.replacing). */
    replacing?: ReplacedRun[];
  },
): Promise<{ claimed: boolean; run: RunRecord }> {
  const key = runKey(input.jobName, input.due);
  const free = leaseFree(input.owner, input.now);
  const result = await updateOrRead(jobsTable(table), key, {
    set: {
      leaseOwner: input.owner,
      leaseUntil: input.leaseUntil,
      ...(input.attempt !== undefined ? { attempt: input.attempt } : {}),
      ...(input.replacing?.length ? { replacing: input.replacing } : {}),
    },
    setIfNotExists: {
      jobName: input.jobName,
      cluster: clusterName(input.cluster),
      due: input.due,
      status: 'PENDING',
      count: input.count,
      createdAt: input.now,
      ttl: ttlAt(input.now, TTL_SECONDS.run),
    },
    condition: `attribute_not_exists(pk) OR (#status = :pending AND ${free.condition})`,
    values: { ':pending': 'PENDING', ...free.values },
  });
  if (result.written) return { claimed: true, run: result.item as unknown as RunRecord };
  if (!result.current) throw new Error(`Run ${key.sk} of ${input.jobName} could be neither claimed nor read`);
  return { claimed: false, run: result.current as unknown as RunRecord };
}

/** Notes the attempt about to be made. False when the lease was lost or the run is no longer PENDING. */
export function recordAttempt(
  table: string,
  jobName: string,
  due: DueTime,
  owner: string,
  attempt: number,
): Promise<boolean> {
  return tryUpdate(jobsTable(table), runKey(jobName, due), { set: { attempt }, ...ownedPending(owner) });
}

/** Records a failed attempt and when the next may run; the failure list keeps the first 20 attempts. */
export function recordAttemptFailure(
  table: string,
  jobName: string,
  due: DueTime,
  owner: string,
  failure: AttemptFailure,
  failedAttempts: number,
  nextAttemptAt: number,
  capacityRequest?: ItemKey,
): Promise<boolean> {
  return tryUpdate(jobsTable(table), runKey(jobName, due), {
    set: {
      failedAttempts,
      nextAttemptAt,
      lastFailure: failure,
      ...(capacityRequest ? { capacityRequest } : {}),
    },
    ...(failedAttempts <= MAX_RECORDED_FAILURES ? { append: { failures: [failure] } } : {}),
    ...ownedPending(owner),
  });
}

export async function addStartedTasks(
  table: string,
  jobName: string,
  due: DueTime,
  taskArns: readonly string[],
  now: number,
): Promise<void> {
  if (taskArns.length === 0) return;
  await update(jobsTable(table), runKey(jobName, due), {
    add: { taskArns: new Set(taskArns) },
    setIfNotExists: { startedAt: now },
  });
}

/**
 * Ends the start phase of a run we hold: STARTED, or SKIPPED / MISSED / INVALID with the reason.
 * Releases the lease. False when someone else decided first.
 */
export function finishStart(
  table: string,
  jobName: string,
  due: DueTime,
  owner: string,
  status: Exclude<RunStatus, 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'UNKNOWN'>,
  now: number,
  reason?: string,
): Promise<boolean> {
  return tryUpdate(jobsTable(table), runKey(jobName, due), {
    set: {
      status,
      decidedAt: now,
      ...(reason ? { reason } : {}),
      ...(status === 'STARTED' ? {} : { finishedAt: now }),
    },
    remove: ['leaseOwner', 'leaseUntil', 'nextAttemptAt'],
    ...ownedPending(owner),
  });
}

/**
 * The run's last tasks are known: records them and ends the start phase (STARTED, lease released) in one
 * conditional write. Answers the run as written, or undefined when someone else decided first (the
 * tasks are then recorded anyway: they are the run's whoever decides).
 */
export async function finishStarted(
  table: string,
  jobName: string,
  due: DueTime,
  owner: string,
  taskArns: readonly string[],
  now: number,
): Promise<RunRecord | undefined> {
  const run = await tryUpdateReturning(jobsTable(table), runKey(jobName, due), {
    set: { status: 'STARTED', decidedAt: now },
    ...(taskArns.length > 0
      ? { add: { taskArns: new Set(taskArns) }, setIfNotExists: { startedAt: now } }
      : {}),
    remove: ['leaseOwner', 'leaseUntil', 'nextAttemptAt'],
    ...ownedPending(owner),
  });
  if (run) return run as unknown as RunRecord;
  await addStartedTasks(table, jobName, due, taskArns, now);
  return undefined;
}

/** Lets another invocation (or the periodic pass) continue the run at once. */
export function releaseLease(table: string, jobName: string, due: DueTime, owner: string): Promise<boolean> {
  return release(jobsTable(table), runKey(jobName, due), owner);
}

/** A started run whose tasks a newer one stopped (concurrencyPolicy Replace). */
export async function markReplaced(table: string, jobName: string, due: DueTime, by: DueTime): Promise<void> {
  await update(jobsTable(table), runKey(jobName, due), { set: { replacedBy: by } });
}

/** Forbid: the run waits for an earlier one to end, decided again at `nextAttemptAt`; releases the lease. */
export function waitForActiveRun(
  table: string,
  jobName: string,
  due: DueTime,
  owner: string,
  nextAttemptAt: number,
  reason: string,
): Promise<boolean> {
  return tryUpdate(jobsTable(table), runKey(jobName, due), {
    set: { waiting: true, nextAttemptAt, reason },
    remove: ['leaseOwner', 'leaseUntil'],
    ...ownedPending(owner),
  });
}

/** The waiting run may start now: from here on it counts as active for the job's other due times. */
export function stopWaiting(table: string, jobName: string, due: DueTime, owner: string): Promise<boolean> {
  return tryUpdate(jobsTable(table), runKey(jobName, due), {
    remove: ['waiting', 'nextAttemptAt', 'reason'],
    ...ownedPending(owner),
  });
}

/** Every stop of the runs this one replaces succeeded: a resume has none left to redo. */
export function clearReplacing(
  table: string,
  jobName: string,
  due: DueTime,
  owner: string,
): Promise<boolean> {
  return tryUpdate(jobsTable(table), runKey(jobName, due), { remove: ['replacing'], ...ownedPending(owner) });
}

/**
 * An older run still trying to start, replaced by a newer one (concurrencyPolicy Replace): SKIPPED when
 * none of its tasks had started, REPLACED when some had (they are being stopped). Either way it is no
 * longer PENDING, so whoever was still starting it stops there (its next conditional write fails).
 */
export function supersedePending(
  table: string,
  jobName: string,
  due: DueTime,
  by: DueTime,
  reason: string,
  now: number,
  taskArns: readonly string[] = [],
): Promise<boolean> {
  return tryUpdate(jobsTable(table), runKey(jobName, due), {
    set: {
      status: taskArns.length > 0 ? 'REPLACED' : 'SKIPPED',
      replacedBy: by,
      reason,
      decidedAt: now,
      finishedAt: now,
    },
    ...(taskArns.length > 0 ? { add: { taskArns: new Set(taskArns) } } : {}),
    remove: ['leaseOwner', 'leaseUntil', 'nextAttemptAt'],
    condition: '#status = :pending',
    values: { ':pending': 'PENDING' },
  });
}

/**
 * Records tasks known from ECS as part of the run; creates the run as STARTED when we had no record.
 * `stopped`: the tasks have stopped (their outcome is recorded), so whoever ends the start phase later
 * knows to finalize. Answers the run as written.
 */
export async function adoptTasks(
  table: string,
  jobName: string,
  cluster: string,
  due: DueTime,
  taskArns: readonly string[],
  now: number,
  stopped = false,
): Promise<RunRecord | undefined> {
  return (await update(
    jobsTable(table),
    runKey(jobName, due),
    {
      add: { taskArns: new Set(taskArns), ...(stopped ? { stoppedTasks: new Set(taskArns) } : {}) },
      setIfNotExists: {
        jobName,
        cluster: clusterName(cluster),
        due,
        status: 'STARTED',
        count: taskArns.length,
        createdAt: now,
        startedAt: now,
        ttl: ttlAt(now, TTL_SECONDS.run),
      },
    },
    'ALL_NEW',
  )) as RunRecord | undefined;
}

const windowStart = (now: number) =>
  `${RUN_PREFIX}${new Date(now - OPEN_RUN_WINDOW_MS).toISOString().slice(0, 19)}Z`;

/**
 * One read for a due run: its own record (whatever its status) and the job's other runs in the recent
 * window that may still need work (PENDING or STARTED).
 */
export async function runAndOpenRuns(
  table: string,
  jobName: string,
  due: DueTime,
  now: number,
): Promise<{ run: RunRecord | undefined; open: RunRecord[] }> {
  const own = `${RUN_PREFIX}${due}`;
  const from = windowStart(now);
  const runs = await jobsTable(table).query<RunRecord & { sk: string }>({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    // The key can't be filtered on; every run item holds its due time. Newer runs tell of a backlog.
    FilterExpression: '#status IN (:pending, :started) OR #due >= :due',
    ExpressionAttributeNames: { '#status': 'status', '#due': 'due' },
    ExpressionAttributeValues: {
      ':pk': jobPk(jobName),
      ':from': own < from ? own : from,
      ':to': `${RUN_PREFIX}~`,
      ':pending': 'PENDING',
      ':started': 'STARTED',
      ':due': due,
    },
    ConsistentRead: true,
  });
  return {
    run: runs.find((run) => run.sk === own),
    open: runs.filter((run) => run.sk !== own),
  };
}

/** The job's most recent runs, newest first (an operator's `jobs history`). */
export function recentRuns(table: string, jobName: string, limit: number): Promise<RunRecord[]> {
  return jobsTable(table).query<RunRecord>(
    {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
      ExpressionAttributeValues: { ':pk': jobPk(jobName), ':run': RUN_PREFIX },
      ScanIndexForward: false,
      Limit: limit,
      ConsistentRead: true,
    },
    true,
  );
}

/** Runs of the job in the recent window that may still need work (PENDING or STARTED). */
export function openRuns(table: string, jobName: string, now: number): Promise<RunRecord[]> {
  return jobsTable(table).query<RunRecord>({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    FilterExpression: '#status IN (:pending, :started)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':pk': jobPk(jobName),
      ':from': windowStart(now),
      ':to': `${RUN_PREFIX}~`,
      ':pending': 'PENDING',
      ':started': 'STARTED',
    },
    ConsistentRead: true,
  });
}

/**
 * Final state of a run we watched start. Only one caller wins; the winner reports. A run recorded
 * UNKNOWN (its outcome was not seen in time) can still be decided by a late outcome; UNKNOWN itself
 * never overwrites anything but STARTED.
 */
export function finalizeRun(
  table: string,
  jobName: string,
  due: DueTime,
  status: 'SUCCEEDED' | 'FAILED' | 'MISSED' | 'REPLACED' | 'UNKNOWN',
  now: number,
  fields: { outcome?: RunRecord['outcome']; tasks?: TaskOutcome[]; reason?: string },
): Promise<boolean> {
  return tryUpdate(jobsTable(table), runKey(jobName, due), {
    set: { status, finishedAt: now, ...fields },
    condition: status === 'UNKNOWN' ? '#status = :started' : '#status IN (:started, :unknown)',
    values: { ':started': 'STARTED', ...(status === 'UNKNOWN' ? {} : { ':unknown': 'UNKNOWN' }) },
  });
}

/**
 * Trims the finished runs of a job: the newest `keep.succeeded` SUCCEEDED, `keep.failed` of the failures
 * (FAILED, MISSED, INVALID, REPLACED, UNKNOWN) and `keep.skipped` SKIPPED, each counted on its own so
 * skips never push real results out. A run trimmed while RunTask may still replay its clientToken (due
 * time + 24 h) is shrunk to a small marker of its status, so a late duplicate is answered, not decided
 * afresh; older ones are deleted. Ongoing runs are never touched. Writes DynamoDB leaves unprocessed
 * are retried with backoff within the budget, and any left go at the next trim. Answers how many were
 * trimmed.
 */
export async function trimHistory(
  table: string,
  jobName: string,
  keep: { succeeded: number; failed: number; skipped: number },
  now: number,
  options: BatchOptions = {},
): Promise<number> {
  const jobs = jobsTable(table);
  const runs = await jobs.query<{
    pk: string;
    sk: string;
    status: RunStatus;
    due: DueTime;
    marker?: boolean;
  }>({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
    ProjectionExpression: 'pk, sk, #status, #due, #marker',
    ExpressionAttributeNames: { '#status': 'status', '#due': 'due', '#marker': 'marker' },
    ExpressionAttributeValues: { ':pk': jobPk(jobName), ':run': RUN_PREFIX },
    ScanIndexForward: false,
  });
  const kept = { succeeded: 0, failed: 0, skipped: 0 };
  const trimmed = runs.filter((run) => {
    if (run.marker || !FINAL_STATUSES.includes(run.status)) return false;
    const bucket = run.status === 'SUCCEEDED' ? 'succeeded' : run.status === 'SKIPPED' ? 'skipped' : 'failed';
    kept[bucket]++;
    return kept[bucket] > keep[bucket];
  });
  const writes = trimmed.map((run): WriteRequest => {
    const tokenExpiresAt = Date.parse(run.due) + CLIENT_TOKEN_LIFETIME_MS;
    return tokenExpiresAt > now
      ? {
          PutRequest: {
            Item: {
              pk: run.pk,
              sk: run.sk,
              jobName,
              due: run.due,
              status: run.status,
              marker: true,
              ttl: ttlAt(tokenExpiresAt),
            },
          },
        }
      : { DeleteRequest: { Key: { pk: run.pk, sk: run.sk } } };
  });
  const { unprocessed, error } = await jobs.batchWrite(writes, options);
  if (error && unprocessed.length === writes.length) throw error;
  return writes.length - unprocessed.length;
}
