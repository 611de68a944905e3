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
  /** Applies to at most this many matching calls (with rate 1: exactly the next N). */
  times?: number;
  /**
   * ECS Describe* only: items answered as `failures[]` with reason MISSING instead, as ECS does for
   * what it cannot find at that moment. `true`: every item; a list: the items whose ARN or EC2
   * instance id contains one of the strings.
   */
  missing?: true | readonly string[];
}

export type FaultDecision = {
  kind: 'throttle' | 'server-error' | 'none';
  latencyMs: number;
  missing?: true | readonly string[];
};

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
    let missing: true | readonly string[] | undefined;
    for (const rule of this.rules) {
      if (!matches(rule.operation ?? '*', operation)) continue;
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      rule.used++;
      latencyMs = Math.max(latencyMs, rule.latencyMs ?? 0);
      if (rule.missing) {
        missing = rule.missing;
        continue;
      }
      const roll = this.random.next();
      if (roll < (rule.throttleRate ?? 0)) return { kind: 'throttle', latencyMs };
      if (roll < (rule.throttleRate ?? 0) + (rule.serverErrorRate ?? 0))
        return { kind: 'server-error', latencyMs };
    }
    return { kind: 'none', latencyMs, ...(missing ? { missing } : {}) };
  }
}

function matches(pattern: string, operation: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith(':*')) return operation.startsWith(pattern.slice(0, -1));
  return pattern === operation;
}
