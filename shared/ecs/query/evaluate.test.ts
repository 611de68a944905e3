import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conditionArb, exprArb } from '../../../test/support/ecs-query-arbitraries';
import { type InstanceView, toInstanceView } from '../container-instance';
import { type Condition, type Expr, NEGATION_OF } from './ast';
import { QueryEvaluationError } from './errors';
import { evaluate, selectInstances } from './evaluate';
import { parse } from './parse';
import { print } from './print';

function instance(
  ec2InstanceId: string,
  overrides: {
    type?: string;
    zone?: string;
    running?: number;
    connected?: boolean;
    agentVersion?: string;
    registeredAt?: string;
    taskGroups?: string[];
    extra?: { name: string; value?: string }[];
  } = {},
): InstanceView {
  return toInstanceView(
    {
      containerInstanceArn: `arn:aws:ecs:us-east-1:123456789012:container-instance/web/${ec2InstanceId}`,
      ec2InstanceId,
      status: 'ACTIVE',
      agentConnected: overrides.connected ?? true,
      runningTasksCount: overrides.running ?? 0,
      versionInfo: { agentVersion: overrides.agentVersion ?? '1.87.0' },
      registeredAt: new Date(overrides.registeredAt ?? '2026-11-20T10:00:00Z'),
      attributes: [
        { name: 'ecs.instance-type', value: overrides.type ?? 'm5.large' },
        { name: 'ecs.availability-zone', value: overrides.zone ?? 'us-east-1a' },
        ...(overrides.extra ?? []),
      ],
    },
    { taskGroups: overrides.taskGroups ?? [] },
  );
}

const t2 = instance('i-abcd1234', {
  type: 't2.micro',
  zone: 'us-east-1a',
  running: 1,
  taskGroups: ['service:production'],
});
const g2 = instance('i-wxyx7890', {
  type: 'g2.2xlarge',
  zone: 'us-east-1d',
  running: 3,
  taskGroups: ['database', 'service:api'],
});
const m5 = instance('i-0a1b2c3d4e5f60003', {
  type: 'm5.large',
  zone: 'us-east-1b',
  connected: false,
  agentVersion: '1.14.4',
  registeredAt: '2018-02-12T23:59:59Z',
});
const fleet = [t2, g2, m5];
const ids = (query: string) => selectInstances(query, fleet).map((view) => view.ec2InstanceId);

describe('evaluate: the AWS documentation examples', () => {
  it.each([
    ['attribute:ecs.instance-type == t2.small', []],
    ['attribute:ecs.instance-type == t2.micro', ['i-abcd1234']],
    ['attribute:ecs.instance-type =~ t2.*', ['i-abcd1234']],
    ['attribute:ecs.availability-zone in [us-east-1a, us-east-1b]', ['i-abcd1234', 'i-0a1b2c3d4e5f60003']],
    ['attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d', []],
    ['not(attribute:ecs.instance-type =~ t2.*)', ['i-wxyx7890', 'i-0a1b2c3d4e5f60003']],
    ['task:group == service:production', ['i-abcd1234']],
    ['not(task:group == database)', ['i-abcd1234', 'i-0a1b2c3d4e5f60003']],
    ['runningTasksCount == 1', ['i-abcd1234']],
    ['agentVersion < 1.14.5', ['i-0a1b2c3d4e5f60003']],
    ['registeredAt < 2018-02-13', ['i-0a1b2c3d4e5f60003']],
    ["ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", ['i-abcd1234', 'i-wxyx7890']],
    ['agentConnected == false', ['i-0a1b2c3d4e5f60003']],
  ])('%s', (query, expected) => {
    expect(ids(query)).toEqual(expected);
  });
});

describe('evaluate: semantics', () => {
  it('matches the whole value: a pattern is anchored at both ends', () => {
    expect(evaluate(parse('attribute:ecs.instance-type =~ t2'), t2)).toBe(false);
    expect(evaluate(parse('attribute:ecs.instance-type =~ .*micro'), t2)).toBe(true);
    expect(evaluate(parse("attribute:ecs.instance-type =~ '(t2|g2)\\..*'"), g2)).toBe(true);
    expect(evaluate(parse('attribute:ecs.instance-type !~ t2.*'), t2)).toBe(false);
  });

  it('exists and missing attributes', () => {
    const tagged = instance('i-1', { extra: [{ name: 'team', value: 'payments' }, { name: 'gpu-capable' }] });
    expect(evaluate(parse('attribute:team exists'), tagged)).toBe(true);
    expect(evaluate(parse('attribute:gpu-capable exists'), tagged)).toBe(true);
    expect(evaluate(parse('attribute:gpu-capable == true'), tagged)).toBe(false);
    expect(evaluate(parse('attribute:team !exists'), t2)).toBe(true);
    expect(evaluate(parse('attribute:team == payments'), t2)).toBe(false);
    // A negated operator holds exactly when the positive one does not.
    expect(evaluate(parse('attribute:team != payments'), t2)).toBe(true);
    expect(evaluate(parse('attribute:team !in [payments]'), t2)).toBe(true);
  });

  it('orders numbers, versions and text', () => {
    const numbered = instance('i-2', {
      extra: [
        { name: 'slots', value: '10' },
        { name: 'tier', value: 'gold' },
        { name: 'kernel', value: '5.10.2' },
      ],
    });
    expect(evaluate(parse('attribute:slots > 9'), numbered)).toBe(true); // numerically, not "10" < "9"
    expect(evaluate(parse('attribute:kernel >= 5.9'), numbered)).toBe(true);
    expect(evaluate(parse('attribute:tier < silver'), numbered)).toBe(true);
    expect(evaluate(parse('agentVersion >= 1.87'), t2)).toBe(true);
    expect(evaluate(parse('agentVersion == 1.87.0.0'), t2)).toBe(true);
    expect(evaluate(parse('runningTasksCount > 2'), g2)).toBe(true);
    expect(evaluate(parse('runningTasksCount <= 0'), m5)).toBe(true);
  });

  it('compares registeredAt by day for a date and by second for a date-time', () => {
    const late = instance('i-3', { registeredAt: '2018-02-13T23:30:00Z' });
    expect(evaluate(parse('registeredAt == 2018-02-13'), late)).toBe(true);
    expect(evaluate(parse('registeredAt > 2018-02-13'), late)).toBe(false);
    expect(evaluate(parse('registeredAt >= 2018-02-13'), late)).toBe(true);
    expect(evaluate(parse('registeredAt < 2018-02-14'), late)).toBe(true);
    expect(evaluate(parse('registeredAt > 2018-02-13T23:00:00Z'), late)).toBe(true);
    expect(evaluate(parse('registeredAt == 2018-02-13T23:30:00'), late)).toBe(true); // no zone: UTC
    expect(evaluate(parse('registeredAt == 2018-02-14T00:30:00+01:00'), late)).toBe(true);
    expect(evaluate(parse('registeredAt > 2018-02-13T23:30:00-01:00'), late)).toBe(false);
  });

  it('task:group holds when any task on the instance is in the group', () => {
    expect(evaluate(parse('task:group == service:api'), g2)).toBe(true);
    expect(evaluate(parse('task:group != service:api'), g2)).toBe(false);
    expect(evaluate(parse('task:group =~ service:.*'), m5)).toBe(false);
    expect(evaluate(parse('task:group exists'), m5)).toBe(false);
    expect(evaluate(parse('task:group in [family:report, database]'), g2)).toBe(true);
  });

  it('refuses to guess task groups it was not given', () => {
    const unknown = toInstanceView({
      containerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/web/x',
    });
    expect(() => evaluate(parse('task:group == database'), unknown)).toThrow(QueryEvaluationError);
    expect(() => evaluate(parse('task:group == database'), unknown)).toThrow(/describe its tasks/);
    expect(evaluate(parse('runningTasksCount == 0'), unknown)).toBe(true);
  });

  it('agentConnected compares true/false without regard to case', () => {
    expect(evaluate(parse('agentConnected == TRUE'), t2)).toBe(true);
    expect(evaluate(parse('agentConnected in [false]'), t2)).toBe(false);
  });
});

function positiveForm(condition: Condition): Condition | undefined {
  if (condition.type === 'exists' && condition.operator === '!exists')
    return { ...condition, operator: 'exists' };
  if (condition.type === 'list' && condition.operator === '!in') return { ...condition, operator: 'in' };
  if (condition.type === 'compare' && condition.operator === '!=') return { ...condition, operator: '==' };
  if (condition.type === 'compare' && condition.operator === '!~') return { ...condition, operator: '=~' };
  return undefined;
}

describe('evaluate: properties', () => {
  const instances = fc
    .record({
      id: fc.constantFrom('i-abcd1234', 'i-wxyx7890', 'i-0a1b2c3d4e5f60001'),
      type: fc.constantFrom('t2.micro', 'm5.large', 'g2.2xlarge'),
      zone: fc.constantFrom('us-east-1a', 'us-east-1b', 'us-east-1c'),
      running: fc.nat({ max: 5 }),
      connected: fc.boolean(),
      agentVersion: fc.constantFrom('1.14.5', '1.87.0', '1.9'),
      registeredAt: fc.constantFrom('2018-06-18T22:28:28Z', '2026-11-20T10:00:00Z'),
      taskGroups: fc.subarray(['service:api', 'database', 'family:report']),
    })
    .map(({ id, ...rest }) => instance(id, rest));

  it('a negated operator is the negation of its positive form', () => {
    fc.assert(
      fc.property(conditionArb, instances, (condition, view) => {
        const positive = positiveForm(condition);
        expect(NEGATION_OF[condition.operator]).toBe(positive?.operator);
        fc.pre(positive !== undefined);
        expect(evaluate(condition, view)).toBe(!evaluate(positive, view));
      }),
    );
  });

  it('not, and, or follow boolean logic and printing does not change the result', () => {
    fc.assert(
      fc.property(exprArb, instances, (expr, view) => {
        const result = evaluate(expr, view);
        expect(evaluate({ type: 'not', operand: expr }, view)).toBe(!result);
        expect(evaluate(parse(print(expr)), view)).toBe(result);
        const always: Expr = { type: 'or', operands: [expr, { type: 'not', operand: expr }] };
        expect(evaluate(always, view)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
