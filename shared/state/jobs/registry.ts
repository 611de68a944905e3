import type { DueTime } from '../../schedule/identity';
import { clusterName, familyOf, type Job } from '../../schedule/job';
import { REGISTRY_PK, registryKey } from '../keys';
import { tryUpdate, tryUpdateReturning, update } from '../primitives';
import { TTL_SECONDS, ttlAt } from '../ttl';
import type { RunStatus } from './runs';
import { jobsTable } from './table';

/** The registry of jobs (pk `job#*`, sk the job's name): what the periodic pass and the alerts know of a job. */
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
}

/** The run history is trimmed every this many due runs of a job, not after each run. */
export const TRIM_EVERY = 5;

/**
 * Records the job for the periodic pass and counts its due runs. True every TRIM_EVERY-th due run: the
 * caller then trims the run history (each due run adds at most one run item, so the history never holds
 * more than RUN_HISTORY + TRIM_EVERY finished runs).
 */
export async function registerJob(
  table: string,
  job: Job,
  cluster: string,
  due: DueTime,
  now: number,
): Promise<{ trimHistory: boolean }> {
  const updated = await update(
    jobsTable(table),
    registryKey(job.name),
    {
      set: {
        name: job.name,
        cluster: clusterName(cluster),
        family: familyOf(job.taskDefinition),
        job,
        lastSeenAt: now,
        lastDue: due,
        ttl: ttlAt(now, TTL_SECONDS.jobRegistry),
      },
      add: { dueRuns: 1 },
    },
    'UPDATED_NEW',
  );
  const dueRuns = typeof updated?.dueRuns === 'number' ? updated.dueRuns : 0;
  return { trimHistory: dueRuns % TRIM_EVERY === 0 };
}

/**
 * A due time of a registered job arrived with a definition that can't run: it still counts as the
 * schedule firing (the invalid-job alert covers it, not a silence alert).
 */
export async function touchJob(
  table: string,
  jobName: string,
  due: DueTime | undefined,
  now: number,
): Promise<void> {
  await tryUpdate(jobsTable(table), registryKey(jobName), {
    set: { lastSeenAt: now, ...(due ? { lastDue: due } : {}) },
    condition: 'attribute_exists(pk)',
  });
}

export function getJob(table: string, jobName: string): Promise<RegisteredJob | undefined> {
  return jobsTable(table).get<RegisteredJob>(registryKey(jobName));
}

export function listJobs(table: string): Promise<RegisteredJob[]> {
  return jobsTable(table).query<RegisteredJob>({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': REGISTRY_PK },
  });
}

/** Keeps "last succeeded / last failed" on the registry item; an older run never overwrites a newer one. */
export async function recordJobOutcome(
  table: string,
  jobName: string,
  due: DueTime,
  status: RunStatus,
  now: number,
): Promise<void> {
  const field = status === 'SUCCEEDED' ? 'lastSucceeded' : 'lastFailed';
  await tryUpdate(jobsTable(table), registryKey(jobName), {
    set: { [`${field}Due`]: due, [`${field}At`]: now, lastOutcome: status, lastOutcomeDue: due },
    condition: `attribute_exists(pk) AND (attribute_not_exists(#${field}Due) OR #${field}Due < :due)`,
    values: { ':due': due },
  });
}

/** A due time skipped for an earlier run still active: the job's streak of them, and its first due time. */
export async function recordForbidSkip(
  table: string,
  jobName: string,
  due: DueTime,
): Promise<{ skipStreak: number; skipStreakSince: DueTime } | undefined> {
  const updated = await tryUpdateReturning(jobsTable(table), registryKey(jobName), {
    add: { skipStreak: 1 },
    setIfNotExists: { skipStreakSince: due },
    condition: 'attribute_exists(pk)',
  });
  if (!updated) return undefined;
  return {
    skipStreak: (updated.skipStreak as number | undefined) ?? 1,
    skipStreakSince: (updated.skipStreakSince as DueTime | undefined) ?? due,
  };
}

/**
 * A due time of a backlog skipped past its starting deadline: counted on the registry item, so the
 * periodic pass sends one alert for the backlog instead of one per due time.
 */
export async function recordBacklogMiss(
  table: string,
  jobName: string,
  due: DueTime,
  now: number,
): Promise<void> {
  const jobs = jobsTable(table);
  await tryUpdate(jobs, registryKey(jobName), {
    add: { backlogMissed: 1 },
    setIfNotExists: { backlogFirstDue: due },
    set: { backlogLastAt: now },
    condition: 'attribute_exists(pk)',
  });
  // The newest missed due time: only ever moves forward (deliveries of a burst come in any order).
  await tryUpdate(jobs, registryKey(jobName), {
    set: { backlogLastDue: due },
    condition: 'attribute_not_exists(#backlogLastDue) OR #backlogLastDue < :due',
    values: { ':due': due },
  });
  await tryUpdate(jobs, registryKey(jobName), {
    set: { backlogFirstDue: due },
    condition: '#backlogFirstDue > :due',
    values: { ':due': due },
  });
}

/** The backlog's alert is sent: its count starts again, unless more misses came meanwhile. */
export function clearBacklog(table: string, jobName: string, lastAt: number): Promise<boolean> {
  return tryUpdate(jobsTable(table), registryKey(jobName), {
    remove: ['backlogMissed', 'backlogFirstDue', 'backlogLastDue', 'backlogLastAt'],
    condition: '#backlogLastAt = :lastAt',
    values: { ':lastAt': lastAt },
  });
}

/** A run of the job started: its Forbid skip streak is over. */
export function resetSkipStreak(table: string, jobName: string): Promise<boolean> {
  return tryUpdate(jobsTable(table), registryKey(jobName), {
    remove: ['skipStreak', 'skipStreakSince'],
    condition: 'attribute_exists(#skipStreak)',
  });
}
