/** fast-check generators for cluster query expressions, shared by the query tests. */
import fc from 'fast-check';
import {
  type Condition,
  type Expr,
  FIXED_SUBJECTS,
  operatorsFor,
  type Subject,
} from '../../shared/ecs/query/ast';

export const subjectArb: fc.Arbitrary<Subject> = fc.oneof(
  fc.constantFrom(...FIXED_SUBJECTS),
  fc.stringMatching(/^[a-z][a-z0-9._/-]{0,15}$/).map((name): Subject => `attribute:${name}`),
);

const patternArb = fc.stringMatching(/^[a-z0-9-]{1,6}(\.\*)?$/);
const dateArb = fc.constantFrom(
  '2018-06-18',
  '2018-06-18T22:28:28',
  '2018-06-18T22:28:28Z',
  '2018-06-18T22:28:28+00:00',
  '2026-11-20T10:00:00-05:00',
);

/** A value the subject accepts; free text (quotes, spaces, brackets) where the subject takes any string. */
function valueArb(subject: Subject): fc.Arbitrary<string> {
  switch (subject) {
    case 'runningTasksCount':
      return fc.nat({ max: 500 }).map(String);
    case 'registeredAt':
      return dateArb;
    case 'agentVersion':
      return fc.array(fc.nat({ max: 99 }), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.'));
    case 'agentConnected':
      return fc.constantFrom('true', 'false');
    default:
      return fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^[a-z0-9.:-]{1,12}$/));
  }
}

export const conditionArb: fc.Arbitrary<Condition> = subjectArb.chain((subject) =>
  fc.constantFrom(...operatorsFor(subject)).chain((operator): fc.Arbitrary<Condition> => {
    switch (operator) {
      case 'exists':
      case '!exists':
        return fc.constant({ type: 'exists', subject, operator });
      case 'in':
      case '!in':
        return fc
          .array(valueArb(subject), { minLength: 1, maxLength: 3 })
          .map((values) => ({ type: 'list', subject, operator, values }));
      case '=~':
      case '!~':
        return patternArb.map((value) => ({ type: 'compare', subject, operator, value }));
      default:
        return valueArb(subject).map((value) => ({ type: 'compare', subject, operator, value }));
    }
  }),
);

export const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    conditionArb,
    tie('expr').map((operand): Expr => ({ type: 'not', operand })),
    fc
      .array(tie('expr'), { minLength: 2, maxLength: 3 })
      .map((operands): Expr => ({ type: 'and', operands })),
    fc.array(tie('expr'), { minLength: 2, maxLength: 3 }).map((operands): Expr => ({ type: 'or', operands })),
  ),
})).expr;
