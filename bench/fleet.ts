// What the four functions cost an account's ECS API budget, at fleet scale.
//   npx tsx bench/fleet.ts [--json]
// The account: 20 clusters, 40 groups, 4,000 instances, 40,000 tasks. One cluster of it (2 groups of
// 100 instances, 100 services of 20 tasks plus a log-router daemon: 2,200 tasks) is built on the local
// endpoint and the real handlers run against it; their calls are counted per ECS throttling bucket
// (shared/ecs/api-buckets.ts). The account's figures scale the per-cluster counts by 20 (the passes
// visit clusters one after the other), and each scenario is then played second by second against the
// documented buckets, so calls a bucket cannot serve wait (as the SDK's retries make them) and are
// counted as throttled. Assumptions are named where they are made; see "What the functions cost an
// account" in README.md.
import type { Context } from 'aws-lambda';
import { type ApiBucket, ECS_API_BUCKETS, ecsApiBucket } from '../shared/ecs/api-buckets';
import { followWorldClock } from '../test/local-aws/clock';
import { type CallRecord, type LocalAws, scheduledEvent, startLocalAws } from '../test/local-aws/index';
import { lambdaContext } from '../test/local-aws/lambda';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const ACCOUNT = { clusters: 20, groups: 40, instances: 4_000, tasks: 40_000 } as const;
const CLUSTER = 'fleet';
const GROUPS = ['fleet-a', 'fleet-b'] as const;
const INSTANCES_PER_GROUP = ACCOUNT.instances / ACCOUNT.groups;
const SERVICES = 100;
const TASKS_PER_SERVICE = (ACCOUNT.tasks / ACCOUNT.clusters - INSTANCES_PER_GROUP * GROUPS.length) / SERVICES;
const HOOK = 'ecs-autopilot-drain';
/** Sequential AWS calls of one pass, at a typical round trip; a pass's calls spread over its length. */
const CALL_LATENCY_SECONDS = 0.05;
/** The deployed memory of each function (infra/specs/*.ts). */
const CONFIGURED_MEMORY_MB: Record<string, number> = {
  'drain-instance': 256,
  'run-scheduled-task': 256,
  'detect-failed-start': 256,
  'scale-capacity': 1024,
};

/** detect-failed-start's Lambda timeout (infra/specs/detect-failed-start.ts). */
const DETECT_TIMEOUT_SECONDS = 120;

/** Calls of one pass per bucket: ECS buckets by name, plus `autoscaling` and `dynamodb`. */
type Counts = Record<string, number>;

interface Measured {
  calls: Counts;
  total: number;
  seconds: number;
  /** Peak heap the pass added, MiB. */
  heapMb: number;
}

function countByBucket(calls: readonly CallRecord[]): Counts {
  const counts: Counts = {};
  for (const call of calls) {
    const key = call.service === 'ecs' ? (ecsApiBucket(call.operation)?.name ?? call.name) : call.service;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function measure(aws: LocalAws, fn: string, handler: Handler, event: unknown, timeoutMs = 60_000) {
  aws.calls.clear();
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 5);
  const started = performance.now();
  await handler(event, lambdaContext({ functionName: fn, timeoutMs }));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  const calls = aws.calls.list();
  return {
    calls: countByBucket(calls),
    total: calls.length,
    seconds,
    heapMb: (peak - before) / 2 ** 20,
  } satisfies Measured;
}

/** One cluster of the account, settled: every task RUNNING. */
function buildCluster(aws: LocalAws): void {
  const { world } = aws;
  world.createCluster(CLUSTER);
  world.registerTaskDefinition({
    family: 'fleet-service',
    networkMode: 'bridge',
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'app', image: 'public.ecr.aws/docker/library/nginx:1', essential: true }],
  });
  world.registerTaskDefinition({
    family: 'fleet-log-router',
    networkMode: 'bridge',
    cpu: '128',
    memory: '256',
    containerDefinitions: [
      { name: 'log-router', image: 'public.ecr.aws/aws-observability/fluent-bit:2', essential: true },
    ],
  });
  for (const group of GROUPS) {
    world.createAutoScalingGroup({
      name: group,
      instanceType: 'm5.2xlarge',
      minSize: 0,
      maxSize: 400,
      cluster: CLUSTER,
    });
    world.putLifecycleHook({
      group,
      name: HOOK,
      transition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      heartbeatTimeoutSeconds: 300,
      defaultResult: 'CONTINUE',
      notificationMetadata: JSON.stringify({ cluster: CLUSTER }),
    });
    world.createCapacityProvider({
      name: `${group}-cp`,
      autoScalingGroup: group,
      managedScaling: 'DISABLED',
      cluster: CLUSTER,
    });
    world.launchInstances(group, INSTANCES_PER_GROUP, { inService: true });
  }
  world.createService({
    cluster: CLUSTER,
    name: 'log-router',
    taskDefinition: 'fleet-log-router:1',
    schedulingStrategy: 'DAEMON',
  });
  for (let index = 0; index < SERVICES; index++) {
    world.createService({
      cluster: CLUSTER,
      name: `service-${index}`,
      taskDefinition: 'fleet-service:1',
      desiredCount: TASKS_PER_SERVICE,
      capacityProviderStrategy: [{ capacityProvider: `${GROUPS[index % 2]}-cp`, weight: 1, base: 0 }],
    });
  }
  world.advance(5 * 60_000);
  world.takeEvents();
}

const tick = (aws: LocalAws) => scheduledEvent('ecs-autopilot-fleet-tick', aws.world.now());

interface Measurements {
  scaleTickCold: Measured;
  scaleTick: Measured;
  drainReconcile: Measured;
  detectReconcileQuiet: Measured;
  runReconcile: Measured;
  drainFirstStep: Counts;
  drainNextStep: Counts;
  /** detect-failed-start pass with `stoppedTasks` failed starts retained by ECS. */
  detectReconcileLoaded: Measured;
  stoppedTasks: number;
  detectEvent: Measured;
  scaleOnProvisioning: Measured;
  scaleOut: Measured;
  scaleOutTasks: number;
}

async function measureAll(aws: LocalAws, handlers: Record<string, Handler>): Promise<Measurements> {
  const { world } = aws;
  const scaleTickCold = await measure(
    aws,
    'scale-capacity',
    handlers['scale-capacity'] as Handler,
    tick(aws),
  );
  world.advance(60_000);
  const scaleTick = await measure(aws, 'scale-capacity', handlers['scale-capacity'] as Handler, tick(aws));
  const drainReconcile = await measure(
    aws,
    'drain-instance',
    handlers['drain-instance'] as Handler,
    tick(aws),
  );
  const detectReconcileQuiet = await measure(
    aws,
    'detect-failed-start',
    handlers['detect-failed-start'] as Handler,
    tick(aws),
  );
  const runReconcile = await measure(
    aws,
    'run-scheduled-task',
    handlers['run-scheduled-task'] as Handler,
    tick(aws),
  );

  // One drain of an instance with 11 tasks: the first step (event) and the steps after it.
  world.takeEvents();
  const victim = world.groupInstances(GROUPS[0])[0]?.instanceId as string;
  world.terminateInstanceInGroup(victim, true);
  const [lifecycle] = world.takeEvents({ detailType: 'EC2 Instance-terminate Lifecycle Action' });
  aws.calls.clear();
  await (handlers['drain-instance'] as Handler)(
    lifecycle,
    lambdaContext({ functionName: 'drain-instance', timeoutMs: 20_000 }),
  );
  const steps = splitSteps(aws.calls.list());
  const drainFirstStep = countByBucket(steps[0] ?? []);
  const drainNextStep = countByBucket(steps[1] ?? steps[0] ?? []);
  world.advance(15 * 60_000);

  // A crash loop: a service whose image can't be pulled, its failed starts retained by ECS.
  const failing = world.registerTaskDefinition({
    family: 'fleet-broken',
    containerDefinitions: [
      { name: 'app', image: 'example.invalid/broken:1', cpu: 256, memory: 512, essential: true },
    ],
  });
  const pullError =
    'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref example.invalid/broken:1: not found';
  world.failStarts({
    taskDefinition: `fleet-broken:${failing.revision}`,
    stoppedReason: pullError,
    containerReason: pullError,
  });
  world.createService({
    cluster: CLUSTER,
    name: 'broken',
    taskDefinition: `fleet-broken:${failing.revision}`,
    desiredCount: 50,
  });
  world.takeEvents();
  world.advance(4 * 60_000);
  const failed = world
    .takeEvents({ detailType: 'ECS Task State Change' })
    .filter((event) => (event.detail as { lastStatus?: string }).lastStatus === 'STOPPED');
  const provisioning = world.events({ detailType: 'ECS Task State Change' }).at(-1);
  const stoppedTasks = world.tasks({ cluster: CLUSTER, desiredStatus: 'STOPPED' }).length;
  const detectEvent = await measure(
    aws,
    'detect-failed-start',
    handlers['detect-failed-start'] as Handler,
    failed[1],
  );
  const detectReconcileLoaded = await measure(
    aws,
    'detect-failed-start',
    handlers['detect-failed-start'] as Handler,
    tick(aws),
    120_000,
  );
  const scaleOnProvisioning = await measure(
    aws,
    'scale-capacity',
    handlers['scale-capacity'] as Handler,
    provisioning ?? tick(aws),
  );
  world.setServiceDesiredCount(CLUSTER, 'broken', 0);

  // A scale-out of 5,000 tasks: 50 services raised by 100 each, decided on the next wake-up.
  const scaleOutTasks = 5_000;
  for (let index = 0; index < 50; index++) {
    world.setServiceDesiredCount(CLUSTER, `service-${index}`, TASKS_PER_SERVICE + scaleOutTasks / 50);
  }
  world.advance(5_000);
  const scaleOut = await measure(aws, 'scale-capacity', handlers['scale-capacity'] as Handler, tick(aws));
  return {
    scaleTickCold,
    scaleTick,
    drainReconcile,
    detectReconcileQuiet,
    runReconcile,
    drainFirstStep,
    drainNextStep,
    detectReconcileLoaded,
    stoppedTasks,
    detectEvent,
    scaleOnProvisioning,
    scaleOut,
    scaleOutTasks,
  };
}

/** A drain invocation's calls, split into steps: every step starts by finding the container instance. */
function splitSteps(calls: readonly CallRecord[]): CallRecord[][] {
  const steps: CallRecord[][] = [[]];
  for (const call of calls) {
    const current = steps.at(-1) as CallRecord[];
    if (call.name === 'ecs:ListContainerInstances' && current.some((seen) => seen.name === call.name)) {
      steps.push([call]);
    } else current.push(call);
  }
  return steps;
}

// ---- the account, second by second ----

/** Calls a workload asks of each bucket in a given second of the scenario. */
type Demand = (second: number) => Counts;

interface BucketFigures {
  bucket: string;
  sustained: number;
  /** Highest 10-second average of calls asked, ÷ the sustained rate. */
  peakShare: number;
  /** Mean calls a second over the scenario ÷ the sustained rate. */
  meanShare: number;
  /** Calls the bucket could not serve when asked (throttled, then retried). */
  throttled: number;
  /** Longest time a call waited for a token, seconds. */
  longestWaitSeconds: number;
}

/** Plays a scenario's demand against every ECS bucket, queueing what a bucket cannot serve. */
function play(seconds: number, demand: Demand): BucketFigures[] {
  const asked = new Map<string, number[]>();
  for (let second = 0; second < seconds; second++) {
    for (const [bucket, calls] of Object.entries(demand(second))) {
      const series = asked.get(bucket) ?? Array<number>(seconds).fill(0);
      series[second] = (series[second] ?? 0) + calls;
      asked.set(bucket, series);
    }
  }
  return ECS_API_BUCKETS.filter((bucket) => asked.has(bucket.name)).map((bucket) =>
    figures(bucket, asked.get(bucket.name) as number[]),
  );
}

function figures(bucket: ApiBucket, series: readonly number[]): BucketFigures {
  let tokens = bucket.burst;
  let queued = 0;
  let throttled = 0;
  let longestWait = 0;
  let waitingSince: number | undefined;
  let peak = 0;
  let window = 0;
  series.forEach((calls, second) => {
    window += calls - (second >= 10 ? (series[second - 10] ?? 0) : 0);
    peak = Math.max(peak, window / 10);
    tokens = Math.min(bucket.burst, tokens + bucket.sustained);
    const served = Math.min(queued + calls, Math.floor(tokens));
    tokens -= served;
    const servedNew = served - Math.min(queued, served);
    throttled += calls - servedNew;
    queued += calls - served;
    if (queued > 0) waitingSince ??= second;
    else waitingSince = undefined;
    if (waitingSince !== undefined) longestWait = Math.max(longestWait, second - waitingSince + 1);
  });
  const mean = series.reduce((sum, calls) => sum + calls, 0) / series.length;
  return {
    bucket: bucket.name,
    sustained: bucket.sustained,
    peakShare: peak / bucket.sustained,
    meanShare: mean / bucket.sustained,
    throttled,
    longestWaitSeconds: longestWait,
  };
}

/**
 * A pass's calls spread evenly over its length (sequential calls at CALL_LATENCY_SECONDS each); a pass
 * longer than its function's timeout makes only the calls that fit.
 */
function spread(calls: Counts, startSecond: number, second: number, scale = 1, timeoutSeconds = 60): Counts {
  const total = Object.values(calls).reduce((sum, n) => sum + n, 0) * scale;
  const length = Math.max(1, Math.min(timeoutSeconds, Math.ceil(total * CALL_LATENCY_SECONDS)));
  if (second < startSecond || second >= startSecond + length) return {};
  const made = Math.min(1, length / CALL_LATENCY_SECONDS / Math.max(1, total));
  return Object.fromEntries(
    Object.entries(calls).map(([bucket, n]) => [bucket, (n * scale * made) / length]),
  );
}

const add = (...parts: Counts[]): Counts => {
  const sum: Counts = {};
  for (const part of parts)
    for (const [bucket, n] of Object.entries(part)) sum[bucket] = (sum[bucket] ?? 0) + n;
  return sum;
};

/** The periodic passes of a quiet account: every minute, detect-failed-start every five. */
function background(m: Measurements, second: number): Counts {
  const minute = second % 60;
  const perMinute = add(m.scaleTick.calls, m.drainReconcile.calls, m.runReconcile.calls);
  const parts = [spread(perMinute, 0, minute, ACCOUNT.clusters)];
  if (second % 300 < 60) parts.push(spread(m.detectReconcileQuiet.calls, 0, minute, ACCOUNT.clusters));
  return add(...parts);
}

export interface FleetFigures {
  scenarios: { name: string; seconds: number; buckets: BucketFigures[]; note: string }[];
  peakShare: { quietHour: number; instanceRefresh: number; crashLoop: number };
  drainOverMinimum: number;
  scaleOutDecisionSeconds: number;
  peakMemoryShare: number;
  memory: { function: string; peakMb: number; configuredMb: number }[];
  measured: Measurements;
}

const worst = (buckets: BucketFigures[]) => Math.max(0, ...buckets.map((bucket) => bucket.peakShare));

function model(m: Measurements): FleetFigures {
  const quiet = play(3_600, (second) => background(m, second));

  // An instance refresh draining 10 % of every group at once: 400 drains, each a step every poll
  // interval (10 s) until its tasks stopped; a task's own stop time is taken as 120 s (SIGTERM, the
  // load balancer's deregistration, replacement placed elsewhere).
  const drains = ACCOUNT.instances / 10;
  const pollSeconds = 10;
  const stopSeconds = 120;
  const refreshSeconds = 900;
  // After its first step a drain does not look at its own tasks while the cluster's shared sweep
  // (functions/drain-instance/sweep.ts: ListContainerInstances DRAINING, DescribeContainerInstances 100
  // a call) shows them running: one sweep per cluster and interval, then one full look per drain once
  // its tasks stopped.
  const drainsPerCluster = drains / ACCOUNT.clusters;
  const sweep: Counts = {
    'Cluster resource read actions': ACCOUNT.clusters * (1 + Math.ceil(drainsPerCluster / 100)),
  };
  const refresh = play(refreshSeconds, (second) => {
    const parts = [background(m, second)];
    if (second === 0) parts.push(scaled(m.drainFirstStep, drains));
    else if (second <= stopSeconds + pollSeconds && second % pollSeconds === 0) {
      parts.push(second <= stopSeconds ? sweep : scaled(m.drainNextStep, drains));
    }
    return add(...parts);
  });
  const readBucket = refresh.find((bucket) => bucket.bucket === 'Cluster resource read actions');
  // A drain ends at the first step after its tasks stopped; steps that wait for tokens end later.
  const drainSeconds = stopSeconds + pollSeconds + (readBucket?.longestWaitSeconds ?? 0);
  const drainOverMinimum = drainSeconds / stopSeconds;

  // A crash loop: 5,000 failed starts a minute across the account for 30 minutes. Each failure is one
  // event for detect-failed-start and a PROVISIONING wake-up for scale-capacity; the five-minute pass
  // reads the failed starts ECS still keeps (about an hour), growing with the incident.
  const failuresPerSecond = 5_000 / 60;
  const crashSeconds = 1_800;
  const perStopped = perTask(m.detectReconcileLoaded.calls, m.detectReconcileQuiet.calls, m.stoppedTasks);
  const crash = play(crashSeconds, (second) => {
    const passStart = second - (second % 300);
    const retained = Math.min(3_600, passStart) * failuresPerSecond;
    return add(
      background(m, second),
      scaled(m.detectEvent.calls, failuresPerSecond),
      // Wake-ups are coalesced to a pass every five seconds at most per cluster.
      scaled(m.scaleOnProvisioning.calls, Math.min(failuresPerSecond, ACCOUNT.clusters / 5)),
      spread(scaled(perStopped, retained), passStart, second, 1, DETECT_TIMEOUT_SECONDS),
    );
  });

  const memory = [
    { function: 'scale-capacity', pass: [m.scaleTickCold, m.scaleTick, m.scaleOut] },
    { function: 'drain-instance', pass: [m.drainReconcile] },
    {
      function: 'detect-failed-start',
      pass: [m.detectReconcileQuiet, m.detectReconcileLoaded, m.detectEvent],
    },
    { function: 'run-scheduled-task', pass: [m.runReconcile] },
  ].map(({ function: fn, pass }) => ({
    function: fn,
    // Node's own footprint in Lambda (about 60 MiB with the SDK loaded) plus what the pass added.
    peakMb: 60 + Math.max(...pass.map((one) => one.heapMb)),
    configuredMb: CONFIGURED_MEMORY_MB[fn] as number,
  }));

  return {
    scenarios: [
      { name: 'quiet hour', seconds: 3_600, buckets: quiet, note: 'the periodic passes alone' },
      {
        name: 'instance refresh (10 % of every group at once)',
        seconds: refreshSeconds,
        buckets: refresh,
        note: `${drains} drains, one shared sweep per cluster every ${pollSeconds} s, a full look each once its tasks stopped`,
      },
      {
        name: 'crash loop (5,000 failed starts a minute, 30 min)',
        seconds: crashSeconds,
        buckets: crash,
        note: 'events, wake-ups and the growing five-minute pass',
      },
    ],
    peakShare: { quietHour: worst(quiet), instanceRefresh: worst(refresh), crashLoop: worst(crash) },
    drainOverMinimum,
    scaleOutDecisionSeconds: m.scaleOut.seconds + m.scaleOut.total * CALL_LATENCY_SECONDS,
    peakMemoryShare: Math.max(...memory.map((one) => one.peakMb / one.configuredMb)),
    memory,
    measured: m,
  };
}

function scaled(calls: Counts, factor: number): Counts {
  return Object.fromEntries(Object.entries(calls).map(([bucket, n]) => [bucket, n * factor]));
}

function perTask(loaded: Counts, quiet: Counts, tasks: number): Counts {
  return Object.fromEntries(
    Object.entries(loaded).map(([bucket, n]) => [
      bucket,
      Math.max(0, n - (quiet[bucket] ?? 0)) / Math.max(1, tasks),
    ]),
  );
}

/** Runs once per process: the handlers' SDK clients are bound to the endpoint started here. */
export async function benchFleet(): Promise<FleetFigures> {
  const aws = await startLocalAws({ seed: 'sample' });
  const previous = { ...process.env };
  Object.assign(process.env, aws.env(), {
    DEFAULT_CLUSTER: CLUSTER,
    CLUSTERS: CLUSTER,
    AUTO_SCALING_GROUPS: GROUPS.join(','),
    LIFECYCLE_HOOK_NAMES: HOOK,
    CAPACITY_PROVIDERS: GROUPS.map((group) => `${group}-cp`).join(','),
    POLL_INTERVAL_SECONDS: '2',
    DRY_RUN: 'false',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const restoreDate = followWorldClock(aws);
  try {
    buildCluster(aws);
    const handlers: Record<string, Handler> = {};
    for (const fn of Object.keys(CONFIGURED_MEMORY_MB)) {
      handlers[fn] = ((await import(`../functions/${fn}/index`)) as { handler: Handler }).handler;
    }
    return model(await measureAll(aws, handlers));
  } finally {
    restoreDate();
    process.env = previous;
    await aws.close();
  }
}

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

export function printFleet(figures: FleetFigures): void {
  console.log(
    `Fleet: ${ACCOUNT.clusters} clusters, ${ACCOUNT.groups} groups, ${ACCOUNT.instances} instances, ${ACCOUNT.tasks} tasks; ECS calls per bucket as a share of its sustained rate`,
  );
  for (const scenario of figures.scenarios) {
    console.log(`\n${scenario.name}: ${scenario.note}`);
    console.table(
      scenario.buckets.map((bucket) => ({
        bucket: bucket.bucket,
        'peak (10 s)': percent(bucket.peakShare),
        mean: percent(bucket.meanShare),
        throttled: Math.round(bucket.throttled),
        'longest wait (s)': bucket.longestWaitSeconds,
      })),
    );
  }
  console.log(`worst drain ÷ its tasks' own stop time: ${figures.drainOverMinimum.toFixed(2)}`);
  console.log(
    `scale-out of ${figures.measured.scaleOutTasks} tasks decided in ${figures.scaleOutDecisionSeconds.toFixed(1)} s`,
  );
  console.table(figures.memory);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchFleet().then(
    (figures) => {
      if (process.argv.includes('--json')) console.log(JSON.stringify(figures, null, 2));
      else printFleet(figures);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
