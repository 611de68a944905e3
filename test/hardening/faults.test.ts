// Faults on the local endpoint: every AWS call throttled 20 % of the time, answered 5xx 5 % of the time,
// and slowed down. Each function's sample scenario must still end where it ends without faults: no
// lifecycle action left to its heartbeat timeout, no due run lost, no alert lost or sent twice. And an
// invocation cut off by its timeout must be finished by the next periodic pass.
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FaultConfig, type LocalAws, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import { installKillSwitch } from './support/freeze';
import { HANDLERS, type Handler, importHandler } from './support/handlers';
import { type PlayResult, play } from './support/runner';
import { SCENARIOS } from './support/scenarios';

const sim = vi.hoisted(() => ({ advance: (_ms: number) => {} }));

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: async (ms: number) => sim.advance(ms) };
});

/** A fingerprint whose alert subjects are each counted once. */
function withoutRepeatedAlerts(fingerprint: unknown): unknown {
  const alerts = (fingerprint as { alerts?: unknown } | null)?.alerts;
  return Array.isArray(alerts) ? { ...(fingerprint as object), alerts: [...new Set(alerts)] } : fingerprint;
}

/** Fault mixes: the sweep on every call, then the same pressure concentrated on one service. */
const SWEEPS: [string, FaultConfig[]][] = [
  [
    'every call: throttled 20 %, 5xx 5 %, +3 ms; DynamoDB +15 ms',
    [
      { operation: '*', throttleRate: 0.2, serverErrorRate: 0.05, latencyMs: 3 },
      { operation: 'dynamodb:*', latencyMs: 15 },
    ],
  ],
  ['ECS: throttled 40 %, 5xx 5 %', [{ operation: 'ecs:*', throttleRate: 0.4, serverErrorRate: 0.05 }]],
  [
    'state table and alerts: throttled 35 %, 5xx 10 %',
    [
      { operation: 'dynamodb:*', throttleRate: 0.35, serverErrorRate: 0.1 },
      { operation: 'sns:*', throttleRate: 0.35, serverErrorRate: 0.1 },
    ],
  ],
  [
    'Auto Scaling: throttled 40 %, 5xx 5 %',
    [{ operation: 'autoscaling:*', throttleRate: 0.4, serverErrorRate: 0.05 }],
  ],
];

let aws: LocalAws;
const handlers = new Map<string, Handler>();
const present = SCENARIOS.filter((scenario) => HANDLERS.some((spec) => spec.name === scenario.fn));

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, Object.assign({}, ...present.map((scenario) => scenario.env)));
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
  for (const spec of HANDLERS) handlers.set(spec.name, await importHandler(spec, { ...aws.env() }));
  // The functions' own clients (8 attempts, as deployed), with the backoff between attempts shortened
  // from the SDK's hundreds of milliseconds: what is tested is that retries happen, not how long they wait.
  const { ecs } = await import('../../shared/aws/ecs');
  const { autoScaling } = await import('../../shared/aws/autoscaling');
  const { sns } = await import('../../shared/aws/sns');
  const { dynamodb } = await import('../../shared/aws/dynamodb');
  const quick = new ConfiguredRetryStrategy(8, (attempt) => 5 * attempt);
  for (const client of [ecs, autoScaling, sns, dynamodb]) client.config.retryStrategy = async () => quick;
  installKillSwitch(ecs);
  installKillSwitch(autoScaling);
  installKillSwitch(sns);
  installKillSwitch(dynamodb);
});

afterAll(() => aws?.close());

describe.each(present.map((scenario) => [scenario.name, scenario] as const))('%s', (_name, scenario) => {
  let reference: PlayResult;
  const handler = () => handlers.get(scenario.fn) as Handler;

  beforeAll(async () => {
    await aws.reset('sample');
    // Under the kill switch, never tripped: the reference also counts its first invocation's calls.
    reference = await play(aws, scenario, handler(), 'once', { killFirstAt: Number.MAX_SAFE_INTEGER });
  });

  it.each(SWEEPS)('%s: the same end state as without faults', async (label, faults) => {
    await aws.reset('sample');
    const result = await play(aws, scenario, handler(), 'once', { faults });
    const touched = faults.some(
      (rule) => aws.calls.list(rule.operation === '*' ? undefined : rule.operation).length > 0,
    );
    if (touched) expect(result.injected).toBeGreaterThan(0);
    expect(result.fingerprint).toEqual(reference.fingerprint);
    console.log(
      `${scenario.fn} | ${label}: ${aws.calls.count()} calls, ${result.injected} faults, ${result.deadLetters.length} dead letters`,
    );
  });

  it('its first invocation cut off by the Lambda timeout: the periodic pass finishes the work', async () => {
    await aws.reset('sample');
    // 6 s: the functions keep a 5 s margin, so about a second to work.
    const result = await play(aws, scenario, handler(), 'once', { firstTimeoutMs: 6_000 });
    expect(result.fingerprint).toEqual(reference.fingerprint);
    expect(result.deadLetters).toEqual([]);
    console.log(
      `${scenario.fn} cut off after ~1 s: first answer ${JSON.stringify(result.firstAnswer).slice(0, 300)}`,
    );
  });

  /** Kill points: every call when there are few; otherwise the first ones and an even spread to the last. */
  const killPoints = (calls: number) =>
    [...new Set([1, 2, 3, ...Array.from({ length: 10 }, (_, i) => Math.ceil(((i + 1) * calls) / 10))])]
      .filter((point) => point <= calls)
      .sort((a, b) => a - b);

  async function killEverywhere(retriesLost: boolean) {
    const calls = reference.firstCalls ?? 0;
    expect(calls).toBeGreaterThan(0);
    let killed = 0;
    const wrong: string[] = [];
    for (const killAt of killPoints(calls)) {
      await aws.reset('sample');
      const result = await play(aws, scenario, handler(), 'once', { killFirstAt: killAt, retriesLost });
      // Module caches (task definitions) can make a later run call less: a point past its end kills nothing.
      if (result.firstAnswer === 'killed') killed++;
      // Published, then killed before recording it: the alert may go out again (at least once), never lost.
      const seen = result.killedAfterPublish ? withoutRepeatedAlerts : (value: unknown) => value;
      const [expected, actual] = [reference.fingerprint, result.fingerprint].map((value) =>
        JSON.stringify(seen(value)),
      );
      if (actual !== expected) wrong.push(`killed at call ${killAt} of ${calls}: ${actual}`);
    }
    // Every kill point that ends elsewhere, with the state it ends in (the reference is printed below).
    expect(wrong, `without the kill: ${JSON.stringify(reference.fingerprint)}`).toEqual([]);
    expect(killed).toBeGreaterThan(killPoints(calls).length / 2);
    console.log(
      `${scenario.fn}: killed at ${killed} points of ${calls} calls; retries ${retriesLost ? 'lost' : 'run'}`,
    );
  }

  it('its first invocation killed mid-flight (at each of its AWS calls), then retried by Lambda: the same end state', async () => {
    await killEverywhere(false);
  });

  // Only where a periodic pass can see the lost work: a Scheduler invocation that never arrives leaves
  // run-scheduled-task nothing to recover from (see its README).
  if (scenario.periodicPassRecoversLostEvents) {
    it('its first invocation killed mid-flight and its retries lost: the periodic pass alone finishes the work', async () => {
      await killEverywhere(true);
    });
  }
});
