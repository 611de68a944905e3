import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOutcome, taskOutcome } from './outcome';

const detail = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../../events/run-scheduled-task', name), 'utf8')).detail;
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/web/4f1c2d3e5a6b47c8a9d0e1f2a3b4c5d6';

describe('taskOutcome', () => {
  it('succeeds when the essential container exits 0 by itself', () => {
    expect(taskOutcome(detail('task-stopped-succeeded.json'), ['report'])).toEqual({
      taskArn: TASK,
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/report:7',
      succeeded: true,
      neverRan: false,
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      startedAt: '2025-01-15T03:00:13.388Z',
      stoppedAt: '2025-01-15T03:10:41.870Z',
      containers: [{ name: 'report', exitCode: 0, essential: true }],
      summary: 'essential container exited 0',
    });
  });

  it('fails on a non-zero exit code of an essential container', () => {
    const outcome = taskOutcome(detail('task-stopped-failed.json'), ['report']);
    expect(outcome.succeeded).toBe(false);
    expect(outcome.summary).toBe('container report exited 1');
  });

  it('ignores non-essential containers', () => {
    const task = {
      ...detail('task-stopped-succeeded.json'),
      containers: [
        { name: 'report', exitCode: 0 },
        { name: 'xray', exitCode: 137 },
      ],
    };
    expect(taskOutcome(task, ['report']).succeeded).toBe(true);
    // Unknown definition: every container is essential, but one ECS SIGKILLed after report exited is no failure.
    expect(taskOutcome(task).succeeded).toBe(true);
    const crashed = {
      ...task,
      containers: [
        { name: 'report', exitCode: 0 },
        { name: 'xray', exitCode: 1 },
      ],
    };
    expect(taskOutcome(crashed).succeeded).toBe(false);
  });

  it('an essential sidecar stopped by ECS after the main container exited (143) does not fail the task', () => {
    const task = {
      ...detail('task-stopped-succeeded.json'),
      stopCode: 'EssentialContainerExited',
      containers: [
        { name: 'report', exitCode: 0 },
        { name: 'log-router', exitCode: 143 },
      ],
    };
    expect(taskOutcome(task, ['report', 'log-router']).succeeded).toBe(true);
    // Named: only the sidecar decides, and it did not end by itself.
    expect(taskOutcome(task, ['report', 'log-router'], ['log-router']).succeeded).toBe(false);
    // Everything SIGTERMed: nothing says which ended first, so it is a failure.
    const all = {
      ...task,
      containers: [
        { name: 'report', exitCode: 143 },
        { name: 'log-router', exitCode: 143 },
      ],
    };
    expect(taskOutcome(all, ['report', 'log-router']).succeeded).toBe(false);
  });

  it('fails a task stopped from outside (the active deadline, a user, Spot) whatever its exit code', () => {
    const task = {
      ...detail('task-stopped-succeeded.json'),
      stopCode: 'UserInitiated',
      stoppedReason:
        'ecs-autopilot: job nightly-report run due 2025-01-15T03:00:00Z exceeded activeDeadlineSeconds (3600 s)',
    };
    const outcome = taskOutcome(task, ['report']);
    expect(outcome.succeeded).toBe(false);
    expect(outcome.reason).toBe('DeadlineExceeded');
    expect(outcome.summary).toMatch(/^DeadlineExceeded: ecs-autopilot: job nightly-report/);
  });

  it('fails a task that never started, with the reason', () => {
    const outcome = taskOutcome(
      {
        taskArn: TASK,
        lastStatus: 'STOPPED',
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
        containers: [{ name: 'report', reason: 'CannotPullContainerError' }],
      },
      ['report'],
    );
    expect(outcome).toMatchObject({ succeeded: false, neverRan: true });
    // The diagnosis detect-failed-start would give (it leaves job runs to this alert), then ECS's words.
    expect(outcome.summary).toMatch(/^never started: ECS could not pull the image of the container\. Fix: /);
    expect(outcome.summary).toContain('(ECS said: CannotPullContainerError: pull image manifest');
  });
});

describe('runOutcome', () => {
  it('succeeds only when every task did, listing the failures', () => {
    const ok = taskOutcome(detail('task-stopped-succeeded.json'), ['report']);
    const bad = {
      ...taskOutcome(detail('task-stopped-failed.json'), ['report']),
      taskArn: 'arn:aws:ecs:us-east-1:1:task/web/bad',
    };
    expect(runOutcome([ok]).succeeded).toBe(true);
    expect(runOutcome([ok, bad])).toEqual({
      succeeded: false,
      failures: ['task bad: container report exited 1'],
      exitCodes: { '4f1c2d3e5a6b47c8a9d0e1f2a3b4c5d6': { report: 0 }, bad: { report: 1 } },
    });
    expect(runOutcome([]).succeeded).toBe(false);
  });
});
