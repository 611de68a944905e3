// Demo: a report job scheduled every 5 minutes takes about 10 minutes to run. With concurrencyPolicy
// Forbid, run-scheduled-task holds back the runs that come due while the previous one still runs (each
// waits until its starting deadline, then is skipped with its reason), and starts the next one once the
// cluster is free of it: never two reports at once.
import { taskStateChangePattern } from '../../functions/run-scheduled-task/rules';
import { dueFromMs } from '../../shared/schedule/identity';
import { matchesPattern } from '../../test/infra/event-pattern';
import { SAMPLE } from '../../test/local-aws/index';
import type { DemoScenario } from './types';

const EVERY_MS = 5 * 60_000;
const JOB = {
  name: SAMPLE.job,
  cluster: SAMPLE.cluster,
  taskDefinition: SAMPLE.taskDefinitions.report,
  capacityProviderStrategy: [{ capacityProvider: SAMPLE.capacityProvider, weight: 1 }],
  concurrencyPolicy: 'Forbid',
  startingDeadlineSeconds: 300,
  activeDeadlineSeconds: 3600,
};

type Summary = { status: string; reason?: string; taskArns?: string[] };
const time = (iso: string) => iso.slice(11, 16);

export const scenario: DemoScenario = {
  title: 'A scheduled job that overruns: the next run waits or is skipped, never doubled',
  function: 'run-scheduled-task',
  async run({ aws, narrate, invoke }) {
    const { world } = aws;
    narrate(
      `Job ${JOB.name} runs ${JOB.taskDefinition} every 5 minutes with concurrencyPolicy Forbid; each report takes about ${SAMPLE.reportRunMs / 60_000} minutes.`,
    );
    const first = world.now();
    const decisions: string[] = [];
    let outcomes = 0;
    for (let index = 0; index < 4; index++) {
      const due = dueFromMs(first + index * EVERY_MS);
      if (index > 0) world.advance(first + index * EVERY_MS - world.now());
      // Outcomes of finished runs arrive as ECS Task State Change events, routed by the function's rule.
      for (const event of world.takeEvents({ detailType: 'ECS Task State Change' })) {
        if (!matchesPattern(taskStateChangePattern, event)) continue;
        const result = (await invoke('run-scheduled-task', event)) as {
          outcome?: { succeeded: boolean; summary: string };
        };
        if (result.outcome) {
          outcomes++;
          narrate(
            `  a report task stopped: ${result.outcome.summary} (run recorded as ${result.outcome.succeeded ? 'succeeded' : 'failed'})`,
          );
        }
      }
      const result = (await invoke('run-scheduled-task', { job: JOB, scheduledTime: due })) as Summary;
      decisions.push(result.status);
      const running = world.tasks({ family: 'report', desiredStatus: 'RUNNING' }).length;
      if (result.status === 'started') narrate(`${time(due)} due: started (${running} report running)`);
      else narrate(`${time(due)} due: ${result.status}: ${result.reason ?? ''}`);
    }
    const reports = world.tasks({ family: 'report' });
    const spans = reports.map(
      (task) => [task.createdAt, task.stoppedAt ?? Number.POSITIVE_INFINITY] as const,
    );
    const overlapping = spans.some(([start, end], i) =>
      spans.some(([otherStart, otherEnd], j) => i < j && start < otherEnd && otherStart < end),
    );
    narrate(
      `${reports.length} report tasks in ${Math.round((world.now() - first) / 60_000)} minutes, never two at once; a run held back waits until its starting deadline and is then recorded skipped with its reason, with no alert (Forbid did its job).`,
    );
    const expected = ['started', 'waiting', 'waiting', 'started'];
    return {
      ok: decisions.join() === expected.join() && reports.length === 2 && !overlapping && outcomes >= 1,
      summary: `4 due runs of ${JOB.name}: ${decisions.join(', ')}; ${reports.length} tasks, no overlap`,
    };
  },
};
