/**
 * ECS task scale-in protection (UpdateTaskProtection / GetTaskProtection, Amazon ECS API Reference):
 * only a service's tasks can be protected; protection lasts `expiresInMinutes` (default 120, 1 to
 * 2880); a service scaling in does not stop a protected task.
 */
import type { TaskRecord } from './types';

export const DEFAULT_PROTECTION_MINUTES = 120;
export const MAX_PROTECTION_MINUTES = 2880;

export function isProtected(task: TaskRecord, now: number): boolean {
  return task.protection !== undefined && task.protection.expiresAt > now;
}

export function setProtection(task: TaskRecord, enabled: boolean, now: number, minutes?: number): void {
  if (!enabled) {
    delete task.protection;
    return;
  }
  task.protection = { expiresAt: now + (minutes ?? DEFAULT_PROTECTION_MINUTES) * 60_000 };
}
