/**
 * The contract between `npm run demo` (scripts/demo.ts) and one scenario per function
 * (scripts/demo/<function>.ts, each `export const scenario: DemoScenario`).
 */
import type { LocalAws } from '../../test/local-aws/index';

export interface InvokeOptions {
  /** The Lambda timeout the handler sees through context.getRemainingTimeInMillis (default 60 s). */
  timeoutMs?: number;
}

export interface DemoContext {
  /** A fresh sample world on the demo's endpoint (reset before each scenario). Date.now() follows its clock. */
  aws: LocalAws;
  /** Prints one line of narration, indented under the scenario's title. */
  narrate(text: string): void;
  /**
   * Imports `functions/<fnName>/index.ts` (once; with AWS_ENDPOINT_URL and the sample environment set)
   * and runs its handler with the event and a Lambda-like context. Returns what the handler returned.
   */
  invoke(fnName: string, event: unknown, options?: InvokeOptions): Promise<unknown>;
}

export interface DemoOutcome {
  /** Did the scenario show what it set out to show? */
  ok: boolean;
  /** One line for the final summary, e.g. "instance drained in 2m10s, hook completed". */
  summary: string;
}

export interface DemoScenario {
  title: string;
  /** The function folder name, e.g. `drain-instance`. */
  function: string;
  /** Environment the function needs beyond the sample defaults (STATE_TABLE, ALERT_TOPIC_ARN, DEFAULT_CLUSTER, DRY_RUN=false). Applied before its first import. */
  env?: Record<string, string>;
  run(ctx: DemoContext): Promise<DemoOutcome>;
}
