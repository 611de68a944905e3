/**
 * Observe, foreseen demand: the next run of each scheduled job on this capacity provider, read from
 * run-scheduled-task's job registry (state table, pk `job#*`, shared/schedule/keys.ts) and the job's
 * schedule (shared/schedule/expression.ts). The planner plans a run's tasks once it is due within the
 * group's boot time plus a margin (shared/capacity/foresight.ts). A job is known here once one of its
 * due times has reached run-scheduled-task (the registry keeps the last definition seen).
 */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '../../shared/aws/dynamodb';
import { describeTaskDefinition } from '../../shared/aws/ecs';
import { call } from '../../shared/aws/errors';
import { combineMemberOf, type StrategyItem, strategyOf, strategyShare } from '../../shared/capacity/demand';
import { leadTime } from '../../shared/capacity/foresight';
import type { CapacitySnapshot, Foreseen } from '../../shared/capacity/snapshot';
import { taskRequirements } from '../../shared/ecs/requirements';
import { nextDueAfter, scheduleOf } from '../../shared/schedule/expression';
import { dueFromMs } from '../../shared/schedule/identity';
import { clusterName, familyOf, type Job, JobSchema } from '../../shared/schedule/job';
import { jobPk, REGISTRY_PK, RUN_PREFIX } from '../../shared/state/keys';
import type { ClusterReads } from './observe';

/** Run statuses whose tasks still hold room (functions/run-scheduled-task/store.ts RunStatus). */
const ACTIVE_STATUSES = new Set(['PENDING', 'STARTED']);

type Item = Record<string, unknown>;

async function queryAll(table: string, pk: string, skPrefix?: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const input: QueryCommandInput = {
      TableName: table,
      KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk, ...(skPrefix ? { ':prefix': skPrefix } : {}) },
      ...(start ? { ExclusiveStartKey: start } : {}),
    };
    const page = await call('dynamodb:Query', `${table}/${pk}`, () => dynamodb.send(new QueryCommand(input)));
    items.push(...((page.Items as Item[] | undefined) ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export interface ForesightInput {
  table: string;
  cluster: string;
  capacityProvider: string;
  clusterDefault: readonly StrategyItem[];
  anyInstance: boolean;
  now: number;
  /** Runs due later than this are not read further (the planner's lead time is shorter). */
  horizonSeconds: number;
}

/** The next run of every job of the cluster placed on this provider, due within the horizon. */
export async function readForeseenRuns(
  input: ForesightInput,
): Promise<{ foreseen: Foreseen[]; notes: string[] }> {
  const notes: string[] = [];
  const foreseen: Foreseen[] = [];
  const registry = await queryAll(input.table, REGISTRY_PK);
  for (const item of registry) {
    const parsed = JobSchema.safeParse(item.job);
    if (!parsed.success) continue; // run-scheduled-task reports invalid jobs itself
    const job = parsed.data;
    const cluster = clusterName(job.cluster ?? (typeof item.cluster === 'string' ? item.cluster : ''));
    if (cluster !== input.cluster || job.suspend) continue;
    const schedule = scheduleOf(job);
    const due = schedule ? nextDueAfter(schedule, input.now) : undefined;
    if (due === undefined || due - input.now > input.horizonSeconds * 1000) continue;
    const strategy = strategyOf(job, input.capacityProvider, input.clusterDefault, input.anyInstance);
    const count = strategyShare(strategy, input.capacityProvider, job.count);
    if (count <= 0) continue;
    try {
      foreseen.push(await foreseenRun(input, job, due, count));
    } catch (error) {
      notes.push(`job ${job.name}: next run not foreseen (${(error as Error).message})`);
    }
  }
  return { foreseen, notes };
}

async function foreseenRun(input: ForesightInput, job: Job, due: number, count: number): Promise<Foreseen> {
  const definition = await describeTaskDefinition(job.taskDefinition);
  const constraints = job.placementConstraints ?? [];
  const memberOf = combineMemberOf(
    [...(definition.placementConstraints ?? []), ...constraints]
      .filter((constraint) => constraint.type === 'memberOf' && constraint.expression)
      .map((constraint) => constraint.expression as string),
  );
  const policy = job.concurrencyPolicy ?? 'Allow';
  // Forbid and Replace depend on whether an earlier run still holds room: its run items say.
  const activeTasks = policy === 'Allow' ? 0 : await activeTasksOf(input.table, job.name);
  return {
    source: 'job',
    job: job.name,
    dueAt: dueFromMs(due),
    count,
    shape: taskRequirements(definition, job.overrides),
    group: `family:${definition.family ?? familyOf(job.taskDefinition)}`,
    distinctInstance: constraints.some((constraint) => constraint.type === 'distinctInstance'),
    ...(memberOf ? { memberOf } : {}),
    concurrencyPolicy: policy,
    activeTasks,
  };
}

/** Tasks of the job's runs still starting or running (a Forbid run waiting for its turn holds none). */
async function activeTasksOf(table: string, jobName: string): Promise<number> {
  const runs = await queryAll(table, jobPk(jobName), RUN_PREFIX);
  let tasks = 0;
  for (const run of runs) {
    if (!ACTIVE_STATUSES.has(String(run.status)) || run.waiting === true) continue;
    const arns = run.taskArns instanceof Set ? run.taskArns.size : 0;
    tasks += Math.max(arns, typeof run.count === 'number' ? run.count : 0);
  }
  return tasks;
}

/**
 * Adds the foreseen runs to an observed snapshot (in place). Foresight only buys ahead: when the
 * registry cannot be read the pass goes on without it (reactive), with a note.
 */
export async function addForeseenRuns(
  snapshot: CapacitySnapshot,
  input: Omit<ForesightInput, 'cluster' | 'capacityProvider' | 'horizonSeconds' | 'clusterDefault'> & {
    reads: Pick<ClusterReads, 'cluster'>;
  },
): Promise<string[]> {
  try {
    const cluster = await input.reads.cluster;
    const { foreseen, notes } = await readForeseenRuns({
      ...input,
      cluster: snapshot.cluster,
      capacityProvider: snapshot.capacityProvider,
      clusterDefault: cluster?.defaultCapacityProviderStrategy ?? [],
      horizonSeconds: leadTime(snapshot).seconds,
    });
    snapshot.foreseen = foreseen;
    return notes;
  } catch (error) {
    return [`scheduled jobs not foreseen this pass: ${(error as Error).message}`];
  }
}
