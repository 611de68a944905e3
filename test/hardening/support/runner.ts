// Plays a scenario on the local endpoint with one way of delivering its events, runs the function's
// periodic pass on its schedule while world time passes, settles, and returns the fingerprint.
// Invocations that throw are retried twice, as Lambda does for asynchronous invocations; what still
// fails is recorded (it would land in the dead-letter queue) and left to the periodic pass.
// The caller mocks shared/runtime/time so sleeping advances the world (see delivery.test.ts).
import type { Context } from 'aws-lambda';
import type { FaultConfig, LocalAws } from '../../local-aws/index';
import { lambdaContext as realTimeContext } from '../../local-aws/lambda';
import { runKilledAt } from './freeze';
import type { Handler } from './handlers';
import type { Scenario, ScenarioIo } from './scenarios';

export type Mode = 'once' | 'twice' | 'reordered' | 'at-once';

export const MODES: Record<Mode, string> = {
  once: 'each event once, in order',
  twice: 'each event delivered twice',
  reordered: "each moment's events in reverse order",
  'at-once': "each event delivered twice concurrently, with the moment's other events",
};

/** Lambda's remaining time on the simulated clock: sleeping (which advances the world) spends it. */
export function simulatedContext(fn: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    ...realTimeContext({ functionName: fn, timeoutMs }),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

export interface PlayOptions {
  /** The Lambda timeout of the scenario's first event's invocation. */
  firstTimeoutMs?: number;
  /** The first event's invocation is killed at this AWS call (see freeze.ts), as by its Lambda timeout. */
  killFirstAt?: number;
  /** Lambda's two retries of that killed invocation are lost too: only the periodic pass is left. */
  retriesLost?: boolean;
  /** Fault rules on the endpoint while the scenario plays (cleared before the fingerprint). */
  faults?: FaultConfig[];
}

export interface PlayResult {
  fingerprint: unknown;
  /** Invocations that failed three times (Lambda's retries): what would reach the dead-letter queue. */
  deadLetters: string[];
  /** What the first event's invocation answered; `killed` when it was. */
  firstAnswer: unknown;
  /** AWS calls that first invocation made, when run under the kill switch and not killed. */
  firstCalls?: number;
  /** The killed invocation had already published an alert (its retry may publish it again). */
  killedAfterPublish?: boolean;
  /** AWS calls answered with an injected fault. */
  injected: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

export async function play(
  aws: LocalAws,
  scenario: Scenario,
  handler: Handler,
  mode: Mode,
  options: PlayOptions = {},
): Promise<PlayResult> {
  const deadLetters: string[] = [];
  const result: Partial<PlayResult> = {};
  let firstEvent = true;
  for (const rule of options.faults ?? []) aws.faults.set(rule);

  /** Lambda's asynchronous invocation: up to three attempts. */
  async function attempts(event: unknown, timeoutMs: number, from = 1) {
    for (let attempt = from; attempt <= 3; attempt++) {
      try {
        return await handler(event, simulatedContext(scenario.fn, timeoutMs));
      } catch (error) {
        if (attempt === 3)
          deadLetters.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      }
    }
    return undefined;
  }

  async function invokeFirst(event: unknown, timeoutMs: number) {
    if (options.killFirstAt === undefined) {
      result.firstAnswer = await attempts(event, timeoutMs);
      return;
    }
    const run = await runKilledAt(options.killFirstAt, () =>
      handler(event, simulatedContext(scenario.fn, timeoutMs)),
    );
    if (!run.killed) {
      result.firstAnswer = run.answer;
      result.firstCalls = run.calls;
      return;
    }
    result.firstAnswer = 'killed';
    result.killedAfterPublish = run.afterPublish;
    // Lambda retries an invocation that timed out (a minute later; the world clock is kept still so the
    // rest of the scenario happens when it would have). Unless the retries are lost too.
    if (!options.retriesLost) await attempts(event, timeoutMs, 2);
  }

  const invoke = (event: unknown, timeoutMs: number) => {
    if (!firstEvent) return attempts(event, timeoutMs);
    firstEvent = false;
    return invokeFirst(event, options.firstTimeoutMs ?? timeoutMs);
  };

  const deliver: ScenarioIo['deliver'] = async (events, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) => {
    switch (mode) {
      case 'once':
        for (const event of events) await invoke(event, timeoutMs);
        break;
      case 'twice':
        for (const event of events) {
          await invoke(event, timeoutMs);
          await invoke(event, timeoutMs);
        }
        break;
      case 'reordered':
        for (const event of [...events].reverse()) await invoke(event, timeoutMs);
        break;
      case 'at-once':
        if (!scenario.concurrent) {
          for (const event of events) await invoke(event, timeoutMs);
          break;
        }
        await Promise.all(events.flatMap((event) => [invoke(event, timeoutMs), invoke(event, timeoutMs)]));
        break;
    }
  };

  // The periodic pass, on its schedule while the scenario waits.
  let sinceTick = 0;
  const wait = async (ms: number) => {
    for (let left = ms; left > 0; ) {
      const step = Math.min(left, scenario.tickEveryMs - sinceTick);
      aws.world.advance(step);
      left -= step;
      sinceTick += step;
      if (sinceTick >= scenario.tickEveryMs) {
        sinceTick = 0;
        await attempts(scenario.tick(aws), DEFAULT_TIMEOUT_MS);
      }
    }
  };

  await scenario.play(aws, { deliver, wait });
  await wait(scenario.settlePasses * scenario.tickEveryMs);
  // Long enough for whatever was started to finish (stops, boots, replacements, hook timeouts).
  aws.world.advance(15 * 60_000);
  aws.faults.clear();
  const injected = aws.calls.list().filter((call) => call.injected).length;
  const fingerprint = await scenario.fingerprint(aws);
  return { ...result, firstAnswer: result.firstAnswer, fingerprint, deadLetters, injected };
}
