// drain-instance on the local endpoint: setups that work against the drain are warned about at run time
// (#24): our hook's DefaultResult ABANDON, and ECS managed draining enabled beside our hook.

import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import { DRAIN_ENV, LIFECYCLE, simulatedLambdaContext as lambdaContext } from './support/drain';

const sim = vi.hoisted(() => ({ advance: (_ms: number) => {} }));

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: async (ms: number) => sim.advance(ms) };
});

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const ENV = { ...DRAIN_ENV, DRAIN_DEADLINE_SECONDS: '120' };
const [I1] = SAMPLE.instances;

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, ENV);
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
});

afterAll(() => aws.close());

beforeEach(async () => {
  await aws.reset('sample');
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function loadHandler(): Promise<Handler> {
  Object.assign(process.env, ENV);
  vi.resetModules();
  const { handler } = await import('../../functions/drain-instance/index');
  return handler as Handler;
}

describe('drain setup warnings (#24)', () => {
  it("our hook's DefaultResult ABANDON and managed draining beside it are warned about once; the deadline's warning says ECS may still drain", async () => {
    aws.world.putLifecycleHook({
      group: SAMPLE.group,
      name: SAMPLE.hook,
      transition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      heartbeatTimeoutSeconds: 300,
      defaultResult: 'ABANDON',
      notificationMetadata: JSON.stringify({ cluster: SAMPLE.cluster }),
    });
    const provider = aws.world.capacityProviders.get(SAMPLE.capacityProvider);
    if (!provider) throw new Error('no sample capacity provider');
    provider.managedDraining = 'ENABLED';
    // Room for the services, and a 10-minute job on I1 that outlives the 120 s deadline.
    aws.world.setDesiredCapacity(SAMPLE.group, 4);
    aws.world.advance(120_000);
    aws.world.takeEvents();
    aws.world.runStandaloneTask({
      cluster: SAMPLE.cluster,
      taskDefinition: SAMPLE.taskDefinitions.report,
      onInstances: [aws.world.findContainerInstance(I1)?.arn as string],
    });
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const handler = await loadHandler();
    aws.world.terminateInstanceInGroup(I1, true);
    const [event] = aws.world.takeEvents({ detailType: LIFECYCLE });

    await handler(event, lambdaContext(300_000));

    const setup = warn.mock.calls.filter(([message]) => message === 'Drain setup works against the drain');
    expect(setup.map(([, details]) => (details as { problem: string }).problem)).toEqual([
      expect.stringMatching(/DefaultResult ABANDON/),
      expect.stringMatching(/managed draining is ENABLED on capacity provider web-asg-cp/),
    ]);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^Drain deadline passed/),
      expect.objectContaining({ note: expect.stringMatching(/ECS may still be draining/) }),
    );
  });
});
