import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stopReason } from '../drain/plan';
import { decideKillRetry, infrastructureKill } from './kills';
import { taskOutcome } from './outcome';

const ran = { startedAt: '2025-01-15T03:01:00Z', stoppedAt: '2025-01-15T03:05:00Z', lastStatus: 'STOPPED' };
const stopped = (fields: Parameters<typeof taskOutcome>[0]) =>
  taskOutcome({ taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/web/abc', ...fields });

describe('infrastructureKill', () => {
  it.each([
    [
      'SpotInterruption',
      { ...ran, stopCode: 'SpotInterruption', stoppedReason: 'Host EC2 (instance i-1) terminated.' },
    ],
    [
      'TerminationNotice',
      { ...ran, stopCode: 'TerminationNotice', stoppedReason: 'Your Spot Task was interrupted.' },
    ],
    [
      'drain',
      { ...ran, stopCode: 'UserInitiated', stoppedReason: stopReason('i-1', 'web-asg', 'terminate') },
    ],
    ['drain', { ...ran, stopCode: 'UserInitiated', stoppedReason: stopReason('i-1', 'web-asg', 'spot') }],
    ['host-gone', { ...ran, stoppedReason: 'Host EC2 (instance i-1) terminated.' }],
    [
      'TaskFailedToStart (platform-internal)',
      {
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'Task failed to start',
        containers: [
          {
            name: 'report',
            reason: 'DockerTimeoutError: Could not transition to created; timed out after waiting 4m0s',
          },
        ],
      },
    ],
  ])('%s', (kind, task) => {
    expect(infrastructureKill(stopped(task))).toBe(kind);
  });

  it.each([
    [
      'an exit code',
      { ...ran, stopCode: 'EssentialContainerExited', containers: [{ name: 'report', exitCode: 1 }] },
    ],
    ['a person', { ...ran, stopCode: 'UserInitiated', stoppedReason: 'stopped by alice' }],
    [
      'the active deadline',
      {
        ...ran,
        stopCode: 'UserInitiated',
        stoppedReason:
          'ecs-autopilot: job nightly-report run due 2025-01-15T03:00:00Z exceeded activeDeadlineSeconds (60 s): active for 61 s',
      },
    ],
    [
      'an image that is not there',
      {
        stopCode: 'TaskFailedToStart',
        stoppedReason:
          'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/acme/report:7: not found',
      },
    ],
  ])('not %s', (_what, task) => {
    expect(infrastructureKill(stopped(task))).toBeUndefined();
  });
});

describe('decideKillRetry', () => {
  const spot = stopped({ ...ran, stopCode: 'SpotInterruption' });
  const exit1 = stopped({
    ...ran,
    stopCode: 'EssentialContainerExited',
    containers: [{ name: 'r', exitCode: 1 }],
  });
  const base = {
    failed: [spot],
    retriesSoFar: 0,
    runStartedAt: 0,
    startingDeadlineSeconds: 900,
    now: 60_000,
  };

  it('is opt-in', () => {
    expect(decideKillRetry({ ...base, job: {} })).toMatchObject({ retry: false });
    expect(decideKillRetry({ ...base, job: { retry: { infrastructureKills: 0 } } })).toMatchObject({
      retry: false,
    });
  });

  it('retries within the starting deadline from the kill, capped by the active deadline', () => {
    expect(decideKillRetry({ ...base, job: { retry: { infrastructureKills: 1 } } })).toEqual({
      retry: true,
      kills: ['SpotInterruption'],
      restartBy: 60_000 + 900_000,
      retriesSoFar: 0,
    });
    expect(
      decideKillRetry({ ...base, job: { retry: { infrastructureKills: 1 }, activeDeadlineSeconds: 300 } }),
    ).toMatchObject({ retry: true, restartBy: 300_000 });
    expect(
      decideKillRetry({
        ...base,
        now: 300_000,
        job: { retry: { infrastructureKills: 1 }, activeDeadlineSeconds: 300 },
      }),
    ).toMatchObject({ retry: false });
  });

  it('never retries past its limit, nor a run one of whose tasks failed on its own', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 12 }),
        fc.boolean(),
        (limit, sofar, own) => {
          const decision = decideKillRetry({
            ...base,
            failed: own ? [spot, exit1] : [spot],
            retriesSoFar: sofar,
            job: { retry: { infrastructureKills: limit } },
          });
          expect(decision.retry).toBe(limit > 0 && sofar < limit && !own);
        },
      ),
    );
  });
});
