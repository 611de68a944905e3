/**
 * Which of a service's tasks ECS stops when its desired count drops. "When the service scheduler
 * stops running tasks, it attempts to maintain balance across the Availability Zones in your cluster":
 * it takes a task from a zone with the most tasks of the service, on a container instance with the
 * most tasks of the service there (Amazon ECS Developer Guide, "Update Amazon ECS service
 * parameters"). A task with scale-in protection in force is not stopped (UpdateTaskProtection).
 * Tasks not placed yet (waiting for capacity) go first; ties: tasks not yet RUNNING, then the newest.
 */
import { isProtected } from './task-protection';
import type { TaskRecord } from './types';

export function scaleInVictims(
  tasks: readonly TaskRecord[],
  count: number,
  now: number,
  where: (task: TaskRecord) => { zone: string; instance: string } | undefined,
): TaskRecord[] {
  const left = tasks.filter((task) => !isProtected(task, now));
  // Zones and instances are counted over all the service's tasks, protected ones included.
  const perZone = new Map<string, number>();
  const perInstance = new Map<string, number>();
  for (const task of tasks) {
    const place = where(task);
    if (!place) continue;
    const { zone, instance } = place;
    perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
    perInstance.set(instance, (perInstance.get(instance) ?? 0) + 1);
  }
  const victims: TaskRecord[] = [];
  while (victims.length < count && left.length > 0) {
    left.sort((a, b) => {
      const [wa, wb] = [where(a), where(b)];
      if (!wa || !wb) return Number(Boolean(wa)) - Number(Boolean(wb));
      return (
        (perZone.get(wb.zone) ?? 0) - (perZone.get(wa.zone) ?? 0) ||
        (perInstance.get(wb.instance) ?? 0) - (perInstance.get(wa.instance) ?? 0) ||
        Number(a.lastStatus === 'RUNNING') - Number(b.lastStatus === 'RUNNING') ||
        b.createdAt - a.createdAt
      );
    });
    const victim = left.shift() as TaskRecord;
    const place = where(victim);
    if (place) {
      perZone.set(place.zone, (perZone.get(place.zone) ?? 0) - 1);
      perInstance.set(place.instance, (perInstance.get(place.instance) ?? 0) - 1);
    }
    victims.push(victim);
  }
  return victims;
}
