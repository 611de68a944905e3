import { detectFailedStart } from './detect-failed-start';
import { drainInstance } from './drain-instance';
import { runScheduledTask } from './run-scheduled-task';
import { scaleCapacity } from './scale-capacity';
import type { FunctionSpec } from './types';

/** Every function, in deployment order. */
export const FUNCTION_SPECS: readonly FunctionSpec[] = [
  drainInstance,
  runScheduledTask,
  detectFailedStart,
  scaleCapacity,
];
