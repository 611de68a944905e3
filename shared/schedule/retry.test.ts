import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobSchema } from './job';
import {
  backoffMs,
  capacityRequest,
  classifyFailureReason,
  needsCapacity,
  nextStep,
  primaryProvider,
  retrySettings,
  summarizeReasons,
} from './retry';

const settings = { maxAttempts: 5, initialDelaySeconds: 10, maxDelaySeconds: 60 };

describe('failure reasons', () => {
  it.each([
    ['RESOURCE:MEMORY', 'capacity'],
    ['RESOURCE:CPU', 'capacity'],
    ['RESOURCE:PORTS', 'capacity'],
    ['NO_CONTAINER_INSTANCES', 'capacity'],
    ['AGENT', 'agent'],
    ['ATTRIBUTE', 'placement'],
    ['THROTTLED', 'throttled'],
    ['SERVICE_ERROR', 'transient'],
    ['SOMETHING_NEW', 'other'],
  ])('%s is %s', (reason, kind) => {
    expect(classifyFailureReason(reason)).toBe(kind);
  });

  it('asks for capacity only for capacity failures', () => {
    expect(needsCapacity(['AGENT', 'RESOURCE:CPU'])).toBe(true);
    expect(needsCapacity(['AGENT', 'THROTTLED'])).toBe(false);
  });

  it('counts reasons across attempts for the alert', () => {
    expect(
      summarizeReasons([
        { reasons: ['RESOURCE:MEMORY'] },
        { reasons: ['RESOURCE:MEMORY', 'RESOURCE:MEMORY'] },
        { reasons: ['AGENT'] },
      ]),
    ).toBe('RESOURCE:MEMORY ×2, AGENT ×1');
  });
});

describe('backoff', () => {
  it('property: grows exponentially from half the initial delay, never past the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (failed, r) => {
          const delay = backoffMs(failed, settings, () => r);
          const base = Math.min(60, 10 * 2 ** Math.min(failed - 1, 30)) * 1000;
          expect(delay).toBeGreaterThanOrEqual(base / 2);
          expect(delay).toBeLessThanOrEqual(base);
        },
      ),
    );
  });

  it('job settings win over defaults, and the cap is never below the first delay', () => {
    expect(retrySettings({ retry: { initialDelaySeconds: 120 } }, settings)).toEqual({
      maxAttempts: 5,
      initialDelaySeconds: 120,
      maxDelaySeconds: 120,
    });
  });
});

describe('nextStep', () => {
  const base = {
    now: 0,
    failedAttempts: 1,
    delayMs: 10_000,
    deadlineAt: 900_000,
    settings,
    remainingMs: 600_000,
    attemptMs: 15_000,
  };

  it('retries while attempts, deadline and time allow', () => {
    expect(nextStep(base)).toEqual({ step: 'retry', delayMs: 10_000 });
  });

  it('gives up after maxAttempts', () => {
    expect(nextStep({ ...base, failedAttempts: 5 })).toEqual({
      step: 'give-up',
      reason: 'all 5 attempts failed (retry.maxAttempts)',
    });
  });

  it('gives up when the next attempt would come after the starting deadline', () => {
    expect(nextStep({ ...base, now: 895_000 })).toMatchObject({ step: 'give-up' });
  });

  it('hands over to the periodic pass when this invocation is out of time', () => {
    expect(nextStep({ ...base, remainingMs: 20_000 })).toEqual({ step: 'hand-over', nextAttemptAt: 10_000 });
  });
});

describe('capacity requests', () => {
  const job = JobSchema.parse({
    name: 'nightly-report',
    taskDefinition: 'report:7',
    capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1 }],
  });
  const input = {
    job,
    cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/web',
    due: '2025-01-15T02:00:00Z',
    now: Date.parse('2025-01-15T02:00:05Z'),
    deadlineAt: Date.parse('2025-01-15T02:15:00Z'),
    shape: { cpu: 256, memoryMiB: 512, gpus: 0 },
    count: 1,
    reasons: ['RESOURCE:MEMORY', 'RESOURCE:MEMORY'],
  };

  it('is keyed as scale-capacity reads it and expires with the starting deadline', () => {
    expect(capacityRequest(input)).toEqual({
      pk: 'capacity#web',
      sk: 'web-asg-cp#nightly-report#2025-01-15T02:00:00Z',
      cluster: 'web',
      capacityProvider: 'web-asg-cp',
      jobName: 'nightly-report',
      due: '2025-01-15T02:00:00Z',
      cpu: 256,
      memoryMiB: 512,
      gpus: 0,
      count: 1,
      taskDefinition: 'report:7',
      reasons: ['RESOURCE:MEMORY'],
      requestedAt: '2025-01-15T02:00:05.000Z',
      ttl: Date.parse('2025-01-15T02:15:00Z') / 1000,
    });
  });

  it("carries the job's placement constraints for the planner", () => {
    const constrained = { ...job, placementConstraints: [{ type: 'distinctInstance' as const }] };
    expect(capacityRequest({ ...input, job: constrained })?.placementConstraints).toEqual([
      { type: 'distinctInstance' },
    ]);
  });

  it('uses the cluster default strategy when the job names none, `*` for launchType EC2, nothing for Fargate', () => {
    const bare = JobSchema.parse({ name: 'nightly-report', taskDefinition: 'report:7' });
    expect(
      capacityRequest({
        ...input,
        job: bare,
        clusterDefaultStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1 }],
      })?.sk,
    ).toBe('web-asg-cp#nightly-report#2025-01-15T02:00:00Z');
    expect(capacityRequest({ ...input, job: { ...bare, launchType: 'EC2' } })?.capacityProvider).toBe('*');
    expect(capacityRequest({ ...input, job: { ...bare, launchType: 'FARGATE' } })).toBeUndefined();
    expect(
      capacityRequest({ ...input, job: bare, clusterDefaultStrategy: [{ capacityProvider: 'FARGATE' }] }),
    ).toBeUndefined();
  });

  it('picks the provider the first task lands on: the one with a base, else the heaviest', () => {
    expect(
      primaryProvider([
        { capacityProvider: 'a', weight: 5 },
        { capacityProvider: 'b', base: 1 },
      ]),
    ).toBe('b');
    expect(
      primaryProvider([
        { capacityProvider: 'a', weight: 1 },
        { capacityProvider: 'b', weight: 3 },
      ]),
    ).toBe('b');
    expect(primaryProvider([])).toBeUndefined();
  });
});
