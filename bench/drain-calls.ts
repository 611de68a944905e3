// AWS calls one drain pass makes, against the fewest it needs, for instances with 1, 100 and 150 tasks.
// The real handler runs against the local endpoint; its call log is split into passes at each
// ecs:ListContainerInstances (every pass starts by finding the container instance).
//   npx tsx bench/drain-calls.ts [--json]
import type { Context } from 'aws-lambda';
import { followWorldClock } from '../test/local-aws/clock';
import { type CallRecord, type LocalAws, SAMPLE, startLocalAws } from '../test/local-aws/index';
import { lambdaContext } from '../test/local-aws/lambda';

export interface Row {
  /** Non-daemon tasks on the instance (it also runs the log-router DAEMON task). */
  tasks: number;
  pass: 'first (event)' | 'next (same invocation)' | 'reconcile (per minute)';
  /** AWS API calls the pass made: ECS, Auto Scaling and the DynamoDB state table. */
  calls: number;
  /** The fewest calls that pass could make under the API limits (see `minimum`). */
  minimum: number;
  ratio: number;
  /** The calls by operation, for reading the difference. */
  detail: string;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const PAGE = 100; // ListTasks page size, DescribeTasks batch
const pages = (count: number) => Math.max(1, Math.ceil(count / PAGE));

/**
 * The least a pass can do: find the container instance (list by ec2InstanceId filter + describe for its
 * status), list the tasks of both desired statuses (a page each at least), describe them 100 at a time,
 * and, where it applies, describe the services once (DAEMON or not), set DRAINING once, record the start
 * once, and for a reconcile pass read the group (1), the recorded drains (1) and the group's hooks (1).
 */
function minimum(pass: Row['pass'], listed: Listed): number {
  const observe =
    2 + pages(listed.running) + pages(listed.stopped) + Math.ceil((listed.running + listed.stopped) / PAGE);
  if (pass === 'next (same invocation)') return observe;
  const services = 1; // log-router, described once per invocation
  if (pass === 'first (event)') return observe + services + 1 /* DRAINING */ + 1 /* record start */;
  return observe + services + 3;
}

function detail(calls: CallRecord[]): string {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call.name, (counts.get(call.name) ?? 0) + 1);
  return [...counts.entries()].map(([name, count]) => `${name.replace(/^[a-z]+:/, '')}×${count}`).join(' ');
}

/** Splits an invocation's calls into passes; calls before the first pass belong to the first. */
function passesOf(calls: CallRecord[]): CallRecord[][] {
  const passes: CallRecord[][] = [];
  let current: CallRecord[] = [];
  passes.push(current);
  for (const call of calls) {
    // A pass starts with the lookup of the instance by its EC2 id (other ListContainerInstances calls,
    // such as the DRAINING count under MAX_DRAINING_PER_CLUSTER, belong to the pass they are in).
    const lookup = (seen: CallRecord) =>
      seen.name === 'ecs:ListContainerInstances' &&
      String((seen.input as { filter?: string }).filter ?? '').startsWith('ec2InstanceId ==');
    if (lookup(call) && current.some(lookup)) {
      current = [];
      passes.push(current);
    }
    current.push(call);
  }
  return passes;
}

/** Tasks ListTasks returns for the instance, by desired status, when the pass runs. */
interface Listed {
  running: number;
  stopped: number;
}

const row = (tasks: number, pass: Row['pass'], calls: CallRecord[], listed: Listed): Row => {
  const least = minimum(pass, listed);
  return {
    tasks,
    pass,
    calls: calls.length,
    minimum: least,
    ratio: calls.length / least,
    detail: detail(calls),
  };
};

async function measure(aws: LocalAws, handler: Handler, tasks: number): Promise<Row[]> {
  await aws.reset('sample');
  const { world } = aws;
  world.registerTaskDefinition({
    family: 'tiny',
    containerDefinitions: [{ name: 'tiny', image: 'busybox', cpu: 2, memory: 32, essential: true }],
  });
  world.setDesiredCapacity(SAMPLE.group, 4);
  world.advance(120_000);
  const fresh = world
    .group(SAMPLE.group)
    ?.instances.find((instance) => !SAMPLE.instances.includes(instance.instanceId as never));
  const instanceId = fresh?.instanceId as string;
  const arn = world.findContainerInstance(instanceId)?.arn as string;
  for (let left = tasks; left > 0; left -= 10) {
    world.runStandaloneTask({
      cluster: SAMPLE.cluster,
      taskDefinition: 'tiny:1',
      count: Math.min(10, left),
      onInstances: [arn],
      runForMs: 3_600_000,
    });
  }
  world.advance(20_000);
  world.takeEvents();
  world.terminateInstanceInGroup(instanceId, true);
  const [event] = world.takeEvents({ detailType: 'EC2 Instance-terminate Lifecycle Action' });

  const listed = (): Listed => ({
    running: world.tasks({ instance: arn, desiredStatus: 'RUNNING' }).length,
    stopped: world.tasks({ instance: arn, desiredStatus: 'STOPPED' }).length,
  });
  const before = listed();
  // Standalone tasks under the wait policy hold the drain open: every pass is a full observation.
  aws.calls.clear();
  await handler(event, lambdaContext({ functionName: 'drain-instance', timeoutMs: 14_000 }));
  const passes = passesOf(aws.calls.list());
  if (passes.length < 3) throw new Error(`expected at least 3 passes, got ${passes.length}`);
  // The clock stands still, so what DRAINING changed at once (the lone DAEMON task told to stop) holds
  // for every later pass.
  const after = listed();

  aws.calls.clear();
  await handler(
    { source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date().toISOString(), detail: {} },
    lambdaContext({ functionName: 'drain-instance', timeoutMs: 60_000 }),
  );
  return [
    row(tasks, 'first (event)', passes[0] ?? [], before),
    row(tasks, 'next (same invocation)', passes[1] ?? [], after),
    row(tasks, 'reconcile (per minute)', aws.calls.list(), after),
  ];
}

/** Runs once per process: the handler's SDK clients are bound to the endpoint started here. */
export async function benchDrainCalls(): Promise<Row[]> {
  const aws = await startLocalAws({ seed: 'sample' });
  const previous = { ...process.env };
  Object.assign(process.env, aws.env(), {
    AUTO_SCALING_GROUPS: SAMPLE.group,
    LIFECYCLE_HOOK_NAMES: SAMPLE.hook,
    POLL_INTERVAL_SECONDS: '1',
    DRY_RUN: 'false',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  // Date follows the world, which stands still: passes see no heartbeat due and no deadline.
  const restoreDate = followWorldClock(aws);
  try {
    const { handler } = (await import('../functions/drain-instance/index')) as { handler: Handler };
    const rows: Row[] = [];
    for (const tasks of [1, 100, 150]) rows.push(...(await measure(aws, handler, tasks)));
    return rows;
  } finally {
    restoreDate();
    process.env = previous;
    await aws.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchDrainCalls().then(
    (rows) => {
      if (process.argv.includes('--json')) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      console.log('drain-instance: AWS calls per drain pass against the minimum needed');
      console.table(
        rows.map(({ tasks, pass, calls, minimum, ratio, detail }) => ({
          tasks,
          pass,
          calls,
          minimum,
          ratio: ratio.toFixed(2),
          detail,
        })),
      );
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
