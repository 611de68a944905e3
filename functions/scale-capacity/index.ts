import { parseCapacityEvent } from '../../shared/capacity/events';
import { instrument, observability } from '../../shared/runtime/observability';
import { passBudget, withinPassBudget } from '../../shared/runtime/pass-budget';
import { timeBudget } from '../../shared/runtime/time';
import { loadScaleCapacityConfig } from './config';
import { containerMemory } from './memory';
import { handleCapacityEvent } from './pass';

const tools = observability('scale-capacity');
const config = loadScaleCapacityConfig();
/** The tick's period (rules.ts `rate(1 minute)`): what a bucket refills between two ticks counts in the budget. */
const TICK_PERIOD_SECONDS = 60;

/** Tick, PROVISIONING task, placement failure or capacity request -> size the groups (see README.md). */
export const handler = instrument(tools, (event, context) => {
  const budget = passBudget(timeBudget(context), {
    percent: config.passApiPercent,
    periodSeconds: TICK_PERIOD_SECONDS,
  });
  return withinPassBudget(budget, () =>
    handleCapacityEvent(parseCapacityEvent(event), {
      config,
      ...tools,
      now: () => Date.now(),
      ...containerMemory,
      budget,
    }),
  );
});
