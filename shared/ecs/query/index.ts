export * from './ast';
export { QueryEvaluationError, QuerySyntaxError } from './errors';
export { evaluate, selectInstances } from './evaluate';
export { parse } from './parse';
export { print, printValue } from './print';
