import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exprArb } from '../../../test/support/ecs-query-arbitraries';
import { MAX_EXPRESSION_LENGTH, referencesTaskGroup } from './ast';
import { QuerySyntaxError } from './errors';
import { parse } from './parse';
import { print } from './print';

function syntaxError(text: string): QuerySyntaxError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof QuerySyntaxError) return error;
    throw error;
  }
  throw new Error(`parsed without error: ${text}`);
}

describe('parse: the AWS documentation examples', () => {
  it.each([
    [
      'attribute:ecs.instance-type == t2.small',
      { type: 'compare', subject: 'attribute:ecs.instance-type', operator: '==', value: 't2.small' },
    ],
    [
      'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]',
      {
        type: 'list',
        subject: 'attribute:ecs.availability-zone',
        operator: 'in',
        values: ['us-east-1a', 'us-east-1b'],
      },
    ],
    [
      'task:group == service:production',
      { type: 'compare', subject: 'task:group', operator: '==', value: 'service:production' },
    ],
    ['runningTasksCount == 1', { type: 'compare', subject: 'runningTasksCount', operator: '==', value: '1' }],
    ['agentVersion < 1.14.5', { type: 'compare', subject: 'agentVersion', operator: '<', value: '1.14.5' }],
    [
      'registeredAt < 2018-02-13',
      { type: 'compare', subject: 'registeredAt', operator: '<', value: '2018-02-13' },
    ],
    [
      "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']",
      { type: 'list', subject: 'ec2InstanceId', operator: 'in', values: ['i-abcd1234', 'i-wxyx7890'] },
    ],
    [
      'agentConnected == false',
      { type: 'compare', subject: 'agentConnected', operator: '==', value: 'false' },
    ],
  ])('%s', (text, expected) => {
    expect(parse(text)).toEqual(expected);
  });

  it('compound: and binds tighter than or; not applies to a parenthesised group', () => {
    expect(
      parse('attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d'),
    ).toEqual({
      type: 'and',
      operands: [
        { type: 'compare', subject: 'attribute:ecs.instance-type', operator: '=~', value: 'g2.*' },
        { type: 'compare', subject: 'attribute:ecs.availability-zone', operator: '!=', value: 'us-east-1d' },
      ],
    });
    expect(parse('not(task:group == database)')).toEqual({
      type: 'not',
      operand: { type: 'compare', subject: 'task:group', operator: '==', value: 'database' },
    });
    expect(print(parse('attribute:a exists or attribute:b exists and attribute:c exists'))).toBe(
      'attribute:a exists or (attribute:b exists and attribute:c exists)',
    );
    expect(parse('attribute:a exists or attribute:b exists and attribute:c exists')).toMatchObject({
      type: 'or',
      operands: [{ type: 'exists' }, { type: 'and' }],
    });
  });
});

describe('parse: every spelling', () => {
  it('word operators, symbolic connectives and parenthesised lists mean the same as the canonical forms', () => {
    const pairs: [string, string][] = [
      ['attribute:x equals a', 'attribute:x == a'],
      ['attribute:x not_equals a', 'attribute:x != a'],
      ['attribute:x greater_than 1', 'attribute:x > 1'],
      ['attribute:x greater_than_equal 1', 'attribute:x >= 1'],
      ['attribute:x less_than 1', 'attribute:x < 1'],
      ['attribute:x less_than_equal 1', 'attribute:x <= 1'],
      ['attribute:x not_exists', 'attribute:x !exists'],
      ['attribute:x not_in (a, b)', 'attribute:x !in [a, b]'],
      ['attribute:x matches a.*', 'attribute:x =~ a.*'],
      ['attribute:x not_matches a.*', 'attribute:x !~ a.*'],
      ['attribute:x exists && attribute:y exists', 'attribute:x exists and attribute:y exists'],
      ['attribute:x exists || attribute:y exists', 'attribute:x exists or attribute:y exists'],
      ['!attribute:x exists', 'not(attribute:x exists)'],
      ['NOT (attribute:x exists) AND attribute:y exists', 'not(attribute:x exists) and attribute:y exists'],
      ['runningTasksCount==1', 'runningTasksCount == 1'],
      ['attribute:x == "a b"', "attribute:x == 'a b'"],
      ["attribute:x == 'it\\'s'", "attribute:x == 'it\\'s'"],
      ["attribute:x =~ '(t2|m5)\\..*'", "attribute:x =~ '(t2|m5)\\..*'"],
    ];
    for (const [spelling, canonical] of pairs) expect(print(parse(spelling))).toBe(canonical);
  });

  it('a value may be a keyword or contain operator characters', () => {
    expect(parse('attribute:x == and')).toMatchObject({ value: 'and' });
    expect(parse('attribute:x == a=b!c')).toMatchObject({ value: 'a=b!c' });
    expect(parse("attribute:x == ''")).toMatchObject({ value: '' });
  });

  it('knows which expressions need task groups', () => {
    expect(referencesTaskGroup(parse('not(task:group == database) and runningTasksCount < 5'))).toBe(true);
    expect(referencesTaskGroup(parse('runningTasksCount < 5'))).toBe(false);
  });
});

describe('parse: errors say where, what was expected and what was found', () => {
  it.each([
    [
      'ec2InstanceId foo',
      14,
      'at 14: expected an operator (==, !=, >, >=, <, <=, exists, !exists, in, !in, =~, !~), found "foo"',
    ],
    [
      '',
      0,
      'at 0: expected a subject (agentConnected, agentVersion, ec2InstanceId, registeredAt, runningTasksCount, attribute:<name>, task:group), found end of expression',
    ],
    ['instanceType == t2.micro', 0, 'expected a subject'],
    ['attribute: == x', 0, 'expected a subject with an attribute name after "attribute:"'],
    ['attribute:x ==', 14, 'at 14: expected a value, found end of expression'],
    ['attribute:x in us-east-1a', 15, 'at 15: expected a list such as [a, b], found "us-east-1a"'],
    ['attribute:x in [a, b', 20, 'at 20: expected "," or "]", found end of expression'],
    ['attribute:x in [a, ]', 19, 'at 19: expected a value, found "]"'],
    ['attribute:x in [a, b)', 20, 'expected "," or "]", found ")"'],
    ['(attribute:x exists', 19, 'at 19: expected "and", "or" or ")", found end of expression'],
    ['attribute:x exists)', 18, 'at 18: expected "and", "or" or the end of the expression, found ")"'],
    ['attribute:x exists attribute:y exists', 19, 'found "attribute:y"'],
    ['attribute:x exists and', 22, 'at 22: expected a subject'],
    [
      "attribute:x == 'abc",
      19,
      "at 19: expected a closing ' for the value opened at 15, found end of expression",
    ],
    [
      'runningTasksCount in [1, 2]',
      18,
      'at 18: expected an operator valid for runningTasksCount (==, !=, >, >=, <, <=), found "in"',
    ],
    ['agentConnected exists', 15, 'expected an operator valid for agentConnected'],
    ['runningTasksCount > lots', 20, 'at 20: expected a whole number of tasks, found "lots"'],
    ['registeredAt < 2018-02-30', 15, 'at 15: expected a date'],
    ['registeredAt < yesterday', 15, 'expected a date'],
    ['agentVersion < latest', 15, 'expected an agent version such as 1.14.5'],
    ['agentConnected == yes', 18, 'expected true or false, found "yes"'],
    ['attribute:x =~ t2**', 15, 'expected a regular expression'],
    ['attribute:x =~ (t2|m5).*', 15, 'expected a pattern (quote a pattern that has parentheses'],
    ['not attribute:x', 15, 'expected an operator'],
  ])('%j fails at %i', (text, position, message) => {
    const error = syntaxError(text);
    expect(error.position).toBe(position);
    expect(error.message).toContain(message);
    expect(error.expression).toBe(text);
  });

  it('points at the error', () => {
    expect(syntaxError('ec2InstanceId foo').pointer()).toBe('ec2InstanceId foo\n              ^');
    expect(syntaxError('ec2InstanceId foo')).toMatchObject({
      expected: expect.stringContaining('an operator'),
      found: 'foo',
    });
  });

  it('rejects expressions longer than ECS accepts', () => {
    const long = Array.from({ length: 120 }, (_, i) => `attribute:a${i} exists`).join(' and ');
    expect(long.length).toBeGreaterThan(MAX_EXPRESSION_LENGTH);
    expect(syntaxError(long).position).toBe(MAX_EXPRESSION_LENGTH);
  });
});

describe('parse/print properties', () => {
  it('parse(print(e)) equals e', () => {
    fc.assert(
      fc.property(exprArb, (expr) => {
        expect(parse(print(expr))).toEqual(expr);
      }),
      { numRuns: 500 },
    );
  });

  it('print is canonical: printing a reparsed expression gives the same text', () => {
    fc.assert(
      fc.property(exprArb, (expr) => {
        const text = print(expr);
        expect(print(parse(text))).toBe(text);
      }),
    );
  });

  // Each mutation makes any expression malformed.
  const mutations: { name: string; apply: (text: string) => string }[] = [
    { name: 'dangling connective', apply: (text) => `${text} and` },
    { name: 'dangling or', apply: (text) => `${text} ||` },
    { name: 'unclosed group', apply: (text) => `(${text}` },
    { name: 'stray closing parenthesis', apply: (text) => `${text})` },
    { name: 'two expressions without a connective', apply: (text) => `${text} ${text}` },
    { name: 'unknown subject in front', apply: (text) => `bogus == 1 and ${text}` },
    { name: 'leading operator', apply: (text) => `== ${text}` },
    { name: 'leading comma', apply: (text) => `, ${text}` },
    { name: 'empty group', apply: (text) => `() or ${text}` },
    { name: 'not without an operand', apply: (text) => `${text} and not` },
    { name: 'unknown operator', apply: (text) => `${text} or attribute:x likes y` },
    { name: 'unterminated quote', apply: (text) => `${text} or attribute:x == 'y` },
  ];

  it('rejects mutated expressions with a position inside the text', () => {
    fc.assert(
      fc.property(exprArb, fc.constantFrom(...mutations), (expr, mutation) => {
        const text = mutation.apply(print(expr));
        fc.pre(text.length <= MAX_EXPRESSION_LENGTH);
        const error = syntaxError(text);
        expect(error.position).toBeGreaterThanOrEqual(0);
        expect(error.position).toBeLessThanOrEqual(text.length);
        expect(error.message).toMatch(/^at \d+: expected .+, found .+/);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects truncated list expressions at the end', () => {
    fc.assert(
      fc.property(exprArb, (expr) => {
        const text = `${print(expr)} and attribute:zone in [a, b`;
        fc.pre(text.length <= MAX_EXPRESSION_LENGTH);
        expect(syntaxError(text).position).toBe(text.length);
      }),
    );
  });
});
