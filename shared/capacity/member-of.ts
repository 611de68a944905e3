/** memberOf placement constraints, compiled once per expression with the cluster query language. */
import type { InstanceView } from '../ecs/container-instance';
import { type Expr, evaluate, parse } from '../ecs/query';
import type { MemberOf } from './packing';

/** Subjects whose value changes as the simulation places tasks. */
const PLACEMENT_SUBJECTS = new Set(['task:group', 'runningTasksCount']);

function dependsOnPlacements(expr: Expr): boolean {
  switch (expr.type) {
    case 'and':
    case 'or':
      return expr.operands.some(dependsOnPlacements);
    case 'not':
      return dependsOnPlacements(expr.operand);
    default:
      return PLACEMENT_SUBJECTS.has(expr.subject);
  }
}

/** Throws QuerySyntaxError (with position and expectation) for an invalid expression. */
export function compileMemberOf(text: string): MemberOf {
  const expression = parse(text);
  return {
    text,
    usesTaskGroups: dependsOnPlacements(expression),
    test: (view: InstanceView) => evaluate(expression, view),
  };
}
