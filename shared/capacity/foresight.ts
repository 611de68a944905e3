/**
 * Foreseen demand: a scheduled job's next run is known from its schedule, so its tasks are planned as
 * demand once the run is due within the group's boot time plus a margin. The instance bought for it
 * has registered when the run starts; capacity bought ahead and not used (the run was skipped, or
 * found room) is idle and goes by the normal scale-in rules. Pure: the observe side reads the job
 * registry (functions/scale-capacity/foresight.ts).
 */
import type { CapacitySnapshot, Demand, Foreseen } from './snapshot';
import { warmBootSeconds } from './warm-pool';

/** Boot assumed until launches of the group have been measured (a plain ECS-optimized AMI). */
export const DEFAULT_BOOT_SECONDS = 120;
/**
 * Margin over the boot: scale-capacity passes run every minute (template.yaml, rate(1 minute)), so a
 * run first seen up to 60 s later than the lead still gets its instance by its due time; 15 s more
 * for the launch request itself.
 */
export const DEFAULT_MARGIN_SECONDS = 75;

export interface LeadTime {
  seconds: number;
  bootSeconds: number;
  marginSeconds: number;
  /** Where the boot time comes from. */
  bootFrom: 'measured' | 'default' | 'warm pool';
}

/**
 * How long before its due time a run is planned for: the group's boot plus the margin. With a warm
 * pool whose ready instances cover the runs due within the cold lead (estimated by their dominant
 * resource on the group's type), the pool's shorter boot: the instances come from it.
 */
export function leadTime(snapshot: CapacitySnapshot, now?: number): LeadTime {
  const margin = snapshot.settings.foresightMarginSeconds ?? DEFAULT_MARGIN_SECONDS;
  const measured = snapshot.group.boot;
  const bootSeconds = measured && measured.samples > 0 ? measured.seconds : DEFAULT_BOOT_SECONDS;
  const bootFrom = measured && measured.samples > 0 ? 'measured' : 'default';
  const cold: LeadTime = { seconds: bootSeconds + margin, bootSeconds, marginSeconds: margin, bootFrom };
  const warmBoot = warmBootSeconds(snapshot);
  const ready = snapshot.group.warmPool?.ready ?? 0;
  if (now === undefined || warmBoot === undefined || ready === 0 || warmBoot >= bootSeconds) return cold;
  const type = snapshot.instanceTypes[snapshot.group.instanceTypes[0] ?? ''];
  if (!type) return cold;
  let share = 0;
  for (const run of snapshot.foreseen ?? []) {
    const due = Date.parse(run.dueAt);
    if (due <= now || due - now > cold.seconds * 1000) continue;
    share += run.count * Math.max(run.shape.cpu / type.cpu, run.shape.memoryMiB / type.memoryMiB);
  }
  if (Math.ceil(share) > ready) return cold;
  return { seconds: warmBoot + margin, bootSeconds: warmBoot, marginSeconds: margin, bootFrom: 'warm pool' };
}

export interface ForeseenRun {
  job: string;
  dueAt: string;
  /** Tasks planned as demand this pass (0: not yet due within the lead, or no new room needed). */
  planned: number;
  why: string;
}

const jobSource = (run: Foreseen) => `job ${run.job} due at ${run.dueAt}`;

/**
 * The demand of the runs due within the lead time, and what was decided for each run. A run whose
 * due time has passed is left to the real demand (its tasks are pending or placed), never counted twice.
 */
export function foreseenDemand(
  snapshot: CapacitySnapshot,
  now: number,
  lead: LeadTime = leadTime(snapshot, now),
): { demand: Demand[]; runs: ForeseenRun[] } {
  const demand: Demand[] = [];
  const runs: ForeseenRun[] = [];
  for (const run of snapshot.foreseen ?? []) {
    const due = Date.parse(run.dueAt);
    const inSeconds = Math.round((due - now) / 1000);
    if (due <= now) continue;
    const record = (planned: number, why: string) =>
      runs.push({ job: run.job, dueAt: run.dueAt, planned, why });
    if (due - now > lead.seconds * 1000) {
      record(0, `due in ${inSeconds} s, beyond the lead of ${lead.seconds} s`);
      continue;
    }
    let count = run.count;
    if (run.activeTasks > 0 && run.concurrencyPolicy === 'Forbid') {
      // run-scheduled-task skips (or holds) a Forbid run while an earlier one is active: no room needed.
      record(0, `its earlier run is still active (${run.activeTasks} task(s)): Forbid skips this run`);
      continue;
    }
    if (run.activeTasks > 0 && run.concurrencyPolicy === 'Replace') {
      // Replace stops the earlier run's tasks before starting the new ones: their room is reused.
      count = Math.max(0, run.count - run.activeTasks);
      if (count === 0) {
        record(0, `Replace stops the earlier run's ${run.activeTasks} task(s) and reuses their room`);
        continue;
      }
    }
    demand.push({
      source: jobSource(run),
      ...(run.group ? { group: run.group } : {}),
      count,
      shape: run.shape,
      distinctInstance: run.distinctInstance,
      ...(run.memberOf ? { memberOf: run.memberOf } : {}),
      newInstancesOnly: false,
    });
    record(
      count,
      `due in ${inSeconds} s, within the lead of ${lead.seconds} s (${lead.bootFrom} boot ${lead.bootSeconds} s + margin ${lead.marginSeconds} s)`,
    );
  }
  return { demand, runs };
}

/** One reason per run planned for or deliberately not (runs beyond the lead are not worth a line). */
export function foresightReasons(runs: ForeseenRun[]): string[] {
  return runs
    .filter((run) => run.planned > 0 || !run.why.startsWith('due in'))
    .map((run) =>
      run.planned > 0
        ? `for job ${run.job} due at ${run.dueAt}: ${run.planned} task(s) planned ahead, ${run.why}`
        : `no room bought for job ${run.job} due at ${run.dueAt}: ${run.why}`,
    );
}
