import { parseDrainEvent } from '../../shared/drain/events';
import { instrument, observability } from '../../shared/runtime/observability';
import { sleep, timeBudget } from '../../shared/runtime/time';
import { pendingDecisions } from './bookkeeping';
import { loadDrainConfig } from './config';
import { handleDrainEvent } from './handle';

const tools = observability('drain-instance');
const config = loadDrainConfig();
/** This container's last heartbeat per instance, across invocations (see DrainRuntime.heartbeats). */
const heartbeats = new Map<string, number>();

/** Lifecycle action, Spot warning or reconcile tick -> drain (see README.md). */
export const handler = instrument(tools, (event, context) =>
  handleDrainEvent(parseDrainEvent(event), {
    config,
    ...tools,
    budget: timeBudget(context),
    owner: context.awsRequestId,
    sleep,
    serviceStrategies: new Map(),
    heartbeats,
  }).finally(
    // Decisions made outside a pass's act step (a drain seen ended by the reconcile pass) are written too.
    () => pendingDecisions.flush(config.table, tools.logger),
  ),
);
