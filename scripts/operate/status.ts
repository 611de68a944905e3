// npm run status [-- --json] [--aws]: what the automation is doing now, from the state table.
import { pathToFileURL } from 'node:url';
import type { LocalAws } from '../../test/local-aws/index';
import { age, COMMON_HELP, type Io, iso, parse, runMain, table, UsageError, withTarget } from './cli';

export const usage = 'usage: npm run status -- [--json] [--aws] [--verbose]';

export const help = `${usage}

Shows, from the state table, what ecs-autopilot is doing now:
  drains      drains not yet completed: instance, group, cluster, cause, age, deadline, tasks left at the
              last look, the invocation holding it (DRAIN_DEADLINE_SECONDS sets the deadline shown,
              default 3600, as drain-instance's own setting)
  jobs        jobs run-scheduled-task has seen: last due time, last success, last outcome, active runs
              (PENDING or STARTED in the last two days); the schedule itself and whether it is suspended
              live in EventBridge Scheduler and are not shown
  problems    failed-start problems not yet resolved: cluster, category, the cause they share, state,
              the services failing, failures in this episode and in all, since
  capacity    each capacity provider's last change by scale-capacity (scale-out, scale-in, protection),
              when, the desired capacity before and after, and the plan's reasons (kept 14 days)

Without --aws it reads a fresh local endpoint with the sample cluster, where nothing has run yet: the
demo (ecs-autopilot demo) runs the functions there and shows status at its end.

${COMMON_HELP}`;

export interface Status {
  now: string;
  drains: {
    instanceId: string;
    group: string;
    cluster: string;
    cause: string;
    origin: string;
    startedAt: string;
    ageSeconds: number;
    deadline: string;
    remainingTasks?: number | undefined;
    lastHeartbeatAt?: string | undefined;
    heldBy?: string | undefined;
  }[];
  jobs: {
    name: string;
    cluster: string;
    taskDefinitionFamily: string;
    lastDue?: string | undefined;
    lastSucceededDue?: string | undefined;
    lastOutcome?: string | undefined;
    activeRuns: { due: string; status: string }[];
  }[];
  problems: {
    cluster: string;
    category: string;
    /** What the failures share (a service, a secret, a registry...). */
    cause: string;
    /** `pending` (its first message waits to group a wave), `firing`. */
    state: string;
    /** The services and task families failing, with their failures in this episode. */
    groups: { group: string; failures: number }[];
    failures: number;
    totalFailures: number;
    since: string;
    lastFailureAt: string;
  }[];
  capacity: {
    cluster: string;
    provider: string;
    group?: string | undefined;
    action: string;
    at: string;
    desiredCapacity?: { from: number; to: number } | undefined;
    reasons: string[];
  }[];
}

const optionalText = (value: unknown) => (typeof value === 'string' ? value : undefined);
const clusterOfArn = (arn: string) => arn.split('/').pop() ?? arn;

/** Reads the state table (readers imported late: their SDK clients take the environment set by then). */
export async function readStatus(tableName: string, now: number): Promise<Status> {
  const { listOpenDrains } = await import('../../shared/state/drain');
  const { ScheduleStore } = await import('../../shared/state/jobs/store');
  const { listOpenIncidents } = await import('../../functions/detect-failed-start/incidents');
  const deadlineSeconds = Number(process.env.DRAIN_DEADLINE_SECONDS ?? 3600);
  const store = new ScheduleStore(tableName);
  const { listProviderDecisions } = await import('../../shared/state/decisions');
  const [drains, registered, problems, capacity] = await Promise.all([
    listOpenDrains(tableName),
    store.listJobs(),
    listOpenIncidents(tableName),
    listProviderDecisions(tableName),
  ]);
  const jobs = await Promise.all(
    registered.map(async (job) => {
      const extra = job as unknown as Record<string, unknown>;
      const open = await store.openRuns(job.name, now);
      return {
        name: job.name,
        cluster: job.cluster,
        taskDefinitionFamily: job.family,
        lastDue: job.lastDue,
        lastSucceededDue: optionalText(extra.lastSucceededDue),
        lastOutcome: optionalText(extra.lastOutcome),
        activeRuns: open.map((run) => ({ due: run.due, status: run.status })),
      };
    }),
  );
  return {
    now: iso(now),
    drains: drains
      .sort((a, b) => a.startedAt - b.startedAt)
      .map((drain) => ({
        instanceId: drain.instanceId,
        group: drain.group,
        cluster: drain.cluster,
        cause: drain.cause,
        origin: drain.origin,
        startedAt: iso(drain.startedAt),
        ageSeconds: Math.round((now - drain.startedAt) / 1000),
        deadline: iso(drain.startedAt + deadlineSeconds * 1000),
        remainingTasks: drain.remainingTasks,
        lastHeartbeatAt: drain.lastHeartbeatAt === undefined ? undefined : iso(drain.lastHeartbeatAt),
        heldBy: drain.leaseUntil !== undefined && drain.leaseUntil > now ? drain.leaseOwner : undefined,
      })),
    jobs: jobs.sort((a, b) => a.name.localeCompare(b.name)),
    problems: problems
      .sort((a, b) => a.episodeStartedAt - b.episodeStartedAt)
      .map((problem) => ({
        cluster: problem.cluster || clusterOfArn(problem.clusterArn),
        category: problem.category,
        cause: problem.causeLabel ?? problem.causeKey,
        state: problem.state,
        groups: problem.members.map((member) => ({ group: member.group, failures: member.failures })),
        failures: problem.failures,
        totalFailures: problem.totalFailures,
        since: iso(problem.episodeStartedAt),
        lastFailureAt: iso(problem.lastFailureAt),
      })),
    capacity: capacity.sort((a, b) =>
      `${a.cluster}#${a.provider}`.localeCompare(`${b.cluster}#${b.provider}`),
    ),
  };
}

function render(status: Status): string {
  const sections = [`Status at ${status.now}`];
  sections.push(
    status.drains.length === 0
      ? '\nDrains in progress: none'
      : `\nDrains in progress:\n${table(
          ['INSTANCE', 'GROUP', 'CLUSTER', 'CAUSE', 'AGE', 'DEADLINE', 'TASKS LEFT', 'HELD BY'],
          status.drains.map((drain) => [
            drain.instanceId,
            drain.group,
            drain.cluster,
            drain.cause,
            age(drain.ageSeconds * 1000),
            drain.deadline,
            drain.remainingTasks === undefined ? '?' : String(drain.remainingTasks),
            drain.heldBy ?? '-',
          ]),
        )}`,
  );
  sections.push(
    status.jobs.length === 0
      ? '\nJobs: none seen yet'
      : `\nJobs:\n${table(
          ['JOB', 'CLUSTER', 'LAST DUE', 'LAST SUCCESS', 'LAST OUTCOME', 'ACTIVE RUNS'],
          status.jobs.map((job) => [
            job.name,
            job.cluster,
            job.lastDue ?? '-',
            job.lastSucceededDue ?? '-',
            job.lastOutcome ?? '-',
            job.activeRuns.length === 0
              ? '0'
              : job.activeRuns.map((run) => `${run.due} ${run.status}`).join(', '),
          ]),
        )}`,
  );
  sections.push(
    status.problems.length === 0
      ? '\nFailed-start problems: none open'
      : `\nFailed-start problems:\n${table(
          ['CLUSTER', 'CATEGORY', 'CAUSE', 'STATE', 'SERVICES', 'FAILURES', 'TOTAL', 'SINCE'],
          status.problems.map((problem) => [
            problem.cluster,
            problem.category,
            problem.cause,
            problem.state,
            problem.groups.map((group) => group.group).join(', '),
            String(problem.failures),
            String(problem.totalFailures),
            problem.since,
          ]),
        )}`,
  );
  sections.push(
    status.capacity.length === 0
      ? '\nCapacity providers: no change by scale-capacity recorded'
      : `\nCapacity providers (last change):\n${status.capacity
          .map((last) =>
            [
              `  ${last.cluster}/${last.provider}${last.group ? ` (${last.group})` : ''}: ${last.action} at ${last.at.replace(/\.\d{3}Z$/, 'Z')}${last.desiredCapacity ? `, desired ${last.desiredCapacity.from} -> ${last.desiredCapacity.to}` : ''}`,
              ...last.reasons.map((reason) => `    - ${reason}`),
            ].join('\n'),
          )
          .join('\n')}`,
  );
  return sections.join('\n');
}

/** The command; `local` reuses an endpoint the caller runs (tests). */
export async function status(args: string[], io: Io, local?: LocalAws): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) {
    io.out(help);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`status takes no arguments, not "${positionals.join(' ')}"`);
  const result = await withTarget({ aws: values.aws, verbose: values.verbose, local }, io, ({ table }) =>
    readStatus(table, Date.now()),
  );
  io.out(values.json ? JSON.stringify(result, null, 2) : render(result));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain(`${usage}\n(npm run status -- --help for more)`, status);
}
