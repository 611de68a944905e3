import * as alerts from './alerts';
import * as capacityRequests from './capacity-requests';
import * as lease from './lease';
import * as registry from './registry';
import * as runs from './runs';
import * as tasks from './tasks';

/**
 * run-scheduled-task's items of the state table (pk `job#...`, and its capacity requests), one module
 * per item kind: ./registry.ts (the job registry), ./lease.ts (the job's decision lease), ./runs.ts,
 * ./tasks.ts, ./alerts.ts (alerts sent once), ./capacity-requests.ts. Like every store of shared/state
 * they are free functions of the table's name; this class binds them to one table for the function's
 * context (`ctx.store`). Every write that decides something is conditional.
 */
export type { AlertKind } from '../keys';
export type { RegisteredJob } from './registry';
export { TRIM_EVERY } from './registry';
export type { AttemptFailure, ReplacedRun, RunRecord, RunStatus } from './runs';
export { FINAL_STATUSES, OPEN_RUN_WINDOW_MS } from './runs';
export type { TaskRecord } from './tasks';

/** The arguments of a store function after the table's name. */
type Rest<F> = F extends (table: string, ...rest: infer A) => unknown ? A : never;

export class ScheduleStore {
  constructor(readonly table: string) {}

  // Registry
  registerJob(...args: Rest<typeof registry.registerJob>) {
    return registry.registerJob(this.table, ...args);
  }
  touchJob(...args: Rest<typeof registry.touchJob>) {
    return registry.touchJob(this.table, ...args);
  }
  getJob(...args: Rest<typeof registry.getJob>) {
    return registry.getJob(this.table, ...args);
  }
  listJobs() {
    return registry.listJobs(this.table);
  }
  recordJobOutcome(...args: Rest<typeof registry.recordJobOutcome>) {
    return registry.recordJobOutcome(this.table, ...args);
  }
  recordForbidSkip(...args: Rest<typeof registry.recordForbidSkip>) {
    return registry.recordForbidSkip(this.table, ...args);
  }
  recordBacklogMiss(...args: Rest<typeof registry.recordBacklogMiss>) {
    return registry.recordBacklogMiss(this.table, ...args);
  }
  clearBacklog(...args: Rest<typeof registry.clearBacklog>) {
    return registry.clearBacklog(this.table, ...args);
  }
  resetSkipStreak(...args: Rest<typeof registry.resetSkipStreak>) {
    return registry.resetSkipStreak(this.table, ...args);
  }

  // The job's decision lease
  acquireJobLease(...args: Rest<typeof lease.acquireJobLease>) {
    return lease.acquireJobLease(this.table, ...args);
  }
  releaseJobLease(...args: Rest<typeof lease.releaseJobLease>) {
    return lease.releaseJobLease(this.table, ...args);
  }

  // Runs
  getRun(...args: Rest<typeof runs.getRun>) {
    return runs.getRun(this.table, ...args);
  }
  claimRun(...args: Rest<typeof runs.claimRun>) {
    return runs.claimRun(this.table, ...args);
  }
  recordAttempt(...args: Rest<typeof runs.recordAttempt>) {
    return runs.recordAttempt(this.table, ...args);
  }
  recordAttemptFailure(...args: Rest<typeof runs.recordAttemptFailure>) {
    return runs.recordAttemptFailure(this.table, ...args);
  }
  addStartedTasks(...args: Rest<typeof runs.addStartedTasks>) {
    return runs.addStartedTasks(this.table, ...args);
  }
  finishStart(...args: Rest<typeof runs.finishStart>) {
    return runs.finishStart(this.table, ...args);
  }
  finishStarted(...args: Rest<typeof runs.finishStarted>) {
    return runs.finishStarted(this.table, ...args);
  }
  releaseLease(...args: Rest<typeof runs.releaseLease>) {
    return runs.releaseLease(this.table, ...args);
  }
  markReplaced(...args: Rest<typeof runs.markReplaced>) {
    return runs.markReplaced(this.table, ...args);
  }
  waitForActiveRun(...args: Rest<typeof runs.waitForActiveRun>) {
    return runs.waitForActiveRun(this.table, ...args);
  }
  stopWaiting(...args: Rest<typeof runs.stopWaiting>) {
    return runs.stopWaiting(this.table, ...args);
  }
  clearReplacing(...args: Rest<typeof runs.clearReplacing>) {
    return runs.clearReplacing(this.table, ...args);
  }
  supersedePending(...args: Rest<typeof runs.supersedePending>) {
    return runs.supersedePending(this.table, ...args);
  }
  adoptTasks(...args: Rest<typeof runs.adoptTasks>) {
    return runs.adoptTasks(this.table, ...args);
  }
  runAndOpenRuns(...args: Rest<typeof runs.runAndOpenRuns>) {
    return runs.runAndOpenRuns(this.table, ...args);
  }
  recentRuns(...args: Rest<typeof runs.recentRuns>) {
    return runs.recentRuns(this.table, ...args);
  }
  openRuns(...args: Rest<typeof runs.openRuns>) {
    return runs.openRuns(this.table, ...args);
  }
  finalizeRun(...args: Rest<typeof runs.finalizeRun>) {
    return runs.finalizeRun(this.table, ...args);
  }
  trimHistory(...args: Rest<typeof runs.trimHistory>) {
    return runs.trimHistory(this.table, ...args);
  }

  // Tasks
  recordTaskStarted(...args: Rest<typeof tasks.recordTaskStarted>) {
    return tasks.recordTaskStarted(this.table, ...args);
  }
  recordTaskStopped(...args: Rest<typeof tasks.recordTaskStopped>) {
    return tasks.recordTaskStopped(this.table, ...args);
  }
  tasksOfRun(...args: Rest<typeof tasks.tasksOfRun>) {
    return tasks.tasksOfRun(this.table, ...args);
  }

  // Alerts sent once
  claimAlert(...args: Rest<typeof alerts.claimAlert>) {
    return alerts.claimAlert(this.table, ...args);
  }
  markAlertSent(...args: Rest<typeof alerts.markAlertSent>) {
    return alerts.markAlertSent(this.table, ...args);
  }
  releaseAlertClaim(...args: Rest<typeof alerts.releaseAlertClaim>) {
    return alerts.releaseAlertClaim(this.table, ...args);
  }

  // Capacity requests (read by scale-capacity, ../capacity.ts)
  putCapacityRequest(...args: Rest<typeof capacityRequests.putCapacityRequest>) {
    return capacityRequests.putCapacityRequest(this.table, ...args);
  }
  deleteCapacityRequest(...args: Rest<typeof capacityRequests.deleteCapacityRequest>) {
    return capacityRequests.deleteCapacityRequest(this.table, ...args);
  }
}
