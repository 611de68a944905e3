import { parseFailedStartEvent } from '../../shared/failed-start/events';
import { instrument, observability } from '../../shared/runtime/observability';
import { timeBudget } from '../../shared/runtime/time';
import { loadFailedStartConfig } from './config';
import { handleEvent } from './detect';

const tools = observability('detect-failed-start');
const config = loadFailedStartConfig();

/** ECS Task State Change (STOPPED) or reconcile tick -> explain the failed start, alert once per problem. */
export const handler = instrument(tools, (event, context) =>
  handleEvent(parseFailedStartEvent(event), {
    config,
    ...tools,
    budget: timeBudget(context),
    owner: context.awsRequestId,
    now: () => Date.now(),
  }),
);
