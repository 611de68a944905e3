import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clientTokenFor,
  dueFromMs,
  identifyTask,
  normalizeDue,
  parseStartedBy,
  runTags,
  STARTED_BY_PREFIX,
  startedByFor,
  taskIdOf,
} from './identity';
import { JOB_NAME_PATTERN, RUN_TASK_LIMITS } from './job';

const jobName = fc.stringMatching(JOB_NAME_PATTERN);
// Whole seconds between 2000 and 2100: what Scheduler and EventBridge send.
const due = fc.integer({ min: 946_684_800, max: 4_102_444_800 }).map((seconds) => dueFromMs(seconds * 1000));

describe('due times', () => {
  it('normalises ISO date-times to UTC seconds', () => {
    expect(normalizeDue('2025-01-15T02:00:00Z')).toBe('2025-01-15T02:00:00Z');
    expect(normalizeDue('2025-01-15T02:00:00.789Z')).toBe('2025-01-15T02:00:00Z');
    expect(normalizeDue('2025-01-15T03:00:00+01:00')).toBe('2025-01-15T02:00:00Z');
  });

  it.each(['<aws.scheduler.scheduled-time>', 'yesterday', '2025-01-15', '2025-13-45T99:00:00Z', ''])(
    'refuses %j',
    (text) => {
      expect(normalizeDue(text)).toBeUndefined();
    },
  );
});

describe('startedBy', () => {
  it('names the job and due time', () => {
    expect(startedByFor('nightly-report', '2025-01-15T02:00:00Z')).toBe(
      'ecs-autopilot/nightly-report/20250115T020000Z',
    );
  });

  it('property: fits RunTask (<= 128 of letters, digits, - / _) and round-trips', () => {
    fc.assert(
      fc.property(jobName, due, (name, at) => {
        const startedBy = startedByFor(name, at);
        expect(startedBy.length).toBeLessThanOrEqual(RUN_TASK_LIMITS.startedBy);
        expect(startedBy).toMatch(/^[A-Za-z0-9/_-]+$/);
        expect(parseStartedBy(startedBy)).toEqual({ jobName: name, due: at });
      }),
    );
  });

  it('ignores tasks started by others', () => {
    expect(parseStartedBy('ecs-svc/1234567890123456789')).toBeUndefined();
    expect(parseStartedBy(undefined)).toBeUndefined();
    expect(parseStartedBy(`${STARTED_BY_PREFIX}nightly-report/garbage`)).toBeUndefined();
  });

  it('identifies a task by startedBy, else by its tags', () => {
    const tags = runTags('nightly-report', '2025-01-15T02:00:00Z');
    expect(identifyTask({ startedBy: 'someone', tags })).toEqual({
      jobName: 'nightly-report',
      due: '2025-01-15T02:00:00Z',
    });
    expect(identifyTask({ startedBy: 'someone', tags: [] })).toBeUndefined();
  });
});

describe('clientToken', () => {
  it('property: 64 ASCII characters, the same for the same job, due time and attempt, different otherwise', () => {
    fc.assert(
      fc.property(jobName, due, fc.integer({ min: 1, max: 100 }), jobName, (name, at, attempt, other) => {
        const token = clientTokenFor(name, at, attempt);
        expect(token).toMatch(/^[\x21-\x7e]{1,64}$/);
        expect(clientTokenFor(name, at, attempt)).toBe(token);
        expect(clientTokenFor(name, at, attempt + 1)).not.toBe(token);
        if (other !== name) expect(clientTokenFor(other, at, attempt)).not.toBe(token);
      }),
    );
  });
});

it('takes the task id from its ARN', () => {
  expect(taskIdOf('arn:aws:ecs:us-east-1:123456789012:task/web/4f1c2d3e')).toBe('4f1c2d3e');
});
