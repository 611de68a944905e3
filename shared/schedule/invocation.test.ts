import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadEventError } from '../runtime/errors';
import { parseInvocation } from './invocation';

const folder = join(import.meta.dirname, '../../events/run-scheduled-task');
const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(folder, name), 'utf8'));

function rejection(event: unknown) {
  try {
    parseInvocation(event);
  } catch (error) {
    if (error instanceof BadEventError) return error.issues;
    throw error;
  }
  throw new Error('expected a BadEventError');
}

describe('parseInvocation', () => {
  it('classifies every sample event', () => {
    const kinds = Object.fromEntries(
      readdirSync(folder)
        .filter((name) => name.endsWith('.json'))
        .map((name) => [name, parseInvocation(sample(name)).kind]),
    );
    expect(kinds).toEqual({
      'invalid-job.json': 'run',
      'reconcile-tick.json': 'reconcile',
      'scheduled-rule-event.json': 'run',
      'scheduler-invocation.json': 'run',
      'task-running.json': 'task-state',
      'task-stopped-failed.json': 'task-state',
      'task-stopped-succeeded.json': 'task-state',
    });
  });

  it('takes the due time from Scheduler input and from the rule event time', () => {
    expect(parseInvocation(sample('scheduler-invocation.json'))).toMatchObject({
      kind: 'run',
      via: 'scheduler',
      due: '2025-01-15T03:00:00Z',
      executionId: '9c2b5f3e-7a41-4f4e-9d1c-2b1f0e8a6c55',
    });
    expect(parseInvocation(sample('scheduled-rule-event.json'))).toMatchObject({
      kind: 'run',
      via: 'rule',
      due: '2025-01-15T03:00:00Z',
    });
  });

  it('accepts fields AWS may add', () => {
    const event = sample('task-stopped-succeeded.json');
    const detail = { ...(event.detail as object), somethingNew: { nested: true } };
    expect(parseInvocation({ ...event, newTopLevel: 1, detail }).kind).toBe('task-state');
    expect(
      parseInvocation({ ...sample('scheduler-invocation.json'), scheduleArn: 'arn:x', extra: 1 }).kind,
    ).toBe('run');
  });

  it('explains an unreplaced Scheduler placeholder', () => {
    expect(rejection({ job: {}, scheduledTime: '<aws.scheduler.scheduled-time>' })).toEqual([
      {
        path: 'scheduledTime',
        message:
          "scheduledTime is the unreplaced placeholder <aws.scheduler.scheduled-time>: the schedule's input must be set on an EventBridge Scheduler target",
      },
    ]);
  });

  it('refuses what it cannot act on, saying where', () => {
    expect(rejection({ job: { name: 'x' } })[0]?.path).toBe('scheduledTime');
    expect(rejection({ scheduledTime: '2025-01-15T03:00:00Z' })[0]).toEqual({
      path: 'job',
      message: 'job is required',
    });
    expect(rejection([])[0]?.message).toBe('expected a JSON object');
    expect(rejection({ hello: 'world' })[0]?.message).toMatch(/not a run-scheduled-task event/);
    const rule = sample('scheduled-rule-event.json');
    expect(rejection({ ...rule, time: 'soon' })[0]?.path).toBe('time');
    const stopped = sample('task-stopped-succeeded.json');
    expect(rejection({ ...stopped, 'detail-type': 'ECS Container Instance State Change' })[0]?.path).toBe(
      'detail-type',
    );
    const { taskArn: _, ...detail } = stopped.detail as Record<string, unknown>;
    expect(rejection({ ...stopped, detail })[0]).toEqual({
      path: 'detail.taskArn',
      message: 'detail.taskArn is required',
    });
  });
});
