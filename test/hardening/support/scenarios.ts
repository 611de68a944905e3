// One sample scenario per function on the local endpoint, written so the way its events are delivered
// (once, twice, reordered, at once, under faults, cut short) can vary while the end state must not.
// A scenario drives the world and hands each moment's events to `deliver`; time passes through `wait`,
// which runs the function's periodic pass on its schedule, as EventBridge would. The runner then settles
// it and reads a fingerprint: the end state users care about, free of ids and timings that legitimately
// differ between deliveries.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { stoppedBeforeRunningPattern } from '../../../functions/detect-failed-start/rules';
import { lifecycleActionPattern } from '../../../functions/drain-instance/rules';
import { taskStateChangePattern } from '../../../functions/run-scheduled-task/rules';
import { placementFailurePattern, provisioningTaskPattern } from '../../../functions/scale-capacity/rules';
import { dueFromMs } from '../../../shared/schedule/identity';
import { matchesPattern } from '../../infra/event-pattern';
import { localClients } from '../../local-aws/clients';
import { type LocalAws, SAMPLE, scheduledEvent } from '../../local-aws/index';

export interface ScenarioIo {
  /** Hands one moment's events to the function, as the delivery mode under test does. */
  deliver(events: unknown[], options?: { timeoutMs?: number }): Promise<void>;
  /** Lets world time pass, with the function's periodic pass on its schedule. */
  wait(ms: number): Promise<void>;
}

export interface Scenario {
  name: string;
  /** The function folder. */
  fn: string;
  /** Environment the function needs beyond the endpoint's (set before its first import). */
  env: Record<string, string>;
  /** Whether two invocations can run at once in production (scale-capacity runs with reserved concurrency 1). */
  concurrent: boolean;
  /**
   * Whether the periodic pass alone recovers a first invocation lost with its retries (it re-reads the
   * state that event was about). Not for a job's due run: the Scheduler's invocation is its only record.
   */
  periodicPassRecoversLostEvents: boolean;
  play(aws: LocalAws, io: ScenarioIo): Promise<void>;
  /** The periodic pass's event at the world's current time, and its schedule. */
  tick(aws: LocalAws): unknown;
  tickEveryMs: number;
  /** Periodic passes after play, before the fingerprint. */
  settlePasses: number;
  /** The end state, once the world has run on long enough for everything started to finish. */
  fingerprint(aws: LocalAws): Promise<unknown>;
}

const LIFECYCLE = 'EC2 Instance-terminate Lifecycle Action';
const EVENTS = join(import.meta.dirname, '../../../events');
const sample = (fn: string, file: string) =>
  JSON.parse(readFileSync(join(EVENTS, fn, file), 'utf8')) as Record<string, unknown>;

const tickOf = (aws: LocalAws, rule: string) => scheduledEvent(rule, aws.world.now());

/** The state table's items under a key prefix, without the attributes that record when or by whom. */
async function items(aws: LocalAws, prefix: string, keep: readonly string[]) {
  const documents = DynamoDBDocumentClient.from(localClients(aws.endpoint).dynamodb);
  const { Items = [] } = await documents.send(new ScanCommand({ TableName: SAMPLE.table }));
  return Items.filter((item) => String(item.pk).startsWith(prefix))
    .map((item) =>
      Object.fromEntries(['pk', 'sk', ...keep].filter((key) => key in item).map((key) => [key, item[key]])),
    )
    .sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}

const alerts = (aws: LocalAws) =>
  aws.world
    .snsPublications(SAMPLE.topicArn)
    .map((publication) => publication.subject ?? '')
    .sort();

/** Two instances scaled in at once; their tasks move elsewhere; each terminate hook completes once. */
const drainInstance: Scenario = {
  name: 'drain-instance: two instances scaled in',
  fn: 'drain-instance',
  env: {
    AUTO_SCALING_GROUPS: SAMPLE.group,
    LIFECYCLE_HOOK_NAMES: SAMPLE.hook,
    POLL_INTERVAL_SECONDS: '10',
    HEARTBEAT_INTERVAL_SECONDS: '60',
    DRAIN_DEADLINE_SECONDS: '3600',
  },
  concurrent: true,
  periodicPassRecoversLostEvents: true,
  async play(aws, { deliver, wait }) {
    const { world } = aws;
    world.setDesiredCapacity(SAMPLE.group, 5);
    await wait(150_000);
    world.takeEvents();
    world.setDesiredCapacity(SAMPLE.group, 3);
    const events = world
      .takeEvents({ detailType: LIFECYCLE })
      .filter((event) => matchesPattern(lifecycleActionPattern([SAMPLE.group]), event));
    if (events.length !== 2) throw new Error(`expected 2 lifecycle events, got ${events.length}`);
    await deliver(events, { timeoutMs: 300_000 });
  },
  tick: (aws) => tickOf(aws, 'ecs-autopilot-drain-reconcile'),
  tickEveryMs: 60_000,
  settlePasses: 10,
  async fingerprint(aws) {
    const { world } = aws;
    const actions = world.lifecycleActions().filter((action) => action.hookName === SAMPLE.hook);
    const victims = actions.map((action) => action.instanceId);
    return {
      actions: actions
        .map((action) => ({ instance: action.instanceId, result: action.result, by: action.completedBy }))
        .sort((a, b) => a.instance.localeCompare(b.instance)),
      completions: aws.calls.list('autoscaling:CompleteLifecycleAction').filter((call) => call.status === 200)
        .length,
      instances: world.groupInstances(SAMPLE.group).length,
      apiRunning: world.tasks({ service: 'api', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }).length,
      apiOnVictims: world
        .tasks({ service: 'api', desiredStatus: 'RUNNING' })
        .filter((task) => victims.includes(task.ec2InstanceId ?? '')).length,
      standaloneStopped: aws.calls.count('ecs:StopTask'),
    };
  },
};

/** Two due runs of the sample job: the first succeeds, the second exits 1 and is alerted once. */
const runScheduledTask: Scenario = {
  name: 'run-scheduled-task: a run that succeeds, then one that fails',
  fn: 'run-scheduled-task',
  env: {},
  concurrent: true,
  periodicPassRecoversLostEvents: false,
  async play(aws, { deliver, wait }) {
    const { world } = aws;
    const job = (sample('run-scheduled-task', 'scheduler-invocation.json') as { job: unknown }).job;
    const taskEvents = () =>
      world
        .takeEvents({ detailType: 'ECS Task State Change' })
        .filter((event) => matchesPattern(taskStateChangePattern, event));
    world.takeEvents();
    const start = world.now();
    await deliver([{ job, scheduledTime: dueFromMs(start), attemptNumber: '1' }]);
    await wait(SAMPLE.reportRunMs + 60_000);
    await deliver(taskEvents()); // RUNNING and STOPPED of the first run, in one batch
    world.setTaskScript('report', { runForMs: 120_000, exitCode: 1 });
    await wait(60 * 60_000);
    // The schedule's own due time, whatever a killed invocation's retries (held by its job lease) took.
    const secondDue = start + SAMPLE.reportRunMs + 60_000 + 60 * 60_000;
    await deliver([{ job, scheduledTime: dueFromMs(secondDue), attemptNumber: '1' }]);
    await wait(240_000);
    await deliver(taskEvents());
  },
  tick: (aws) => ({
    ...sample('run-scheduled-task', 'reconcile-tick.json'),
    time: new Date(aws.world.now()).toISOString(),
  }),
  tickEveryMs: 60_000,
  settlePasses: 3,
  async fingerprint(aws) {
    const started = new Map<string, number>();
    for (const task of aws.world.tasks({ family: 'report' })) {
      started.set(task.startedBy ?? '', (started.get(task.startedBy ?? '') ?? 0) + 1);
    }
    return {
      tasksPerRun: [...started.values()].sort(),
      runs: (await items(aws, 'job#nightly-report', ['status'])).filter((item) =>
        String(item.sk).startsWith('run#'),
      ),
      alerts: alerts(aws),
    };
  },
};

const ECR = `${SAMPLE.account}.dkr.ecr.${SAMPLE.region}.amazonaws.com`;
const BAD_IMAGE = `${ECR}/api:1.4.3`;
const PULL_ERROR = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${BAD_IMAGE}: ${BAD_IMAGE}: not found`;

/** Service `checkout` of a new `api` revision whose image ECR does not have: every task fails to start. */
export function seedUnpullableService(world: LocalAws['world'], desiredCount: number): void {
  const definition = world.registerTaskDefinition({
    family: 'api',
    containerDefinitions: [
      { name: 'api', image: BAD_IMAGE, cpu: 512, memoryReservation: 1024, essential: true },
    ],
  });
  world.failStarts({
    taskDefinition: `api:${definition.revision}`,
    stoppedReason: PULL_ERROR,
    containerReason: PULL_ERROR,
  });
  world.createService({
    cluster: SAMPLE.cluster,
    name: 'checkout',
    taskDefinition: `api:${definition.revision}`,
    desiredCount,
  });
}

/** A service whose image cannot be pulled fails to start again and again: one alert, every failure counted. */
const detectFailedStart: Scenario = {
  name: 'detect-failed-start: an unpullable image failing 12 times',
  fn: 'detect-failed-start',
  env: { ALERT_WINDOW_SECONDS: '900', GROUP_WAIT_SECONDS: '0', CLUSTERS: SAMPLE.cluster },
  concurrent: true,
  periodicPassRecoversLostEvents: true,
  async play(aws, { deliver, wait }) {
    const { world } = aws;
    seedUnpullableService(world, 3);
    world.takeEvents();
    let seen = 0;
    for (let step = 0; step < 200 && seen < 12; step++) {
      await wait(30_000);
      const batch = world
        .takeEvents({ detailType: 'ECS Task State Change' })
        .filter((event) => matchesPattern(stoppedBeforeRunningPattern, event))
        .slice(0, 12 - seen);
      seen += batch.length;
      if (batch.length > 0) await deliver(batch);
    }
    world.setServiceDesiredCount(SAMPLE.cluster, 'checkout', 0);
  },
  tick: (aws) => tickOf(aws, 'ecs-autopilot-detect-failed-start-reconcile'),
  tickEveryMs: 5 * 60_000,
  settlePasses: 1,
  async fingerprint(aws) {
    const problems = await items(aws, 'failure#', ['category', 'alertsSent', 'totalFailures']);
    const failed = aws.world
      .tasks({ service: 'checkout', lastStatus: 'STOPPED' })
      .filter((task) => task.stopCode === 'TaskFailedToStart').length;
    return {
      alerts: alerts(aws),
      // Every failure counted exactly once, whoever finishes it (a takeover after a kill included).
      problems: problems
        .filter((item) => item.sk === 'incident')
        .map(({ totalFailures, ...problem }) => ({
          ...problem,
          counted: Number(totalFailures) === failed ? 'every failure, once' : `${totalFailures} of ${failed}`,
        })),
      tasksCounted: problems.filter((item) => item.sk === 'task').length,
    };
  },
};

/** A burst of api tasks that cannot be placed: the group grows by exactly what they need, once. */
const scaleCapacity: Scenario = {
  name: 'scale-capacity: a burst of unplaceable service tasks',
  fn: 'scale-capacity',
  env: {
    CAPACITY_PROVIDERS: SAMPLE.capacityProvider,
    SCALE_IN_AFTER_SECONDS: '300',
    MAX_SCALE_IN: '100%',
    MAX_STEP: '10',
    BOOT_TIMEOUT_SECONDS: '600',
  },
  // Deployed with reserved concurrency 1: Lambda never runs two passes at once.
  concurrent: false,
  periodicPassRecoversLostEvents: true,
  async play(aws, { deliver, wait }) {
    const { world } = aws;
    world.setServiceDesiredCount(SAMPLE.cluster, 'api', 16);
    const found: unknown[] = [];
    world.advanceUntil(
      () => {
        found.push(
          ...world
            .takeEvents()
            .filter(
              (event) =>
                matchesPattern(placementFailurePattern([SAMPLE.clusterArn]), event) ||
                matchesPattern(provisioningTaskPattern([SAMPLE.clusterArn]), event),
            ),
        );
        return found.length > 0;
      },
      { maxMs: 120_000, stepMs: 1_000 },
    );
    await deliver(found);
    await wait(120_000);
  },
  tick: (aws) => tickOf(aws, 'ecs-autopilot-scale-capacity-tick'),
  tickEveryMs: 60_000,
  settlePasses: 4,
  async fingerprint(aws) {
    const group = aws.world.group(SAMPLE.group);
    return {
      desired: group?.desiredCapacity,
      instances: group?.instances.length,
      apiRunning: aws.world.tasks({ service: 'api', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }).length,
      scaleOuts: aws.calls.list('autoscaling:SetDesiredCapacity').filter((call) => call.status === 200)
        .length,
    };
  },
};

/** Every scenario; one per function. */
export const SCENARIOS: Scenario[] = [drainInstance, runScheduledTask, detectFailedStart, scaleCapacity];
