/**
 * Evaluates a cluster query against one container instance.
 *
 * Semantics: a negated operator (!=, !in, !~, !exists) holds exactly when its positive form does not,
 * so a missing attribute satisfies `!=`. task:group holds when any task on the instance satisfies the
 * comparison (`task:group == service:api`: hosts an api task; `!=`: hosts none). Ordering compares
 * numbers numerically, agent versions segment by segment, registeredAt by day for a date and by
 * second for a date-time. matches is a whole-value regular expression.
 */
import type { InstanceView } from '../container-instance';
import { type CompareOperator, type Condition, type Expr, NEGATION_OF, type Operator } from './ast';
import { QueryEvaluationError } from './errors';
import { parse } from './parse';
import {
  compareLoosely,
  compareToQueryDate,
  compareVersions,
  compilePattern,
  parseQueryDate,
} from './values';

export function evaluate(expr: Expr, instance: InstanceView): boolean {
  switch (expr.type) {
    case 'and':
      return expr.operands.every((operand) => evaluate(operand, instance));
    case 'or':
      return expr.operands.some((operand) => evaluate(operand, instance));
    case 'not':
      return !evaluate(expr.operand, instance);
    default: {
      const positive = NEGATION_OF[expr.operator];
      return positive ? !holds(expr, positive, instance) : holds(expr, expr.operator, instance);
    }
  }
}

/** The instances an expression (text or parsed) selects, in their order. */
export function selectInstances<T extends InstanceView>(query: string | Expr, instances: readonly T[]): T[] {
  const expr = typeof query === 'string' ? parse(query) : query;
  return instances.filter((instance) => evaluate(expr, instance));
}

type PositiveOperator = Exclude<Operator, '!=' | '!in' | '!~' | '!exists'>;

function holds(condition: Condition, operator: Operator, instance: InstanceView): boolean {
  const candidates = subjectValues(condition, instance);
  const op = operator as PositiveOperator;
  if (op === 'exists') return candidates.length > 0;
  if (op === 'in') {
    const values = condition.type === 'list' ? condition.values : [];
    return candidates.some((candidate) => values.some((value) => equal(condition, candidate, value)));
  }
  const value = condition.type === 'compare' ? condition.value : '';
  return candidates.some((candidate) => compareHolds(condition, op, candidate, value));
}

/** The subject's values on this instance: none when absent, the group of each task for task:group. */
function subjectValues(condition: Condition, instance: InstanceView): string[] {
  const { subject } = condition;
  switch (subject) {
    case 'agentConnected':
      return [String(instance.agentConnected)];
    case 'agentVersion':
      return instance.agentVersion ? [instance.agentVersion] : [];
    case 'ec2InstanceId':
      return instance.ec2InstanceId ? [instance.ec2InstanceId] : [];
    case 'registeredAt':
      return instance.registeredAt ? [instance.registeredAt.toISOString()] : [];
    case 'runningTasksCount':
      return [String(instance.runningTasksCount)];
    case 'task:group':
      if (!instance.taskGroups) {
        throw new QueryEvaluationError(
          `task:group needs the task groups of instance ${instance.arn || instance.ec2InstanceId}; describe its tasks and pass taskGroups to toInstanceView`,
        );
      }
      return instance.taskGroups;
    default: {
      const name = subject.slice('attribute:'.length);
      if (!Object.hasOwn(instance.attributes, name)) return [];
      // A valueless attribute exists but equals nothing.
      return [instance.attributes[name] ?? ''];
    }
  }
}

function equal(condition: Condition, candidate: string, value: string): boolean {
  return order(condition.subject, candidate, value) === 0;
}

function compareHolds(
  condition: Condition,
  operator: Exclude<PositiveOperator, 'exists' | 'in'>,
  candidate: string,
  value: string,
): boolean {
  if (operator === '=~') return compilePattern(value).test(candidate);
  const sign = order(condition.subject, candidate, value);
  const tests: Record<Exclude<CompareOperator, '!=' | '!~' | '=~'>, boolean> = {
    '==': sign === 0,
    '>': sign > 0,
    '>=': sign >= 0,
    '<': sign < 0,
    '<=': sign <= 0,
  };
  return tests[operator];
}

/** -1, 0 or 1: how the instance's value orders against the query's, by the subject's rules. */
function order(subject: Condition['subject'], candidate: string, value: string): number {
  switch (subject) {
    case 'runningTasksCount':
      return Math.sign(Number(candidate) - Number(value));
    case 'agentVersion':
      return compareVersions(candidate, value);
    case 'agentConnected':
      return candidate.toLowerCase() === value.toLowerCase() ? 0 : candidate < value.toLowerCase() ? -1 : 1;
    case 'registeredAt': {
      const date = parseQueryDate(value);
      return date ? compareToQueryDate(new Date(candidate), date) : Number.NaN;
    }
    case 'ec2InstanceId':
    case 'task:group':
      return candidate === value ? 0 : candidate < value ? -1 : 1;
    default:
      if (candidate === value) return 0;
      return compareLoosely(candidate, value);
  }
}
