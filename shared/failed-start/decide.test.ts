import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from './classify';
import { markerKey, notReportable, openedWindow, predict, problemKey, screen } from './decide';
import type { TaskSnapshot } from './events';

const task = (fields: Partial<TaskSnapshot>): TaskSnapshot => ({
  taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/web/0123456789abcdef0123456789abcdef',
  taskId: '0123456789abcdef0123456789abcdef',
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/web',
  cluster: 'web',
  region: 'us-east-1',
  version: 3,
  lastStatus: 'STOPPED',
  group: 'service:api',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:3',
  taskDefinition: 'api:3',
  containers: [],
  ...fields,
});

describe('screen', () => {
  it('keeps only stopped tasks that never ran', () => {
    expect(screen(task({ lastStatus: 'RUNNING' }))).toBe('not-stopped');
    expect(screen(task({ lastStatus: 'DEPROVISIONING' }))).toBe('not-stopped');
    expect(screen(task({}))).toBe('failed-to-start');
    expect(screen(task({ startedAt: '2026-11-21T03:00:00Z' }))).toBe('ran-then-stopped');
    expect(screen(task({ startedAt: '2026-11-21T03:00:00Z', stopCode: 'TaskFailedToStart' }))).toBe(
      'failed-to-start',
    );
  });
});

describe('notReportable', () => {
  const scaledIn = classify({ stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)' });
  const spot = classify({ stoppedReason: 'Host EC2 (instance i-0abc123) terminated.' });
  const pull = classify({ stoppedReason: 'CannotPullContainerError: manifest unknown' });
  const quiet = { alertOnIntentionalStops: false, alertOnHostInterruptions: false };
  it('leaves stops on purpose out unless configured', () => {
    expect(notReportable(scaledIn, quiet)).toBe('intentional-stop');
    expect(notReportable(scaledIn, { ...quiet, alertOnIntentionalStops: true })).toBeUndefined();
    expect(notReportable(pull, quiet)).toBeUndefined();
  });
  it('leaves a task whose instance went away out unless configured: ECS replaces it', () => {
    expect(spot.category).toBe('host-or-spot');
    expect(notReportable(spot, quiet)).toBe('host-interruption');
    expect(notReportable(spot, { ...quiet, alertOnHostInterruptions: true })).toBeUndefined();
  });
});

describe('keys', () => {
  it('namespaces items under failure#', () => {
    expect(markerKey('arn:x')).toEqual({ pk: 'failure#task#arn:x', sk: 'task' });
    expect(problemKey(task({}), 'image-pull')).toEqual({
      pk: 'failure#arn:aws:ecs:us-east-1:123456789012:cluster/web#service:api#image-pull',
      sk: 'window',
    });
  });
});

describe('windows', () => {
  const windowSeconds = 900;
  it('a first failure opens a window; the next after it reports the count', () => {
    expect(openedWindow(undefined, 1_000, windowSeconds)).toEqual({
      kind: 'alert',
      repeats: { kind: 'first', windowSeconds, quietUntil: 901_000 },
    });
    expect(
      openedWindow({ windowStartedAt: 0, quietUntil: 900_000, suppressed: 4 }, 950_000, windowSeconds),
    ).toEqual({
      kind: 'alert',
      repeats: { kind: 'again', failedMeanwhile: 4, lastAlertAt: 0, windowSeconds, quietUntil: 1_850_000 },
    });
  });

  it('predicts alert outside a window and count inside it, at any time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.integer({ min: 0, max: 10 ** 6 }),
        fc.integer({ min: -(10 ** 6), max: 10 ** 6 }),
        (start, suppressed, offset) => {
          const window = { windowStartedAt: start, quietUntil: start + windowSeconds * 1000, suppressed };
          const now = window.quietUntil + offset;
          const outcome = predict(window, now, windowSeconds);
          expect(outcome.kind).toBe(now < window.quietUntil ? 'suppressed' : 'alert');
          if (outcome.kind === 'suppressed') expect(outcome.failedInWindow).toBe(suppressed + 1);
        },
      ),
    );
  });
});
