import { instrument, observability } from '../../shared/runtime/observability';
import { sleep, timeBudget } from '../../shared/runtime/time';
import { parseInvocation } from '../../shared/schedule/invocation';
import { ScheduleStore } from '../../shared/state/jobs/store';
import { loadScheduleConfig } from './config';
import type { ScheduleContext } from './context';
import { handleTaskState } from './outcomes';
import { reconcile } from './reconcile';
import { handleRun } from './run-job';

const config = loadScheduleConfig();
const obs = observability('run-scheduled-task');
const store = new ScheduleStore(config.STATE_TABLE);

/**
 * Scheduled ECS tasks with CronJob semantics. A due run (Scheduler input or scheduled rule) is
 * validated, checked against the job's active runs and started once; task state changes record
 * outcomes; the every-minute tick enforces deadlines and finishes what was left behind.
 */
export const handler = instrument(obs, async (event, context) => {
  const invocation = parseInvocation(event);
  // Scheduler input has no event id: its execution id correlates the logs instead.
  if (invocation.kind === 'run' && invocation.executionId)
    obs.logger.setCorrelationId(invocation.executionId);
  const ctx: ScheduleContext = {
    config,
    store,
    ...obs,
    now: () => Date.now(),
    sleep,
    random: Math.random,
    budget: timeBudget(context),
    owner: context.awsRequestId,
  };
  const result =
    invocation.kind === 'run'
      ? await handleRun(invocation, ctx)
      : invocation.kind === 'reconcile'
        ? await reconcile(ctx)
        : await handleTaskState(invocation.detail, ctx);
  if (config.DRY_RUN) obs.logger.info('Dry run: nothing applied', { result });
  return result;
});
