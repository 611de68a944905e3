import { parseCapacityEvent } from '../../shared/capacity/events';
import { instrument, observability } from '../../shared/runtime/observability';
import { loadScaleCapacityConfig } from './config';
import { handleCapacityEvent, type WaitingTasks } from './reconcile';

const tools = observability('scale-capacity');
const config = loadScaleCapacityConfig();
const passes = new Map<string, number>();
const waiting: WaitingTasks = new Map();
const familyScans = new Map<string, number>();

/** Tick, PROVISIONING task, placement failure or capacity request -> size the groups (see README.md). */
export const handler = instrument(tools, (event) =>
  handleCapacityEvent(parseCapacityEvent(event), {
    config,
    ...tools,
    now: () => Date.now(),
    passes,
    waiting,
    familyScans,
  }),
);
