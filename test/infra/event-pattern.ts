/**
 * EventBridge event pattern matching, as the EventBridge user guide ("Amazon EventBridge event
 * patterns", "Content filtering") describes it: exact values, prefix, suffix, anything-but, exists,
 * numeric, equals-ignore-case, wildcard and $or. Enough to check that sample events match the rules we
 * deploy; an operator it does not know throws rather than silently failing to match.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Pattern = { [key: string]: unknown };

const MISSING = Symbol('missing');
type Value = Json | typeof MISSING;

export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  return matchObject(pattern, event as Value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matchObject(pattern: Pattern, value: Value): boolean {
  // A pattern object against an array of objects: any element may match (EventBridge flattens arrays).
  if (Array.isArray(value)) return value.some((item) => matchObject(pattern, item));
  const record = isObject(value) ? (value as Record<string, Json>) : undefined;
  return Object.entries(pattern).every(([key, sub]) => {
    if (key === '$or') {
      if (!Array.isArray(sub) || sub.length < 2)
        throw new Error('$or needs an array of at least two patterns');
      return sub.some((alternative) => matchObject(alternative as Pattern, value));
    }
    const field: Value = record && Object.hasOwn(record, key) ? record[key] : MISSING;
    if (Array.isArray(sub)) return matchLeaf(sub, field);
    if (isObject(sub)) return field !== MISSING && matchObject(sub, field);
    throw new Error(`Pattern field ${key} must be an array or an object, got ${JSON.stringify(sub)}`);
  });
}

/** A list of matchers for one field: the field matches when any matcher matches any of its values. */
function matchLeaf(matchers: unknown[], field: Value): boolean {
  if (matchers.length === 0) throw new Error('An empty array matches nothing and EventBridge rejects it');
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) return matcher.exists === (field !== MISSING);
    if (field === MISSING) return false;
    // An array field matches when any of its values does (also for anything-but).
    const values = Array.isArray(field) ? field : [field];
    if (isObject(matcher) && 'anything-but' in matcher) {
      return values.some((value) => !excluded(matcher['anything-but'], value));
    }
    return values.some((value) => matchValue(matcher, value));
  });
}

function matchValue(matcher: unknown, value: Json): boolean {
  if (!isObject(matcher)) return matcher === value;
  const [operator, ...others] = Object.keys(matcher);
  if (others.length > 0) throw new Error(`One operator per matcher: ${JSON.stringify(matcher)}`);
  const operand = matcher[operator];
  switch (operator) {
    case 'prefix':
      return stringTest(operand, value, (text, target) => text.startsWith(target));
    case 'suffix':
      return stringTest(operand, value, (text, target) => text.endsWith(target));
    case 'equals-ignore-case':
      return (
        typeof value === 'string' &&
        typeof operand === 'string' &&
        value.toLowerCase() === operand.toLowerCase()
      );
    case 'wildcard':
      return typeof value === 'string' && typeof operand === 'string' && wildcard(operand).test(value);
    case 'numeric':
      return typeof value === 'number' && numeric(operand, value);
    default:
      throw new Error(`Unsupported pattern operator: ${operator}`);
  }
}

/** `{prefix: "x"}` or `{prefix: {"equals-ignore-case": "x"}}`, and the same for suffix. */
function stringTest(operand: unknown, value: Json, test: (text: string, target: string) => boolean): boolean {
  if (typeof value !== 'string') return false;
  if (typeof operand === 'string') return test(value, operand);
  if (isObject(operand) && typeof operand['equals-ignore-case'] === 'string') {
    return test(value.toLowerCase(), operand['equals-ignore-case'].toLowerCase());
  }
  throw new Error(`Unsupported prefix/suffix operand: ${JSON.stringify(operand)}`);
}

function excluded(operand: unknown, value: Json): boolean {
  if (Array.isArray(operand)) return operand.some((item) => excluded(item, value));
  if (isObject(operand)) {
    const [operator] = Object.keys(operand);
    const inner = operand[operator];
    if (operator === 'equals-ignore-case' && Array.isArray(inner)) {
      return inner.some((item) => matchValue({ [operator]: item }, value));
    }
    return matchValue(operand, value);
  }
  return operand === value;
}

function wildcard(pattern: string): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`);
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** `["numeric", ">", 0, "<=", 5]`: every comparison must hold. */
function numeric(operand: unknown, value: number): boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw new Error(`numeric needs operator/number pairs: ${JSON.stringify(operand)}`);
  }
  for (let index = 0; index < operand.length; index += 2) {
    const compare = COMPARE[String(operand[index])];
    const bound = operand[index + 1];
    if (!compare || typeof bound !== 'number')
      throw new Error(`Bad numeric comparison: ${JSON.stringify(operand)}`);
    if (!compare(value, bound)) return false;
  }
  return true;
}
