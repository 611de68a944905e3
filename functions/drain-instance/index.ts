import { parseDrainEvent } from '../../shared/drain/events';
import { instrument, observability } from '../../shared/runtime/observability';
import { passBudget, withinPassBudget } from '../../shared/runtime/pass-budget';
import { sleep, timeBudget } from '../../shared/runtime/time';
import { pendingDecisions } from './bookkeeping';
import { loadDrainConfig } from './config';
import { handleDrainEvent } from './handle';
import { RECONCILE_PERIOD_SECONDS } from './reconcile';

const tools = observability('drain-instance');
const config = loadDrainConfig();
/** This container's last heartbeat per instance, across invocations (see DrainContext.heartbeats). */
const heartbeats = new Map<string, number>();

/** Lifecycle action, Spot warning or reconcile tick -> drain (see README.md). */
export const handler = instrument(tools, (event, context) => {
  const budget = timeBudget(context);
  const apiBudget = passBudget(budget, {
    percent: config.passApiPercent,
    periodSeconds: RECONCILE_PERIOD_SECONDS,
  });
  return withinPassBudget(apiBudget, () =>
    handleDrainEvent(parseDrainEvent(event), {
      config,
      ...tools,
      budget,
      apiBudget,
      owner: context.awsRequestId,
      sleep,
      serviceStrategies: new Map(),
      heartbeats,
    }),
  ).finally(
    // Decisions made outside a pass's act step (a drain seen ended by the reconcile pass) are written too.
    () => pendingDecisions.flush(config.table, tools.logger),
  );
});
