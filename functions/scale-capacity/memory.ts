import type { WaitingTasks } from './pass';

/**
 * What one execution environment remembers between invocations (reserved concurrency 1: usually the
 * only one): when each provider's last pass started, the standalone tasks events named, the families
 * listed whole, and the providers a tick's budget left. Losing it (a cold start) costs passes, never a
 * decision: every pass reads fresh state.
 */
export const containerMemory = {
  passes: new Map<string, number>(),
  waiting: new Map() as WaitingTasks,
  familyScans: new Map<string, number>(),
  deferred: [] as string[],
};

/** A fresh container's memory (what a cold start has). */
export function forgetContainerMemory(): void {
  containerMemory.passes.clear();
  containerMemory.waiting.clear();
  containerMemory.familyScans.clear();
  containerMemory.deferred.length = 0;
}
