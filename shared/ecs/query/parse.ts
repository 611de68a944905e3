/**
 * Parser for the cluster query language. Grammar (keywords and word operators case-insensitive):
 *
 *   or        := and (("or" | "||") and)*
 *   and       := unary (("and" | "&&") unary)*
 *   unary     := ("not" | "!") unary | "(" or ")" | condition
 *   condition := subject operator [argument]
 *   argument  := value | "[" value ("," value)* "]" | "(" value ("," value)* ")"
 *   value     := bare | 'quoted' | "quoted"
 *
 * Bare values run to whitespace, a bracket, a comma, a quote, `&&` or `||`; a pattern with
 * parentheses must be quoted.
 */
import {
  ALL_OPERATORS,
  type Expr,
  FIXED_SUBJECTS,
  isFixedSubject,
  MAX_EXPRESSION_LENGTH,
  OPERATOR_SPELLINGS,
  type Operator,
  operatorsFor,
  type Subject,
} from './ast';
import { QuerySyntaxError } from './errors';
import { compilePattern, isVersion, isWholeNumber, parseQueryDate } from './values';

const SUBJECT_CHAR = /[A-Za-z0-9_.:\-/\\]/;
const WORD_CHAR = /[A-Za-z0-9_.:\-/\\]/;
const BARE_STOP = /[\s()[\],'"]/;
const SYMBOLIC_OPERATORS = ['!exists', '!in', '==', '!=', '>=', '<=', '=~', '!~', '>', '<'] as const;
const SUBJECTS_TEXT = `a subject (${[...FIXED_SUBJECTS.filter((s) => s !== 'task:group'), 'attribute:<name>', 'task:group'].join(', ')})`;
const operatorsText = (operators: readonly Operator[]) => operators.join(', ');

export function parse(text: string): Expr {
  return new Parser(text).parseExpression();
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseExpression(): Expr {
    if (this.text.length > MAX_EXPRESSION_LENGTH) {
      throw new QuerySyntaxError(
        MAX_EXPRESSION_LENGTH,
        `at most ${MAX_EXPRESSION_LENGTH} characters`,
        this.text.slice(MAX_EXPRESSION_LENGTH, MAX_EXPRESSION_LENGTH + 20),
        this.text,
      );
    }
    const expr = this.parseOr();
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('"and", "or" or the end of the expression');
    return expr;
  }

  private parseOr(): Expr {
    const operands = [this.parseAnd()];
    while (this.acceptConnective('or', '||')) operands.push(this.parseAnd());
    return operands.length === 1 ? (operands[0] as Expr) : { type: 'or', operands };
  }

  private parseAnd(): Expr {
    const operands = [this.parseUnary()];
    while (this.acceptConnective('and', '&&')) operands.push(this.parseUnary());
    return operands.length === 1 ? (operands[0] as Expr) : { type: 'and', operands };
  }

  private parseUnary(): Expr {
    this.skipSpace();
    if (this.peek() === '(') {
      this.pos++;
      const inner = this.parseOr();
      this.skipSpace();
      if (this.peek() !== ')') this.fail('"and", "or" or ")"');
      this.pos++;
      return inner;
    }
    if (this.acceptKeyword('not') || this.acceptSymbol('!'))
      return { type: 'not', operand: this.parseUnary() };
    return this.parseCondition();
  }

  private parseCondition(): Expr {
    const subject = this.parseSubject();
    this.skipSpace();
    const operatorAt = this.pos;
    const operator = this.parseOperator();
    const allowed = operatorsFor(subject);
    if (!allowed.includes(operator)) {
      this.pos = operatorAt;
      this.fail(`an operator valid for ${subject} (${operatorsText(allowed)})`);
    }
    if (operator === 'exists' || operator === '!exists') return { type: 'exists', subject, operator };
    if (operator === 'in' || operator === '!in') {
      return { type: 'list', subject, operator, values: this.parseList(subject) };
    }
    this.skipSpace();
    const value = this.parseValue(subject, operator);
    return { type: 'compare', subject, operator, value };
  }

  private parseSubject(): Subject {
    this.skipSpace();
    const start = this.pos;
    while (this.pos < this.text.length && SUBJECT_CHAR.test(this.text.charAt(this.pos))) this.pos++;
    const word = this.text.slice(start, this.pos);
    if (isFixedSubject(word)) return word;
    if (word.startsWith('attribute:') && word.length > 'attribute:'.length) return word as Subject;
    this.pos = start;
    if (word === 'attribute:') this.fail('a subject with an attribute name after "attribute:"');
    return this.fail(SUBJECTS_TEXT);
  }

  private parseOperator(): Operator {
    const rest = this.text.slice(this.pos);
    for (const symbol of SYMBOLIC_OPERATORS) {
      if (!rest.startsWith(symbol)) continue;
      // !exists and !in are words: "!inside" is not an operator.
      if (/[a-z]$/.test(symbol) && WORD_CHAR.test(rest.charAt(symbol.length))) continue;
      this.pos += symbol.length;
      return OPERATOR_SPELLINGS[symbol] as Operator;
    }
    const word = /^[A-Za-z_]+/.exec(rest)?.[0];
    const operator = word ? OPERATOR_SPELLINGS[word.toLowerCase()] : undefined;
    if (word && operator && !WORD_CHAR.test(rest.charAt(word.length))) {
      this.pos += word.length;
      return operator;
    }
    return this.fail(`an operator (${operatorsText(ALL_OPERATORS)})`);
  }

  private parseList(subject: Subject): string[] {
    this.skipSpace();
    const open = this.peek();
    if (open !== '[' && open !== '(') this.fail('a list such as [a, b]');
    const close = open === '[' ? ']' : ')';
    this.pos++;
    const values: string[] = [];
    for (;;) {
      this.skipSpace();
      values.push(this.parseValue(subject, 'in'));
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() === close) {
        this.pos++;
        return values;
      }
      this.fail(`"," or "${close}"`);
    }
  }

  private parseValue(subject: Subject, operator: Operator): string {
    const start = this.pos;
    const quote = this.peek();
    let value: string;
    if (quote === "'" || quote === '"') {
      value = this.parseQuoted(quote);
    } else {
      while (this.pos < this.text.length && !this.atValueEnd()) this.pos++;
      value = this.text.slice(start, this.pos);
      if (value === '') {
        this.fail(
          operator === '=~' || operator === '!~'
            ? 'a pattern (quote a pattern that has parentheses, brackets, commas or spaces)'
            : 'a value',
        );
      }
    }
    const problem = valueProblem(subject, operator, value);
    if (problem) {
      this.pos = start;
      this.fail(problem);
    }
    return value;
  }

  private parseQuoted(quote: string): string {
    const start = this.pos;
    this.pos++;
    let value = '';
    while (this.pos < this.text.length) {
      const char = this.text.charAt(this.pos);
      if (char === quote) {
        this.pos++;
        return value;
      }
      if (
        char === '\\' &&
        (this.text.charAt(this.pos + 1) === quote || this.text.charAt(this.pos + 1) === '\\')
      ) {
        value += this.text.charAt(this.pos + 1);
        this.pos += 2;
        continue;
      }
      value += char;
      this.pos++;
    }
    throw new QuerySyntaxError(
      this.pos,
      `a closing ${quote} for the value opened at ${start}`,
      '',
      this.text,
    );
  }

  private atValueEnd(): boolean {
    const char = this.text.charAt(this.pos);
    if (BARE_STOP.test(char)) return true;
    const pair = this.text.slice(this.pos, this.pos + 2);
    return pair === '&&' || pair === '||';
  }

  private acceptConnective(word: string, symbol: string): boolean {
    this.skipSpace();
    return this.acceptSymbol(symbol) || this.acceptKeyword(word);
  }

  private acceptKeyword(word: string): boolean {
    const candidate = this.text.slice(this.pos, this.pos + word.length);
    if (candidate.toLowerCase() !== word || WORD_CHAR.test(this.text.charAt(this.pos + word.length)))
      return false;
    this.pos += word.length;
    return true;
  }

  private acceptSymbol(symbol: string): boolean {
    if (!this.text.startsWith(symbol, this.pos)) return false;
    this.pos += symbol.length;
    return true;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text.charAt(this.pos))) this.pos++;
  }

  private peek(): string {
    return this.text.charAt(this.pos);
  }

  private fail(expected: string): never {
    throw new QuerySyntaxError(this.pos, expected, this.foundAt(this.pos), this.text);
  }

  /** The token at a position, for error messages: one punctuation character or a run of text. */
  private foundAt(position: number): string {
    const char = this.text.charAt(position);
    if (char === '' || /[()[\],]/.test(char)) return char;
    const match = /^[^\s()[\],]+/.exec(this.text.slice(position));
    const token = match ? match[0] : char;
    return token.length > 40 ? `${token.slice(0, 40)}…` : token;
  }
}

/** Why a value does not suit its subject and operator, as an "expected ..." phrase; undefined when it does. */
function valueProblem(subject: Subject, operator: Operator, value: string): string | undefined {
  if (operator === '=~' || operator === '!~') {
    try {
      compilePattern(value);
      return undefined;
    } catch {
      return 'a regular expression (quote patterns that contain parentheses or spaces)';
    }
  }
  switch (subject) {
    case 'runningTasksCount':
      return isWholeNumber(value) ? undefined : 'a whole number of tasks';
    case 'registeredAt':
      return parseQueryDate(value)
        ? undefined
        : 'a date (2018-06-18, 2018-06-18T22:28:28, 2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00)';
    case 'agentVersion':
      return isVersion(value) ? undefined : 'an agent version such as 1.14.5';
    case 'agentConnected':
      return /^(true|false)$/i.test(value) ? undefined : 'true or false';
    default:
      return undefined;
  }
}
