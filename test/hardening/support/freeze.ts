// A Lambda invocation killed by its timeout: from a chosen AWS call on, that invocation makes no more
// progress (its calls never answer), as when Lambda stops the execution environment mid-flight. Other
// invocations are untouched: the invocation is told apart by AsyncLocalStorage.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MetadataBearer, MiddlewareStack } from '@smithy/types';

interface Invocation {
  calls: number;
  /** It had sent an SNS publication before it died. */
  published: boolean;
  /** The call (1-based) at which the invocation dies. */
  killAt: number;
  killed: () => void;
}

const current = new AsyncLocalStorage<Invocation>();
const never = () => new Promise<never>(() => {});

/** Adds the kill switch to one of the functions' SDK clients (once per test file). */
export function installKillSwitch<Input extends object, Output extends MetadataBearer>(client: {
  middlewareStack: MiddlewareStack<Input, Output>;
}): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const invocation = current.getStore();
      if (invocation && ++invocation.calls >= invocation.killAt) {
        invocation.killed();
        return never();
      }
      const result = await next(args);
      if (invocation && context.commandName === 'PublishCommand') invocation.published = true;
      return result;
    },
    { step: 'initialize', name: 'hardeningKillSwitch', priority: 'high' },
  );
}

/**
 * Runs an invocation that dies at its `killAt`-th AWS call (if it makes that many). Resolves with its
 * answer, or `killed` once it died; the dead invocation is abandoned, never resumed.
 */
export function runKilledAt<T>(
  killAt: number,
  invoke: () => Promise<T>,
): Promise<{ killed: true; afterPublish: boolean } | { killed: false; answer: T; calls: number }> {
  return new Promise((resolve, reject) => {
    const invocation: Invocation = {
      calls: 0,
      published: false,
      killAt,
      killed: () => resolve({ killed: true, afterPublish: invocation.published }),
    };
    current
      .run(invocation, () => invoke())
      .then((answer) => resolve({ killed: false, answer, calls: invocation.calls }), reject);
  });
}
