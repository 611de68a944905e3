import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deadlineStops, pendingRunAction, silentSchedules } from './reconcile';

const T0 = Date.parse('2025-01-15T02:00:00Z');
const job = { name: 'nightly-report', cluster: 'web', family: 'report', activeDeadlineSeconds: 3600 };
const task = (createdAt: number | undefined, fields = {}) => ({
  taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/web/t1',
  cluster: 'web',
  jobName: 'nightly-report',
  due: '2025-01-15T02:00:00Z',
  createdAt,
  ...fields,
});

describe('deadlineStops', () => {
  it('stops a run active for activeDeadlineSeconds, with a reason saying so', () => {
    expect(deadlineStops([job], [task(T0 + 3_000)], T0 + 3_603_000)).toEqual([
      {
        taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/web/t1',
        cluster: 'web',
        jobName: 'nightly-report',
        due: '2025-01-15T02:00:00Z',
        ageSeconds: 3600,
        reason:
          'ecs-autopilot: job nightly-report run due 2025-01-15T02:00:00Z exceeded activeDeadlineSeconds (3600 s): active for 3600 s',
      },
    ]);
  });

  it('leaves younger runs, jobs without a deadline and unknown jobs alone', () => {
    expect(deadlineStops([job], [task(T0)], T0 + 3_599_000)).toEqual([]);
    expect(
      deadlineStops([{ ...job, activeDeadlineSeconds: undefined }], [task(T0)], T0 + 99_999_000),
    ).toEqual([]);
    expect(deadlineStops([job], [task(T0, { jobName: 'other' })], T0 + 99_999_000)).toEqual([]);
  });

  it('falls back to the due time when ECS gave no creation time', () => {
    expect(deadlineStops([job], [task(undefined)], T0 + 3_600_000)).toHaveLength(1);
  });

  it('a stop reason fits the 255 characters ECS keeps', () => {
    const [stop] = deadlineStops(
      [{ ...job, name: 'x'.repeat(64) }],
      [task(T0, { jobName: 'x'.repeat(64) })],
      T0 + 1e10,
    );
    expect(stop?.reason.length).toBeLessThanOrEqual(255);
  });
});

describe('pendingRunAction', () => {
  const deadline = T0 + 900_000;
  it('leaves a run to the invocation holding its lease', () => {
    expect(pendingRunAction({ due: '', leaseUntil: T0 + 60_000 }, deadline, T0)).toEqual({
      action: 'busy',
      until: T0 + 60_000,
    });
  });
  it('reports it missed past its starting deadline', () => {
    expect(pendingRunAction({ due: '', leaseUntil: T0 }, deadline, deadline + 1)).toEqual({
      action: 'missed',
    });
  });
  it('waits for its backoff, then resumes', () => {
    expect(pendingRunAction({ due: '', nextAttemptAt: T0 + 30_000 }, deadline, T0)).toEqual({
      action: 'wait',
      until: T0 + 30_000,
    });
    expect(pendingRunAction({ due: '', nextAttemptAt: T0 + 30_000 }, deadline, T0 + 30_000)).toEqual({
      action: 'resume',
    });
  });
});

describe('silentSchedules', () => {
  const heartbeat = {
    name: 'nightly-report',
    expectEverySeconds: 86_400,
    startingDeadlineSeconds: 900,
    lastSeenAt: T0,
    lastDue: '2025-01-15T02:00:00Z',
  };

  it('reports a job silent past its expected gap plus its starting deadline and a daylight-saving hour', () => {
    expect(silentSchedules([heartbeat], T0 + (86_400 + 900 + 3601) * 1000)).toEqual([
      {
        jobName: 'nightly-report',
        lastSeenAt: T0,
        lastDue: '2025-01-15T02:00:00Z',
        silentSeconds: 90_901,
        expectEverySeconds: 86_400,
        allowedSeconds: 90_900,
      },
    ]);
    expect(silentSchedules([heartbeat], T0 + 90_900 * 1000)).toEqual([]);
  });

  it('allows the hour a daylight-saving change adds to one gap of a daily cron schedule', () => {
    // 03:00 America/New_York: 07:00Z before the autumn change, 08:00Z after it; the pass ticks at 08:00Z.
    const before = Date.parse('2025-11-01T07:00:05Z');
    const job = { ...heartbeat, lastSeenAt: before, lastDue: '2025-11-01T07:00:00Z' };
    expect(silentSchedules([job], Date.parse('2025-11-02T08:00:00Z'))).toEqual([]);
  });

  it('never checks a job without expectEverySeconds or never seen', () => {
    const { expectEverySeconds: _, ...unchecked } = heartbeat;
    const { lastSeenAt: __, ...unseen } = heartbeat;
    expect(silentSchedules([unchecked, unseen], T0 + 365 * 86_400_000)).toEqual([]);
  });

  it('is silent exactly when the time since the last due time passes the allowance', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 60, max: 31 * 86_400 }),
        fc.integer({ min: 10, max: 82_800 }),
        fc.integer({ min: 0, max: 200 * 86_400_000 }),
        (expectEverySeconds, startingDeadlineSeconds, elapsedMs) => {
          const silent = silentSchedules(
            [{ ...heartbeat, expectEverySeconds, startingDeadlineSeconds }],
            T0 + elapsedMs,
          );
          const allowedMs = (expectEverySeconds + startingDeadlineSeconds + 3600) * 1000;
          expect(silent.length).toBe(Math.floor(elapsedMs / 1000) * 1000 > allowedMs ? 1 : 0);
          for (const job of silent) expect(job.silentSeconds).toBeGreaterThan(job.allowedSeconds);
        },
      ),
    );
  });
});
