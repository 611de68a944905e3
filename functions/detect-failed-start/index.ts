import { parseFailedStartEvent } from '../../shared/failed-start/events';
import { instrument, observability } from '../../shared/runtime/observability';
import { sleep, timeBudget } from '../../shared/runtime/time';
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
    sleep: waitByClock,
  }),
);

/**
 * Waits `ms` as Date.now() counts (the clock every decision reads), a quarter second of real time at
 * most per step, and never longer than `ms` of real time.
 */
async function waitByClock(ms: number): Promise<void> {
  const until = Date.now() + ms;
  const realEnd = performance.now() + ms;
  while (Date.now() < until && performance.now() < realEnd) {
    await sleep(Math.min(250, until - Date.now(), realEnd - performance.now()));
  }
}
