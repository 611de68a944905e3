/**
 * The ECS cluster query language (memberOf constraints, ListContainerInstances filters), evaluated
 * against a container instance. A compact local evaluator: the simulator must not depend on the code it
 * is used to test, so it keeps its own reading of the language as documented by AWS.
 */

export interface QueryTarget {
  ec2InstanceId: string;
  agentConnected: boolean;
  agentVersion?: string;
  registeredAt: number;
  runningTasksCount: number;
  attributes: Record<string, string | undefined>;
  taskGroups: string[];
}

export class QueryError extends Error {
  override readonly name = 'QueryError';
}

type Token = { kind: 'word' | 'op' | 'punct'; text: string; at: number };

type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  | { kind: 'cond'; subject: string; op: string; values: string[] };

const OPERATOR_ALIASES: Record<string, string> = {
  '==': '==',
  equals: '==',
  '!=': '!=',
  not_equals: '!=',
  exists: 'exists',
  '!exists': '!exists',
  not_exists: '!exists',
  in: 'in',
  '!in': '!in',
  not_in: '!in',
  '=~': '=~',
  matches: '=~',
  '!~': '!~',
  not_matches: '!~',
  '>': '>',
  greater_than: '>',
  '>=': '>=',
  greater_than_equal: '>=',
  '<': '<',
  less_than: '<',
  '<=': '<=',
  less_than_equal: '<=',
};

const SYMBOLS = ['!exists', '!in', '==', '!=', '=~', '!~', '>=', '<=', '&&', '||', '>', '<', '!'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if ('()[],'.includes(ch)) {
      tokens.push({ kind: 'punct', text: ch, at: i });
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) throw new QueryError(`at ${i}: unterminated quoted value`);
      tokens.push({ kind: 'word', text: text.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i) && !/[A-Za-z_]/.test(text[i + s.length] ?? ''));
    const symbolWithWord = SYMBOLS.find((s) => /^!(exists|in)$/.test(s) && text.startsWith(s, i));
    const matched = symbolWithWord ?? symbol;
    if (matched) {
      tokens.push({ kind: 'op', text: matched, at: i });
      i += matched.length;
      continue;
    }
    const start = i;
    while (i < text.length && !/[\s()[\],!=<>~&|]/.test(text[i] as string)) i++;
    if (i === start) throw new QueryError(`at ${i}: unexpected "${ch}"`);
    tokens.push({ kind: 'word', text: text.slice(start, i), at: start });
  }
  return tokens;
}

class Parser {
  private index = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly length: number,
  ) {}

  parse(): Expr {
    const expr = this.or();
    const extra = this.peek();
    if (extra) throw new QueryError(`at ${extra.at}: expected "and", "or" or the end, found "${extra.text}"`);
    return expr;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private take(): Token {
    const token = this.tokens[this.index++];
    if (!token) throw new QueryError(`at ${this.length}: unexpected end of expression`);
    return token;
  }

  private isWord(token: Token | undefined, ...words: string[]) {
    return token !== undefined && words.includes(token.text.toLowerCase()) && token.kind !== 'punct';
  }

  private or(): Expr {
    let left = this.and();
    while (this.isWord(this.peek(), 'or', '||')) {
      this.take();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Expr {
    let left = this.unary();
    while (this.isWord(this.peek(), 'and', '&&')) {
      this.take();
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    const token = this.peek();
    if (this.isWord(token, 'not', '!')) {
      this.take();
      return { kind: 'not', expr: this.unary() };
    }
    if (token?.text === '(' && token.kind === 'punct') {
      this.take();
      const expr = this.or();
      const close = this.take();
      if (close.text !== ')') throw new QueryError(`at ${close.at}: expected ")", found "${close.text}"`);
      return expr;
    }
    return this.condition();
  }

  private condition(): Expr {
    const subject = this.take();
    if (subject.kind !== 'word')
      throw new QueryError(`at ${subject.at}: expected a subject, found "${subject.text}"`);
    const opToken = this.take();
    const op = OPERATOR_ALIASES[opToken.text.toLowerCase()];
    if (!op) {
      throw new QueryError(
        `at ${opToken.at}: expected an operator (==, !=, in, =~, exists, ...), found "${opToken.text}"`,
      );
    }
    if (op === 'exists' || op === '!exists') return { kind: 'cond', subject: subject.text, op, values: [] };
    if (op === 'in' || op === '!in') return { kind: 'cond', subject: subject.text, op, values: this.list() };
    const value = this.take();
    if (value.kind !== 'word')
      throw new QueryError(`at ${value.at}: expected a value, found "${value.text}"`);
    return { kind: 'cond', subject: subject.text, op, values: [value.text] };
  }

  private list(): string[] {
    const open = this.take();
    const close = open.text === '[' ? ']' : open.text === '(' ? ')' : undefined;
    if (!close) throw new QueryError(`at ${open.at}: expected a list [a, b], found "${open.text}"`);
    const values: string[] = [];
    for (;;) {
      const value = this.take();
      if (value.kind !== 'word')
        throw new QueryError(`at ${value.at}: expected a value, found "${value.text}"`);
      values.push(value.text);
      const next = this.take();
      if (next.text === close) return values;
      if (next.text !== ',')
        throw new QueryError(`at ${next.at}: expected "," or "${close}", found "${next.text}"`);
    }
  }
}

const cache = new Map<string, Expr>();

/** Parses (cached); throws QueryError with the position of the problem. */
export function parseQuery(expression: string): Expr {
  let parsed = cache.get(expression);
  if (!parsed) {
    parsed = new Parser(tokenize(expression), expression.length).parse();
    cache.set(expression, parsed);
  }
  return parsed;
}

function subjectValues(subject: string, target: QueryTarget): (string | undefined)[] {
  if (subject.startsWith('attribute:')) return [target.attributes[subject.slice('attribute:'.length)]];
  switch (subject) {
    case 'agentConnected':
      return [String(target.agentConnected)];
    case 'agentVersion':
      return [target.agentVersion];
    case 'ec2InstanceId':
      return [target.ec2InstanceId];
    case 'registeredAt':
      return [new Date(target.registeredAt).toISOString()];
    case 'runningTasksCount':
      return [String(target.runningTasksCount)];
    case 'task:group':
      return target.taskGroups.length > 0 ? target.taskGroups : [undefined];
    default:
      throw new QueryError(`unknown subject "${subject}"`);
  }
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
}

function compare(actual: string, expected: string, subject: string): number {
  if (subject === 'registeredAt') return Date.parse(actual) - Date.parse(expected);
  const a = Number(actual);
  const b = Number(expected);
  if (!Number.isNaN(a) && !Number.isNaN(b)) return a - b;
  return actual < expected ? -1 : actual > expected ? 1 : 0;
}

function test(cond: Extract<Expr, { kind: 'cond' }>, value: string | undefined): boolean {
  const [first = ''] = cond.values;
  switch (cond.op) {
    case 'exists':
      return value !== undefined;
    case '!exists':
      return value === undefined;
    case '==':
      return value === first;
    case '!=':
      return value !== first;
    case 'in':
      return value !== undefined && cond.values.includes(value);
    case '!in':
      return value === undefined || !cond.values.includes(value);
    case '=~':
      return value !== undefined && glob(first).test(value);
    case '!~':
      return value === undefined || !glob(first).test(value);
    default: {
      if (value === undefined) return false;
      const diff = compare(value, first, cond.subject);
      if (cond.op === '>') return diff > 0;
      if (cond.op === '>=') return diff >= 0;
      if (cond.op === '<') return diff < 0;
      return diff <= 0;
    }
  }
}

function evaluate(expr: Expr, target: QueryTarget): boolean {
  switch (expr.kind) {
    case 'and':
      return evaluate(expr.left, target) && evaluate(expr.right, target);
    case 'or':
      return evaluate(expr.left, target) || evaluate(expr.right, target);
    case 'not':
      return !evaluate(expr.expr, target);
    case 'cond': {
      const values = subjectValues(expr.subject, target);
      // task:group matches when any group on the instance matches (negations: when none does).
      const negative = expr.op === '!=' || expr.op === '!in' || expr.op === '!~' || expr.op === '!exists';
      return negative ? values.every((v) => test(expr, v)) : values.some((v) => test(expr, v));
    }
  }
}

export function matchesQuery(expression: string, target: QueryTarget): boolean {
  return evaluate(parseQuery(expression), target);
}
