// Delivery semantics on the local endpoint: EventBridge delivers at least once, in any order, and Lambda
// may run two invocations at once. Each function's sample scenario, with its events delivered twice,
// in reverse order, or twice at the same time, must end in the same state as with each event delivered
// once: the same world (tasks, instances, lifecycle actions), the same alerts, the same state items.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalAws, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import { HANDLERS, type Handler, importHandler } from './support/handlers';
import { MODES, type Mode, type PlayResult, play } from './support/runner';
import { SCENARIOS } from './support/scenarios';

const sim = vi.hoisted(() => ({ advance: (_ms: number) => {} }));

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: async (ms: number) => sim.advance(ms) };
});

let aws: LocalAws;
const handlers = new Map<string, Handler>();
const present = SCENARIOS.filter((scenario) => HANDLERS.some((spec) => spec.name === scenario.fn));

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, Object.assign({}, ...present.map((scenario) => scenario.env)));
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
  for (const spec of HANDLERS) handlers.set(spec.name, await importHandler(spec, { ...aws.env() }));
});

afterAll(() => aws?.close());

describe.each(present.map((scenario) => [scenario.name, scenario] as const))('%s', (_name, scenario) => {
  let reference: PlayResult;

  async function run(mode: Mode): Promise<PlayResult> {
    await aws.reset('sample');
    return play(aws, scenario, handlers.get(scenario.fn) as Handler, mode);
  }

  beforeAll(async () => {
    reference = await run('once');
  });

  it('delivered once: nothing fails', () => {
    expect(reference.deadLetters).toEqual([]);
  });

  it.each((['twice', 'reordered', 'at-once'] as const).map((mode) => [MODES[mode], mode] as const))(
    '%s: the same end state, nothing fails',
    async (_label, mode) => {
      const result = await run(mode);
      expect(result.fingerprint).toEqual(reference.fingerprint);
      expect(result.deadLetters).toEqual([]);
    },
  );
});
