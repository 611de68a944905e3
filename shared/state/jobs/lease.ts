import { jobLeaseKey } from '../keys';
import { acquireLease, releaseLease } from '../primitives';
import { TTL_SECONDS, ttlAt } from '../ttl';
import { jobsTable } from './table';

/**
 * The job's decision lease (pk `job#<job>`, sk `lease`), held around "observe active runs → decide →
 * claim the run" so the concurrency policy holds across due times of one job (a backlog, retries
 * delivered together), not only within one. False while another invocation holds it.
 */
export async function acquireJobLease(
  table: string,
  jobName: string,
  owner: string,
  now: number,
  until: number,
): Promise<boolean> {
  const held = await acquireLease(
    jobsTable(table),
    jobLeaseKey(jobName),
    { owner, now, until },
    { create: true, set: { ttl: ttlAt(until, TTL_SECONDS.jobLeaseAfterUntil) } },
  );
  return held !== undefined;
}

export function releaseJobLease(table: string, jobName: string, owner: string): Promise<boolean> {
  return releaseLease(jobsTable(table), jobLeaseKey(jobName), owner);
}
