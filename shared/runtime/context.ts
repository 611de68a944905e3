import type { Observability } from './observability';
import type { TimeBudget } from './time';

/** What every function's settings hold, whatever else they hold. */
export interface BaseConfig {
  /** DRY_RUN=true: the pass returns its plan and applies nothing. */
  dryRun: boolean;
}

/**
 * What one invocation of any function works with: its settings (parsed from the environment by its
 * config.ts, dry run included) and its Powertools logger and metrics. Built by the function's handler and
 * passed down, so each step stays testable. Each function extends it under one pattern of name,
 * `<Domain>Context`: `DrainContext`, `ScheduleContext`, `DetectContext`, `CapacityContext`.
 */
export interface InvocationContext<Config extends BaseConfig> extends Observability {
  config: Config;
}

/**
 * An invocation that holds leases in the state table and waits within Lambda's time limit: every
 * function but scale-capacity (which takes no lease and runs one pass per provider).
 */
export interface LeasingContext<Config extends BaseConfig> extends InvocationContext<Config> {
  /** Time left for work before Lambda's timeout, with a margin to report. */
  budget: TimeBudget;
  /** Identifies this invocation as a lease holder (the Lambda request id). */
  owner: string;
  sleep: (ms: number) => Promise<void>;
}
