/**
 * The scheduled-jobs trace: tasks of jobs whose schedules are real EventBridge Scheduler expressions,
 * evaluated by run-scheduled-task's own evaluator (shared/schedule/expression.ts), over the eight
 * hours around a month's end, when the month-end fan-out, the nightly batch, the hourly reports and
 * the five-minute sync all run on one cluster that starts empty.
 */

import { dueTimesBetween, parseSchedule } from '../shared/schedule/expression';
import type { Trace, TraceTask } from './simulation';

export interface ScheduledJob {
  name: string;
  schedule: string;
  count: number;
  cpu: number;
  memoryMiB: number;
  /** Seconds each task runs. */
  runs: number;
}

export const SCHEDULED_JOBS: readonly ScheduledJob[] = [
  { name: 'sync', schedule: 'rate(5 minutes)', count: 2, cpu: 256, memoryMiB: 512, runs: 90 },
  { name: 'hourly-report', schedule: 'cron(0 * * * ? *)', count: 6, cpu: 1024, memoryMiB: 2048, runs: 600 },
  { name: 'nightly-etl', schedule: 'cron(30 0 * * ? *)', count: 30, cpu: 1024, memoryMiB: 3072, runs: 2400 },
  {
    name: 'month-end-close',
    schedule: 'cron(0 23 L * ? *)',
    count: 120,
    cpu: 512,
    memoryMiB: 1024,
    runs: 1200,
  },
];

/** From 20:00 on the last day of January to 04:00 on February 1st (UTC). */
export const SCHEDULED_TRACE_START = Date.parse('2024-01-31T20:00:00Z');

export function scheduledJobsTrace(jobs: readonly ScheduledJob[] = SCHEDULED_JOBS, hours = 8): Trace {
  const duration = hours * 3600;
  const tasks: TraceTask[] = [];
  for (const job of jobs) {
    const parsed = parseSchedule(job.schedule);
    if (!parsed.ok) throw new Error(`${job.name}: ${parsed.message}`);
    // Due times in [start, end): the first one may fall on the start itself.
    for (const due of dueTimesBetween(
      parsed.schedule,
      SCHEDULED_TRACE_START - 1,
      SCHEDULED_TRACE_START + duration * 1000 - 1,
    )) {
      const at = Math.round((due - SCHEDULED_TRACE_START) / 1000);
      for (let index = 0; index < job.count; index++)
        tasks.push({
          at,
          runs: job.runs,
          cpu: job.cpu,
          memoryMiB: job.memoryMiB,
          group: `family:${job.name}`,
          job: job.name,
        });
    }
  }
  return { name: 'scheduled jobs', duration, tasks };
}
