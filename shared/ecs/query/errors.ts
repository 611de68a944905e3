/** A cluster query that cannot be parsed: where, what was expected there, and what was found. */
export class QuerySyntaxError extends Error {
  override readonly name = 'QuerySyntaxError';

  constructor(
    /** 0-based character offset into the expression. */
    readonly position: number,
    /** What the parser wanted here, in words: `an operator (==, !=, in, ...)`. */
    readonly expected: string,
    /** The text found there; empty at the end of the expression. */
    readonly found: string,
    readonly expression: string,
  ) {
    super(
      `at ${position}: expected ${expected}, found ${found === '' ? 'end of expression' : JSON.stringify(found)}`,
    );
  }

  /** The expression with a caret under the error, for CLI output. */
  pointer(): string {
    return `${this.expression}\n${' '.repeat(this.position)}^`;
  }
}

/** A valid query that cannot be evaluated against the instance data given. */
export class QueryEvaluationError extends Error {
  override readonly name = 'QueryEvaluationError';
}
