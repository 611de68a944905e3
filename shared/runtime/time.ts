import type { Context } from 'aws-lambda';

/** Time left for work in this invocation, keeping a margin to finish the current step and report. */
export function timeBudget(context: Pick<Context, 'getRemainingTimeInMillis'>, marginMs = 5_000) {
  return {
    remainingMs: () => Math.max(0, context.getRemainingTimeInMillis() - marginMs),
    hasTimeFor: (ms: number) => context.getRemainingTimeInMillis() - marginMs >= ms,
  };
}

export type TimeBudget = ReturnType<typeof timeBudget>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
