// npm run jobs -- history <job> | run <job>: a job's recent runs, and a run now.

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { LocalAws } from '../../test/local-aws/index';
import {
  COMMON_HELP,
  COMMON_OPTIONS,
  type Io,
  iso,
  runMain,
  type Target,
  table,
  UsageError,
  withTarget,
} from './cli';

export const usage = 'usage: npm run jobs -- <history|run> <job> [--json] [--aws] [--limit <n>]';

const helps: Record<string, string> = {
  jobs: `${usage}

  history <job>   the job's most recent runs, newest first: due time, status, tasks, outcome
  run <job>       a run now, through run-scheduled-task's real handler (local endpoint only)

npm run jobs -- <command> --help for each. With --aws both read the state table named by STATE_TABLE.`,
  history: `usage: npm run jobs -- history <job> [--limit <n>] [--json] [--aws]

The job's most recent runs from the state table, newest first: due time, status (PENDING, STARTED,
SUCCEEDED, FAILED, SKIPPED, MISSED, ...), tasks requested and started, when it started and finished, and
the outcome or the reason it did not run. run-scheduled-task keeps RUN_HISTORY finished runs per job.

  --limit <n>   how many runs (default 20)
${COMMON_HELP}`,
  run: `usage: npm run jobs -- run <job> [--json]

Starts a run of a job now, as the schedule would: run-scheduled-task's real handler gets a Scheduler
input with the job's registered definition (the one the schedule last delivered) and the current minute
as the due time. The run has the same exactly-once identity and policies as a scheduled one
(concurrencyPolicy, starting deadline, retries): a second "run" in the same minute, or a schedule firing
in that minute, finds the run already there and starts nothing.

Only on the local endpoint. Against real AWS (--aws, needs STATE_TABLE) it prints the input to give the
function instead, e.g. with: aws lambda invoke --function-name <run-scheduled-task function>
--cli-binary-format raw-in-base64-out --payload file://input.json out.json
${COMMON_HELP}`,
};

/** On the local endpoint, simulated time runs at 30 × real time while the handler waits (as invoke). */
const REAL_MS_PER_TICK = 100;
const SIMULATED_MS_PER_TICK = 3_000;

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: { ...COMMON_OPTIONS, limit: { type: 'string', default: '20' } },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function registeredJob(target: Target, name: string) {
  const { ScheduleStore } = await import('../../shared/state/jobs/store');
  const jobs = await new ScheduleStore(target.table).listJobs();
  const job = jobs.find((one) => one.name === name);
  if (!job) {
    const known = jobs.map((one) => one.name).join(', ') || 'none yet';
    throw new Error(
      `Job "${name}" is not registered (run-scheduled-task registers a job the first time its schedule fires). Known: ${known}`,
    );
  }
  return job;
}

async function history(target: Target, name: string, limit: number) {
  const { ScheduleStore } = await import('../../shared/state/jobs/store');
  const runs = await new ScheduleStore(target.table).recentRuns(name, limit);
  return runs.map((run) => ({
    due: run.due,
    status: run.status,
    count: run.count,
    tasks: [...(run.taskArns ?? [])].sort(),
    startedAt: run.startedAt === undefined ? undefined : iso(run.startedAt),
    finishedAt: run.finishedAt === undefined ? undefined : iso(run.finishedAt),
    succeeded: run.outcome?.succeeded,
    failures: run.outcome?.failures ?? [],
    reason: run.reason,
    failedAttempts: run.failedAttempts,
  }));
}

type History = Awaited<ReturnType<typeof history>>;

function renderHistory(name: string, runs: History): string {
  if (runs.length === 0) return `No runs recorded for job "${name}"`;
  return table(
    ['DUE', 'STATUS', 'TASKS', 'STARTED', 'FINISHED', 'OUTCOME'],
    runs.map((run) => [
      run.due,
      run.status,
      `${run.tasks.length}/${run.count ?? '?'}`,
      run.startedAt ?? '-',
      run.finishedAt ?? '-',
      run.failures.length > 0 ? run.failures.join('; ') : (run.reason ?? (run.succeeded ? 'succeeded' : '-')),
    ]),
  );
}

/** What a handler answer means for the exit code: the run exists (started now or before) or not. */
const RUN_EXISTS = new Set(['started', 'already-started', 'already-decided', 'in-progress', 'retrying']);

async function runNow(
  target: Target,
  name: string,
  io: Io,
): Promise<{ input: { job: unknown; scheduledTime: string }; result?: unknown }> {
  const { dueFromMs } = await import('../../shared/schedule/identity');
  const job = await registeredJob(target, name);
  // EventBridge Scheduler fires to the minute: the current minute is the due time a schedule would give.
  const input = { job: job.job, scheduledTime: dueFromMs(Math.floor(Date.now() / 60_000) * 60_000) };
  const local = target.local;
  if (!local) return { input };
  const { lambdaContext } = await import('../../test/local-aws/lambda');
  const { handler } = (await import('../../functions/run-scheduled-task/index')) as unknown as {
    handler: (event: unknown, context: unknown) => Promise<unknown>;
  };
  io.err(`Running "${name}" due ${input.scheduledTime} through run-scheduled-task`);
  const ticker = setInterval(() => local.world.advance(SIMULATED_MS_PER_TICK), REAL_MS_PER_TICK);
  try {
    const result = await handler(
      input,
      lambdaContext({ functionName: 'run-scheduled-task', timeoutMs: 60_000 }),
    );
    return { input, result };
  } finally {
    clearInterval(ticker);
  }
}

const statusOf = (result: unknown) =>
  typeof result === 'object' && result !== null && 'status' in result ? String(result.status) : 'unknown';

/** The command; `local` reuses an endpoint the caller runs (tests). */
export async function jobs(args: string[], io: Io, local?: LocalAws): Promise<number> {
  const { values, positionals } = parse(args);
  const [command, name, ...rest] = positionals;
  if (values.help) {
    io.out(helps[command ?? 'jobs'] ?? helps.jobs ?? '');
    return 0;
  }
  if (command !== 'history' && command !== 'run')
    throw new UsageError(command ? `Unknown jobs command "${command}"` : 'a command is needed');
  if (!name) throw new UsageError(`jobs ${command} needs a job name`);
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new UsageError(`--limit must be a whole number from 1 to 1000, not "${values.limit}"`);
  const options = { aws: values.aws, verbose: values.verbose, local };

  if (command === 'history') {
    const runs = await withTarget(options, io, (target) => history(target, name, limit));
    io.out(values.json ? JSON.stringify({ job: name, runs }, null, 2) : renderHistory(name, runs));
    return 0;
  }

  const { input, result } = await withTarget(options, io, (target) => runNow(target, name, io));
  if (result === undefined) {
    io.out(JSON.stringify(input, null, 2));
    io.err(
      'jobs run starts a run only on the local endpoint: against AWS, invoke the run-scheduled-task function with the input above (npm run jobs -- run --help)',
    );
    return 1;
  }
  const status = statusOf(result);
  if (values.json) io.out(JSON.stringify(result, null, 2));
  else io.out(`${name} due ${input.scheduledTime}: ${status}\n${JSON.stringify(result)}`);
  return RUN_EXISTS.has(status) ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain(`${usage}\n(npm run jobs -- --help for more)`, jobs);
}
