// Runs one handler on one event against benign AWS, and judges the answer against the contract every
// handler keeps with bad input (README.md, "Errors"): classified errors only; a refusal names the field at fault in
// its answer and its log, and changes nothing; unknown extra fields change nothing.
// The caller mocks shared/runtime/time (sleep moves the faked Date) and fakes Date.
import { Logger } from '@aws-lambda-powertools/logger';
import { vi } from 'vitest';
import { AwsOperationError } from '../../../shared/aws/errors';
import { ConfigError } from '../../../shared/runtime/errors';
import { type AwsCall, BenignAws, isMutating, type ParameterRefusal } from './benign-aws';
import { type Handler, type HandlerSpec, lambdaContext, type Refusal } from './handlers';
import { extraFieldsOnly, type Mutation, namesDamage } from './mutations';

export type Answer =
  | { kind: 'accepted'; result: unknown }
  | { kind: 'rejected'; paths: string[] }
  | { kind: 'refused'; refusal: Refusal }
  | { kind: 'threw'; error: unknown };

export interface Run {
  answer: Answer;
  calls: AwsCall[];
  /** Every warning and error logged, as JSON text. */
  logged: string;
  /** Requests AWS refused for their parameters (a field too long, a message too big). */
  refusals: ParameterRefusal[];
  /** Characters in the longest warning or error logged, as JSON. */
  longestLog: number;
}

/** Errors a handler may throw: AWS failures with context, and configuration problems. */
const KNOWN_ERRORS = [AwsOperationError, ConfigError];

const LAMBDA_TIMEOUT_MS = 120_000;

/**
 * A log line built from a huge event field would cost CloudWatch ingestion and bury the message; the
 * functions cut free text to about 1 KB a field, so a line this long means a field went in whole.
 */
const LOG_LINE_MAX = 32 * 1024;

function rejectionPaths(result: unknown): string[] | undefined {
  const answer = result as { status?: unknown; error?: { issues?: { path: string }[] } } | null;
  if (typeof answer !== 'object' || answer === null || answer.status !== 'rejected') return undefined;
  return (answer.error?.issues ?? []).map((issue) => issue.path);
}

export const describeError = (error: unknown) =>
  error instanceof Error
    ? `${error.name}: ${error.message.slice(0, 300)}\n${error.stack?.split('\n').slice(1, 4).join('\n')}`
    : String(error);

export const preview = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 400 ? `${text.slice(0, 400)}… (${text.length} chars)` : text;
};

/** Characters of a log entry as JSON (errors and cycles counted by their text). */
function safeLength(args: unknown): number {
  try {
    return JSON.stringify(args)?.length ?? 0;
  } catch {
    return String(args).length;
  }
}

const mutating = (calls: readonly AwsCall[]) => calls.filter((call) => isMutating(call.name));

export class FuzzHarness {
  readonly aws = new BenignAws();
  private readonly logged: unknown[][] = [];
  private longestQuiet = 0;

  /** Records warnings and errors instead of printing them (call in beforeAll; vi.restoreAllMocks undoes). */
  captureLogs(): void {
    const logged = this.logged;
    for (const level of ['error', 'warn'] as const) {
      vi.spyOn(Logger.prototype, level).mockImplementation(function (this: Logger, ...args: unknown[]) {
        logged.push(args);
      } as Logger['error']);
    }
    // Lower levels are only measured: their size matters, not their wording.
    const measure = (args: unknown[]) => {
      this.longestQuiet = Math.max(this.longestQuiet, safeLength(args));
    };
    for (const level of ['info', 'debug'] as const) {
      vi.spyOn(Logger.prototype, level).mockImplementation(function (this: Logger, ...args: unknown[]) {
        measure(args);
      } as Logger['info']);
    }
  }

  /** One invocation at `now` on a fresh, empty account. */
  async run(spec: HandlerSpec, handler: Handler, event: unknown, now: number): Promise<Run> {
    this.aws.reset();
    await spec.forget?.();
    this.logged.length = 0;
    this.longestQuiet = 0;
    vi.setSystemTime(now);
    let answer: Answer;
    try {
      const result = await handler(event, lambdaContext(spec.name, LAMBDA_TIMEOUT_MS));
      const paths = rejectionPaths(result);
      const refusal = spec.refusal?.(result, event);
      answer = paths
        ? { kind: 'rejected', paths }
        : refusal
          ? { kind: 'refused', refusal }
          : { kind: 'accepted', result: JSON.parse(JSON.stringify(result ?? null)) };
    } catch (error) {
      answer = { kind: 'threw', error };
    }
    return {
      answer,
      calls: this.aws.calls(),
      logged: JSON.stringify(this.logged),
      refusals: this.aws.parameterRefusals(),
      longestLog: Math.max(this.longestQuiet, ...this.logged.map(safeLength)),
    };
  }
}

function touchesStrictPath(spec: HandlerSpec, mutations: readonly Mutation[]): boolean {
  return mutations.some((mutation) =>
    (spec.strictPaths ?? []).some((strict) => {
      const path = mutation.path.map(String).join('.');
      return path === strict || path.startsWith(`${strict}.`);
    }),
  );
}

/** What is wrong with the answer to a damaged event (empty when nothing), given the undamaged one's. */
export function violations(
  spec: HandlerSpec,
  mutations: readonly Mutation[],
  outcome: Run,
  base: Run,
): string[] {
  const { answer, calls, logged, refusals, longestLog } = outcome;
  const found: string[] = [];
  // Oversized input is refused at parse time or cut before the call: AWS never sees a request it refuses.
  for (const { operation, message } of refusals) {
    found.push(`AWS refused ${operation}: ${message.slice(0, 200)}`);
  }
  if (longestLog > LOG_LINE_MAX) found.push(`logged ${longestLog} characters in one entry`);
  if (answer.kind === 'threw' && !KNOWN_ERRORS.some((type) => answer.error instanceof type)) {
    found.push(`unclassified error ${describeError(answer.error)}`);
  }
  if (answer.kind === 'rejected' || answer.kind === 'refused') {
    const allowed = new Set(answer.kind === 'refused' ? answer.refusal.mayCall : []);
    const changes = mutating(calls).filter((call) => !allowed.has(call.name));
    if (changes.length > 0) found.push(`refused, yet called ${changes.map((call) => call.name).join(', ')}`);
    const paths = answer.kind === 'rejected' ? answer.paths : answer.refusal.paths;
    const reported = answer.kind === 'rejected' ? answer.paths : answer.refusal.reported;
    const alreadyBad =
      base.answer.kind === 'rejected'
        ? base.answer.paths
        : base.answer.kind === 'refused'
          ? base.answer.refusal.paths
          : [];
    if (paths.length === 0) found.push('refused without naming a field');
    else if (
      !paths.some((path) => namesDamage(path, mutations, spec.routingPaths) || alreadyBad.includes(path))
    ) {
      found.push(`refusal names ${JSON.stringify(paths)}, not the damaged field`);
    }
    const unlogged = reported.filter(
      (path) => path !== '' && !logged.includes(JSON.stringify(path).slice(1, -1)),
    );
    if (unlogged.length > 0) found.push(`the log does not name ${unlogged.join(', ')}`);
  }
  if (extraFieldsOnly(mutations) && !touchesStrictPath(spec, mutations) && base.answer.kind !== 'threw') {
    if (JSON.stringify(answer) !== JSON.stringify(base.answer)) {
      found.push(`unknown fields changed the answer from ${preview(base.answer)} to ${preview(answer)}`);
    }
    if (JSON.stringify(mutating(calls)) !== JSON.stringify(mutating(base.calls))) {
      found.push('unknown fields changed what was done');
    }
  }
  return found;
}
