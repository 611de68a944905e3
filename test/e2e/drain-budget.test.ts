// drain-instance on the local endpoint: the disruption budget (#24). A scale-in with no room for the
// replacements holds the drains (heartbeats, DrainBlocked, a request for room) instead of taking
// services below their minimum at the deadline; the operator's last deadline still ends it.

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import {
  DRAIN_ENV,
  LIFECYCLE,
  simulatedLambdaContext as lambdaContext,
  DRAIN_TICK as TICK,
} from './support/drain';

const sim = vi.hoisted(() => ({ advance: (_ms: number) => {} }));

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: async (ms: number) => sim.advance(ms) };
});

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** The scenario: a 900 s deadline. */
const ENV = { ...DRAIN_ENV, DRAIN_DEADLINE_SECONDS: '900' };

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, ENV);
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
});

afterAll(() => aws.close());

let metricNames: string[];

beforeEach(async () => {
  await aws.reset('sample');
  metricNames = [];
  vi.spyOn(Metrics.prototype, 'addMetric').mockImplementation(function (this: Metrics, name: string) {
    metricNames.push(name);
    return this;
  } as Metrics['addMetric']);
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function loadHandler(env: Record<string, string> = {}): Promise<Handler> {
  Object.assign(process.env, ENV, env);
  vi.resetModules();
  const { handler } = await import('../../functions/drain-instance/index');
  return handler as Handler;
}

const running = (service: string) =>
  aws.world.tasks({ service, desiredStatus: 'RUNNING' }).filter((task) => task.lastStatus === 'RUNNING')
    .length;

/** Scale-in from 3 instances to 1: two lifecycle events, each handled by its own invocation. */
async function scaleInToOne(handler: Handler) {
  aws.world.setDesiredCapacity(SAMPLE.group, 1);
  const events = aws.world.takeEvents({ detailType: LIFECYCLE });
  expect(events).toHaveLength(2);
  await Promise.all(events.map((event) => handler(event, lambdaContext(300_000))));
  return events.map((event) => (event.detail as { EC2InstanceId: string }).EC2InstanceId);
}

/** Every-minute reconcile passes for `minutes`, checking the services' floor after each. */
async function tick(handler: Handler, minutes: number, each: () => void = () => {}) {
  for (let minute = 0; minute < minutes; minute++) {
    aws.world.advance(60_000);
    await handler(TICK, lambdaContext(60_000));
    each();
  }
}

describe('disruption budget (#24)', () => {
  it('scale-in from 3 instances to 1 without room: every service stays at or above its minimum, the drains are held with DrainBlocked and a request for room', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const handler = await loadHandler();
    const leaving = await scaleInToOne(handler);
    const lowest = { api: running('api'), worker: running('worker') };

    // Well past the 900 s deadline (40 minutes).
    await tick(handler, 40, () => {
      lowest.api = Math.min(lowest.api, running('api'));
      lowest.worker = Math.min(lowest.worker, running('worker'));
    });

    // minimumHealthyPercent 100: api keeps 4 RUNNING tasks, worker 2.
    expect(lowest).toEqual({ api: 4, worker: 2 });
    for (const instanceId of leaving) {
      expect(aws.world.lifecycleActions({ instanceId }).at(-1)?.result).toBeUndefined();
    }
    expect(aws.calls.list('autoscaling:CompleteLifecycleAction')).toHaveLength(0);
    expect(metricNames).toContain('DrainBlocked');
    expect(metricNames).not.toContain('DrainDeadlineExpired');
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^Drain blocked by the disruption budget/),
      expect.objectContaining({
        blockedServices: expect.arrayContaining([expect.stringMatching(/^api: /)]),
      }),
    );
    // Room asked of scale-capacity: a capacity request under capacity#web for the replacements.
    const requests = aws.calls
      .list('dynamodb:PutItem')
      .filter((call) => JSON.stringify(call.input).includes('capacity#web'));
    expect(requests.length).toBeGreaterThan(0);
  });

  it('room comes (the group grows again): the replacements land and the held drains complete as drained', async () => {
    const handler = await loadHandler();
    const leaving = await scaleInToOne(handler);
    await tick(handler, 20);
    aws.world.setDesiredCapacity(SAMPLE.group, 3);

    await tick(handler, 15);

    for (const instanceId of leaving) {
      expect(aws.world.lifecycleActions({ instanceId }).at(-1)?.result).toBe('CONTINUE');
    }
    expect({ api: running('api'), worker: running('worker') }).toEqual({ api: 4, worker: 2 });
    expect(metricNames).not.toContain('DrainDeadlineExpired');
  });

  it("the operator's last word: at BLOCKED_DRAIN_DEADLINE_SECONDS the drains complete and the warning names the services taken below their minimum", async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const handler = await loadHandler({ BLOCKED_DRAIN_DEADLINE_SECONDS: '1800' });
    const leaving = await scaleInToOne(handler);

    await tick(handler, 35);

    for (const instanceId of leaving) {
      expect(aws.world.lifecycleActions({ instanceId }).at(-1)?.result).toBe('CONTINUE');
    }
    expect(metricNames).toContain('DrainDeadlineExpired');
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/deadline/),
      expect.objectContaining({
        servicesBelowMinimum: expect.arrayContaining([expect.stringMatching(/^api: /)]),
      }),
    );
  });
});
