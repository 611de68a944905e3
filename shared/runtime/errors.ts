import type * as z from 'zod';

/** One problem with an incoming event, located by its JSON path. */
export interface EventIssue {
  path: string;
  message: string;
}

/** An event the function cannot act on. Never retried: the same event would fail the same way. */
export class BadEventError extends Error {
  override readonly name = 'BadEventError';
  constructor(
    readonly source: string,
    readonly issues: EventIssue[],
  ) {
    super(
      `Bad ${source}: ${issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ')}`,
    );
  }

  /** `at` is where the parsed value sits in the event (e.g. `['detail']`), so paths are complete. */
  static fromZod(source: string, error: z.ZodError, at: readonly PropertyKey[] = []): BadEventError {
    return new BadEventError(
      source,
      error.issues.map((issue) => ({ path: formatPath([...at, ...issue.path]), message: issue.message })),
    );
  }
}

/** Environment configuration that cannot run the function. Thrown at cold start. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}
