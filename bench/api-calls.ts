// AWS calls per operation against the fewest that operation needs, for run-scheduled-task,
// detect-failed-start and scale-capacity (drain-instance: bench/drain-calls.ts). The real handlers run
// against the local endpoint's sample universe; calls are counted from its call log.
//   npx tsx bench/api-calls.ts [--json]
// Each minimum lists the calls the operation cannot do without, given the function's guarantees
// (exactly one run per due time, one alert per problem, decisions from fresh state); a ratio above 1
// shows, in `extra`, what the function spends beyond them.
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { stoppedBeforeRunningPattern } from '../functions/detect-failed-start/rules';
import { taskStateChangePattern } from '../functions/run-scheduled-task/rules';
import { placementFailurePattern } from '../functions/scale-capacity/rules';
import { dueFromMs } from '../shared/schedule/identity';
import { seedUnpullableService } from '../test/hardening/support/scenarios';
import { matchesPattern } from '../test/infra/event-pattern';
import { followWorldClock } from '../test/local-aws/clock';
import {
  type CallRecord,
  type LocalAws,
  SAMPLE,
  scheduledEvent,
  startLocalAws,
} from '../test/local-aws/index';
import { lambdaContext } from '../test/local-aws/lambda';

export interface ApiCallRow {
  function: string;
  operation: string;
  calls: number;
  minimum: number;
  ratio: number;
  /** Calls made beyond the minimum, by operation (empty when at the minimum). */
  extra: string;
  /** Every call, by operation. */
  detail: string;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;
/** The calls an operation needs: `service:Operation` -> how many. */
type Minimum = Record<string, number>;

const count = (calls: readonly { name: string }[]) => {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call.name, (counts.get(call.name) ?? 0) + 1);
  return counts;
};
const short = (name: string) => name.replace(/^[a-z]+:/, '');
const describeCounts = (counts: Map<string, number>) =>
  [...counts.entries()].map(([name, n]) => `${short(name)}×${n}`).join(' ');

function row(fn: string, operation: string, calls: readonly CallRecord[], minimum: Minimum): ApiCallRow {
  const made = count(calls);
  const least = Object.values(minimum).reduce((sum, n) => sum + n, 0);
  const extra = new Map<string, number>();
  for (const [name, n] of made) {
    const over = n - (minimum[name] ?? 0);
    if (over > 0) extra.set(name, over);
  }
  return {
    function: fn,
    operation,
    calls: calls.length,
    minimum: least,
    ratio: calls.length / least,
    extra: describeCounts(extra),
    detail: describeCounts(made),
  };
}

const EVENTS = 'events';
const JOB = (
  JSON.parse(readFileSync(`${EVENTS}/run-scheduled-task/scheduler-invocation.json`, 'utf8')) as {
    job: unknown;
  }
).job;

const tick = (aws: LocalAws, rule: string) => scheduledEvent(rule, aws.world.now());

async function measure(aws: LocalAws, fn: string, handler: Handler, event: unknown): Promise<CallRecord[]> {
  aws.calls.clear();
  await handler(event, lambdaContext({ functionName: fn, timeoutMs: 60_000 }));
  return aws.calls.list();
}

async function runScheduledTask(aws: LocalAws, handler: Handler): Promise<ApiCallRow[]> {
  const fn = 'run-scheduled-task';
  await aws.reset('sample');
  const { world } = aws;
  const due = { job: JOB, scheduledTime: dueFromMs(world.now()) };
  const taskEvents = (status: string) =>
    world
      .takeEvents({ detailType: 'ECS Task State Change' })
      .filter((event) => matchesPattern(taskStateChangePattern, event) && event.detail.lastStatus === status);
  world.takeEvents();
  const start = await measure(aws, fn, handler, due);
  const again = await measure(aws, fn, handler, due);
  world.advance(60_000);
  const [running] = taskEvents('RUNNING');
  const onRunning = await measure(aws, fn, handler, running);
  const pass = await measure(aws, fn, handler, tick(aws, 'ecs-autopilot-run-scheduled-task-tick'));
  world.advance(SAMPLE.reportRunMs);
  const [stopped] = taskEvents('STOPPED');
  const onStopped = await measure(aws, fn, handler, stopped);
  return [
    // Validate against the task definition; the job's active runs: its tasks in ECS (ListTasks by family,
    // none to describe) and, in one read of the job's runs, this due time's record and the runs of other
    // due times still trying to start (no task in ECS yet, invisible to ListTasks, yet Forbid must skip
    // for them and Replace supersede them); claim the due time (conditional write, with the first
    // attempt); register the job for the periodic pass; RunTask; record its task (and STARTED).
    row(fn, 'start a due run (Scheduler)', start, {
      'ecs:DescribeTaskDefinition': 1,
      'dynamodb:Query': 1,
      'ecs:ListTasks': 1,
      'dynamodb:UpdateItem': 3,
      'ecs:RunTask': 1,
    }),
    // The claimed due time says it all (the same one read of the job's runs).
    row(fn, 'the same due time again (duplicate)', again, { 'dynamodb:Query': 1 }),
    // One write: the task is RUNNING (start latency).
    row(fn, 'task RUNNING event', onRunning, { 'dynamodb:UpdateItem': 1 }),
    // The outcome on the run, and the job's "last succeeded".
    row(fn, 'task STOPPED event (exit 0)', onStopped, { 'dynamodb:UpdateItem': 2 }),
    // The jobs; their open runs; the family's tasks (active deadline) and their details.
    row(fn, 'periodic pass (one job, one run active)', pass, {
      'dynamodb:Query': 2,
      'ecs:ListTasks': 1,
      'ecs:DescribeTasks': 1,
    }),
  ];
}

async function detectFailedStart(aws: LocalAws, handler: Handler): Promise<ApiCallRow[]> {
  const fn = 'detect-failed-start';
  await aws.reset('sample');
  const { world } = aws;
  seedUnpullableService(world, 1);
  world.takeEvents();
  const failures: unknown[] = [];
  world.advanceUntil(
    () => {
      failures.push(
        ...world
          .takeEvents({ detailType: 'ECS Task State Change' })
          .filter((event) => matchesPattern(stoppedBeforeRunningPattern, event)),
      );
      return failures.length >= 2;
    },
    { maxMs: 600_000, stepMs: 1_000 },
  );
  world.setServiceDesiredCount(SAMPLE.cluster, 'checkout', 0);
  const [first, second] = failures;
  const alert = await measure(aws, fn, handler, first);
  const counted = await measure(aws, fn, handler, second);
  const duplicate = await measure(aws, fn, handler, second);
  const pass = await measure(aws, fn, handler, tick(aws, 'ecs-autopilot-detect-failed-start-reconcile'));
  return [
    // Log links from the task definition (once per revision); the task's dedupe marker; the problem's
    // window (conditional update, which also records the alert owed); the alert; the marker marked done.
    // That last write can't go: until it, a later event of the task (after the lease) can't tell a
    // finished task from one whose invocation died, and would count or alert it again.
    row(fn, 'first failure of a problem (alert)', alert, {
      'ecs:DescribeTaskDefinition': 1,
      'dynamodb:PutItem': 1,
      'dynamodb:UpdateItem': 2,
      'sns:Publish': 1,
    }),
    // Marker, window, marker done (as above); the task definition is cached.
    row(fn, 'repeat failure in the window (counted)', counted, {
      'dynamodb:PutItem': 1,
      'dynamodb:UpdateItem': 2,
    }),
    // The marker is there: the failed claim returns it (ReturnValuesOnConditionCheckFailure). dynalite,
    // behind the local endpoint, does not return it, so the function reads it: GetItem×1 here only.
    row(fn, 'duplicate event', duplicate, { 'dynamodb:PutItem': 1 }),
    // The cluster's stopped tasks (both already counted): list, describe, read their markers.
    row(fn, 'periodic pass (2 stopped tasks, both known)', pass, {
      'ecs:ListTasks': 1,
      'ecs:DescribeTasks': 1,
      'dynamodb:BatchGetItem': 1,
    }),
  ];
}

async function scaleCapacity(aws: LocalAws, handler: Handler): Promise<ApiCallRow[]> {
  const fn = 'scale-capacity';
  await aws.reset('sample');
  const { world } = aws;
  const steady = await measure(aws, fn, handler, tick(aws, 'ecs-autopilot-scale-capacity-tick'));
  world.setServiceDesiredCount(SAMPLE.cluster, 'api', 16);
  const found: unknown[] = [];
  world.advanceUntil(
    () => {
      found.push(
        ...world
          .takeEvents()
          .filter((event) => matchesPattern(placementFailurePattern([SAMPLE.clusterArn]), event)),
      );
      return found.length > 0;
    },
    { maxMs: 120_000, stepMs: 1_000 },
  );
  const burst = await measure(aws, fn, handler, found[0]);
  // Reads every pass needs for a decision from fresh state, with the sample's one cluster, one group,
  // three instances, three services on three task definitions.
  const observe: Minimum = {
    'ecs:DescribeCapacityProviders': 1, // managed scaling off? which group?
    'ecs:DescribeClusters': 1, // the default capacity provider strategy
    'autoscaling:DescribeAutoScalingGroups': 1, // min, max, desired, instances, protection
    'ecs:ListContainerInstances': 1,
    'ecs:DescribeContainerInstances': 1, // free resources, attributes, running tasks (≤ 100 a call)
    'ecs:ListServices': 1,
    'ecs:DescribeServices': 1, // deficits (≤ 10 a call)
    'dynamodb:Query': 1, // the provider's partition: capacity requests and the function's own markers
  };
  return [
    row(fn, 'first periodic pass, nothing to scale', steady, {
      ...observe,
      'ecs:DescribeTaskDefinition': 3, // api, worker, log-router: shapes (cached after the first pass)
      'autoscaling:SetInstanceProtection': 1, // the busy instances start unprotected in the sample
    }),
    row(fn, 'placement failure → scale-out', burst, { ...observe, 'autoscaling:SetDesiredCapacity': 1 }),
  ];
}

const MEASURED: Record<string, (aws: LocalAws, handler: Handler) => Promise<ApiCallRow[]>> = {
  'run-scheduled-task': runScheduledTask,
  'detect-failed-start': detectFailedStart,
  'scale-capacity': scaleCapacity,
};

/** Runs once per process: the handlers' SDK clients are bound to the endpoint started here. */
export async function benchApiCalls(): Promise<ApiCallRow[]> {
  const aws = await startLocalAws({ seed: 'sample' });
  const previous = { ...process.env };
  Object.assign(process.env, aws.env(), {
    CLUSTERS: SAMPLE.cluster,
    // detect-failed-start: events are delivered one at a time here, so no grouping wait.
    GROUP_WAIT_SECONDS: '0',
    CAPACITY_PROVIDERS: SAMPLE.capacityProvider,
    DRY_RUN: 'false',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const restoreDate = followWorldClock(aws);
  try {
    const rows: ApiCallRow[] = [];
    for (const [fn, run] of Object.entries(MEASURED)) {
      const { handler } = (await import(`../functions/${fn}/index`)) as { handler: Handler };
      rows.push(...(await run(aws, handler)));
    }
    return rows;
  } finally {
    restoreDate();
    process.env = previous;
    await aws.close();
  }
}

export function printApiCalls(rows: readonly ApiCallRow[]): void {
  console.log('AWS calls per operation against the minimum it needs (drain-instance: see its own table)');
  console.table(
    rows.map(({ function: fn, operation, calls, minimum, ratio, extra }) => ({
      function: fn,
      operation,
      calls,
      minimum,
      ratio: ratio.toFixed(2),
      extra,
    })),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchApiCalls().then(
    (rows) => {
      if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
      else printApiCalls(rows);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
