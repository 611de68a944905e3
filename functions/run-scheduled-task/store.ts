import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type BatchOptions, batchWriteItems, dynamodb } from '../../shared/aws/dynamodb';
import { call, kindOf } from '../../shared/aws/errors';
import type { DueTime } from '../../shared/schedule/identity';
import { clusterName, familyOf, type Job } from '../../shared/schedule/job';
import {
  type alertKey,
  jobLeaseKey,
  jobPk,
  REGISTRY_PK,
  RUN_PREFIX,
  registryKey,
  runKey,
  taskKey,
  taskPrefix,
} from '../../shared/schedule/keys';
import type { TaskOutcome } from '../../shared/schedule/outcome';
import type { CapacityRequest } from '../../shared/schedule/retry';

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
  /** Times the infrastructure killed the run and it was started again (retry.infrastructureKills). */
  infraRetries?: number;
  /** Tasks of the run the infrastructure killed, started again: no longer the run's. */
  retiredTaskArns?: Set<string>;
  /** A run started again after a kill must start by this time (epoch ms), not by its due-time deadline. */
  restartBy?: number;
}

/** A run being replaced: its due time, the tasks to stop, whether it was still starting. */
export interface ReplacedRun {
  due: DueTime;
  taskArns: string[];
  pending: boolean;
}

/** One task of a run (sk `task#<due>#<taskId>`): what its state change events said. */
export interface TaskRecord {
  taskArn: string;
  startedAt?: string;
  stoppedAt?: string;
  outcome?: TaskOutcome;
}

export interface RegisteredJob {
  name: string;
  cluster: string;
  family: string;
  job: unknown;
  /** When a due time of the job last arrived, and which (the silence check of expectEverySeconds). */
  lastSeenAt?: number;
  lastDue?: DueTime;
  /** Due times of a backlog skipped past their deadline, not yet alerted (see recordBacklogMiss). */
  backlogMissed?: number;
  backlogFirstDue?: DueTime;
  backlogLastDue?: DueTime;
  backlogLastAt?: number;
  /** The job's last success and failure (recordJobOutcome). */
  lastSucceededDue?: DueTime;
  lastSucceededAt?: number;
  /** Failed runs in a row, the first of them and the last (recordFailStreak). */
  failStreak?: number;
  failStreakSince?: DueTime;
  failStreakLastDue?: DueTime;
  /** Suspended by an operator (jobs suspend): due times are skipped until resumed (setSuspended). */
  suspended?: boolean;
  suspendedAt?: number;
}

const DAY_S = 86_400;
/** Registry items outlive monthly schedules; a job unseen this long is forgotten. */
const REGISTRY_TTL_S = 90 * DAY_S;
/** Runs are trimmed to RUN_HISTORY per job; the TTL only catches what trimming never reaches. */
const RUN_TTL_S = 90 * DAY_S;
/** Task items are needed only until their run is final. */
const TASK_TTL_S = 7 * DAY_S;
/** Window of runs the periodic pass looks at for unfinished work. */
export const OPEN_RUN_WINDOW_MS = 2 * DAY_S * 1000;

const MAX_RECORDED_FAILURES = 20;
/**
 * RunTask remembers a clientToken for 24 hours ("RunTask", Amazon ECS API Reference, clientToken):
 * until then a duplicate of a trimmed run must still be answered from its marker. An hour of margin.
 */
const CLIENT_TOKEN_LIFETIME_MS = 25 * 3_600_000;
/** The run history is trimmed every this many due runs of a job, not after each run. */
export const TRIM_EVERY = 5;

const ttlIn = (now: number, seconds: number) => Math.floor(now / 1000) + seconds;

const isConditionFailure = (error: unknown) => kindOf(error) === 'conflict';

/**
 * The one lease primitive of this store (runs and the per-job decision lease): the holder's name and
 * expiry, and the condition that it is free (never taken, expired, or already ours).
 */
function lease(owner: string, now: number, until: number) {
  return {
    set: { leaseOwner: owner, leaseUntil: until },
    free: '(attribute_not_exists(#leaseUntil) OR #leaseUntil < :now OR #leaseOwner = :owner)',
    values: { ':now': now, ':owner': owner },
  };
}

interface Update {
  set?: Record<string, unknown>;
  setIfNotExists?: Record<string, unknown>;
  add?: Record<string, unknown>;
  /** Appends to a list attribute, creating it when absent. */
  append?: Record<string, unknown[]>;
  remove?: string[];
  condition?: string;
  /** Extra values the condition refers to (`:name`). */
  values?: Record<string, unknown>;
}

/** Builds an UpdateItem expression; every attribute name goes through `#name` (status, count, ttl are reserved). */
function expression(update: Update) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ...update.values };
  const name = (attribute: string) => {
    names[`#${attribute}`] = attribute;
    return `#${attribute}`;
  };
  const sets = [
    ...Object.entries(update.set ?? {}).map(([attribute, value]) => {
      values[`:s_${attribute}`] = value;
      return `${name(attribute)} = :s_${attribute}`;
    }),
    ...Object.entries(update.setIfNotExists ?? {}).map(([attribute, value]) => {
      values[`:n_${attribute}`] = value;
      return `${name(attribute)} = if_not_exists(${name(attribute)}, :n_${attribute})`;
    }),
    ...Object.entries(update.append ?? {}).map(([attribute, items]) => {
      values[`:l_${attribute}`] = items;
      values[':emptyList'] = [];
      return `${name(attribute)} = list_append(if_not_exists(${name(attribute)}, :emptyList), :l_${attribute})`;
    }),
  ];
  const adds = Object.entries(update.add ?? {}).map(([attribute, value]) => {
    values[`:a_${attribute}`] = value;
    return `${name(attribute)} :a_${attribute}`;
  });
  const removes = (update.remove ?? []).map(name);
  const clauses = [
    sets.length ? `SET ${sets.join(', ')}` : '',
    adds.length ? `ADD ${adds.join(', ')}` : '',
    removes.length ? `REMOVE ${removes.join(', ')}` : '',
  ].filter(Boolean);
  // Conditions name attributes as #attr too.
  for (const match of update.condition?.matchAll(/#(\w+)/g) ?? []) name(match[1] as string);
  return {
    UpdateExpression: clauses.join(' '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
    ...(update.condition ? { ConditionExpression: update.condition } : {}),
  };
}

/** The state table as run-scheduled-task uses it. Every write that decides something is conditional. */
export class ScheduleStore {
  constructor(readonly table: string) {}

  private async update<T>(
    key: { pk: string; sk: string },
    update: Update,
    returnValues: 'ALL_NEW' | 'ALL_OLD' | 'UPDATED_NEW' | false = false,
  ) {
    const result = await call('dynamodb:UpdateItem', `${this.table}/${key.pk}/${key.sk}`, () =>
      dynamodb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          ...expression(update),
          ...(returnValues ? { ReturnValues: returnValues } : {}),
        }),
      ),
    );
    return result.Attributes as T | undefined;
  }

  /** A conditional update: false when its condition did not hold. */
  private async tryUpdate(key: { pk: string; sk: string }, update: Update): Promise<boolean> {
    try {
      await this.update(key, update);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  private async query<T>(input: Omit<QueryCommandInput, 'TableName'>): Promise<T[]> {
    const items: T[] = [];
    await call(
      'dynamodb:Query',
      `${this.table}/${String(input.ExpressionAttributeValues?.[':pk'])}`,
      async () => {
        for await (const page of paginateQuery({ client: dynamodb }, { TableName: this.table, ...input })) {
          items.push(...((page.Items ?? []) as T[]));
        }
      },
    );
    return items;
  }

  // Registry

  /**
   * Records the job for the periodic pass and counts its due runs. True every TRIM_EVERY-th due run: the
   * caller then trims the run history (each due run adds at most one run item, so the history never holds
   * more than RUN_HISTORY + TRIM_EVERY finished runs).
   */
  async registerJob(
    job: Job,
    cluster: string,
    due: DueTime,
    now: number,
  ): Promise<{ trimHistory: boolean; suspended: boolean }> {
    const updated = await this.update<{ dueRuns?: number; suspended?: boolean }>(
      registryKey(job.name),
      {
        set: {
          name: job.name,
          cluster: clusterName(cluster),
          family: familyOf(job.taskDefinition),
          job,
          lastSeenAt: now,
          lastDue: due,
          ttl: ttlIn(now, REGISTRY_TTL_S),
        },
        add: { dueRuns: 1 },
      },
      // ALL_NEW: the operator's suspended flag comes back with the write.
      'ALL_NEW',
    );
    return {
      trimHistory: (updated?.dueRuns ?? 0) % TRIM_EVERY === 0,
      suspended: updated?.suspended === true,
    };
  }

  /**
   * A due time of a registered job arrived with a definition that can't run: it still counts as the
   * schedule firing (the invalid-job alert covers it, not a silence alert).
   */
  async touchJob(jobName: string, due: DueTime | undefined, now: number): Promise<void> {
    await this.tryUpdate(registryKey(jobName), {
      set: { lastSeenAt: now, ...(due ? { lastDue: due } : {}) },
      condition: 'attribute_exists(pk)',
    });
  }

  async getJob(jobName: string): Promise<RegisteredJob | undefined> {
    const { Item } = await call('dynamodb:GetItem', `${this.table}/${REGISTRY_PK}`, () =>
      dynamodb.send(new GetCommand({ TableName: this.table, Key: registryKey(jobName) })),
    );
    return Item as RegisteredJob | undefined;
  }

  listJobs(): Promise<RegisteredJob[]> {
    return this.query<RegisteredJob>({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': REGISTRY_PK },
    });
  }

  /** Keeps "last succeeded / last failed" on the registry item; an older run never overwrites a newer one. */
  async recordJobOutcome(
    jobName: string,
    due: DueTime,
    status: RunStatus,
    now: number,
  ): Promise<RegisteredJob | undefined> {
    const field = status === 'SUCCEEDED' ? 'lastSucceeded' : 'lastFailed';
    try {
      // The item as written tells whether a failure streak is on (recordFailStreak), at no extra call.
      return await this.update<RegisteredJob>(
        registryKey(jobName),
        {
          set: { [`${field}Due`]: due, [`${field}At`]: now, lastOutcome: status, lastOutcomeDue: due },
          condition: `attribute_exists(pk) AND (attribute_not_exists(#${field}Due) OR #${field}Due < :due)`,
          values: { ':due': due },
        },
        'ALL_NEW',
      );
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  // Runs

  async getRun(jobName: string, due: DueTime): Promise<RunRecord | undefined> {
    const { Item } = await call('dynamodb:GetItem', `${this.table}/${jobPk(jobName)}`, () =>
      dynamodb.send(
        new GetCommand({ TableName: this.table, Key: runKey(jobName, due), ConsistentRead: true }),
      ),
    );
    return Item as RunRecord | undefined;
  }

  /**
   * Creates the run as PENDING, or takes over a PENDING run whose lease has expired, under a lease held
   * by `owner` until `leaseUntil`. Returns the record either way; `claimed` says whether we hold it.
   */
  async claimRun(input: {
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
  }): Promise<{ claimed: boolean; run: RunRecord }> {
    const key = runKey(input.jobName, input.due);
    const held = lease(input.owner, input.now, input.leaseUntil);
    try {
      const run = await this.update<RunRecord>(
        key,
        {
          set: {
            ...held.set,
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
            ttl: ttlIn(input.now, RUN_TTL_S),
          },
          condition: `attribute_not_exists(pk) OR (#status = :pending AND ${held.free})`,
          values: { ':pending': 'PENDING', ...held.values },
        },
        'ALL_NEW',
      );
      return { claimed: true, run: run as RunRecord };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const run = await this.getRun(input.jobName, input.due);
      if (!run) throw error;
      return { claimed: false, run };
    }
  }

  private ownedPending(owner: string) {
    return {
      condition: '#status = :pending AND #leaseOwner = :owner',
      values: { ':pending': 'PENDING', ':owner': owner },
    };
  }

  /** Notes the attempt about to be made. False when the lease was lost or the run is no longer PENDING. */
  recordAttempt(jobName: string, due: DueTime, owner: string, attempt: number): Promise<boolean> {
    return this.tryUpdate(runKey(jobName, due), { set: { attempt }, ...this.ownedPending(owner) });
  }

  /** Records a failed attempt and when the next may run; the failure list keeps the first 20 attempts. */
  recordAttemptFailure(
    jobName: string,
    due: DueTime,
    owner: string,
    failure: AttemptFailure,
    failedAttempts: number,
    nextAttemptAt: number,
    capacityRequest?: { pk: string; sk: string },
  ): Promise<boolean> {
    return this.tryUpdate(runKey(jobName, due), {
      set: {
        failedAttempts,
        nextAttemptAt,
        lastFailure: failure,
        ...(capacityRequest ? { capacityRequest } : {}),
      },
      ...(failedAttempts <= MAX_RECORDED_FAILURES ? { append: { failures: [failure] } } : {}),
      ...this.ownedPending(owner),
    });
  }

  async addStartedTasks(
    jobName: string,
    due: DueTime,
    taskArns: readonly string[],
    now: number,
  ): Promise<void> {
    if (taskArns.length === 0) return;
    await this.update(runKey(jobName, due), {
      add: { taskArns: new Set(taskArns) },
      setIfNotExists: { startedAt: now },
    });
  }

  /**
   * Ends the start phase of a run we hold: STARTED, or SKIPPED / MISSED / INVALID with the reason.
   * Releases the lease. False when someone else decided first.
   */
  finishStart(
    jobName: string,
    due: DueTime,
    owner: string,
    status: Exclude<RunStatus, 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'UNKNOWN'>,
    now: number,
    reason?: string,
  ): Promise<boolean> {
    return this.tryUpdate(runKey(jobName, due), {
      set: {
        status,
        decidedAt: now,
        ...(reason ? { reason } : {}),
        ...(status === 'STARTED' ? {} : { finishedAt: now }),
      },
      remove: ['leaseOwner', 'leaseUntil', 'nextAttemptAt'],
      ...this.ownedPending(owner),
    });
  }

  /**
   * The run's last tasks are known: records them and ends the start phase (STARTED, lease released) in one
   * conditional write. Answers the run as written, or undefined when someone else decided first (the
   * tasks are then recorded anyway: they are the run's whoever decides).
   */
  async finishStarted(
    jobName: string,
    due: DueTime,
    owner: string,
    taskArns: readonly string[],
    now: number,
  ): Promise<RunRecord | undefined> {
    try {
      return await this.update<RunRecord>(
        runKey(jobName, due),
        {
          set: { status: 'STARTED', decidedAt: now },
          ...(taskArns.length > 0
            ? { add: { taskArns: new Set(taskArns) }, setIfNotExists: { startedAt: now } }
            : {}),
          remove: ['leaseOwner', 'leaseUntil', 'nextAttemptAt'],
          ...this.ownedPending(owner),
        },
        'ALL_NEW',
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await this.addStartedTasks(jobName, due, taskArns, now);
      return undefined;
    }
  }

  /** Lets another invocation (or the periodic pass) continue the run at once. */
  releaseLease(jobName: string, due: DueTime, owner: string): Promise<boolean> {
    return this.release(runKey(jobName, due), owner);
  }

  private release(key: { pk: string; sk: string }, owner: string): Promise<boolean> {
    return this.tryUpdate(key, {
      remove: ['leaseOwner', 'leaseUntil'],
      condition: '#leaseOwner = :owner',
      values: { ':owner': owner },
    });
  }

  /** A started run whose tasks a newer one stopped (concurrencyPolicy Replace). */
  async markReplaced(jobName: string, due: DueTime, by: DueTime): Promise<void> {
    await this.update(runKey(jobName, due), { set: { replacedBy: by } });
  }

  /** Forbid: the run waits for an earlier one to end, decided again at `nextAttemptAt`; releases the lease. */
  waitForActiveRun(
    jobName: string,
    due: DueTime,
    owner: string,
    nextAttemptAt: number,
    reason: string,
  ): Promise<boolean> {
    return this.tryUpdate(runKey(jobName, due), {
      set: { waiting: true, nextAttemptAt, reason },
      remove: ['leaseOwner', 'leaseUntil'],
      ...this.ownedPending(owner),
    });
  }

  /** The waiting run may start now: from here on it counts as active for the job's other due times. */
  stopWaiting(jobName: string, due: DueTime, owner: string): Promise<boolean> {
    return this.tryUpdate(runKey(jobName, due), {
      remove: ['waiting', 'nextAttemptAt', 'reason'],
      ...this.ownedPending(owner),
    });
  }

  /** A due time skipped for an earlier run still active: the job's streak of them, and its first due time. */
  async recordForbidSkip(
    jobName: string,
    due: DueTime,
  ): Promise<{ skipStreak: number; skipStreakSince: DueTime } | undefined> {
    try {
      const updated = await this.update<{ skipStreak?: number; skipStreakSince?: DueTime }>(
        registryKey(jobName),
        {
          add: { skipStreak: 1 },
          setIfNotExists: { skipStreakSince: due },
          condition: 'attribute_exists(pk)',
        },
        'ALL_NEW',
      );
      return { skipStreak: updated?.skipStreak ?? 1, skipStreakSince: updated?.skipStreakSince ?? due };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * A due time of a backlog skipped past its starting deadline: counted on the registry item, so the
   * periodic pass sends one alert for the backlog instead of one per due time.
   */
  async recordBacklogMiss(jobName: string, due: DueTime, now: number): Promise<void> {
    await this.tryUpdate(registryKey(jobName), {
      add: { backlogMissed: 1 },
      setIfNotExists: { backlogFirstDue: due },
      set: { backlogLastAt: now },
      condition: 'attribute_exists(pk)',
    });
    // The newest missed due time: only ever moves forward (deliveries of a burst come in any order).
    await this.tryUpdate(registryKey(jobName), {
      set: { backlogLastDue: due },
      condition: 'attribute_not_exists(#backlogLastDue) OR #backlogLastDue < :due',
      values: { ':due': due },
    });
    await this.tryUpdate(registryKey(jobName), {
      set: { backlogFirstDue: due },
      condition: '#backlogFirstDue > :due',
      values: { ':due': due },
    });
  }

  /** The backlog's alert is sent: its count starts again, unless more misses came meanwhile. */
  clearBacklog(jobName: string, lastAt: number): Promise<boolean> {
    return this.tryUpdate(registryKey(jobName), {
      remove: ['backlogMissed', 'backlogFirstDue', 'backlogLastDue', 'backlogLastAt'],
      condition: '#backlogLastAt = :lastAt',
      values: { ':lastAt': lastAt },
    });
  }

  /** A run of the job started: its Forbid skip streak is over. */
  resetSkipStreak(jobName: string): Promise<boolean> {
    return this.tryUpdate(registryKey(jobName), {
      remove: ['skipStreak', 'skipStreakSince'],
      condition: 'attribute_exists(#skipStreak)',
    });
  }

  /** Every stop of the runs this one replaces succeeded: a resume has none left to redo. */
  clearReplacing(jobName: string, due: DueTime, owner: string): Promise<boolean> {
    return this.tryUpdate(runKey(jobName, due), { remove: ['replacing'], ...this.ownedPending(owner) });
  }

  /**
   * The job's decision lease, held around "observe active runs → decide → claim the run" so the
   * concurrency policy holds across due times of one job (a backlog, retries delivered together), not
   * only within one. False while another invocation holds it.
   */
  acquireJobLease(jobName: string, owner: string, now: number, until: number): Promise<boolean> {
    const held = lease(owner, now, until);
    return this.tryUpdate(jobLeaseKey(jobName), {
      set: { ...held.set, ttl: ttlIn(until, DAY_S) },
      condition: `attribute_not_exists(pk) OR ${held.free}`,
      values: held.values,
    });
  }

  releaseJobLease(jobName: string, owner: string): Promise<boolean> {
    return this.release(jobLeaseKey(jobName), owner);
  }

  /**
   * An older run still trying to start, replaced by a newer one (concurrencyPolicy Replace): SKIPPED when
   * none of its tasks had started, REPLACED when some had (they are being stopped). Either way it is no
   * longer PENDING, so whoever was still starting it stops there (its next conditional write fails).
   */
  supersedePending(
    jobName: string,
    due: DueTime,
    by: DueTime,
    reason: string,
    now: number,
    taskArns: readonly string[] = [],
  ): Promise<boolean> {
    return this.tryUpdate(runKey(jobName, due), {
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
  adoptTasks(
    jobName: string,
    cluster: string,
    due: DueTime,
    taskArns: readonly string[],
    now: number,
    stopped = false,
  ): Promise<RunRecord | undefined> {
    return this.update<RunRecord>(
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
          ttl: ttlIn(now, RUN_TTL_S),
        },
      },
      'ALL_NEW',
    );
  }

  /**
   * One read for a due run: its own record (whatever its status) and the job's other runs in the recent
   * window that may still need work (PENDING or STARTED).
   */
  async runAndOpenRuns(
    jobName: string,
    due: DueTime,
    now: number,
  ): Promise<{ run: RunRecord | undefined; open: RunRecord[] }> {
    const own = `${RUN_PREFIX}${due}`;
    const windowStart = `${RUN_PREFIX}${new Date(now - OPEN_RUN_WINDOW_MS).toISOString().slice(0, 19)}Z`;
    const runs = await this.query<RunRecord & { sk: string }>({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      // The key can't be filtered on; every run item holds its due time. Newer runs tell of a backlog.
      FilterExpression: '#status IN (:pending, :started) OR #due >= :due',
      ExpressionAttributeNames: { '#status': 'status', '#due': 'due' },
      ExpressionAttributeValues: {
        ':pk': jobPk(jobName),
        ':from': own < windowStart ? own : windowStart,
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
  async recentRuns(jobName: string, limit: number): Promise<RunRecord[]> {
    const { Items } = await call('dynamodb:Query', `${this.table}/${jobPk(jobName)}`, () =>
      dynamodb.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
          ExpressionAttributeValues: { ':pk': jobPk(jobName), ':run': RUN_PREFIX },
          ScanIndexForward: false,
          Limit: limit,
          ConsistentRead: true,
        }),
      ),
    );
    return (Items ?? []) as RunRecord[];
  }

  /** Runs of the job in the recent window that may still need work (PENDING or STARTED). */
  openRuns(jobName: string, now: number): Promise<RunRecord[]> {
    return this.query<RunRecord>({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      FilterExpression: '#status IN (:pending, :started)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':pk': jobPk(jobName),
        ':from': `${RUN_PREFIX}${new Date(now - OPEN_RUN_WINDOW_MS).toISOString().slice(0, 19)}Z`,
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
  finalizeRun(
    jobName: string,
    due: DueTime,
    status: 'SUCCEEDED' | 'FAILED' | 'MISSED' | 'REPLACED' | 'UNKNOWN',
    now: number,
    fields: { outcome?: RunRecord['outcome']; tasks?: TaskOutcome[]; reason?: string },
  ): Promise<boolean> {
    return this.tryUpdate(runKey(jobName, due), {
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
  async trimHistory(
    jobName: string,
    keep: { succeeded: number; failed: number; skipped: number },
    now: number,
    options: BatchOptions = {},
  ): Promise<number> {
    const runs = await this.query<{
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
      const bucket =
        run.status === 'SUCCEEDED' ? 'succeeded' : run.status === 'SKIPPED' ? 'skipped' : 'failed';
      kept[bucket]++;
      return kept[bucket] > keep[bucket];
    });
    const writes = trimmed.map((run) => {
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
                ttl: Math.ceil(tokenExpiresAt / 1000),
              },
            },
          }
        : { DeleteRequest: { Key: { pk: run.pk, sk: run.sk } } };
    });
    const { unprocessed, error } = await batchWriteItems(this.table, writes, options);
    if (error && unprocessed.length === writes.length) throw error;
    return writes.length - unprocessed.length;
  }

  // Tasks

  /** First report of the task running: true only for the first caller (StartLatency is emitted once). */
  recordTaskStarted(
    jobName: string,
    due: DueTime,
    taskArn: string,
    startedAt: string,
    now: number,
  ): Promise<boolean> {
    return this.tryUpdate(taskKey(jobName, due, taskArn), {
      set: { startedAt },
      setIfNotExists: { taskArn, ttl: ttlIn(now, TASK_TTL_S) },
      condition: 'attribute_not_exists(#startedAt)',
    });
  }

  /**
   * The task's outcome, and its start when the event carries one, in one write; the first of each wins
   * (duplicates and late events change nothing). Says which of them this call recorded first, and the
   * outcome as stored.
   */
  async recordTaskStopped(
    jobName: string,
    due: DueTime,
    outcome: TaskOutcome,
    now: number,
    startedAt?: string,
  ): Promise<{ firstStop: boolean; firstStart: boolean; outcome: TaskOutcome }> {
    const old = await this.update<TaskRecord>(
      taskKey(jobName, due, outcome.taskArn),
      {
        setIfNotExists: {
          stoppedAt: outcome.stoppedAt ?? new Date(now).toISOString(),
          outcome,
          ...(startedAt ? { startedAt } : {}),
          taskArn: outcome.taskArn,
          ttl: ttlIn(now, TASK_TTL_S),
        },
      },
      'ALL_OLD',
    );
    return {
      firstStop: old?.stoppedAt === undefined,
      firstStart: startedAt !== undefined && old?.startedAt === undefined,
      outcome: old?.outcome ?? outcome,
    };
  }

  tasksOfRun(jobName: string, due: DueTime): Promise<TaskRecord[]> {
    return this.query<TaskRecord>({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': jobPk(jobName), ':prefix': taskPrefix(due) },
      ConsistentRead: true,
    });
  }

  // Alerts sent once

  /**
   * Claims the right to send an alert. Free when never sent, when the last one expired (`repeatAfterS`),
   * or when a claimer died before sending (its claim older than `leaseMs`).
   */
  claimAlert(
    key: ReturnType<typeof alertKey>,
    now: number,
    repeatAfterS: number,
    leaseMs = 60_000,
  ): Promise<boolean> {
    return this.tryUpdate(key, {
      set: { claimedAt: now, ttl: ttlIn(now, repeatAfterS) },
      remove: ['sentAt', 'messageId'],
      condition:
        'attribute_not_exists(pk) OR #ttl < :nowS OR (attribute_not_exists(#sentAt) AND #claimedAt < :staleClaim)',
      values: { ':nowS': Math.floor(now / 1000), ':staleClaim': now - leaseMs },
    });
  }

  async markAlertSent(key: ReturnType<typeof alertKey>, now: number, messageId?: string): Promise<void> {
    await this.update(key, { set: { sentAt: now, ...(messageId ? { messageId } : {}) } });
  }

  async releaseAlertClaim(key: ReturnType<typeof alertKey>): Promise<void> {
    await call('dynamodb:DeleteItem', `${this.table}/${key.pk}/${key.sk}`, () =>
      dynamodb.send(
        new DeleteCommand({
          TableName: this.table,
          Key: key,
          ConditionExpression: 'attribute_not_exists(sentAt)',
        }),
      ),
    ).catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
  }

  // Capacity requests (read by scale-capacity)

  async putCapacityRequest(request: CapacityRequest): Promise<void> {
    await call('dynamodb:PutItem', `${this.table}/${request.pk}`, () =>
      dynamodb.send(new PutCommand({ TableName: this.table, Item: request })),
    );
  }

  async deleteCapacityRequest(key: { pk: string; sk: string }): Promise<void> {
    await call('dynamodb:DeleteItem', `${this.table}/${key.pk}`, () =>
      dynamodb.send(new DeleteCommand({ TableName: this.table, Key: key })),
    );
  }

  // Retries after infrastructure kills

  /**
   * A started run whose failed tasks the infrastructure killed goes back to PENDING to start them again:
   * the killed tasks leave the run (kept in retiredTaskArns, so a late event can't bring them back), the
   * kill counts as a failed attempt (the next RunTask gets a new clientToken), and the every-minute pass
   * continues it until `restartBy`. Conditional on the retries counted so far: one retry per kill,
   * whichever invocation sees the last stop first.
   */
  retryKilledRun(input: {
    jobName: string;
    due: DueTime;
    killed: readonly string[];
    survivors: readonly string[];
    retriesSoFar: number;
    failure: AttemptFailure;
    failedAttempts: number;
    restartBy: number;
    now: number;
    reason: string;
  }): Promise<boolean> {
    return this.tryUpdate(runKey(input.jobName, input.due), {
      set: {
        status: 'PENDING',
        reason: input.reason,
        infraRetries: input.retriesSoFar + 1,
        restartBy: input.restartBy,
        nextAttemptAt: input.now,
        lastFailure: input.failure,
        failedAttempts: input.failedAttempts,
        ...(input.survivors.length > 0 ? { taskArns: new Set(input.survivors) } : {}),
      },
      add: { retiredTaskArns: new Set(input.killed) },
      ...(input.failedAttempts <= MAX_RECORDED_FAILURES ? { append: { failures: [input.failure] } } : {}),
      remove: [
        ...(input.survivors.length > 0 ? [] : ['taskArns']),
        'stoppedTasks',
        'leaseOwner',
        'leaseUntil',
        'finishedAt',
      ],
      condition:
        '#status IN (:started, :unknown) AND (attribute_not_exists(#infraRetries) OR #infraRetries = :retries)',
      values: { ':started': 'STARTED', ':unknown': 'UNKNOWN', ':retries': input.retriesSoFar },
    });
  }

  // Failure streaks (on the registry item, for the failed-run alert)

  /**
   * Counts a failed run into the job's streak of failures (`failStreak`, from `failStreakSince`), or ends
   * the streak with a success newer than its last failure. Answers the registry item as written; undefined
   * when an older run's outcome arrived after a newer one's (it changes nothing).
   */
  async recordFailStreak(
    jobName: string,
    due: DueTime,
    status: 'SUCCEEDED' | 'FAILED',
  ): Promise<RegisteredJob | undefined> {
    try {
      if (status === 'SUCCEEDED') {
        return await this.update<RegisteredJob>(
          registryKey(jobName),
          {
            remove: ['failStreak', 'failStreakSince', 'failStreakLastDue'],
            condition: 'attribute_exists(#failStreakLastDue) AND #failStreakLastDue < :due',
            values: { ':due': due },
          },
          'ALL_NEW',
        );
      }
      return await this.update<RegisteredJob>(
        registryKey(jobName),
        {
          add: { failStreak: 1 },
          set: { failStreakLastDue: due },
          setIfNotExists: { failStreakSince: due },
          condition:
            'attribute_exists(pk) AND (attribute_not_exists(#failStreakLastDue) OR #failStreakLastDue < :due) AND (attribute_not_exists(#lastSucceededDue) OR #lastSucceededDue < :due)',
          values: { ':due': due },
        },
        'ALL_NEW',
      );
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  // Suspend and resume (operators: npm run jobs -- suspend|resume <job>)

  /**
   * Suspends or resumes a registered job: its registry item's `suspended` flag, read by every due run (a
   * suspended job's due times are recorded SKIPPED) and by the periodic pass (no silence alert while
   * suspended). False when the job is not registered.
   */
  setSuspended(jobName: string, suspended: boolean, now: number): Promise<boolean> {
    return this.tryUpdate(registryKey(jobName), {
      ...(suspended
        ? { set: { suspended: true, suspendedAt: now } }
        : { remove: ['suspended', 'suspendedAt'], set: { resumedAt: now } }),
      condition: 'attribute_exists(pk)',
    });
  }
}
