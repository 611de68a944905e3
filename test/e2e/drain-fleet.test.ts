// Many drains of one cluster at once (an instance refresh), with ECS's throttling on (issue #16): the
// drains share one look at the cluster per interval (functions/drain-instance/sweep.ts) instead of
// each polling its own instance, every hook is kept alive, and each drain ends within one interval of
// its last task stopping.
//
// The invocations run concurrently on the simulated clock: a small scheduler lets the world's time
// move only when every invocation is asleep, to the earliest wake-up, as time passes for all of them.

import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DrainSummary } from '../../functions/drain-instance/handle';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import { DRAIN_ENV as ENV, LIFECYCLE, simulatedLambdaContext as lambdaContext } from './support/drain';

const clock = vi.hoisted(() => {
  const sleepers: { at: number; wake: () => void }[] = [];
  const state = {
    now: () => 0,
    advance: (_ms: number) => {},
    /** Invocations not asleep. */
    awake: 0,
  };
  function moveOn() {
    if (state.awake > 0 || sleepers.length === 0) return;
    sleepers.sort((a, b) => a.at - b.at);
    const next = sleepers[0]?.at ?? state.now();
    if (next > state.now()) state.advance(next - state.now());
    while (sleepers.length > 0 && (sleepers[0]?.at ?? Number.POSITIVE_INFINITY) <= next) {
      state.awake++;
      sleepers.shift()?.wake();
    }
  }
  return {
    state,
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        sleepers.push({ at: state.now() + ms, wake });
        state.awake--;
        // Let the other invocations reach their own sleep before time moves.
        setImmediate(moveOn);
      }),
    /** Runs `work` as one invocation of the scheduler. */
    async run<T>(work: () => Promise<T>): Promise<T> {
      state.awake++;
      try {
        return await work();
      } finally {
        state.awake--;
        setImmediate(moveOn);
      }
    },
  };
});

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: clock.sleep };
});

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const DRAINS = 40;
const POLL_MS = Number(ENV.POLL_INTERVAL_SECONDS) * 1000;

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, ENV);
  useWorldClock(aws);
  clock.state.now = () => aws.world.now();
  clock.state.advance = (ms) => aws.world.advance(ms);
});

afterAll(() => aws.close());

beforeEach(async () => {
  await aws.reset('sample');
});

async function loadHandler(): Promise<Handler> {
  // Every leaving instance DRAINING at once (no waves): the load on ECS is what is measured here.
  Object.assign(process.env, ENV, { MAX_DRAINING_PER_CLUSTER: '0' });
  vi.resetModules();
  const { handler } = await import('../../functions/drain-instance/index');
  // Retries happen as deployed (8 attempts), with waits in real time (the buckets refill in it): the
  // SDK's adaptive rate limiter reads Date, which stands still here while an invocation is awake, and
  // its retry quota is per client, where one Lambda container would have its own.
  const { ecs } = await import('../../shared/aws/ecs');
  const { dynamodb } = await import('../../shared/aws/dynamodb');
  const { autoScaling } = await import('../../shared/aws/autoscaling');
  for (const client of [ecs, dynamodb, autoScaling])
    client.config.retryStrategy = async () => retryAsDeployed;
  return handler as Handler;
}

describe(`${DRAINS} drains of one cluster at once, ECS throttled`, () => {
  it('complete with every hook kept alive, each within an interval of its last task, sharing their looks', async () => {
    // The instance refresh's instances: each runs a report job that ends at its own time.
    const leaving = aws.world
      .launchInstances(SAMPLE.group, DRAINS, { inService: true })
      .map((instance) => instance.instanceId);
    aws.world.advance(5_000);
    expect(leaving).toHaveLength(DRAINS);
    const jobEnds = new Map<string, number>();
    for (const [n, instanceId] of leaving.entries()) {
      const arn = aws.world.findContainerInstance(instanceId)?.arn as string;
      const runForMs = 4 * 60_000 + n * 7_000;
      aws.world.runStandaloneTask({
        cluster: SAMPLE.cluster,
        taskDefinition: 'report:7',
        onInstances: [arn],
        runForMs,
      });
    }
    aws.world.advance(5_000);
    aws.world.takeEvents();

    if (process.env.NO_THROTTLE !== '1') aws.throttling.enable();
    const drainStart = aws.world.now();
    for (const instanceId of leaving) aws.world.terminateInstanceInGroup(instanceId, true);
    const events = aws.world.takeEvents({ detailType: LIFECYCLE });
    expect(events).toHaveLength(DRAINS);
    const handler = await loadHandler();
    const readsBefore = readCalls();

    const summaries = await Promise.all(
      events.map((event, n) =>
        clock.run(async () => (await handler(event, lambdaContext(900_000, `drain-${n}`))) as DrainSummary),
      ),
    );

    for (const summary of summaries) expect(summary.instances[0]?.outcome).toBe('completed');
    for (const instanceId of leaving) {
      const action = aws.world.lifecycleActions({ instanceId }).at(-1);
      expect(action).toMatchObject({ completedBy: 'api', result: 'CONTINUE' });
      const [job] = aws.world
        .tasks({ family: 'report' })
        .filter((task) => task.containerInstanceArn === aws.world.findContainerInstance(instanceId)?.arn);
      jobEnds.set(instanceId, job?.stoppedAt as number);
      // Ended by the job's own exit, never by the host going away.
      expect(job?.stopCode).toBe('EssentialContainerExited');
      const minimum = (job?.stoppedAt as number) - drainStart;
      const took = (action?.completedAt as number) - drainStart;
      expect(took).toBeLessThanOrEqual(1.1 * minimum + POLL_MS + 5_000);
    }
    // Each drain alone polls its instance every interval (find it, list tasks of both desired
    // statuses, describe them: 4 reads); shared, the cluster is looked at once per interval.
    const longest = Math.max(...[...jobEnds.values()].map((end) => end - drainStart));
    const alonePolls = DRAINS * (longest / POLL_MS) * 4;
    const reads = readCalls() - readsBefore;
    expect(reads).toBeLessThan(alonePolls / 4);
  }, 600_000);
});

const ATTEMPTS = 8;
interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}
const retryAsDeployed = {
  mode: 'standard',
  acquireInitialRetryToken: async () => token(0),
  refreshRetryTokenForRetry: async (previous: RetryToken, info: { errorType: string }) => {
    const count = previous.getRetryCount() + 1;
    if (count >= ATTEMPTS || info.errorType === 'CLIENT_ERROR') throw new Error('no more retries');
    return token(count);
  },
  recordSuccess: () => {},
};
function token(count: number): RetryToken {
  return { getRetryCount: () => count, getRetryDelay: () => 250 * 2 ** count };
}

/** ECS calls of the "cluster resource read" bucket so far. */
function readCalls(): number {
  return ['ListTasks', 'DescribeTasks', 'ListContainerInstances', 'DescribeContainerInstances'].reduce(
    (sum, operation) => sum + aws.calls.count(`ecs:${operation}`),
    0,
  );
}
