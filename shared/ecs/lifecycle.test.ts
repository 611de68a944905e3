import { type Task, TaskStopCode } from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  groupOf,
  HOST_INTERRUPTION_STOP_CODES,
  hasReachedRunning,
  isAtOrAfter,
  isHostInterruption,
  isServiceTask,
  isStopping,
  isTerminal,
  neverRan,
  stateIndex,
  TASK_STATES,
  type TaskLike,
} from './lifecycle';

describe('task states', () => {
  it('are in lifecycle order', () => {
    expect(TASK_STATES).toEqual([
      'PROVISIONING',
      'PENDING',
      'ACTIVATING',
      'RUNNING',
      'DEACTIVATING',
      'STOPPING',
      'DEPROVISIONING',
      'STOPPED',
      'DELETED',
    ]);
    expect(isAtOrAfter('STOPPING', 'RUNNING')).toBe(true);
    expect(isAtOrAfter('PENDING', 'RUNNING')).toBe(false);
    expect(isAtOrAfter('SOMETHING_NEW', 'PROVISIONING')).toBe(false);
    expect(stateIndex('SOMETHING_NEW')).toBeUndefined();
  });

  it('only STOPPED and DELETED are terminal', () => {
    for (const state of TASK_STATES) {
      expect(isTerminal(state)).toBe(state === 'STOPPED' || state === 'DELETED');
      expect(isTerminal({ lastStatus: state })).toBe(isTerminal(state));
    }
    expect(isTerminal(undefined)).toBe(false);
  });
});

describe('hasReachedRunning and neverRan', () => {
  it('an SDK task that ran and stopped reached RUNNING', () => {
    const task: Task = {
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      startedAt: new Date('2026-11-21T03:00:05Z'),
      stoppedAt: new Date('2026-11-21T03:04:00Z'),
      stopCode: 'EssentialContainerExited',
    };
    expect(hasReachedRunning(task)).toBe(true);
    expect(neverRan(task)).toBe(false);
  });

  it('a stopped task without startedAt never ran, whatever its stop code', () => {
    const event: TaskLike = {
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'pull failed',
    };
    expect(neverRan(event)).toBe(true);
    expect(hasReachedRunning(event)).toBe(false);
  });

  it('TaskFailedToStart never ran, even while still stopping', () => {
    const task: TaskLike = {
      lastStatus: 'STOPPING',
      desiredStatus: 'STOPPED',
      stopCode: 'TaskFailedToStart',
    };
    expect(neverRan(task)).toBe(true);
    expect(hasReachedRunning(task)).toBe(false);
  });

  it('reads startedAt as an event ISO string', () => {
    expect(hasReachedRunning({ lastStatus: 'DEACTIVATING', startedAt: '2026-11-21T03:00:05.123Z' })).toBe(
      true,
    );
    expect(hasReachedRunning({ lastStatus: 'STOPPED', startedAt: '' })).toBe(false);
    expect(hasReachedRunning({ lastStatus: 'STOPPED', startedAt: null })).toBe(false);
  });

  it('without startedAt only a current RUNNING status counts', () => {
    for (const state of TASK_STATES) {
      expect(hasReachedRunning({ lastStatus: state })).toBe(state === 'RUNNING');
    }
  });

  it('no task both never ran and reached RUNNING', () => {
    const tasks = fc.record(
      {
        lastStatus: fc.constantFrom(...TASK_STATES, 'UNKNOWN'),
        startedAt: fc.option(fc.date({ noInvalidDate: true }), { nil: undefined }),
        stopCode: fc.option(
          fc.constantFrom('TaskFailedToStart', 'EssentialContainerExited', 'UserInitiated'),
          {
            nil: undefined,
          },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(tasks, (task) => {
        expect(neverRan(task) && hasReachedRunning(task)).toBe(false);
        if (isTerminal(task)) expect(neverRan(task) || hasReachedRunning(task)).toBe(true);
      }),
    );
  });
});

describe('isStopping', () => {
  it('is told to stop or past RUNNING, and not yet stopped', () => {
    expect(isStopping({ lastStatus: 'RUNNING', desiredStatus: 'STOPPED' })).toBe(true);
    expect(isStopping({ lastStatus: 'DEPROVISIONING', desiredStatus: 'STOPPED' })).toBe(true);
    expect(isStopping({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })).toBe(false);
    expect(isStopping({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })).toBe(false);
  });
});

describe('groups', () => {
  it('parses service, family and custom groups', () => {
    expect(groupOf({ group: 'service:api' })).toEqual({ kind: 'service', name: 'api' });
    expect(groupOf({ group: 'family:report' })).toEqual({ kind: 'family', name: 'report' });
    expect(groupOf({ group: 'database' })).toEqual({ kind: 'custom', name: 'database' });
    expect(groupOf({ group: 'service:' })).toEqual({ kind: 'custom', name: 'service:' });
    expect(groupOf({})).toBeUndefined();
  });

  it('recognises service tasks by group or startedBy', () => {
    expect(isServiceTask({ group: 'service:api' })).toBe(true);
    expect(isServiceTask({ group: 'family:api', startedBy: 'ecs-svc/1234567890123456789' })).toBe(true);
    expect(isServiceTask({ group: 'family:report', startedBy: 'ecs-autopilot/nightly-report' })).toBe(false);
    expect(isServiceTask({})).toBe(false);
  });
});

describe('stop codes', () => {
  it.each([
    ['SpotInterruption', true],
    ['TerminationNotice', true],
    // ECS replaced the task because its host failed an infrastructure health check (SDK TaskStopCode).
    ['InfrastructureHealth', true],
    ['TaskFailedToStart', false],
    ['EssentialContainerExited', false],
    ['UserInitiated', false],
    ['ServiceSchedulerInitiated', false],
    [undefined, false],
  ])('%s is a host interruption: %s', (stopCode, expected) => {
    expect(isHostInterruption({ stopCode })).toBe(expected);
  });

  it('lists every host interruption code of the SDK', () => {
    const sdk: readonly string[] = Object.values(TaskStopCode);
    expect(HOST_INTERRUPTION_STOP_CODES.every((code) => sdk.includes(code))).toBe(true);
    expect(sdk).toContain('InfrastructureHealth');
  });
});
