// drain-instance on the local endpoint: the cap on instances of one cluster DRAINING at once (#24).
// A scale-in of three instances under MAX_DRAINING_PER_CLUSTER=1 drains them one after the other,
// oldest first, the waiting ones heartbeated and left ACTIVE.

import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
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

const ENV = { ...DRAIN_ENV, MAX_DRAINING_PER_CLUSTER: '1' };

let aws: LocalAws;
let mostDraining = 0;

const drainingNow = () => aws.world.instances(SAMPLE.cluster).filter((i) => i.status === 'DRAINING').length;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, ENV);
  useWorldClock(aws);
  sim.advance = (ms) => {
    aws.world.advance(ms);
    mostDraining = Math.max(mostDraining, drainingNow());
  };
});

afterAll(() => aws.close());

beforeEach(async () => {
  await aws.reset('sample');
  mostDraining = 0;
});

async function loadHandler(): Promise<Handler> {
  Object.assign(process.env, ENV);
  vi.resetModules();
  const { handler } = await import('../../functions/drain-instance/index');
  return handler as Handler;
}

describe('instances of one cluster DRAINING at once (MAX_DRAINING_PER_CLUSTER)', () => {
  it('a scale-in of three drains in waves of one, oldest instance first, every hook kept alive', async () => {
    // Three new instances join (room for everything), then the three old ones are scaled in.
    aws.world.setDesiredCapacity(SAMPLE.group, 6);
    aws.world.advance(180_000);
    aws.world.takeEvents();
    const old = [...SAMPLE.instances];
    for (const id of old) aws.world.terminateInstanceInGroup(id, true);
    const events = aws.world.takeEvents({ detailType: LIFECYCLE });
    expect(events).toHaveLength(3);
    const handler = await loadHandler();

    // Each event's invocation runs a minute (its turn may not come), then the every-minute pass.
    for (const event of events) await handler(event, lambdaContext(60_000));
    mostDraining = Math.max(mostDraining, drainingNow());
    const completedAt = new Map<string, number>();
    for (let minute = 0; minute < 40 && completedAt.size < 3; minute++) {
      aws.world.advance(60_000);
      mostDraining = Math.max(mostDraining, drainingNow());
      await handler(TICK, lambdaContext(60_000));
      mostDraining = Math.max(mostDraining, drainingNow());
      for (const id of old) {
        const action = aws.world.lifecycleActions({ instanceId: id }).at(-1);
        if (action?.result === 'CONTINUE' && !completedAt.has(id)) completedAt.set(id, aws.world.now());
      }
    }

    expect(mostDraining).toBe(1);
    expect([...completedAt.keys()].sort()).toEqual([...old].sort());
    // Waves: one after the other, none at the same moment; oldest (same registration: by id) first.
    expect([...completedAt.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id)).toEqual([...old].sort());
    expect(
      aws.calls.list('autoscaling:CompleteLifecycleAction').map((call) => call.input.LifecycleActionResult),
    ).toEqual(['CONTINUE', 'CONTINUE', 'CONTINUE']);
    // Nobody's hook expired while waiting its turn.
    expect(aws.world.lifecycleActions().filter((action) => action.completedBy === 'timeout')).toEqual([]);
  });
});
