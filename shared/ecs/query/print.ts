import type { Expr } from './ast';

/**
 * Canonical text of an expression: symbolic operators, lists in brackets, `not(...)`, groups in
 * parentheses, values quoted only when a bare value would read differently. parse(print(e)) equals e.
 */
export function print(expr: Expr): string {
  switch (expr.type) {
    case 'compare':
      return `${expr.subject} ${expr.operator} ${printValue(expr.value)}`;
    case 'list':
      return `${expr.subject} ${expr.operator} [${expr.values.map(printValue).join(', ')}]`;
    case 'exists':
      return `${expr.subject} ${expr.operator}`;
    case 'not':
      return `not(${print(expr.operand)})`;
    case 'and':
    case 'or':
      return expr.operands.map(printOperand).join(` ${expr.type} `);
  }
}

/** Nested groups keep their parentheses so the tree reads back unchanged. */
const printOperand = (operand: Expr): string =>
  operand.type === 'and' || operand.type === 'or' ? `(${print(operand)})` : print(operand);

const BARE = /^[^\s()[\],'"]+$/;

export function printValue(value: string): string {
  if (BARE.test(value) && !value.includes('&&') && !value.includes('||')) return value;
  // A backslash is doubled only where the parser would otherwise read it as an escape.
  return `'${value.replace(/\\(?=[\\']|$)/g, '\\\\').replace(/'/g, "\\'")}'`;
}
