/** Injected failures and latency, per operation, reproducible from a seed. */
import { Random } from './model/random';

/** `service:Operation` (e.g. `ecs:RunTask`), `service:*` or `*`. */
export type OperationPattern = string;

export interface FaultConfig {
  operation?: OperationPattern;
  /** Share of matching calls answered with the service's throttling error (0..1). */
  throttleRate?: number;
  /** Share of matching calls answered with a 5xx error (0..1). */
  serverErrorRate?: number;
  /** Added to every matching call, before the answer. */
  latencyMs?: number;
  /**
   * Answers matching calls with this error of the service, as its wire carries it (`code` is the wire
   * code: for the Query services the modelled `error.code`, e.g. `ScalingActivityInProgress`, which the
   * SDK turns into the modelled shape name `ScalingActivityInProgressFault`). Status defaults to 400.
   */
  error?: { code: string; message?: string; status?: number };
  /**
   * DynamoDB BatchGetItem / BatchWriteItem only: share of the request's keys (or write requests) left
   * unprocessed in the answer (0..1, at least one when above 0), as DynamoDB does under throttling or
   * its 16 MB response limit.
   */
  unprocessedRate?: number;
  /** Applies to at most this many matching calls (with rate 1: exactly the next N). */
  times?: number;
  /**
   * ECS Describe* only: items answered as `failures[]` with reason MISSING instead, as ECS does for
   * what it cannot find at that moment. `true`: every item; a list: the items whose ARN or EC2
   * instance id contains one of the strings.
   */
  missing?: true | readonly string[];
}

export type FaultDecision =
  | {
      kind: 'throttle' | 'server-error' | 'none';
      latencyMs: number;
      unprocessedRate?: number;
      missing?: true | readonly string[];
    }
  | { kind: 'error'; latencyMs: number; error: { code: string; message?: string; status?: number } };

interface Rule extends FaultConfig {
  used: number;
}

export class FaultInjector {
  private rules: Rule[] = [];
  private random: Random;

  constructor(private readonly seed = 7) {
    this.random = new Random(seed);
  }

  /** Adds a rule; later rules are consulted first. Returns a function removing it. */
  set(config: FaultConfig): () => void {
    const rule: Rule = { ...config, used: 0 };
    this.rules.unshift(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  /** Removes every rule and restarts the random sequence. */
  clear(): void {
    this.rules = [];
    this.random = new Random(this.seed);
  }

  decide(operation: string): FaultDecision {
    let latencyMs = 0;
    let unprocessedRate: number | undefined;
    let missing: true | readonly string[] | undefined;
    for (const rule of this.rules) {
      if (!matches(rule.operation ?? '*', operation)) continue;
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      rule.used++;
      latencyMs = Math.max(latencyMs, rule.latencyMs ?? 0);
      if (rule.error) return { kind: 'error', latencyMs, error: rule.error };
      if (rule.unprocessedRate !== undefined) unprocessedRate ??= rule.unprocessedRate;
      if (rule.missing) {
        missing = rule.missing;
        continue;
      }
      const roll = this.random.next();
      if (roll < (rule.throttleRate ?? 0)) return { kind: 'throttle', latencyMs };
      if (roll < (rule.throttleRate ?? 0) + (rule.serverErrorRate ?? 0))
        return { kind: 'server-error', latencyMs };
    }
    return {
      kind: 'none',
      latencyMs,
      ...(unprocessedRate === undefined ? {} : { unprocessedRate }),
      ...(missing ? { missing } : {}),
    };
  }
}

function matches(pattern: string, operation: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith(':*')) return operation.startsWith(pattern.slice(0, -1));
  return pattern === operation;
}
