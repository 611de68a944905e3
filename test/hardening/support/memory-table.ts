// An in-memory DynamoDB behind the DocumentClient, for aws-sdk-client-mock. dynalite gives the real
// semantics but costs about 4 ms a call even in-process (measured), far too slow for tens of thousands of
// fuzzed invocations; this keeps the semantics the functions rely on (conditional writes, if_not_exists,
// list_append, ADD, key conditions, ReturnValues, item and key size limits) at microseconds a call.
// Anything it does not understand throws, so a new expression shows up as a test failure, not a pass.
import { ConditionalCheckFailedException, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import type {
  BatchGetCommandInput,
  BatchWriteCommandInput,
  DeleteCommandInput,
  GetCommandInput,
  PutCommandInput,
  QueryCommandInput,
  ScanCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;
type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

const ITEM_LIMIT_BYTES = 400 * 1024;
const PARTITION_KEY_LIMIT_BYTES = 2048;
const SORT_KEY_LIMIT_BYTES = 1024;

export const validationError = (message: string) =>
  new DynamoDBServiceException({
    name: 'ValidationException',
    $fault: 'client',
    message,
    $metadata: { httpStatusCode: 400 },
  });

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

// ---------------------------------------------------------------------------------------------------
// Expressions

type Token = { kind: 'name' | 'value' | 'word' | 'op' | 'punct'; text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(<>|<=|>=|[=<>+-])|([(),.[\]]))/y;
  let index = 0;
  while (index < expression.length) {
    if (/^\s*$/.test(expression.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(expression);
    if (!match) throw validationError(`memory table: cannot read expression at "${expression.slice(index)}"`);
    index = pattern.lastIndex;
    if (match[1]) tokens.push({ kind: 'name', text: match[1] });
    else if (match[2]) tokens.push({ kind: 'value', text: match[2] });
    else if (match[3]) tokens.push({ kind: 'word', text: match[3] });
    else if (match[4]) tokens.push({ kind: 'op', text: match[4] });
    else if (match[5]) tokens.push({ kind: 'punct', text: match[5] });
  }
  return tokens;
}

type Segment = string | number;
type Operand =
  | { kind: 'path'; path: Segment[] }
  | { kind: 'value'; value: unknown }
  | { kind: 'call'; name: string; args: Operand[] }
  | { kind: 'arith'; op: '+' | '-'; left: Operand; right: Operand };
type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; inner: Condition }
  | { kind: 'compare'; op: string; left: Operand; right: Operand }
  | { kind: 'between'; subject: Operand; low: Operand; high: Operand }
  | { kind: 'in'; subject: Operand; options: Operand[] }
  | { kind: 'function'; name: string; args: Operand[] };

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly names: Names,
    private readonly values: Values,
  ) {}

  done() {
    return this.at >= this.tokens.length;
  }
  private peek(offset = 0) {
    return this.tokens[this.at + offset];
  }
  private next(): Token {
    const token = this.tokens[this.at++];
    if (!token) throw validationError('memory table: expression ends too early');
    return token;
  }
  private isWord(word: string, offset = 0) {
    const token = this.peek(offset);
    return token?.kind === 'word' && token.text.toUpperCase() === word;
  }
  expect(text: string) {
    const token = this.next();
    if (token.text !== text) throw validationError(`memory table: expected "${text}", found "${token.text}"`);
  }

  condition(): Condition {
    let left = this.conjunction();
    while (this.isWord('OR')) {
      this.next();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }
  private conjunction(): Condition {
    let left = this.negation();
    while (this.isWord('AND')) {
      this.next();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }
  private negation(): Condition {
    if (this.isWord('NOT')) {
      this.next();
      return { kind: 'not', inner: this.negation() };
    }
    return this.primary();
  }
  private primary(): Condition {
    if (this.peek()?.text === '(') {
      this.next();
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    const token = this.peek();
    if (
      token?.kind === 'word' &&
      this.peek(1)?.text === '(' &&
      ['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains'].includes(
        token.text,
      )
    ) {
      this.next();
      return { kind: 'function', name: token.text, args: this.arguments() };
    }
    const subject = this.operand();
    if (this.isWord('BETWEEN')) {
      this.next();
      const low = this.operand();
      if (!this.isWord('AND')) throw validationError('memory table: BETWEEN needs AND');
      this.next();
      return { kind: 'between', subject, low, high: this.operand() };
    }
    if (this.isWord('IN')) {
      this.next();
      return { kind: 'in', subject, options: this.arguments() };
    }
    const op = this.next();
    if (op.kind !== 'op' || op.text === '+' || op.text === '-') {
      throw validationError(`memory table: expected a comparison, found "${op.text}"`);
    }
    return { kind: 'compare', op: op.text, left: subject, right: this.operand() };
  }
  private arguments(): Operand[] {
    this.expect('(');
    const args = [this.operand()];
    while (this.peek()?.text === ',') {
      this.next();
      args.push(this.operand());
    }
    this.expect(')');
    return args;
  }

  /** A value or path, with `+`/`-` in update expressions. */
  valueExpression(): Operand {
    const left = this.operand();
    const op = this.peek();
    if (op?.kind === 'op' && (op.text === '+' || op.text === '-')) {
      this.next();
      return { kind: 'arith', op: op.text, left, right: this.operand() };
    }
    return left;
  }

  operand(): Operand {
    const token = this.peek();
    if (!token) throw validationError('memory table: expression ends too early');
    if (token.kind === 'value') {
      this.next();
      if (!this.values || !(token.text in this.values)) {
        throw validationError(`Value provided in ExpressionAttributeValues unused or missing: ${token.text}`);
      }
      return { kind: 'value', value: this.values[token.text] };
    }
    if (token.kind === 'word' && this.peek(1)?.text === '(') {
      this.next();
      if (!['if_not_exists', 'list_append', 'size'].includes(token.text)) {
        throw validationError(`memory table: function ${token.text} not supported`);
      }
      return { kind: 'call', name: token.text, args: this.arguments() };
    }
    return { kind: 'path', path: this.path() };
  }

  path(): Segment[] {
    const segments: Segment[] = [this.attribute()];
    for (;;) {
      const token = this.peek();
      if (token?.text === '.') {
        this.next();
        segments.push(this.attribute());
      } else if (token?.text === '[') {
        this.next();
        const index = this.next();
        if (!/^\d+$/.test(index.text)) throw validationError('memory table: list index must be a number');
        segments.push(Number(index.text));
        this.expect(']');
      } else return segments;
    }
  }
  private attribute(): string {
    const token = this.next();
    if (token.kind === 'name') {
      const name = this.names?.[token.text];
      if (name === undefined)
        throw validationError(`An expression attribute name used is not defined: ${token.text}`);
      return name;
    }
    if (token.kind === 'word') return token.text;
    throw validationError(`memory table: expected an attribute, found "${token.text}"`);
  }
  isClause(): boolean {
    return ['SET', 'REMOVE', 'ADD', 'DELETE'].some((word) => this.isWord(word));
  }
  word(): string {
    return this.next().text.toUpperCase();
  }
  comma(): boolean {
    if (this.peek()?.text !== ',') return false;
    this.next();
    return true;
  }
}

const MISSING = Symbol('missing');

function read(item: Item, path: Segment[]): unknown {
  let current: unknown = item;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return MISSING;
    current = (current as Record<Segment, unknown>)[segment];
  }
  return current;
}

function write(item: Item, path: Segment[], value: unknown) {
  let current: Record<Segment, unknown> = item;
  for (const segment of path.slice(0, -1)) {
    const next = current[segment];
    if (next === null || typeof next !== 'object') {
      throw validationError('The document path provided in the update expression is invalid for update');
    }
    current = next as Record<Segment, unknown>;
  }
  const last = path.at(-1) as Segment;
  if (Array.isArray(current) && typeof last === 'number') current[Math.min(last, current.length)] = value;
  else current[last] = value;
}

function remove(item: Item, path: Segment[]) {
  const parent = read(item, path.slice(0, -1));
  if (parent === MISSING || parent === null || typeof parent !== 'object') return;
  const last = path.at(-1) as Segment;
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else delete (parent as Record<Segment, unknown>)[last];
}

function evaluate(operand: Operand, item: Item): unknown {
  switch (operand.kind) {
    case 'value':
      return operand.value;
    case 'path':
      return read(item, operand.path);
    case 'arith': {
      const left = evaluate(operand.left, item);
      const right = evaluate(operand.right, item);
      if (typeof left !== 'number' || typeof right !== 'number') {
        throw validationError('An operand in the update expression has an incorrect data type');
      }
      return operand.op === '+' ? left + right : left - right;
    }
    case 'call': {
      const [first, second] = operand.args;
      if (operand.name === 'if_not_exists') {
        if (!first || !second) throw validationError('if_not_exists needs two operands');
        const current = evaluate(first, item);
        return current === MISSING ? evaluate(second, item) : current;
      }
      if (operand.name === 'list_append') {
        if (!first || !second) throw validationError('list_append needs two operands');
        const left = evaluate(first, item);
        const right = evaluate(second, item);
        if (!Array.isArray(left) || !Array.isArray(right)) {
          throw validationError('An operand in the update expression has an incorrect data type');
        }
        return [...left, ...right];
      }
      const value = first ? evaluate(first, item) : MISSING;
      if (typeof value === 'string') return value.length;
      if (Array.isArray(value)) return value.length;
      if (value instanceof Set) return value.size;
      if (value !== null && typeof value === 'object') return Object.keys(value).length;
      return MISSING;
    }
  }
}

function equal(left: unknown, right: unknown): boolean {
  if (left === MISSING || right === MISSING) return false;
  if (left instanceof Set && right instanceof Set) {
    return left.size === right.size && [...left].every((value) => right.has(value));
  }
  return JSON.stringify(left) === JSON.stringify(right);
}

function compare(op: string, left: unknown, right: unknown): boolean {
  if (op === '=') return equal(left, right);
  if (op === '<>') return left !== MISSING && right !== MISSING && !equal(left, right);
  const comparable =
    (typeof left === 'number' && typeof right === 'number') ||
    (typeof left === 'string' && typeof right === 'string');
  if (!comparable) return false;
  const l = left as number | string;
  const r = right as number | string;
  if (op === '<') return l < r;
  if (op === '<=') return l <= r;
  if (op === '>') return l > r;
  if (op === '>=') return l >= r;
  throw validationError(`memory table: comparison ${op} not supported`);
}

function holds(condition: Condition, item: Item): boolean {
  switch (condition.kind) {
    case 'and':
      return holds(condition.left, item) && holds(condition.right, item);
    case 'or':
      return holds(condition.left, item) || holds(condition.right, item);
    case 'not':
      return !holds(condition.inner, item);
    case 'compare':
      return compare(condition.op, evaluate(condition.left, item), evaluate(condition.right, item));
    case 'between': {
      const value = evaluate(condition.subject, item);
      return (
        compare('>=', value, evaluate(condition.low, item)) &&
        compare('<=', value, evaluate(condition.high, item))
      );
    }
    case 'in': {
      const value = evaluate(condition.subject, item);
      return condition.options.some((option) => equal(value, evaluate(option, item)));
    }
    case 'function': {
      const [first, second] = condition.args;
      const value = first ? evaluate(first, item) : MISSING;
      if (condition.name === 'attribute_exists') return value !== MISSING;
      if (condition.name === 'attribute_not_exists') return value === MISSING;
      const other = second ? evaluate(second, item) : MISSING;
      if (condition.name === 'begins_with') {
        return typeof value === 'string' && typeof other === 'string' && value.startsWith(other);
      }
      if (condition.name === 'contains') {
        if (typeof value === 'string' && typeof other === 'string') return value.includes(other);
        if (Array.isArray(value)) return value.some((entry) => equal(entry, other));
        if (value instanceof Set) return value.has(other);
        return false;
      }
      throw validationError(`memory table: function ${condition.name} not supported`);
    }
  }
}

function parseCondition(expression: string, names: Names, values: Values): Condition {
  const parser = new Parser(tokenize(expression), names, values);
  const condition = parser.condition();
  if (!parser.done()) throw validationError(`memory table: trailing text in condition "${expression}"`);
  return condition;
}

function applyUpdate(expression: string, names: Names, values: Values, item: Item) {
  const parser = new Parser(tokenize(expression), names, values);
  const original = structuredClone(item);
  const writes: (() => void)[] = [];
  while (!parser.done()) {
    if (!parser.isClause()) throw validationError(`memory table: cannot read update "${expression}"`);
    const clause = parser.word();
    do {
      const path = parser.path();
      if (clause === 'SET') {
        parser.expect('=');
        const value = evaluate(parser.valueExpression(), original);
        writes.push(() => write(item, path, value));
      } else if (clause === 'REMOVE') {
        writes.push(() => remove(item, path));
      } else {
        const operand = parser.operand();
        const change = evaluate(operand, original);
        const current = read(original, path);
        const result = addOrDelete(clause, current, change);
        // DynamoDB keeps no empty set: a DELETE of its last elements removes the attribute (as dynalite).
        if (result instanceof Set && result.size === 0) writes.push(() => remove(item, path));
        else writes.push(() => write(item, path, result));
      }
    } while (parser.comma());
  }
  for (const apply of writes) apply();
}

function addOrDelete(clause: string, current: unknown, change: unknown): unknown {
  if (clause === 'ADD' && typeof change === 'number') {
    if (current === MISSING) return change;
    if (typeof current !== 'number')
      throw validationError('An operand in the update expression has an incorrect data type');
    return current + change;
  }
  if (change instanceof Set) {
    const base = current === MISSING ? new Set() : current;
    if (!(base instanceof Set))
      throw validationError('An operand in the update expression has an incorrect data type');
    const result = new Set(base);
    for (const value of change) {
      if (clause === 'ADD') result.add(value);
      else result.delete(value);
    }
    return result;
  }
  throw validationError(`memory table: ${clause} needs a number or a set`);
}

// ---------------------------------------------------------------------------------------------------
// The table

const byteLength = (value: unknown): number => {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return 21;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (value instanceof Set) return [...value].reduce((sum: number, entry) => sum + byteLength(entry), 3);
  if (Array.isArray(value)) return value.reduce((sum: number, entry) => sum + byteLength(entry) + 1, 3);
  if (value instanceof Uint8Array) return value.byteLength;
  return Object.entries(value as object).reduce(
    (sum, [key, entry]) => sum + Buffer.byteLength(key, 'utf8') + byteLength(entry) + 1,
    3,
  );
};

function checkItem(item: Item) {
  for (const [key, limit] of [
    ['pk', PARTITION_KEY_LIMIT_BYTES],
    ['sk', SORT_KEY_LIMIT_BYTES],
  ] as const) {
    const value = item[key];
    if (typeof value !== 'string')
      throw validationError(`One or more parameter values were invalid: Missing the key ${key} in the item`);
    if (value === '') {
      throw validationError(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${key}`,
      );
    }
    if (Buffer.byteLength(value, 'utf8') > limit) {
      throw validationError(
        `One or more parameter values were invalid: Size of ${key === 'pk' ? 'hashkey' : 'rangekey'} has exceeded the maximum size limit of ${limit} bytes`,
      );
    }
  }
  if (byteLength(item) > ITEM_LIMIT_BYTES)
    throw validationError('Item size has exceeded the maximum allowed size');
  for (const [key, value] of Object.entries(item)) {
    if (value instanceof Set && value.size === 0) {
      throw validationError(
        `One or more parameter values were invalid: An string set may not be empty (${key})`,
      );
    }
  }
}

const keyOf = (key: Item) => {
  checkItem({ ...key });
  return `${key.pk as string}\u0000${key.sk as string}`;
};

const clone = <T>(value: T): T => structuredClone(value);

export class MemoryTable {
  private tables = new Map<string, Map<string, Item>>();

  reset() {
    this.tables.clear();
  }

  private table(name: string | undefined): Map<string, Item> {
    if (!name) throw validationError('TableName is required');
    let table = this.tables.get(name);
    if (!table) {
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }

  items(table: string): Item[] {
    return [...this.table(table).values()].map(clone);
  }

  /** Answers to the DocumentClient's commands, by command class name. */
  readonly answers = {
    GetCommand: (input: GetCommandInput) => {
      const item = this.table(input.TableName).get(keyOf(input.Key ?? {}));
      return item ? { Item: clone(item) } : {};
    },
    PutCommand: (input: PutCommandInput) => {
      const item = clone(input.Item ?? {}) as Item;
      checkItem(item);
      const table = this.table(input.TableName);
      const key = keyOf(item);
      const old = table.get(key);
      if (input.ConditionExpression) {
        const condition = parseCondition(
          input.ConditionExpression,
          input.ExpressionAttributeNames,
          input.ExpressionAttributeValues,
        );
        if (!holds(condition, old ?? {})) throw conditionFailed();
      }
      table.set(key, item);
      return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: clone(old) } : {};
    },
    UpdateCommand: (input: UpdateCommandInput) => {
      const table = this.table(input.TableName);
      const key = keyOf(input.Key ?? {});
      const old = table.get(key);
      if (input.ConditionExpression) {
        const condition = parseCondition(
          input.ConditionExpression,
          input.ExpressionAttributeNames,
          input.ExpressionAttributeValues,
        );
        if (!holds(condition, old ?? {})) throw conditionFailed();
      }
      const item = old ? clone(old) : clone(input.Key ?? {});
      if (!input.UpdateExpression) throw validationError('memory table: UpdateExpression is required');
      applyUpdate(
        input.UpdateExpression,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
        item,
      );
      checkItem(item);
      table.set(key, item);
      if (input.ReturnValues === 'ALL_NEW' || input.ReturnValues === 'UPDATED_NEW')
        return { Attributes: clone(item) };
      if ((input.ReturnValues === 'ALL_OLD' || input.ReturnValues === 'UPDATED_OLD') && old) {
        return { Attributes: clone(old) };
      }
      return {};
    },
    DeleteCommand: (input: DeleteCommandInput) => {
      const table = this.table(input.TableName);
      const key = keyOf(input.Key ?? {});
      const old = table.get(key);
      if (input.ConditionExpression) {
        const condition = parseCondition(
          input.ConditionExpression,
          input.ExpressionAttributeNames,
          input.ExpressionAttributeValues,
        );
        if (!holds(condition, old ?? {})) throw conditionFailed();
      }
      table.delete(key);
      return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: clone(old) } : {};
    },
    QueryCommand: (input: QueryCommandInput) => {
      if (input.IndexName) throw validationError('memory table: indexes not supported');
      if (!input.KeyConditionExpression) throw validationError('KeyConditionExpression is required');
      const keyCondition = parseCondition(
        input.KeyConditionExpression,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
      );
      const filter = input.FilterExpression
        ? parseCondition(
            input.FilterExpression,
            input.ExpressionAttributeNames,
            input.ExpressionAttributeValues,
          )
        : undefined;
      let matching = [...this.table(input.TableName).values()]
        .filter((item) => holds(keyCondition, item))
        .sort((a, b) =>
          (a.sk as string) < (b.sk as string) ? -1 : (a.sk as string) > (b.sk as string) ? 1 : 0,
        );
      if (input.ScanIndexForward === false) matching.reverse();
      if (input.ExclusiveStartKey) {
        const start = keyOf(input.ExclusiveStartKey);
        const index = matching.findIndex((item) => keyOf(item) === start);
        matching = matching.slice(index + 1);
      }
      const page = input.Limit ? matching.slice(0, input.Limit) : matching;
      const last = input.Limit && matching.length > input.Limit ? page.at(-1) : undefined;
      const items = filter ? page.filter((item) => holds(filter, item)) : page;
      return {
        Items: items.map(clone),
        Count: items.length,
        ...(last ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk } } : {}),
      };
    },
    ScanCommand: (input: ScanCommandInput) => {
      const filter = input.FilterExpression
        ? parseCondition(
            input.FilterExpression,
            input.ExpressionAttributeNames,
            input.ExpressionAttributeValues,
          )
        : undefined;
      const items = [...this.table(input.TableName).values()].filter(
        (item) => !filter || holds(filter, item),
      );
      return { Items: items.map(clone), Count: items.length };
    },
    BatchGetCommand: (input: BatchGetCommandInput) => {
      const responses: Record<string, Item[]> = {};
      for (const [name, request] of Object.entries(input.RequestItems ?? {})) {
        if ((request.Keys?.length ?? 0) > 100)
          throw validationError('Too many items requested for the BatchGetItem call');
        const table = this.table(name);
        responses[name] = (request.Keys ?? [])
          .map((key) => table.get(keyOf(key)))
          .filter((item): item is Item => item !== undefined)
          .map(clone);
      }
      return { Responses: responses, UnprocessedKeys: {} };
    },
    BatchWriteCommand: (input: BatchWriteCommandInput) => {
      for (const [name, requests] of Object.entries(input.RequestItems ?? {})) {
        if (requests.length > 25)
          throw validationError('Too many items requested for the BatchWriteItem call');
        const table = this.table(name);
        for (const request of requests) {
          if (request.PutRequest?.Item) {
            const item = clone(request.PutRequest.Item) as Item;
            checkItem(item);
            table.set(keyOf(item), item);
          } else if (request.DeleteRequest?.Key) table.delete(keyOf(request.DeleteRequest.Key));
        }
      }
      return { UnprocessedItems: {} };
    },
  };
}
