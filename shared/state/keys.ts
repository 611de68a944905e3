import { createHash } from 'node:crypto';
import { type DueTime, taskIdOf } from '../schedule/identity';

/**
 * The state table's one key schema: every item kind of every function, as typed builders (and parsers
 * where a key is read back). docs/architecture.md's state table lists each with its writer, readers and
 * TTL. IAM scopes each function to its own prefixes with `dynamodb:LeadingKeys` (infra/specs/*.ts):
 * `drain#`, `job#`, `capacity#`, `failure#`. Instance ids, job names and cluster names cannot contain
 * `#`, so one kind's keys never collide with another's.
 */
export type ItemKey = { pk: string; sk: string };

// --- drain-instance: `drain#` -------------------------------------------------------------------

const DRAIN_PREFIX = 'drain#';
export const DRAIN_SK = 'drain';
/** One drain of an instance. */
export const drainKey = (instanceId: string): ItemKey => ({
  pk: `${DRAIN_PREFIX}${instanceId}`,
  sk: DRAIN_SK,
});
/** The instance id of a drain's pk. */
export const instanceIdOfDrainPk = (pk: unknown): string => String(pk).replace(/^drain#/, '');
export const DRAIN_PK_PREFIX = DRAIN_PREFIX;
/** The ids of open drains (a string set `ids`), for the periodic sweep. */
export const DRAIN_OPEN_INDEX_KEY = { pk: 'drain#open', sk: 'index' } as const;

// --- run-scheduled-task: `job#` (job names can't contain `#` or `*`, so `job#*` is no job's) --------

export const REGISTRY_PK = 'job#*';
export const jobPk = (jobName: string) => `job#${jobName}`;
/** The registry entry of a job: its last definition seen, last outcomes. */
export const registryKey = (jobName: string): ItemKey => ({ pk: REGISTRY_PK, sk: jobName });
/** The job's decision lease (observe → decide → claim). */
export const jobLeaseKey = (jobName: string): ItemKey => ({ pk: jobPk(jobName), sk: 'lease' });
export const RUN_PREFIX = 'run#';
export const runKey = (jobName: string, due: DueTime): ItemKey => ({
  pk: jobPk(jobName),
  sk: `${RUN_PREFIX}${due}`,
});
export const taskPrefix = (due: DueTime) => `task#${due}#`;
export const taskKey = (jobName: string, due: DueTime, taskArn: string): ItemKey => ({
  pk: jobPk(jobName),
  sk: `${taskPrefix(due)}${taskIdOf(taskArn)}`,
});
export type AlertKind = 'invalid' | 'missed' | 'failed' | 'silent' | 'skipped' | 'long-running';
/** An alert sent once per kind and key. */
export const alertKey = (jobName: string, kind: AlertKind, key: string): ItemKey => ({
  pk: jobPk(jobName),
  sk: `alert#${kind}#${key}`,
});

// --- capacity: `capacity#<cluster>` (run-scheduled-task's requests), `capacity#<cluster>#<kind>` ----

/** The partition of a cluster's capacity requests; run-scheduled-task may write exactly this pk. */
export const capacityRequestsPk = (cluster: string) => `capacity#${cluster}`;
/** A capacity request of a run that found no room; `*` as provider means any group of the cluster. */
export const capacityRequestKey = (
  cluster: string,
  capacityProvider: string,
  jobName: string,
  due: DueTime,
): ItemKey => ({ pk: capacityRequestsPk(cluster), sk: `${capacityProvider}#${jobName}#${due}` });
/** The provider and job of a capacity request's sk. */
export function parseCapacityRequestSk(sk: unknown): {
  capacityProvider: string;
  jobName: string | undefined;
} {
  const [capacityProvider = '', jobName] = String(sk).split('#');
  return { capacityProvider, jobName };
}

/** scale-capacity's own markers, one partition per kind and cluster. */
export type CapacityMarkerKind = 'idle' | 'stall' | 'types' | 'launch' | 'seen' | 'agent';
export const capacityMarkerPk = (cluster: string, kind: CapacityMarkerKind) => `capacity#${cluster}#${kind}`;
/** A marker of one instance (idle, seen, agent) or one source (stall) of a provider. */
export const capacityMarkerKey = (
  cluster: string,
  kind: CapacityMarkerKind,
  capacityProvider: string,
  subject?: string,
): ItemKey => ({
  pk: capacityMarkerPk(cluster, kind),
  sk: subject === undefined ? capacityProvider : `${capacityProvider}#${subject}`,
});
/** The instance id or source of a marker's sk. */
export const subjectOfMarkerSk = (sk: unknown, capacityProvider: string) =>
  String(sk).slice(capacityProvider.length + 1);

// --- detect-failed-start: `failure#` -------------------------------------------------------------

/** One item per stopped task: it is counted once whatever its version, duplicates or event order. */
export const failureMarkerKey = (taskArn: string): ItemKey => ({ pk: `failure#task#${taskArn}`, sk: 'task' });

export const INCIDENT_SK = 'incident';
const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
/** `failure#incident#<clusterArn>#<category>#<cause>`; a long cause (a secret ARN) is hashed. */
export function incidentPk(clusterArn: string, category: string, causeKey: string): string {
  const cause = causeKey.length <= 200 ? causeKey : `sha256:${shortHash(causeKey)}`;
  return `failure#incident#${clusterArn}#${category}#${cause}`;
}
export const incidentKey = (pk: string): ItemKey => ({ pk, sk: INCIDENT_SK });
/** The incidents not yet resolved (a string set `incidents`). */
export const FAILURE_OPEN_INDEX_KEY = { pk: 'failure#open', sk: 'index' } as const;
