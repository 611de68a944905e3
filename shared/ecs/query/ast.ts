/**
 * The ECS cluster query language: expressions of `memberOf` placement constraints and of
 * ListContainerInstances filters. `subject operator [argument]`, combined with and/or/not.
 */

export const FIXED_SUBJECTS = [
  'agentConnected',
  'agentVersion',
  'ec2InstanceId',
  'registeredAt',
  'runningTasksCount',
  'task:group',
] as const;

export type FixedSubject = (typeof FIXED_SUBJECTS)[number];
export type Subject = FixedSubject | `attribute:${string}`;

export type CompareOperator = '==' | '!=' | '>' | '>=' | '<' | '<=' | '=~' | '!~';
export type ListOperator = 'in' | '!in';
export type ExistsOperator = 'exists' | '!exists';
export type Operator = CompareOperator | ListOperator | ExistsOperator;

/** `subject operator value`, e.g. `attribute:ecs.instance-type =~ t2.*`. */
export interface CompareExpr {
  type: 'compare';
  subject: Subject;
  operator: CompareOperator;
  value: string;
}

/** `subject in [a, b]`. */
export interface ListExpr {
  type: 'list';
  subject: Subject;
  operator: ListOperator;
  values: string[];
}

/** `subject exists`. */
export interface ExistsExpr {
  type: 'exists';
  subject: Subject;
  operator: ExistsOperator;
}

export type Condition = CompareExpr | ListExpr | ExistsExpr;

/** Two or more operands; parentheses in the text nest a group as one operand. */
export interface AndExpr {
  type: 'and';
  operands: Expr[];
}

export interface OrExpr {
  type: 'or';
  operands: Expr[];
}

export interface NotExpr {
  type: 'not';
  operand: Expr;
}

export type Expr = Condition | AndExpr | OrExpr | NotExpr;

/** Canonical operator for each spelling the language accepts. */
export const OPERATOR_SPELLINGS: Readonly<Record<string, Operator>> = {
  '==': '==',
  equals: '==',
  '!=': '!=',
  not_equals: '!=',
  '>': '>',
  greater_than: '>',
  '>=': '>=',
  greater_than_equal: '>=',
  '<': '<',
  less_than: '<',
  '<=': '<=',
  less_than_equal: '<=',
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
};

export const ALL_OPERATORS: readonly Operator[] = [
  '==',
  '!=',
  '>',
  '>=',
  '<',
  '<=',
  'exists',
  '!exists',
  'in',
  '!in',
  '=~',
  '!~',
];

const EQUALITY_AND_PATTERNS: readonly Operator[] = ['==', '!=', 'in', '!in', '=~', '!~'];
const ORDERING: readonly Operator[] = ['==', '!=', '>', '>=', '<', '<='];

/** Operators each fixed subject takes, per the ECS developer guide; attributes and task:group take all. */
export const SUBJECT_OPERATORS: Readonly<Record<FixedSubject, readonly Operator[]>> = {
  agentConnected: EQUALITY_AND_PATTERNS,
  agentVersion: ORDERING,
  ec2InstanceId: EQUALITY_AND_PATTERNS,
  registeredAt: ORDERING,
  runningTasksCount: ORDERING,
  'task:group': ALL_OPERATORS,
};

export function operatorsFor(subject: Subject): readonly Operator[] {
  return isFixedSubject(subject) ? SUBJECT_OPERATORS[subject] : ALL_OPERATORS;
}

export function isFixedSubject(subject: string): subject is FixedSubject {
  return (FIXED_SUBJECTS as readonly string[]).includes(subject);
}

/** Negated operators hold exactly when their positive form does not. */
export const NEGATION_OF: Readonly<Partial<Record<Operator, Operator>>> = {
  '!=': '==',
  '!exists': 'exists',
  '!in': 'in',
  '!~': '=~',
};

/** Maximum length of a placement constraint expression. */
export const MAX_EXPRESSION_LENGTH = 2000;

/** Whether the expression needs the task groups of an instance to be evaluated. */
export function referencesTaskGroup(expr: Expr): boolean {
  switch (expr.type) {
    case 'and':
    case 'or':
      return expr.operands.some(referencesTaskGroup);
    case 'not':
      return referencesTaskGroup(expr.operand);
    default:
      return expr.subject === 'task:group';
  }
}
